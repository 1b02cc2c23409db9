//! CloudWatch: endpoint metrics per variant, each model's business metrics, and alarms.
//! Every metric comes from GetMetricData, up to 500 queries per request, paged with
//! NextToken. GetMetricData is billed per metric requested, so the count is recorded.

mod alarms;
pub(crate) mod data;
mod discover;
mod existing;
mod queries;
mod schedule;
mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_cloudwatch::Client;
use jiff::Timestamp;
use tokio::sync::watch;

pub use self::alarms::quiet_on as alarms_on;
use self::data::{data_query, window_end};
use self::discover::{Found, Owner};
use self::existing::Existing;
use self::queries::{fold, plan, Planned};
use self::schedule::Schedule;
use super::targets::{EcsTarget, EndpointTarget, ServiceTargetsReceiver, TargetsReceiver};
use crate::aws::ApiCalls;
use crate::config::{MetricQuery, ModelMapping};
use crate::model::facts::ModelFacts;
use crate::model::identity::{Identity, JoinedBy, Normaliser};
use crate::model::metrics::{names, Series};
use crate::model::polling::{Attention, Watch};
use crate::model::units::{scale_of, Published};
use crate::model::{Fleet, ModelKind};
use crate::source::{report, Source, SourceId, Update};

/// The custom namespace is listed again every this many refreshes: new metrics are rare.
const DISCOVER_EVERY: u64 = 10;

