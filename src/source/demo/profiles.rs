//! The simulated retail fleet: who the models are and what happens to them.

use crate::model::k8s::WorkloadKind;
use crate::model::metrics::names;
use crate::model::ModelKind;

/// What a demo model looks like when nothing is wrong.
#[derive(Clone)]
pub struct Profile {
    pub name: String,
    pub kind: ModelKind,
    pub invocations_per_min: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    /// Business metrics: name, normal value, noise amplitude.
    pub quality: Vec<(&'static str, f64, f64)>,
    pub drift_score: f64,
    /// Raw data age when the demo starts, in seconds.
    pub data_age_at_start: i64,
    pub latest_version: u32,
    pub deployed_version: u32,
    pub latest_pending: bool,
    pub last_training_failed: bool,
    pub instances: u32,
    /// Tagged env=prod: actions need the endpoint's name typed.
    pub protected: bool,
    /// The newest version runs as a canary variant (10% of traffic) beside the
    /// deployed one: a rollback shifts the weights back.
    pub canary: bool,
    /// Trained by Airflow DAGs and registered in MLflow (the second team), not SageMaker.
    pub outside_sagemaker: bool,
    /// Served by a Flask container on ECS Fargate behind a load balancer, fed by a
    /// scheduled Lambda ETL, retrained by Step Functions (the third team).
    pub on_ecs: bool,
    /// Served on EKS (the fourth team): a KServe InferenceService or a FastAPI
    /// Deployment, its metrics from Prometheus.
    pub on_eks: Option<WorkloadKind>,
}

/// A scripted incident and when, after the demo starts, it begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    /// Latency and 5xx errors jump on the model's endpoint.
    LatencySpike,
    /// Several features drift away from the training baseline.
    DriftViolations,
    /// The forecast error climbs past the crit threshold over half a minute.
    MapeBreach,
    /// The team's pipeline retrains the model: a run of `RETRAIN_SECS`, then a new
    /// approved version is deployed and drift and quality recover.
    Retrain,
}

pub struct Scripted {
    pub model: &'static str,
    pub incident: Incident,
    pub after_secs: i64,
}

/// Incidents a user can watch happen within the first minute and a half, and the
/// retrains that fix two of them a minute later. (Stale raw data for churn-detection
/// crosses its crit threshold 40 s in by itself; the 5xx spike waits for a rollback.)
pub const SCRIPT: [Scripted; 6] = [
    Scripted {
        model: "recommendation-engine",
        incident: Incident::LatencySpike,
        after_secs: 15,
    },
    // Task definition upsell-api:8 goes out and its tasks crash: 5xx until rolled back.
    Scripted {
        model: "upsell-api",
        incident: Incident::LatencySpike,
        after_secs: 20,
    },
    Scripted {
        model: "customer-segmentation",
        incident: Incident::DriftViolations,
        after_secs: 30,
    },
    Scripted {
        model: "demand-forecasting",
        incident: Incident::MapeBreach,
        after_secs: 45,
    },
    Scripted {
        model: "demand-forecasting",
        incident: Incident::Retrain,
        after_secs: 150,
    },
    Scripted {
        model: "customer-segmentation",
        incident: Incident::Retrain,
        after_secs: 165,
    },
];

/// How long a scripted retrain runs before its version is deployed.
pub const RETRAIN_SECS: i64 = 30;
/// How long metrics take to settle back after the new version serves.
pub const RECOVER_SECS: f64 = 30.0;

/// The MAPE a breach ramps up to.
pub const MAPE_BREACH: f64 = 18.2;
pub const MAPE_RAMP_SECS: f64 = 30.0;
pub const DRIFTED_FEATURES: [(&str, &str); 3] = [
    ("basket_size", "baseline_drift_check"),
    ("days_since_last_order", "baseline_drift_check"),
    ("avg_order_value", "data_type_check"),
];

