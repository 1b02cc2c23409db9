//! When the scripted incidents and the user's actions happen, and the noise every series shares.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::{self, Incident, Profile, RECOVER_SECS, RETRAIN_SECS};
use super::*;

impl Simulator {
    /// When `incident` begins for `model`, if the script has it.
    pub(super) fn incident_start(&self, model: &str, incident: Incident) -> Option<Timestamp> {
        profiles::SCRIPT
            .iter()
            .find(|s| s.model == model && s.incident == incident)
            .map(|s| self.started + SignedDuration::from_secs(s.after_secs))
    }

    /// When the model's scripted retrain deployed its new version, if it has by `at`.
    pub(super) fn retrained(&self, model: &str, at: Timestamp) -> Option<Timestamp> {
        let started = self.incident_start(model, Incident::Retrain)?;
        let done = started + SignedDuration::from_secs(RETRAIN_SECS);
        let stopped = self.acts(|a| a.stopped(&scripted_run(model, started), done));
        (at >= done && stopped.is_none()).then_some(done)
    }

    /// The version the endpoint serves at `at`: the profile's, then whichever deploy
    /// finished last (the scripted bad deploy, a scripted retrain, the user's).
    pub(super) fn deployed_version(&self, p: &Profile, at: Timestamp) -> u32 {
        let mut deploys: Vec<(Timestamp, u32)> = Vec::new();
        if let Some(bad) = self.incident_start(&p.name, Incident::LatencySpike) {
            deploys.push((bad, p.latest_version));
        }
        if let Some(done) = self.retrained(&p.name, at) {
            deploys.push((done, p.latest_version + 1));
        }
        if let Some(d) = self.acts(|a| a.deployed(&p.name, at).cloned()) {
            deploys.push((d.done(), d.version));
        }
        deploys
            .into_iter()
            .filter(|(t, _)| *t <= at)
            .max_by_key(|(t, _)| *t)
            .map_or(p.deployed_version, |(_, v)| v)
    }

    /// The latency spike: the scripted bad deploy's version is serving.
    pub(super) fn spike(&self, p: &Profile, at: Timestamp) -> bool {
        self.active(&p.name, Incident::LatencySpike, at)
            && self.deployed_version(p, at) == p.latest_version
    }

    /// Retrains the user started, and how each ended by `now`.
    pub(super) fn user_runs(&self, model: &str, now: Timestamp) -> Vec<UserRun> {
        self.acts(|acts| {
            acts.retrains
                .iter()
                .filter(|r| r.model == model && r.at <= now)
                .map(|r| {
                    let done = r.at + SignedDuration::from_secs(RETRAIN_SECS);
                    let end = match acts.stopped(&r.name, now) {
                        Some(when) if when < done => Some(End::Stopped(when)),
                        _ => (now >= done).then_some(End::Completed(done)),
                    };
                    UserRun {
                        name: r.name.clone(),
                        started: r.at,
                        end,
                    }
                })
                .collect()
        })
    }

    /// 0 before the retrain deployed, rising to 1 over `RECOVER_SECS` after.
    pub(super) fn recovery(&self, model: &str, at: Timestamp) -> f64 {
        self.retrained(model, at).map_or(0.0, |done| {
            (at.duration_since(done).as_secs_f64() / RECOVER_SECS).clamp(0.0, 1.0)
        })
    }

    pub(super) fn active(&self, model: &str, incident: Incident, at: Timestamp) -> bool {
        self.incident_start(model, incident)
            .is_some_and(|start| at >= start)
    }

    /// Deterministic noise in [-1, 1] for one (model, metric, minute): a pure hash of
    /// the four, so a point never changes as the window slides.
    pub(super) fn noise(&self, model: u64, metric: u64, minute: i64) -> f64 {
        let h = mix(mix(mix(self.seed ^ model) ^ metric) ^ minute as u64);
        (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// Points at each whole minute of the window, then one at `now` itself so that
    /// an incident shows the moment it starts.
    pub(super) fn times(now: Timestamp) -> Vec<(i64, Timestamp)> {
        let last = now.as_second().div_euclid(60);
        let mut t: Vec<(i64, Timestamp)> = ((last - HISTORY_MINUTES + 1)..=last)
            .filter_map(|m| Some((m, Timestamp::from_second(m * 60).ok()?)))
            .collect();
        if t.last().is_some_and(|(_, ts)| *ts < now) {
            t.push((last, now));
        }
        t
    }
}
