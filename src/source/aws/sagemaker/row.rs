//! One model's row from SageMaker: its endpoint, the registry's versions, the
//! training runs and the monitoring joined by the identity that says they are one
//! model's, each part keeping its last answer when it cannot be read.

use super::*;

impl SageMakerSource {
    pub(super) async fn model(
        &self,
        row: &Row,
        listings: &Listings,
        versions: &registry::Versions,
        mut training: Vec<TrainingRun>,
        pipeline: Option<String>,
    ) -> Result<(ModelFacts, Option<String>), String> {
        let client = &self.client;
        let mapping = row.mapping.as_ref();
        let mut identity = row.identity.clone();
        let described = row.endpoint.as_ref().and_then(|ep| self.described.get(ep));
        let described = described.map(|(_, d)| d);
        let served = served::Served::of(described, &self.lineage);
        let first_package = served.first();
        let group = match (
            mapping.and_then(|m| m.model_package_group.as_deref()),
            first_package,
        ) {
            (Some(g), _) => {
                identity.join(
                    format!("package group {g}"),
                    JoinedBy::Config,
                    "model_package_group in config",
                );
                Some(g.to_string())
            }
            (None, Some(p)) => {
                let model = described
                    .and_then(Described::first_model)
                    .unwrap_or_default();
                identity.join(
                    format!("package group {}", p.group),
                    JoinedBy::Lineage,
                    p.evidence(model),
                );
                Some(p.group.clone())
            }
            (None, None) => None,
        };
        // The jobs that wrote what each variant serves.
        let mut artifacts: Vec<String> = described
            .into_iter()
            .flat_map(|d| d.models())
            .filter_map(|m| self.lineage.artifact_of(m))
            .collect();
        artifacts.dedup();
        // The row's parts at once: none needs another's answer.
        let (registry, endpoint, serving, pipeline_runs, job_problem) = tokio::join!(
            async {
                match &group {
                    Some(g) => versions.of_group(client, g, &served.deployed()).await,
                    None => Ok(Vec::new()),
                }
            },
            self.endpoint_of(row, described, listings, &served),
            // A row's variants: two at most (blue/green) as a rule.
            fan_out(&artifacts, 2, |a| async move {
                (a, self.job_details.serving(client, a).await)
            }),
            async {
                match &pipeline {
                    Some(p) => self.pipeline_reasons.runs(client, p).await,
                    None => Ok(Vec::new()),
                }
            },
            self.job_details.fill_newest(client, &mut training),
        );
        let (registry, endpoint) = (registry?, endpoint?);
        // Each rollback target says why it is this endpoint's past.
        let history = endpoint
            .iter()
            .flat_map(|e| e.config_history.iter().skip(1));
        for c in history {
            if let Some((by, evidence)) = &c.evidence {
                identity.join(format!("rollback target {}", c.name), *by, evidence.clone());
            }
        }
        for (artifact, job) in serving {
            let Some(job) = job? else {
                continue;
            };
            identity.join(
                format!("training job {}", job.name),
                JoinedBy::Lineage,
                format!("its output {artifact} is what the endpoint serves"),
            );
            match training.iter_mut().find(|r| r.name == job.name) {
                Some(listed) => *listed = job,
                None => training.push(job),
            }
        }
        for run in training.iter().filter(|r| !r.serving) {
            let by = match mapping.and_then(|m| m.training_job_prefix.as_deref()) {
                Some(p) => (JoinedBy::Config, format!("training_job_prefix {p}")),
                None => (JoinedBy::Name, format!("named like {}", row.name)),
            };
            identity.join(format!("training job {}", run.name), by.0, by.1);
        }
        if let Some(p) = &pipeline {
            let by = match mapping.and_then(|m| m.pipeline.as_deref()) {
                Some(_) => (JoinedBy::Config, "pipeline in config".to_string()),
                None => (JoinedBy::Name, format!("named like {}", row.name)),
            };
            identity.join(format!("pipeline {p}"), by.0, by.1);
            training.extend(pipeline_runs?);
        }
        let mut aliases: Vec<String> = row.endpoint.iter().cloned().collect();
        aliases.extend(group.clone());
        aliases.extend(
            described
                .into_iter()
                .flat_map(|d| d.models().map(str::to_string)),
        );
        aliases.retain(|a| *a != row.name);
        aliases.dedup();
        let facts = ModelFacts {
            pipeline,
            kind: mapping.and_then(|m| m.kind).unwrap_or(ModelKind::Other),
            environment: row.environment.clone(),
            training: newest_runs(training),
            registry,
            endpoint,
            identity: Some(identity),
            aliases,
            ..ModelFacts::named(&row.name)
        };
        Ok((facts, job_problem))
    }

    /// The row's endpoint as described, with the configs it could go back to.
    async fn endpoint_of(
        &self,
        row: &Row,
        described: Option<&Described>,
        listings: &Listings,
        served: &served::Served,
    ) -> Result<Option<EndpointFacts>, String> {
        let mapping = row.mapping.as_ref();
        let d = match (&row.endpoint, described) {
            (Some(_), Some(d)) => d,
            (Some(name), None) => return Ok(Some(missing_endpoint(name))),
            (None, _) => return Ok(None),
        };
        let mut facts = d.endpoint.clone();
        facts.protected = protection(mapping, &d.tags, &self.protected_tags);
        facts.artifact = d.first_model().and_then(|m| self.lineage.artifact_of(m));
        served.mark(&mut facts);
        if let Some(current) = facts.config_history.first().cloned() {
            // What the other endpoints serve now is theirs, never this one's past
            // (its own is `current`, left out anyway).
            facts.config_history = history::history(
                &self.client,
                &self.configs,
                &self.lineage,
                &listings.configs,
                &current,
                &listings.serving,
            )
            .await?;
        }
        Ok(Some(facts))
    }
}

/// A listing's answer, or `last` with the failure noted for the stage it feeds.
pub(super) fn or_last<T>(
    listed: Result<T, String>,
    stage: Stage,
    last: T,
    unlisted: &mut Vec<StaleFacts>,
) -> T {
    listed.unwrap_or_else(|why| {
        unlisted.push(StaleFacts::new(SourceId::SageMaker, &[stage], why, None));
        last
    })
}

/// The newest runs, newest first; the one serving now stays even when older.
pub(super) fn newest_runs(mut runs: Vec<TrainingRun>) -> Vec<TrainingRun> {
    runs.sort_by_key(|r| std::cmp::Reverse(r.started));
    let serving = runs
        .iter()
        .position(|r| r.serving)
        .filter(|i| *i >= RUNS_PER_MODEL);
    if let Some(i) = serving {
        runs.swap(RUNS_PER_MODEL - 1, i);
    }
    runs.truncate(RUNS_PER_MODEL);
    runs
}

/// Config names an endpoint the region does not have: a red cell that says so.
pub(super) fn missing_endpoint(name: &str) -> EndpointFacts {
    EndpointFacts {
        ecs: None,
        k8s: None,
        name: name.to_string(),
        status: NOT_FOUND.to_string(),
        failure_reason: Some(format!(
            "endpoint {name} (named in config) is not in this region"
        )),
        config_name: String::new(),
        variants: Vec::new(),
        config_history: Vec::new(),
        protected: None,
        artifact: None,
    }
}
