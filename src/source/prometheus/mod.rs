//! Metrics of models served on Kubernetes, from a Prometheus server or an Amazon
//! Managed Service for Prometheus workspace: request rate, 5xx rate and p50/p99
//! latency per workload (one `query_range` per metric class for all of them), and
//! the team's own gauges labelled with a model (a drift score, MAPE) that join
//! QUALITY and DRIFT like CloudWatch's. Every request is counted; on AMP the
//! samples each query processed are what it bills, counted beside them.

mod kept;
pub mod matrix;
pub mod queries;

use std::collections::BTreeMap;

use jiff::Timestamp;
use tokio::sync::watch;

use self::kept::{Kept, CANARY};
use self::matrix::Answer;
use crate::aws::ApiCalls;
use crate::config::{Config, PrometheusAt};
use crate::model::facts::ModelFacts;
use crate::model::metrics::{names, Series};
use crate::model::pricing::AMP_SAMPLES;
use crate::model::Fleet;
use crate::source::k8s::WorkloadTarget;
use crate::source::rest::{Auth, Rest};
use crate::source::{report, Source, SourceId, Update};

/// The resolution of every series: one point a minute, like CloudWatch's.
const STEP_SECONDS: i64 = 60;

/// Samples a self-hosted Prometheus processed: free, counted to size AMP by.
pub const SAMPLES: &str = "Prometheus:QueryRange/samples";
const HINT: &str = "set PROMETHEUS_TOKEN, or PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD";

/// What is asked, beside the workloads Kubernetes names.
#[derive(Debug, Clone, Default)]
pub struct PromSettings {
    /// Template per metric class (config's over the built-in ones).
    pub queries: BTreeMap<String, String>,
    /// Per model: its own templates by class.
    pub per_model: BTreeMap<String, BTreeMap<String, String>>,
    /// The team's gauges: key they are judged under → metric name.
    pub model_metrics: BTreeMap<String, String>,
    pub model_label: String,
}

impl PromSettings {
    pub fn from_config(config: &Config) -> PromSettings {
        let mut queries: BTreeMap<String, String> = queries::defaults()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for (class, t) in &config.prometheus.queries {
            queries.insert(class.clone(), t.get_ref().clone());
        }
        PromSettings {
            queries,
            per_model: config
                .mappings
                .iter()
                .filter(|m| !m.promql.is_empty())
                .map(|m| (m.name.clone(), m.promql.clone()))
                .collect(),
            model_metrics: config.prometheus.model_metrics.clone(),
            model_label: config
                .prometheus
                .model_label
                .clone()
                .unwrap_or_else(|| "model".into()),
        }
    }
}

/// A client of the server config names, authenticated as config and the
/// environment say.
pub fn client(
    at: &PrometheusAt,
    sdk: Option<&aws_config::SdkConfig>,
    calls: &ApiCalls,
) -> Result<Rest, String> {
    match at {
        PrometheusAt::Url(url) => {
            let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
            let auth = match (
                env("PROMETHEUS_TOKEN"),
                env("PROMETHEUS_USERNAME"),
                env("PROMETHEUS_PASSWORD"),
            ) {
                (Some(t), _, _) => Auth::Bearer(t),
                (None, Some(user), Some(password)) => Auth::Basic { user, password },
                _ => Auth::None,
            };
            Rest::new(url, auth, "Prometheus", HINT, calls)
        }
        PrometheusAt::Workspace { id, region } => {
            let sdk = sdk.ok_or("an AMP workspace needs AWS credentials to sign with")?;
            let credentials = sdk
                .credentials_provider()
                .ok_or("no AWS credentials to sign AMP queries with")?;
            let region = region
                .clone()
                .or_else(|| sdk.region().map(|r| r.to_string()))
                .ok_or("no region for the AMP workspace: set [prometheus] region")?;
            let base = format!("https://aps-workspaces.{region}.amazonaws.com/workspaces/{id}");
            let auth = Auth::SigV4 {
                credentials,
                region,
                name: "aps",
                server_arn: None,
            };
            Rest::new(&base, auth, "AMP", "grant aps:QueryMetrics", calls)
        }
    }
}

