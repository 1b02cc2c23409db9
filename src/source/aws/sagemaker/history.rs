//! Endpoint configs an endpoint could go back to: the region's configs named like its
//! current one, newest first. Configs never change, so each is described once.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sagemaker::types::{EndpointConfigSortKey, EndpointConfigSummary, OrderKey};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::timestamp;
use super::lineage::Lineage;
use crate::aws::errors::describe;
use crate::model::facts::EndpointConfigRef;
use crate::source::aws::fan_out::lock;

/// Configs kept per endpoint: the current one and the newest older ones.
const HISTORY: usize = 5;
/// Newest configs in the region looked at each refresh.
const RECENT_CONFIGS: usize = 500;

pub async fn recent_configs(client: &Client) -> Result<Vec<EndpointConfigSummary>, String> {
    let mut pages = client
        .list_endpoint_configs()
        .sort_by(EndpointConfigSortKey::CreationTime)
        .sort_order(OrderKey::Descending)
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut configs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| describe("sagemaker:ListEndpointConfigs", &e))?;
        configs.extend(page.endpoint_configs().iter().cloned());
        if configs.len() >= RECENT_CONFIGS {
            break;
        }
    }
    Ok(configs)
}

/// The model each config serves (its first variant's), by config name.
#[derive(Default)]
pub struct ConfigVersions(Mutex<HashMap<String, Option<String>>>);

impl ConfigVersions {
    /// `current` and the configs created before it that share its stem, newest first.
    pub async fn history(
        &self,
        client: &Client,
        lineage: &Lineage,
        configs: &[EndpointConfigSummary],
        current: &EndpointConfigRef,
    ) -> Result<Vec<EndpointConfigRef>, String> {
        let family = stem(&current.name);
        let mut out = vec![current.clone()];
        let older = configs.iter().filter(|c| {
            let name = c.endpoint_config_name().unwrap_or_default();
            let created = c.creation_time().and_then(timestamp);
            name != current.name
                && stem(name) == family
                && created.is_some_and(|t| t <= current.created)
        });
        for c in older.take(HISTORY - 1) {
            let name = c.endpoint_config_name().unwrap_or_default().to_string();
            let model = self.served(client, lineage, &name).await?;
            out.push(EndpointConfigRef {
                created: c
                    .creation_time()
                    .and_then(timestamp)
                    .unwrap_or(Timestamp::UNIX_EPOCH),
                name,
                model_version: model
                    .as_deref()
                    .and_then(|m| lineage.package_of(m))
                    .map(|p| p.version),
                model,
            });
        }
        Ok(out)
    }

    async fn served(
        &self,
        client: &Client,
        lineage: &Lineage,
        config: &str,
    ) -> Result<Option<String>, String> {
        if let Some(model) = lock(&self.0).get(config) {
            return Ok(model.clone());
        }
        let d = client
            .describe_endpoint_config()
            .endpoint_config_name(config)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeEndpointConfig", &e))?;
        let model = d
            .production_variants()
            .first()
            .and_then(|v| v.model_name())
            .map(str::to_string);
        if let Some(m) = &model {
            if let Some((_, why)) = lineage.learn(client, std::slice::from_ref(m)).await.pop() {
                return Err(why);
            }
        }
        lock(&self.0).insert(config.to_string(), model.clone());
        Ok(model)
    }
}

/// A config name without its trailing version or timestamp, e.g. "demand-config-v3"
/// and "demand-config-20261101" both give "demand-config".
fn stem(name: &str) -> &str {
    let mut s = name;
    while let Some((head, tail)) = s.rsplit_once(['-', '_']) {
        let tail = tail.strip_prefix('v').unwrap_or(tail);
        if tail.is_empty() || !tail.chars().all(|c| c.is_ascii_digit()) {
            break;
        }
        s = head;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn stems_drop_trailing_versions_and_dates() {
        assert_eq!(stem("demand-config-v3"), "demand-config");
        assert_eq!(stem("demand-config-20261101-1200"), "demand-config");
        assert_eq!(stem("churn_cfg_v12"), "churn_cfg");
        assert_eq!(stem("plain"), "plain");
        assert_eq!(stem("rec-v2-canary"), "rec-v2-canary");
    }
}
