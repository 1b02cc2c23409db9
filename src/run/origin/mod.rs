//! Where the data comes from, chosen by the command line and config: the demo
//! simulator, the AWS sources of every account × region scope (`plan` says which and
//! how each is driven), or a collector's states in S3 (a viewer). The dashboard
//! starts them as tasks; `snapshot` and `export` ask each once.

mod plan;
mod run;
mod scope;
mod tasks;
mod viewer;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

pub use self::plan::{plan, After, Plan, Wake};
pub use self::run::ask_once;
pub use self::scope::{AwsScope, Shared};
use crate::model::collected::Collected;
use crate::model::context::{Context, Place};
use crate::model::scope::Scope;
use crate::source::demo::{DemoSource, Simulator};
use crate::source::pipelines::PipelineSetup;
use crate::source::{drive, scoped, team, RefreshReceivers, Source, SourceId, Update};

pub enum Origin {
    Demo {
        source: DemoSource,
        seed: u64,
        every: Duration,
    },
    Aws {
        /// Each account × region watched, with its own credentials and request count.
        scopes: Vec<AwsScope>,
        /// What every scope's sources share.
        shared: Box<Shared>,
        /// MLflow and Airflow, when configured.
        pipelines: Box<PipelineSetup>,
    },
    /// A viewer (`--from s3://…`): the collector's states instead of any source; the
    /// viewer's own credentials per scope only say who it is and run its actions.
    Viewer {
        store: Box<team::Store>,
        /// The newest state when the viewer started, and its pointer's ETag.
        first: Box<Collected>,
        etag: Option<String>,
        /// The collector's accounts × regions, with the viewer's credentials there.
        scopes: Vec<AwsScope>,
        /// For actions that retrain through MLflow or Airflow.
        pipelines: Box<PipelineSetup>,
        /// How the viewer's own SageMaker look after an action names and joins models:
        /// the same settings as the collector's (the team's config).
        shared: Box<Shared>,
    },
}

impl Origin {
    pub fn demo(seed: u64, models: usize, every: Duration, started: Timestamp) -> Origin {
        let source = DemoSource::new(Simulator::new(seed, started, models));
        Origin::Demo {
            source,
            seed,
            every,
        }
    }

    /// What to say once at start: credentials that would go over plain http.
    pub fn warnings(&self) -> &[String] {
        match self {
            Origin::Aws { pipelines, .. } | Origin::Viewer { pipelines, .. } => &pipelines.warnings,
            Origin::Demo { .. } => &[],
        }
    }

    /// Where the data will come from, for the header and the snapshot, and how
    /// often each source asks (what its facts' age is judged by).
    pub fn context(&self) -> Context {
        let (place, scopes, intervals) = match self {
            // A viewer's place, scopes and ages are the collector's.
            Origin::Viewer { store, first, .. } => {
                return Context::collected(store.location.url(), first);
            }
            Origin::Demo {
                source,
                seed,
                every,
            } => (
                Place::Demo { seed: *seed },
                source.simulator().scopes(),
                [(SourceId::Demo, *every)].into(),
            ),
            Origin::Aws {
                scopes,
                shared,
                pipelines,
            } => (
                Place::Aws {
                    region: scopes.first().map(AwsScope::region).unwrap_or_default(),
                },
                scopes
                    .iter()
                    .map(|s| Scope {
                        label: s.spec.label.clone(),
                        region: s.region(),
                        colour: s.spec.colour.clone(),
                        protected: s.spec.protected,
                        ..Scope::default()
                    })
                    .collect(),
                intervals(shared, pipelines),
            ),
        };
        let mut context = Context::new(place);
        context.scopes = scopes;
        context.intervals = intervals;
        context
    }

