//! Changes read from the facts alone, with no change feed: an endpoint config's
//! creation, a version registered, a run that failed (`in_facts`), and what differs
//! between two refreshes of the same model (`between`). Who did it is unknown here;
//! CloudTrail's record of the same deploy replaces these (`changes::timeline`).

use jiff::Timestamp;

use super::changes::{Change, ChangeKind, ChangeSource};
use super::facts::{Fleet, ModelFacts, RunSource, RunStatus};

/// What the facts date: every change they carry a time for.
pub fn in_facts(fleet: &Fleet) -> Vec<Change> {
    let mut out = Vec::new();
    for m in &fleet.models {
        out.extend(serving(m));
        out.extend(registered(m));
        out.extend(failed_runs(m));
    }
    out.extend(
        fleet
            .alarms
            .iter()
            .filter(|a| a.state == super::facts::AlarmState::Alarm)
            .map(|a| {
                let what = format!("alarm {} in ALARM: {}", a.name, a.reason);
                let c = Change::new(a.since, &a.name, ChangeKind::Alarm, what);
                match &a.model {
                    Some(model) => c.of(model),
                    None => c,
                }
            }),
    );
    out
}

fn serving(m: &ModelFacts) -> Vec<Change> {
    let Some(e) = &m.endpoint else {
        return Vec::new();
    };
    let configs = e.config_history.iter().map(|c| {
        let version = c
            .model_version
            .map(|v| format!(" (v{v})"))
            .unwrap_or_default();
        let what = format!("endpoint config {}{version} created", c.name);
        Change::new(c.created, &e.name, ChangeKind::Deploy, what).of(&m.name)
    });
    let rollouts = e.ecs.iter().flat_map(|s| {
        s.deployments.iter().filter_map(|d| {
            let what = format!("{} rollout of {}", s.service, d.task_definition);
            Some(Change::new(d.created?, &e.name, ChangeKind::Deploy, what).of(&m.name))
        })
    });
    configs.chain(rollouts).collect()
}

fn registered(m: &ModelFacts) -> Vec<Change> {
    m.registry
        .iter()
        .map(|v| {
            let (source, what) = match &v.mlflow {
                Some(f) => (
                    ChangeSource::Mlflow,
                    format!("{} version {} registered", f.model, v.version),
                ),
                None => (ChangeSource::Observed, format!("v{} registered", v.version)),
            };
            Change::new(v.created, &m.name, ChangeKind::Version, what)
                .of(&m.name)
                .from(source)
        })
        .collect()
}

fn failed_runs(m: &ModelFacts) -> Vec<Change> {
    let training = m.training.iter().filter_map(|r| {
        let ended = r.ended.filter(|_| r.status == RunStatus::Failed)?;
        let why = r.failure_reason.as_deref().unwrap_or("no reason given");
        let what = format!("{} {} failed: {why}", r.source.label(), r.name);
        let source = match r.source {
            RunSource::Airflow => ChangeSource::Airflow,
            RunSource::Mlflow => ChangeSource::Mlflow,
            _ => ChangeSource::Observed,
        };
        Some(
            Change::new(ended, &m.name, ChangeKind::State, what)
                .of(&m.name)
                .from(source),
        )
    });
    // A training DAG's runs are training runs already; the other DAGs' runs are not.
    let is_training_run = |id: &str| m.training.iter().any(|r| r.name == id);
    let dags = m.dags.iter().flat_map(|d| {
        d.runs
            .iter()
            .filter(|r| !is_training_run(&r.run_id))
            .filter_map(|r| {
                let ended = r.ended.filter(|_| r.state == "failed")?;
                let task = r.failed_task.as_deref().unwrap_or("?");
                let what = format!("DAG {} run failed in {task}", d.dag_id);
                let c = Change::new(ended, &m.name, ChangeKind::State, what);
                Some(c.of(&m.name).from(ChangeSource::Airflow))
            })
    });
    training.chain(dags).collect()
}

