//! Training runs: scripted retrains and the ones the user started.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::{Incident, Profile};
use super::*;
use crate::model::facts::*;

impl Simulator {
    pub(super) fn training(&self, p: &Profile, now: Timestamp) -> Vec<TrainingRun> {
        let mut runs: Vec<TrainingRun> = self.retrain_run(p, now).into_iter().collect();
        for run in self.user_runs(&p.name, now) {
            runs.push(TrainingRun {
                execution_arn: Some(execution_arn(&p.name, &run.name)),
                serving: false,
                source: RunSource::Pipeline,
                detail: RunDetail::default(),
                status: match run.end {
                    None => RunStatus::InProgress,
                    Some(End::Stopped(_)) => RunStatus::Stopped,
                    Some(End::Completed(_)) => RunStatus::Completed,
                },
                started: run.started,
                ended: run.end.map(|(End::Stopped(t) | End::Completed(t))| t),
                failure_reason: None,
                objective: run.completed().map(|_| objective(p, 0)),
                secondary_status: run.end.is_none().then(|| "Training".to_string()),
                name: run.name,
            });
        }
        runs.sort_by_key(|r| std::cmp::Reverse(r.started));
        runs.extend((0..5).map(|k| {
            let started = self.started
                - SignedDuration::from_hours(5 + 72 * k)
                - SignedDuration::from_mins(7 * (p.latest_version as i64 % 5));
            let failed = k == 0 && p.last_training_failed;
            let minutes = if failed {
                38
            } else {
                35 + (k * 3 + p.latest_version as i64) % 15
            };
            let ended = started + SignedDuration::from_mins(minutes);
            let stamp = started.strftime("%Y%m%d-%H%M").to_string();
            TrainingRun {
                name: format!("{}-train-{stamp}", p.name),
                status: if failed {
                    RunStatus::Failed
                } else {
                    RunStatus::Completed
                },
                started,
                ended: Some(ended),
                failure_reason: failed.then(|| {
                    "AlgorithmError: CUDA out of memory. Tried to allocate 2.50 GiB \
                         (GPU 0; 15.78 GiB total capacity)"
                        .to_string()
                }),
                objective: (!failed).then(|| objective(p, k)),
                secondary_status: None,
                execution_arn: None,
                serving: false,
                source: RunSource::SageMaker,
                detail: RunDetail::default(),
            }
        }));
        runs.truncate(5);
        runs
    }

    /// The scripted retrain's pipeline execution, once it has started.
    pub(super) fn retrain_run(&self, p: &Profile, now: Timestamp) -> Option<TrainingRun> {
        let started = self
            .incident_start(&p.name, Incident::Retrain)
            .filter(|s| now >= *s)?;
        let done = self.retrained(&p.name, now);
        let name = scripted_run(&p.name, started);
        let stopped = self.acts(|a| a.stopped(&name, now));
        Some(TrainingRun {
            execution_arn: Some(execution_arn(&p.name, &name)),
            serving: false,
            source: RunSource::Pipeline,
            detail: RunDetail::default(),
            name,
            status: match (done, stopped) {
                (Some(_), _) => RunStatus::Completed,
                (None, Some(_)) => RunStatus::Stopped,
                (None, None) => RunStatus::InProgress,
            },
            started,
            ended: done.or(stopped),
            failure_reason: None,
            objective: done.map(|_| objective(p, 0)),
            secondary_status: (done.is_none() && stopped.is_none()).then(|| "Training".to_string()),
        })
    }
}
