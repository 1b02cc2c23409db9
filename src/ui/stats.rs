//! `:stats`: the AWS requests this session made, per operation, with what they cost
//! at list prices. Polling is real money; this is where it shows.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::widgets::{panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::pricing::{self, METRICS_REQUESTED};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The metrics GetMetricData asked for are what CloudWatch bills, not requests.
    let total_calls: u64 = app
        .api_calls()
        .iter()
        .filter(|(op, _)| op.as_str() != METRICS_REQUESTED)
        .map(|(_, n)| n)
        .sum();
    let total_cost: f64 = app
        .api_calls()
        .iter()
        .map(|(op, n)| pricing::estimate(op, *n))
        .sum();
    let title = format!(
        " stats · {total_calls} AWS requests this session · est. ${total_cost:.4} at list prices "
    );
    let rows: Vec<Row> = if app.api_calls().is_empty() {
        vec![Row::new(["no AWS requests yet (the demo makes none)"]).style(theme.dim)]
    } else {
        app.api_calls()
            .iter()
            .map(|(op, n)| {
                let label = match op.as_str() {
                    METRICS_REQUESTED => "  └ metrics requested (billed per metric)".to_string(),
                    _ => op.clone(),
                };
                Row::new(vec![
                    Cell::from(label),
                    Cell::from(format!("{n:>8}")),
                    Cell::from(format!(
                        "{:>11}",
                        format!("${:.4}", pricing::estimate(op, *n))
                    )),
                ])
            })
            .collect()
    };
    let table = Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(12),
        ],
    )
    .header(Row::new(["OPERATION", "REQUESTS", "EST. COST"]).style(theme.title))
    .block(panel(theme, title));
    render_list(
        frame,
        area,
        table,
        theme,
        app.cursor(),
        app.api_calls().len(),
    );
}
