//! The history tables of the detail view: training runs, registry versions, and the
//! endpoint's variants and configs (the rollback targets), plus drift violations.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Cell, Row, Table};
use ratatui::Frame;

use super::super::widgets::{panel, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::facts::{Approval, ModelFacts, RunStatus};
use crate::model::{format, Health};

/// Stacked when `tall`, else two columns side by side.
pub fn draw(frame: &mut Frame, area: Rect, m: &ModelFacts, app: &App, theme: &Theme, tall: bool) {
    let training = training(m, app, theme);
    let registry = registry(m, app, theme);
    let endpoint = endpoint(m, app, theme);
    let drift = drift(m, theme);
    if tall {
        let heights = [
            m.training.len().min(5) as u16 + 3,
            m.registry.len().min(5) as u16 + 3,
            endpoint_rows(m) + 3,
        ];
        let areas = Layout::vertical([
            Constraint::Length(heights[0]),
            Constraint::Length(heights[1]),
            Constraint::Length(heights[2]),
            Constraint::Fill(1),
        ])
        .split(area);
        frame.render_widget(training, areas[0]);
        frame.render_widget(registry, areas[1]);
        frame.render_widget(endpoint, areas[2]);
        frame.render_widget(drift, areas[3]);
    } else {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(area);
        let [reg, ep] = Layout::vertical([
            Constraint::Length(m.registry.len().min(4) as u16 + 3),
            Constraint::Fill(1),
        ])
        .areas(right);
        frame.render_widget(training, left);
        frame.render_widget(registry, reg);
        frame.render_widget(endpoint, ep);
    }
}

fn endpoint_rows(m: &ModelFacts) -> u16 {
    m.endpoint.as_ref().map_or(1, |e| {
        (e.variants.len() + e.config_history.len()) as u16 + 1
    })
}

fn training<'a>(m: &'a ModelFacts, app: &App, theme: &Theme) -> Table<'a> {
    let rows = m.training.iter().map(|r| {
        let h = match r.status {
            RunStatus::Completed => Health::Ok,
            RunStatus::Failed => Health::Crit,
            RunStatus::Stopped | RunStatus::Stopping => Health::Warn,
            RunStatus::InProgress => Health::Unknown,
        };
        let took = r.ended.map_or("running".to_string(), |e| {
            format::age(e.duration_since(r.started))
        });
        let objective = r.objective.as_ref().map_or("—".to_string(), |(n, v)| {
            format!("{} {v:.3}", n.trim_start_matches("validation:"))
        });
        Row::new(vec![
            Cell::from(truncate(&r.name, 36)),
            Cell::from(r.status.label()).style(theme.health(h)),
            Cell::from(took),
            Cell::from(objective),
            Cell::from(format::age_since(r.started, app.now)),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Fill(3),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(14),
            Constraint::Length(7),
        ],
    )
    .header(Row::new(["JOB", "STATUS", "TOOK", "OBJECTIVE", "STARTED"]).style(theme.title))
    .block(panel(theme, " training "))
}

fn registry<'a>(m: &'a ModelFacts, app: &App, theme: &Theme) -> Table<'a> {
    let rows = m.registry.iter().map(|v| {
        let h = match v.approval {
            Approval::Approved => Health::Ok,
            Approval::PendingManualApproval => Health::Warn,
            Approval::Rejected => Health::Unknown,
        };
        Row::new(vec![
            Cell::from(format!("v{}", v.version)),
            Cell::from(format!("{:?}", v.approval)).style(theme.health(h)),
            Cell::from(if v.deployed { "● deployed" } else { "" }),
            Cell::from(format::age_since(v.created, app.now)),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Fill(2),
            Constraint::Length(11),
            Constraint::Length(7),
        ],
    )
    .header(Row::new(["VER", "APPROVAL", "", "CREATED"]).style(theme.title))
    .block(panel(theme, " registry "))
}

fn endpoint<'a>(m: &'a ModelFacts, app: &App, theme: &Theme) -> Table<'a> {
    let Some(ep) = &m.endpoint else {
        return Table::new([Row::new(["no endpoint"])], [Constraint::Fill(1)])
            .block(panel(theme, " endpoint "));
    };
    let variants = ep.variants.iter().map(|v| {
        Row::new(vec![
            Cell::from(format!("variant {}", v.name)),
            Cell::from(format!("w {:.2}", v.weight)),
            Cell::from(format!("{}×", v.instances)),
        ])
    });
    let configs = ep.config_history.iter().map(|c| {
        let current = c.name == ep.config_name;
        let version = c.model_version.map_or(String::new(), |v| format!("v{v}"));
        Row::new(vec![
            Cell::from(format!("{} {}", if current { "●" } else { "↺" }, c.name)),
            Cell::from(version),
            Cell::from(format::age_since(c.created, app.now)),
        ])
        .style(if current { theme.text } else { theme.dim })
    });
    Table::new(
        variants.chain(configs),
        [
            Constraint::Fill(3),
            Constraint::Length(7),
            Constraint::Length(7),
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

fn drift<'a>(m: &'a ModelFacts, theme: &Theme) -> Table<'a> {
    let rows = m.drift.violations.iter().map(|v| {
        Row::new(vec![
            Cell::from(v.feature.as_str()),
            Cell::from(v.check.as_str()),
        ])
        .style(theme.warn)
    });
    Table::new(rows, [Constraint::Fill(1), Constraint::Fill(1)])
        .header(Row::new(["FEATURE", "CHECK"]).style(theme.title))
        .block(panel(
            theme,
            format!(" drift violations ({}) ", m.drift.violations.len()),
        ))
}
