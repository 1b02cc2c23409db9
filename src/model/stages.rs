//! From facts and rules to each stage's health and a short fact for its cell.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::facts::{
    Alarm, AlarmState, Approval, MlflowVersion, ModelFacts, RunSource, RunStatus, TrainingRun,
};
use super::format;
use super::health::Health;
use super::metrics::{names, rate_percent, Series};
use super::rules::Rules;

pub use super::stage::Stage;

pub use super::cell::StageStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHealth {
    pub overall: Health,
    /// In `Stage::ALL` order: one per stage, by construction.
    pub stages: [StageStatus; 6],
}

impl ModelHealth {
    pub fn stage(&self, stage: Stage) -> &StageStatus {
        let [data, training, registry, endpoint, drift, quality] = &self.stages;
        match stage {
            Stage::Data => data,
            Stage::Training => training,
            Stage::Registry => registry,
            Stage::Endpoint => endpoint,
            Stage::Drift => drift,
            Stage::Quality => quality,
        }
    }
}

/// Judges every stage of one model from its facts alone (no alarms).
pub fn assess(m: &ModelFacts, rules: &Rules, now: Timestamp) -> ModelHealth {
    assess_with_alarms(m, &[], rules, now)
}

/// Judges every stage of one model. A row's health is the worst of its stages,
/// except that `Unknown` stages (nothing configured to look at) do not hide a green row.
/// A firing alarm of the model makes the stage its metric belongs to at least warn.
pub fn assess_with_alarms(
    m: &ModelFacts,
    alarms: &[Alarm],
    rules: &Rules,
    now: Timestamp,
) -> ModelHealth {
    let stages: [StageStatus; 6] = Stage::ALL.map(|s| {
        let status = match s {
            Stage::Data => super::freshness::judge(m, rules, now),
            Stage::Training => training(m, now),
            Stage::Registry => registry(m),
            Stage::Endpoint => endpoint(m, rules),
            Stage::Drift => super::drift::judge(m, rules, now),
            Stage::Quality => quality(m, rules, now),
        };
        with_alarms(status, s, &m.name, alarms)
    });
    let known = stages
        .iter()
        .map(|s| s.health)
        .filter(|h| *h != Health::Unknown);
    let overall = Health::worst(known);
    ModelHealth { overall, stages }
}

/// An alarm in ALARM on the stage's metric: at least a warning, and when it is what
/// made the cell bad, the cell names it.
fn with_alarms(status: StageStatus, stage: Stage, model: &str, alarms: &[Alarm]) -> StageStatus {
    let firing = alarms.iter().find(|a| {
        a.state == AlarmState::Alarm && a.stage == Some(stage) && a.model.as_deref() == Some(model)
    });
    match firing {
        Some(a) if status.health < Health::Warn => StageStatus {
            in_progress: status.in_progress,
            ..StageStatus::new(Health::Warn, format!("alarm {}", a.name)).brief("alarm")
        },
        _ => status,
    }
}

fn training(m: &ModelFacts, now: Timestamp) -> StageStatus {
    let Some(run) = m.training.first() else {
        return StageStatus::unknown();
    };
    let status = training_status(run, now);
    // Runs outside SageMaker name who ran them.
    match run.source {
        RunSource::Airflow | RunSource::Mlflow | RunSource::StepFunctions => StageStatus {
            summary: format!("{} ({})", status.summary, run.source.label()),
            ..status
        },
        RunSource::SageMaker | RunSource::Pipeline => status,
    }
}

fn training_status(run: &TrainingRun, now: Timestamp) -> StageStatus {
    match run.status {
        RunStatus::Completed => {
            let ended = run.ended.unwrap_or(run.started);
            StageStatus::new(Health::Ok, format!("{} ago", format::age_since(ended, now))).brief(
                format!("{} ago", format::age_brief(now.duration_since(ended))),
            )
        }
        RunStatus::InProgress => StageStatus::new(
            Health::Ok,
            format!(
                "{} {}",
                run.secondary_status.as_deref().unwrap_or("run"),
                format::age_since(run.started, now)
            ),
        )
        .brief("running")
        .busy(),
        RunStatus::Failed => match run
            .detail
            .failed_task
            .as_ref()
            .or(run.detail.failed_state.as_ref())
        {
            Some(task) => StageStatus::new(Health::Crit, format!("Failed {task}")).brief("Failed"),
            None => StageStatus::new(Health::Crit, "Failed"),
        },
        RunStatus::Stopping => StageStatus::new(Health::Warn, "Stopping").busy(),
        RunStatus::Stopped => StageStatus::new(Health::Warn, "Stopped"),
    }
}

