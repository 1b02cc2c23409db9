//! SageMaker Pipelines: the executions that retrain a model, as training runs.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sagemaker::types::{PipelineExecutionSummary, SortOrder};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::timestamp;
use crate::aws::errors::describe;
use crate::aws::status::execution_status;
use crate::model::facts::{RunStatus, TrainingRun};
use crate::source::aws::fan_out::lock;
use crate::source::pages::Pages;

/// Executions kept per pipeline for the detail view.
const RUNS_PER_PIPELINE: i32 = 5;

/// Every pipeline name in the region, for matching models by name when config is silent.
pub async fn names(client: &Client) -> Result<Vec<String>, String> {
    const OP: &str = "sagemaker:ListPipelines";
    let mut pages = client
        .list_pipelines()
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut bound = Pages::new(OP, 50);
    let mut names = Vec::new();
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe(OP, &e))?;
        names.extend(
            page.pipeline_summaries()
                .iter()
                .filter_map(|p| p.pipeline_name().map(str::to_string)),
        );
    }
    Ok(names)
}

/// Failure reasons by execution ARN: a finished execution never changes, so each
/// failed one is described once per session.
#[derive(Default)]
pub struct Reasons(Mutex<HashMap<String, Option<String>>>);

impl Reasons {
    /// What has been learned so far, to be remembered.
    pub fn remembered(&self) -> HashMap<String, Option<String>> {
        lock(&self.0).clone()
    }

    /// Starts from what a past session learned (before the first refresh).
    pub fn recall(&self, past: HashMap<String, Option<String>>) {
        *lock(&self.0) = past;
    }

    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }

    /// The pipeline's newest executions, newest first; a failed newest one carries
    /// its reason.
    pub async fn runs(&self, client: &Client, pipeline: &str) -> Result<Vec<TrainingRun>, String> {
        let listed = client
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .sort_order(SortOrder::Descending)
            .max_results(RUNS_PER_PIPELINE)
            .send()
            .await
            .map_err(|e| describe("sagemaker:ListPipelineExecutions", &e))?;
        let mut runs = Vec::new();
        for (i, s) in listed.pipeline_execution_summaries().iter().enumerate() {
            let mut run = run(pipeline, s);
            if i == 0 && run.status == RunStatus::Failed {
                let arn = s.pipeline_execution_arn().unwrap_or_default();
                run.failure_reason = self.reason(client, arn).await?;
            }
            runs.push(run);
        }
        Ok(runs)
    }

    async fn reason(&self, client: &Client, arn: &str) -> Result<Option<String>, String> {
        if let Some(known) = lock(&self.0).get(arn) {
            return Ok(known.clone());
        }
        let d = client
            .describe_pipeline_execution()
            .pipeline_execution_arn(arn)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribePipelineExecution", &e))?;
        let reason = d
            .failure_reason()
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        lock(&self.0).insert(arn.to_string(), reason.clone());
        Ok(reason)
    }
}

fn run(pipeline: &str, s: &PipelineExecutionSummary) -> TrainingRun {
    let id = s
        .pipeline_execution_arn()
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    let name = s
        .pipeline_execution_display_name()
        .filter(|n| !n.is_empty())
        .map_or_else(|| format!("{pipeline}/{id}"), str::to_string);
    let status = execution_status(s.pipeline_execution_status());
    TrainingRun {
        name,
        status,
        started: s
            .start_time()
            .and_then(timestamp)
            .unwrap_or(Timestamp::UNIX_EPOCH),
        // The summary has no end time; the detail view shows the start.
        ended: None,
        failure_reason: None,
        objective: None,
        secondary_status: None,
        execution_arn: s.pipeline_execution_arn().map(str::to_string),
        serving: false,
        source: crate::model::facts::RunSource::Pipeline,
        detail: Default::default(),
    }
}
