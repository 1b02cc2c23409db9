//! SageMaker: every endpoint in the region becomes a model row (zero-config
//! discovery), and each `[[models]]` entry a row mapped to what config names. A row is
//! named by its model, found in this order: config, a tag on the endpoint, exact
//! lineage (the package group of what it serves), its endpoint's name with affixes
//! stripped (see `identity`). Each row is joined to its package versions, training
//! jobs and pipeline executions, and says how.

mod configs;
pub mod elsewhere;
mod endpoint;
mod endpoints;
mod history;
mod identity;
mod lineage;
pub mod look;
mod memory;
mod monitoring;
mod pipelines;
mod registry;
mod row;
use row::{missing_endpoint, or_last};
mod served;
mod training;

pub use training::Pacer;

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_sagemaker::types::{EndpointConfigSummary, TrainingJobSummary};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use self::endpoint::Described;
use self::endpoints::{Learned, Stamped};
use self::identity::{Resolver, Row, Seen};
use self::lineage::Lineage;
use self::training::Claim;
use super::fan_out::{fan_out, DEFAULT_IN_FLIGHT};
use super::protection::protection;
use super::targets::TargetsSender;
use crate::aws::ApiCalls;
use crate::config::ModelMapping;
use crate::model::facts::{EndpointFacts, ModelFacts, StaleFacts, TrainingRun};
use crate::model::identity::{JoinedBy, Normaliser, DEFAULT_TAG_KEYS};
use crate::model::stages::{Stage, NOT_FOUND};
use crate::model::{Fleet, ModelKind};
use crate::source::{report, Source, SourceId, Update};

/// Items per page of every SageMaker listing: the default is 10, so a bigger page
/// means fewer requests for the same answer.
const PAGE: i32 = 100;

/// Runs kept per model: training jobs and pipeline executions together.
const RUNS_PER_MODEL: usize = 5;

/// How models are recognised: the tag keys that name a model, and the affixes that
/// names shed.
#[derive(Debug, Clone)]
pub struct Recognition {
    pub tag_keys: Vec<String>,
    pub names: Normaliser,
}

impl Default for Recognition {
    fn default() -> Recognition {
        Recognition {
            tag_keys: DEFAULT_TAG_KEYS.map(String::from).to_vec(),
            names: Normaliser::default(),
        }
    }
}

pub struct SageMakerSource {
    client: Client,
    mappings: Vec<ModelMapping>,
    /// Rows for endpoints config does not name.
    discover: bool,
    recognition: Recognition,
    pacer: Pacer,
    /// Requests in flight at once.
    in_flight: usize,
    recent_jobs: training::RecentJobs,
    /// Endpoint descriptions by name, with the LastModifiedTime they were made at:
    /// an unchanged endpoint is not described again.
    described: HashMap<String, Stamped>,
    /// Each row's last complete facts and when they were gathered: a row whose
    /// describes fail keeps them, marked stale.
    last_good: HashMap<String, (Timestamp, ModelFacts)>,
    lineage: Lineage,
    configs: configs::Configs,
    job_details: training::JobDetails,
    pipeline_reasons: pipelines::Reasons,
    schedules: monitoring::Schedules,
    /// Where the CloudWatch source learns which endpoints to watch.
    targets: Option<TargetsSender>,
    /// Where the first refresh sends its rows as soon as the endpoints are known,
    /// before their registries and jobs (the dashboard's update channel).
    early: Option<tokio::sync::mpsc::Sender<Update>>,
    /// Endpoint tags ("key=value") that make actions on it need the name typed.
    protected_tags: Vec<String>,
    /// Where descriptions that never change are kept between sessions.
    memory: Option<memory::Memory>,
}

/// The region-wide listings of one refresh, each fetched once for all rows.
pub(super) struct Listings {
    jobs: Vec<TrainingJobSummary>,
    configs: Vec<EndpointConfigSummary>,
    pipelines: Vec<String>,
    /// The configs endpoints serve now: never another endpoint's past.
    serving: HashSet<String>,
}

