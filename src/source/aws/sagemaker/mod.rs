//! SageMaker: every endpoint in the region becomes a model row (zero-config
//! discovery), and each `[[models]]` entry a row mapped to what config names; each row
//! is joined to its model package group, training jobs and pipeline executions.

mod endpoint;
mod history;
mod monitoring;
mod pipelines;
mod registry;
mod training;

pub use pipelines::execution_status;
pub use registry::approval_of;
pub use training::{job_status, Pacer};

use std::collections::HashMap;

use aws_sdk_sagemaker::types::{EndpointConfigSummary, EndpointSummary, TrainingJobSummary};
use aws_sdk_sagemaker::Client;

use self::endpoint::Described;
use super::errors::describe;
use super::targets::{endpoint_targets, TargetsSender};
use super::ApiCalls;
use crate::config::ModelMapping;
use crate::model::facts::{EndpointFacts, ModelFacts, TrainingRun};
use crate::model::stages::NOT_FOUND;
use crate::model::{Fleet, ModelKind};
use crate::source::{report, Source, SourceId, Update};

/// Items per page of every SageMaker listing: the default is 10, so a bigger page
/// means fewer requests for the same answer.
const PAGE: i32 = 100;

/// Runs kept per model: training jobs and pipeline executions together.
const RUNS_PER_MODEL: usize = 5;

pub struct SageMakerSource {
    client: Client,
    mappings: Vec<ModelMapping>,
    /// Rows for endpoints config does not name.
    discover: bool,
    pacer: Pacer,
    /// Endpoint descriptions by name, with the LastModifiedTime they were made at:
    /// an unchanged endpoint is not described again.
    described: HashMap<String, (i64, Described)>,
    config_versions: history::ConfigVersions,
    job_details: training::JobDetails,
    pipeline_reasons: pipelines::Reasons,
    schedules: monitoring::Schedules,
    /// Where the CloudWatch source learns which endpoints to watch.
    targets: Option<TargetsSender>,
    /// Endpoint tags ("key=value") that make actions on it need the name typed.
    protected_tags: Vec<String>,
}

/// One model row to build, and what it is made of.
struct Row {
    name: String,
    mapping: Option<ModelMapping>,
    endpoint: Option<String>,
}

/// The region-wide listings of one refresh, each fetched once for all rows.
struct Listings {
    jobs: Vec<TrainingJobSummary>,
    configs: Vec<EndpointConfigSummary>,
    pipelines: Vec<String>,
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

    /// Shares the session's ListTrainingJobs pacer.
    pub fn paced(mut self, pacer: Pacer) -> SageMakerSource {
        self.pacer = pacer;
        self
    }

    /// A zero-config source on a client built elsewhere (the tests' mocked one).
    pub fn from_client(client: Client) -> SageMakerSource {
        SageMakerSource {
            client,
            mappings: Vec::new(),
            discover: true,
            pacer: Pacer::new(2),
            described: HashMap::new(),
            config_versions: Default::default(),
            job_details: Default::default(),
            pipeline_reasons: Default::default(),
            schedules: Default::default(),
            targets: None,
            protected_tags: Vec::new(),
        }
    }

    /// Endpoints carrying any of `tags` ("key=value") are protected from stray keys.
    pub fn protecting(mut self, tags: Vec<String>) -> SageMakerSource {
        self.protected_tags = tags;
        self
    }

    /// Sends each refresh's endpoints to `targets` (the CloudWatch source's input).
    pub fn publish_targets(mut self, targets: TargetsSender) -> SageMakerSource {
        self.targets = Some(targets);
        self
    }

