//! The snapshot's JSON schema: output types of its own, so that no refactor of the
//! model changes the keys and values scripts rely on. README documents every key;
//! `tests/it/snapshots.rs` pins them on the demo.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

mod drift;
pub use drift::*;

/// How healthy, as the JSON spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthOut {
    Ok,
    Unknown,
    Warn,
    Crit,
}

impl HealthOut {
    pub fn label(self) -> &'static str {
        match self {
            HealthOut::Ok => "ok",
            HealthOut::Unknown => "unknown",
            HealthOut::Warn => "warn",
            HealthOut::Crit => "crit",
        }
    }

    pub fn glyph(self) -> &'static str {
        match self {
            HealthOut::Ok => "✔",
            HealthOut::Warn => "⚠",
            HealthOut::Crit => "✖",
            HealthOut::Unknown => "?",
        }
    }
}

/// The six stages of a row, left to right.
#[derive(Debug, Serialize)]
pub struct StagesOut {
    pub data: StageOut,
    pub training: StageOut,
    pub registry: StageOut,
    pub endpoint: StageOut,
    pub drift: StageOut,
    pub quality: StageOut,
}

impl StagesOut {
    /// The stages in the pipeline view's order.
    pub fn in_order(&self) -> [&StageOut; 6] {
        [
            &self.data,
            &self.training,
            &self.registry,
            &self.endpoint,
            &self.drift,
            &self.quality,
        ]
    }
}

/// One X-Ray service of the map.
#[derive(Debug, Serialize)]
pub struct ServiceOut {
    pub name: String,
    pub kind: String,
    pub requests: u64,
    pub error_rate: f64,
    pub fault_rate: f64,
    pub throttle_rate: f64,
    pub avg_ms: f64,
    pub p99_ms: Option<f64>,
    pub calls: Vec<String>,
    pub model: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub generated_at: Timestamp,
    /// Set when read from the recorded past (`--at`): when that record was taken.
    pub recorded_at: Option<Timestamp>,
    /// "demo", "aws", or "collector" (read from a collector's state in S3, `--from`).
    pub source: &'static str,
    /// Set when `source` is "collector": who wrote the state, when, and what failed
    /// for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub collector: Option<CollectorOut>,
    pub region: Option<String>,
    pub account: Option<String>,
    pub health: HealthOut,
    pub models: Vec<ModelOut>,
    pub alarms: Vec<AlarmOut>,
    pub errors: Vec<ErrorOut>,
    /// AWS requests this snapshot made, keyed "Service:Operation".
    pub api_calls: BTreeMap<String, u64>,
    pub cost: Option<CostOut>,
    pub traces: Option<TracesOut>,
    /// What the metric polling costs: budget, spend of the last 24 hours, 24 hours at this pace, and
    /// each class of model (on screen, incident, healthy) with its pace.
    pub spending: Option<crate::model::polling::Spending>,
    /// What changed, newest first (at most `CHANGES`): deploys, configs, approvals,
    /// alarms, actions, observed states; each with its model (or null), who and source.
    pub changes: Vec<crate::model::changes::Change>,
    /// Every account × region watched, with what failed there.
    pub scopes: Vec<ScopeOut>,
}

#[derive(Debug, Serialize)]
pub struct CollectorOut {
    pub written_at: Option<Timestamp>,
    pub region: Option<String>,
    pub account: Option<String>,
    /// The collector's own problem lines when it wrote, then the viewer's own
    /// (the state could not be read, or is too old).
    pub errors: Vec<String>,
    /// Where the states are read from.
    pub location: String,
}

#[derive(Debug, Serialize)]
pub struct ScopeOut {
    /// The account id, once STS answered.
    pub account: Option<String>,
    pub region: String,
    /// The account's label from `[[accounts]]`.
    pub label: Option<String>,
    /// Each source that failed there (and STS), in one line each.
    pub errors: Vec<String>,
    /// AWS requests made there.
    pub requests: u64,
}

#[derive(Debug, Serialize)]
pub struct ModelScopeOut {
    pub account: Option<String>,
    pub region: String,
    /// "primary" or "secondary" for a DR pair; null for a model in one region.
    pub role: Option<&'static str>,
}

/// How many changes the snapshot lists.
pub const CHANGES: usize = 100;

#[derive(Debug, Serialize)]
pub struct LastChangeOut {
    #[serde(flatten)]
    pub change: crate::model::changes::Change,
    /// What moved meaningfully across it: metric → {before, after}, means over equal
    /// windows (5–60 minutes) either side.
    pub deltas: BTreeMap<String, DeltaOut>,
}

#[derive(Debug, Serialize)]
pub struct DeltaOut {
    pub before: f64,
    pub after: f64,
}

