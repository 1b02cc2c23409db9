//! What reaches the app: the facts a source gathered (or why it could not), who the
//! dashboard acts as, API counts, and the plans and steps of actions. The neutral
//! type that sources, executors and the app all speak. Pure data.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::action::{Kind, Prepared, Progress};
use super::facts::Fleet;
use super::stage::Stage;

pub use super::source_id::SourceId;

/// What a source reports.
#[derive(Debug, Clone)]
pub enum Update {
    Fleet {
        source: SourceId,
        fleet: Fleet,
        at: Timestamp,
    },
    Failed {
        source: SourceId,
        why: String,
        at: Timestamp,
    },
    /// A first answer in part: the rows and what is known of them so far, while the
    /// `pending` stages are still being asked for (drawn as loading, not as none).
    Partial {
        source: SourceId,
        fleet: Fleet,
        at: Timestamp,
        pending: Vec<Stage>,
    },
    /// What a source gathered in a past session (kept on disk), drawn until its first
    /// answer in this one: marked with its age, never as fresh.
    Remembered {
        source: SourceId,
        fleet: Fleet,
        at: Timestamp,
    },
    /// Who the dashboard is talking to AWS as: the account id, or why it is not known.
    Identity(Result<Caller, String>),
    /// AWS requests made so far this session, keyed "Service:Operation".
    ApiCalls(BTreeMap<String, u64>),
    /// The choices an action key offers, planned down to the call, or why there are none.
    Planned {
        kind: Kind,
        model: String,
        plans: Result<Prepared, String>,
    },
    /// A step of a running action.
    Action(Progress),
    /// An audit line could not be written: no action may go ahead unlogged.
    AuditFailed(String),
    /// The fleet as recorded at a past moment (the moment, the fleet), or why there
    /// is none.
    Recalled(Result<(Timestamp, Fleet), String>),
    /// Where an incident report was written, or why it could not be.
    Exported(Result<String, String>),
    /// The newest state a collector wrote to S3 (a viewer's only facts), or why it
    /// could not be read.
    Collected(Result<Box<super::collected::Collected>, String>),
    /// The collector's pointer has not moved since the state on screen (a 304).
    CollectedUnchanged,
    /// An update from the sources of one account and region (the `scope`-th).
    Scoped {
        scope: super::scope::ScopeIx,
        update: Box<Update>,
    },
    /// An update from a viewer's own look at one account and region, named by its
    /// label and region: a collector's next state may number its scopes otherwise.
    Keyed {
        scope: super::scope::ScopeKey,
        update: Box<Update>,
    },
}

impl Update {
    /// A source's answer in a few words, for the log.
    pub fn summary(&self) -> String {
        match self {
            Update::Fleet { fleet, .. } => format!("{} models", fleet.models.len()),
            Update::Partial { fleet, .. } => format!("{} models, in part", fleet.models.len()),
            Update::Failed { why, .. } => format!("failed: {why}"),
            _ => "other".to_string(),
        }
    }
}

/// Who the dashboard acts as, from STS GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub arn: String,
}
