//! Below the pipeline on a tall terminal: the latest changes and events, filling the
//! room the models leave (the `:changes` and `:events` rows), so a glance at the
//! screen shows what just happened without opening either view.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::footer::event_line;
use super::widgets::panel;
use crate::app::App;
use crate::config::Theme;

/// Below this the panels are not worth their borders: the footer keeps the events.
const MIN_HEIGHT: u16 = 7;
/// From this width the two panels sit side by side.
const SIDE_BY_SIDE: u16 = 120;

/// Whether `spare` rows under the models are enough for the panels.
pub fn fits(spare: u16) -> bool {
    spare >= MIN_HEIGHT
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // No events yet (a viewer, a fresh start): the changes take most of the width.
    let split = match app.events().is_empty() {
        true => [Constraint::Percentage(70), Constraint::Percentage(30)],
        false => [Constraint::Percentage(55), Constraint::Percentage(45)],
    };
    let [changes_area, events_area] = match area.width >= SIDE_BY_SIDE {
        true => Layout::horizontal(split).areas(area),
        false => {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area)
        }
    };
    let rows = |a: Rect| usize::from(a.height.saturating_sub(2));
    let width = usize::from(changes_area.width.saturating_sub(2));
    let changes = app.listed_changes();
    let mut lines: Vec<Line> = changes
        .iter()
        .take(rows(changes_area))
        .map(|c| super::changes::line(c, app.now(), theme, true, width))
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(" no changes known yet", theme.dim));
    }
    let title = format!(" latest changes ({}) · :changes ", changes.len());
    frame.render_widget(
        Paragraph::new(lines).block(panel(theme, title)),
        changes_area,
    );
    let events = app.events();
    let mut lines: Vec<Line> = events
        .iter()
        .take(rows(events_area))
        .map(|e| event_line(e, theme))
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(" no state changes yet", theme.dim));
    }
    let title = format!(" events ({}) · :events ", events.len());
    frame.render_widget(
        Paragraph::new(lines).block(panel(theme, title)),
        events_area,
    );
}
