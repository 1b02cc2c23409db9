//! One endpoint read afresh, for an action about to be planned on it: described,
//! its variants' models linked to their package versions, its older configs found by
//! this read's own listing, the versions of its package group listed. Nothing comes
//! from the source's caches or from what a screen showed: what an action targets is
//! what AWS answers now, to the credentials that will act.

use std::collections::HashSet;

use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::configs::Configs;
use super::endpoint::describe_endpoint;
use super::lineage::Lineage;
use super::registry::Versions;
use super::served::Served;
use super::{history, DEFAULT_IN_FLIGHT};
use crate::model::changes::Change;
use crate::model::facts::{EndpointFacts, ModelVersion};
use crate::model::identity::Normaliser;
use crate::source::aws::changes::trail;

/// What one fresh read of an endpoint found.
#[derive(Debug, Clone)]
pub struct Look {
    /// Status, variants (weights now, each one's package version), the config
    /// serving and the older ones it could go back to, with their versions. Its
    /// protection is the guard's to decide.
    pub endpoint: EndpointFacts,
    /// The endpoint's ARN: the account it is in.
    pub arn: Option<String>,
    /// Its tags as read now, or why they could not be.
    pub tags: Result<Vec<(String, String)>, String>,
    /// The package group of what its first variant serves, and its versions now
    /// (every one a variant serves marked deployed).
    pub group: Option<String>,
    pub registry: Vec<ModelVersion>,
}

/// The configs CloudTrail says `endpoint` was given (UpdateEndpoint, CreateEndpoint),
/// newest first: one page of its recent events. Optional evidence: a trail that
/// cannot be read (no cloudtrail:LookupEvents) leaves the lineage's history alone.
async fn deploys_of(trail: &aws_sdk_cloudtrail::Client, endpoint: &str) -> Vec<Change> {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let Ok(attribute) = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ResourceName)
        .attribute_value(endpoint)
        .build()
    else {
        return Vec::new();
    };
    let answer = trail
        .lookup_events()
        .lookup_attributes(attribute)
        .max_results(50)
        .send()
        .await;
    match answer {
        Ok(page) => page
            .events()
            .iter()
            .filter_map(|e| {
                let time = Timestamp::from_second(e.event_time()?.secs()).ok()?;
                trail::change_of(e.event_name()?, time, e.cloud_trail_event()?)
            })
            .filter(|c| c.resource == endpoint && c.deployed.is_some())
            .collect(),
        Err(e) => {
            let why = crate::aws::errors::describe("cloudtrail:LookupEvents", &e);
            tracing::info!("{endpoint}'s deploys not read from CloudTrail: {why}");
            Vec::new()
        }
    }
}

/// Reads `name` afresh (see the module's doc); with `trail`, its deploys as
/// CloudTrail recorded them join its history.
pub async fn look(
    client: &Client,
    trail: Option<&aws_sdk_cloudtrail::Client>,
    name: &str,
) -> Result<Look, String> {
    let configs = Configs::default();
    let described = describe_endpoint(client, &configs, name).await?;
    let mut lineage = Lineage::new(DEFAULT_IN_FLIGHT);
    let now = Timestamp::now();
    let served: Vec<(String, Timestamp)> =
        described.models().map(|m| (m.to_string(), now)).collect();
    if let Some((model, why)) = lineage.learn(client, &served).await.pop() {
        return Err(format!("model {model}: {why}"));
    }
    let versions = Versions::default();
    let names: Vec<String> = served.into_iter().map(|(m, _)| m).collect();
    // Models that name only their artifact are matched in the registry; a failure
    // leaves their versions unknown, which the dialog says.
    if let Err(why) = lineage
        .index_if_needed(client, &names, &versions, (&Normaliser::default(), None))
        .await
    {
        tracing::warn!("registry not indexed for {name}'s look: {why}");
    }
    let mut endpoint = described.endpoint.clone();
    let served = Served::of(Some(&described), &lineage);
    served.mark(&mut endpoint);
    endpoint.artifact = described.first_model().and_then(|m| lineage.artifact_of(m));
    if let Some(current) = endpoint.config_history.first().cloned() {
        let listed = history::recent_configs(client).await?;
        let found = history::history(
            client,
            &configs,
            &lineage,
            &listed,
            &current,
            &HashSet::new(),
        )
        .await?;
        let deploys = match trail {
            Some(trail) => deploys_of(trail, name).await,
            None => Vec::new(),
        };
        endpoint.config_history =
            history::with_deploys(client, &configs, &lineage, found, &deploys).await;
    }
    let group = served.first().map(|p| p.group.clone());
    let registry = match &group {
        Some(g) => versions.of_group(client, g, &served.deployed()).await?,
        None => Vec::new(),
    };
    Ok(Look {
        endpoint,
        arn: described.arn.clone(),
        tags: described.tags.clone(),
        group,
        registry,
    })
}

/// An endpoint's tags as they are now, and its ARN: what protection by tag and the
/// account check of an action that does not change the endpoint itself rest on.
pub async fn tags_of(
    client: &Client,
    name: &str,
) -> Result<(Result<Vec<(String, String)>, String>, Option<String>), String> {
    let d = client
        .describe_endpoint()
        .endpoint_name(name)
        .send()
        .await
        .map_err(|e| crate::aws::errors::describe("sagemaker:DescribeEndpoint", &e))?;
    let arn = d.endpoint_arn().map(str::to_string);
    let tags = match &arn {
        Some(arn) => super::endpoint::tags(client, arn).await,
        None => Err(format!("{name} has no ARN to read its tags by")),
    };
    Ok((tags, arn))
}

/// A package group's versions now, for approvals where the model has no endpoint
/// to read them through.
pub async fn versions_of(client: &Client, group: &str) -> Result<Vec<ModelVersion>, String> {
    Versions::default()
        .of_group(client, group, &HashSet::new())
        .await
}