/// The eight built-in models (four teams), then `count - 8` generated healthy ones.
pub fn fleet(count: usize) -> Vec<Profile> {
    let hours = |h: i64| h * 3600;
    let mut all = vec![
        Profile {
            name: "demand-forecasting".into(),
            kind: ModelKind::Forecasting,
            invocations_per_min: 1200.0,
            latency_p50_ms: 38.0,
            latency_p99_ms: 160.0,
            quality: vec![(names::MAPE, 8.1, 0.4), (names::RMSE, 41.0, 2.0)],
            drift_score: 0.04,
            data_age_at_start: hours(3),
            latest_version: 12,
            deployed_version: 12,
            latest_pending: false,
            last_training_failed: false,
            instances: 2,
            protected: true,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: None,
        },
        Profile {
            name: "customer-segmentation".into(),
            kind: ModelKind::Segmentation,
            invocations_per_min: 300.0,
            latency_p50_ms: 22.0,
            latency_p99_ms: 95.0,
            quality: vec![(names::SILHOUETTE, 0.68, 0.01)],
            drift_score: 0.05,
            data_age_at_start: hours(5),
            latest_version: 4,
            deployed_version: 4,
            latest_pending: false,
            last_training_failed: false,
            instances: 1,
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: None,
        },
        Profile {
            name: "recommendation-engine".into(),
            kind: ModelKind::Recommendation,
            invocations_per_min: 4200.0,
            latency_p50_ms: 45.0,
            latency_p99_ms: 180.0,
            quality: vec![(names::CTR, 3.4, 0.08), (names::CONVERSION, 1.2, 0.05)],
            drift_score: 0.06,
            data_age_at_start: hours(3),
            // v7 goes out 15 s in (the bad deploy behind the latency spike).
            latest_version: 7,
            deployed_version: 6,
            latest_pending: false,
            last_training_failed: false,
            instances: 3,
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: None,
        },
        Profile {
            name: "churn-detection".into(),
            kind: ModelKind::Classification,
            invocations_per_min: 150.0,
            latency_p50_ms: 18.0,
            latency_p99_ms: 70.0,
            quality: vec![(names::AUC, 0.86, 0.005)],
            drift_score: 0.03,
            data_age_at_start: hours(50) - 40,
            latest_version: 4,
            deployed_version: 3,
            latest_pending: true,
            last_training_failed: true,
            instances: 1,
            protected: true,
            // v4 takes 10% of the traffic while it waits for approval.
            canary: true,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: None,
        },
        // The payments team: Airflow DAGs feed and retrain it, MLflow registers it,
        // SageMaker only serves it. Its last training run failed on bad labels.
        Profile {
            name: "fraud-scoring".into(),
            kind: ModelKind::Classification,
            invocations_per_min: 900.0,
            latency_p50_ms: 12.0,
            latency_p99_ms: 48.0,
            quality: vec![(names::AUC, 0.93, 0.004)],
            drift_score: 0.03,
            data_age_at_start: 1_800,
            latest_version: 10,
            deployed_version: 9,
            latest_pending: false,
            last_training_failed: true,
            instances: 2,
            protected: false,
            canary: false,
            outside_sagemaker: true,
            on_ecs: false,
            on_eks: None,
        },
        // The web team: a Flask model on ECS Fargate behind an ALB, its data loaded
        // by an hourly Lambda whose dead-letter queue fills after a failure.
        Profile {
            name: "upsell-api".into(),
            kind: ModelKind::Classification,
            invocations_per_min: 300.0,
            latency_p50_ms: 25.0,
            latency_p99_ms: 90.0,
            quality: vec![(names::AUC, 0.84, 0.005)],
            drift_score: 0.02,
            data_age_at_start: 2_400,
            latest_version: 8,
            deployed_version: 7,
            latest_pending: false,
            last_training_failed: false,
            instances: 2,
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: true,
            on_eks: None,
        },
        // The platform team on EKS: a KServe model whose canary revision fails
        // (5xx on the canary only) and a FastAPI Deployment, both watched by Prometheus.
        Profile {
            name: "credit-risk".into(),
            kind: ModelKind::Classification,
            invocations_per_min: 600.0,
            latency_p50_ms: 15.0,
            latency_p99_ms: 60.0,
            quality: vec![(names::AUC, 0.89, 0.004)],
            drift_score: 0.03,
            data_age_at_start: 5_400,
            latest_version: 7,
            deployed_version: 6,
            latest_pending: false,
            last_training_failed: false,
            instances: 2,
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: Some(WorkloadKind::Kserve),
        },
        Profile {
            name: "dynamic-pricing".into(),
            kind: ModelKind::Forecasting,
            invocations_per_min: 360.0,
            latency_p50_ms: 30.0,
            latency_p99_ms: 140.0,
            quality: vec![(names::MAPE, 6.4, 0.3)],
            drift_score: 0.02,
            data_age_at_start: 3_000,
            latest_version: 4,
            deployed_version: 4,
            latest_pending: false,
            last_training_failed: false,
            instances: 3,
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: Some(WorkloadKind::Deployment),
        },
    ];
    let kinds = [
        ModelKind::Forecasting,
        ModelKind::Segmentation,
        ModelKind::Recommendation,
        ModelKind::Classification,
    ];
    for i in all.len()..count {
        let generated = Profile {
            name: format!("model-{i:04}"),
            kind: kinds[i % 4],
            latest_pending: false,
            last_training_failed: false,
            data_age_at_start: hours(2 + (i as i64 % 20)),
            latest_version: 1 + (i as u32 % 9),
            deployed_version: 1 + (i as u32 % 9),
            protected: false,
            canary: false,
            outside_sagemaker: false,
            on_ecs: false,
            on_eks: None,
            ..all[i % 4].clone()
        };
        all.push(generated);
    }
    all.truncate(count);
    all
}
