//! Training jobs: one listing per refresh for the whole account (ListTrainingJobs is
//! rate-limited to a couple of requests a second), matched to models by name.

use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::{SortBy, SortOrder, TrainingJobSummary};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::{interval, Interval, MissedTickBehavior};

use super::super::timestamp;
use crate::aws::errors::{describe, is_not_found};
use crate::aws::status::job_status;
use crate::model::facts::{RunStatus, TrainingRun};
use crate::model::identity::Normaliser;
use crate::source::aws::fan_out::lock;
use crate::source::pages::Pages;

/// Newest jobs looked at each refresh; older ones rarely matter on call.
const RECENT_JOBS: usize = 300;
/// Runs kept per model for the detail view.
const RUNS_PER_MODEL: usize = 5;

/// ListTrainingJobs allows about two requests a second per account. Every caller in
/// the session (refreshes, actions) takes its turn here, so bursts never reach AWS.
#[derive(Clone)]
pub struct Pacer(Arc<Mutex<Interval>>);

impl Pacer {
    pub fn new(per_second: u32) -> Pacer {
        let mut every = interval(Duration::from_secs(1) / per_second.max(1));
        every.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Pacer(Arc::new(Mutex::new(every)))
    }

    /// Waits for this caller's turn.
    pub async fn turn(&self) {
        self.0.lock().await.tick().await;
    }
}

/// The newest training jobs of the region, kept between refreshes: after the first
/// listing only jobs created since the oldest unfinished one (or the newest known)
/// are listed again, so a steady refresh is one page, not three paced ones.
#[derive(Default)]
pub struct RecentJobs {
    known: Vec<TrainingJobSummary>,
}

impl RecentJobs {
    pub async fn refresh(
        &mut self,
        client: &Client,
        pacer: &Pacer,
    ) -> Result<Vec<TrainingJobSummary>, String> {
        let since = self.unchanged_before();
        let fresh = list(client, pacer, since).await?;
        let mut by_name: HashMap<String, TrainingJobSummary> = std::mem::take(&mut self.known)
            .into_iter()
            .chain(fresh)
            .filter_map(|j| Some((j.training_job_name()?.to_string(), j)))
            .collect();
        let mut jobs: Vec<TrainingJobSummary> = by_name.drain().map(|(_, j)| j).collect();
        jobs.sort_by_key(|j| std::cmp::Reverse(j.creation_time().map_or(0, |t| t.secs())));
        jobs.truncate(RECENT_JOBS);
        self.known.clone_from(&jobs);
        Ok(jobs)
    }

    /// The last listing, for a refresh whose listing failed.
    pub fn known(&self) -> Vec<TrainingJobSummary> {
        self.known.clone()
    }

    /// Jobs created before this cannot have changed since the last listing: all
    /// older ones had finished.
    fn unchanged_before(&self) -> Option<DateTime> {
        let newest = self
            .known
            .iter()
            .filter_map(|j| j.creation_time())
            .max_by_key(|t| t.secs())?;
        let unfinished = self
            .known
            .iter()
            .filter(|j| !is_finished(job_status(j.training_job_status())))
            .filter_map(|j| j.creation_time())
            .min_by_key(|t| t.secs());
        let since = unfinished
            .filter(|u| u.secs() < newest.secs())
            .unwrap_or(newest);
        // A second earlier: jobs created in the same second as `since` are listed too.
        Some(DateTime::from_secs(since.secs() - 1))
    }
}

async fn list(
    client: &Client,
    pacer: &Pacer,
    since: Option<DateTime>,
) -> Result<Vec<TrainingJobSummary>, String> {
    pacer.turn().await;
    let mut pages = client
        .list_training_jobs()
        .sort_by(SortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .max_results(super::PAGE)
        .set_creation_time_after(since)
        .into_paginator()
        .send();
    let mut jobs = Vec::new();
    let mut bound = Pages::new("sagemaker:ListTrainingJobs", 2 * RECENT_JOBS / 100);
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe("sagemaker:ListTrainingJobs", &e))?;
        jobs.extend(page.training_job_summaries().iter().cloned());
        if jobs.len() >= RECENT_JOBS || page.next_token().is_none() {
            break;
        }
        pacer.turn().await;
    }
    Ok(jobs)
}

/// What DescribeTrainingJob says of a job: a finished job never changes, so it is
/// described once per session; a running one each time it is asked for.
#[derive(Default)]
pub struct JobDetails(std::sync::Mutex<Known>);

/// Finished jobs described so far: kept for the session, remembered for the next.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Known {
    described: HashMap<String, Detail>,
    /// Jobs an artifact URL names that do not exist (deleted, another account):
    /// not asked for again.
    absent: std::collections::HashSet<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Detail {
    run: TrainingRun,
    /// `ModelArtifacts.S3ModelArtifacts`: what the job wrote.
    artifact: Option<String>,
    /// Its training channel's S3 URI: a baseline for drift.
    #[serde(default)]
    training_data: Option<String>,
}

