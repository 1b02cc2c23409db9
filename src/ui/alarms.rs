//! `:alarms`: CloudWatch alarms, firing first, with the model each one watches.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::widgets::{panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::{format, AlarmState, Health};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let alarms = app.sorted_alarms();
    let firing = alarms
        .iter()
        .filter(|a| a.state == AlarmState::Alarm)
        .count();
    let block = panel(
        theme,
        format!(" alarms ({firing} firing / {}) ", alarms.len()),
    );
    let header = Row::new(["STATE", "NAME", "MODEL", "SINCE", "REASON"]).style(theme.title);
    let rows = alarms.iter().map(|a| {
        let h = match a.state {
            AlarmState::Alarm => Health::Crit,
            AlarmState::InsufficientData => Health::Unknown,
            AlarmState::Ok => Health::Ok,
        };
        Row::new(vec![
            Cell::from(a.state.label()).style(theme.health(h)),
            Cell::from(a.name.clone()),
            Cell::from(a.model.clone().unwrap_or_else(|| "—".into())),
            Cell::from(format::age_since(a.since, app.now())),
            match a.pages_nobody() {
                true => Cell::from(format!("⚠ notifies no one · {}", a.reason)).style(theme.warn),
                false => Cell::from(a.reason.clone()).style(theme.dim),
            },
        ])
    });
    let widths = [
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(8),
        Constraint::Fill(3),
    ];
    let table = Table::new(rows, widths).header(header).block(block);
    render_list(frame, area, table, theme, app.cursor(), alarms.len());
}
