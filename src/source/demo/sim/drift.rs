//! Model Monitor runs and per-feature drift.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::{Incident, Profile, DRIFTED_FEATURES};
use super::*;
use crate::model::facts::*;

impl Simulator {
    /// The newest Model Monitor report and run. Reports come hourly; a drift incident
    /// brings one with violations, a retrain a clean one. churn-detection's monitoring
    /// finds no new data to check (its raw data is stale): its runs fail.
    pub(super) fn drift(&self, p: &Profile, now: Timestamp) -> DriftFacts {
        let hour = Timestamp::from_second(now.as_second().div_euclid(3600) * 3600).ok();
        let schedule = format!("{}-prod-data-quality", p.name);
        let run = |status: &str, failure: Option<&str>, at: Timestamp| MonitoringRun {
            schedule: schedule.clone(),
            status: status.into(),
            failure_reason: failure.map(str::to_string),
            scheduled: at,
        };
        // This team has no Model Monitor: drift comes from its captured traffic.
        if p.name == super::capture::CAPTURED_MODEL {
            return DriftFacts {
                captured: Some(self.captured(now)),
                ..DriftFacts::default()
            };
        }
        if p.name == "churn-detection" {
            let last_good = self.started - SignedDuration::from_hours(50);
            let failed_at = hour.unwrap_or(now) - SignedDuration::from_hours(2);
            return DriftFacts {
                report_time: Some(last_good),
                monitoring: Some(run(
                    "Failed",
                    Some("Job inputs had no data: no captured requests since the last run"),
                    failed_at,
                )),
                ..DriftFacts::default()
            };
        }
        let drift_start = self.incident_start(&p.name, Incident::DriftViolations);
        let (violations, report_time) = match (self.retrained(&p.name, now), drift_start) {
            // After a retrain the next report is clean.
            (Some(done), _) => (Vec::new(), Some(done)),
            (None, Some(start)) if now >= start => {
                let violations = DRIFTED_FEATURES
                    .iter()
                    .map(|(feature, check)| Violation {
                        feature: feature.to_string(),
                        check: check.to_string(),
                        description: format!(
                            "Baseline constraint for {feature} violated: distance 0.16 > 0.1"
                        ),
                    })
                    .collect();
                (violations, Some(start))
            }
            _ => (Vec::new(), hour),
        };
        let status = match violations.is_empty() {
            true => "Completed",
            false => "CompletedWithViolations",
        };
        DriftFacts {
            monitoring: report_time.map(|t| run(status, None, t)),
            violations,
            report_time,
            ..DriftFacts::default()
        }
    }
}
