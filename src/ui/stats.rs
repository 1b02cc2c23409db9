//! `:stats`: the AWS requests this session made, per operation, with what they cost
//! at list prices. Polling is real money; this is where it shows.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::widgets::{panel, render_list};
use crate::app::App;
use crate::config::Theme;
use crate::model::format;
use crate::model::polling::Spending;
use crate::model::pricing::{self, METRICS_REQUESTED};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // The metrics GetMetricData asked for are what CloudWatch bills, not requests.
    let total_calls: u64 = app
        .api_calls()
        .iter()
        .filter(|(op, _)| pricing::counts_requests(op))
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
    let mut rows: Vec<Row> = if app.api_calls().is_empty() {
        vec![Row::new(["no AWS requests yet (the demo makes none)"]).style(theme.dim)]
    } else {
        app.api_calls()
            .iter()
            .map(|(op, n)| {
                let label = match op.as_str() {
                    METRICS_REQUESTED => "  └ metrics requested (billed per metric)".to_string(),
                    op if op.ends_with("/samples") => {
                        "  └ samples processed (AMP bills them)".to_string()
                    }
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
    if let Some(spend) = app.fleet().data().and_then(|f| f.spending.as_deref()) {
        rows.extend(polling_rows(spend, theme));
    }
    let count = rows.len();
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
    // Several accounts or regions: each one's requests and price above the list.
    let scopes = scope_rows(app);
    let height = match scopes.len() > 1 {
        true => u16::try_from(scopes.len().min(16)).unwrap_or(16) + 3,
        false => 0,
    };
    let [by_scope, list] =
        Layout::vertical([Constraint::Length(height), Constraint::Fill(1)]).areas(area);
    if height > 0 {
        let widths = [
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(12),
        ];
        let table = Table::new(scopes, widths)
            .header(Row::new(["ACCOUNT · REGION", "REQUESTS", "EST. COST"]).style(theme.title))
            .block(panel(theme, " by account and region "));
        frame.render_widget(table, by_scope);
    }
    render_list(frame, list, table, theme, app.cursor(), count);
}

/// Requests and their price per account and region.
fn scope_rows<'a>(app: &App) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (ix, calls) in app.calls_by_scope() {
        let name = app
            .context()
            .scope(*ix)
            .map_or_else(|| format!("scope {ix}"), |s| s.name());
        let requests: u64 = calls
            .iter()
            .filter(|(op, _)| pricing::counts_requests(op))
            .map(|(_, n)| n)
            .sum();
        let cost: f64 = calls.iter().map(|(op, n)| pricing::estimate(op, *n)).sum();
        rows.push(Row::new(vec![
            Cell::from(name),
            Cell::from(format!("{requests:>8}")),
            Cell::from(format!("{:>11}", format!("${cost:.4}"))),
        ]));
    }
    rows
}

/// What the metric polling costs per class of model, at the pace it has now.
fn polling_rows<'a>(s: &Spending, theme: &Theme) -> Vec<Row<'a>> {
    let mut rows = vec![
        Row::new([""]),
        Row::new(vec![
            Cell::from(format!(
                "metric polling · last 24 h ${:.4} · at this pace ${:.4}/day · budget ${:.2} in any 24 h",
                s.spent_last_24h, s.projected_per_day, s.budget_per_day
            )),
            Cell::from("METRICS"),
            Cell::from("   PER DAY"),
        ])
        .style(theme.title),
    ];
    for t in &s.tiers {
        let pace = match t.every_seconds {
            Some(every) => format!(
                "every {}",
                format::age(jiff::SignedDuration::from_secs(
                    i64::try_from(every).unwrap_or(i64::MAX)
                ))
            ),
            None => "paused by the budget".into(),
        };
        let plural = if t.models == 1 { "" } else { "s" };
        rows.push(Row::new(vec![
            Cell::from(format!(
                "  {}: {} model{plural}, {pace}",
                t.watch.label(),
                t.models
            )),
            Cell::from(format!("{:>8}", t.metrics)),
            Cell::from(format!("{:>11}", format!("${:.4}", t.per_day))),
        ]));
    }
    if let Some(why) = &s.slowed {
        rows.push(Row::new([format!("  ⚠ {why}")]).style(theme.warn));
    }
    rows
}
