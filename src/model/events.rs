//! State changes worth telling the user about, found by comparing two assessments.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::health::Health;
use super::stages::{ModelHealth, Stage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    pub model: String,
    /// `None` for events about the model as a whole (appeared, disappeared).
    pub stage: Option<Stage>,
    pub from: Health,
    pub to: Health,
    pub detail: String,
    /// Set for an action's step ("rollback confirmed"): not a health change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl Event {
    /// A step of an action the user took, with what it did or found.
    pub fn action(
        at: Timestamp,
        model: &str,
        what: String,
        detail: String,
        health: Health,
    ) -> Event {
        Event {
            at,
            model: model.to_string(),
            stage: None,
            from: health,
            to: health,
            detail,
            action: Some(what),
        }
    }
}

/// The stage health changes between `before` and `after` for one model.
/// A model seen for the first time yields no events: its state did not change.
pub fn changes(
    model: &str,
    before: Option<&ModelHealth>,
    after: &ModelHealth,
    at: Timestamp,
) -> Vec<Event> {
    let Some(before) = before else {
        return Vec::new();
    };
    Stage::ALL
        .iter()
        .filter_map(|&stage| {
            let (old, new) = (before.stage(stage), after.stage(stage));
            (old.health != new.health).then(|| Event {
                at,
                model: model.to_string(),
                stage: Some(stage),
                from: old.health,
                to: new.health,
                detail: new.summary.clone(),
                action: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::stages::StageStatus;

    fn health(quality: Health) -> ModelHealth {
        let stages = Stage::ALL.map(|s| match s {
            Stage::Quality => StageStatus {
                health: quality,
                summary: "MAPE 18.2%".into(),
                brief: "18.2%".into(),
                in_progress: false,
            },
            _ => StageStatus {
                health: Health::Ok,
                summary: "ok".into(),
                brief: "ok".into(),
                in_progress: false,
            },
        });
        ModelHealth {
            overall: quality,
            stages,
        }
    }

    #[test]
    fn a_changed_stage_yields_one_event() {
        let at = Timestamp::from_second(100).unwrap();
        let ev = changes("m", Some(&health(Health::Ok)), &health(Health::Crit), at);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].stage, Some(Stage::Quality));
        assert_eq!((ev[0].from, ev[0].to), (Health::Ok, Health::Crit));
        assert_eq!(ev[0].detail, "MAPE 18.2%");
    }

    #[test]
    fn no_change_and_first_sight_yield_nothing() {
        let at = Timestamp::from_second(100).unwrap();
        assert!(changes("m", Some(&health(Health::Ok)), &health(Health::Ok), at).is_empty());
        assert!(changes("m", None, &health(Health::Crit), at).is_empty());
    }
}
