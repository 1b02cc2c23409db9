//! `:models`: one row per model with its endpoint, deployed version and key numbers.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::pipeline::placeholder;
use super::widgets::{health_mark, list_title, panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::quality;
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
        "MODEL", "KIND", "ENDPOINT", "STATUS", "DEPLOYED", "DRIFT", "QUALITY", "TRAINED",
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
        let stage = |s: Stage| {
            app.health
                .get(&m.name)
                .map_or(String::new(), |h| h.stage(s).summary.clone())
        };
        let quality = quality_cell(stage(Stage::Quality), m, app);
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
            Cell::from(stage(Stage::Drift)),
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
        Constraint::Length(16),
        Constraint::Length(18),
        Constraint::Length(10),
    ];
    let table = Table::new(rows, widths).header(header).block(block);
    render_list(frame, area, table, theme, app.cursor, app.rows.len());
}

/// "MAPE 18.2% ↑ 20m": the quality cell, which way the metric it names is heading,
/// and for how long it has been out of bounds.
fn quality_cell(summary: String, m: &crate::model::ModelFacts, app: &App) -> String {
    let judged = quality::judge(m, &app.rules, app.now);
    let Some(j) = quality::shown(&judged) else {
        return summary;
    };
    let arrow = j.trend.map_or("", |t| t.arrow());
    let breach = j.breached_since.map_or(String::new(), |t| {
        format!(" {}", format::age_brief(app.now.duration_since(t)))
    });
    format!("{summary} {arrow}{breach}")
}
