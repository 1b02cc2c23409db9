//! CloudWatch alarms that follow the incidents.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::{Incident, Profile};
use super::*;
use crate::model::facts::*;

impl Simulator {
    pub(super) fn alarms(&self, profiles: &[Profile], now: Timestamp) -> Vec<Alarm> {
        let mut alarms = Vec::new();
        for p in profiles.iter().take(4) {
            let spike = self.incident_start(&p.name, Incident::LatencySpike);
            // A rollback clears it about a minute's datapoint after the update is done.
            let cleared = self.acts(|a| {
                a.deployed(&p.name, now)
                    .map(|d| d.done() + SignedDuration::from_secs(5))
            });
            alarms.push(alarm(
                format!("{}-prod-5xx-rate", p.name),
                (&p.name, Stage::Endpoint),
                spike.filter(|_| self.spike(p, now)),
                "Threshold Crossed: 1 datapoint [8.0] was greater than the threshold (5.0)",
                cleared.unwrap_or(self.started - SignedDuration::from_hours(26)),
            ));
            if p.kind == ModelKind::Forecasting {
                let breach = self
                    .incident_start(&p.name, Incident::MapeBreach)
                    // MAPE crosses 15% about two thirds into its ramp.
                    .map(|s| s + SignedDuration::from_secs(20));
                // ... and back under it about a third into the recovery.
                let resolved = self
                    .retrained(&p.name, now)
                    .map(|done| done + SignedDuration::from_secs(10))
                    .filter(|r| now >= *r);
                alarms.push(alarm(
                    format!("{}-mape-breach", p.name),
                    (&p.name, Stage::Quality),
                    breach.filter(|s| now >= *s && resolved.is_none()),
                    "Threshold Crossed: 1 datapoint [18.2] was greater than the threshold (15.0)",
                    resolved.unwrap_or(self.started - SignedDuration::from_hours(50)),
                ));
            }
        }
        alarms
    }
}