    async fn gather(&mut self) -> Result<Vec<ModelFacts>, String> {
        let summaries: Vec<EndpointSummary> = self
            .client
            .list_endpoints()
            .max_results(PAGE)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| describe("sagemaker:ListEndpoints", &e))?;
        self.describe_changed(&summaries).await?;
        let rows = self.rows();
        let listings = Listings {
            jobs: training::recent_jobs(&self.client, &self.pacer).await?,
            configs: history::recent_configs(&self.client).await?,
            // Pipelines are matched by name only for rows config gives none.
            pipelines: match rows
                .iter()
                .all(|r| r.mapping.as_ref().is_some_and(|m| m.pipeline.is_some()))
            {
                true => Vec::new(),
                false => pipelines::names(&self.client).await?,
            },
        };
        let endpoints: Vec<&str> = rows.iter().filter_map(|r| r.endpoint.as_deref()).collect();
        let monitoring = self.schedules.by_endpoint(&self.client, &endpoints).await;
        let mut versions = registry::Versions::default();
        let mut models = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut m = self.model(row, &listings, &mut versions).await?;
            if let Some(found) = row.endpoint.as_ref().and_then(|e| monitoring.get(e)) {
                m.drift.monitoring.clone_from(&found.last_run);
                m.drift.reports_at = found.reports.as_ref().map(ToString::to_string);
            }
            models.push(m);
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }

    /// Describes the endpoints that are new or changed since the last refresh.
    async fn describe_changed(&mut self, summaries: &[EndpointSummary]) -> Result<(), String> {
        let mut fresh = HashMap::new();
        for s in summaries {
            let Some(name) = s.endpoint_name() else {
                continue;
            };
            if !self.discover && !self.is_named(name) {
                continue;
            }
            let modified = s.last_modified_time().map_or(0, |t| t.secs());
            let described = match self.described.remove(name) {
                Some((at, d)) if at == modified => d,
                _ => endpoint::describe_endpoint(&self.client, name).await?,
            };
            fresh.insert(name.to_string(), (modified, described));
        }
        self.described = fresh;
        Ok(())
    }

    /// Whether config names `endpoint` (as a model's endpoint, or as a model's name).
    fn is_named(&self, endpoint: &str) -> bool {
        self.mappings
            .iter()
            .any(|m| m.endpoint.as_deref().unwrap_or(&m.name) == endpoint)
    }

    /// Configured models first, then (when discovering) every endpoint none claims.
    fn rows(&self) -> Vec<Row> {
        let mut rows: Vec<Row> = self
            .mappings
            .iter()
            .map(|m| Row {
                name: m.name.clone(),
                mapping: Some(m.clone()),
                endpoint: m
                    .endpoint
                    .clone()
                    .or_else(|| self.described.contains_key(&m.name).then(|| m.name.clone())),
            })
            .collect();
        if self.discover {
            let mut unclaimed: Vec<&String> = self
                .described
                .keys()
                .filter(|ep| !rows.iter().any(|r| r.endpoint.as_ref() == Some(*ep)))
                .collect();
            unclaimed.sort();
            rows.extend(unclaimed.into_iter().map(|ep| Row {
                name: ep.clone(),
                mapping: None,
                endpoint: Some(ep.clone()),
            }));
        }
        rows
    }

    async fn model(
        &mut self,
        row: &Row,
        listings: &Listings,
        versions: &mut registry::Versions,
    ) -> Result<ModelFacts, String> {
        let client = &self.client;
        let mapping = row.mapping.as_ref();
        let described = row.endpoint.as_ref().and_then(|ep| self.described.get(ep));
        let described = described.map(|(_, d)| d);
        let package = described.and_then(|d| d.package.as_ref());
        let group = mapping
            .and_then(|m| m.model_package_group.as_deref())
            .or(package.map(|p| p.group.as_str()));
        let registry = match group {
            Some(g) => versions.of_group(client, g, package).await?,
            None => Vec::new(),
        };
        let endpoint = match (&row.endpoint, described) {
            (Some(_), Some(d)) => {
                let mut facts = d.endpoint.clone();
                facts.protected = protection(mapping, &d.tags, &self.protected_tags);
                if let Some(current) = facts.config_history.first().cloned() {
                    facts.config_history = self
                        .config_versions
                        .history(client, &listings.configs, &current)
                        .await?;
                }
                Some(facts)
            }
            (Some(name), None) => Some(missing_endpoint(name)),
            (None, _) => None,
        };
        // Name prefixes link runs to models when nothing else does.
        let prefixes: Vec<&str> = match mapping.and_then(|m| m.training_job_prefix.as_deref()) {
            Some(p) => vec![p],
            None => [group, described.and_then(|d| d.model_name.as_deref())]
                .into_iter()
                .flatten()
                .chain([row.name.as_str()])
                .chain(row.endpoint.as_deref())
                .collect(),
        };
        let mut training =
            training::for_model(client, &mut self.job_details, &listings.jobs, &prefixes).await?;
        let pipeline = mapping.and_then(|m| m.pipeline.clone()).or_else(|| {
            prefixes.iter().find_map(|p| {
                listings
                    .pipelines
                    .iter()
                    .find(|name| name.starts_with(*p))
                    .cloned()
            })
        });
        if let Some(p) = &pipeline {
            training.extend(self.pipeline_reasons.runs(client, p).await?);
        }
        Ok(ModelFacts {
            pipeline,
            kind: mapping.and_then(|m| m.kind).unwrap_or(ModelKind::Other),
            training: newest_runs(training),
            registry,
            endpoint,
            ..ModelFacts::named(&row.name)
        })
    }
}

