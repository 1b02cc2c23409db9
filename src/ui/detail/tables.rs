//! The history tables of the detail view: training runs, registry versions, and the
//! endpoint's variants and configs (the rollback targets), with the drift panel
//! below them when stacked.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::super::chart::spark_text;
use super::super::widgets::{panel, truncate, truncate_left};
use crate::app::App;
use crate::config::Theme;
use crate::model::changes::Change;
use crate::model::facts::{Approval, EndpointConfigRef, ModelFacts, RunSource, RunStatus};
use crate::model::metrics::Series;
use crate::model::{format, Health};

/// Stacked when `tall`, else two columns side by side.
pub fn draw(frame: &mut Frame, area: Rect, m: &ModelFacts, app: &App, theme: &Theme, tall: bool) {
    let training_width = if tall {
        area.width
    } else {
        area.width * 55 / 100
    };
    let training = training(m, app, theme, training_width);
    let registry = registry(m, app, theme);
    // Drawn once its area is known: why each target is one only when all fit.
    let endpoint = |area: Rect| endpoint(m, app, theme, area);
    if tall {
        let traces = traces(m, app, theme);
        let recognised = super::identity::panel_of(m, theme);
        let changes = super::changes::panel_of(&m.name, app, theme, area.width);
        let heights = [
            u16::try_from(m.training.len().min(5))
                .unwrap_or(u16::MAX)
                .saturating_add(3),
            u16::try_from(m.registry.len().min(5))
                .unwrap_or(u16::MAX)
                .saturating_add(3),
            endpoint_rows(m) + 3,
            traces.as_ref().map_or(0, |(_, lines)| lines + 2),
            // What is left after the tables, at most half of it.
            recognised
                .as_ref()
                .map_or(0, |(_, h)| (*h).min(area.height / 4)),
            changes.as_ref().map_or(0, |(_, h)| *h),
        ];
        let [training_area, registry_area, endpoint_area, traces_area, recognised_area, changes_area, drift_area] =
            Layout::vertical([
                Constraint::Length(heights[0]),
                Constraint::Length(heights[1]),
                Constraint::Length(heights[2]),
                Constraint::Length(heights[3]),
                Constraint::Length(heights[4]),
                Constraint::Length(heights[5]),
                Constraint::Fill(1),
            ])
            .areas(area);
        frame.render_widget(training, training_area);
        frame.render_widget(registry, registry_area);
        frame.render_widget(endpoint(endpoint_area), endpoint_area);
        if let Some((panel, _)) = traces {
            frame.render_widget(panel, traces_area);
        }
        if let Some((panel, _)) = recognised {
            frame.render_widget(panel, recognised_area);
        }
        if let Some((panel, _)) = changes {
            frame.render_widget(panel, changes_area);
        }
        super::drift::draw(frame, drift_area, m, app, theme);
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        let [reg, ep] =
            Layout::vertical([Constraint::Length(registry_height(m)), Constraint::Fill(1)])
                .areas(right);
        // Drift gets what the training runs leave of the left column.
        let d = &m.drift;
        let has_drift = d.captured.is_some() || d.report_time.is_some() || d.monitoring.is_some();
        let training_rows = u16::try_from(m.training.len())
            .unwrap_or(u16::MAX)
            .saturating_add(3);
        match has_drift && left.height > training_rows + 4 {
            true => {
                let [train_area, drift_area] =
                    Layout::vertical([Constraint::Length(training_rows), Constraint::Fill(1)])
                        .areas(left);
                frame.render_widget(training, train_area);
                super::drift::draw(frame, drift_area, m, app, theme);
            }
            false => frame.render_widget(training, left),
        }
        frame.render_widget(registry, reg);
        frame.render_widget(endpoint(ep), ep);
    }
}

/// Rows the side-by-side tables need to show every rollback target: the registry
/// above the endpoint's variants and configs.
pub fn side_by_side_height(m: &ModelFacts) -> u16 {
    registry_height(m) + endpoint_rows(m) + 3
}

fn registry_height(m: &ModelFacts) -> u16 {
    u16::try_from(m.registry.len().min(4))
        .unwrap_or(u16::MAX)
        .saturating_add(3)
}

fn endpoint_rows(m: &ModelFacts) -> u16 {
    m.endpoint.as_ref().map_or(1, |e| match (&e.ecs, &e.k8s) {
        (Some(s), _) => super::services::rows(s) + 1,
        (None, Some(w)) => super::workload::rows(w) + 1,
        (None, None) => {
            // A rollback target says why it is one on a second line.
            let targets = e.config_history.iter().filter(|c| c.name != e.config_name);
            let lines = e.variants.len() + e.config_history.len() + targets.count();
            u16::try_from(lines).unwrap_or(u16::MAX).saturating_add(1)
        }
    })
}

