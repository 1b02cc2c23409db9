//! The six stages of a model's pipeline, as the pipeline view's columns name them:
//! a leaf that facts, updates and the stage judges all name.

use serde::{Deserialize, Serialize};

/// The stages of a model's life, left to right as the pipeline view shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Data,
    Training,
    Registry,
    Endpoint,
    Drift,
    Quality,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Data,
        Stage::Training,
        Stage::Registry,
        Stage::Endpoint,
        Stage::Drift,
        Stage::Quality,
    ];

    /// For the narrow one-line strip of the detail view.
    pub fn short_title(self) -> &'static str {
        match self {
            Stage::Registry => "REG",
            Stage::Endpoint => "EP",
            Stage::Quality => "QUAL",
            other => other.title(),
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Stage::Data => "DATA",
            Stage::Training => "TRAIN",
            Stage::Registry => "REGISTRY",
            Stage::Endpoint => "ENDPOINT",
            Stage::Drift => "DRIFT",
            Stage::Quality => "QUALITY",
        }
    }
}
