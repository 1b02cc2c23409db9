//! What the user did to the simulated fleet: the demo executor records actions here
//! and the simulator reads them, so a rollback really changes what the endpoint serves.

use jiff::{SignedDuration, Timestamp};

use crate::model::facts::Approval;

/// How long a simulated endpoint stays Updating after UpdateEndpoint (or a weights
/// update).
pub const UPDATE_SECS: i64 = 8;

/// When an endpoint update asked for at `at` lands.
fn landed(at: Timestamp) -> Timestamp {
    at + SignedDuration::from_secs(UPDATE_SECS)
}

/// A deploy asked for at `at`: the endpoint serves `version` once the update is done.
#[derive(Debug, Clone, PartialEq)]
pub struct Deploy {
    pub model: String,
    pub version: u32,
    pub at: Timestamp,
}

impl Deploy {
    pub fn done(&self) -> Timestamp {
        landed(self.at)
    }
}

/// Traffic shifted between an endpoint's variants at `at` (UpdateEndpointWeights...).
#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub model: String,
    pub weights: Vec<(String, f32)>,
    pub at: Timestamp,
}

impl Shift {
    pub fn done(&self) -> Timestamp {
        landed(self.at)
    }
}

/// A retrain (pipeline execution) the user started.
#[derive(Debug, Clone, PartialEq)]
pub struct Retrain {
    pub model: String,
    pub name: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DemoActions {
    pub deploys: Vec<Deploy>,
    pub shifts: Vec<Shift>,
    pub retrains: Vec<Retrain>,
    /// (model, version, decision), oldest first.
    pub approvals: Vec<(String, u32, Approval)>,
    /// Runs stopped: (run name, when).
    pub stops: Vec<(String, Timestamp)>,
}

impl DemoActions {
    /// The newest deploy of `model` asked for by `at`.
    pub fn last_deploy(&self, model: &str, at: Timestamp) -> Option<&Deploy> {
        self.deploys
            .iter()
            .filter(|d| d.model == model && d.at <= at)
            .max_by_key(|d| d.at)
    }

    /// The newest finished deploy of `model` by `at`.
    pub fn deployed(&self, model: &str, at: Timestamp) -> Option<&Deploy> {
        self.deploys
            .iter()
            .filter(|d| d.model == model && d.done() <= at)
            .max_by_key(|d| d.at)
    }

    /// The newest traffic shift of `model` asked for by `at`.
    pub fn last_shift(&self, model: &str, at: Timestamp) -> Option<&Shift> {
        self.shifts
            .iter()
            .filter(|s| s.model == model && s.at <= at)
            .max_by_key(|s| s.at)
    }

    pub fn stopped(&self, run: &str, at: Timestamp) -> Option<Timestamp> {
        self.stops
            .iter()
            .find(|(name, when)| name == run && *when <= at)
            .map(|(_, when)| *when)
    }

    pub fn approval(&self, model: &str, version: u32) -> Option<Approval> {
        self.approvals
            .iter()
            .rev()
            .find(|(m, v, _)| m == model && *v == version)
            .map(|(_, _, a)| *a)
    }
}