fn training<'a>(m: &'a ModelFacts, app: &App, theme: &Theme, width: u16) -> Table<'a> {
    // Narrow panels give up the objective column before the job name.
    let with_objective = width >= 70;
    // Who ran each run, when more than SageMaker did.
    let with_source = m
        .training
        .iter()
        .any(|r| !matches!(r.source, RunSource::SageMaker | RunSource::Pipeline));
    let fixed =
        2 + 10 + 6 + 7 + 4 + if with_objective { 15 } else { 0 } + if with_source { 8 } else { 0 };
    let name_width = usize::from(width.saturating_sub(fixed)).max(8);
    let rows = m.training.iter().map(|r| {
        let h = match r.status {
            RunStatus::Completed => Health::Ok,
            RunStatus::Failed => Health::Crit,
            RunStatus::Stopped | RunStatus::Stopping => Health::Warn,
            RunStatus::InProgress => Health::Unknown,
        };
        let took = r.ended.map_or("running".to_string(), |e| {
            format::age_brief(e.duration_since(r.started))
        });
        // ▸ marks the job that wrote what the endpoint serves.
        let name = match r.serving {
            true => format!("▸{}", truncate_left(&r.name, name_width.saturating_sub(1))),
            false => truncate_left(&r.name, name_width),
        };
        let mut cells = vec![
            Cell::from(name),
            Cell::from(r.status.label()).style(theme.health(h)),
            Cell::from(took),
            Cell::from(format::age_since(r.started, app.now())),
        ];
        if with_objective {
            // A failed DAG run's failed task says more than a metric it never logged.
            let objective = match (&r.detail.failed_task, &r.objective) {
                (Some(task), _) => format!("task {task}"),
                (None, Some((n, v))) => format!("{} {v:.3}", n.trim_start_matches("validation:")),
                (None, None) => "—".to_string(),
            };
            cells.insert(3, Cell::from(objective));
        }
        if with_source {
            cells.insert(1, Cell::from(r.source.label()).style(theme.dim));
        }
        Row::new(cells)
    });
    let mut widths = vec![
        Constraint::Fill(3),
        Constraint::Length(10),
        Constraint::Length(5),
        Constraint::Length(7),
    ];
    let mut header = vec!["JOB", "STATUS", "TOOK", "STARTED"];
    if with_objective {
        widths.insert(3, Constraint::Length(14));
        header.insert(3, "OBJECTIVE");
    }
    if with_source {
        widths.insert(1, Constraint::Length(9));
        header.insert(1, "BY");
    }
    let mut title = match m.training.iter().any(|r| r.serving) {
        true => " training (▸ serving) ".to_string(),
        false => " training ".to_string(),
    };
    if let Some(curve) = curve(m) {
        title.push_str(&format!("· {curve} "));
    }
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.title))
        .block(panel(theme, title))
}

/// The newest MLflow run's first key metric step by step: "auc by step ▂▅█ 0.84→0.91".
fn curve(m: &ModelFacts) -> Option<String> {
    let (key, values) = m.training.iter().find_map(|r| r.detail.curve.as_ref())?;
    let (first, last) = (values.first()?, values.last()?);
    let points = values
        .iter()
        .enumerate()
        .map(|(step, v)| {
            (
                jiff::Timestamp::UNIX_EPOCH + jiff::SignedDuration::from_secs(step as i64),
                *v,
            )
        })
        .collect();
    let spark = spark_text(&Series::new(points), 12);
    Some(format!("{key} by step {spark} {first:.3}→{last:.3}"))
}

