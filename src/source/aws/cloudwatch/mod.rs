//! CloudWatch: endpoint metrics per variant, each model's business metrics, and alarms.
//! Every metric comes from GetMetricData, up to 500 queries per request, paged with
//! NextToken. GetMetricData is billed per metric requested, so the count is recorded.

mod alarms;
mod discover;
mod queries;
mod units;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_cloudwatch::Client;
use jiff::{SignedDuration, Timestamp};

use self::discover::{Found, Owner};
use self::queries::{fold, plan, MAX_QUERIES_PER_CALL};
use super::targets::{EndpointTarget, TargetsReceiver};
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::{MetricQuery, ModelMapping};
use crate::model::facts::ModelFacts;
use crate::model::identity::{Identity, JoinedBy};
use crate::model::metrics::{names, Series, WINDOW_MINUTES};
use crate::model::units::{scale_of, Published};
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
    /// The unit each team metric is published with, probed once per session.
    units: units::Units,
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
            units: units::Units::default(),
            refreshes: 0,
        }
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let endpoints: Vec<EndpointTarget> = self.targets.borrow_and_update().clone();
        if self.refreshes.is_multiple_of(DISCOVER_EVERY) {
            self.discovered = self.discover().await?;
        }
        self.refreshes += 1;
        let end = window_end(Timestamp::now());
        let custom = self.custom_queries(&endpoints);
        let owners = alarms::Owners {
            by_endpoint: endpoints
                .iter()
                .map(|t| (t.endpoint.clone(), t.model.clone()))
                .collect(),
            model_dimension: self.custom.dimension.clone(),
            models: self.model_names(&endpoints),
        };
        // Alarms beside the metric data: neither needs the other.
        let client = self.client.clone();
        let data = async {
            self.probe_units(custom.iter().map(|(_, q)| q), end).await?;
            let plan = plan(&endpoints, &custom);
            let queries = plan
                .iter()
                .enumerate()
                .map(|(i, p)| data_query(i, &p.query))
                .collect();
            let answers = self.get_data(queries, end).await?;
            let mut series = fold(&plan, &answers);
            let published = self.read_scales(&custom, &mut series);
            Ok::<_, String>((series, published))
        };
        let (data, alarms) = tokio::join!(data, alarms::alarms(&client, &owners));
        let (mut series, mut published) = data?;
        let alarms = alarms?;

        let models = owners
            .models
            .iter()
            .map(|name| {
                let mut m = ModelFacts::named(name);
                m.metrics = series.remove(name).unwrap_or_default();
                m.kind = kind_from(&m.metrics);
                m.published = published.remove(name).unwrap_or_default();
                m.identity = self.identity_of(name);
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
        // The three namespaces at once.
        let (business, data, model) = tokio::join!(
            discover::list(&self.client, &custom.namespace, Some(&custom.dimension)),
            discover::list(&self.client, discover::DATA_METRICS, Some("Endpoint")),
            discover::list(&self.client, discover::MODEL_METRICS, Some("Endpoint")),
        );
        let mut found = discover::business(&business?, &custom.namespace, &custom.dimension);
        found.extend(discover::monitor(&data?, discover::DATA_METRICS));
        found.extend(discover::monitor(&model?, discover::MODEL_METRICS));
        if !custom.discover {
            found.retain(|f| match &f.owner {
                Owner::Model(model) => self.mappings.iter().any(|m| &m.name == model),
                Owner::Endpoint(_) => true,
            });
        }
        Ok(found)
    }

    /// Asks once per session, for each team metric whose unit is not known yet,
    /// which unit its datapoints were published with (see `units`).
    async fn probe_units<'a>(
        &mut self,
        queries: impl IntoIterator<Item = &'a MetricQuery>,
        end: Timestamp,
    ) -> Result<(), String> {
        let unprobed = self.units.unprobed(queries);
        if unprobed.is_empty() {
            return Ok(());
        }
        self.units.probe(&self.client, unprobed, end).await
    }

    /// Answers for `queries` (ids from `query_id`) over the window ending at `end`,
    /// by query index: up to 500 queries a request, paged with NextToken.
    async fn get_data(
        &self,
        queries: Vec<MetricDataQuery>,
        end: Timestamp,
    ) -> Result<BTreeMap<usize, Vec<(Timestamp, f64)>>, String> {
        let start = end - SignedDuration::from_mins(WINDOW_MINUTES);
        let mut answers: BTreeMap<usize, Vec<(Timestamp, f64)>> = BTreeMap::new();
        for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
            let mut token: Option<String> = None;
            loop {
                self.calls
                    .add_metrics_requested(u64::try_from(chunk.len()).unwrap_or(0));
                let out = self
                    .client
                    .get_metric_data()
                    .set_metric_data_queries(Some(chunk.to_vec()))
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

    /// Decides how each team metric's numbers read (see `units`) and turns its
    /// series into shown values: fractions become percent.
    fn read_scales(
        &self,
        custom: &[(String, MetricQuery)],
        series: &mut BTreeMap<String, BTreeMap<String, Series>>,
    ) -> BTreeMap<String, BTreeMap<String, Published>> {
        let mut published: BTreeMap<String, BTreeMap<String, Published>> = BTreeMap::new();
        for (model, q) in custom {
            let found = series.get_mut(model).and_then(|s| s.get_mut(&q.key));
            let largest = found.as_deref().and_then(|s| s.values().reduce(f64::max));
            let p = scale_of(&q.key, self.units.unit(q), q.scale, largest);
            if let Some(s) = found {
                for (_, v) in &mut s.points {
                    *v = p.scale.shown(*v);
                }
            }
            published
                .entry(model.clone())
                .or_default()
                .insert(q.key.clone(), p);
        }
        published
    }

    /// How this source knows the row: config names it, or it publishes metrics under
    /// the model dimension (a row SageMaker named keeps its own identity; this piece
    /// joins it).
    fn identity_of(&self, name: &str) -> Option<Identity> {
        if self.mappings.iter().any(|m| m.name == name) {
            let evidence = format!("[[models]] name = \"{name}\"");
            return Some(Identity::new(JoinedBy::Config, evidence));
        }
        let publishes = self
            .discovered
            .iter()
            .any(|f| f.owner == Owner::Model(name.to_string()));
        publishes.then(|| {
            let dimension = format!("{}={name}", self.custom.dimension);
            let what = format!("metrics {} {dimension}", self.custom.namespace);
            Identity::new(JoinedBy::Name, dimension.clone()).with(what, JoinedBy::Name, dimension)
        })
    }
}

/// The window's end on a minute boundary, so answers line up across refreshes.
fn window_end(now: Timestamp) -> Timestamp {
    now.round(jiff::Unit::Minute).unwrap_or(now)
}

/// The dimensions a query names.
fn dimensions(q: &MetricQuery) -> Vec<Dimension> {
    q.dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect()
}

/// The CloudWatch metric a query names.
fn metric(q: &MetricQuery) -> Metric {
    Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.name)
        .set_dimensions(Some(dimensions(q)))
        .build()
}

fn data_query(index: usize, q: &MetricQuery) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(queries::query_id(index))
        .metric_stat(
            MetricStat::builder()
                .metric(metric(q))
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
    } else if [
        names::AUC,
        names::ACCURACY,
        names::F1,
        names::PRECISION,
        names::RECALL,
    ]
    .iter()
    .any(|n| has(n))
    {
        ModelKind::Classification
    } else {
        ModelKind::Other
    }
}

impl Source for CloudWatchSource {
    fn id(&self) -> SourceId {
        SourceId::CloudWatch
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::CloudWatch, self.gather().await)
    }
}
