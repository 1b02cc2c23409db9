//! `[[models]]`: models named one by one, each mapped to the AWS resources that make
//! up its pipeline. Anything left out is discovered (endpoint name, name prefixes).

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::model::units::Scale;
use crate::model::{ModelKind, Threshold};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ModelConfig {
    pub name: String,
    #[serde(default)]
    pub kind: Option<ModelKind>,
    #[serde(default)]
    pub quality_metrics: Option<Vec<String>>,
    #[serde(default)]
    pub thresholds: BTreeMap<String, Spanned<Threshold>>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub pipeline: Option<String>,
    #[serde(default)]
    pub model_package_group: Option<String>,
    #[serde(default)]
    pub training_job_prefix: Option<String>,
    /// Raw-data location, "s3://bucket/prefix/".
    #[serde(default)]
    pub data: Option<Spanned<String>>,
    /// Where Model Monitor writes this model's reports, "s3://bucket/prefix/".
    #[serde(default)]
    pub monitoring_reports: Option<Spanned<String>>,
    /// Where the endpoint's Data Capture writes, when not its config's.
    #[serde(default)]
    pub data_capture: Option<Spanned<String>>,
    /// What captured traffic is compared with: a Model Monitor statistics.json, or
    /// a CSV (with a header) or JSON-lines sample of the training data.
    #[serde(default)]
    pub baseline: Option<Spanned<String>>,
    /// Names of the captured CSV's columns, in order (captured CSV has no header).
    #[serde(default)]
    pub features: Option<Vec<String>>,
    #[serde(default)]
    pub metrics: Vec<MetricConfig>,
    /// The X-Ray service name of the model's API, when not the model's or endpoint's.
    #[serde(default)]
    pub xray_service: Option<String>,
    /// Its registered model in MLflow, when not named like the model.
    #[serde(default)]
    pub mlflow_model: Option<String>,
    /// Its MLflow experiment, when not the one its versions' runs are in.
    #[serde(default)]
    pub mlflow_experiment: Option<String>,
    /// The Airflow DAG that retrains it (its runs are TRAIN's; retrain triggers it).
    #[serde(default)]
    pub training_dag: Option<String>,
    /// The Airflow DAG that loads its data (its runs decide DATA).
    #[serde(default)]
    pub etl_dag: Option<String>,
    /// The ECS service that serves it, "cluster/service" (instead of an endpoint).
    #[serde(default)]
    pub ecs_service: Option<Spanned<String>>,
    /// The KServe InferenceService that serves it, "namespace/name".
    #[serde(default)]
    pub inference_service: Option<Spanned<String>>,
    /// The Kubernetes Deployment that serves it, "namespace/name".
    #[serde(default)]
    pub deployment: Option<Spanned<String>>,
    /// PromQL templates for this model's metric classes, over `[prometheus.queries]`.
    #[serde(default)]
    pub promql: BTreeMap<String, Spanned<String>>,
    /// The Lambda function that loads its data (its runs decide DATA).
    #[serde(default)]
    pub etl_function: Option<String>,
    /// The Step Functions state machine that retrains it (name or ARN).
    #[serde(default)]
    pub state_machine: Option<String>,
    /// Actions on this model's endpoint need its name typed to confirm.
    #[serde(default)]
    pub protected: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MetricConfig {
    pub namespace: String,
    pub name: String,
    /// What the dashboard calls it (thresholds, charts); defaults to `name`.
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    #[serde(default = "average")]
    pub stat: Spanned<String>,
    #[serde(default)]
    pub threshold: Option<Spanned<Threshold>>,
    /// How the published numbers read: "fraction" (0–1) or "percent" (0–100). Unset:
    /// the unit they were published with, then the ratio rule (see README).
    #[serde(default)]
    pub scale: Option<Scale>,
}

fn average() -> Spanned<String> {
    Spanned::new(0..0, "Average".to_string())
}

/// Where one model's pipeline lives in AWS, as config names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelMapping {
    pub name: String,
    pub kind: Option<ModelKind>,
    pub endpoint: Option<String>,
    pub pipeline: Option<String>,
    pub model_package_group: Option<String>,
    pub training_job_prefix: Option<String>,
    pub data: Option<S3Location>,
    pub monitoring_reports: Option<S3Location>,
    pub data_capture: Option<S3Location>,
    pub baseline: Option<S3Location>,
    pub features: Vec<String>,
    pub metrics: Vec<MetricQuery>,
    pub xray_service: Option<String>,
    pub protected: bool,
    pub mlflow_model: Option<String>,
    pub mlflow_experiment: Option<String>,
    pub training_dag: Option<String>,
    pub etl_dag: Option<String>,
    pub ecs_service: Option<EcsServiceName>,
    /// The KServe InferenceService or Deployment that serves it on Kubernetes.
    pub workload: Option<WorkloadName>,
    /// Its own PromQL templates by metric class (see `[prometheus.queries]`).
    pub promql: BTreeMap<String, String>,
    pub etl_function: Option<String>,
    pub state_machine: Option<String>,
}

