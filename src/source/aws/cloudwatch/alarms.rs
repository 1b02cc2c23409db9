//! CloudWatch alarms, each attached to the model whose endpoint or metric it watches.

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{Dimension, MetricAlarm, StateValue};
use aws_sdk_cloudwatch::Client;
use jiff::Timestamp;

use super::super::errors::describe;
use crate::model::{Alarm, AlarmState};

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

/// Every metric alarm in the region, with the model it watches when one matches.
pub async fn alarms(client: &Client, owners: &Owners) -> Result<Vec<Alarm>, String> {
    let mut pages = client.describe_alarms().into_paginator().send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("cloudwatch:DescribeAlarms", &e))?;
        out.extend(page.metric_alarms().iter().map(|a| alarm(a, owners)));
    }
    Ok(out)
}

fn alarm(a: &MetricAlarm, owners: &Owners) -> Alarm {
    // A metric-math alarm names its metrics in `metrics`, not in `dimensions`.
    let model = owners.owner(a.dimensions()).or_else(|| {
        a.metrics().iter().find_map(|q| {
            let metric = q.metric_stat()?.metric()?;
            owners.owner(metric.dimensions())
        })
    });
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
    }
}
