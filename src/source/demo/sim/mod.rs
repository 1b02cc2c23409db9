//! The simulator: the whole demo fleet as a pure function of (seed, start time, now).
//! Same seed and times give the same fleet, so snapshots and tests are repeatable.
//! One file per stage's generator; `timeline` replays incidents and user actions.

mod alarms;
mod capture;
mod changes;
mod cost;
mod dr;
mod drift;
mod eks;
mod endpoint;
mod metrics;
mod naming;
mod pipelines;
mod registry;
mod services;
mod timeline;
mod training;

pub use naming::config_name;
use naming::*;
pub use pipelines::{AIRFLOW_BASE, MLFLOW_BASE};

use std::sync::{Arc, Mutex, PoisonError};

use jiff::{SignedDuration, Timestamp};

use super::actions::DemoActions;

use super::profiles::{self, Profile};
use crate::model::facts::*;
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
        let mut models: Vec<ModelFacts> = profiles
            .iter()
            .enumerate()
            .map(|(i, p)| self.model(i as u64, p, now))
            .collect();
        if let Some(primary) = models.iter_mut().find(|m| m.name == dr::DR_MODEL) {
            primary.scope.replication = Simulator::replication();
            let secondary = Simulator::secondary_of(primary, now);
            models.push(secondary);
        }
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
            spending: None,
            changes: self.recorded_changes(&profiles, now),
            dns: Simulator::dns(),
        }
    }

    pub(super) fn model(&self, idx: u64, p: &Profile, now: Timestamp) -> ModelFacts {
        let endpoint_name = format!("{}-prod", p.name);
        let metrics = self.metrics(idx, p, now);
        let mut m = ModelFacts {
            identity: Some(identity(p, &endpoint_name)),
            aliases: vec![endpoint_name.clone(), format!("{}-group", p.name)],
            published: published(&metrics),
            dags: Vec::new(),
            stale: Vec::new(),
            scope: Default::default(),
            environment: None,
            name: p.name.clone(),
            kind: p.kind,
            data: Some(DataFacts {
                lambda: None,
                location: format!("s3://retail-ml-raw/{}/", p.name),
                newest_object: Some(self.started - SignedDuration::from_secs(p.data_age_at_start)),
                source: crate::model::facts::DataSource::S3,
            }),
            training: self.training(p, now),
            registry: self.registry(p, now),
            endpoint: Some(self.endpoint(p, endpoint_name, now)),
            drift: self.drift(p, now),
            metrics,
            metrics_at: Some(now),
            metrics_source: None,
            pipeline: Some(pipeline_of(&p.name)),
        };
        if p.outside_sagemaker {
            self.outside_sagemaker(p, &mut m, now);
        }
        if p.on_ecs {
            self.on_ecs(p, &mut m, now);
        }
        if let Some(kind) = p.on_eks {
            self.on_eks(p, kind, &mut m, now);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::super::profiles::{MAPE_BREACH, RETRAIN_SECS};
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
        // 100 models, and the DR pair's secondary (paired into one row by the app).
        assert_eq!(fleet.models.len(), 101);
        assert_eq!(fleet.models[99].name, "model-0099");
        assert_eq!(fleet.models[100].name, dr::DR_MODEL);
        assert_eq!(fleet.models[100].scope.index, 1);
        // Every generated model (after the eight built-in ones) is healthy at the start.
        for m in &fleet.models[8..100] {
            let h = assess(m, &Rules::default(), start());
            assert_eq!(h.overall, Health::Ok, "{}: {h:?}", m.name);
        }
        // Distinct: unique names, and no two with the same traffic.
        let names: std::collections::BTreeSet<&str> =
            fleet.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names.len(), 100);
        let traffic = |m: &ModelFacts| m.metrics["Invocations"].points.clone();
        for pair in fleet.models[5..].windows(2) {
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
