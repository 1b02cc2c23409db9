//! Planning: from what the dashboard knows about a model to the exact calls each
//! choice would make. Pure: the audit log's word on the previous config is read by
//! the caller and passed in, so which config counts as "previous" is unit-tested.

use jiff::Timestamp;

use super::{request_token, Call, Kind, Plan, Request, TrainingClone, GUARDRAIL_BAKE_SECONDS};
use crate::model::facts::{Approval, EndpointFacts, ModelFacts, RunStatus};

fn day(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

fn approval_of(m: &ModelFacts, version: Option<u32>) -> String {
    let Some(v) = version else {
        return "version unknown".into();
    };
    match m.registry.iter().find(|r| r.version == v) {
        Some(r) => format!("v{v} {}", r.approval.label()),
        None => format!("v{v}"),
    }
}

fn protection(ep: &EndpointFacts) -> Option<(String, String)> {
    ep.protected.clone().map(|why| (ep.name.clone(), why))
}

/// Rollback targets, newest first. `recorded` is the config the audit log saw the
/// endpoint leave at its last deploy; it comes first when it is still a target.
pub fn rollbacks(req: &Request, recorded: Option<&str>) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let ep = m
        .endpoint
        .as_ref()
        .ok_or_else(|| format!("{} has no endpoint to roll back", m.name))?;
    if ep.variants.len() > 1 {
        return Ok(variant_rollbacks(m, ep));
    }
    let Some((current, older)) = ep.config_history.split_first() else {
        return Err(format!("{}: its endpoint config is not known yet", ep.name));
    };
    let mut older: Vec<_> = older
        .iter()
        .filter(|c| c.name != current.name && c.created <= current.created)
        .collect();
    older.sort_by_key(|c| std::cmp::Reverse(c.created));
    if let Some(i) = recorded.and_then(|r| older.iter().position(|c| c.name == r)) {
        let first = older.remove(i);
        older.insert(0, first);
    }
    if older.is_empty() {
        return Err(format!(
            "no older endpoint config of {} to go back to (configs named like {} and created \
             before it)",
            ep.name, current.name
        ));
    }
    let note = (!req.alarms.is_empty()).then(|| {
        format!(
            "deployment guardrails: SageMaker rolls back by itself if {} fires within {} s",
            req.alarms.join(" or "),
            GUARDRAIL_BAKE_SECONDS
        )
    });
    let previous = format!(
        "serving {} ({}) · {}",
        current.name,
        approval_of(m, current.model_version),
        ep.status
    );
    Ok(older
        .into_iter()
        .map(|c| Plan {
            kind: Kind::Rollback,
            model: m.name.clone(),
            // What it would serve first: the config's name is in the arguments too.
            label: format!(
                "{} · created {} · model {} · {}{}",
                approval_of(m, c.model_version),
                day(c.created),
                c.model.as_deref().unwrap_or("?"),
                c.name,
                if Some(c.name.as_str()) == recorded {
                    " · before the last deploy (audit log)"
                } else {
                    ""
                }
            ),
            call: Call::UpdateEndpoint {
                endpoint: ep.name.clone(),
                config: c.name.clone(),
                guardrail_alarms: req.alarms.clone(),
            },
            previous: previous.clone(),
            previous_config: Some(current.name.clone()),
            protected: protection(ep),
            note: note.clone(),
        })
        .collect())
}

