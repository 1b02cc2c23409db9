//! The model detail view: every stage at a glance, why it is red, charts of every
//! metric with threshold lines, and the history tables (training, registry, configs).

mod changes;
mod dags;
mod drift;
mod identity;
mod services;
mod tables;
mod workload;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::chart::{self, ChartSpec};
use super::widgets::{health_mark, panel, stage_cell};
use crate::app::App;
use crate::config::Theme;
use crate::model::facts::{ModelFacts, RunSource, RunStatus};
use crate::model::metrics::{names, Series};
use crate::model::stages::error_rates;
use crate::model::{ModelHealth, Stage};

/// Charts get full line charts when each can have at least this many rows.
const FULL_CHART_ROWS: u16 = 7;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let found = app.detail().and_then(|name| {
        let model = app.fleet().data()?.model(name)?;
        Some((model, app.health().get(name)?))
    });
    let Some((model, health)) = found else {
        let msg = format!(
            "model {} is no longer in the fleet",
            app.detail().unwrap_or("?")
        );
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.warn)
                .block(panel(theme, " model ")),
            area,
        );
        return;
    };
    let (mark, style) = health_mark(theme, health.overall, app.all_stale_in(model.scope.index));
    let title = Line::from(vec![
        Span::raw(" "),
        Span::styled(mark, style),
        Span::styled(format!(" {} ", model.name), theme.title),
        Span::styled(
            format!(
                "· {}{} · [ ] prev/next ",
                model.kind.label(),
                model
                    .identity
                    .as_ref()
                    .map(|i| format!(" · by {}", i.by.label()))
                    .unwrap_or_default()
            ),
            theme.dim,
        ),
    ]);
    let block = panel(theme, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut why = reasons(model, app.now());
    // An alarm on the model that pages nobody watches while no one is told.
    let silent = app
        .fleet()
        .data()
        .into_iter()
        .flat_map(|f| &f.alarms)
        .filter(|a| a.model.as_deref() == Some(model.name.as_str()) && a.pages_nobody());
    why.extend(silent.map(|a| format!("⚠ alarm {} notifies no one (no AlarmActions)", a.name)));
    // A row before production says what promoting it would change there.
    let promotion = app.fleet().data().and_then(|f| {
        crate::model::environments::production_of(f, model)
            .map(|prod| crate::model::environments::promotion(model, prod))
    });
    why.extend(promotion.map(|p| format!("↑ {p}")));
    // Failure reasons wrap onto a second line; more than two lines would crowd the charts.
    let why_height = if why.is_empty() { 0 } else { 2 };
    let since = changes::since_line(&model.name, app, theme);
    let pair = crate::ui::scopes::failover_line(app, model, theme);
    let [strip, pair_area, since_area, why_area, rest] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(u16::from(pair.is_some())),
        Constraint::Length(u16::from(since.is_some())),
        Constraint::Length(why_height),
        Constraint::Fill(1),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(stage_strip(model, health, app, theme, inner.width)),
        strip,
    );
    if let Some(pair) = pair {
        frame.render_widget(Paragraph::new(pair), pair_area);
    }
    if let Some(since) = since {
        frame.render_widget(Paragraph::new(since), since_area);
    }
    let why_lines: Vec<Line> = why
        .into_iter()
        .map(|w| Line::styled(w, theme.crit))
        .collect();
    frame.render_widget(
        Paragraph::new(why_lines).wrap(Wrap { trim: true }),
        why_area,
    );

    let specs = charts(model, app);
    let deploys: Vec<jiff::Timestamp> = app
        .model_changes(&model.name)
        .filter(|c| c.kind.is_deploy())
        .map(|c| c.time)
        .collect();
    let marks = chart::Marks {
        deploys: &deploys,
        now: app.now(),
        window_min: crate::model::metrics::WINDOW_MINUTES as f64,
    };
    if rest.width >= 120 {
        let [charts_area, tables_area] =
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                .areas(rest);
        draw_charts(frame, charts_area, &specs, &marks, theme);
        tables::draw(frame, tables_area, model, app, theme, true);
    } else {
        // Full charts in two columns when they fit above tables that still show every
        // rollback target, else sparklines.
        let full_rows = FULL_CHART_ROWS
            .saturating_mul(u16::try_from(specs.len().div_ceil(2)).unwrap_or(u16::MAX));
        let tables_rows = tables::side_by_side_height(model);
        let full = rest.width >= 90 && rest.height >= full_rows + tables_rows;
        let compact_rows = u16::try_from(specs.len())
            .unwrap_or(u16::MAX)
            .saturating_add(2)
            .min(rest.height.saturating_sub(5));
        let chart_height = if full {
            full_rows.max(rest.height - tables_rows)
        } else {
            compact_rows
        };
        let [charts_area, tables_area] =
            Layout::vertical([Constraint::Length(chart_height), Constraint::Fill(1)]).areas(rest);
        draw_charts(frame, charts_area, &specs, &marks, theme);
        tables::draw(frame, tables_area, model, app, theme, false);
    }
}

