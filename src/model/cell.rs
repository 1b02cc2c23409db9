//! One cell of the pipeline view: a stage's health and the fact it shows. A leaf
//! every stage judge builds, so the judges and the stages that call them stay apart.

use serde::{Deserialize, Serialize};

use super::health::Health;

/// One cell of the pipeline view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageStatus {
    pub health: Health,
    pub summary: String,
    /// The same fact in at most 7 columns, for narrow terminals.
    pub brief: String,
    /// Something is under way (a running job, a pending approval, an updating endpoint).
    pub in_progress: bool,
}

impl StageStatus {
    pub(crate) fn new(health: Health, summary: impl Into<String>) -> StageStatus {
        let summary = summary.into();
        StageStatus {
            health,
            brief: summary.clone(),
            summary,
            in_progress: false,
        }
    }

    pub(crate) fn brief(mut self, brief: impl Into<String>) -> StageStatus {
        self.brief = brief.into();
        self
    }

    pub(crate) fn busy(mut self) -> StageStatus {
        self.in_progress = true;
        self
    }

    pub(crate) fn unknown() -> StageStatus {
        StageStatus::new(Health::Unknown, "—")
    }
}