/// Several variants (canary, blue/green, A/B): all traffic back to one of the others.
/// The suspect is the variant serving the newest model version (on a tie or when
/// versions are unknown, the one with the least traffic: the canary).
fn variant_rollbacks(m: &ModelFacts, ep: &EndpointFacts) -> Vec<Plan> {
    let suspect = ep
        .variants
        .iter()
        .max_by(|a, b| {
            a.model_version
                .cmp(&b.model_version)
                .then(b.weight.total_cmp(&a.weight))
        })
        .map(|v| v.name.clone());
    let mut targets: Vec<_> = ep
        .variants
        .iter()
        .filter(|v| Some(&v.name) != suspect.as_ref())
        .collect();
    targets.sort_by(|a, b| {
        b.model_version
            .cmp(&a.model_version)
            .then(b.weight.total_cmp(&a.weight))
    });
    let previous = ep
        .variants
        .iter()
        .map(|v| format!("{}={:.2}", v.name, v.weight))
        .collect::<Vec<_>>()
        .join(" ");
    targets
        .into_iter()
        .map(|t| Plan {
            kind: Kind::Rollback,
            model: m.name.clone(),
            label: format!(
                "all traffic to variant {} · {} · now {:.0}%",
                t.name,
                approval_of(m, t.model_version),
                100.0 * t.weight
                    / ep.variants
                        .iter()
                        .map(|v| v.weight)
                        .sum::<f64>()
                        .max(f64::MIN_POSITIVE)
            ),
            call: Call::UpdateEndpointWeights {
                endpoint: ep.name.clone(),
                weights: ep
                    .variants
                    .iter()
                    .map(|v| (v.name.clone(), if v.name == t.name { 1.0 } else { 0.0 }))
                    .collect(),
            },
            previous: format!("weights {previous}"),
            previous_config: None,
            protected: protection(ep),
            note: None,
        })
        .collect()
}

/// Versions to approve (anything not approved) or reject (anything not rejected).
pub fn approvals(req: &Request, to: Approval) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let kind = if to == Approval::Approved {
        Kind::Approve
    } else {
        Kind::Reject
    };
    let plans: Vec<Plan> = m
        .registry
        .iter()
        .filter(|v| v.approval != to)
        .filter_map(|v| {
            Some(Plan {
                kind,
                model: m.name.clone(),
                label: format!(
                    "v{} · {} · created {}{}",
                    v.version,
                    v.approval.label(),
                    day(v.created),
                    if v.deployed { " · deployed" } else { "" }
                ),
                call: Call::UpdateModelPackage {
                    arn: v.arn.clone()?,
                    approval: to,
                },
                previous: format!("v{} {}", v.version, v.approval.label()),
                previous_config: None,
                protected: None,
                note: (v.deployed && to == Approval::Rejected)
                    .then(|| "this version is serving: rejecting it does not undeploy it".into()),
            })
        })
        .collect();
    if plans.is_empty() {
        return Err(format!(
            "no version of {} to {} (the model registry lists none that is not {})",
            m.name,
            kind.label(),
            to.label()
        ));
    }
    Ok(plans)
}

/// Running training jobs and pipeline executions that can be stopped.
pub fn stops(req: &Request) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let plans: Vec<Plan> = m
        .training
        .iter()
        .filter(|r| r.status == RunStatus::InProgress)
        .map(|r| Plan {
            kind: Kind::Stop,
            model: m.name.clone(),
            label: format!(
                "{} · {} · started {}",
                r.name,
                r.secondary_status.as_deref().unwrap_or("running"),
                day(r.started)
            ),
            call: match &r.execution_arn {
                Some(arn) => Call::StopPipelineExecution {
                    arn: arn.clone(),
                    token: request_token(),
                },
                None => Call::StopTrainingJob {
                    name: r.name.clone(),
                },
            },
            previous: format!("{} {}", r.name, r.status.label()),
            previous_config: None,
            protected: None,
            note: None,
        })
        .collect();
    if plans.is_empty() {
        return Err(format!(
            "{} has no running training job or pipeline execution",
            m.name
        ));
    }
    Ok(plans)
}

/// Retrain through the model's pipeline, with its parameters at their defaults.
pub fn pipeline_retrain(
    m: &ModelFacts,
    pipeline: &str,
    parameters: Vec<(String, String)>,
    now: Timestamp,
) -> Plan {
    let last = m.training.first();
    Plan {
        kind: Kind::Retrain,
        model: m.name.clone(),
        label: format!("start pipeline {pipeline}"),
        call: Call::StartPipelineExecution {
            pipeline: pipeline.to_string(),
            display_name: format!("mlopsdash-{}", now.strftime("%Y%m%d-%H%M%S")),
            parameters,
            token: request_token(),
        },
        previous: last.map_or("no run known".into(), |r| {
            format!("last run {} {}", r.name, r.status.label())
        }),
        previous_config: None,
        protected: None,
        note: None,
    }
}