impl SageMakerSource {
    /// A zero-config source: every endpoint becomes a row.
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> SageMakerSource {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        SageMakerSource::from_client(Client::from_conf(config))
    }

    /// Rows for the models config names; other endpoints too when `discover`.
    pub fn mapped(mut self, mappings: Vec<ModelMapping>, discover: bool) -> SageMakerSource {
        self.mappings = mappings;
        self.discover = discover;
        self
    }

    /// How rows are named when config does not name them.
    pub fn recognising(mut self, recognition: Recognition) -> SageMakerSource {
        self.recognition = recognition;
        self
    }

    /// Shares the session's ListTrainingJobs pacer.
    pub fn paced(mut self, pacer: Pacer) -> SageMakerSource {
        self.pacer = pacer;
        self
    }

    /// At most `n` requests in flight at once (SageMaker's per-account rate is
    /// shared by everything the account runs).
    pub fn in_flight(mut self, n: usize) -> SageMakerSource {
        self.in_flight = n.max(1);
        self.lineage = Lineage::new(self.in_flight);
        self.schedules = monitoring::Schedules::new(self.in_flight);
        self
    }

    /// A zero-config source on a client built elsewhere (the tests' mocked one).
    pub fn from_client(client: Client) -> SageMakerSource {
        SageMakerSource {
            client,
            mappings: Vec::new(),
            discover: true,
            recognition: Recognition::default(),
            pacer: Pacer::new(2),
            in_flight: DEFAULT_IN_FLIGHT,
            recent_jobs: Default::default(),
            described: HashMap::new(),
            last_good: HashMap::new(),
            lineage: Lineage::new(DEFAULT_IN_FLIGHT),
            configs: Default::default(),
            job_details: Default::default(),
            pipeline_reasons: Default::default(),
            schedules: monitoring::Schedules::new(DEFAULT_IN_FLIGHT),
            targets: None,
            early: None,
            protected_tags: Vec::new(),
            memory: None,
        }
    }

    /// Endpoints carrying any of `tags` ("key=value") are protected from stray keys.
    pub fn protecting(mut self, tags: Vec<String>) -> SageMakerSource {
        self.protected_tags = tags;
        self
    }

    /// Sends the first refresh's rows to `updates` as soon as the endpoints are
    /// known: on a large fleet they show within a second or two, not at the end.
    pub fn progressive(mut self, updates: tokio::sync::mpsc::Sender<Update>) -> SageMakerSource {
        self.early = Some(updates);
        self
    }

    /// Sends each refresh's endpoints to `targets` (the CloudWatch source's input).
    pub fn publish_targets(mut self, targets: TargetsSender) -> SageMakerSource {
        self.targets = Some(targets);
        self
    }

