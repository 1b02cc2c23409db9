//! CloudWatch: endpoint metrics per variant, each model's business metrics, and alarms.
//! Every metric comes from GetMetricData, up to 500 queries per request, paged with
//! NextToken. GetMetricData is billed per metric requested, so the count is recorded.

mod alarms;
mod discover;
mod queries;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_cloudwatch::Client;
use jiff::{SignedDuration, Timestamp};

use self::discover::{Found, Owner};
use self::queries::{fold, plan, Planned, MAX_QUERIES_PER_CALL};
use super::errors::describe;
use super::targets::{EndpointTarget, TargetsReceiver};
use super::ApiCalls;
use crate::config::{MetricQuery, ModelMapping};
use crate::model::facts::ModelFacts;
use crate::model::metrics::{names, WINDOW_MINUTES};
use crate::model::{Fleet, ModelKind};
use crate::source::{report, Source, SourceId, Update};

/// The custom namespace is listed again every this many refreshes: new metrics are rare.
const DISCOVER_EVERY: u64 = 10;
/// Seconds per data point.
const PERIOD: i32 = 60;

/// Where teams publish their own model metrics.
#[derive(Debug, Clone)]
pub struct CustomMetrics {
    pub namespace: String,
    /// The dimension whose value names the model (e.g. ModelName).
    pub dimension: String,
    /// Every model found there becomes a row, not only those config names.
    pub discover: bool,
}

pub struct CloudWatchSource {
    client: Client,
    calls: ApiCalls,
    targets: TargetsReceiver,
    mappings: Vec<ModelMapping>,
    custom: CustomMetrics,
    /// Metrics found by ListMetrics at the last discovery.
    discovered: Vec<Found>,
    refreshes: u64,
}