/// Retrain by cloning the last successful training job under a new name.
pub fn cloned_retrain(m: &ModelFacts, job: TrainingClone) -> Plan {
    Plan {
        kind: Kind::Retrain,
        model: m.name.clone(),
        label: format!("clone training job {}", job.from_job),
        previous: format!("last successful job {}", job.from_job),
        previous_config: None,
        call: Call::CreateTrainingJob(Box::new(job)),
        protected: None,
        note: Some(
            "no pipeline is configured for this model: a new job copies the last good one".into(),
        ),
    }
}

/// The last training job that completed: what a cloned retrain copies.
pub fn last_good_job(m: &ModelFacts) -> Result<&str, String> {
    m.training
        .iter()
        .find(|r| r.status == RunStatus::Completed && r.execution_arn.is_none())
        .map(|r| r.name.as_str())
        .ok_or_else(|| {
            format!(
                "{} has no pipeline and no completed training job to clone: set `pipeline` \
                 in its [[models]] entry",
                m.name
            )
        })
}

/// A new job name: the old one without its date suffix, then this moment (63 chars max).
pub fn clone_name(from_job: &str, now: Timestamp) -> String {
    let stamp = now.strftime("%Y%m%d-%H%M%S").to_string();
    let mut base = from_job;
    while let Some((head, tail)) = base.rsplit_once('-') {
        if tail.is_empty() || !tail.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        base = head;
    }
    let keep = 63 - stamp.len() - 1;
    let base: String = base.chars().take(keep).collect();
    format!("{}-{stamp}", base.trim_end_matches('-'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{EndpointConfigRef, ModelVersion, TrainingRun, Variant};

    fn at(h: i64) -> Timestamp {
        Timestamp::from_second(1_795_000_000 + h * 3600).unwrap()
    }

    fn config(name: &str, h: i64, v: u32) -> EndpointConfigRef {
        EndpointConfigRef {
            model: Some(format!("{name}-model")),
            name: name.into(),
            created: at(h),
            model_version: Some(v),
        }
    }

    fn model(history: Vec<EndpointConfigRef>, variants: Vec<Variant>) -> Request {
        let mut m = ModelFacts::named("rec");
        m.endpoint = Some(EndpointFacts {
            name: "rec-prod".into(),
            status: "InService".into(),
            failure_reason: None,
            config_name: history.first().map(|c| c.name.clone()).unwrap_or_default(),
            variants,
            config_history: history,
            protected: None,
        });
        // Newest first, as the registry lists them.
        m.registry = (5..=8)
            .rev()
            .map(|v| ModelVersion {
                version: v,
                approval: if v == 6 {
                    Approval::Rejected
                } else {
                    Approval::Approved
                },
                created: at(i64::from(v)),
                deployed: v == 8,
                arn: Some(format!("arn:pkg/rec/{v}")),
            })
            .collect();
        Request {
            kind: Kind::Rollback,
            model: m,
            alarms: vec![],
        }
    }

    fn variant(name: &str, weight: f64, v: Option<u32>) -> Variant {
        Variant {
            name: name.into(),
            weight,
            instances: 1,
            model_version: v,
        }
    }

    fn configs(plans: &[Plan]) -> Vec<String> {
        plans
            .iter()
            .map(|p| match &p.call {
                Call::UpdateEndpoint { config, .. } => config.clone(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn previous_configs_are_older_ones_newest_first() {
        let req = model(
            vec![
                config("rec-v8", 30, 8),
                config("rec-v6", 10, 6),
                config("rec-v7", 20, 7),
                // Created after the current one (a config left behind by a rollback).
                config("rec-v9", 40, 9),
            ],
            vec![variant("AllTraffic", 1.0, Some(8))],
        );
        let plans = rollbacks(&req, None).unwrap();
        assert_eq!(configs(&plans), ["rec-v7", "rec-v6"]);
        assert!(plans[1].label.contains("v6 Rejected"), "{}", plans[1].label);
        assert_eq!(plans[0].previous_config.as_deref(), Some("rec-v8"));
    }

    #[test]
    fn the_config_the_audit_log_recorded_comes_first() {
        let req = model(
            vec![
                config("rec-v8", 30, 8),
                config("rec-v7", 20, 7),
                config("rec-v6", 10, 6),
            ],
            vec![variant("AllTraffic", 1.0, Some(8))],
        );
        let plans = rollbacks(&req, Some("rec-v6")).unwrap();
        assert_eq!(configs(&plans), ["rec-v6", "rec-v7"]);
        assert!(plans[0].label.contains("audit log"));
    }

    #[test]
    fn alarms_become_guardrails_and_the_confirmation_says_so() {
        let mut req = model(
            vec![config("rec-v8", 30, 8), config("rec-v7", 20, 7)],
            vec![variant("AllTraffic", 1.0, Some(8))],
        );
        req.alarms = vec!["rec-latency".into()];
        let plan = &rollbacks(&req, None).unwrap()[0];
        assert_eq!(
            plan.call.arguments()["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"][0]
                ["AlarmName"],
            "rec-latency"
        );
        assert!(plan.note.as_deref().unwrap().contains("rec-latency"));
    }

    #[test]
    fn nothing_older_is_a_clear_error() {
        let req = model(
            vec![config("rec-v8", 30, 8)],
            vec![variant("AllTraffic", 1.0, Some(8))],
        );
        let err = rollbacks(&req, None).unwrap_err();
        assert!(
            err.starts_with("no older endpoint config of rec-prod"),
            "{err}"
        );
    }

    #[test]
    fn a_canary_is_rolled_back_by_sending_everything_to_the_older_variant() {
        let req = model(
            vec![config("rec-ab", 30, 8)],
            vec![
                variant("canary", 0.5, Some(8)),
                variant("stable", 0.5, Some(7)),
            ],
        );
        let plans = rollbacks(&req, None).unwrap();
        assert_eq!(plans.len(), 1);
        let Call::UpdateEndpointWeights { weights, .. } = &plans[0].call else {
            panic!("{:?}", plans[0].call);
        };
        assert_eq!(
            weights,
            &[("canary".to_string(), 0.0), ("stable".to_string(), 1.0)]
        );
        // Versions unknown: the variant with the least traffic is the suspect.
        let req = model(
            vec![config("rec-ab", 30, 8)],
            vec![variant("blue", 0.9, None), variant("green", 0.1, None)],
        );
        assert!(rollbacks(&req, None).unwrap()[0]
            .label
            .contains("variant blue"));
    }

    #[test]
    fn approve_and_reject_offer_only_versions_that_would_change() {
        let req = model(vec![], vec![]);
        let approve = approvals(&req, Approval::Approved).unwrap();
        assert_eq!(approve.len(), 1);
        assert!(approve[0].label.starts_with("v6 · Rejected"));
        let reject = approvals(&req, Approval::Rejected).unwrap();
        assert_eq!(reject.len(), 3);
        assert!(reject[0].note.as_deref().unwrap().contains("serving"));
    }

    #[test]
    fn stop_picks_the_api_by_what_is_running() {
        let mut req = model(vec![], vec![]);
        let run = |name: &str, arn: Option<&str>, status| TrainingRun {
            name: name.into(),
            status,
            started: at(1),
            ended: None,
            failure_reason: None,
            objective: None,
            secondary_status: None,
            execution_arn: arn.map(str::to_string),
            serving: false,
        };
        req.model.training = vec![
            run("exec", Some("arn:exec"), RunStatus::InProgress),
            run("job", None, RunStatus::InProgress),
            run("old", None, RunStatus::Completed),
        ];
        let ops: Vec<_> = stops(&req)
            .unwrap()
            .iter()
            .map(|p| p.call.operation())
            .collect();
        assert_eq!(
            ops,
            [
                "sagemaker:StopPipelineExecution",
                "sagemaker:StopTrainingJob"
            ]
        );
        req.model.training.truncate(0);
        assert!(stops(&req).is_err());
    }

    #[test]
    fn cloned_job_names_drop_the_old_date_and_fit_sagemakers_limit() {
        let now: Timestamp = "2026-11-23T03:04:05Z".parse().unwrap();
        assert_eq!(
            clone_name("churn-train-20261120-0300", now),
            "churn-train-20261123-030405"
        );
        let long = "x".repeat(80);
        assert_eq!(clone_name(&long, now).len(), 63);
    }
}