/// The six stages in one line, as in the pipeline row.
fn stage_strip<'a>(
    model: &ModelFacts,
    health: &ModelHealth,
    app: &App,
    theme: &Theme,
    width: u16,
) -> Line<'a> {
    let full: usize = health.stages.iter().map(|s| s.summary.width() + 10).sum();
    let brief = full > usize::from(width);
    let mut spans = Vec::new();
    for stage in Stage::ALL {
        let status = health.stage(stage);
        let (text, title, gap) = match brief {
            true => (&status.brief, stage.short_title(), " "),
            false => (&status.summary, stage.title(), "  "),
        };
        let stale = app.stage_is_stale_in(model.scope.index, stage) || model.is_stale_at(stage);
        let cell = stage_cell(theme, status, stale, text.width() + 2);
        spans.push(Span::styled(format!("{title} "), theme.dim));
        spans.extend(cell.spans);
        spans.push(Span::raw(gap));
    }
    Line::from(spans)
}

/// The "why" of a red row, in AWS's (and Airflow's) own words.
fn reasons(m: &ModelFacts, now: jiff::Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(run) = m.training.first().filter(|r| r.status == RunStatus::Failed) {
        let reason = run.failure_reason.as_deref().unwrap_or("no reason given");
        let task = match (&run.detail.failed_task, &run.detail.failed_state) {
            (Some(t), _) => format!(" at task {t}"),
            (None, Some(state)) => format!(" in state {state}"),
            (None, None) => String::new(),
        };
        // Runs outside SageMaker say who ran them.
        let by = match run.source {
            RunSource::Airflow | RunSource::Mlflow | RunSource::StepFunctions => {
                format!(" ({})", run.source.label())
            }
            RunSource::SageMaker | RunSource::Pipeline => String::new(),
        };
        out.push(format!(
            "✖ training {}{by} failed{task}: {reason}",
            run.name
        ));
        // The log's other error lines, the exception itself being the reason above.
        let others: Vec<&String> = run
            .detail
            .log_tail
            .iter()
            .filter(|l| *l != reason)
            .collect();
        for line in others.iter().skip(others.len().saturating_sub(2)) {
            out.push(format!("    {line}"));
        }
    }
    out.extend(dags::troubles(m, now));
    out.extend(services::troubles(m, now));
    out.extend(workload::troubles(m));
    if let Some(reason) = m.endpoint.as_ref().and_then(|e| e.failure_reason.as_ref()) {
        out.push(format!("✖ endpoint: {reason}"));
    }
    if let Some(failure) = m.drift.monitoring.as_ref().and_then(|r| r.failure()) {
        out.push(format!("⚠ drift unknown: {failure}"));
    }
    if let Some(problem) = &m.drift.report_problem {
        out.push(format!("⚠ drift report: {problem}"));
    }
    for s in &m.stale {
        let from = s.since.map_or("never refreshed".to_string(), |t| {
            t.strftime("from %H:%M UTC").to_string()
        });
        out.push(format!("⚠ old facts ({from}): {}", s.why));
    }
    out
}

/// Model Monitor's per-feature drift distances, worst first.
fn feature_drift(m: &ModelFacts) -> Vec<(&str, &Series)> {
    let mut features: Vec<(&str, &Series)> = m
        .metrics
        .iter()
        .filter_map(|(k, s)| Some((k.strip_prefix(names::FEATURE_DRIFT_PREFIX)?, s)))
        .collect();
    let latest = |s: &Series| s.latest().map_or(f64::MIN, |(_, v)| v);
    features.sort_by(|a, b| latest(b.1).total_cmp(&latest(a.1)));
    features
}

