//! The MLflow source: registered models with their versions, aliases and legacy
//! stages (REGISTRY), and the newest runs of each model's experiment (TRAIN), as
//! rows that join the SageMaker rows by name, tag or config.

pub mod api;
pub mod facts;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::ModelMapping;
use crate::model::facts::{Fleet, ModelFacts, StaleFacts, TrainingRun};
use crate::model::identity::{Identity, JoinedBy};
use crate::model::stages::Stage;
use crate::source::aws::fan_out::{fan_out, lock, DEFAULT_IN_FLIGHT};
use crate::source::last_good::LastGood;
use crate::source::owner::Owner;
use crate::source::{report, Source, SourceId, Update};
pub use api::MlflowApi;
use api::{RegisteredModel, Run, Version};

/// Versions read per model: the registry panel shows the newest.
const VERSIONS: usize = 10;
/// Key metrics kept per run.
const METRICS_PER_RUN: usize = 6;

/// What each model's row is read with.
#[derive(Debug, Clone, Default)]
pub struct MlflowSettings {
    pub mappings: Vec<ModelMapping>,
    /// Registered-model tags whose value names the row (the identity tag keys).
    pub tag_keys: Vec<String>,
    pub runs: usize,
    pub key_metrics: Vec<String>,
    pub in_flight: usize,
}

/// A model's versions as listed when it was last updated at that time.
type Listed = (Option<i64>, Vec<Version>);

pub struct MlflowSource {
    /// The client, or why there is none (a bad MLFLOW_TRACKING_URI): said each refresh.
    api: Result<MlflowApi, String>,
    settings: MlflowSettings,
    /// Versions by model, read again only when the model's last update changes.
    versions: Mutex<HashMap<String, Listed>>,
    /// Each model's experiment id, once found (an experiment does not move).
    experiments: Mutex<HashMap<String, String>>,
    /// Each model's last good runs and when they were read.
    runs: LastGood<String, Vec<TrainingRun>>,
    /// A finished run's key-metric history never changes: read once.
    curves: Mutex<HashMap<(String, String), Vec<f64>>>,
}

/// One registered model and the row it belongs to.
struct Target<'a> {
    model: &'a RegisteredModel,
    row: String,
    identity: Identity,
    experiment: Option<&'a str>,
}

impl MlflowSource {
    pub fn new(api: Result<MlflowApi, String>, settings: MlflowSettings) -> MlflowSource {
        MlflowSource {
            api,
            settings,
            versions: Mutex::default(),
            experiments: Mutex::default(),
            curves: Mutex::default(),
            runs: LastGood::default(),
        }
    }

