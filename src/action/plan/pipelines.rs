//! Retrain by triggering the model's training DAG; promote or reject an MLflow
//! version by its alias or legacy stage. Pure: the request lines come from the
//! clients, which know the servers' URLs and API versions.

use serde_json::json;

use super::day;
use crate::action::{Call, Kind, Plan, Request};
use crate::config::AirflowRest;
use crate::model::dags::DagRole;
use crate::model::facts::{Approval, ModelFacts, RegistrySource};
use crate::source::pipelines::airflow::api::trigger_body;

/// The alias a promotion moves.
pub const PROMOTED_ALIAS: &str = "champion";

/// The model's training DAG, when Airflow knows one.
pub fn training_dag(m: &ModelFacts) -> Option<&crate::model::dags::DagFacts> {
    m.dags.iter().find(|d| d.role == DagRole::Training)
}

/// Retrain by starting a run of `dag`, sent as `request` to a server speaking
/// `version`: the conf says who asked for which model, and the run id is ours (from
/// the key's time), so that a retried request is refused (409), never a second run.
pub fn dag_retrain(
    m: &ModelFacts,
    dag: &str,
    request: String,
    version: AirflowRest,
    at: jiff::Timestamp,
) -> Plan {
    let conf = json!({ "model": m.name, "triggered_by": "mlopsdash" });
    let mut body = trigger_body(version, &conf);
    body["dag_run_id"] = json!(format!("mlopsdash__{}", at.strftime("%Y%m%dT%H%M%S")));
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
        account: None,
        observed: None,
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
    let stage = match to {
        Approval::Approved => "Production",
        _ => "Archived",
    };
    let champion = m
        .registry
        .iter()
        .find(|v| v.aliases().iter().any(|a| a == PROMOTED_ALIAS))
        .map(|v| v.version);
    let plans: Vec<Plan> = m
        .registry
        .iter()
        .filter(|v| v.source == RegistrySource::Mlflow)
        .filter_map(|v| {
            let f = v.mlflow.as_ref()?;
            let done = match by_alias {
                true => champion == Some(v.version),
                false => f.stage.as_deref() == Some(stage),
            };
            if done {
                return None;
            }
            let said = match (f.aliases.is_empty(), &f.stage) {
                (false, _) => f.aliases.join(", "),
                (true, Some(stage)) => stage.clone(),
                (true, None) => "no alias".to_string(),
            };
            let (call, previous, note) = match by_alias {
                true => (
                    Call::SetMlflowAlias {
                        model: f.model.clone(),
                        alias: PROMOTED_ALIAS.into(),
                        version: v.version,
                        request: format!("POST {base}/registered-models/alias"),
                    },
                    champion.map_or(format!("no version is {PROMOTED_ALIAS}"), |c| {
                        format!("{PROMOTED_ALIAS} is v{c}")
                    }),
                    Some(format!(
                        "whatever loads models:/{}@{PROMOTED_ALIAS} gets v{} next",
                        f.model, v.version
                    )),
                ),
                false => (
                    Call::TransitionMlflowStage {
                        model: f.model.clone(),
                        version: v.version,
                        stage: stage.into(),
                        request: format!("POST {base}/model-versions/transition-stage"),
                    },
                    format!("v{} {said}", v.version),
                    (v.deployed && kind == Kind::Reject).then(|| {
                        "this version is serving: archiving it does not undeploy it".to_string()
                    }),
                ),
            };
            Some(Plan {
                kind,
                model: m.name.clone(),
                label: format!(
                    "v{} · {said} · created {}{}",
                    v.version,
                    day(v.created),
                    if v.deployed { " · deployed" } else { "" }
                ),
                call,
                previous,
                previous_config: None,
                protected: None,
                note,
                account: None,
                observed: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{MlflowVersion, ModelVersion};

    fn version(v: u32, aliases: &[&str], stage: Option<&str>, deployed: bool) -> ModelVersion {
        ModelVersion {
            version: v,
            approval: Approval::Approved,
            created: jiff::Timestamp::UNIX_EPOCH,
            deployed,
            arn: None,
            source: RegistrySource::Mlflow,
            mlflow: Some(Box::new(MlflowVersion {
                model: "Churn".into(),
                aliases: aliases.iter().map(|a| a.to_string()).collect(),
                stage: stage.map(str::to_string),
                status: "READY".into(),
                ..MlflowVersion::default()
            })),
        }
    }

    fn request(kind: Kind, registry: Vec<ModelVersion>) -> Request {
        let mut model = ModelFacts::named("churn");
        model.registry = registry;
        Request {
            kind,
            model,
            alarms: vec![],
            at: jiff::Timestamp::UNIX_EPOCH,
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        }
    }

    #[test]
    fn with_aliases_approve_moves_the_champion_and_reject_archives() {
        let registry = vec![
            version(3, &["challenger"], None, false),
            version(2, &["champion"], None, true),
            version(1, &[], Some("Archived"), false),
        ];
        let base = "http://mlflow:5000/api/2.0/mlflow";
        let plans = mlflow_approvals(
            &request(Kind::Approve, registry.clone()),
            Approval::Approved,
            base,
        )
        .unwrap();
        let offered: Vec<u32> = plans
            .iter()
            .map(|p| match &p.call {
                Call::SetMlflowAlias { version, .. } => *version,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(offered, vec![3, 1], "every version but the champion");
        assert_eq!(plans[0].previous, "champion is v2");
        assert_eq!(
            plans[0].call.arguments()["request"],
            format!("POST {base}/registered-models/alias")
        );
        assert_eq!(
            plans[0].call.arguments()["body"]["name"],
            "Churn",
            "MLflow's own name"
        );

        let plans =
            mlflow_approvals(&request(Kind::Reject, registry), Approval::Rejected, base).unwrap();
        let offered: Vec<u32> = plans
            .iter()
            .map(|p| match &p.call {
                Call::TransitionMlflowStage { version, stage, .. } => {
                    assert_eq!(stage, "Archived");
                    *version
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(offered, vec![3, 2], "every version not archived yet");
        assert!(plans[1].note.as_deref().unwrap().contains("serving"));
    }

    #[test]
    fn without_aliases_approve_sets_production() {
        let registry = vec![
            version(2, &[], Some("Staging"), false),
            version(1, &[], Some("Production"), true),
        ];
        let plans =
            mlflow_approvals(&request(Kind::Approve, registry), Approval::Approved, "b").unwrap();
        assert_eq!(plans.len(), 1);
        assert_eq!(plans[0].call.arguments()["body"]["stage"], "Production");
        assert_eq!(plans[0].call.arguments()["body"]["version"], "2");
        assert_eq!(plans[0].previous, "v2 Staging");
    }
}