    /// Starts every source as a task of its own, each on its own interval.
    pub fn spawn(self, updates: mpsc::Sender<Update>, refresh: RefreshReceivers) {
        match self {
            Origin::Demo { source, every, .. } => {
                tokio::spawn(drive(source, every, updates, refresh.all.clone()));
            }
            Origin::Viewer {
                store,
                first,
                etag,
                scopes,
                shared,
                ..
            } => viewer::spawn_viewer(*store, (first, etag), (scopes, shared), updates, &refresh),
            Origin::Aws {
                scopes,
                mut shared,
                pipelines,
            } => {
                let every = plan::every(&shared.settings, None);
                if let Some(mlflow) = pipelines.mlflow_source() {
                    tokio::spawn(drive(mlflow, every, updates.clone(), refresh.all.clone()));
                }
                if let Some(airflow) = pipelines.airflow_source() {
                    tokio::spawn(drive(airflow, every, updates.clone(), refresh.all.clone()));
                }
                let (clusters, prometheus) = pipelines.serving.sources();
                for cluster in clusters {
                    tokio::spawn(drive(cluster, every, updates.clone(), refresh.all.clone()));
                }
                if let Some(prometheus) = prometheus {
                    tokio::spawn(drive(
                        prometheus,
                        every,
                        updates.clone(),
                        refresh.all.clone(),
                    ));
                }
                // The session's daily budget shared evenly: each scope's CloudWatch paces
                // itself to its share, so several accounts cost what one was allowed.
                shared.settings.daily_budget_usd /= scopes.len().max(1) as f64;
                let firsts = scope::first_of_account(&scopes);
                for ((ix, scope), global) in scopes.into_iter().enumerate().zip(firsts) {
                    let updates = scoped::forward(ix, &scope.spec, updates.clone());
                    run::spawn_scope(scope, &shared, updates, &refresh, global);
                }
            }
        }
    }

    /// Every source's answer, once, with the AWS requests it took, all gathered at
    /// once (each waiting only for what its plan says).
    pub async fn gather_once(self) -> (Vec<Update>, BTreeMap<String, u64>) {
        match self {
            Origin::Demo { mut source, .. } => (vec![source.fetch().await], BTreeMap::new()),
            // What the collector last wrote: the viewer asks AWS nothing else.
            Origin::Viewer { first, scopes, .. } => {
                let calls = scopes.first().map(|s| s.calls.counts()).unwrap_or_default();
                (vec![Update::Collected(Ok(first))], calls)
            }
            Origin::Aws {
                scopes,
                shared,
                pipelines,
            } => {
                let outside = async {
                    let mlflow = async {
                        match pipelines.mlflow_source() {
                            Some(mut m) => Some(m.fetch().await),
                            None => None,
                        }
                    };
                    let airflow = async {
                        match pipelines.airflow_source() {
                            Some(mut a) => Some(a.fetch().await),
                            None => None,
                        }
                    };
                    // Prometheus asks about what the clusters found: after them.
                    let serving = async {
                        let (clusters, prometheus) = pipelines.serving.sources();
                        let asked = clusters
                            .into_iter()
                            .map(|mut c| async move { c.fetch().await });
                        let mut answers = futures_util::future::join_all(asked).await;
                        if let Some(mut p) = prometheus {
                            answers.push(p.fetch().await);
                        }
                        answers
                    };
                    let (m, a, s) = tokio::join!(mlflow, airflow, serving);
                    m.into_iter().chain(a).chain(s).collect::<Vec<_>>()
                };
                let each = futures_util::future::join_all(
                    scopes
                        .iter()
                        .zip(scope::first_of_account(&scopes))
                        .map(|(scope, global)| run::gather_scope(scope, &shared, global)),
                );
                let (answers, outside) = tokio::join!(each, outside);
                let mut total: BTreeMap<String, u64> = BTreeMap::new();
                let mut updates: Vec<Update> = Vec::new();
                for (ix, (answers, counts)) in answers.into_iter().enumerate() {
                    let spec = scopes.get(ix).map(|s| s.spec.clone()).unwrap_or_default();
                    for (op, n) in &counts {
                        *total.entry(op.clone()).or_default() += n;
                    }
                    let answers = answers.into_iter().chain([Update::ApiCalls(counts)]);
                    updates.extend(answers.map(|u| scoped::stamp(ix, &spec, u)));
                }
                updates.extend(outside);
                (updates, total)
            }
        }
    }
}

/// How often each source asks, as `plan` says (MLflow and Airflow where configured).
fn intervals(shared: &Shared, pipelines: &PipelineSetup) -> BTreeMap<SourceId, Duration> {
    let settings = &shared.settings;
    let clients = &pipelines.clients;
    let serving = &pipelines.serving;
    let outside = [
        (SourceId::Mlflow, clients.mlflow.is_some()),
        (SourceId::Airflow, clients.airflow.is_some()),
        (SourceId::Kubernetes, !serving.clusters.is_empty()),
        (SourceId::Prometheus, serving.prometheus.is_some()),
    ];
    plan::plan(settings, true)
        .into_iter()
        .map(|p| (p.id, p.every))
        .chain(
            outside
                .into_iter()
                .filter(|(_, on)| *on)
                .map(|(id, _)| (id, plan::every(settings, None))),
        )
        .collect()
}