/// A Kubernetes workload as config names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadName {
    pub kind: crate::model::k8s::WorkloadKind,
    pub namespace: String,
    pub name: String,
}

/// An ECS service as config names it: its cluster and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsServiceName {
    pub cluster: String,
    pub service: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl std::fmt::Display for S3Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// One CloudWatch metric to fetch for a model.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MetricQuery {
    pub key: String,
    pub namespace: String,
    pub name: String,
    pub dimensions: BTreeMap<String, String>,
    pub stat: String,
    /// The scale config gives its numbers, over the published unit.
    pub scale: Option<Scale>,
}

impl ModelConfig {
    /// The mapping, or the position and text of what is wrong with it.
    pub fn mapping(&self) -> Result<ModelMapping, (std::ops::Range<usize>, String)> {
        let data = s3_field("data", self.data.as_ref())?;
        let monitoring_reports = s3_field("monitoring_reports", self.monitoring_reports.as_ref())?;
        let data_capture = s3_field("data_capture", self.data_capture.as_ref())?;
        let baseline = s3_field("baseline", self.baseline.as_ref())?;
        let ecs_service = match &self.ecs_service {
            Some(v) => Some(
                two_names(v.get_ref())
                    .map(|(cluster, service)| EcsServiceName { cluster, service })
                    .ok_or_else(|| {
                        (
                            v.span(),
                            format!(
                                "ecs_service: {:?} is not a service like \"cluster/service\"",
                                v.get_ref()
                            ),
                        )
                    })?,
            ),
            None => None,
        };
        let workload = self.workload()?;
        let mut promql = BTreeMap::new();
        for (class, template) in &self.promql {
            super::kube::check_template(class, template)?;
            promql.insert(class.clone(), template.get_ref().clone());
        }
        let mut metrics = Vec::new();
        for m in &self.metrics {
            if !is_statistic(m.stat.get_ref()) {
                return Err((
                    m.stat.span(),
                    format!(
                        "stat: {:?} is not a CloudWatch statistic (Average, Sum, Minimum, \
                         Maximum, SampleCount, or a percentile like p99)",
                        m.stat.get_ref()
                    ),
                ));
            }
            metrics.push(MetricQuery {
                key: m.key.clone().unwrap_or_else(|| m.name.clone()),
                namespace: m.namespace.clone(),
                name: m.name.clone(),
                dimensions: m.dimensions.clone(),
                stat: m.stat.get_ref().clone(),
                scale: m.scale,
            });
        }
        Ok(ModelMapping {
            name: self.name.clone(),
            kind: self.kind,
            endpoint: self.endpoint.clone(),
            pipeline: self.pipeline.clone(),
            model_package_group: self.model_package_group.clone(),
            training_job_prefix: self.training_job_prefix.clone(),
            data,
            monitoring_reports,
            data_capture,
            baseline,
            features: self.features.clone().unwrap_or_default(),
            metrics,
            xray_service: self.xray_service.clone(),
            protected: self.protected,
            mlflow_model: self.mlflow_model.clone(),
            mlflow_experiment: self.mlflow_experiment.clone(),
            training_dag: self.training_dag.clone(),
            etl_dag: self.etl_dag.clone(),
            ecs_service,
            workload,
            promql,
            etl_function: self.etl_function.clone(),
            state_machine: self.state_machine.clone(),
        })
    }
}

