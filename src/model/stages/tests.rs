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
            k8s: None,
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
        metrics_at: None,
        metrics_source: None,
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
        metrics_at: None,
        metrics_source: None,
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

#[test]
fn a_kserve_canarys_own_5xx_is_judged_by_the_5xx_threshold() {
    let mut m = healthy();
    m.metrics.insert(names::ERRORS_5XX.into(), series(21.0));
    assert_eq!(
        stage(&m, Stage::Endpoint).summary,
        "5xx 2.1%",
        "no canary series"
    );
    // Failing on its 10% share: 30% of the canary's requests, 3% of the endpoint's.
    m.metrics
        .insert(names::CANARY_RATE_5XX.into(), series(30.0));
    let s = stage(&m, Stage::Endpoint);
    assert_eq!(s.health, Health::Crit);
    assert!(s.summary.starts_with("canary 5xx 30"), "{s:?}");
    // Both warn: the canary speaks, as the first of equals.
    m.metrics.insert(names::CANARY_RATE_5XX.into(), series(3.0));
    let s = stage(&m, Stage::Endpoint);
    assert_eq!(s.health, Health::Warn);
    assert!(s.summary.starts_with("canary 5xx 3"), "{s:?}");
    // A healthy canary leaves the endpoint's own rate to speak.
    m.metrics.insert(names::CANARY_RATE_5XX.into(), series(0.1));
    assert_eq!(stage(&m, Stage::Endpoint).summary, "5xx 2.1%");
}
