//! CloudWatch alarms, each attached to the model whose endpoint or metric it watches.

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm, StateValue};
use aws_sdk_cloudwatch::Client;
use jiff::Timestamp;

use super::discover::{DATA_METRICS, MODEL_METRICS};
use crate::aws::errors::describe;
use crate::model::metrics::names;
use crate::model::{Alarm, AlarmState, Stage};
use crate::source::pages::Pages;

/// Which model a dimension value belongs to: endpoint names and model names.
pub struct Owners {
    pub by_endpoint: HashMap<String, String>,
    /// The dimension teams name models by in their own metrics (e.g. ModelName).
    pub model_dimension: String,
    pub models: Vec<String>,
}

impl Owners {
    fn owner(&self, dims: &[Dimension]) -> Option<String> {
        dims.iter().find_map(|d| {
            let value = d.value()?;
            match d.name()? {
                "EndpointName" => self.by_endpoint.get(value).cloned(),
                name if name == self.model_dimension => {
                    self.models.iter().find(|m| m.as_str() == value).cloned()
                }
                _ => None,
            }
        })
    }
}

/// Pages of alarms read at most (100 alarms a page).
const MAX_PAGES: usize = 50;

/// Every metric alarm in the region, as CloudWatch describes it.
pub async fn list(client: &Client) -> Result<Vec<MetricAlarm>, String> {
    const OP: &str = "cloudwatch:DescribeAlarms";
    let mut pages = client
        .describe_alarms()
        .max_records(100)
        .into_paginator()
        .send();
    let mut bound = Pages::new(OP, MAX_PAGES);
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe(OP, &e))?;
        out.extend(page.metric_alarms().iter().cloned());
    }
    Ok(out)
}

/// Each alarm with the model it watches, when one matches.
pub fn owned(listed: &[MetricAlarm], owners: &Owners) -> Vec<Alarm> {
    listed.iter().map(|a| alarm(a, owners)).collect()
}

/// The alarms on `endpoint` (its EndpointName dimension) that are not firing now:
/// what a rollback's deployment guardrails watch. Only CloudWatch's own answer
/// says which alarms those are.
pub async fn quiet_on(client: &Client, endpoint: &str) -> Result<Vec<String>, String> {
    let owners = Owners {
        by_endpoint: [(endpoint.to_string(), endpoint.to_string())].into(),
        model_dimension: String::new(),
        models: Vec::new(),
    };
    Ok(owned(&list(client).await?, &owners)
        .into_iter()
        .filter(|a| a.model.is_some())
        .filter(|a| a.state != AlarmState::Alarm)
        .map(|a| a.name)
        .collect())
}

/// The stage a metric belongs to: the endpoint's own metrics, drift, or the
/// model's business metrics.
fn stage_of(namespace: &str, metric: &str, dims: &[Dimension], owners: &Owners) -> Option<Stage> {
    let has = |name: &str| dims.iter().any(|d| d.name() == Some(name));
    let drift = metric == names::DRIFT_SCORE || metric.starts_with(names::FEATURE_DRIFT_PREFIX);
    match namespace {
        "AWS/SageMaker" | "/aws/sagemaker/Endpoints" => Some(Stage::Endpoint),
        DATA_METRICS => Some(Stage::Drift),
        MODEL_METRICS => Some(Stage::Quality),
        _ if has("EndpointName") => Some(Stage::Endpoint),
        _ if has(&owners.model_dimension) && drift => Some(Stage::Drift),
        _ if has(&owners.model_dimension) => Some(Stage::Quality),
        _ => None,
    }
}

fn alarm(a: &MetricAlarm, owners: &Owners) -> Alarm {
    // A metric-math alarm names its metrics in `metrics`, not in `dimensions`.
    let watched = std::iter::once((
        a.namespace().unwrap_or_default(),
        a.metric_name().unwrap_or_default(),
        a.dimensions(),
    ))
    .chain(a.metrics().iter().filter_map(|q| {
        let m = q.metric_stat()?.metric()?;
        Some((
            m.namespace().unwrap_or_default(),
            m.metric_name().unwrap_or_default(),
            m.dimensions(),
        ))
    }));
    let (model, stage) = watched
        .filter_map(|(namespace, metric, dims)| {
            let model = owners.owner(dims)?;
            Some((model, stage_of(namespace, metric, dims, owners)))
        })
        .next()
        .unzip();
    Alarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        state: match a.state_value() {
            Some(StateValue::Alarm) => AlarmState::Alarm,
            Some(StateValue::Ok) => AlarmState::Ok,
            _ => AlarmState::InsufficientData,
        },
        reason: a.state_reason().unwrap_or_default().to_string(),
        since: a
            .state_updated_timestamp()
            .and_then(|t| Timestamp::from_second(t.secs()).ok())
            .unwrap_or(Timestamp::UNIX_EPOCH),
        model,
        stage: stage.flatten(),
        scope: 0,
        notifies: Some(a.alarm_actions().to_vec()),
    }
}
