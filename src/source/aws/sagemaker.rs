//! SageMaker: every endpoint in the region becomes a model row (zero-config discovery),
//! with its status, endpoint config and variants.

use aws_sdk_sagemaker::types::EndpointSummary;
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::errors::describe;
use super::timestamp;
use super::ApiCalls;
use crate::model::facts::{DriftFacts, EndpointFacts, ModelFacts, Variant};
use crate::model::{Fleet, ModelKind};
use crate::source::{Source, SourceId, Update};

pub struct SageMakerSource {
    client: Client,
}

impl SageMakerSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> SageMakerSource {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        SageMakerSource {
            client: Client::from_conf(config),
        }
    }

    async fn gather(&self) -> Result<Vec<ModelFacts>, String> {
        let summaries: Vec<EndpointSummary> = self
            .client
            .list_endpoints()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(|e| describe("sagemaker:ListEndpoints", &e))?;
        let mut models = Vec::with_capacity(summaries.len());
        for s in &summaries {
            let Some(name) = s.endpoint_name() else {
                continue;
            };
            models.push(self.endpoint_model(name).await?);
        }
        models.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(models)
    }

    /// One endpoint, joined to its endpoint config for the initial weights.
    async fn endpoint_model(&self, name: &str) -> Result<ModelFacts, String> {
        let ep = self
            .client
            .describe_endpoint()
            .endpoint_name(name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeEndpoint", &e))?;
        let config_name = ep.endpoint_config_name().unwrap_or_default().to_string();
        let config = self
            .client
            .describe_endpoint_config()
            .endpoint_config_name(&config_name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeEndpointConfig", &e))?;
        let initial = config.production_variants();
        let variants = ep
            .production_variants()
            .iter()
            .map(|v| {
                let name = v.variant_name().unwrap_or_default().to_string();
                let configured = initial
                    .iter()
                    .find(|p| p.variant_name() == Some(name.as_str()));
                // The weight now serving, else the one the config started with.
                let weight = v
                    .current_weight()
                    .or_else(|| configured.and_then(|p| p.initial_variant_weight()))
                    .unwrap_or(0.0);
                let instances = v
                    .current_instance_count()
                    .or_else(|| configured.and_then(|p| p.initial_instance_count()))
                    .unwrap_or(0);
                Variant {
                    name,
                    weight: f64::from(weight),
                    instances: u32::try_from(instances).unwrap_or(0),
                }
            })
            .collect();
        let created = config
            .creation_time()
            .and_then(timestamp)
            .unwrap_or(Timestamp::UNIX_EPOCH);
        Ok(ModelFacts {
            name: name.to_string(),
            kind: ModelKind::Other,
            data: None,
            training: Vec::new(),
            registry: Vec::new(),
            endpoint: Some(EndpointFacts {
                name: name.to_string(),
                status: ep
                    .endpoint_status()
                    .map_or("Unknown", |s| s.as_str())
                    .to_string(),
                failure_reason: ep.failure_reason().map(str::to_string),
                config_history: vec![crate::model::facts::EndpointConfigRef {
                    name: config_name.clone(),
                    created,
                    model_version: None,
                }],
                config_name,
                variants,
            }),
            drift: DriftFacts::default(),
            metrics: Default::default(),
        })
    }
}

impl Source for SageMakerSource {
    fn id(&self) -> SourceId {
        SourceId::SageMaker
    }

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