pub struct PromSource {
    rest: Result<Rest, String>,
    settings: PromSettings,
    calls: ApiCalls,
    /// AMP bills samples: counted per query.
    billed: bool,
    /// What each cluster's source found; heard from once before the first query.
    workloads: Vec<watch::Receiver<Vec<WorkloadTarget>>>,
    heard: bool,
    kept: Kept,
}

/// How long the first query waits for the clusters to say what serves models.
const FIRST_LISTING: std::time::Duration = std::time::Duration::from_secs(30);

impl PromSource {
    pub fn new(
        rest: Result<Rest, String>,
        settings: PromSettings,
        calls: &ApiCalls,
        workloads: Vec<watch::Receiver<Vec<WorkloadTarget>>>,
    ) -> PromSource {
        let billed = rest
            .as_ref()
            .is_ok_and(|r| r.base().contains("aps-workspaces"));
        PromSource {
            rest,
            settings,
            calls: calls.clone(),
            billed,
            workloads,
            heard: false,
            kept: Kept::default(),
        }
    }

    /// Every cluster's workloads, waiting (once) for each to answer first.
    async fn targets(&mut self) -> Vec<WorkloadTarget> {
        if !self.heard {
            let first = self.workloads.iter_mut().map(|rx| async move {
                let _ = tokio::time::timeout(FIRST_LISTING, rx.changed()).await;
            });
            futures_util::future::join_all(first).await;
            self.heard = true;
        }
        self.workloads
            .iter_mut()
            .flat_map(|rx| rx.borrow_and_update().clone())
            .collect()
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let rest = self.rest.clone()?;
        let targets = self.targets().await;
        let end = Timestamp::now();
        let end_s = end.as_second() - end.as_second() % STEP_SECONDS;
        let start = self.kept.start(&targets, end_s);
        let mut problems = Vec::new();
        if start <= end_s {
            let mut fresh = self.ask_classes(&rest, &targets, (start, end_s)).await;
            problems.append(&mut fresh.1);
            let mut gauges = self.ask_gauges(&rest, (start, end_s)).await;
            problems.append(&mut gauges.1);
            let read = fresh.0.into_iter().chain(gauges.0);
            self.kept.take(read, end_s, problems.is_empty());
        }
        let mut rows: BTreeMap<String, ModelFacts> = targets
            .iter()
            .map(|t| (t.model.clone(), row(&t.model)))
            .collect();
        for ((model, metric), series) in &self.kept.series {
            if metric.starts_with(CANARY) || series.points.is_empty() {
                continue;
            }
            let row = rows.entry(model.clone()).or_insert_with(|| row(model));
            row.metrics.insert(metric.clone(), series.clone());
        }
        for (model, row) in &mut rows {
            let canary = |metric: &str| {
                self.kept
                    .series
                    .get(&(model.clone(), format!("{CANARY}{metric}")))
            };
            if let (Some(errors), Some(requests)) =
                (canary(names::ERRORS_5XX), canary(names::INVOCATIONS))
            {
                let rate = crate::model::metrics::rate_percent(errors, requests);
                if !rate.points.is_empty() {
                    row.metrics.insert(names::CANARY_RATE_5XX.to_string(), rate);
                }
            }
        }
        if !problems.is_empty() && rows.values().all(|r| r.metrics.is_empty()) {
            return Err(problems.swap_remove(0));
        }
        for p in &problems {
            tracing::warn!("{p}");
        }
        let now = Some(end);
        Ok(Fleet {
            models: rows
                .into_values()
                .map(|mut r| {
                    r.metrics_at = now;
                    r.metrics_source = Some(SourceId::Prometheus);
                    r
                })
                .collect(),
            ..Fleet::default()
        })
    }