/// The models one refresh asks about, their queries, and what the pace costs.
struct Due {
    models: Vec<(String, Watch)>,
    queries: Vec<Planned>,
    custom: Vec<(String, MetricQuery)>,
    spending: crate::model::polling::Spending,
}

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
    /// Which models' metrics each refresh asks for, under the budget.
    schedule: Schedule,
    /// The endpoint metrics that exist (None: not listed, so all are asked for).
    existing: Option<Existing>,
    /// ECS services behind load balancers, as the ECS source finds them.
    services: Option<ServiceTargetsReceiver>,
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
            schedule: Schedule::new(f64::INFINITY, Duration::from_secs(60)),
            existing: None,
            services: None,
        }
    }

    /// Changes of the ECS services watched (what wakes a refresh when they are found).
    pub fn services_changes(&self) -> watch::Receiver<super::targets::ServiceTargets> {
        match &self.services {
            Some(s) => s.clone(),
            None => watch::channel(super::targets::ServiceTargets::default()).1,
        }
    }

    /// Also watches the ECS services `services` names (their load balancer and tasks).
    pub fn watching_services(mut self, services: ServiceTargetsReceiver) -> CloudWatchSource {
        self.services = Some(services);
        self
    }

    /// Paces metric data under `budget_per_day`, every `fast` at the closest; follows
    /// what the app shows (`attention`, names stripped by `names`) and the user's
    /// refreshes (`forced`).
    pub fn budgeted(
        mut self,
        budget_per_day: f64,
        fast: Duration,
        (attention, names): (watch::Receiver<Attention>, Normaliser),
        forced: watch::Receiver<u64>,
    ) -> CloudWatchSource {
        self.schedule = Schedule::new(budget_per_day, fast).attending(attention, names, forced);
        self
    }

    /// Every metric of every model, once, whatever the budget's pace: what `snapshot`
    /// asks (its cost still shows under `spending`).
    pub fn every_metric(mut self) -> CloudWatchSource {
        self.schedule.show_everything();
        self
    }

    /// One refresh as of `now` (tests and benchmarks simulate a day with it).
    pub async fn fetch_at(&mut self, now: Timestamp) -> Update {
        report(SourceId::CloudWatch, self.gather(now).await)
    }

    /// One refresh: alarms first (they are cheap and say who is in trouble), then
    /// the metric data of the models due at their class's pace.
    async fn gather(&mut self, now: Timestamp) -> Result<Fleet, String> {
        let endpoints: Vec<EndpointTarget> = self.targets.borrow_and_update().clone();
        let services: Vec<EcsTarget> = match self.services.as_mut() {
            Some(s) => s.borrow_and_update().ecs.clone(),
            None => Vec::new(),
        };
        let names: BTreeSet<String> = endpoints.iter().map(|t| t.endpoint.clone()).collect();
        let discover = self.refreshes.is_multiple_of(DISCOVER_EVERY);
        let relist = discover || !self.existing.as_ref().is_some_and(|e| e.covers(&names));
        // The listings and the alarms at once: none needs another's answer.
        let (discovered, existing, listed_alarms) = tokio::join!(
            async {
                match discover {
                    true => self.discover().await.map(Some),
                    false => Ok(None),
                }
            },
            async {
                match relist {
                    true => Some(Existing::list(&self.client, names).await),
                    false => None,
                }
            },
            alarms::list(&self.client),
        );
        if let Some(found) = discovered? {
            self.discovered = found;
        }
        match existing {
            Some(Ok(e)) => self.existing = Some(e),
            // Not knowing what exists costs metrics, not the refresh.
            Some(Err(why)) => {
                tracing::warn!("endpoint metrics not listed, all asked for: {why}");
                self.existing = None;
            }
            None => {}
        }
        self.refreshes += 1;
        let end = window_end(now);
        let custom = self.custom_queries(&endpoints);
        let owners = alarms::Owners {
            by_endpoint: endpoints
                .iter()
                .map(|t| (t.endpoint.clone(), t.model.clone()))
                .collect(),
            model_dimension: self.custom.dimension.clone(),
            models: self.model_names(&endpoints, &services),
        };
        let alarms = alarms::owned(&listed_alarms?, &owners);
        let due = self.due(
            (&endpoints, &services),
            custom,
            &owners.models,
            &alarms,
            now,
        );
        self.fetch_due(&due, end, now).await?;
        self.schedule.retain(&owners.models);

        let models = owners
            .models
            .iter()
            .map(|name| {
                let mut m = ModelFacts::named(name);
                if let Some(kept) = self.schedule.kept(name) {
                    m.metrics.clone_from(&kept.metrics);
                    m.published.clone_from(&kept.published);
                    m.metrics_at = Some(kept.at);
                }
                m.kind = kind_from(&m.metrics);
                m.identity = self.identity_of(name);
                m
            })
            .collect();
        Ok(Fleet {
            models,
            alarms,
            spending: Some(Box::new(due.spending)),
            ..Fleet::default()
        })
    }

    /// What this refresh asks for: how closely each model is watched (the screen,
    /// the app's health, its alarms), the pace the budget allows each class,
    /// and so the queries of the models due now.
    fn due(
        &mut self,
        (endpoints, services): (&[EndpointTarget], &[EcsTarget]),
        custom: Vec<(String, MetricQuery)>,
        models: &[String],
        alarms: &[crate::model::Alarm],
        now: Timestamp,
    ) -> Due {
        let changed: BTreeMap<&str, Timestamp> = endpoints
            .iter()
            .filter_map(|t| Some((t.model.as_str(), t.changed?)))
            .collect();
        let watched = self.schedule.classify(models, alarms, &changed, now);
        let on_screen = |m: &str| watched.get(m) == Some(&Watch::Focused);
        let mut everything = plan(endpoints, services, &custom, on_screen);
        if let Some(existing) = &self.existing {
            everything.retain(|p| existing.worth_asking(&p.query));
        }
        let (demand, per_class) =
            schedule::demand(&watched, everything.iter().map(|p| p.model.as_str()));
        let allowance = self.schedule.allowance(&self.calls, now);
        let pace = self.schedule.pace(&demand, &allowance);
        let mut metrics_of: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &everything {
            *metrics_of.entry(p.model.as_str()).or_default() += 1;
        }
        let due = self.schedule.due(&watched, &metrics_of, &pace, now);
        Due {
            queries: everything
                .into_iter()
                .filter(|p| due.contains(&p.model))
                .collect(),
            custom: custom
                .into_iter()
                .filter(|(m, _)| due.contains(m))
                .collect(),
            spending: pace.spending(&allowance, &demand, &per_class),
            models: due
                .into_iter()
                .map(|m| {
                    let watch = watched.get(&m).copied().unwrap_or(Watch::Healthy);
                    (m, watch)
                })
                .collect(),
        }
    }

    /// Asks for the due models' series (the whole window) and keeps them.
    /// The units of team metrics not known yet are asked beside the data: they are
    /// needed only to read it.
    async fn fetch_due(&mut self, due: &Due, end: Timestamp, now: Timestamp) -> Result<(), String> {
        let queries = due
            .queries
            .iter()
            .enumerate()
            .map(|(i, p)| data_query(i, &p.query))
            .collect();
        let unprobed = self.units.unprobed(due.custom.iter().map(|(_, q)| q), now);
        let mut units = std::mem::take(&mut self.units);
        let (probed, answers) = tokio::join!(
            units.probe(&self.client, unprobed, end),
            data::get(&self.client, &self.calls, queries, end),
        );
        self.units = units;
        let mut series = fold(&due.queries, &answers?);
        let mut published = self.read_scales(&due.custom, &mut series);
        for (model, watch) in &due.models {
            let metrics = series.remove(model).unwrap_or_default();
            let published = published.remove(model).unwrap_or_default();
            self.schedule.keep(model, *watch, now, metrics, published);
        }
        // The series are kept (paid for) even when a unit could not be asked; the
        // failure is said, and the unit asked again next time.
        probed
    }

    /// Rows this source speaks for: endpoints' models, configured and discovered ones.
    fn model_names(&self, endpoints: &[EndpointTarget], services: &[EcsTarget]) -> Vec<String> {
        let mut names: Vec<String> = endpoints
            .iter()
            .map(|t| t.model.clone())
            .chain(services.iter().map(|t| t.model.clone()))
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
        self.fetch_at(Timestamp::now()).await
    }

    fn recall(&mut self, past: &crate::source::memory::MemoryDir) {
        self.units.remembering(past.units());
    }
}
