//! The fleet as a collector gathered it: what each source of each account and
//! region last reported, the events it saw, and who wrote it and when. `collect`
//! writes it to S3 and a viewer draws it instead of asking AWS. Pure data.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::events::Event;
use super::facts::Fleet;
use super::loadable::Loadable;
use super::scope::{Feed, Scope, ScopeIx};
use super::source_id::SourceId;

/// One state of the fleet as the collector had it when it wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collected {
    pub written_at: Timestamp,
    pub collector: Collector,
    /// Every account × region the collector watches, in its config's order.
    #[serde(default)]
    pub scopes: Vec<Scope>,
    /// How often each of its sources asks, in seconds.
    #[serde(default)]
    pub intervals: BTreeMap<SourceId, u64>,
    /// What each source of each scope last reported, or why it could not.
    #[serde(default)]
    pub feeds: Vec<FeedState>,
    /// The collector's recent events, newest first: a viewer opened later has them.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// Who wrote the state, from where, how often, and what failed for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Collector {
    /// The mlopsdash version that wrote it.
    #[serde(default)]
    pub version: String,
    /// The first scope's region and account (a demo collector: none).
    pub region: Option<String>,
    pub account: Option<String>,
    /// A demo collector's seed.
    #[serde(default)]
    pub demo_seed: Option<u64>,
    /// How often it writes a state, in seconds.
    pub every_seconds: u64,
    /// Its problem lines when it wrote, as its own dashboard would show them.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// One source's answer in one scope, as the collector's app held it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedState {
    pub source: SourceId,
    #[serde(default)]
    pub scope: ScopeIx,
    /// When its facts were gathered (none when it never answered).
    pub at: Option<Timestamp>,
    /// Why its last refresh failed (its facts, if any, are then stale).
    #[serde(default)]
    pub why: Option<String>,
    pub fleet: Option<Fleet>,
}

impl FeedState {
    /// A source's state as the collector's app kept it; none while it loads.
    pub fn of(feed: Feed, state: &Loadable<Fleet>) -> Option<FeedState> {
        let (at, why, fleet) = match state {
            Loadable::Loading => return None,
            Loadable::Ready { data, at } => (Some(*at), None, Some(data.clone())),
            Loadable::Stale { data, at, why } => (Some(*at), Some(why.clone()), Some(data.clone())),
            Loadable::Failed { why } => (None, Some(why.clone()), None),
        };
        Some(FeedState {
            source: feed.source,
            scope: feed.scope,
            at,
            why,
            fleet,
        })
    }

    pub fn feed(&self) -> Feed {
        Feed::new(self.source, self.scope)
    }

    /// The state back as the app keeps it: facts without a time are dropped, and a
    /// state with neither facts nor a reason says it has none.
    pub fn loadable(&self) -> Loadable<Fleet> {
        match (&self.fleet, self.at, &self.why) {
            (Some(data), Some(at), None) => Loadable::Ready {
                data: data.clone(),
                at,
            },
            (Some(data), Some(at), Some(why)) => Loadable::Stale {
                data: data.clone(),
                at,
                why: why.clone(),
            },
            (_, _, Some(why)) => Loadable::Failed { why: why.clone() },
            _ => Loadable::Failed {
                why: "the collector's state has no facts for it".into(),
            },
        }
    }
}

/// What a viewer knows of the collector it reads: its last state's writer, and why
/// the newest state could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollectorView {
    /// Where the states are read from (s3://bucket/prefix/).
    pub location: String,
    pub written_at: Option<Timestamp>,
    pub collector: Collector,
    pub problem: Option<String>,
}

impl CollectorView {
    /// Past this age the collector is taken to have stopped: three of its writes, and
    /// never less than three minutes (a write can wait for a slow refresh).
    pub fn stale_after(&self) -> i64 {
        let every = i64::try_from(self.collector.every_seconds).unwrap_or(i64::MAX / 3);
        every.saturating_mul(3).max(180)
    }
}
