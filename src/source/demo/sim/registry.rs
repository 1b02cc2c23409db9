//! Model package versions: registered by retrains, approved by the user.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::Profile;
use super::*;
use crate::model::facts::*;

impl Simulator {
    /// The latest and the deployed version, after a scripted retrain if one deployed.
    /// The newest version registered by `now` (scripted and user retrains add one each).
    pub(super) fn latest_version(&self, p: &Profile, now: Timestamp) -> u32 {
        let scripted = u32::from(self.retrained(&p.name, now).is_some());
        let users = self
            .user_runs(&p.name, now)
            .iter()
            .filter(|r| r.completed().is_some())
            .count();
        p.latest_version + scripted + u32::try_from(users).unwrap_or(0)
    }

    /// When version `v` was registered.
    pub(super) fn registered(&self, p: &Profile, v: u32, now: Timestamp) -> Timestamp {
        if v > p.latest_version {
            let scripted = self.retrained(&p.name, now);
            let mut done: Vec<Timestamp> = scripted.into_iter().collect();
            done.extend(
                self.user_runs(&p.name, now)
                    .iter()
                    .filter_map(UserRun::completed),
            );
            done.sort();
            let nth = (v - p.latest_version - 1) as usize;
            return done.get(nth).copied().unwrap_or(now);
        }
        let age = p.latest_version.saturating_sub(v) as i64;
        self.started - SignedDuration::from_hours(4 + 72 * age)
    }

    pub(super) fn registry(&self, p: &Profile, now: Timestamp) -> Vec<ModelVersion> {
        let latest = self.latest_version(p, now);
        let deployed = self.deployed_version(p, now);
        let scripted_new = self.retrained(&p.name, now).map(|_| p.latest_version + 1);
        (1..=latest)
            .rev()
            .take(4)
            .map(|v| {
                let age = (p.latest_version.saturating_sub(v)) as i64;
                let scripted = match v {
                    _ if v == p.latest_version && p.latest_pending => {
                        Approval::PendingManualApproval
                    }
                    // The team's pipeline approves what it deploys; the user's waits.
                    _ if v > p.latest_version && Some(v) != scripted_new => {
                        Approval::PendingManualApproval
                    }
                    _ if age == 3 => Approval::Rejected,
                    _ => Approval::Approved,
                };
                ModelVersion {
                    version: v,
                    approval: self.acts(|a| a.approval(&p.name, v)).unwrap_or(scripted),
                    created: self.registered(p, v, now),
                    deployed: v == deployed,
                    source: crate::model::facts::RegistrySource::SageMaker,
                    mlflow: None,
                    arn: Some(package_arn(&p.name, v)),
                }
            })
            .collect()
    }
}
