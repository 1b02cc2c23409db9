//! One endpoint, described: status, config, variants, and the model package it serves.

use aws_sdk_sagemaker::types::EndpointSummary;
use aws_sdk_sagemaker::Client;

use super::super::timestamp;
use super::configs::Configs;
use crate::aws::errors::describe;
use crate::model::facts::{EndpointConfigRef, EndpointFacts, Variant};

/// What describing an endpoint found; kept until the endpoint changes.
#[derive(Debug, Clone)]
pub struct Described {
    /// Variants' versions and the config's model are filled by lineage each refresh.
    pub endpoint: EndpointFacts,
    /// The SageMaker model behind each variant, in the config's order.
    pub variant_models: Vec<(String, String)>,
    /// The endpoint's tags (key, value), or why they could not be read (a reader
    /// without sagemaker:ListTags still sees the row).
    pub tags: Result<Vec<(String, String)>, String>,
    /// Where Data Capture writes its requests and responses, when it is on.
    pub capture: Option<String>,
    /// The endpoint's ARN: the account it is in.
    pub arn: Option<String>,
}

impl Described {
    /// The model behind the first variant.
    pub fn first_model(&self) -> Option<&str> {
        self.variant_models.first().map(|(_, m)| m.as_str())
    }

    pub fn models(&self) -> impl Iterator<Item = &str> {
        self.variant_models.iter().map(|(_, m)| m.as_str())
    }
}

pub async fn describe_endpoint(
    client: &Client,
    configs: &Configs,
    name: &str,
) -> Result<Described, String> {
    let ep = client
        .describe_endpoint()
        .endpoint_name(name)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeEndpoint", &e))?;
    let config_name = ep.endpoint_config_name().unwrap_or_default().to_string();
    // A config of the same name made since the endpoint last changed is another one.
    let changed = ep.last_modified_time().and_then(timestamp);
    let valid_after = changed.unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    // The config and the tags at once: neither needs the other.
    let (config, tags) = tokio::join!(configs.get(client, &config_name, valid_after), async {
        match ep.endpoint_arn() {
            Some(arn) => tags(client, arn).await,
            None => Ok(Vec::new()),
        }
    });
    let config = config?;
    let initial = &config.variants;
    let variant_models: Vec<(String, String)> = initial
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.model.clone()?)))
        .collect();
    let variants = ep
        .production_variants()
        .iter()
        .map(|v| {
            let name = v.variant_name().unwrap_or_default().to_string();
            let configured = initial.iter().find(|p| p.name == name);
            // The weight now serving, else the one the config started with.
            let weight = v
                .current_weight()
                .or_else(|| configured.and_then(|p| p.initial_weight))
                .unwrap_or(0.0);
            let instances = v
                .current_instance_count()
                .or_else(|| configured.and_then(|p| p.initial_instances))
                .unwrap_or(0);
            Variant {
                model_version: None,
                name,
                weight: f64::from(weight),
                instances: u32::try_from(instances).unwrap_or(0),
            }
        })
        .collect();
    let model_name = variant_models.first().map(|(_, m)| m.clone());
    let created = config.created;
    let capture = ep
        .data_capture_config()
        .filter(|c| c.enable_capture().unwrap_or(false))
        .and_then(|c| c.destination_s3_uri())
        .map(str::to_string);
    Ok(Described {
        endpoint: EndpointFacts {
            ecs: None,
            k8s: None,
            name: name.to_string(),
            status: ep
                .endpoint_status()
                .map_or("Unknown", |s| s.as_str())
                .to_string(),
            failure_reason: ep.failure_reason().map(str::to_string),
            config_history: vec![EndpointConfigRef {
                name: config_name.clone(),
                created,
                model: model_name,
                model_version: None,
                evidence: None,
            }],
            config_name,
            variants,
            protected: None,
            artifact: None,
        },
        variant_models,
        tags,
        capture,
        arn: ep.endpoint_arn().map(str::to_string),
    })
}

pub(super) async fn tags(client: &Client, arn: &str) -> Result<Vec<(String, String)>, String> {
    let listed = client
        .list_tags()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| describe("sagemaker:ListTags", &e))?;
    Ok(listed
        .tags()
        .iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// An endpoint that could not be described: what ListEndpoints says of it. Its tags
/// are unknown, so actions treat it as protected.
pub fn listed(summary: &EndpointSummary, why: &str) -> Described {
    Described {
        endpoint: EndpointFacts {
            ecs: None,
            k8s: None,
            name: summary.endpoint_name().unwrap_or_default().to_string(),
            status: summary
                .endpoint_status()
                .map_or("Unknown", |s| s.as_str())
                .to_string(),
            failure_reason: None,
            config_name: String::new(),
            variants: Vec::new(),
            config_history: Vec::new(),
            protected: None,
            artifact: None,
        },
        variant_models: Vec::new(),
        tags: Err(format!("not described yet ({why})")),
        capture: None,
        arn: None,
    }
}
