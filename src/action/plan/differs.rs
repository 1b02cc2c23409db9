//! What the screen showed against what a fresh read found: the one line a dialog
//! says when they differ, so a user acting on a collector's state, the last
//! session's facts or a row a minute old sees that the choices come from AWS now.

use crate::action::Shown;
use crate::model::facts::ModelFacts;

/// How `shown` differs from `fresh` in what actions rest on, in one line; None when
/// it does not.
pub fn differences(by: Shown, shown: &ModelFacts, fresh: &ModelFacts) -> Option<String> {
    let mut said: Vec<String> = Vec::new();
    if let (Some(a), Some(b)) = (&shown.endpoint, &fresh.endpoint) {
        match (&a.ecs, &b.ecs) {
            (Some(x), Some(y)) => {
                if x.task_definition != y.task_definition {
                    said.push(format!(
                        "it serves {} (shown: {})",
                        y.task_definition, x.task_definition
                    ));
                }
                if x.previous != y.previous {
                    said.push(format!(
                        "the revision before it is {} (shown: {})",
                        y.previous.as_deref().unwrap_or("none"),
                        x.previous.as_deref().unwrap_or("none")
                    ));
                }
            }
            _ => {
                if a.config_name != b.config_name && !a.config_name.is_empty() {
                    said.push(format!(
                        "{} serves {} (shown: {})",
                        b.name, b.config_name, a.config_name
                    ));
                }
                if a.status != b.status {
                    said.push(format!("{} is {} (shown: {})", b.name, b.status, a.status));
                }
                for c in &a.config_history {
                    if !b.config_history.iter().any(|f| f.name == c.name) {
                        said.push(format!("{} is not among {}'s configs", c.name, b.name));
                    }
                }
                for v in &b.variants {
                    let was = a.variants.iter().find(|s| s.name == v.name);
                    if was.is_some_and(|s| (s.weight - v.weight).abs() > 1e-3) {
                        said.push(format!("variant {} weighs {:.2}", v.name, v.weight));
                    }
                }
            }
        }
    }
    for v in &shown.registry {
        match fresh.registry.iter().find(|f| f.version == v.version) {
            Some(f) if f.approval != v.approval => said.push(format!(
                "v{} is {} (shown: {})",
                v.version,
                f.approval.label(),
                v.approval.label()
            )),
            Some(_) => {}
            None if !fresh.registry.is_empty() => {
                said.push(format!("v{} is not in the registry", v.version))
            }
            None => {}
        }
    }
    for r in &shown.training {
        if let Some(f) = fresh.training.iter().find(|f| f.name == r.name) {
            if f.status != r.status {
                said.push(format!(
                    "{} is {} (shown: {})",
                    r.name,
                    f.status.label(),
                    r.status.label()
                ));
            }
        }
    }
    let first = said.first()?;
    let more = match said.len() - 1 {
        0 => String::new(),
        n => format!(" (+{n} more)"),
    };
    Some(format!(
        "{} differs from AWS now: {first}{more}; the choices are AWS's",
        by.said_by()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{EndpointConfigRef, EndpointFacts};

    fn endpoint(config: &str, history: &[&str]) -> ModelFacts {
        let mut m = ModelFacts::named("rec");
        m.endpoint = Some(EndpointFacts {
            name: "rec-prod".into(),
            status: "InService".into(),
            config_name: config.into(),
            config_history: history
                .iter()
                .map(|n| EndpointConfigRef {
                    name: n.to_string(),
                    created: jiff::Timestamp::UNIX_EPOCH,
                    model: None,
                    model_version: None,
                    evidence: None,
                })
                .collect(),
            ..EndpointFacts::default()
        });
        m
    }

    #[test]
    fn a_planted_config_is_said_and_the_same_facts_say_nothing() {
        let fresh = endpoint("rec-v7", &["rec-v7", "rec-v6"]);
        let planted = endpoint("rec-v9", &["rec-v9", "rec-v7", "rec-v6"]);
        let line = differences(Shown::Collector, &planted, &fresh).unwrap();
        assert_eq!(
            line,
            "the collector's state differs from AWS now: rec-prod serves rec-v7 (shown: \
             rec-v9) (+1 more); the choices are AWS's"
        );
        assert_eq!(differences(Shown::Live, &fresh, &fresh), None);
    }
}
