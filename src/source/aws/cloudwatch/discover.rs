//! Which metrics exist, found with ListMetrics (re-listed every few refreshes): the
//! team's business metrics by model, and Model Monitor's drift and model-quality
//! metrics by endpoint.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{DimensionFilter, Metric};
use aws_sdk_cloudwatch::Client;

use crate::aws::errors::describe;
use crate::config::MetricQuery;
use crate::model::metrics::names;
use crate::source::pages::Pages;

/// Model Monitor's data-quality metrics: dimensions Endpoint and MonitoringSchedule.
pub const DATA_METRICS: &str = "aws/sagemaker/Endpoints/data-metrics";
/// Model Monitor's model-quality metrics, same dimensions.
pub const MODEL_METRICS: &str = "aws/sagemaker/Endpoints/model-metrics";

/// Whose metric it is: a model by name, or whatever model serves an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    Model(String),
    Endpoint(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub owner: Owner,
    pub query: MetricQuery,
}

/// Pages of a namespace's metrics read at most (500 metrics a page).
const MAX_PAGES: usize = 40;

/// Every metric of `namespace`, optionally only those with dimension `dimension`.
pub async fn list(
    client: &Client,
    namespace: &str,
    dimension: Option<&str>,
) -> Result<Vec<Metric>, String> {
    let filter = dimension.map(|d| DimensionFilter::builder().name(d).build());
    let mut pages = client
        .list_metrics()
        .namespace(namespace)
        .set_dimensions(filter.map(|f| vec![f]))
        .into_paginator()
        .send();
    let mut metrics = Vec::new();
    let mut bound = Pages::new("cloudwatch:ListMetrics", MAX_PAGES);
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe("cloudwatch:ListMetrics", &e))?;
        metrics.extend(page.metrics().iter().cloned());
    }
    Ok(metrics)
}

fn dims(m: &Metric) -> BTreeMap<String, String> {
    m.dimensions()
        .iter()
        .filter_map(|d| Some((d.name()?.to_string(), d.value()?.to_string())))
        .collect()
}

fn query(
    namespace: &str,
    key: String,
    m: &Metric,
    dimensions: BTreeMap<String, String>,
) -> Option<MetricQuery> {
    Some(MetricQuery {
        key,
        namespace: namespace.to_string(),
        name: m.metric_name()?.to_string(),
        dimensions,
        stat: "Average".into(),
        scale: None,
    })
}

/// Business metrics that name their model by `dimension` alone.
pub fn business(metrics: &[Metric], namespace: &str, dimension: &str) -> Vec<Found> {
    let mut found: Vec<Found> = metrics
        .iter()
        .filter_map(|m| {
            let d = dims(m);
            let model = d.get(dimension).filter(|_| d.len() == 1)?.clone();
            let q = query(namespace, m.metric_name()?.to_string(), m, d)?;
            Some(Found {
                owner: Owner::Model(model),
                query: q,
            })
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Model Monitor's per-endpoint metrics: from data-metrics only the per-feature drift
/// distances; from model-metrics all, under the names the rules know (rmse → RMSE).
pub fn monitor(metrics: &[Metric], namespace: &str) -> Vec<Found> {
    let mut found: Vec<Found> = metrics
        .iter()
        .filter_map(|m| {
            let name = m.metric_name()?;
            let key = match namespace {
                DATA_METRICS => name
                    .starts_with(names::FEATURE_DRIFT_PREFIX)
                    .then(|| name.to_string())?,
                _ => match name {
                    "rmse" => names::RMSE.to_string(),
                    "auc" => names::AUC.to_string(),
                    other => other.to_string(),
                },
            };
            let d = dims(m);
            let endpoint = d.get("Endpoint")?.clone();
            Some(Found {
                owner: Owner::Endpoint(endpoint),
                query: query(namespace, key, m, d)?,
            })
        })
        .collect();
    found.sort();
    // One schedule per metric of an endpoint: the first (by schedule name) wins.
    found.dedup_by(|a, b| a.owner == b.owner && a.query.key == b.query.key);
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudwatch::types::Dimension;

    fn metric(name: &str, dims: &[(&str, &str)]) -> Metric {
        Metric::builder()
            .metric_name(name)
            .set_dimensions(Some(
                dims.iter()
                    .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
                    .collect(),
            ))
            .build()
    }

    #[test]
    fn business_metrics_need_the_model_dimension_alone() {
        let m = [
            metric("MAPE", &[("ModelName", "demand")]),
            metric("MAPE", &[("ModelName", "demand"), ("Region", "eu")]),
            metric("CTR", &[("Other", "x")]),
        ];
        let found = business(&m, "MLOps/Models", "ModelName");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].owner, Owner::Model("demand".into()));
        assert_eq!(found[0].query.key, "MAPE");
    }

    #[test]
    fn monitor_metrics_keep_feature_drift_and_name_quality_metrics() {
        let d = [("Endpoint", "ep"), ("MonitoringSchedule", "hourly")];
        let data = [
            metric("feature_baseline_drift_basket_size", &d),
            metric("feature_non_null_basket_size", &d),
        ];
        let found = monitor(&data, DATA_METRICS);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].query.key, "feature_baseline_drift_basket_size");
        assert_eq!(found[0].query.dimensions["MonitoringSchedule"], "hourly");
        let quality = [metric("rmse", &d), metric("mae", &d)];
        let keys: Vec<String> = monitor(&quality, MODEL_METRICS)
            .into_iter()
            .map(|f| f.query.key)
            .collect();
        assert_eq!(keys, vec!["RMSE", "mae"]);
    }
}