#[derive(Debug, Serialize)]
pub struct TracesOut {
    pub window_minutes: i64,
    /// Worst first, each with request count, 4xx/5xx/429 rates (%), latency (ms).
    pub services: Vec<ServiceOut>,
    /// Faulty first, then slowest; the worst few with their slowest span.
    pub worst: Vec<TraceOut>,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TraceOut {
    pub id: String,
    pub duration_ms: f64,
    pub http_status: Option<u16>,
    pub fault: bool,
    pub error: bool,
    pub entry: Option<String>,
    /// The span with the most time of its own, when the trace was fetched in full.
    pub culprit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CostOut {
    pub currency: String,
    pub month_to_date: f64,
    /// The whole month's expected cost.
    pub forecast: Option<f64>,
    /// The forecast's 80% interval, [lower, upper].
    pub forecast_interval: Option<[f64; 2]>,
    pub by_service: BTreeMap<String, f64>,
    pub by_model: BTreeMap<String, f64>,
    /// Month to date per account id (a payer's members too).
    pub by_account: BTreeMap<String, f64>,
    /// When Cost Explorer answered (cached answers keep their time).
    pub as_of: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct ModelOut {
    pub name: String,
    /// How the name was found: config, tag, lineage or name, and what matched.
    pub identity: Option<IdentityOut>,
    pub kind: &'static str,
    pub health: HealthOut,
    pub stages: StagesOut,
    pub endpoint: Option<EndpointOut>,
    pub training: Option<TrainingOut>,
    pub registry: RegistryOut,
    /// Raw-data freshness, when config names a location.
    pub data: Option<DataOut>,
    /// Latest value of each metric, and of the error rates derived from them.
    pub metrics: MetricsOut,
    /// When CloudWatch last asked for them (the budget paces healthy models).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_at: Option<Timestamp>,
    pub drift: DriftOut,
    /// Each quality metric judged against its threshold.
    pub quality: BTreeMap<String, QualityOut>,
    /// The newest deploy or config change, and what moved since.
    pub last_change: Option<LastChangeOut>,
    /// Where it is served: one scope, or a DR pair's primary then secondary.
    pub scopes: Vec<ModelScopeOut>,
    /// Whether the secondary could take over, when a pair is known.
    pub failover: Option<crate::model::failover::Failover>,
    /// The environment its endpoint says (`prod`, `staging`, …), when it says one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// For a row before production (staging…): what promoting it would change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct IdentityOut {
    pub by: &'static str,
    pub evidence: String,
    /// Each piece joined to the model (endpoint, package group, jobs, metrics) and how.
    pub pieces: Vec<PieceOut>,
}

#[derive(Debug, Serialize)]
pub struct PieceOut {
    pub what: String,
    pub by: &'static str,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub struct DataOut {
    pub location: String,
    pub newest_object: Option<Timestamp>,
    /// "s3" (newest object) or "airflow" (the ETL DAG's last successful run).
    pub source: &'static str,
    /// The ETL DAG, when DATA comes from Airflow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dag: Option<DagOut>,
    /// The ETL function's own facts, when DATA comes from Lambda.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<LambdaOut>,
}

/// A Lambda function loading a model's data.
#[derive(Debug, Serialize)]
pub struct LambdaOut {
    pub function: String,
    /// The hour it last ran without an error.
    pub last_success: Option<Timestamp>,
    pub last_failure: Option<Timestamp>,
    /// Its dead-letter queue and the messages waiting in it (null: no SQS DLQ).
    pub dlq: Option<String>,
    pub dlq_depth: Option<u64>,
    /// e.g. "rate(1 hour)", and what holds it ("rule NAME", "schedule GROUP/NAME").
    pub schedule: Option<String>,
    pub scheduled_by: Option<String>,
    pub late_minutes: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DagOut {
    pub dag_id: String,
    pub paused: bool,
    pub schedule: Option<String>,
    pub next_due: Option<Timestamp>,
    /// Minutes the next run is overdue, when it is late.
    pub late_minutes: Option<i64>,
    /// The newest run's state (success, failed, running, queued, …).
    pub last_run_state: Option<String>,
    pub failed_task: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StageOut {
    pub health: HealthOut,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct EndpointOut {
    /// "sagemaker" (an endpoint), "ecs" (a service behind a load balancer),
    /// "kserve" (an InferenceService) or "deployment" (a Kubernetes Deployment).
    pub kind: &'static str,
    pub name: String,
    pub status: String,
    /// The endpoint config, or the service's task definition.
    pub config: String,
    pub variants: Vec<VariantOut>,
    /// The current config and the older ones it could go back to, newest first.
    pub history: Vec<ConfigOut>,
    /// An ECS service's own facts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<EcsOut>,
    /// A KServe InferenceService's or a Deployment's own facts.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<WorkloadOut>,
}

/// A model served on Kubernetes.
#[derive(Debug, Serialize)]
pub struct WorkloadOut {
    pub cluster: String,
    pub namespace: String,
    /// The Ready (KServe) or Available (Deployment) condition; null: not said.
    pub ready: Option<bool>,
    pub reason: Option<String>,
    pub url: Option<String>,
    /// Each revision's share, the latest first (KServe).
    pub traffic: Vec<TrafficOut>,
    /// What a rollback sends all traffic back to (KServe).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_revision: Option<String>,
    pub storage_uri: Option<String>,
    pub image: Option<String>,
    pub replicas: Option<crate::model::k8s::Replicas>,
    /// Deployment: Progressing's reason (NewReplicaSetAvailable, ReplicaSetUpdated,
    /// ProgressDeadlineExceeded).
    pub rollout: Option<String>,
    pub pods: PodsOut,
}

#[derive(Debug, Serialize)]
pub struct TrafficOut {
    pub revision: String,
    pub percent: u32,
    pub latest: bool,
}

#[derive(Debug, Serialize)]
pub struct PodsOut {
    /// null when the pods could not be read.
    pub count: Option<u32>,
    pub restarts: Option<u32>,
    pub waiting: Option<String>,
    pub last_termination: Option<String>,
}

/// The latest value of each metric, and where they came from when not CloudWatch.
#[derive(Debug, Serialize)]
pub struct MetricsOut {
    #[serde(flatten)]
    pub values: BTreeMap<String, f64>,
    /// "prometheus" for a model served on Kubernetes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
}

/// An ECS service serving a model.
#[derive(Debug, Serialize)]
pub struct EcsOut {
    /// "cluster/service".
    pub service: String,
    pub running: u32,
    pub desired: u32,
    /// "family:revision" serving now.
    pub task_definition: String,
    pub image: Option<String>,
    /// What rollback deploys: the family's revision before the current one.
    pub previous_task_definition: Option<String>,
    /// The newest deployment's rollout state (IN_PROGRESS, COMPLETED, FAILED) and why.
    pub rollout: Option<String>,
    pub rollout_reason: Option<String>,
    /// null when the targets' health could not be read.
    pub targets_unhealthy: Option<usize>,
    /// Recently stopped tasks, newest first.
    pub stopped_tasks: Vec<StoppedOut>,
}

#[derive(Debug, Serialize)]
pub struct StoppedOut {
    pub task_definition: String,
    pub stopped_at: Option<Timestamp>,
    pub reason: String,
    pub exit_code: Option<i32>,
}

#[derive(Debug, Serialize)]
pub struct ConfigOut {
    pub config: String,
    pub created: Timestamp,
    pub model: Option<String>,
    pub model_version: Option<u32>,
    /// Why it is the endpoint's past (lineage, CloudTrail, or the name rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct VariantOut {
    pub name: String,
    pub weight: f64,
    pub instances: u32,
    /// The package version it serves, when lineage finds it.
    pub model_version: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct TrainingOut {
    pub name: String,
    /// As SageMaker spells it: Completed, Failed, InProgress, Stopping, Stopped.
    pub status: &'static str,
    pub failure_reason: Option<String>,
    /// The job that wrote what the endpoint serves, when lineage finds it.
    pub serving: Option<String>,
    /// Who ran it: "sagemaker" (a job), "pipeline", "airflow", "mlflow" or "stepfunctions".
    pub source: &'static str,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    /// The DAG task that failed (Airflow).
    pub failed_task: Option<String>,
    /// The state a failed execution failed in (Step Functions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_state: Option<String>,
    /// The failed task's last error lines (Airflow).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
    /// Key metrics the run logged (MLflow).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
}

#[derive(Debug, Serialize)]
pub struct RegistryOut {
    /// "sagemaker" or "mlflow"; null when the model has no registry.
    pub source: Option<&'static str>,
    pub versions: Vec<VersionOut>,
}

#[derive(Debug, Serialize)]
pub struct VersionOut {
    pub version: u32,
    /// As AWS spells it: Approved, PendingManualApproval, Rejected.
    pub approval: &'static str,
    pub deployed: bool,
    /// MLflow aliases pointing at it (empty when none).
    pub aliases: Vec<String>,
    /// MLflow's legacy stage (Production, Staging, Archived), when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AlarmOut {
    pub name: String,
    /// Alarm, InsufficientData or Ok.
    pub state: &'static str,
    pub reason: String,
    pub since: Timestamp,
    pub model: Option<String>,
    /// Its AlarmActions (SNS topics, …): `[]` pages nobody; absent when not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifies: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct ErrorOut {
    pub source: String,
    pub message: String,
}
