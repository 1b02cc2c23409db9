//! From MLflow's answers to the dashboard's facts. Pure.

use jiff::Timestamp;

use super::api::{RegisteredModel, Run, Version};
use crate::model::facts::{
    Approval, MlflowVersion, ModelVersion, RegistrySource, RunDetail, RunSource, RunStatus,
    TrainingRun,
};

/// The alias that says which version serves, when nothing more exact does.
pub const CHAMPION: &str = "champion";

/// Run tags a team's training code commonly sets when it fails.
const FAILURE_TAGS: [&str; 5] = [
    "error",
    "failure_reason",
    "exception",
    "mlflow.runFailure",
    "mlflow.note.content",
];

fn time(ms: Option<i64>) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms?).ok()
}

/// The model's versions, newest first, each with its aliases; the serving one is
/// the champion (or, without aliases, the Production stage) until an endpoint's
/// artifact says otherwise.
pub fn versions(m: &RegisteredModel, listed: &[Version]) -> Vec<ModelVersion> {
    let uses_aliases = !m.aliases.is_empty();
    listed
        .iter()
        .map(|v| {
            let aliases: Vec<String> = m
                .aliases
                .iter()
                .filter(|a| a.version == v.version)
                .map(|a| a.alias.clone())
                .collect();
            let stage = v.current_stage.clone().filter(|s| s != "None");
            let deployed = match uses_aliases {
                true => aliases.iter().any(|a| a == CHAMPION),
                false => stage.as_deref() == Some("Production"),
            };
            ModelVersion {
                version: v.version.parse().unwrap_or(0),
                approval: approval(stage.as_deref(), &aliases),
                created: time(v.creation_timestamp).unwrap_or(Timestamp::UNIX_EPOCH),
                deployed,
                arn: None,
                source: RegistrySource::Mlflow,
                mlflow: Some(Box::new(MlflowVersion {
                    model: m.name.clone(),
                    aliases,
                    stage,
                    status: v.status.clone().unwrap_or_else(|| "READY".into()),
                    run_id: v.run_id.clone(),
                    artifact: v.source.clone(),
                })),
            }
        })
        .collect()
}

/// SageMaker's approval words for an MLflow version: archived is rejected; one
/// in Production/Staging or with an alias was promoted; the rest await a decision.
fn approval(stage: Option<&str>, aliases: &[String]) -> Approval {
    match stage {
        Some("Archived") => Approval::Rejected,
        Some("Production" | "Staging") => Approval::Approved,
        _ if !aliases.is_empty() => Approval::Approved,
        _ => Approval::PendingManualApproval,
    }
}

/// One run as a training run: status, times, key metrics, why it failed.
pub fn run(r: &Run, key_metrics: &[String], max_metrics: usize) -> TrainingRun {
    let status = match r.info.status.as_str() {
        "FINISHED" => RunStatus::Completed,
        "FAILED" => RunStatus::Failed,
        "KILLED" => RunStatus::Stopped,
        _ => RunStatus::InProgress,
    };
    let mut metrics: Vec<(String, f64)> = r
        .data
        .metrics
        .iter()
        .filter(|m| m.value.is_finite())
        .map(|m| (m.key.clone(), m.value))
        .collect();
    // The configured key metrics first, in their order; then the rest by name.
    let rank = |k: &str| {
        key_metrics
            .iter()
            .position(|x| x == k)
            .unwrap_or(usize::MAX)
    };
    metrics.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
    metrics.dedup_by(|a, b| a.0 == b.0);
    metrics.truncate(max_metrics);
    let failure = (status == RunStatus::Failed).then(|| {
        FAILURE_TAGS
            .iter()
            .find_map(|k| r.data.tags.iter().find(|t| t.key == *k))
            .map(|t| {
                t.value
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect()
            })
            .unwrap_or_else(|| "the run logged no reason (tag it `error`)".to_string())
    });
    let started = time(r.info.start_time).unwrap_or(Timestamp::UNIX_EPOCH);
    TrainingRun {
        name: r
            .info
            .run_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| r.info.run_id.clone()),
        status,
        started,
        ended: time(r.info.end_time).filter(|_| status != RunStatus::InProgress),
        failure_reason: failure,
        objective: metrics.first().cloned(),
        secondary_status: None,
        execution_arn: None,
        serving: false,
        source: RunSource::Mlflow,
        detail: RunDetail {
            metrics,
            ..RunDetail::default()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::api::{Alias, Metric, RunData, RunInfo, Tag};
    use super::*;

    fn version(v: &str, stage: &str) -> Version {
        Version {
            name: "churn".into(),
            version: v.into(),
            current_stage: Some(stage.into()),
            status: Some("READY".into()),
            ..Version::default()
        }
    }

    #[test]
    fn the_champion_alias_serves_and_without_aliases_the_production_stage_does() {
        let with_aliases = RegisteredModel {
            name: "churn".into(),
            aliases: vec![
                Alias {
                    alias: "champion".into(),
                    version: "2".into(),
                },
                Alias {
                    alias: "challenger".into(),
                    version: "3".into(),
                },
            ],
            ..RegisteredModel::default()
        };
        let listed = [
            version("3", "None"),
            version("2", "None"),
            version("1", "Production"),
        ];
        let v = versions(&with_aliases, &listed);
        let deployed: Vec<u32> = v.iter().filter(|v| v.deployed).map(|v| v.version).collect();
        assert_eq!(deployed, vec![2]);
        assert_eq!(v[0].aliases(), ["challenger"]);
        assert_eq!(v[0].mlflow.as_ref().unwrap().stage, None);

        let staged = RegisteredModel {
            name: "d".into(),
            ..RegisteredModel::default()
        };
        let v = versions(
            &staged,
            &[
                version("2", "Staging"),
                version("1", "Production"),
                version("0", "Archived"),
            ],
        );
        let deployed: Vec<u32> = v.iter().filter(|v| v.deployed).map(|v| v.version).collect();
        assert_eq!(deployed, vec![1]);
        assert_eq!(v[2].approval, Approval::Rejected);
    }

    #[test]
    fn a_failed_run_says_why_and_key_metrics_come_first() {
        let r = Run {
            info: RunInfo {
                run_id: "abc".into(),
                run_name: Some("".into()),
                status: "FAILED".into(),
                start_time: Some(1_790_000_000_000),
                end_time: Some(1_790_000_600_000),
                ..RunInfo::default()
            },
            data: RunData {
                metrics: vec![
                    Metric {
                        key: "zeta".into(),
                        value: 1.0,
                        ..Metric::default()
                    },
                    Metric {
                        key: "auc".into(),
                        value: 0.8,
                        ..Metric::default()
                    },
                    Metric {
                        key: "loss".into(),
                        value: f64::NAN,
                        ..Metric::default()
                    },
                ],
                tags: vec![Tag {
                    key: "error".into(),
                    value: "OOM in fold 3\ntraceback".into(),
                }],
            },
        };
        let t = run(&r, &["zeta".into()], 6);
        assert_eq!(t.name, "abc");
        assert_eq!(t.status, RunStatus::Failed);
        assert_eq!(t.failure_reason.as_deref(), Some("OOM in fold 3"));
        assert_eq!(
            t.detail.metrics,
            vec![("zeta".into(), 1.0), ("auc".into(), 0.8)]
        );
        assert_eq!(t.ended.map(|e| e.as_second()), Some(1_790_000_600));
    }
}