/// What differs between the same model's facts in two refreshes, dated `at`: only
/// facts both sides know, so a source's first answer is no change.
pub fn between(before: &Fleet, after: &Fleet, at: Timestamp) -> Vec<Change> {
    let mut out = Vec::new();
    let before: std::collections::HashMap<&str, &ModelFacts> =
        before.models.iter().map(|m| (m.name.as_str(), m)).collect();
    for m in &after.models {
        let Some(old) = before.get(m.name.as_str()) else {
            continue;
        };
        let mut seen = |kind, what: String, source| {
            out.push(
                Change::new(at, &m.name, kind, what)
                    .of(&m.name)
                    .from(source),
            );
        };
        if let (Some(a), Some(b)) = (&old.endpoint, &m.endpoint) {
            if a.status != b.status && !a.status.is_empty() && !b.status.is_empty() {
                let what = format!("endpoint {} {} → {}", b.name, a.status, b.status);
                seen(ChangeKind::State, what, ChangeSource::Observed);
            }
            if a.config_name != b.config_name && !a.config_name.is_empty() {
                let what = format!(
                    "endpoint {} config {} → {}",
                    b.name, a.config_name, b.config_name
                );
                seen(ChangeKind::Deploy, what, ChangeSource::Observed);
            }
            if let (Some(x), Some(y)) = (&a.ecs, &b.ecs) {
                if x.task_definition != y.task_definition {
                    let what = format!(
                        "{} {} → {}",
                        y.service, x.task_definition, y.task_definition
                    );
                    seen(ChangeKind::Deploy, what, ChangeSource::Observed);
                }
            }
        }
        for v in &m.registry {
            let Some(was) = old.registry.iter().find(|o| o.version == v.version) else {
                continue;
            };
            if was.approval != v.approval {
                let what = format!(
                    "v{} {} → {}",
                    v.version,
                    was.approval.aws_name(),
                    v.approval.aws_name()
                );
                seen(ChangeKind::Approval, what, ChangeSource::Observed);
            }
            let aliases = |f: &Option<Box<super::facts::MlflowVersion>>| {
                f.as_ref().map(|f| f.aliases.clone()).unwrap_or_default()
            };
            for alias in aliases(&v.mlflow) {
                if !aliases(&was.mlflow).contains(&alias) {
                    let what = format!("alias {alias} → version {}", v.version);
                    seen(ChangeKind::Approval, what, ChangeSource::Mlflow);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Approval, EndpointConfigRef, EndpointFacts, ModelVersion};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn model(status: &str, config: &str, approval: Approval) -> Fleet {
        let endpoint = EndpointFacts {
            name: "churn-prod".into(),
            status: status.into(),
            config_name: config.into(),
            config_history: vec![EndpointConfigRef {
                name: config.into(),
                created: at(0),
                model: None,
                model_version: Some(7),
                evidence: None,
            }],
            ..Default::default()
        };
        let version = ModelVersion {
            version: 7,
            approval,
            created: at(-60),
            deployed: true,
            arn: None,
            source: Default::default(),
            mlflow: None,
        };
        Fleet {
            models: vec![ModelFacts {
                endpoint: Some(endpoint),
                registry: vec![version],
                ..ModelFacts::named("churn")
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_facts_date_a_config_and_a_version() {
        let c = in_facts(&model("InService", "cfg-7", Approval::Approved));
        let whats: Vec<&str> = c.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            whats,
            ["endpoint config cfg-7 (v7) created", "v7 registered"]
        );
        assert_eq!(c[0].kind, ChangeKind::Deploy);
        assert_eq!(c[0].model.as_deref(), Some("churn"));
    }

    #[test]
    fn two_refreshes_differ_in_status_config_and_approval() {
        let before = model("InService", "cfg-6", Approval::PendingManualApproval);
        let after = model("Updating", "cfg-7", Approval::Approved);
        let c = between(&before, &after, at(100));
        let whats: Vec<&str> = c.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "endpoint churn-prod InService → Updating",
                "endpoint churn-prod config cfg-6 → cfg-7",
                "v7 PendingManualApproval → Approved",
            ]
        );
        assert!(between(&after, &after, at(100)).is_empty());
        assert!(between(&Fleet::default(), &after, at(100)).is_empty());
    }
}
