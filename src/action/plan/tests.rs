//! The planners, one action at a time.

use super::*;
use crate::action::{Call, Kind, Plan, Request};
use crate::model::facts::{Approval, RunStatus};
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
        evidence: None,
    }
}

fn model(history: Vec<EndpointConfigRef>, variants: Vec<Variant>) -> Request {
    let mut m = ModelFacts::named("rec");
    m.endpoint = Some(EndpointFacts {
        ecs: None,
        k8s: None,
        name: "rec-prod".into(),
        status: "InService".into(),
        failure_reason: None,
        config_name: history.first().map(|c| c.name.clone()).unwrap_or_default(),
        variants,
        config_history: history,
        protected: None,
        artifact: None,
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
            source: crate::model::facts::RegistrySource::SageMaker,
            mlflow: None,
            arn: Some(format!("arn:pkg/rec/{v}")),
        })
        .collect();
    Request {
        kind: Kind::Rollback,
        model: m,
        alarms: vec![],
        at: jiff::Timestamp::UNIX_EPOCH,
        scope: Default::default(),
        account: None,
        shown: Default::default(),
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
        source: crate::model::facts::RunSource::SageMaker,
        detail: Default::default(),
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