fn charts(m: &ModelFacts, app: &App) -> Vec<ChartSpec> {
    let get = |n: &str| m.metrics.get(n).cloned().unwrap_or_default();
    let threshold = |n: &str| app.rules().threshold(&m.name, n);
    let [(_, rate5), (_, rate4)] = error_rates(m);
    let mut specs = vec![
        ChartSpec {
            title: "Invocations/min".into(),
            metric: names::INVOCATIONS.into(),
            lines: vec![("inv".into(), get(names::INVOCATIONS))],
            threshold: None,
        },
        ChartSpec {
            title: "Latency p99".into(),
            metric: names::LATENCY_P99.into(),
            lines: vec![
                ("p99".into(), get(names::LATENCY_P99)),
                ("p50".into(), get(names::LATENCY_P50)),
            ],
            threshold: threshold(names::LATENCY_P99),
        },
        ChartSpec {
            title: "5xx rate".into(),
            metric: names::RATE_5XX.into(),
            lines: vec![("5xx".into(), rate5), ("4xx".into(), rate4)],
            threshold: threshold(names::RATE_5XX),
        },
    ];
    // Instance metrics exist only where SageMaker publishes them (not in the demo).
    if m.metrics.contains_key(names::CPU) || m.metrics.contains_key(names::MEMORY) {
        specs.push(ChartSpec {
            title: "CPU / memory %".into(),
            metric: names::CPU.into(),
            lines: vec![
                ("cpu".into(), get(names::CPU)),
                ("mem".into(), get(names::MEMORY)),
            ],
            threshold: None,
        });
    }
    // Every quality metric with data, the team's own included; the most important
    // one even without, so a missing metric shows as an empty chart, not as nothing.
    let judged = crate::model::quality::judge(m, app.rules(), app.now());
    let with_data: Vec<String> = judged
        .iter()
        .filter(|j| j.value.is_some())
        .map(|j| j.metric.clone())
        .collect();
    let shown = match with_data.is_empty() {
        true => judged.into_iter().take(1).map(|j| j.metric).collect(),
        false => with_data,
    };
    for q in shown {
        specs.push(ChartSpec {
            title: q.clone(),
            metric: q.clone(),
            lines: vec![(q.clone(), get(&q))],
            threshold: threshold(&q),
        });
    }
    // The team's score, or Model Monitor's three worst features; drift computed
    // from captured traffic has its own panel, so no empty chart beside it.
    let features = feature_drift(m);
    let has_score = m.metrics.contains_key(names::DRIFT_SCORE);
    if !has_score && features.is_empty() && m.drift.captured.is_some() {
        return specs;
    }
    let drift = match (has_score, features.is_empty()) {
        (false, false) => ChartSpec {
            title: "Feature drift".into(),
            metric: names::FEATURE_DRIFT.into(),
            lines: features
                .iter()
                .take(3)
                .map(|(f, s)| (f.to_string(), (*s).clone()))
                .collect(),
            threshold: threshold(names::FEATURE_DRIFT),
        },
        _ => ChartSpec {
            title: "Drift score".into(),
            metric: names::DRIFT_SCORE.into(),
            lines: vec![("drift".into(), get(names::DRIFT_SCORE))],
            threshold: threshold(names::DRIFT_SCORE),
        },
    };
    specs.push(drift);
    specs
}

fn draw_charts(
    frame: &mut Frame,
    area: Rect,
    specs: &[ChartSpec],
    marks: &chart::Marks,
    theme: &Theme,
) {
    if specs.is_empty() || area.height < 3 {
        return;
    }
    let columns: u16 = if area.width >= 70 { 2 } else { 1 };
    // However many metrics a model has, at most a screen's worth of rows.
    let count = u16::try_from(specs.len()).unwrap_or(u16::MAX).max(1);
    let rows = count.div_ceil(columns);
    if area.height / rows >= FULL_CHART_ROWS {
        let row_areas = Layout::vertical(vec![Constraint::Fill(1); rows as usize]).split(area);
        for (i, spec) in specs.iter().enumerate() {
            let row = row_areas[i / columns as usize];
            let cells = Layout::horizontal(vec![Constraint::Fill(1); columns as usize]).split(row);
            chart::full(frame, cells[i % columns as usize], spec, marks, theme);
        }
        return;
    }
    let block = panel(theme, " metrics, last 3h ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // Sparklines grow up to three rows tall when the panel has the room.
    let each = (inner.height / count).clamp(1, 3);
    for (i, spec) in specs
        .iter()
        .take((inner.height / each) as usize)
        .enumerate()
    {
        let line = Rect {
            y: inner
                .y
                .saturating_add(u16::try_from(i).unwrap_or(u16::MAX).saturating_mul(each)),
            height: each,
            ..inner
        };
        chart::compact(frame, line, spec, marks, theme);
    }
}
