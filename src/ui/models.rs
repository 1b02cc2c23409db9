//! `:models`: one row per model with its endpoint, deployed version and key numbers.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::pipeline::placeholder;
use super::widgets::{health_mark, list_title, panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::{format, Stage};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let total = app.fleet.data().map_or(0, |f| f.models.len());
    let block = panel(
        theme,
        list_title("models", app.rows.len(), total, &app.filter),
    );
    let Some(fleet) = app.fleet.data() else {
        return placeholder(frame, area, app, theme, block);
    };
    let stale = app.all_stale();
    let header = Row::new([
        "MODEL", "KIND", "ENDPOINT", "STATUS", "DEPLOYED", "QUALITY", "TRAINED",
    ])
    .style(theme.title);
    let rows = app.rows.iter().map(|row| {
        let m = &fleet.models[row.index];
        let (mark, style) = health_mark(theme, row.health, stale);
        let ep = m.endpoint.as_ref();
        let deployed = m
            .registry
            .iter()
            .find(|v| v.deployed)
            .map_or("—".to_string(), |v| format!("v{}", v.version));
        let quality = app
            .health
            .get(&m.name)
            .map_or(String::new(), |h| h.stage(Stage::Quality).summary.clone());
        let trained = m
            .training
            .iter()
            .find_map(|r| {
                r.ended
                    .filter(|_| r.status == crate::model::facts::RunStatus::Completed)
            })
            .map_or("—".to_string(), |t| {
                format!("{} ago", format::age_since(t, app.now))
            });
        Row::new(vec![
            Cell::from(Line::from(vec![
                Span::styled(mark, style),
                Span::raw(format!(" {}", m.name)),
            ])),
            Cell::from(m.kind.label()),
            Cell::from(ep.map_or("—", |e| e.name.as_str())),
            Cell::from(ep.map_or("—", |e| e.status.as_str())),
            Cell::from(deployed),
            Cell::from(quality),
            Cell::from(trained),
        ])
    });
    let widths = [
        Constraint::Fill(3),
        Constraint::Length(14),
        Constraint::Fill(3),
        Constraint::Length(11),
        Constraint::Length(8),
        Constraint::Length(13),
        Constraint::Length(10),
    ];
    let table = Table::new(rows, widths).header(header).block(block);
    render_list(frame, area, table, theme, app.cursor, app.rows.len());
}
