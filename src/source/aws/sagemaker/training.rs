//! Training jobs: one listing per refresh for the whole account (ListTrainingJobs is
//! rate-limited to a couple of requests a second), matched to models by name.

use aws_sdk_sagemaker::types::{SortBy, SortOrder, TrainingJobStatus, TrainingJobSummary};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::{interval, Interval, MissedTickBehavior};

use super::super::errors::describe;
use super::super::timestamp;
use crate::model::facts::{RunStatus, TrainingRun};

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

pub async fn recent_jobs(
    client: &Client,
    pacer: &Pacer,
) -> Result<Vec<TrainingJobSummary>, String> {
    pacer.turn().await;
    let mut pages = client
        .list_training_jobs()
        .sort_by(SortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut jobs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("sagemaker:ListTrainingJobs", &e))?;
        jobs.extend(page.training_job_summaries().iter().cloned());
        if jobs.len() >= RECENT_JOBS || page.next_token().is_none() {
            break;
        }
        pacer.turn().await;
    }
    Ok(jobs)
}

/// What DescribeTrainingJob adds to a listed job. A finished job never changes, so
/// it is described once per session; a running one each refresh.
#[derive(Default)]
pub struct JobDetails(HashMap<String, TrainingRun>);

impl JobDetails {
    /// Fills `run` (a listed job) with its failure reason, final metric and
    /// secondary status.
    async fn fill(&mut self, client: &Client, run: &mut TrainingRun) -> Result<(), String> {
        if let Some(known) = self.0.get(&run.name).filter(|k| k.status == run.status) {
            *run = known.clone();
            return Ok(());
        }
        let d = client
            .describe_training_job()
            .training_job_name(&run.name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeTrainingJob", &e))?;
        run.failure_reason = d.failure_reason().map(str::to_string);
        run.secondary_status = d.secondary_status().map(|s| s.as_str().to_string());
        run.objective = d
            .final_metric_data_list()
            .first()
            .and_then(|m| Some((m.metric_name()?.to_string(), f64::from(m.value()?))));
        if !matches!(run.status, RunStatus::InProgress | RunStatus::Stopping) {
            self.0.insert(run.name.clone(), run.clone());
        }
        Ok(())
    }
}

/// The newest runs whose names start with one of `prefixes` (the package group, the
/// model, the endpoint), newest first; the newest is described for its details.
pub async fn for_model(
    client: &Client,
    details: &mut JobDetails,
    jobs: &[TrainingJobSummary],
    prefixes: &[&str],
) -> Result<Vec<TrainingRun>, String> {
    let prefix = prefixes.iter().find(|p| {
        jobs.iter()
            .any(|j| j.training_job_name().is_some_and(|n| n.starts_with(**p)))
    });
    let Some(prefix) = prefix else {
        return Ok(Vec::new());
    };
    let mut runs: Vec<TrainingRun> = jobs
        .iter()
        .filter(|j| {
            j.training_job_name()
                .is_some_and(|n| n.starts_with(*prefix))
        })
        .take(RUNS_PER_MODEL)
        .map(run)
        .collect();
    if let Some(newest) = runs.first_mut() {
        details.fill(client, newest).await?;
    }
    Ok(runs)
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
    }
}

/// A training job's status as a run's.
pub fn job_status(s: Option<&TrainingJobStatus>) -> RunStatus {
    match s {
        Some(TrainingJobStatus::Completed) => RunStatus::Completed,
        Some(TrainingJobStatus::Failed) => RunStatus::Failed,
        Some(TrainingJobStatus::Stopping) => RunStatus::Stopping,
        Some(TrainingJobStatus::Stopped) => RunStatus::Stopped,
        _ => RunStatus::InProgress,
    }
}
