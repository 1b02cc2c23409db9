//! The simulator: the whole demo fleet as a pure function of (seed, start time, now).
//! Same seed and times give the same fleet, so snapshots and tests are repeatable.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

use super::actions::DemoActions;

use super::profiles::{
    self, Incident, Profile, DRIFTED_FEATURES, MAPE_BREACH, MAPE_RAMP_SECS, RECOVER_SECS,
    RETRAIN_SECS,
};
use crate::model::facts::*;
use crate::model::identity::{Identity, JoinedBy};
use crate::model::metrics::{names, Series};
use crate::model::units::{is_ratio, scale_of, Published};
use crate::model::Stage;

/// Minutes of metric history each model carries.
pub const HISTORY_MINUTES: i64 = crate::model::metrics::WINDOW_MINUTES;

#[derive(Debug, Clone)]
pub struct Simulator {
    seed: u64,
    started: Timestamp,
    models: usize,
    /// Shared with the demo executor (clones share it): what the user did.
    actions: Arc<Mutex<DemoActions>>,
}

/// A retrain the user started, as the simulator sees it at some moment.
struct UserRun {
    name: String,
    started: Timestamp,
    end: Option<End>,
}

#[derive(Clone, Copy)]
enum End {
    Completed(Timestamp),
    Stopped(Timestamp),
}

impl UserRun {
    /// When it finished and registered a version (a stopped run registers none).
    fn completed(&self) -> Option<Timestamp> {
        match self.end {
            Some(End::Completed(t)) => Some(t),
            _ => None,
        }
    }
}

/// The pipeline that retrains a demo model.
pub fn pipeline_of(model: &str) -> String {
    format!("{model}-retrain")
}

/// A demo pipeline execution's ARN, shaped like AWS's.
pub fn execution_arn(model: &str, run: &str) -> String {
    format!(
        "arn:aws:sagemaker:demo:000000000000:pipeline/{}/execution/{run}",
        pipeline_of(model)
    )
}

/// A demo model package version's ARN, shaped like AWS's.
pub fn package_arn(model: &str, version: u32) -> String {
    format!("arn:aws:sagemaker:demo:000000000000:model-package/{model}/{version}")
}

impl Simulator {
    pub fn new(seed: u64, started: Timestamp, models: usize) -> Simulator {
        Simulator {
            seed,
            started,
            models,
            actions: Arc::default(),
        }
    }

