//! One endpoint, described: status, config, variants, and the model package it serves.

use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::errors::describe;
use super::super::timestamp;
use crate::model::facts::{EndpointConfigRef, EndpointFacts, Variant};

/// The model package version an endpoint serves.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRef {
    pub group: String,
    pub version: u32,
    pub arn: String,
}

/// What describing an endpoint found; kept until the endpoint changes.
#[derive(Debug, Clone)]
pub struct Described {
    pub endpoint: EndpointFacts,
    /// The model behind the first variant.
    pub model_name: Option<String>,
    pub package: Option<PackageRef>,
    /// The endpoint's tags as "key=value" (what `protected_tags` matches), or why
    /// they could not be read (a reader without sagemaker:ListTags still sees the row).
    pub tags: Result<Vec<String>, String>,
}

pub async fn describe_endpoint(client: &Client, name: &str) -> Result<Described, String> {
    let ep = client
        .describe_endpoint()
        .endpoint_name(name)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeEndpoint", &e))?;
    let config_name = ep.endpoint_config_name().unwrap_or_default().to_string();
    let config = client
        .describe_endpoint_config()
        .endpoint_config_name(&config_name)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeEndpointConfig", &e))?;
    let initial = config.production_variants();
    // Each variant's model version: what a traffic-shift rollback would serve.
    let mut versions = std::collections::HashMap::new();
    for p in initial {
        if let (Some(variant), Some(model)) = (p.variant_name(), p.model_name()) {
            let version = package_of(client, model).await?.map(|p| p.version);
            versions.insert(variant.to_string(), version);
        }
    }
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
                model_version: versions.get(&name).copied().flatten(),
                name,
                weight: f64::from(weight),
                instances: u32::try_from(instances).unwrap_or(0),
            }
        })
        .collect();
    let model_name = initial
        .first()
        .and_then(|p| p.model_name())
        .map(str::to_string);
    let package = match &model_name {
        Some(model) => package_of(client, model).await?,
        None => None,
    };
    let tags = match ep.endpoint_arn() {
        Some(arn) => tags(client, arn).await,
        None => Ok(Vec::new()),
    };
    let created = config
        .creation_time()
        .and_then(timestamp)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    Ok(Described {
        endpoint: EndpointFacts {
            name: name.to_string(),
            status: ep
                .endpoint_status()
                .map_or("Unknown", |s| s.as_str())
                .to_string(),
            failure_reason: ep.failure_reason().map(str::to_string),
            config_history: vec![EndpointConfigRef {
                name: config_name.clone(),
                created,
                model: model_name.clone(),
                model_version: package.as_ref().map(|p| p.version),
            }],
            config_name,
            variants,
            protected: None,
        },
        model_name,
        package,
        tags,
    })
}

async fn tags(client: &Client, arn: &str) -> Result<Vec<String>, String> {
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
            format!(
                "{}={}",
                t.key().unwrap_or_default(),
                t.value().unwrap_or_default()
            )
        })
        .collect())
}

/// The model package a model was created from, when its container names one.
pub async fn package_of(client: &Client, model: &str) -> Result<Option<PackageRef>, String> {
    let m = client
        .describe_model()
        .model_name(model)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeModel", &e))?;
    let arn = m
        .primary_container()
        .and_then(|c| c.model_package_name())
        .or_else(|| m.containers().first().and_then(|c| c.model_package_name()));
    let Some(arn) = arn else { return Ok(None) };
    let p = client
        .describe_model_package()
        .model_package_name(arn)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeModelPackage", &e))?;
    Ok(p.model_package_group_name().map(|group| PackageRef {
        group: group.to_string(),
        version: p
            .model_package_version()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0),
        arn: p.model_package_arn().unwrap_or(arn).to_string(),
    }))
}
