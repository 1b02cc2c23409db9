//! The endpoint, its variants and config history, and the deploys that change them.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::{Incident, Profile};
use super::*;
use crate::model::facts::*;

impl Simulator {
    pub(super) fn endpoint(&self, p: &Profile, name: String, now: Timestamp) -> EndpointFacts {
        let deployed = self.deployed_version(p, now);
        let bad_deploy = self.incident_start(&p.name, Incident::LatencySpike);
        let config_history: Vec<EndpointConfigRef> = (1..=deployed)
            .rev()
            .take(3)
            .map(|v| EndpointConfigRef {
                name: config_name(&name, v),
                created: match bad_deploy {
                    Some(at) if v == p.latest_version && v > p.deployed_version => at,
                    _ => self.registered(p, v, now) + SignedDuration::from_hours(1),
                },
                model: Some(format!("{}-model-v{v}", p.name)),
                model_version: Some(v),
                // What the source's lineage would say of the demo's own group.
                evidence: Some((
                    crate::model::identity::JoinedBy::Lineage,
                    format!("served v{v} of the same package group {}-group", p.name),
                )),
            })
            .collect();
        let (updating, shifted) = self.acts(|a| {
            let deploying = a.last_deploy(&p.name, now).is_some_and(|d| now < d.done());
            let shift = a.last_shift(&p.name, now);
            let shifting = shift.is_some_and(|s| now < s.done());
            let landed = shift.filter(|s| now >= s.done()).map(|s| s.weights.clone());
            (deploying || shifting, landed)
        });
        EndpointFacts {
            ecs: None,
            k8s: None,
            config_name: config_name(&name, deployed),
            name,
            status: if updating { "Updating" } else { "InService" }.into(),
            failure_reason: None,
            variants: self.variants(p, deployed, shifted),
            config_history,
            protected: p.protected.then(|| "tagged env=prod".to_string()),
            artifact: None,
        }
    }

    /// One variant serving the deployed version; a canary profile adds the newest
    /// version beside it at 10%, until the user shifts the weights.
    pub(super) fn variants(
        &self,
        p: &Profile,
        deployed: u32,
        shifted: Option<Vec<(String, f32)>>,
    ) -> Vec<Variant> {
        if !p.canary {
            return vec![Variant {
                name: "AllTraffic".into(),
                weight: 1.0,
                instances: p.instances,
                model_version: Some(deployed),
            }];
        }
        let weight = |name: &str, default: f64| {
            shifted
                .as_ref()
                .and_then(|w| w.iter().find(|(n, _)| n == name))
                .map_or(default, |(_, w)| f64::from(*w))
        };
        vec![
            Variant {
                name: "stable".into(),
                weight: weight("stable", 0.9),
                instances: p.instances,
                model_version: Some(deployed),
            },
            Variant {
                name: "canary".into(),
                weight: weight("canary", 0.1),
                instances: 1,
                model_version: Some(p.latest_version),
            },
        ]
    }
}