fn registry<'a>(m: &'a ModelFacts, app: &App, theme: &Theme) -> Table<'a> {
    let mlflow = m.registry.iter().any(|v| v.mlflow.is_some());
    let rows = m.registry.iter().map(|v| {
        let h = match v.approval {
            Approval::Approved => Health::Ok,
            Approval::PendingManualApproval => Health::Warn,
            Approval::Rejected => Health::Unknown,
        };
        // MLflow's words: its aliases, else its legacy stage; no alias is no verdict.
        let (said, h) = match &v.mlflow {
            Some(f) if !f.aliases.is_empty() => (f.aliases.join(","), Health::Ok),
            Some(f) => (
                f.stage.clone().unwrap_or_else(|| "—".into()),
                Health::Unknown,
            ),
            None => (v.approval.label().to_string(), h),
        };
        Row::new(vec![
            Cell::from(format!("v{}", v.version)),
            Cell::from(said).style(theme.health(h)),
            Cell::from(if v.deployed { "deployed" } else { "" }).style(theme.title),
            Cell::from(format::age_since(v.created, app.now())),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Length(5),
            if mlflow {
                Constraint::Min(10)
            } else {
                Constraint::Length(9)
            },
            Constraint::Length(9),
            Constraint::Length(7),
        ],
    )
    .header(
        Row::new([
            "VER",
            if mlflow { "ALIAS" } else { "APPROVAL" },
            "",
            "CREATED",
        ])
        .style(theme.title),
    )
    .block(panel(
        theme,
        if mlflow {
            " registry (mlflow) "
        } else {
            " registry "
        },
    ))
}

fn endpoint<'a>(m: &'a ModelFacts, app: &App, theme: &Theme, area: Rect) -> Table<'a> {
    let width = area.width;
    let Some(ep) = &m.endpoint else {
        return Table::new([Row::new(["no endpoint"])], [Constraint::Fill(1)])
            .block(panel(theme, " endpoint "));
    };
    if let Some(s) = &ep.ecs {
        return super::services::table(ep, s, app.now(), theme, width);
    }
    if let Some(w) = &ep.k8s {
        return super::workload::table(ep, w, theme, width);
    }
    let variants = ep.variants.iter().map(|v| {
        Row::new(vec![
            Cell::from(format!("  {} · weight {:.2}", v.name, v.weight)),
            // The version lines up with the configs' below it.
            Cell::from(v.model_version.map_or(String::new(), |n| format!("v{n}"))),
            Cell::from(format!("{}×", v.instances)),
        ])
    });
    // Borders, the version and age columns with their gaps, and the "● " mark.
    let name_width = usize::from(width.saturating_sub(2 + 4 + 6 + 2 + 2)).max(8);
    // Borders and the header take three rows (one counted in endpoint_rows); the
    // targets' reasons are the first to go.
    let with_reasons = endpoint_rows(m) + 2 <= area.height;
    let configs = ep.config_history.iter().map(move |c| {
        let current = c.name == ep.config_name;
        let version = c.model_version.map_or(String::new(), |v| format!("v{v}"));
        let mark = if current { "●" } else { "↺" };
        let mut name = vec![Line::from(format!(
            "{mark} {}",
            truncate_left(&c.name, name_width)
        ))];
        if !current && with_reasons {
            let why = target_evidence(c, &ep.name, app.changes());
            name.push(Line::from(format!("  {}", truncate(&why, name_width))));
        }
        let height = name.len() as u16;
        Row::new(vec![
            Cell::from(Text::from(name)),
            Cell::from(version),
            Cell::from(format::age_since(c.created, app.now())),
        ])
        .height(height)
        .style(if current { theme.text } else { theme.dim })
    });
    Table::new(
        variants.chain(configs),
        [
            Constraint::Fill(3),
            Constraint::Length(4),
            Constraint::Length(6),
        ],
    )
    .header(
        Row::new(vec![
            format!("{} ({})", ep.name, ep.status),
            String::new(),
            String::new(),
        ])
        .style(theme.title),
    )
    .block(panel(theme, " endpoint · ● current ↺ rollback target "))
}

/// Why a config is a rollback target of `endpoint`: what joined it, and the deploy
/// CloudTrail recorded of it when the changes hold one; `?` when nothing says.
fn target_evidence(c: &EndpointConfigRef, endpoint: &str, changes: &[Change]) -> String {
    let joined = c.evidence.as_ref().map(|(_, why)| why.clone());
    let recorded = Change::newest_deploy(changes, endpoint, &c.name)
        .map(Change::deployed_by)
        .filter(|said| !joined.as_deref().is_some_and(|j| j.contains(said.as_str())));
    match (joined, recorded) {
        (Some(j), Some(r)) => format!("{j}; {r}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "? nothing says why it is this endpoint's".to_string(),
    }
}

/// X-Ray's view of the model: its services' traffic, faults and p99, and the worst
/// trace through them with where its time went. None when X-Ray knows no service of it.
fn traces<'a>(m: &ModelFacts, app: &App, theme: &Theme) -> Option<(Paragraph<'a>, u16)> {
    let t = app.traces()?;
    let services: Vec<_> = t
        .services
        .iter()
        .filter(|s| s.model.as_deref() == Some(m.name.as_str()))
        .collect();
    if services.is_empty() {
        return None;
    }
    let mut lines: Vec<Line> = services
        .iter()
        .map(|s| {
            let p99 = s.p99_ms.map_or("—".into(), |v| format!("{v:.0}ms"));
            let text = format!(
                "{} · {} req · 5xx {:.1}% · 4xx {:.1}% · p99 {p99}",
                s.name, s.requests, s.fault_rate, s.error_rate
            );
            let style = if s.fault_rate >= 1.0 {
                theme.crit
            } else {
                theme.text
            };
            Line::styled(text, style)
        })
        .collect();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let worst = t.traces.iter().find(|tr| {
        tr.waterfall
            .as_ref()
            .is_some_and(|w| w.spans.iter().any(|s| names.contains(&s.name.as_str())))
    });
    if let Some(tr) = worst {
        let culprit = tr
            .culprit()
            .map_or(String::new(), |s| format!(" · most time: {}", s.name));
        lines.push(Line::styled(
            format!(
                "worst trace {} · {} · {:.0}ms{culprit} (:traces)",
                tr.id,
                tr.entry.as_deref().unwrap_or("?"),
                tr.duration_ms
            ),
            theme.dim,
        ));
    }
    let height = lines.len() as u16;
    Some((
        Paragraph::new(lines).block(panel(theme, " traces (X-Ray) ")),
        height,
    ))
}
