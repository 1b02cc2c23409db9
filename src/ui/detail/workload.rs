//! A model served on Kubernetes in the detail view: the InferenceService's
//! revisions and their traffic (● serving, ↺ what `B` sends traffic back to), or the
//! Deployment's revision, image and replicas; the pods; and what is wrong, in
//! KServe's and the kubelet's own words, in the reasons above the charts.

use ratatui::layout::Constraint;
use ratatui::widgets::{Cell, Row, Table};

use super::super::widgets::{panel, truncate};
use crate::config::Theme;
use crate::model::facts::{EndpointFacts, ModelFacts};
use crate::model::k8s::{Workload, WorkloadKind, PODS};

/// Rows the workload's panel needs below its header.
pub fn rows(w: &Workload) -> u16 {
    let lines = match w.kind {
        WorkloadKind::Kserve => w.traffic.len().max(1) + 2,
        WorkloadKind::Deployment => 3,
    };
    u16::try_from(lines).unwrap_or(u16::MAX)
}

pub fn table<'a>(ep: &EndpointFacts, w: &Workload, theme: &Theme, width: u16) -> Table<'a> {
    let text_width = usize::from(width.saturating_sub(2 + 8 + 2)).max(12);
    let line = |text: String, right: String| {
        Row::new(vec![
            Cell::from(truncate(&text, text_width)),
            Cell::from(right),
        ])
    };
    let mut rows = Vec::new();
    match w.kind {
        WorkloadKind::Kserve => {
            let back_to = w.traffic.iter().find(|t| !t.latest).map(|t| &t.revision);
            for t in &w.traffic {
                let mark = match (t.percent > 0, Some(&t.revision) == back_to) {
                    (true, _) => "●",
                    (false, true) => "↺",
                    (false, false) => " ",
                };
                let role = if t.latest && w.canary().is_some() {
                    " canary"
                } else {
                    ""
                };
                rows.push(
                    line(
                        format!("{mark} {}{role}", t.revision),
                        format!("{}%", t.percent),
                    )
                    .style(if t.percent > 0 { theme.text } else { theme.dim }),
                );
            }
            if w.traffic.is_empty() {
                rows.push(line("no traffic split reported".into(), String::new()).style(theme.dim));
            }
            let url = w.url.as_deref().unwrap_or("no URL yet");
            rows.push(line(format!("  {url}"), String::new()).style(theme.dim));
        }
        WorkloadKind::Deployment => {
            let revision = w.revision.map_or("?".into(), |r| r.to_string());
            let tag = w
                .image
                .as_deref()
                .and_then(|i| i.rsplit_once(':'))
                .map_or(String::new(), |(_, t)| t.to_string());
            rows.push(
                Row::new(vec![
                    Cell::from(truncate(
                        &format!(
                            "● revision {revision} · {}",
                            w.image.as_deref().unwrap_or("?")
                        ),
                        text_width,
                    )),
                    Cell::from(tag),
                ])
                .style(theme.text),
            );
            let rollout = w.rollout.as_deref().unwrap_or("rollout not reported");
            rows.push(line(format!("  {rollout}"), String::new()).style(theme.dim));
        }
    }
    let replicas = w.replicas.map_or("replicas ?".into(), |r| {
        format!("{}/{} ready", r.ready, r.desired)
    });
    let pods = match w.unread.iter().any(|p| p == PODS) {
        true => "pods ?".to_string(),
        false => format!("{} pods, {} restarts", w.pods.count, w.pods.restarts),
    };
    rows.push(line(format!("  {replicas} · {pods}"), String::new()));
    let title = match w.kind {
        WorkloadKind::Kserve => " InferenceService · ● serving ↺ rollback target ",
        WorkloadKind::Deployment => " Deployment · ● serving ",
    };
    Table::new(rows, [Constraint::Fill(1), Constraint::Length(8)])
        .header(
            Row::new(vec![
                format!("{} {} ({})", w.cluster, w.id(), ep.status),
                String::new(),
            ])
            .style(theme.title),
        )
        .block(panel(theme, title))
}

/// What is wrong with the workload, for the reasons line.
pub fn troubles(m: &ModelFacts) -> Vec<String> {
    let Some(w) = m.endpoint.as_ref().and_then(|e| e.k8s.as_deref()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if w.ready == Some(false) {
        let why = w.reason.as_deref().unwrap_or("no reason given");
        out.push(format!("✖ {} {} not ready: {why}", w.kind.label(), w.id()));
    }
    if let Some(waiting) = &w.pods.waiting {
        out.push(format!("✖ a container of {} is waiting: {waiting}", w.id()));
    }
    if let (Some(last), true) = (&w.pods.last_termination, w.pods.restarts > 0) {
        out.push(format!(
            "⚠ {} restarts in {}'s pods, the last {last}",
            w.pods.restarts,
            w.id()
        ));
    }
    out
}
