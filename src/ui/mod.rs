//! Rendering: the app state into a ratatui frame. No I/O, no awaits, no clock:
//! everything drawn comes from `App` (its `now` included), so frames are repeatable.

mod alarms;
mod changes;
mod chart;
mod confirm;
mod cost;
mod detail;
mod events;
mod footer;
mod header;
mod help;
mod models;
mod pipeline;
mod recent;
pub(crate) mod scopes;
mod stats;
pub mod svg;
mod traces;
mod waterfall;
mod widgets;

pub use header::clock_texts;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{App, View};
use crate::config::Theme;

/// Below this the dashboard says so instead of drawing a mess.
pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 10;

pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    // A tall pipeline: the latest changes and events fill what the models leave,
    // and the footer need not show the events too.
    let lean_footer = footer::height(app, area.height, false);
    let body_height = area.height.saturating_sub(1 + lean_footer);
    let table_height = pipeline::height(app);
    let recent_below = app.view() == View::Pipeline
        && table_height.is_some_and(|h| recent::fits(body_height.saturating_sub(h)));
    let footer_height = match recent_below {
        true => lean_footer,
        false => footer::height(app, area.height, true),
    };
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(footer_height),
    ])
    .areas(area);
    header::draw(frame, head, app, theme);
    match app.view() {
        View::Pipeline if recent_below => {
            let [table, below] = Layout::vertical([
                Constraint::Length(table_height.unwrap_or(body.height)),
                Constraint::Fill(1),
            ])
            .areas(body);
            pipeline::draw(frame, table, app, theme);
            recent::draw(frame, below, app, theme);
        }
        View::Pipeline => pipeline::draw(frame, body, app, theme),
        View::Models => models::draw(frame, body, app, theme),
        View::Alarms => alarms::draw(frame, body, app, theme),
        View::Events => events::draw(frame, body, app, theme),
        View::Changes => changes::draw(frame, body, app, theme),
        View::Stats => stats::draw(frame, body, app, theme),
        View::Cost => cost::draw(frame, body, app, theme),
        View::Traces => traces::draw(frame, body, app, theme),
        View::Trace => waterfall::draw(frame, body, app, theme),
        View::Detail => detail::draw(frame, body, app, theme),
    }
    footer::draw(frame, foot, app, theme);
    if app.help() {
        help::draw(frame, body, app, theme);
    }
    match app.input() {
        crate::app::InputMode::Confirm(dialog) => confirm::draw(frame, body, app, dialog, theme),
        crate::app::InputMode::Reading { kind, model } => {
            confirm::reading(frame, body, *kind, model, app, theme)
        }
        _ => {}
    }
}

/// Whether the screen is large enough to draw the views (and a dialog) at all.
pub fn fits(size: ratatui::layout::Size) -> bool {
    size.width >= MIN_WIDTH && size.height >= MIN_HEIGHT
}

fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let msg = format!(
        "mlopsdash needs at least {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{}); enlarge the terminal, q quits",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(Line::styled(msg, theme.warn)).wrap(Wrap { trim: true }),
        area,
    );
}
