//! What the demo's CloudTrail records: the scripted bad deploys, by the CI role
//! that made them, told the way `source::aws::changes` reads AWS's events.

use jiff::Timestamp;

use super::super::profiles::Incident;
use super::*;
use crate::model::changes::{Change, ChangeKind, ChangeSource};

/// The role the demo's CI deploys with.
pub const DEPLOYER: &str = "ci-deploy-role";

impl Simulator {
    pub(super) fn recorded_changes(&self, profiles: &[Profile], now: Timestamp) -> Vec<Change> {
        profiles
            .iter()
            .filter_map(|p| {
                let at = self.incident_start(&p.name, Incident::LatencySpike)?;
                (at <= now).then(|| deploy(p, at))
            })
            .collect()
    }
}

fn deploy(p: &Profile, at: Timestamp) -> Change {
    let (resource, what, deployed) = match p.on_ecs {
        true => {
            let td = format!("{}:{}", p.name, p.latest_version);
            (
                format!("{}/{}", services::CLUSTER, p.name),
                format!(
                    "UpdateService {}/{} (task definition {td})",
                    services::CLUSTER,
                    p.name
                ),
                td,
            )
        }
        false => {
            let endpoint = format!("{}-prod", p.name);
            let config = config_name(&endpoint, p.latest_version);
            (
                endpoint.clone(),
                format!("UpdateEndpoint {endpoint} (config {config})"),
                config,
            )
        }
    };
    Change::new(at, &resource, ChangeKind::Deploy, what)
        .by(Some(DEPLOYER.to_string()))
        .from(ChangeSource::Cloudtrail)
        .deploying(Some(deployed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bad_deploys_are_recorded_once_they_happen() {
        let started = Timestamp::from_second(1_800_000_000).unwrap();
        let sim = Simulator::new(1, started, 6);
        let fleet = super::super::super::profiles::fleet(6);
        assert!(sim.recorded_changes(&fleet, started).is_empty());
        let later = started + jiff::SignedDuration::from_secs(60);
        let c = sim.recorded_changes(&fleet, later);
        let whats: Vec<&str> = c.iter().map(|c| c.what.as_str()).collect();
        assert!(whats.iter().any(|w| w.starts_with(
            "UpdateEndpoint recommendation-engine-prod (config recommendation-engine-prod-"
        )));
        assert!(whats.contains(&"UpdateService web-prod/upsell-api (task definition upsell-api:8)"));
        assert!(c.iter().all(|c| c.who.as_deref() == Some(DEPLOYER)));
    }
}