fn registry(m: &ModelFacts) -> StageStatus {
    let Some(latest) = m.registry.first() else {
        return StageStatus::unknown();
    };
    if let Some(mlflow) = &latest.mlflow {
        return mlflow_registry(latest.version, mlflow);
    }
    let summary = format!("v{} {}", latest.version, latest.approval.short());
    match latest.approval {
        Approval::Approved | Approval::Rejected => {
            StageStatus::new(Health::Ok, summary).brief(format!("v{}", latest.version))
        }
        Approval::PendingManualApproval => StageStatus::new(Health::Warn, summary).busy(),
    }
}

/// MLflow's newest version: its alias (or legacy stage), a failed registration warns,
/// a pending one is under way. Versions without an alias await nobody: no warning.
fn mlflow_registry(version: u32, v: &MlflowVersion) -> StageStatus {
    let label = v
        .aliases
        .first()
        .cloned()
        .or_else(|| v.stage.clone())
        .unwrap_or_default();
    let summary = format!("v{version} {label}").trim_end().to_string();
    match v.status.as_str() {
        "FAILED_REGISTRATION" => {
            StageStatus::new(Health::Warn, format!("v{version} failed")).brief("failed")
        }
        "PENDING_REGISTRATION" => {
            StageStatus::new(Health::Ok, format!("v{version} pending")).busy()
        }
        _ => StageStatus::new(Health::Ok, summary).brief(format!("v{version}")),
    }
}