    /// Every metric class for every workload over `range`: series by (model, metric)
    /// (a canary revision's under `CANARY`), and what failed.
    async fn ask_classes(
        &self,
        rest: &Rest,
        targets: &[WorkloadTarget],
        range: (i64, i64),
    ) -> (Vec<((String, String), Series)>, Vec<String>) {
        // Workloads asked together, except models with templates of their own.
        let (own, shared): (Vec<&WorkloadTarget>, Vec<&WorkloadTarget>) = targets
            .iter()
            .partition(|t| self.settings.per_model.contains_key(&t.model));
        let mut asks: Vec<(String, String, Vec<&WorkloadTarget>)> = Vec::new();
        for (class, template) in &self.settings.queries {
            let names: Vec<&str> = shared.iter().map(|t| t.name.as_str()).collect();
            for chunk in queries::chunks(&names) {
                let group: Vec<&WorkloadTarget> = shared
                    .iter()
                    .copied()
                    .filter(|t| chunk.contains(&t.name.as_str()))
                    .collect();
                asks.push((class.clone(), template.clone(), group));
            }
        }
        for t in &own {
            let mine = self.settings.per_model.get(&t.model);
            for (class, template) in &self.settings.queries {
                let template = mine.and_then(|m| m.get(class)).unwrap_or(template);
                asks.push((class.clone(), template.clone(), vec![*t]));
            }
        }
        let answered =
            futures_util::future::join_all(asks.iter().map(|(class, template, group)| {
                let names: Vec<&str> = group.iter().map(|t| t.name.as_str()).collect();
                let namespaces: Vec<&str> = group.iter().map(|t| t.namespace.as_str()).collect();
                let query = queries::fill(template, &names, &namespaces);
                async move { (class, group, self.ask(rest, &query, range).await) }
            }))
            .await;
        let (mut read, mut problems) = (Vec::new(), Vec::new());
        for (class, group, answer) in answered {
            let Some((metric, scale, how)) = queries::stored_as(class) else {
                continue;
            };
            let answer = match answer {
                Ok(a) => a,
                Err(why) => {
                    problems.push(why);
                    continue;
                }
            };
            for t in group {
                let place = (t.namespace.as_str(), t.name.as_str());
                let series = answer.workload(place, &queries::PREFERRED, how, scale);
                read.push(((t.model.clone(), metric.to_string()), series));
                if let Some(revision) = &t.canary {
                    let series = answer.revision(revision, how, scale);
                    read.push(((t.model.clone(), format!("{CANARY}{metric}")), series));
                }
            }
        }
        (read, problems)
    }

    /// The team's gauges over `range`, by (model, key).
    async fn ask_gauges(
        &self,
        rest: &Rest,
        range: (i64, i64),
    ) -> (Vec<((String, String), Series)>, Vec<String>) {
        let (mut read, mut problems) = (Vec::new(), Vec::new());
        for (key, metric) in &self.settings.model_metrics {
            let label = &self.settings.model_label;
            let query = format!("max by ({label}) ({metric})");
            match self.ask(rest, &query, range).await {
                Ok(answer) => read.extend(
                    answer
                        .by_label(label)
                        .into_iter()
                        .map(|(model, series)| ((model, key.clone()), series)),
                ),
                Err(why) => problems.push(why),
            }
        }
        (read, problems)
    }

    /// One `query_range` over `range` (seconds), read and bounded.
    async fn ask(
        &self,
        rest: &Rest,
        query: &str,
        (start, end): (i64, i64),
    ) -> Result<Answer, String> {
        let params = [
            ("query", query.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", STEP_SECONDS.to_string()),
            ("stats", "all".to_string()),
        ];
        let value = rest
            .get("QueryRange", "api/v1/query_range", &params)
            .await?;
        let answer = matrix::read(&value).map_err(|e| format!("{}: {e}", rest.server()))?;
        // What AMP bills; on a server of the team's own, what the same would cost there.
        let key = if self.billed { AMP_SAMPLES } else { SAMPLES };
        self.calls.add(key, answer.samples);
        Ok(answer)
    }
}

fn row(model: &str) -> ModelFacts {
    ModelFacts::named(model)
}

impl Source for PromSource {
    fn id(&self) -> SourceId {
        SourceId::Prometheus
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Prometheus, self.gather().await)
    }
}
