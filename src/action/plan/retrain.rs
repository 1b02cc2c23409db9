//! Retrain: start the model's pipeline, or clone its last good training job.

use crate::action::{request_token, Call, Kind, Plan, TrainingClone};
use crate::model::facts::{ModelFacts, RunSource, RunStatus};
use jiff::Timestamp;

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
        account: None,
        observed: None,
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
        account: None,
        observed: None,
    }
}

/// The last training job that completed: what a cloned retrain copies.
pub fn last_good_job(m: &ModelFacts) -> Result<&str, String> {
    m.training
        .iter()
        .find(|r| r.status == RunStatus::Completed && r.source == RunSource::SageMaker)
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
