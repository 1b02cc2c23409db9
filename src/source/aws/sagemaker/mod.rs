//! SageMaker: every endpoint in the region becomes a model row (zero-config discovery),
//! joined to the model package group its model came from and the training jobs
//! named after it.

mod endpoint;
mod registry;
mod training;

use std::collections::HashMap;

use aws_sdk_sagemaker::types::EndpointSummary;
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use self::endpoint::Described;
use super::errors::describe;
use super::ApiCalls;
use crate::model::facts::{DriftFacts, ModelFacts};
use crate::model::{Fleet, ModelKind};
use crate::source::{Source, SourceId, Update};

pub struct SageMakerSource {
    client: Client,
    /// Endpoint descriptions by name, with the LastModifiedTime they were made at:
    /// an unchanged endpoint is not described again.
    described: HashMap<String, (i64, Described)>,
}

impl SageMakerSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> SageMakerSource {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        SageMakerSource::from_client(Client::from_conf(config))
    }

    /// A source on a client built elsewhere (the tests' mocked one).
    pub fn from_client(client: Client) -> SageMakerSource {
        SageMakerSource {
            client,
            described: HashMap::new(),
        }
    }

    async fn gather(&mut self) -> Result<Vec<ModelFacts>, String> {
        let summaries: Vec<EndpointSummary> = self
            .client
            .list_endpoints()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| describe("sagemaker:ListEndpoints", &e))?;
        let mut fresh = HashMap::new();
        for s in &summaries {
            let Some(name) = s.endpoint_name() else {
                continue;
            };
            let modified = s.last_modified_time().map_or(0, |t| t.secs());
            let described = match self.described.remove(name) {
                Some((at, d)) if at == modified => d,
                _ => endpoint::describe_endpoint(&self.client, name).await?,
            };
            fresh.insert(name.to_string(), (modified, described));
        }
        self.described = fresh;

        let jobs = training::recent_jobs(&self.client).await?;
        let mut versions = registry::Versions::default();
        let mut models = Vec::with_capacity(self.described.len());
        for (name, (_, d)) in &self.described {
            let registry = match &d.package {
                Some(p) => versions.of_group(&self.client, p).await?,
                None => Vec::new(),
            };
            let prefixes = [
                d.package.as_ref().map(|p| p.group.as_str()),
                d.model_name.as_deref(),
                Some(name),
            ];
            let training = training::for_model(&self.client, &jobs, &prefixes).await?;
            models.push(ModelFacts {
                name: name.clone(),
                kind: ModelKind::Other,
                data: None,
                training,
                registry,
                endpoint: Some(d.endpoint.clone()),
                drift: DriftFacts::default(),
                metrics: Default::default(),
            });
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }
}

impl Source for SageMakerSource {
    async fn fetch(&mut self) -> Update {
        let result = self.gather().await;
        let at = Timestamp::now();
        match result {
            Ok(models) => Update::Fleet {
                source: SourceId::SageMaker,
                fleet: Fleet {
                    models,
                    alarms: Vec::new(),
                    cost: None,
                },
                at,
            },
            Err(why) => Update::Failed {
                source: SourceId::SageMaker,
                why,
                at,
            },
        }
    }
}