    /// Reads what the user has done so far. The lock lives only inside `f`, so no
    /// guard can outlive a statement and deadlock a nested read.
    fn acts<R>(&self, f: impl FnOnce(&DemoActions) -> R) -> R {
        f(&self.actions.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records an action the demo executor performed.
    pub fn record(&self, f: impl FnOnce(&mut DemoActions)) {
        f(&mut self.actions.lock().unwrap_or_else(PoisonError::into_inner));
    }

    pub fn fleet_at(&self, now: Timestamp) -> Fleet {
        let profiles = profiles::fleet(self.models);
        let models: Vec<ModelFacts> = profiles
            .iter()
            .enumerate()
            .map(|(i, p)| self.model(i as u64, p, now))
            .collect();
        let alarms = self.alarms(&profiles, now);
        Fleet {
            models,
            alarms,
            cost: Some(Box::new(self.cost(now))),
            traces: Some(Box::new(super::traces::traces(
                &profiles,
                profiles
                    .iter()
                    .find(|p| p.name == "recommendation-engine")
                    .is_some_and(|p| self.spike(p, now)),
            ))),
        }
    }

    /// When `incident` begins for `model`, if the script has it.
    fn incident_start(&self, model: &str, incident: Incident) -> Option<Timestamp> {
        profiles::SCRIPT
            .iter()
            .find(|s| s.model == model && s.incident == incident)
            .map(|s| self.started + SignedDuration::from_secs(s.after_secs))
    }

    /// When the model's scripted retrain deployed its new version, if it has by `at`.
    fn retrained(&self, model: &str, at: Timestamp) -> Option<Timestamp> {
        let started = self.incident_start(model, Incident::Retrain)?;
        let done = started + SignedDuration::from_secs(RETRAIN_SECS);
        let stopped = self.acts(|a| a.stopped(&scripted_run(model, started), done));
        (at >= done && stopped.is_none()).then_some(done)
    }

    /// The version the endpoint serves at `at`: the profile's, then whichever deploy
    /// finished last (the scripted bad deploy, a scripted retrain, the user's).
    fn deployed_version(&self, p: &Profile, at: Timestamp) -> u32 {
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
    fn spike(&self, p: &Profile, at: Timestamp) -> bool {
        self.active(&p.name, Incident::LatencySpike, at)
            && self.deployed_version(p, at) == p.latest_version
    }

    /// Retrains the user started, and how each ended by `now`.
    fn user_runs(&self, model: &str, now: Timestamp) -> Vec<UserRun> {
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
    fn recovery(&self, model: &str, at: Timestamp) -> f64 {
        self.retrained(model, at).map_or(0.0, |done| {
            (at.duration_since(done).as_secs_f64() / RECOVER_SECS).clamp(0.0, 1.0)
        })
    }

    fn active(&self, model: &str, incident: Incident, at: Timestamp) -> bool {
        self.incident_start(model, incident)
            .is_some_and(|start| at >= start)
    }

    /// Deterministic noise in [-1, 1] for one (model, metric, minute): a pure hash of
    /// the four, so a point never changes as the window slides.
    fn noise(&self, model: u64, metric: u64, minute: i64) -> f64 {
        let h = mix(mix(mix(self.seed ^ model) ^ metric) ^ minute as u64);
        (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }

    /// Points at each whole minute of the window, then one at `now` itself so that
    /// an incident shows the moment it starts.
    fn times(now: Timestamp) -> Vec<(i64, Timestamp)> {
        let last = now.as_second().div_euclid(60);
        let mut t: Vec<(i64, Timestamp)> = ((last - HISTORY_MINUTES + 1)..=last)
            .filter_map(|m| Some((m, Timestamp::from_second(m * 60).ok()?)))
            .collect();
        if t.last().is_some_and(|(_, ts)| *ts < now) {
            t.push((last, now));
        }
        t
    }

    fn model(&self, idx: u64, p: &Profile, now: Timestamp) -> ModelFacts {
        let endpoint_name = format!("{}-prod", p.name);
        let metrics = self.metrics(idx, p, now);
        ModelFacts {
            identity: Some(identity(p, &endpoint_name)),
            aliases: vec![endpoint_name.clone(), format!("{}-group", p.name)],
            published: published(&metrics),
            name: p.name.clone(),
            kind: p.kind,
            data: Some(DataFacts {
                location: format!("s3://retail-ml-raw/{}/", p.name),
                newest_object: Some(self.started - SignedDuration::from_secs(p.data_age_at_start)),
            }),
            training: self.training(p, now),
            registry: self.registry(p, now),
            endpoint: Some(self.endpoint(p, endpoint_name, now)),
            drift: self.drift(p, now),
            metrics,
            pipeline: Some(pipeline_of(&p.name)),
        }
    }

    fn metrics(&self, idx: u64, p: &Profile, now: Timestamp) -> BTreeMap<String, Series> {
        let times = Simulator::times(now);
        let spike = |t: Timestamp| self.spike(p, t);
        let series = |metric: u64, f: &dyn Fn(f64, Timestamp) -> f64| {
            Series::new(
                times
                    .iter()
                    .map(|&(m, t)| (t, f(self.noise(idx, metric, m), t)))
                    .collect(),
            )
        };
        let invocations = |n: f64, t: Timestamp| {
            let day = (t.as_second().rem_euclid(86_400)) as f64 / 86_400.0;
            let daily = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * (day - 0.3)).sin();
            (p.invocations_per_min * daily * (1.0 + 0.05 * n)).round()
        };
        let mut out = BTreeMap::new();
        out.insert(names::INVOCATIONS.into(), series(0, &invocations));
        out.insert(
            names::ERRORS_4XX.into(),
            series(1, &|n, t| {
                (invocations(0.0, t) * 0.003 * (1.0 + 0.5 * n)).round()
            }),
        );
        out.insert(
            names::ERRORS_5XX.into(),
            series(2, &|n, t| {
                // The spike stays well inside crit (6.8–9.2%) so it never flickers.
                let (rate, spread) = if spike(t) { (0.08, 0.15) } else { (0.001, 0.3) };
                (invocations(0.0, t) * rate * (1.0 + spread * n)).round()
            }),
        );
        let factor = |t: Timestamp, f: f64| if spike(t) { f } else { 1.0 };
        out.insert(
            names::LATENCY_P50.into(),
            series(3, &|n, t| {
                p.latency_p50_ms * (1.0 + 0.1 * n) * factor(t, 3.0)
            }),
        );
        out.insert(
            names::LATENCY_P99.into(),
            series(4, &|n, t| {
                p.latency_p99_ms * (1.0 + 0.15 * n) * factor(t, 5.2)
            }),
        );
        out.insert(
            names::DRIFT_SCORE.into(),
            series(5, &|n, t| {
                let drifted = self.active(&p.name, Incident::DriftViolations, t)
                    && self.retrained(&p.name, t).is_none();
                let level = if drifted { 0.16 } else { p.drift_score };
                level + 0.01 * n
            }),
        );
        // Model Monitor's distance per drifting feature, while the drift lasts.
        if self
            .incident_start(&p.name, Incident::DriftViolations)
            .is_some()
        {
            for (k, (feature, _)) in DRIFTED_FEATURES.iter().enumerate() {
                out.insert(
                    format!("{}{feature}", names::FEATURE_DRIFT_PREFIX),
                    series(20 + k as u64, &|n, t| {
                        let drifted = self.active(&p.name, Incident::DriftViolations, t)
                            && self.retrained(&p.name, t).is_none();
                        (if drifted { 0.16 } else { 0.03 }) + 0.01 * n
                    }),
                );
            }
        }
        for (k, &(name, base, jitter)) in p.quality.iter().enumerate() {
            let breach = self
                .incident_start(&p.name, Incident::MapeBreach)
                .filter(|_| name == names::MAPE);
            out.insert(
                name.into(),
                series(10 + k as u64, &|n, t| {
                    let up = breach.map_or(0.0, |start| {
                        (t.duration_since(start).as_secs_f64() / MAPE_RAMP_SECS).clamp(0.0, 1.0)
                    });
                    let ramp = up * (1.0 - self.recovery(&p.name, t));
                    let normal = base + jitter * n;
                    normal + (MAPE_BREACH - normal) * ramp
                }),
            );
        }
        out
    }

    fn training(&self, p: &Profile, now: Timestamp) -> Vec<TrainingRun> {
        let mut runs: Vec<TrainingRun> = self.retrain_run(p, now).into_iter().collect();
        for run in self.user_runs(&p.name, now) {
            runs.push(TrainingRun {
                execution_arn: Some(execution_arn(&p.name, &run.name)),
                serving: false,
                status: match run.end {
                    None => RunStatus::InProgress,
                    Some(End::Stopped(_)) => RunStatus::Stopped,
                    Some(End::Completed(_)) => RunStatus::Completed,
                },
                started: run.started,
                ended: run.end.map(|(End::Stopped(t) | End::Completed(t))| t),
                failure_reason: None,
                objective: run.completed().map(|_| objective(p, 0)),
                secondary_status: run.end.is_none().then(|| "Training".to_string()),
                name: run.name,
            });
        }
        runs.sort_by_key(|r| std::cmp::Reverse(r.started));
        runs.extend((0..5).map(|k| {
            let started = self.started
                - SignedDuration::from_hours(5 + 72 * k)
                - SignedDuration::from_mins(7 * (p.latest_version as i64 % 5));
            let failed = k == 0 && p.last_training_failed;
            let minutes = if failed {
                38
            } else {
                35 + (k * 3 + p.latest_version as i64) % 15
            };
            let ended = started + SignedDuration::from_mins(minutes);
            let stamp = started.strftime("%Y%m%d-%H%M").to_string();
            TrainingRun {
                name: format!("{}-train-{stamp}", p.name),
                status: if failed {
                    RunStatus::Failed
                } else {
                    RunStatus::Completed
                },
                started,
                ended: Some(ended),
                failure_reason: failed.then(|| {
                    "AlgorithmError: CUDA out of memory. Tried to allocate 2.50 GiB \
                         (GPU 0; 15.78 GiB total capacity)"
                        .to_string()
                }),
                objective: (!failed).then(|| objective(p, k)),
                secondary_status: None,
                execution_arn: None,
                serving: false,
            }
        }));
        runs.truncate(5);
        runs
    }

    /// The scripted retrain's pipeline execution, once it has started.
    fn retrain_run(&self, p: &Profile, now: Timestamp) -> Option<TrainingRun> {
        let started = self
            .incident_start(&p.name, Incident::Retrain)
            .filter(|s| now >= *s)?;
        let done = self.retrained(&p.name, now);
        let name = scripted_run(&p.name, started);
        let stopped = self.acts(|a| a.stopped(&name, now));
        Some(TrainingRun {
            execution_arn: Some(execution_arn(&p.name, &name)),
            serving: false,
            name,
            status: match (done, stopped) {
                (Some(_), _) => RunStatus::Completed,
                (None, Some(_)) => RunStatus::Stopped,
                (None, None) => RunStatus::InProgress,
            },
            started,
            ended: done.or(stopped),
            failure_reason: None,
            objective: done.map(|_| objective(p, 0)),
            secondary_status: (done.is_none() && stopped.is_none()).then(|| "Training".to_string()),
        })
    }

    /// The latest and the deployed version, after a scripted retrain if one deployed.
    /// The newest version registered by `now` (scripted and user retrains add one each).
    fn latest_version(&self, p: &Profile, now: Timestamp) -> u32 {
        let scripted = u32::from(self.retrained(&p.name, now).is_some());
        let users = self
            .user_runs(&p.name, now)
            .iter()
            .filter(|r| r.completed().is_some())
            .count();
        p.latest_version + scripted + u32::try_from(users).unwrap_or(0)
    }

    /// When version `v` was registered.
    fn registered(&self, p: &Profile, v: u32, now: Timestamp) -> Timestamp {
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

    fn registry(&self, p: &Profile, now: Timestamp) -> Vec<ModelVersion> {
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
                    arn: Some(package_arn(&p.name, v)),
                }
            })
            .collect()
    }

    fn endpoint(&self, p: &Profile, name: String, now: Timestamp) -> EndpointFacts {
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
            config_name: config_name(&name, deployed),
            name,
            status: if updating { "Updating" } else { "InService" }.into(),
            failure_reason: None,
            variants: self.variants(p, deployed, shifted),
            config_history,
            protected: p.protected.then(|| "tagged env=prod".to_string()),
        }
    }

    /// One variant serving the deployed version; a canary profile adds the newest
    /// version beside it at 10%, until the user shifts the weights.
    fn variants(
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

    /// The newest Model Monitor report and run. Reports come hourly; a drift incident
    /// brings one with violations, a retrain a clean one. churn-detection's monitoring
    /// finds no new data to check (its raw data is stale): its runs fail.
    fn drift(&self, p: &Profile, now: Timestamp) -> DriftFacts {
        let hour = Timestamp::from_second(now.as_second().div_euclid(3600) * 3600).ok();
        let schedule = format!("{}-prod-data-quality", p.name);
        let run = |status: &str, failure: Option<&str>, at: Timestamp| MonitoringRun {
            schedule: schedule.clone(),
            status: status.into(),
            failure_reason: failure.map(str::to_string),
            scheduled: at,
        };
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

    fn alarms(&self, profiles: &[Profile], now: Timestamp) -> Vec<Alarm> {
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

    /// A small team's bill: SageMaker endpoints and training, the ECS feature service,
    /// RDS, S3, CloudWatch. Each day's total follows the fleet's size.
    fn cost(&self, now: Timestamp) -> CostSummary {
        let zoned = now.to_zoned(jiff::tz::TimeZone::UTC);
        let daily = 40.0 + 22.0 * self.models as f64;
        let today = zoned.date();
        let days: Vec<(jiff::civil::Date, f64)> = (1..=today.day())
            .filter_map(|d| {
                let date = today.with().day(d).build().ok()?;
                // Today has only run part of its hours.
                let share = match d == today.day() {
                    true => zoned.hour() as f64 / 24.0,
                    false => 1.0,
                };
                let wobble = 1.0 + 0.08 * self.noise(999, 1, i64::from(d));
                Some((date, cents(daily * wobble * share)))
            })
            .collect();
        let mtd: f64 = cents(days.iter().map(|(_, v)| v).sum());
        let before_today: f64 = days.iter().rev().skip(1).map(|(_, v)| v).sum();
        let rest = daily * f64::from(zoned.days_in_month() - today.day() + 1);
        let services = [
            ("Amazon SageMaker", 0.58),
            ("Amazon Elastic Container Service", 0.14),
            ("Amazon Relational Database Service", 0.12),
            ("Amazon Simple Storage Service", 0.08),
            ("AmazonCloudWatch", 0.05),
            ("AWS X-Ray", 0.03),
        ];
        let profiles = profiles::fleet(self.models.min(4));
        let weights: f64 = profiles.iter().map(|p| p.invocations_per_min.sqrt()).sum();
        CostSummary {
            currency: "USD".into(),
            month_to_date: mtd,
            forecast: Some(Forecast {
                mean: cents(before_today + rest),
                lower: Some(cents((before_today + rest) * 0.93)),
                upper: Some(cents((before_today + rest) * 1.07)),
            }),
            by_service: services
                .iter()
                .map(|(s, share)| (s.to_string(), cents(mtd * share)))
                .collect(),
            daily: days,
            // Tagged SageMaker spend, shared by traffic (roughly what instances follow).
            by_model: profiles
                .iter()
                .map(|p| {
                    let share = p.invocations_per_min.sqrt() / weights;
                    (p.name.clone(), cents(mtd * 0.58 * share))
                })
                .collect(),
            as_of: now,
        }
    }
}

/// The demo's endpoint config name for version `v`.
pub fn config_name(endpoint: &str, v: u32) -> String {
    format!("{endpoint}-config-v{v}")
}

/// How a demo model is recognised: as a real fleet's would be, by lineage from the
/// endpoint to its package group.
fn identity(p: &Profile, endpoint: &str) -> Identity {
    let group = format!("{}-group", p.name);
    let evidence = format!(
        "endpoint {endpoint} serves model {}-model-v{}, which names package {group}/{} \
         (ModelPackageName)",
        p.name, p.latest_version, p.latest_version
    );
    Identity::new(JoinedBy::Lineage, evidence.clone())
        .with(format!("endpoint {endpoint}"), JoinedBy::Lineage, evidence)
        .with(
            format!("package group {group}"),
            JoinedBy::Lineage,
            "the package the endpoint's model names",
        )
        .with(
            format!("pipeline {}", pipeline_of(&p.name)),
            JoinedBy::Name,
            format!("named like {}", p.name),
        )
}

/// The business metrics the demo teams publish: forecasts as scikit-learn returns
/// them (fractions), the rest with Unit=Percent or as plain numbers.
fn published(metrics: &BTreeMap<String, Series>) -> BTreeMap<String, Published> {
    let business = [
        names::MAPE,
        names::CTR,
        names::CONVERSION,
        names::SILHOUETTE,
        names::AUC,
    ];
    metrics
        .keys()
        .filter(|k| business.contains(&k.as_str()))
        .map(|k| {
            let unit = (k != names::MAPE && is_ratio(k)).then_some("Percent");
            (k.clone(), scale_of(k, unit, None, None))
        })
        .collect()
}

/// The scripted retrain's pipeline execution name.
fn scripted_run(model: &str, started: Timestamp) -> String {
    format!("{model}-retrain-{}", started.strftime("%Y%m%d-%H%M"))
}

fn alarm(
    name: String,
    (model, stage): (&str, Stage),
    firing_since: Option<Timestamp>,
    reason: &str,
    ok_since: Timestamp,
) -> Alarm {
    match firing_since {
        Some(since) => Alarm {
            name,
            state: AlarmState::Alarm,
            reason: reason.into(),
            since,
            model: Some(model.into()),
            stage: Some(stage),
        },
        None => Alarm {
            name,
            state: AlarmState::Ok,
            reason: "Threshold Crossed: datapoints were not greater than the threshold".into(),
            since: ok_since,
            model: Some(model.into()),
            stage: Some(stage),
        },
    }
}

fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// splitmix64's finalizer: a fast, well-distributed 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn objective(p: &Profile, k: i64) -> (String, f64) {
    let (metric, base, _) = p.quality.first().copied().unwrap_or(("score", 1.0, 0.0));
    let drift = 1.0 + 0.01 * k as f64;
    (
        format!("validation:{}", metric.to_lowercase()),
        base * drift,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{assess, Health, Rules, Stage};

    fn start() -> Timestamp {
        "2026-11-22T03:00:00Z".parse().unwrap()
    }

    fn health_at(secs: i64, model: &str, stage: Stage) -> Health {
        let sim = Simulator::new(42, start(), 4);
        let now = start() + SignedDuration::from_secs(secs);
        let fleet = sim.fleet_at(now);
        let m = fleet.model(model).unwrap();
        assess(m, &Rules::default(), now).stage(stage).health
    }

    #[test]
    fn a_retrain_clears_the_mape_breach_and_the_drift() {
        use crate::model::quality;
        assert_eq!(
            health_at(120, "demand-forecasting", Stage::Quality),
            Health::Crit
        );
        assert_eq!(
            health_at(120, "customer-segmentation", Stage::Drift),
            Health::Warn
        );
        // The retraining pipelines run...
        let sim = Simulator::new(42, start(), 4);
        let at = start() + SignedDuration::from_secs(160);
        let fleet = sim.fleet_at(at);
        let demand = fleet.model("demand-forecasting").unwrap();
        assert_eq!(demand.training[0].status, RunStatus::InProgress);
        let h = assess(demand, &Rules::default(), at);
        assert!(h.stage(Stage::Training).in_progress);
        // ... then v13 serves, MAPE settles and the clean report arrives.
        let at = start() + SignedDuration::from_secs(240);
        let fleet = sim.fleet_at(at);
        let demand = fleet.model("demand-forecasting").unwrap();
        assert!(demand
            .registry
            .iter()
            .any(|v| v.version == 13 && v.deployed));
        assert_eq!(
            demand.endpoint.as_ref().unwrap().config_name,
            "demand-forecasting-prod-config-v13"
        );
        let mape = quality::judge(demand, &Rules::default(), at);
        assert!(mape[0].value.unwrap() < 10.0, "{:?}", mape[0].value);
        assert_eq!(
            health_at(240, "demand-forecasting", Stage::Quality),
            Health::Ok
        );
        assert_eq!(
            health_at(240, "customer-segmentation", Stage::Drift),
            Health::Ok
        );
        let alarm = fleet
            .alarms
            .iter()
            .find(|a| a.name == "demand-forecasting-mape-breach")
            .unwrap();
        assert_eq!(alarm.state, AlarmState::Ok);
        // The 5xx spike is not fixed by retraining: it waits for a rollback.
        assert_eq!(
            health_at(240, "recommendation-engine", Stage::Endpoint),
            Health::Crit
        );
    }

    #[test]
    fn same_seed_same_fleet_other_seed_other_numbers() {
        let now = start() + SignedDuration::from_secs(100);
        let a = Simulator::new(42, start(), 4).fleet_at(now);
        assert_eq!(a, Simulator::new(42, start(), 4).fleet_at(now));
        assert_ne!(a, Simulator::new(7, start(), 4).fleet_at(now));
    }

    #[test]
    fn scripted_incidents_happen_within_the_first_minutes() {
        use Stage::*;
        assert_eq!(health_at(0, "recommendation-engine", Endpoint), Health::Ok);
        assert_eq!(
            health_at(20, "recommendation-engine", Endpoint),
            Health::Crit
        );
        assert_eq!(health_at(0, "customer-segmentation", Drift), Health::Ok);
        assert_eq!(health_at(35, "customer-segmentation", Drift), Health::Warn);
        assert_eq!(health_at(0, "demand-forecasting", Quality), Health::Ok);
        assert_eq!(health_at(80, "demand-forecasting", Quality), Health::Crit);
        assert_eq!(health_at(0, "churn-detection", Data), Health::Warn);
        assert_eq!(health_at(45, "churn-detection", Data), Health::Crit);
    }

    #[test]
    fn the_spike_is_crit_at_every_moment_not_just_on_average() {
        let sim = Simulator::new(42, start(), 4);
        for secs in 15..600 {
            let now = start() + SignedDuration::from_secs(secs);
            let fleet = sim.fleet_at(now);
            let m = fleet.model("recommendation-engine").unwrap();
            assert_eq!(
                assess(m, &Rules::default(), now)
                    .stage(Stage::Endpoint)
                    .health,
                Health::Crit,
                "at {secs}s"
            );
        }
    }

    #[test]
    fn standing_problems_are_there_from_the_start() {
        assert_eq!(
            health_at(0, "churn-detection", Stage::Training),
            Health::Crit
        );
        assert_eq!(
            health_at(0, "churn-detection", Stage::Registry),
            Health::Warn
        );
        // The bad deploy has not happened yet.
        assert_eq!(
            health_at(0, "recommendation-engine", Stage::Endpoint),
            Health::Ok
        );
    }

    #[test]
    fn mape_reaches_the_breach_value() {
        let sim = Simulator::new(42, start(), 4);
        let now = start() + SignedDuration::from_secs(120);
        let fleet = sim.fleet_at(now);
        let mape = fleet.model("demand-forecasting").unwrap().metrics["MAPE"]
            .latest()
            .unwrap();
        assert_eq!(mape, (now, MAPE_BREACH));
    }

    #[test]
    fn noise_is_spread_over_minus_one_to_one() {
        let sim = Simulator::new(42, start(), 4);
        let values: Vec<f64> = (0..1000).map(|m| sim.noise(0, 0, m)).collect();
        assert!(values.iter().all(|v| (-1.0..=1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / 1000.0;
        assert!(mean.abs() < 0.1, "mean {mean}");
        assert!(values.iter().any(|v| *v > 0.9) && values.iter().any(|v| *v < -0.9));
    }

    #[test]
    fn firing_alarms_follow_the_incidents() {
        let sim = Simulator::new(42, start(), 4);
        assert_eq!(sim.fleet_at(start()).firing_alarms(), 0);
        assert_eq!(
            sim.fleet_at(start() + SignedDuration::from_secs(120))
                .firing_alarms(),
            2
        );
    }

    #[test]
    fn what_the_user_did_changes_the_fleet() {
        use crate::model::facts::Approval;
        use crate::source::demo::{Deploy, Retrain, UPDATE_SECS};
        let sim = Simulator::new(42, start(), 4);
        let at = |secs: i64| start() + SignedDuration::from_secs(secs);
        let rec = |secs| {
            sim.fleet_at(at(secs))
                .model("recommendation-engine")
                .cloned()
        };
        // Rolled back to v6 at 60 s: Updating while it deploys, then healthy again.
        sim.record(|a| {
            a.deploys.push(Deploy {
                model: "recommendation-engine".into(),
                version: 6,
                at: at(60),
            })
        });
        assert_eq!(rec(61).unwrap().endpoint.unwrap().status, "Updating");
        let after = at(60 + UPDATE_SECS + 1);
        let m = rec(60 + UPDATE_SECS + 1).unwrap();
        assert_eq!(
            m.endpoint.as_ref().unwrap().config_name,
            config_name("recommendation-engine-prod", 6)
        );
        assert_eq!(
            assess(&m, &Rules::default(), after)
                .stage(Stage::Endpoint)
                .health,
            Health::Ok
        );
        // A retrain of demand-forecasting at 20 s registers a version that waits for
        // approval; approving it shows. Read past the scripted retrain (150 s on).
        sim.record(|a| {
            a.retrains.push(Retrain {
                model: "demand-forecasting".into(),
                name: "user-run".into(),
                at: at(20),
            })
        });
        let newest = |secs| {
            sim.fleet_at(at(secs))
                .model("demand-forecasting")
                .unwrap()
                .registry[0]
                .clone()
        };
        let v = newest(20 + RETRAIN_SECS + 1);
        assert_eq!(v.approval, Approval::PendingManualApproval);
        sim.record(|a| {
            a.approvals
                .push(("demand-forecasting".into(), v.version, Approval::Approved))
        });
        assert_eq!(newest(20 + RETRAIN_SECS + 2).approval, Approval::Approved);
        // churn-detection's canary: the planner sends everything back to stable, and
        // the weights land after the update.
        let churn = |secs| {
            sim.fleet_at(at(secs))
                .model("churn-detection")
                .cloned()
                .unwrap()
        };
        let weights = |m: &ModelFacts| {
            let ep = m.endpoint.as_ref().unwrap();
            ep.variants
                .iter()
                .map(|v| (v.name.clone(), v.weight))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            weights(&churn(30)),
            [("stable".into(), 0.9), ("canary".into(), 0.1)]
        );
        // What a rollback of the canary sends (planned and sent by `action`).
        sim.record(|a| {
            a.shifts.push(crate::source::demo::Shift {
                model: "churn-detection".into(),
                weights: vec![("stable".into(), 1.0), ("canary".into(), 0.0)],
                at: at(30),
            })
        });
        assert_eq!(churn(31).endpoint.unwrap().status, "Updating");
        assert_eq!(
            weights(&churn(30 + UPDATE_SECS)),
            [("stable".into(), 1.0), ("canary".into(), 0.0)]
        );
        let later = sim.fleet_at(at(400));
        let registry = &later.model("demand-forecasting").unwrap().registry;
        assert_eq!(
            registry[0].version,
            v.version + 1,
            "the scripted retrain's version"
        );
    }

    #[test]
    fn a_stopped_scripted_retrain_registers_no_version() {
        let sim = Simulator::new(42, start(), 4);
        let at = |secs: i64| start() + SignedDuration::from_secs(secs);
        let model = |secs| {
            sim.fleet_at(at(secs))
                .model("demand-forecasting")
                .cloned()
                .unwrap()
        };
        let running = model(155);
        let run = &running.training[0];
        assert_eq!(run.status, RunStatus::InProgress);
        let name = run.name.clone();
        sim.record(|a| a.stops.push((name, at(160))));
        let later = model(300);
        assert_eq!(later.training[0].status, RunStatus::Stopped);
        assert_eq!(later.registry[0].version, running.registry[0].version);
    }

    #[test]
    fn large_fleets_are_generated_healthy_and_distinct() {
        let sim = Simulator::new(1, start(), 100);
        let fleet = sim.fleet_at(start());
        assert_eq!(fleet.models.len(), 100);
        assert_eq!(fleet.models[99].name, "model-0099");
        // Every generated model (after the four scripted ones) is healthy at the start.
        for m in &fleet.models[4..] {
            let h = assess(m, &Rules::default(), start());
            assert_eq!(h.overall, Health::Ok, "{}: {h:?}", m.name);
        }
        // Distinct: unique names, and no two with the same traffic.
        let names: std::collections::BTreeSet<&str> =
            fleet.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names.len(), 100);
        let traffic = |m: &ModelFacts| m.metrics["Invocations"].points.clone();
        for pair in fleet.models[4..].windows(2) {
            assert_ne!(traffic(&pair[0]), traffic(&pair[1]), "{}", pair[1].name);
        }
    }

    #[test]
    fn history_covers_three_hours_and_ends_now() {
        let now = start() + SignedDuration::from_secs(95);
        let fleet = Simulator::new(42, start(), 4).fleet_at(now);
        let inv = &fleet.models[0].metrics["Invocations"];
        assert_eq!(inv.points.len(), HISTORY_MINUTES as usize + 1);
        assert_eq!(inv.latest().unwrap().0, now);
    }
}