    /// One refresh. Only a failed listing fails it: a describe that fails costs its
    /// own row's freshness (the row keeps its last good facts, marked), not the
    /// others'. Independent requests run at once, `in_flight` at most.
    async fn gather(&mut self) -> Result<Vec<ModelFacts>, String> {
        let client = self.client.clone();
        // Pipelines are matched by name only for rows config gives none.
        let by_name = self.discover || self.mappings.iter().any(|m| m.pipeline.is_none());
        // The region-wide listings the rows' jobs and histories need run beside the
        // endpoints' describes, not before them: none needs another's answer.
        let mut recent = std::mem::take(&mut self.recent_jobs);
        let pacer = self.pacer.clone();
        let listings = async {
            tokio::join!(
                recent.refresh(&client, &pacer),
                history::recent_configs(&client),
                async {
                    match by_name {
                        true => pipelines::names(&client).await,
                        false => Ok(Vec::new()),
                    }
                },
            )
        };
        let ((jobs, configs, pipelines), endpoints) =
            tokio::join!(listings, self.learn_endpoints(&client));
        self.recent_jobs = recent;
        let Learned {
            mut problems,
            monitoring,
            versions,
        } = endpoints?;
        // Only ListEndpoints fails the refresh: a failed region-wide listing costs
        // the stage it feeds, marked on every row, with the last listing kept.
        let mut unlisted: Vec<StaleFacts> = Vec::new();
        let known_jobs = self.recent_jobs.known();
        let listings = Listings {
            jobs: or_last(jobs, Stage::Training, known_jobs, &mut unlisted),
            configs: or_last(configs, Stage::Endpoint, Vec::new(), &mut unlisted),
            pipelines: or_last(pipelines, Stage::Training, Vec::new(), &mut unlisted),
            serving: self
                .described
                .values()
                .map(|(_, d)| d.endpoint.config_name.clone())
                .collect(),
        };
        let rows = self.rows();
        let claims: Vec<Vec<String>> = rows.iter().map(|r| self.names_of(r)).collect();
        let claims: Vec<Claim> = rows
            .iter()
            .zip(&claims)
            .map(|(r, names)| Claim {
                prefix: r
                    .mapping
                    .as_ref()
                    .and_then(|m| m.training_job_prefix.as_deref()),
                names: names.iter().map(String::as_str).collect(),
            })
            .collect();
        let pipelines = self.pipelines_of(&rows, &listings.pipelines, &claims);
        let jobs = training::claimed(&listings.jobs, &claims, &self.recognition.names);
        let this = &*self;
        let built = fan_out(
            rows.iter().zip(jobs).zip(pipelines),
            self.in_flight,
            |((row, jobs), pipeline)| {
                let (listings, versions) = (&listings, &versions);
                async move {
                    let built = this.model(row, listings, versions, jobs, pipeline).await;
                    (row, built)
                }
            },
        )
        .await;
        let now = Timestamp::now();
        let mut models = Vec::with_capacity(built.len());
        for (row, built) in built {
            let (mut m, job_problem) = match built {
                Ok(built) => built,
                Err(why) => (self.last_good_of(row, why), None),
            };
            let problem = row
                .endpoint
                .as_ref()
                .and_then(|e| problems.remove(e))
                .or(job_problem);
            if let Some(found) = row.endpoint.as_ref().and_then(|e| monitoring.get(e)) {
                m.drift.monitoring.clone_from(&found.last_run);
                m.drift.reports_at = found.reports.as_ref().map(ToString::to_string);
            }
            m.stale.extend(unlisted.iter().cloned());
            match problem {
                Some(why) => m.stale.push(self.stale_since(&row.name, why)),
                None if m.stale.is_empty() => {
                    self.last_good.insert(row.name.clone(), (now, m.clone()));
                }
                None => {}
            }
            models.push(m);
        }
        let shown: HashSet<&str> = models.iter().map(|m| m.name.as_str()).collect();
        self.last_good
            .retain(|name, _| shown.contains(name.as_str()));
        models.sort_by(|a, b| a.name.cmp(&b.name));
        // Again, now that the serving jobs (their training channels) are known:
        // only a change wakes the followers.
        self.publish_targets_of(&rows, &monitoring, true);
        self.remember();
        Ok(models)
    }

    /// On the first refresh only: the rows with their endpoints, while training,
    /// registry and history are still being asked for.
    fn send_first_look(&self, rows: &[Row]) {
        let Some(early) = self.early.as_ref().filter(|_| self.last_good.is_empty()) else {
            return;
        };
        let models = rows
            .iter()
            .map(|row| {
                let mapping = row.mapping.as_ref();
                let described = row.endpoint.as_ref().and_then(|e| self.described.get(e));
                let endpoint = match (&row.endpoint, described) {
                    (Some(_), Some((_, d))) => {
                        let mut facts = d.endpoint.clone();
                        facts.protected = protection(mapping, &d.tags, &self.protected_tags);
                        Some(facts)
                    }
                    (Some(name), None) => Some(missing_endpoint(name)),
                    (None, _) => None,
                };
                ModelFacts {
                    kind: mapping.and_then(|m| m.kind).unwrap_or(ModelKind::Other),
                    environment: row.environment.clone(),
                    aliases: row
                        .endpoint
                        .iter()
                        .filter(|e| **e != row.name)
                        .cloned()
                        .collect(),
                    identity: Some(row.identity.clone()),
                    endpoint,
                    ..ModelFacts::named(&row.name)
                }
            })
            .collect();
        // Never waits: a full channel only means the whole answer comes first.
        let _ = early.try_send(Update::Partial {
            source: SourceId::SageMaker,
            fleet: Fleet {
                models,
                ..Fleet::default()
            },
            at: Timestamp::now(),
            pending: vec![Stage::Training, Stage::Registry],
        });
    }

