//! Model Monitor schedules: each endpoint's newest monitoring run (a failed one makes
//! drift a warning) and where its reports go (the S3 source reads them). Model Monitor
//! is closed to new customers, so many accounts have none, and some emulators do not
//! implement it: any error here leaves drift to the other sources and never fails
//! the SageMaker refresh.

use std::collections::{HashMap, HashSet};

use aws_sdk_sagemaker::config::retry::RetryConfig;
use aws_sdk_sagemaker::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::types::MonitoringScheduleSummary;
use aws_sdk_sagemaker::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use jiff::Timestamp;

use super::super::timestamp;
use crate::aws::errors::{describe, is_unimplemented};
use crate::config::S3Location;
use crate::model::facts::MonitoringRun;
use crate::source::aws::fan_out::fan_out;
use crate::source::pages::Pages;

/// One endpoint's data-quality monitoring, as described this refresh.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Monitoring {
    pub last_run: Option<MonitoringRun>,
    pub reports: Option<S3Location>,
}

/// Schedules by endpoint; `off` once the service said it does not implement them.
#[derive(Default)]
pub struct Schedules {
    off: bool,
    /// Schedules described at once.
    in_flight: usize,
    /// The last answer, kept through a failed lookup: monitoring changes slowly,
    /// and the next refresh asks again.
    last: HashMap<String, Monitoring>,
    /// The source's client without retries, made on first use.
    once: Option<Client>,
}

impl Schedules {
    pub fn new(in_flight: usize) -> Schedules {
        Schedules {
            off: false,
            in_flight,
            last: HashMap::new(),
            once: None,
        }
    }

    /// Every endpoint's monitoring: one paged ListMonitoringSchedules for the region,
    /// then one DescribeMonitoringSchedule per schedule of a watched endpoint.
    pub async fn by_endpoint(
        &mut self,
        client: &Client,
        endpoints: &[&str],
    ) -> HashMap<String, Monitoring> {
        if self.off || endpoints.is_empty() {
            return HashMap::new();
        }
        // Not retried within a refresh: an optional lookup must not hold the rows
        // back through a retry schedule (the last answer stands meanwhile).
        let once = self.once.get_or_insert_with(|| {
            Client::from_conf(
                client
                    .config()
                    .to_builder()
                    .retry_config(RetryConfig::disabled())
                    .build(),
            )
        });
        match lookup(once, endpoints, self.in_flight).await {
            Ok(found) => {
                self.last.clone_from(&found);
                found
            }
            Err((why, unimplemented)) => {
                tracing::warn!("monitoring schedules unavailable: {why}");
                self.off = unimplemented;
                match unimplemented {
                    true => HashMap::new(),
                    false => self.last.clone(),
                }
            }
        }
    }
}

/// Why the schedules could not be read, and whether the service lacks the call.
type MonitoringFailure = (String, bool);

async fn lookup(
    client: &Client,
    endpoints: &[&str],
    in_flight: usize,
) -> Result<HashMap<String, Monitoring>, MonitoringFailure> {
    const OP: &str = "sagemaker:ListMonitoringSchedules";
    let mut pages = client
        .list_monitoring_schedules()
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut bound = Pages::new(OP, 50);
    let mut summaries: Vec<MonitoringScheduleSummary> = Vec::new();
    while let Some(page) = pages.next().await {
        bound.count().map_err(|why| (why, false))?;
        let page = page.map_err(|e| failure(OP, &e))?;
        summaries.extend(page.monitoring_schedule_summaries().iter().cloned());
    }
    // Data-quality schedules decide drift; other kinds (model quality, bias) do not.
    let mut seen = HashSet::new();
    let watched: Vec<(&str, &str)> = summaries
        .iter()
        .filter(|s| {
            s.endpoint_name().is_some_and(|e| endpoints.contains(&e))
                && s.monitoring_type()
                    .is_none_or(|t| t.as_str() == "DataQuality")
        })
        .filter_map(|s| Some((s.endpoint_name()?, s.monitoring_schedule_name()?)))
        .filter(|(endpoint, _)| seen.insert(*endpoint))
        .collect();
    let described = fan_out(watched, in_flight, |(endpoint, name)| async move {
        (endpoint, schedule(client, name).await)
    })
    .await;
    let mut out = HashMap::new();
    for (endpoint, found) in described {
        match found {
            Ok(m) => {
                out.insert(endpoint.to_string(), m);
            }
            // One schedule that could not be read costs its endpoint's drift cell
            // only; the service not implementing the call turns the lookup off.
            Err((why, true)) => return Err((why, true)),
            Err((why, false)) => tracing::warn!("{endpoint}: {why}"),
        }
    }
    Ok(out)
}

async fn schedule(client: &Client, name: &str) -> Result<Monitoring, MonitoringFailure> {
    let d = client
        .describe_monitoring_schedule()
        .monitoring_schedule_name(name)
        .send()
        .await
        .map_err(|e| failure("sagemaker:DescribeMonitoringSchedule", &e))?;
    // A schedule that never ran counts as idle since it was created.
    let never_ran = || MonitoringRun {
        schedule: name.to_string(),
        status: "NotRunYet".into(),
        failure_reason: None,
        scheduled: d
            .creation_time()
            .and_then(timestamp)
            .unwrap_or(Timestamp::UNIX_EPOCH),
    };
    let last_run = d
        .last_monitoring_execution_summary()
        .map(|r| MonitoringRun {
            schedule: name.to_string(),
            status: r
                .monitoring_execution_status()
                .map_or("Unknown", |s| s.as_str())
                .to_string(),
            failure_reason: r.failure_reason().map(str::to_string),
            scheduled: r
                .scheduled_time()
                .and_then(timestamp)
                .unwrap_or(Timestamp::UNIX_EPOCH),
        })
        .or_else(|| Some(never_ran()));
    let uri = d
        .monitoring_schedule_config()
        .and_then(|c| c.monitoring_job_definition())
        .and_then(|j| j.monitoring_output_config())
        .and_then(|o| o.monitoring_outputs().first())
        .and_then(|o| o.s3_output())
        .and_then(|s| s.s3_uri());
    Ok(Monitoring {
        last_run,
        reports: uri.and_then(crate::config::parse_s3),
    })
}

/// The one-line reason, and whether the service does not implement the call.
fn failure<E>(action: &str, err: &SdkError<E, HttpResponse>) -> MonitoringFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    (describe(action, err), is_unimplemented(err))
}