fn newest_runs(mut runs: Vec<TrainingRun>) -> Vec<TrainingRun> {
    runs.sort_by_key(|r| std::cmp::Reverse(r.started));
    runs.truncate(RUNS_PER_MODEL);
    runs
}

/// Why the endpoint is protected, if it is: config says so, or it has a protected tag.
/// Tags that could not be read count as protected: a stray key must not slip through.
fn protection(
    mapping: Option<&ModelMapping>,
    tags: &Result<Vec<String>, String>,
    protected: &[String],
) -> Option<String> {
    if mapping.is_some_and(|m| m.protected) {
        return Some("protected in config".into());
    }
    if protected.is_empty() {
        return None;
    }
    match tags {
        Ok(tags) => tags
            .iter()
            .find(|t| protected.contains(t))
            .map(|t| format!("tagged {t}")),
        Err(why) => Some(format!("its tags could not be read ({why})")),
    }
}

/// Config names an endpoint the region does not have: a red cell that says so.
fn missing_endpoint(name: &str) -> EndpointFacts {
    EndpointFacts {
        name: name.to_string(),
        status: NOT_FOUND.to_string(),
        failure_reason: Some(format!(
            "endpoint {name} (named in config) is not in this region"
        )),
        config_name: String::new(),
        variants: Vec::new(),
        config_history: Vec::new(),
        protected: None,
    }
}

impl Source for SageMakerSource {
    async fn fetch(&mut self) -> Update {
        let result = self.gather().await.map(|models| Fleet {
            models,
            ..Fleet::default()
        });
        if let (Ok(fleet), Some(targets)) = (&result, &self.targets) {
            targets.send_replace(endpoint_targets(fleet));
        }
        report(SourceId::SageMaker, result)
    }
}

#[cfg(test)]
mod tests {
    use super::protection;

    #[test]
    fn tags_that_could_not_be_read_count_as_protected() {
        let prod = ["env=prod".to_string()];
        let denied = Err("sagemaker:ListTags: access denied".to_string());
        assert!(protection(None, &denied, &prod)
            .unwrap()
            .contains("ListTags"));
        // Nobody asked for tag protection: nothing to fear from unread tags.
        assert_eq!(protection(None, &denied, &[]), None);
        assert_eq!(protection(None, &Ok(vec!["team=ml".into()]), &prod), None);
        assert_eq!(
            protection(None, &Ok(vec!["env=prod".into()]), &prod).as_deref(),
            Some("tagged env=prod")
        );
        // `protected = true` in config needs no tag at all.
        let mapping = crate::config::ModelMapping {
            protected: true,
            ..Default::default()
        };
        assert_eq!(
            protection(Some(&mapping), &Ok(vec![]), &[]).as_deref(),
            Some("protected in config")
        );
    }
}
