//! Endpoint configs an endpoint could go back to: the region's configs named like its
//! current one, newest first. Configs never change: each is described once (`configs`).

use aws_sdk_sagemaker::types::{EndpointConfigSortKey, EndpointConfigSummary, OrderKey};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::timestamp;
use super::configs::Configs;
use super::lineage::Lineage;
use crate::aws::errors::describe;
use crate::model::facts::EndpointConfigRef;
use crate::source::pages::Pages;

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
    let mut bound = Pages::new("sagemaker:ListEndpointConfigs", 2 * RECENT_CONFIGS / 100);
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe("sagemaker:ListEndpointConfigs", &e))?;
        configs.extend(page.endpoint_configs().iter().cloned());
        if configs.len() >= RECENT_CONFIGS {
            break;
        }
    }
    Ok(configs)
}

/// `current` and the configs created before it that share its stem, newest first,
/// each with the model it serves linked to the registry.
pub async fn history(
    client: &Client,
    configs: &Configs,
    lineage: &Lineage,
    listed: &[EndpointConfigSummary],
    current: &EndpointConfigRef,
) -> Result<Vec<EndpointConfigRef>, String> {
    let family = stem(&current.name);
    let mut out = vec![current.clone()];
    let older = listed.iter().filter(|c| {
        let name = c.endpoint_config_name().unwrap_or_default();
        let created = c.creation_time().and_then(timestamp);
        name != current.name
            && stem(name) == family
            && created.is_some_and(|t| t <= current.created)
    });
    for c in older.take(HISTORY - 1) {
        let name = c.endpoint_config_name().unwrap_or_default().to_string();
        // What is known of a config created since is another config of that name.
        let listed_created = c.creation_time().and_then(timestamp);
        let valid_after = listed_created.unwrap_or(Timestamp::UNIX_EPOCH);
        let config = configs.get(client, &name, valid_after).await?;
        let model = config.first_model().map(str::to_string);
        if let Some(m) = &model {
            let served = [(m.clone(), config.created)];
            if let Some((_, why)) = lineage.learn(client, &served).await.pop() {
                return Err(why);
            }
        }
        out.push(EndpointConfigRef {
            created: config.created,
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
