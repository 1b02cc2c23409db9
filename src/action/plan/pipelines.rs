//! Retrain by triggering the model's training DAG; promote or reject an MLflow
//! version by its alias or legacy stage. Pure: the request lines come from the
//! clients, which know the servers' URLs and API versions.

use serde_json::{json, Value};

use super::day;
use crate::action::{Call, Kind, Plan, Request};
use crate::model::dags::DagRole;
use crate::model::facts::{Approval, ModelFacts, RegistrySource};

/// The alias a promotion moves.
pub const PROMOTED_ALIAS: &str = "champion";

/// The model's training DAG, when Airflow knows one.
pub fn training_dag(m: &ModelFacts) -> Option<&crate::model::dags::DagFacts> {
    m.dags.iter().find(|d| d.role == DagRole::Training)
}

/// What a triggered run is told: who asked and for which model.
pub fn dag_conf(m: &ModelFacts) -> Value {
    json!({ "model": m.name, "triggered_by": "mlopsdash" })
}

/// The run id a triggered run gets: ours, so that a retried request is refused
/// (409), never a second run.
pub fn dag_run_id(at: jiff::Timestamp) -> String {
    format!("mlopsdash__{}", at.strftime("%Y%m%dT%H%M%S"))
}

/// Retrain by starting a run of `dag`, sent as `request` with `body`.
pub fn dag_retrain(m: &ModelFacts, dag: &str, request: String, body: Value) -> Plan {
    let known = m.dags.iter().find(|d| d.dag_id == dag);
    let previous = known
        .and_then(|d| d.runs.first())
        .map_or("no run known".into(), |r| {
            format!("last run {} {}", r.run_id, r.state)
        });
    Plan {
        kind: Kind::Retrain,
        model: m.name.clone(),
        label: format!("trigger Airflow DAG {dag}"),
        call: Call::TriggerDagRun {
            dag: dag.to_string(),
            request,
            body,
        },
        previous,
        previous_config: None,
        protected: None,
        note: known
            .filter(|d| d.paused)
            .map(|_| "the DAG is paused: the run waits in the queue until it is unpaused".into()),
    }
}

/// Whether the model's MLflow registry uses aliases (else legacy stages).
fn uses_aliases(m: &ModelFacts) -> bool {
    m.registry.iter().any(|v| !v.aliases().is_empty())
}

/// Promote (alias `champion`, or stage Production) or reject (stage Archived) an
/// MLflow version. `base` is the server's REST base, e.g. "http://…/api/2.0/mlflow".
pub fn mlflow_approvals(req: &Request, to: Approval, base: &str) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let kind = match to {
        Approval::Approved => Kind::Approve,
        _ => Kind::Reject,
    };
    let by_alias = to == Approval::Approved && uses_aliases(m);
    let plans: Vec<Plan> = m
        .registry
        .iter()
        .filter(|v| v.source == RegistrySource::Mlflow)
        .filter_map(|v| {
            let f = v.mlflow.as_ref()?;
            let (call, done) = match (by_alias, to) {
                (true, _) => (
                    Call::SetMlflowAlias {
                        model: f.model.clone(),
                        alias: PROMOTED_ALIAS.into(),
                        version: v.version,
                        request: format!("POST {base}/registered-models/alias"),
                    },
                    f.aliases.iter().any(|a| a == PROMOTED_ALIAS),
                ),
                (false, Approval::Approved) => (stage_call(f, v.version, "Production", base), f.stage.as_deref() == Some("Production")),
                (false, _) => (stage_call(f, v.version, "Archived", base), f.stage.as_deref() == Some("Archived")),
            };
            let now = match (f.aliases.is_empty(), &f.stage) {
                (false, _) => format!("v{} {}", v.version, f.aliases.join(", ")),
                (true, Some(stage)) => format!("v{} {stage}", v.version),
                (true, None) => format!("v{} no alias", v.version),
            };
            (!done).then(|| Plan {
                kind,
                model: m.name.clone(),
                label: format!(
                    "v{} · {} · created {}{}",
                    v.version,
                    now.split_once(' ').map_or("", |(_, s)| s),
                    day(v.created),
                    if v.deployed { " · deployed" } else { "" }
                ),
                call,
                previous: now,
                previous_config: None,
                protected: None,
                note: match (by_alias, v.deployed && kind == Kind::Reject) {
                    (true, _) => Some(format!(
                        "moves the {PROMOTED_ALIAS} alias to v{}: whatever loads models@{PROMOTED_ALIAS} serves it next",
                        v.version
                    )),
                    (false, true) => Some("this version is serving: archiving it does not undeploy it".into()),
                    _ => None,
                },
            })
        })
        .collect();
    if plans.is_empty() {
        return Err(format!(
            "no MLflow version of {} to {}",
            m.name,
            kind.label()
        ));
    }
    Ok(plans)
}

fn stage_call(
    f: &crate::model::facts::MlflowVersion,
    version: u32,
    stage: &str,
    base: &str,
) -> Call {
    Call::TransitionMlflowStage {
        model: f.model.clone(),
        version,
        stage: stage.into(),
        request: format!("POST {base}/model-versions/transition-stage"),
    }
}
