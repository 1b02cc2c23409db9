//! Endpoint configs an endpoint could go back to, newest first: those that served the
//! same package group, found by lineage whatever they are called; the name rule only
//! where lineage cannot tell. Configs never change: each is described once (`configs`).

use std::collections::HashSet;

use aws_sdk_sagemaker::types::{EndpointConfigSortKey, EndpointConfigSummary, OrderKey};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::timestamp;
use super::configs::Configs;
use super::lineage::Lineage;
use crate::aws::errors::describe;
use crate::model::facts::EndpointConfigRef;
use crate::model::identity::JoinedBy;
use crate::source::aws::fan_out::fan_out;
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

/// Older configs looked at per endpoint, newest first. Each is described once and
/// remembered: the bound is a first refresh's cost.
const EXAMINED: usize = 30;

/// `current` and the older configs it could go back to, newest first, each with the
/// model it serves linked to the registry and why it counts: it served an older (or
/// the same) version of the current one's package group — whatever the configs are
/// called (CloudFormation's `EndpointConfig-<random>` included). Only where lineage
/// cannot tell (a model that names no package) does the name rule decide: configs
/// named like the current one. A config another endpoint serves now (`elsewhere`) is
/// that endpoint's, never this one's past.
pub async fn history(
    client: &Client,
    configs: &Configs,
    lineage: &Lineage,
    listed: &[EndpointConfigSummary],
    current: &EndpointConfigRef,
    elsewhere: &HashSet<String>,
) -> Result<Vec<EndpointConfigRef>, String> {
    let family = stem(&current.name);
    let now_serves = current.model.as_deref().and_then(|m| lineage.package_of(m));
    let mut out = vec![current.clone()];
    let older = listed.iter().filter(|c| {
        let name = c.endpoint_config_name().unwrap_or_default();
        let created = c.creation_time().and_then(timestamp);
        name != current.name
            && !elsewhere.contains(name)
            && created.is_some_and(|t| t <= current.created)
    });
    // Without the current version's lineage only names can say: nothing else to
    // describe.
    let candidates: Vec<&EndpointConfigSummary> = older
        .take(EXAMINED)
        .filter(|c| {
            now_serves.is_some() || stem(c.endpoint_config_name().unwrap_or_default()) == family
        })
        .collect();
    // A wave described at once, then read newest first: a region with many other
    // models' configs costs round trips in waves, not one after another.
    for wave in candidates.chunks(WAVE) {
        if out.len() >= HISTORY {
            break;
        }
        let read = fan_out(wave, WAVE, |c| described(client, configs, lineage, c)).await;
        for (name, config) in read {
            if out.len() >= HISTORY {
                break;
            }
            let Some(config) = config else { continue };
            if let Some(entry) = entry(lineage, &now_serves, &current.name, name, config) {
                out.push(entry);
            }
        }
    }
    Ok(out)
}

/// Older configs described at once (per row: rows are built several at once).
const WAVE: usize = 4;

/// A listed config described, with the model it serves linked by lineage; None when
/// it cannot be read (left out of the history, not the endpoint's failure).
async fn described(
    client: &Client,
    configs: &Configs,
    lineage: &Lineage,
    c: &EndpointConfigSummary,
) -> (String, Option<super::configs::Config>) {
    let name = c.endpoint_config_name().unwrap_or_default().to_string();
    // What is known of a config created since is another config of that name.
    let listed_created = c.creation_time().and_then(timestamp);
    let valid_after = listed_created.unwrap_or(Timestamp::UNIX_EPOCH);
    let config = match configs.get(client, &name, valid_after).await {
        Ok(config) => config,
        Err(why) => {
            tracing::warn!("rollback history leaves out {name}: {why}");
            return (name, None);
        }
    };
    if let Some(m) = config.first_model() {
        let served = [(m.to_string(), config.created)];
        if let Some((_, why)) = lineage.learn(client, &served).await.pop() {
            tracing::warn!("what {name} served is unknown: {why}");
        }
    }
    (name, Some(config))
}

/// `name` as a config `current_name`'s endpoint could go back to, with why; None
/// when it is another model's config or a newer version's.
fn entry(
    lineage: &Lineage,
    now_serves: &Option<super::lineage::PackageRef>,
    current_name: &str,
    name: String,
    config: super::configs::Config,
) -> Option<EndpointConfigRef> {
    let same_stem = stem(&name) == stem(current_name);
    let model = config.first_model().map(str::to_string);
    let then_served = model.as_deref().and_then(|m| lineage.package_of(m));
    let evidence = match (now_serves, &then_served) {
        (Some(now), Some(then)) if then.group == now.group && then.version <= now.version => (
            JoinedBy::Lineage,
            format!(
                "served v{} of the same package group {}",
                then.version, then.group
            ),
        ),
        // Another model's config, or a newer one: not this endpoint's past.
        (Some(_), Some(_)) => return None,
        _ if same_stem => (
            JoinedBy::Name,
            format!("named like {current_name} (no package says which version it served)"),
        ),
        _ => return None,
    };
    Some(EndpointConfigRef {
        created: config.created,
        name,
        model_version: then_served.map(|p| p.version),
        model,
        evidence: Some(evidence),
    })
}

/// `history` with what CloudTrail recorded of the endpoint's own deploys (newest
/// first): a config it deployed that lineage did not find joins the history (while
/// there is room), and one found says who deployed it and when.
pub async fn with_deploys(
    client: &Client,
    configs: &Configs,
    lineage: &Lineage,
    mut history: Vec<EndpointConfigRef>,
    deploys: &[crate::model::changes::Change],
) -> Vec<EndpointConfigRef> {
    let Some(current) = history.first().cloned() else {
        return history;
    };
    for (d, config) in deploys
        .iter()
        .filter_map(|d| Some((d, d.deployed.as_deref()?)))
        .filter(|(_, config)| *config != current.name)
    {
        let said = d.deployed_by();
        if let Some(known) = history.iter_mut().find(|c| c.name == config) {
            known.evidence = Some(match known.evidence.take() {
                Some((by, e)) => (by, format!("{e}; {said}")),
                None => (JoinedBy::Lineage, said),
            });
            continue;
        }
        if history.len() >= HISTORY {
            continue;
        }
        // A config deleted since cannot be gone back to: it is left out.
        let name = config;
        let Ok(config) = configs.get(client, name, Timestamp::UNIX_EPOCH).await else {
            continue;
        };
        if config.created > current.created {
            continue;
        }
        let model = config.first_model().map(str::to_string);
        if let Some(m) = &model {
            let _ = lineage.learn(client, &[(m.clone(), config.created)]).await;
        }
        history.push(EndpointConfigRef {
            created: config.created,
            name: name.to_string(),
            model_version: model
                .as_deref()
                .and_then(|m| lineage.package_of(m))
                .map(|p| p.version),
            model,
            // CloudTrail saw it on this endpoint: as exact as lineage.
            evidence: Some((JoinedBy::Lineage, said)),
        });
    }
    let older = history.get_mut(1..).unwrap_or_default();
    older.sort_by_key(|c| std::cmp::Reverse(c.created));
    history
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