/// Error rates derived from the endpoint's counts.
pub fn error_rates(m: &ModelFacts) -> [(&'static str, Series); 2] {
    let inv = m
        .metrics
        .get(names::INVOCATIONS)
        .cloned()
        .unwrap_or_default();
    let rate = |errors: &str| {
        m.metrics
            .get(errors)
            .map(|e| rate_percent(e, &inv))
            .unwrap_or_default()
    };
    [
        (names::RATE_5XX, rate(names::ERRORS_5XX)),
        (names::RATE_4XX, rate(names::ERRORS_4XX)),
    ]
}

/// The status given to an endpoint that config names but the region does not have.
pub const NOT_FOUND: &str = "NotFound";

fn endpoint(m: &ModelFacts, rules: &Rules) -> StageStatus {
    let Some(ep) = &m.endpoint else {
        return StageStatus::unknown();
    };
    // Updating, Creating, ...: still serving the old model, so its metrics still count
    // (a rollback in flight keeps the row red until it lands).
    let (busy, ecs_trouble) = match &ep.ecs {
        Some(ecs) => match super::ecs_health::trouble(ecs) {
            Some(t) if t.health == Health::Crit => return t,
            Some(t) => (t.in_progress, Some(t)),
            None => (false, None),
        },
        None => match ep.status.as_str() {
            "InService" => (false, None),
            "Failed" | "OutOfService" | "Deleting" | NOT_FOUND => {
                return StageStatus::new(Health::Crit, ep.status.clone())
            }
            _ => (true, None),
        },
    };
    let [rate5, rate4] = error_rates(m);
    let latency = m
        .metrics
        .get(names::LATENCY_P99)
        .cloned()
        .unwrap_or_default();
    let checks = [rate5, (names::LATENCY_P99, latency), rate4];
    // On a tie the first check wins: errors hurt callers more than slowness.
    let worst = checks
        .iter()
        .rev()
        .filter_map(|(name, series)| {
            let value = series.latest()?.1;
            let health = rules.threshold(&m.name, name)?.evaluate(Some(value));
            Some((health, *name, value))
        })
        .max_by_key(|(h, _, _)| *h);
    let by_metrics = worst.map_or(Health::Ok, |(h, _, _)| h);
    if busy {
        let under_way =
            ecs_trouble.unwrap_or_else(|| StageStatus::new(by_metrics, ep.status.clone()).busy());
        return StageStatus {
            health: by_metrics.max(under_way.health),
            ..under_way
        };
    }
    // A service's own trouble (missing tasks, unhealthy targets) speaks unless a
    // metric is worse.
    let trouble_health = ecs_trouble.as_ref().map_or(Health::Ok, |t| t.health);
    match (worst, ecs_trouble) {
        (Some((h, name, value)), _) if h > trouble_health => {
            metric_status(h, name, format::value(name, value))
        }
        (_, Some(trouble)) => trouble,
        _ => match &ep.ecs {
            Some(ecs) => super::ecs_health::up(ecs),
            None => StageStatus::new(Health::Ok, "InService").brief("up"),
        },
    }
}

/// "MAPE 18.2%", briefly "18.2%": the value is what must survive a narrow column.
fn metric_status(h: Health, metric: &str, text: String) -> StageStatus {
    StageStatus::new(h, format!("{} {text}", format::short_name(metric))).brief(text)
}

fn quality(m: &ModelFacts, rules: &Rules, now: Timestamp) -> StageStatus {
    let judged = super::quality::judge(m, rules, now);
    match super::quality::shown(&judged) {
        Some(j) => {
            let text = format::value_as(j.value.unwrap_or(f64::NAN), j.percent);
            let mut status = metric_status(j.health, &j.metric, text);
            if j.stale {
                status.summary.push_str(" (old)");
            }
            status
        }
        None => StageStatus::unknown(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use jiff::{SignedDuration, Timestamp};

    use super::*;
    use crate::model::facts::*;

    fn now() -> Timestamp {
        Timestamp::from_second(1_790_000_000).unwrap()
    }

    fn ago(hours: f64) -> Timestamp {
        now() - SignedDuration::from_secs_f64(hours * 3600.0)
    }

    fn series(v: f64) -> Series {
        Series::new(vec![(ago(0.1), v)])
    }

    fn healthy() -> ModelFacts {
        ModelFacts {
            name: "demand-forecasting".into(),
            kind: ModelKind::Forecasting,
            data: Some(DataFacts {
                lambda: None,
                location: "s3://raw/demand/".into(),
                newest_object: Some(ago(3.0)),
                source: crate::model::facts::DataSource::S3,
            }),
            training: vec![TrainingRun {
                name: "job-1".into(),
                status: RunStatus::Completed,
                started: ago(50.0),
                ended: Some(ago(49.0)),
                failure_reason: None,
                objective: None,
                secondary_status: None,
                execution_arn: None,
                serving: false,
                source: crate::model::facts::RunSource::SageMaker,
                detail: Default::default(),
            }],
            registry: vec![ModelVersion {
                version: 12,
                approval: Approval::Approved,
                created: ago(48.0),
                deployed: true,
                source: crate::model::facts::RegistrySource::SageMaker,
                mlflow: None,
                arn: None,
            }],
            endpoint: Some(EndpointFacts {
                ecs: None,
                name: "demand".into(),
                status: "InService".into(),
                failure_reason: None,
                config_name: "demand-v12".into(),
                variants: vec![],
                config_history: vec![],
                protected: None,
                artifact: None,
            }),
            drift: DriftFacts {
                violations: vec![],
                report_time: Some(ago(1.0)),
                ..DriftFacts::default()
            },
            metrics: BTreeMap::from([
                (names::MAPE.to_string(), series(8.0)),
                (names::INVOCATIONS.to_string(), series(1000.0)),
                (names::ERRORS_5XX.to_string(), series(2.0)),
            ]),
            pipeline: None,
            identity: None,
            aliases: vec![],
            published: BTreeMap::new(),
            dags: Vec::new(),
            stale: Vec::new(),
            scope: Default::default(),
            environment: None,
        }
    }

    fn stage(m: &ModelFacts, s: Stage) -> StageStatus {
        assess(m, &Rules::default(), now()).stage(s).clone()
    }

    #[test]
    fn healthy_model_is_ok_everywhere() {
        let h = assess(&healthy(), &Rules::default(), now());
        assert_eq!(h.overall, Health::Ok);
        assert!(h.stages.iter().all(|s| s.health == Health::Ok), "{h:?}");
        assert_eq!(h.stage(Stage::Quality).summary, "MAPE 8.0%");
        assert_eq!(h.stage(Stage::Data).summary, "3h");
        assert_eq!(h.stage(Stage::Registry).summary, "v12 appr");
        assert_eq!(h.stage(Stage::Registry).brief, "v12");
        assert_eq!(h.stage(Stage::Training).brief, "2d ago");
        assert!(
            h.stages.iter().all(|s| s.brief.chars().count() <= 7),
            "{h:?}"
        );
    }

    #[test]
    fn mape_breach_makes_quality_and_row_crit() {
        let mut m = healthy();
        m.metrics.insert(names::MAPE.into(), series(18.2));
        let h = assess(&m, &Rules::default(), now());
        assert_eq!(h.stage(Stage::Quality).health, Health::Crit);
        assert_eq!(h.stage(Stage::Quality).summary, "MAPE 18.2%");
        assert_eq!(h.stage(Stage::Quality).brief, "18.2%");
        assert_eq!(h.overall, Health::Crit);
    }

    #[test]
    fn data_age_uses_hour_thresholds() {
        let mut m = healthy();
        m.data.as_mut().unwrap().newest_object = Some(ago(30.0));
        assert_eq!(stage(&m, Stage::Data).health, Health::Warn);
        m.data.as_mut().unwrap().newest_object = Some(ago(51.0));
        assert_eq!(stage(&m, Stage::Data).health, Health::Crit);
        assert_eq!(stage(&m, Stage::Data).summary, "2d 3h");
    }

    #[test]
    fn training_outside_sagemaker_names_its_source_and_failed_task() {
        let mut m = healthy();
        m.training[0].source = RunSource::Airflow;
        m.training[0].status = RunStatus::Failed;
        m.training[0].detail.failed_task = Some("fit".into());
        let h = assess(&m, &Rules::default(), now());
        assert_eq!(h.stage(Stage::Training).summary, "Failed fit (airflow)");
        assert_eq!(h.stage(Stage::Training).brief, "Failed");
    }

    #[test]
    fn an_mlflow_registry_shows_its_alias_and_warns_only_on_a_failed_registration() {
        use crate::model::facts::MlflowVersion;
        let mut m = healthy();
        m.registry[0].approval = Approval::PendingManualApproval;
        m.registry[0].mlflow = Some(Box::new(MlflowVersion {
            aliases: vec!["challenger".into()],
            status: "READY".into(),
            ..MlflowVersion::default()
        }));
        let reg = |m: &ModelFacts| {
            assess(m, &Rules::default(), now())
                .stage(Stage::Registry)
                .clone()
        };
        assert_eq!(
            (reg(&m).health, reg(&m).summary),
            (Health::Ok, format!("v{} challenger", m.registry[0].version))
        );
        m.registry[0].mlflow.as_mut().unwrap().status = "FAILED_REGISTRATION".into();
        assert_eq!(reg(&m).health, Health::Warn);
    }

    #[test]
    fn failed_training_is_crit() {
        let mut m = healthy();
        m.training[0].status = RunStatus::Failed;
        assert_eq!(stage(&m, Stage::Training).health, Health::Crit);
        assert_eq!(stage(&m, Stage::Training).summary, "Failed");
    }

    #[test]
    fn pending_approval_warns_and_is_in_progress() {
        let mut m = healthy();
        m.registry[0].approval = Approval::PendingManualApproval;
        let s = stage(&m, Stage::Registry);
        assert_eq!((s.health, s.in_progress), (Health::Warn, true));
        assert_eq!(s.summary, "v12 pend");
    }

    #[test]
    fn five_xx_rate_is_derived_from_counts() {
        let mut m = healthy();
        m.metrics.insert(names::ERRORS_5XX.into(), series(21.0));
        let s = stage(&m, Stage::Endpoint);
        assert_eq!(s.health, Health::Warn);
        assert_eq!(s.summary, "5xx 2.1%");
        m.metrics.insert(names::LATENCY_P99.into(), series(700.0));
        assert_eq!(
            stage(&m, Stage::Endpoint).summary,
            "5xx 2.1%",
            "5xx wins a tie"
        );
        m.metrics.insert(names::ERRORS_5XX.into(), series(65.0));
        assert_eq!(stage(&m, Stage::Endpoint).health, Health::Crit);
    }

    #[test]
    fn failed_endpoint_is_crit_and_updating_is_busy() {
        let mut m = healthy();
        m.endpoint.as_mut().unwrap().status = "Failed".into();
        assert_eq!(stage(&m, Stage::Endpoint).health, Health::Crit);
        m.endpoint.as_mut().unwrap().status = "Updating".into();
        let s = stage(&m, Stage::Endpoint);
        assert!(s.in_progress);
        assert_eq!(s.summary, "Updating");
        assert_eq!(s.health, Health::Ok);
    }

    #[test]
    fn an_updating_endpoint_still_serving_errors_stays_crit() {
        let mut m = healthy();
        m.endpoint.as_mut().unwrap().status = "Updating".into();
        m.metrics.insert(names::ERRORS_5XX.into(), series(90.0));
        let s = stage(&m, Stage::Endpoint);
        assert_eq!((s.health, s.in_progress), (Health::Crit, true));
        assert_eq!(s.summary, "Updating");
    }

    #[test]
    fn drift_violations_count_features() {
        let mut m = healthy();
        m.drift.violations = (0..3)
            .map(|i| Violation {
                feature: format!("f{i}"),
                check: "baseline_drift_check".into(),
                description: String::new(),
            })
            .collect();
        let s = stage(&m, Stage::Drift);
        assert_eq!((s.health, s.summary.as_str()), (Health::Warn, "3 feat"));
    }

    #[test]
    fn per_feature_drift_uses_its_own_threshold_else_the_default() {
        let mut m = healthy();
        m.drift.report_time = None;
        m.metrics.remove(names::DRIFT_SCORE);
        let key = |f: &str| format!("{}{f}", names::FEATURE_DRIFT_PREFIX);
        m.metrics.insert(key("basket_size"), series(0.15));
        m.metrics.insert(key("region"), series(0.05));
        let s = stage(&m, Stage::Drift);
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Warn, "basket_size 0.15")
        );
        let mut rules = Rules::default();
        rules.per_model.insert(
            m.name.clone(),
            [(key("region"), crate::model::Threshold::above(0.01, 0.04))].into(),
        );
        let s = assess(&m, &rules, now()).stage(Stage::Drift).clone();
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Crit, "region 0.05")
        );
    }

    #[test]
    fn a_failed_monitoring_run_or_bad_report_is_a_warning_not_green() {
        let mut m = healthy();
        m.drift.violations.clear();
        m.metrics.remove(names::DRIFT_SCORE);
        m.drift.monitoring = Some(MonitoringRun {
            schedule: "s".into(),
            status: "Failed".into(),
            failure_reason: Some("Job inputs had no data".into()),
            scheduled: ago(3.0),
        });
        let s = stage(&m, Stage::Drift);
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Warn, "mon failed 3h")
        );
        m.drift.monitoring = Some(MonitoringRun {
            status: "Completed".into(),
            failure_reason: None,
            scheduled: ago(30.0),
            schedule: "s".into(),
        });
        let s = stage(&m, Stage::Drift);
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Warn, "mon idle 1d 6h")
        );
        m.drift.monitoring = None;
        m.drift.report_problem = Some("constraint_violations.json is truncated".into());
        assert_eq!(stage(&m, Stage::Drift).health, Health::Warn);
    }

    #[test]
    fn missing_stage_data_is_unknown_and_does_not_hide_other_health() {
        let mut m = healthy();
        m.data = None;
        m.metrics.clear();
        let h = assess(&m, &Rules::default(), now());
        assert_eq!(h.stage(Stage::Data).health, Health::Unknown);
        assert_eq!(h.stage(Stage::Quality).health, Health::Unknown);
        assert_eq!(h.overall, Health::Ok);
    }

    #[test]
    fn nothing_known_is_unknown_overall() {
        let m = ModelFacts {
            name: "x".into(),
            kind: ModelKind::Other,
            data: None,
            training: vec![],
            registry: vec![],
            endpoint: None,
            drift: DriftFacts::default(),
            metrics: BTreeMap::new(),
            pipeline: None,
            identity: None,
            aliases: vec![],
            published: BTreeMap::new(),
            dags: Vec::new(),
            stale: Vec::new(),
            scope: Default::default(),
            environment: None,
        };
        assert_eq!(
            assess(&m, &Rules::default(), now()).overall,
            Health::Unknown
        );
    }

    #[test]
    fn quality_shows_the_worst_metric() {
        let mut m = healthy();
        m.kind = ModelKind::Recommendation;
        m.metrics.insert(names::CTR.into(), series(3.4));
        m.metrics.insert(names::CONVERSION.into(), series(0.4));
        let s = stage(&m, Stage::Quality);
        assert_eq!((s.health, s.summary.as_str()), (Health::Crit, "CVR 0.4%"));
    }
}