impl ModelConfig {
    /// The InferenceService or Deployment it names (not both), checked.
    fn workload(&self) -> Result<Option<WorkloadName>, (std::ops::Range<usize>, String)> {
        use crate::model::k8s::WorkloadKind;
        let named = [
            (
                WorkloadKind::Kserve,
                "inference_service",
                &self.inference_service,
            ),
            (WorkloadKind::Deployment, "deployment", &self.deployment),
        ];
        let mut found = None;
        for (kind, field, value) in named {
            let Some(v) = value else { continue };
            if found.is_some() {
                return Err((
                    v.span(),
                    "inference_service and deployment: a model is served by one of them".into(),
                ));
            }
            let (namespace, name) = two_names(v.get_ref()).ok_or_else(|| {
                (
                    v.span(),
                    format!("{field}: {:?} is not like \"namespace/name\"", v.get_ref()),
                )
            })?;
            found = Some(WorkloadName {
                kind,
                namespace,
                name,
            });
        }
        Ok(found)
    }
}

/// An optional S3 location field, or its position and what is wrong with it.
fn s3_field(
    field: &str,
    value: Option<&Spanned<String>>,
) -> Result<Option<S3Location>, (std::ops::Range<usize>, String)> {
    let Some(v) = value else { return Ok(None) };
    parse_s3(v.get_ref()).map(Some).ok_or_else(|| {
        (
            v.span(),
            format!(
                "{field}: {:?} is not an S3 location like \"s3://bucket/prefix/\"",
                v.get_ref()
            ),
        )
    })
}

/// "s3://bucket/prefix" as a location; None when it is not one.
pub fn parse_s3(url: &str) -> Option<S3Location> {
    let rest = url.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| S3Location {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
    })
}

/// "cluster/service" as its two parts; None when either is missing.
/// "a/b" as its two non-empty parts: "cluster/service", "namespace/name".
fn two_names(s: &str) -> Option<(String, String)> {
    let (first, second) = s.split_once('/')?;
    let ok = |p: &str| !p.is_empty() && !p.contains('/');
    (ok(first) && ok(second)).then(|| (first.to_string(), second.to_string()))
}

fn is_statistic(s: &str) -> bool {
    matches!(s, "Average" | "Sum" | "Minimum" | "Maximum" | "SampleCount")
        || s.strip_prefix('p')
            .and_then(|n| n.parse::<f64>().ok())
            .is_some_and(|n| (0.0..=100.0).contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_need_a_bucket() {
        let l = parse_s3("s3://raw/sales/2026/").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("raw", "sales/2026/")
        );
        assert_eq!(parse_s3("s3://raw").unwrap().prefix, "");
        assert!(parse_s3("s3:///x").is_none());
        assert!(parse_s3("raw/sales").is_none());
    }

    #[test]
    fn ecs_services_and_workloads_are_two_names_with_a_slash() {
        let (cluster, service) = two_names("ml-prod/upsell-api").unwrap();
        assert_eq!(
            (cluster.as_str(), service.as_str()),
            ("ml-prod", "upsell-api")
        );
        for bad in ["upsell-api", "/upsell-api", "ml/", "a/b/c"] {
            assert!(two_names(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn statistics_are_the_ones_cloudwatch_knows() {
        for ok in ["Average", "Sum", "p99", "p99.9", "SampleCount"] {
            assert!(is_statistic(ok), "{ok}");
        }
        for bad in ["avg", "p", "p101", ""] {
            assert!(!is_statistic(bad), "{bad}");
        }
    }
}