    pub async fn gather(&self) -> Result<Fleet, String> {
        let models = self.api()?.registered_models().await?;
        let targets: Vec<Target> = models.iter().map(|m| self.target(m)).collect();
        let limit = match self.settings.in_flight {
            0 => DEFAULT_IN_FLIGHT,
            n => n,
        };
        self.runs
            .retain(|name| targets.iter().any(|t| t.model.name == *name));
        let rows = fan_out(targets, limit, |t| self.row(t)).await;
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    fn api(&self) -> Result<&MlflowApi, String> {
        self.api.as_ref().map_err(Clone::clone)
    }

    /// Which row a registered model belongs to: config, a tag, or its own name.
    fn target<'a>(&'a self, m: &'a RegisteredModel) -> Target<'a> {
        let mapped = self
            .settings
            .mappings
            .iter()
            .find(|map| map.mlflow_model.as_deref() == Some(m.name.as_str()));
        let tags = m.tags.iter().map(|t| (t.key.as_str(), t.value.as_str()));
        let owner = match mapped {
            Some(map) => Owner {
                model: map.name.clone(),
                by: JoinedBy::Config,
                evidence: format!("config mlflow_model = \"{}\"", m.name),
            },
            None => match Owner::tagged(tags, &self.settings.tag_keys) {
                Some(o) => Owner {
                    evidence: format!("MLflow {}", o.evidence),
                    ..o
                },
                None => Owner {
                    model: m.name.clone(),
                    by: JoinedBy::Name,
                    evidence: "an MLflow registered model's name".into(),
                },
            },
        };
        let Owner {
            model: row,
            by,
            evidence,
        } = owner;
        let experiment = self
            .settings
            .mappings
            .iter()
            .find(|map| map.name == row)
            .and_then(|map| map.mlflow_experiment.as_deref());
        Target {
            model: m,
            identity: Identity::new(by, evidence.clone()).with(
                format!("MLflow registered model {}", m.name),
                by,
                evidence,
            ),
            row,
            experiment,
        }
    }

    /// One row: versions (REGISTRY) and runs (TRAIN); a part that fails leaves its
    /// stage stale with why, the other part stands.
    async fn row(&self, t: Target<'_>) -> ModelFacts {
        let mut row = ModelFacts::named(&t.row);
        row.identity = Some(t.identity);
        if t.row != t.model.name {
            row.aliases.push(t.model.name.clone());
        }
        // A part that cannot be read keeps its last good answer, marked old.
        let versions = self.versions_of(t.model).await;
        match &versions {
            Ok(v) => row.registry = facts::versions(t.model, v),
            Err(why) => {
                let last = lock(&self.versions)
                    .get(&t.model.name)
                    .map(|(_, v)| v.clone());
                let mark = StaleFacts::new(SourceId::Mlflow, &[Stage::Registry], why, None);
                row.stale.push(mark);
                row.registry = facts::versions(t.model, &last.unwrap_or_default());
            }
        }
        let newest_run = versions
            .as_ref()
            .ok()
            // A version registered from a path has no run: "" or none at all.
            .and_then(|v| {
                v.iter()
                    .find_map(|v| v.run_id.clone().filter(|r| !r.is_empty()))
            });
        let training = match self
            .runs_of(t.model, t.experiment, newest_run.as_deref())
            .await
        {
            Ok(runs) => Ok(self.training(&runs).await),
            Err(why) => Err(why),
        };
        let (training, mark) = self.runs.settle(
            &t.model.name,
            training,
            SourceId::Mlflow,
            &[Stage::Training],
        );
        row.stale.extend(mark);
        row.training = training.unwrap_or_default();
        row
    }

    async fn versions_of(&self, m: &RegisteredModel) -> Result<Vec<Version>, String> {
        if let Some((at, v)) = lock(&self.versions).get(&m.name) {
            if *at == m.last_updated_timestamp && m.last_updated_timestamp.is_some() {
                return Ok(v.clone());
            }
        }
        let v = self.api()?.versions(&m.name, VERSIONS).await?;
        lock(&self.versions).insert(m.name.clone(), (m.last_updated_timestamp, v.clone()));
        Ok(v)
    }

    /// The newest runs of the model's experiment: the one config names, else the
    /// one its newest version's run is in, else one named like the model.
    async fn runs_of(
        &self,
        m: &RegisteredModel,
        named: Option<&str>,
        version_run: Option<&str>,
    ) -> Result<Vec<Run>, String> {
        let known = lock(&self.experiments).get(&m.name).cloned();
        let experiment = match known {
            Some(e) => Some(e),
            None => {
                let api = self.api()?;
                let found = match (named, version_run) {
                    (Some(name), _) => api.experiment_named(name).await?,
                    // A run that is gone is that run's absence: the experiment named
                    // like the model is looked for instead.
                    (None, Some(run)) => match api.experiment_of_run(run).await? {
                        Some(e) => Some(e),
                        None => api.experiment_named(&m.name).await?,
                    },
                    (None, None) => api.experiment_named(&m.name).await?,
                };
                // One not found yet is asked again: it may be created later.
                if let Some(e) = &found {
                    lock(&self.experiments).insert(m.name.clone(), e.clone());
                }
                found
            }
        };
        match experiment {
            Some(e) => self.api()?.runs(&e, self.settings.runs.max(1)).await,
            None => Ok(Vec::new()),
        }
    }

    /// Runs as training runs, the newest finished one with its first key metric's
    /// curve (read once: a finished run's history does not change).
    async fn training(&self, runs: &[Run]) -> Vec<crate::model::facts::TrainingRun> {
        let mut out: Vec<_> = runs
            .iter()
            .map(|r| facts::run(r, &self.settings.key_metrics, METRICS_PER_RUN))
            .collect();
        let finished = runs
            .iter()
            .zip(out.iter_mut())
            .find(|(r, _)| r.info.status == "FINISHED");
        if let Some((run, facts)) = finished {
            if let Some((key, _)) = facts.detail.metrics.first().cloned() {
                let cache_key = (run.info.run_id.clone(), key.clone());
                let cached = lock(&self.curves).get(&cache_key).cloned();
                let curve = match cached {
                    Some(c) => Some(c),
                    None => self.curve(&run.info.run_id, &key).await,
                };
                facts.detail.curve = curve.filter(|c| c.len() > 1).map(|c| (key, c));
            }
        }
        out
    }
}

impl MlflowSource {
    /// One run's metric by step, kept; None when it cannot be read (a chart is not
    /// worth failing the row for).
    async fn curve(&self, run_id: &str, key: &str) -> Option<Vec<f64>> {
        let history = match self.api() {
            Ok(api) => api.metric_history(run_id, key).await,
            Err(e) => Err(e),
        };
        let mut history = history.map_err(|e| tracing::warn!("{e}")).ok()?;
        history.sort_by_key(|m| (m.step, m.timestamp));
        let values: Vec<f64> = history.iter().map(|m| m.value).collect();
        lock(&self.curves).insert((run_id.to_string(), key.to_string()), values.clone());
        Some(values)
    }
}

impl Source for MlflowSource {
    fn id(&self) -> SourceId {
        SourceId::Mlflow
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Mlflow, self.gather().await)
    }
}