impl JobDetails {
    /// What has been learned so far, to be remembered.
    pub fn remembered(&self) -> Known {
        lock(&self.0).clone()
    }

    /// Starts from what a past session learned (before the first refresh).
    pub fn recall(&self, past: Known) {
        *lock(&self.0) = past;
    }

    pub fn len(&self) -> usize {
        let known = lock(&self.0);
        known.described.len() + known.absent.len()
    }

    /// Fills `run` (a listed job) with its failure reason, final metric and
    /// secondary status.
    async fn fill(&self, client: &Client, run: &mut TrainingRun) -> Result<(), String> {
        let cached = lock(&self.0)
            .described
            .get(&run.name)
            .filter(|k| k.run.status == run.status)
            .cloned();
        let detail = match cached {
            Some(d) => d,
            None => match self.describe(client, &run.name).await? {
                Some(d) => d,
                None => return Ok(()),
            },
        };
        *run = detail.run;
        Ok(())
    }

    /// The job that wrote `artifact`, when SageMaker's layout names one and that job's
    /// own output is exactly `artifact`: the run now serving.
    pub async fn serving(
        &self,
        client: &Client,
        artifact: &str,
    ) -> Result<Option<TrainingRun>, String> {
        let Some(name) = crate::model::runs::job_named_in(artifact) else {
            return Ok(None);
        };
        let known = {
            let known = lock(&self.0);
            if known.absent.contains(name) {
                return Ok(None);
            }
            known.described.get(name).cloned()
        };
        let detail = match known {
            Some(d) if is_finished(d.run.status) => Some(d),
            _ => self.describe(client, name).await?,
        };
        Ok(detail
            .filter(|d| d.artifact.as_deref() == Some(artifact))
            .map(|d| TrainingRun {
                serving: true,
                source: crate::model::facts::RunSource::SageMaker,
                detail: Default::default(),
                ..d.run
            }))
    }

    /// The training channel of the finished job that wrote `artifact`, when it has
    /// been described (lineage describes the serving job).
    pub fn training_data(&self, artifact: &str) -> Option<String> {
        let name = crate::model::runs::job_named_in(artifact)?;
        let known = lock(&self.0);
        let d = known.described.get(name)?;
        (d.artifact.as_deref() == Some(artifact))
            .then(|| d.training_data.clone())
            .flatten()
    }

    /// Describes `name`; None when no such job exists.
    async fn describe(&self, client: &Client, name: &str) -> Result<Option<Detail>, String> {
        let d = match client
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
        {
            Ok(d) => d,
            Err(e) if is_not_found(&e) => {
                lock(&self.0).absent.insert(name.to_string());
                return Ok(None);
            }
            Err(e) => return Err(describe("sagemaker:DescribeTrainingJob", &e)),
        };
        let run = TrainingRun {
            name: name.to_string(),
            status: job_status(d.training_job_status()),
            started: d
                .creation_time()
                .and_then(timestamp)
                .unwrap_or(Timestamp::UNIX_EPOCH),
            ended: d.training_end_time().and_then(timestamp),
            failure_reason: d.failure_reason().map(str::to_string),
            secondary_status: d.secondary_status().map(|s| s.as_str().to_string()),
            objective: d
                .final_metric_data_list()
                .first()
                .and_then(|m| Some((m.metric_name()?.to_string(), f64::from(m.value()?)))),
            execution_arn: None,
            serving: false,
            source: crate::model::facts::RunSource::SageMaker,
            detail: Default::default(),
        };
        // The channel named for training, else the first.
        let channels = d.input_data_config();
        let channel = channels
            .iter()
            .find(|c| matches!(c.channel_name(), Some("train" | "training")))
            .or(channels.first());
        let detail = Detail {
            training_data: channel.and_then(|c| {
                c.data_source()?
                    .s3_data_source()?
                    .s3_uri()
                    .map(str::to_string)
            }),
            artifact: d
                .model_artifacts()
                .and_then(|a| a.s3_model_artifacts())
                .map(str::to_string),
            run,
        };
        if is_finished(detail.run.status) {
            lock(&self.0)
                .described
                .insert(name.to_string(), detail.clone());
        }
        Ok(Some(detail))
    }
}

fn is_finished(status: RunStatus) -> bool {
    !matches!(status, RunStatus::InProgress | RunStatus::Stopping)
}

/// Who may claim a job or pipeline by name: a row's configured prefix, and the names
/// it goes by (model, endpoint, package group, SageMaker models).
pub struct Claim<'a> {
    pub prefix: Option<&'a str>,
    pub names: Vec<&'a str>,
}