impl CloudWatchSource {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        targets: TargetsReceiver,
        mappings: Vec<ModelMapping>,
        custom: CustomMetrics,
    ) -> CloudWatchSource {
        let config = aws_sdk_cloudwatch::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        CloudWatchSource::from_client(
            Client::from_conf(config),
            calls.clone(),
            targets,
            mappings,
            custom,
        )
    }

    /// A source on a client built elsewhere (the tests' mocked one).
    pub fn from_client(
        client: Client,
        calls: ApiCalls,
        targets: TargetsReceiver,
        mappings: Vec<ModelMapping>,
        custom: CustomMetrics,
    ) -> CloudWatchSource {
        CloudWatchSource {
            client,
            calls,
            targets,
            mappings,
            custom,
            discovered: Vec::new(),
            refreshes: 0,
        }
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let endpoints: Vec<EndpointTarget> = self.targets.borrow_and_update().clone();
        if self.refreshes.is_multiple_of(DISCOVER_EVERY) {
            self.discovered = self.discover().await?;
        }
        self.refreshes += 1;
        let custom = self.custom_queries(&endpoints);
        let plan = plan(&endpoints, &custom);
        let end = Timestamp::now();
        let answers = self.fetch_all(&plan, end).await?;
        let mut series = fold(&plan, &answers);

        let owners = alarms::Owners {
            by_endpoint: endpoints
                .iter()
                .map(|t| (t.endpoint.clone(), t.model.clone()))
                .collect(),
            model_dimension: self.custom.dimension.clone(),
            models: self.model_names(&endpoints),
        };
        let alarms = alarms::alarms(&self.client, &owners).await?;

        let models = owners
            .models
            .iter()
            .map(|name| {
                let mut m = ModelFacts::named(name);
                m.metrics = series.remove(name).unwrap_or_default();
                m.kind = kind_from(&m.metrics);
                m
            })
            .collect();
        Ok(Fleet {
            models,
            alarms,
            ..Fleet::default()
        })
    }

    /// Rows this source speaks for: endpoints' models, configured and discovered ones.
    fn model_names(&self, endpoints: &[EndpointTarget]) -> Vec<String> {
        let mut names: Vec<String> = endpoints
            .iter()
            .map(|t| t.model.clone())
            .chain(self.mappings.iter().map(|m| m.name.clone()))
            .chain(self.discovered.iter().filter_map(|f| match &f.owner {
                Owner::Model(m) => Some(m.clone()),
                Owner::Endpoint(_) => None,
            }))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Configured metric queries win; discovered ones fill in what config does not
    /// name. Metrics found by endpoint go to the model serving it.
    fn custom_queries(&self, endpoints: &[EndpointTarget]) -> Vec<(String, MetricQuery)> {
        let mut out: Vec<(String, MetricQuery)> = self
            .mappings
            .iter()
            .flat_map(|m| m.metrics.iter().map(|q| (m.name.clone(), q.clone())))
            .collect();
        for f in &self.discovered {
            let model = match &f.owner {
                Owner::Model(m) => Some(m),
                Owner::Endpoint(e) => endpoints
                    .iter()
                    .find(|t| &t.endpoint == e)
                    .map(|t| &t.model),
            };
            let Some(model) = model else { continue };
            if !out.iter().any(|(m, c)| m == model && c.key == f.query.key) {
                out.push((model.clone(), f.query.clone()));
            }
        }
        out
    }

    /// The business metrics in the custom namespace, and Model Monitor's.
    async fn discover(&self) -> Result<Vec<Found>, String> {
        let custom = &self.custom;
        let listed =
            discover::list(&self.client, &custom.namespace, Some(&custom.dimension)).await?;
        let mut found = discover::business(&listed, &custom.namespace, &custom.dimension);
        for namespace in [discover::DATA_METRICS, discover::MODEL_METRICS] {
            let listed = discover::list(&self.client, namespace, Some("Endpoint")).await?;
            found.extend(discover::monitor(&listed, namespace));
        }
        if !custom.discover {
            found.retain(|f| match &f.owner {
                Owner::Model(model) => self.mappings.iter().any(|m| &m.name == model),
                Owner::Endpoint(_) => true,
            });
        }
        Ok(found)
    }

    /// Answers for every planned query over the window, by plan index.
    async fn fetch_all(
        &self,
        plan: &[Planned],
        end: Timestamp,
    ) -> Result<BTreeMap<usize, Vec<(Timestamp, f64)>>, String> {
        let end = end.round(jiff::Unit::Minute).unwrap_or(end);
        let start = end - SignedDuration::from_mins(WINDOW_MINUTES);
        let mut answers: BTreeMap<usize, Vec<(Timestamp, f64)>> = BTreeMap::new();
        for (chunk_no, chunk) in plan.chunks(MAX_QUERIES_PER_CALL).enumerate() {
            let first = chunk_no * MAX_QUERIES_PER_CALL;
            let queries: Vec<MetricDataQuery> = chunk
                .iter()
                .enumerate()
                .map(|(i, p)| data_query(first + i, &p.query))
                .collect();
            let mut token: Option<String> = None;
            loop {
                self.calls
                    .add_metrics_requested(u64::try_from(queries.len()).unwrap_or(0));
                let out = self
                    .client
                    .get_metric_data()
                    .set_metric_data_queries(Some(queries.clone()))
                    .start_time(DateTime::from_secs(start.as_second()))
                    .end_time(DateTime::from_secs(end.as_second()))
                    .scan_by(ScanBy::TimestampAscending)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(|e| describe("cloudwatch:GetMetricData", &e))?;
                for r in out.metric_data_results() {
                    let Some(i) = r.id().and_then(queries::index_of) else {
                        continue;
                    };
                    let points =
                        r.timestamps().iter().zip(r.values()).filter_map(|(t, v)| {
                            Some((Timestamp::from_second(t.secs()).ok()?, *v))
                        });
                    answers.entry(i).or_default().extend(points);
                }
                match out.next_token() {
                    Some(next) if !next.is_empty() => token = Some(next.to_string()),
                    _ => break,
                }
            }
        }
        Ok(answers)
    }
}

fn data_query(index: usize, q: &MetricQuery) -> MetricDataQuery {
    let dimensions = q
        .dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect();
    let metric = Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.name)
        .set_dimensions(Some(dimensions))
        .build();
    MetricDataQuery::builder()
        .id(queries::query_id(index))
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(PERIOD)
                .stat(&q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}

/// Zero config: the business metrics a model publishes say what kind of model it is.
fn kind_from(metrics: &BTreeMap<String, crate::model::metrics::Series>) -> ModelKind {
    let has = |n: &str| metrics.contains_key(n);
    if has(names::MAPE) || has(names::RMSE) {
        ModelKind::Forecasting
    } else if has(names::SILHOUETTE) {
        ModelKind::Segmentation
    } else if has(names::CTR) || has(names::CONVERSION) {
        ModelKind::Recommendation
    } else if has(names::AUC) {
        ModelKind::Classification
    } else {
        ModelKind::Other
    }
}

impl Source for CloudWatchSource {
    async fn fetch(&mut self) -> Update {
        report(SourceId::CloudWatch, self.gather().await)
    }
}
