//! `:models`: one row per model with its endpoint, deployed version and key numbers.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::chart;
use super::pipeline::placeholder;
use super::widgets::{health_mark, list_title, panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::quality;
use crate::model::{format, Stage};

const SPARK_WIDTH: usize = 8;
const KIND_COLUMN: usize = 1;
const ENDPOINT_COLUMN: usize = 2;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let total = app.fleet().data().map_or(0, |f| f.models.len());
    let block = panel(
        theme,
        list_title("models", app.rows().len(), total, app.filter()),
    );
    let Some(fleet) = app.fleet().data() else {
        return placeholder(frame, area, app, theme, block);
    };
    // The endpoint is usually named like the model, and the quality metric says the
    // kind: the first columns to give way to the model's name.
    let hidden: Vec<usize> = [(ENDPOINT_COLUMN, 150), (KIND_COLUMN, 140)]
        .into_iter()
        .filter(|(_, min_width)| area.width < *min_width)
        .map(|(column, _)| column)
        .collect();
    let keep = |columns| columns_shown(columns, &hidden);
    let header = Row::new(keep(
        [
            "MODEL", "KIND", "ENDPOINT", "STATUS", "DEPLOYED", "DRIFT", "QUALITY", "3H", "TRAINED",
            "  $/DAY",
        ]
        .map(Cell::from)
        .to_vec(),
    ))
    .style(theme.title);
    let rows = app.rows().iter().filter_map(|row| {
        let m = fleet.models.get(row.index)?;
        // Each account and region fails on its own: a row is as stale as its scope.
        let (mark, style) = health_mark(theme, row.health, app.all_stale_in(row.scope));
        let ep = m.endpoint.as_ref();
        let deployed = m
            .registry
            .iter()
            .find(|v| v.deployed)
            .map_or("—".to_string(), |v| format!("v{}", v.version));
        let stage = |s: Stage| {
            app.health()
                .get(&m.name)
                .map_or(String::new(), |h| h.stage(s).summary.clone())
        };
        // The quality metric the cell shows, judged once for the cell and its sparkline.
        let judged = quality::judge(m, app.rules(), app.now());
        let shown = quality::shown(&judged);
        let quality = quality_cell(stage(Stage::Quality), shown, app);
        let spark = shown
            .and_then(|j| m.metrics.get(&j.metric))
            .map_or(String::new(), |s| chart::spark_text(s, SPARK_WIDTH));
        let trained = m
            .training
            .iter()
            .find_map(|r| {
                r.ended
                    .filter(|_| r.status == crate::model::facts::RunStatus::Completed)
            })
            .map_or("—".to_string(), |t| {
                format!("{} ago", format::age_since(t, app.now()))
            });
        Some(Row::new(keep(vec![
            Cell::from(Line::from(vec![
                Span::styled(mark, style),
                Span::raw(format!(" {}", row.label)),
            ])),
            Cell::from(m.kind.label()),
            Cell::from(ep.map_or("—".to_string(), |e| e.name.clone())),
            Cell::from(ep.map_or("—".to_string(), |e| e.status.clone())),
            Cell::from(deployed),
            Cell::from(stage(Stage::Drift)),
            Cell::from(quality),
            Cell::from(spark).style(theme.chart),
            Cell::from(trained),
            // Tagged spend, when the account tags resources by model.
            Cell::from(
                fleet
                    .cost
                    .as_ref()
                    .and_then(|c| c.model_daily(&m.name))
                    .map_or(String::new(), |v| format!("{:>7}", super::header::money(v))),
            ),
        ])))
    });
    let widths = columns_shown(
        vec![
            Constraint::Fill(3),
            Constraint::Length(14),
            Constraint::Fill(3),
            Constraint::Length(11),
            Constraint::Length(8),
            Constraint::Length(16),
            Constraint::Length(18),
            Constraint::Length(SPARK_WIDTH as u16),
            Constraint::Length(10),
            Constraint::Length(7),
        ],
        &hidden,
    );
    let table = Table::new(rows, widths).header(header).block(block);
    render_list(frame, area, table, theme, app.cursor(), app.rows().len());
}

/// The columns (header, cells or widths) without the hidden ones.
fn columns_shown<T>(columns: Vec<T>, hidden: &[usize]) -> Vec<T> {
    columns
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, c)| c)
        .collect()
}

/// "MAPE 18.2% ↑ 20m": the quality cell, which way the metric it names is heading,
/// and for how long it has been out of bounds.
fn quality_cell(summary: String, shown: Option<&quality::Judged>, app: &App) -> String {
    let Some(j) = shown else {
        return summary;
    };
    let arrow = j.trend.map_or("", |t| t.arrow());
    let breach = j.breached_since.map_or(String::new(), |t| {
        format!(" {}", format::age_brief(app.now().duration_since(t)))
    });
    format!("{summary} {arrow}{breach}")
}