/// The row (index into `claims`) that `name` belongs to: a configured prefix (the
/// longest), else a name equal once affixes are stripped (`demand-train-v3` is
/// `demand`'s), else the longest name it starts with followed by a separator, so
/// `churn-v2-experiment-train` goes to `churn-v2-experiment` when that row exists and
/// to `churn` only when it does not.
pub fn owner(name: &str, claims: &[Claim], names: &Normaliser) -> Option<usize> {
    let longest = |candidates: &mut dyn Iterator<Item = (usize, usize)>| {
        candidates
            .max_by_key(|(len, i)| (*len, std::cmp::Reverse(*i)))
            .map(|(_, i)| i)
    };
    let by_prefix = longest(&mut claims.iter().enumerate().filter_map(|(i, c)| {
        let p = c.prefix?;
        name.starts_with(p).then_some((p.len(), i))
    }));
    if by_prefix.is_some() {
        return by_prefix;
    }
    let key = names.key(name);
    let by_key = claims
        .iter()
        .position(|c| c.prefix.is_none() && c.names.iter().any(|n| names.key(n) == key));
    if by_key.is_some() {
        return by_key;
    }
    longest(
        &mut claims
            .iter()
            .enumerate()
            .filter(|(_, c)| c.prefix.is_none())
            .filter_map(|(i, c)| {
                c.names
                    .iter()
                    .filter(|n| {
                        name.strip_prefix(**n)
                            .is_some_and(|rest| rest.starts_with(['-', '_', '.']))
                    })
                    .map(|n| n.len())
                    .max()
                    .map(|len| (len, i))
            }),
    )
}

/// The listed jobs each row owns, newest first (the listing's order), at most
/// `RUNS_PER_MODEL` each.
pub fn claimed(
    jobs: &[TrainingJobSummary],
    claims: &[Claim<'_>],
    names: &Normaliser,
) -> Vec<Vec<TrainingRun>> {
    let mut out: Vec<Vec<TrainingRun>> = claims.iter().map(|_| Vec::new()).collect();
    for j in jobs {
        let Some(name) = j.training_job_name() else {
            continue;
        };
        if let Some(runs) = owner(name, claims, names).and_then(|i| out.get_mut(i)) {
            if runs.len() < RUNS_PER_MODEL {
                runs.push(run(j));
            }
        }
    }
    out
}

impl JobDetails {
    /// The newest of a row's listed runs described for its details; one that could
    /// not be described keeps what the listing says, and why is the answer.
    pub async fn fill_newest(&self, client: &Client, runs: &mut [TrainingRun]) -> Option<String> {
        let newest = runs.first_mut()?;
        self.fill(client, newest).await.err()
    }
}

fn run(j: &TrainingJobSummary) -> TrainingRun {
    TrainingRun {
        name: j.training_job_name().unwrap_or_default().to_string(),
        status: job_status(j.training_job_status()),
        started: j
            .creation_time()
            .and_then(timestamp)
            .unwrap_or(Timestamp::UNIX_EPOCH),
        ended: j.training_end_time().and_then(timestamp),
        failure_reason: None,
        objective: None,
        secondary_status: None,
        execution_arn: None,
        serving: false,
        source: crate::model::facts::RunSource::SageMaker,
        detail: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim<'a>(names: &[&'a str]) -> Claim<'a> {
        Claim {
            prefix: None,
            names: names.to_vec(),
        }
    }

    #[test]
    fn jobs_go_to_the_model_they_are_named_for() {
        let n = Normaliser::default();
        let claims = [
            claim(&["churn", "churn-prod"]),
            claim(&["churn-v2-experiment"]),
            claim(&[
                "demand-forecasting",
                "demand-forecasting-prod",
                "demand-forecasting-group",
            ]),
            Claim {
                prefix: Some("nightly-"),
                names: vec!["recsys"],
            },
        ];
        let cases = [
            ("demand-forecasting-train-v3", Some(2)),
            ("demand-forecasting-2026-11-20-10-00-00-123", Some(2)),
            ("demand-forecasting-group-job-7", Some(2)),
            ("churn-v2-experiment-train-1", Some(1)),
            ("churn-train-1", Some(0)),
            ("churn-retrain-a", Some(0)),
            ("churnx-train", None),
            ("nightly-recsys-1", Some(3)),
            ("recsys-train-v1", None),
            ("pipelines-abc123-Train-x", None),
        ];
        for (job, want) in cases {
            assert_eq!(owner(job, &claims, &n), want, "{job}");
        }
    }

    #[test]
    fn without_the_experiment_row_its_jobs_fall_to_the_shorter_name() {
        let n = Normaliser::default();
        let claims = [claim(&["churn"])];
        assert_eq!(owner("churn-v2-experiment-train-1", &claims, &n), Some(0));
    }
}
