//! An ECS service and a Lambda ETL in the detail view: the service's revisions,
//! tasks, targets and what stopped (the endpoint panel), and what is wrong with
//! either in the reasons above the charts, in ECS's, the load balancer's and the
//! function's log's own words.

use jiff::Timestamp;
use ratatui::layout::Constraint;
use ratatui::widgets::{Cell, Row, Table};

use super::super::widgets::{panel, truncate, truncate_left};
use crate::config::Theme;
use crate::model::ecs::EcsService;
use crate::model::facts::{EndpointFacts, ModelFacts};
use crate::model::format;

/// Stopped tasks shown in the panel.
const STOPPED_SHOWN: usize = 3;

/// Rows the service's panel needs below its header.
pub fn rows(s: &EcsService) -> u16 {
    let event = usize::from(!s.events.is_empty());
    let lines = 3 + s.unhealthy.len().min(2) + s.stopped.len().min(STOPPED_SHOWN) + event;
    u16::try_from(lines).unwrap_or(u16::MAX)
}

pub fn table<'a>(
    ep: &EndpointFacts,
    s: &EcsService,
    now: Timestamp,
    theme: &Theme,
    width: u16,
) -> Table<'a> {
    let text_width = usize::from(width.saturating_sub(2 + 8 + 2)).max(12);
    let image_tag = |image: &Option<String>| {
        image
            .as_deref()
            .and_then(|i| i.rsplit_once(':'))
            .map_or(String::new(), |(_, tag)| tag.to_string())
    };
    let mut rows = vec![
        Row::new(vec![
            Cell::from(truncate_left(
                &format!("● {}", s.task_definition),
                text_width,
            )),
            Cell::from(image_tag(&s.image)),
        ])
        .style(theme.text),
        Row::new(vec![
            Cell::from(match &s.previous {
                Some(p) => format!("↺ {p}"),
                None => "↺ no earlier revision".to_string(),
            }),
            Cell::from(String::new()),
        ])
        .style(theme.dim),
    ];
    let rollout = s
        .primary()
        .and_then(|d| d.rollout.as_deref())
        .map(|r| format!(" · rollout {}", r.to_lowercase().replace('_', " ")))
        .unwrap_or_default();
    rows.push(Row::new(vec![
        Cell::from(truncate(
            &format!(
                "  tasks {}/{} · targets {}{rollout}",
                s.running,
                s.desired,
                match s.targets_unhealthy() {
                    Some(bad) => format!("{} healthy, {bad} not", s.healthy_targets),
                    None => "?".to_string(),
                }
            ),
            text_width,
        )),
        Cell::from(String::new()),
    ]));
    for t in s.unhealthy.iter().take(2) {
        let why = t
            .description
            .as_deref()
            .or(t.reason.as_deref())
            .unwrap_or("");
        rows.push(
            Row::new(vec![
                Cell::from(truncate(
                    &format!("  ✖ {} {}: {why}", t.target, t.state),
                    text_width,
                )),
                Cell::from(String::new()),
            ])
            .style(theme.warn),
        );
    }
    for t in s.stopped.iter().take(STOPPED_SHOWN) {
        let code = t.exit_code.map_or(String::new(), |c| format!(" exit {c}"));
        rows.push(
            Row::new(vec![
                Cell::from(truncate(
                    &format!("  ■ {} {}{code}", t.task_definition, t.reason),
                    text_width,
                )),
                Cell::from(
                    t.stopped_at
                        .map_or(String::new(), |at| format::age_since(at, now)),
                ),
            ])
            .style(theme.dim),
        );
    }
    // ECS's own newest word on the service (a steady state, a failed deployment).
    if let Some((at, message)) = s.events.first() {
        rows.push(
            Row::new(vec![
                Cell::from(truncate(&format!("  » {message}"), text_width)),
                Cell::from(format::age_since(*at, now)),
            ])
            .style(theme.dim),
        );
    }
    Table::new(rows, [Constraint::Fill(1), Constraint::Length(8)])
        .header(
            Row::new(vec![format!("{} ({})", s.id(), ep.status), String::new()]).style(theme.title),
        )
        .block(panel(theme, " ECS service · ● serving ↺ rollback target "))
}

/// What is wrong with the model's service and ETL, for the reasons line.
pub fn troubles(m: &ModelFacts, now: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = m.endpoint.as_ref().and_then(|e| e.ecs.as_deref()) {
        if let Some(t) = s.stopped.first() {
            let code = t
                .exit_code
                .map_or(String::new(), |c| format!(", exit code {c}"));
            let container = t
                .container
                .as_deref()
                .map_or(String::new(), |c| format!(" ({c}{code})"));
            let when = t.stopped_at.map_or(String::new(), |at| {
                format!(" {} ago", format::age_since(at, now))
            });
            out.push(format!(
                "✖ task of {} stopped{when}: {}{container}",
                t.task_definition, t.reason
            ));
        }
        if let Some(t) = s.unhealthy.iter().find(|t| t.state != "draining") {
            let why = t
                .description
                .as_deref()
                .or(t.reason.as_deref())
                .unwrap_or("no reason given");
            out.push(format!("⚠ target {} {}: {why}", t.target, t.state));
        }
    }
    if let Some(etl) = m.data.as_ref().and_then(|d| d.lambda.as_deref()) {
        if etl.failed() {
            let when = etl.last_failure.map_or(String::new(), |at| {
                format!(" in the hour from {}", at.strftime("%H:%M UTC"))
            });
            let why = etl
                .log_tail
                .first()
                .map_or("see its log".to_string(), Clone::clone);
            out.push(format!("✖ Lambda ETL {} failed{when}: {why}", etl.function));
        }
        if let (Some(depth), Some(dlq)) = (etl.dlq_depth.filter(|d| *d > 0), &etl.dlq) {
            out.push(format!(
                "⚠ {depth} failed events wait in its dead-letter queue {dlq}: redrive them once fixed"
            ));
        }
        if let (Some(late), Some(s)) = (etl.late_by(now), &etl.schedule) {
            out.push(format!(
                "⚠ Lambda ETL {} is {} late on {} ({}): no clean run since",
                etl.function,
                format::age_brief(late),
                s.expression,
                s.by
            ));
        }
    }
    out
}