    /// A row whose facts could not be built this refresh: its last good ones, or
    /// its name alone, marked with why.
    fn last_good_of(&self, row: &Row, why: String) -> ModelFacts {
        let mut m = match self.last_good.get(&row.name) {
            Some((_, m)) => m.clone(),
            None => ModelFacts {
                identity: Some(row.identity.clone()),
                ..ModelFacts::named(&row.name)
            },
        };
        m.stale.push(self.stale_since(&row.name, why));
        m
    }

    /// SageMaker's cells of `name` show facts from its last good refresh.
    fn stale_since(&self, name: &str, why: String) -> StaleFacts {
        let since = self.last_good.get(name).map(|(at, _)| *at);
        StaleFacts::new(SourceId::SageMaker, SourceId::SageMaker.feeds(), why, since)
    }

    /// Every row with its identity (see `identity`).
    fn rows(&self) -> Vec<Row> {
        let seen: BTreeMap<String, Seen> = self
            .described
            .iter()
            .map(|(name, (_, d))| {
                let model = d.first_model();
                let seen = Seen {
                    tags: d.tags.as_deref().unwrap_or_default(),
                    model,
                    package: model.and_then(|m| self.lineage.package_of(m)),
                };
                (name.clone(), seen)
            })
            .collect();
        Resolver {
            mappings: &self.mappings,
            discover: self.discover,
            tag_keys: &self.recognition.tag_keys,
            names: &self.recognition.names,
        }
        .rows(&seen)
    }

    /// The names a row goes by: the model's, its endpoint's, its package groups' and
    /// its SageMaker models'.
    fn names_of(&self, row: &Row) -> Vec<String> {
        let described = row.endpoint.as_ref().and_then(|e| self.described.get(e));
        let models: Vec<&str> = described
            .into_iter()
            .flat_map(|(_, d)| d.models())
            .collect();
        let groups = models
            .iter()
            .filter_map(|m| self.lineage.package_of(m).map(|p| p.group));
        let mut names: Vec<String> = std::iter::once(row.name.clone())
            .chain(row.endpoint.clone())
            .chain(
                row.mapping
                    .as_ref()
                    .and_then(|m| m.model_package_group.clone()),
            )
            .chain(groups)
            .chain(models.iter().map(|m| m.to_string()))
            .collect();
        let mut seen = HashSet::new();
        names.retain(|n| seen.insert(n.clone()));
        names
    }

    /// Each row's pipeline: config's, else the pipeline named for the model.
    fn pipelines_of(&self, rows: &[Row], all: &[String], claims: &[Claim]) -> Vec<Option<String>> {
        let mut out: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.mapping.as_ref().and_then(|m| m.pipeline.clone()))
            .collect();
        for p in all {
            let owner = training::owner(p, claims, &self.recognition.names);
            if let Some(slot) = owner.and_then(|i| out.get_mut(i)) {
                if slot.is_none() {
                    *slot = Some(p.clone());
                }
            }
        }
        out
    }
}

impl Source for SageMakerSource {
    fn id(&self) -> SourceId {
        SourceId::SageMaker
    }

    async fn fetch(&mut self) -> Update {
        let result = self.gather().await.map(|models| Fleet {
            models,
            ..Fleet::default()
        });
        report(SourceId::SageMaker, result)
    }

    fn recall(&mut self, past: &crate::source::memory::MemoryDir) {
        self.recall_file(past.descriptions());
    }
}

#[cfg(test)]
mod tests;
