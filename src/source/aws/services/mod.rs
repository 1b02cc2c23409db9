//! What serves, feeds and retrains models outside SageMaker: ECS services behind
//! load balancers (ENDPOINT), scheduled Lambda ETL functions with their dead-letter
//! queues (DATA) and Step Functions state machines (TRAIN). A resource joins a model
//! when `[[models]]` names it or a tag (`model=<name>`, `[identity] tag_keys`) says so;
//! untagged, unnamed resources are left alone: most services are not models.

pub mod ecs;
mod ecs_facts;
pub mod ecs_look;
pub mod lambda;
mod lambda_facts;
mod schedules;
pub mod stepfunctions;

use std::future::Future;
use std::time::{Duration, Instant};

use super::fan_out::{lock, DEFAULT_IN_FLIGHT};
use crate::aws::errors::AwsError;
use crate::config::ModelMapping;
use crate::model::facts::{ModelFacts, StaleFacts};
use crate::model::stages::Stage;
pub use crate::source::owner::{row_of, Owner};
use crate::source::SourceId;

/// Listings (clusters, services, functions, state machines and their tags) change
/// rarely: read again this often, and on the user's refresh.
pub const LIST_EVERY: Duration = Duration::from_secs(600);

/// A listing for tag discovery. A role that may not list (most roles of teams
/// without ECS, Lambda or Step Functions) finds nothing there instead of failing the
/// source for good: said once in the log, since nothing in config asks for it.
pub fn discovered<T>(listed: Result<Vec<T>, AwsError>, what: &str) -> Result<Vec<T>, String> {
    match listed {
        Err(why) if why.is_denied() => {
            tracing::warn!("{what} not looked at for tagged models: {why}");
            Ok(Vec::new())
        }
        other => Ok(other?),
    }
}

/// How a source finds the resources that belong to models, and how many requests
/// it makes at once.
#[derive(Debug, Clone)]
pub struct Joining {
    /// `[[models]]`, which name resources explicitly.
    pub mappings: Vec<ModelMapping>,
    /// Tag keys whose value names a model (`[identity] tag_keys`).
    pub tag_keys: Vec<String>,
    /// Whether resources no config names are listed to find tagged ones.
    pub discover: bool,
    pub in_flight: usize,
}

impl Default for Joining {
    fn default() -> Joining {
        Joining {
            mappings: Vec::new(),
            tag_keys: Vec::new(),
            discover: true,
            in_flight: DEFAULT_IN_FLIGHT,
        }
    }
}

/// A resource config names that cannot be read: its model's row says why.
#[derive(Debug, Clone)]
pub struct Missing {
    pub owner: Owner,
    /// "Lambda ETL sales-etl".
    pub what: String,
    pub why: String,
}

/// The rows of the models whose configured resources cannot be read, marked.
pub fn mark_missing(
    rows: &mut Vec<ModelFacts>,
    missing: &[Missing],
    source: SourceId,
    stage: Stage,
) {
    for m in missing {
        let row = row_of(rows, &m.owner, m.what.clone());
        row.stale
            .push(StaleFacts::new(source, &[stage], m.why.clone(), None));
    }
}

/// Resource tags by ARN, asked once per resource: a resource's tags rarely change,
/// and an account may hold hundreds of functions and machines.
#[derive(Debug, Default)]
pub struct Tags(std::sync::Mutex<std::collections::HashMap<String, Vec<(String, String)>>>);

/// A resource's tags as (key, value) pairs.
pub type TagList = Vec<(String, String)>;

impl Tags {
    /// The tags of `arn`, from what `ask` answers the first time.
    pub async fn of(
        &self,
        arn: &str,
        ask: impl Future<Output = Result<TagList, String>>,
    ) -> Result<TagList, String> {
        if let Some(known) = lock(&self.0).get(arn) {
            return Ok(known.clone());
        }
        let tags = ask.await?;
        lock(&self.0).insert(arn.to_string(), tags.clone());
        Ok(tags)
    }
}

/// A listing kept until it is `LIST_EVERY` old or the user asks for a refresh.
#[derive(Debug)]
pub struct Listing<T> {
    value: std::sync::Mutex<Option<(Instant, T)>>,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing {
            value: std::sync::Mutex::new(None),
        }
    }
}

impl<T: Clone> Listing<T> {
    /// The kept listing while it is fresh, else what `list` lists (then kept).
    pub async fn or_list(
        &self,
        list: impl Future<Output = Result<T, String>>,
    ) -> Result<T, String> {
        if let Some((at, value)) = lock(&self.value).as_ref() {
            if at.elapsed() < LIST_EVERY {
                return Ok(value.clone());
            }
        }
        let value = list.await?;
        *lock(&self.value) = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_the_role_may_not_make_finds_nothing_and_other_failures_stand() {
        let denied = crate::aws::errors::classify("ecs:ListClusters", Some("AccessDenied"), None);
        assert_eq!(discovered::<u8>(Err(denied), "ECS"), Ok(Vec::new()));
        let throttled =
            crate::aws::errors::classify("ecs:ListClusters", Some("ThrottlingException"), None);
        assert_eq!(
            discovered::<u8>(Err(throttled), "ECS"),
            Err("throttled by AWS on ecs:ListClusters; backing off".to_string())
        );
        assert_eq!(discovered(Ok(vec![1u8]), "ECS"), Ok(vec![1]));
    }

    #[test]
    fn the_first_configured_tag_key_with_a_value_names_the_model() {
        let keys = ["model".to_string(), "mlopsdash:model".to_string()];
        let tags = [("team", "ml"), ("mlopsdash:model", "churn"), ("model", " ")];
        let owner = Owner::tagged(tags.iter().copied(), &keys).unwrap();
        assert_eq!(owner.model, "churn");
        assert_eq!(owner.evidence, "tag mlopsdash:model=churn");
        assert_eq!(Owner::tagged([("team", "ml")].iter().copied(), &keys), None);
        let terraform = [("Model", "churn")];
        let owner = Owner::tagged(terraform.iter().copied(), &keys).unwrap();
        assert_eq!(owner.evidence, "tag Model=churn");
    }

    #[test]
    fn rows_are_found_or_added_and_say_how_each_piece_joined() {
        let mut rows = Vec::new();
        let owner = Owner::config("churn", "ecs_service", "ml/upsell-api");
        row_of(&mut rows, &owner, "ECS service ml/upsell-api".into());
        row_of(&mut rows, &owner, "Lambda churn-etl".into());
        assert_eq!(rows.len(), 1);
        let identity = rows[0].identity.as_ref().unwrap();
        assert_eq!(identity.pieces.len(), 2);
        assert_eq!(
            identity.evidence,
            "[[models]] ecs_service = \"ml/upsell-api\""
        );
    }
}
