//! What the sources know about the fleet: plain data, filled by AWS sources or the demo.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use super::cost::{CostSummary, Forecast};
use super::identity::Identity;
use super::metrics::Series;
pub use super::runs::{RunDetail, RunSource, RunStatus, TrainingRun};
use super::units::Published;

/// Everything gathered about the fleet at one moment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fleet {
    pub models: Vec<ModelFacts>,
    pub alarms: Vec<Alarm>,
    // Boxed: updates carry fleets by value, and these are large and rarely change.
    pub cost: Option<Box<CostSummary>>,
    pub traces: Option<Box<super::traces::TraceFacts>>,
    /// What the session's metric polling costs and how it is paced (CloudWatch).
    #[serde(default)]
    pub spending: Option<Box<super::polling::Spending>>,
    /// What changed, as the sources that record changes tell it (CloudTrail, alarm
    /// history, the demo); joined to models by `changes::timeline`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<super::changes::Change>,
    /// Route 53 failover records that a model's name, endpoint or region appears in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<super::failover::DnsFailover>,
}

/// What kind of model it is decides which business metric matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    Forecasting,
    Segmentation,
    Recommendation,
    Classification,
    #[default]
    Other,
}

impl ModelKind {
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Forecasting => "forecasting",
            ModelKind::Segmentation => "segmentation",
            ModelKind::Recommendation => "recommendation",
            ModelKind::Classification => "classification",
            ModelKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFacts {
    pub name: String,
    pub kind: ModelKind,
    pub data: Option<DataFacts>,
    /// Newest first.
    pub training: Vec<TrainingRun>,
    /// Newest first.
    pub registry: Vec<ModelVersion>,
    pub endpoint: Option<EndpointFacts>,
    pub drift: DriftFacts,
    /// Metric name (see `metrics::names`) to its recent values.
    pub metrics: BTreeMap<String, Series>,
    /// When CloudWatch last asked for them: the budget paces a healthy model's
    /// series, so its charts can be older than the rest of the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_at: Option<jiff::Timestamp>,
    /// Where its endpoint metrics came from when not CloudWatch (Prometheus).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_source: Option<super::source_id::SourceId>,
    /// The SageMaker Pipeline that retrains the model, when one is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<String>,
    /// How the row's name was found and how each piece was joined to it.
    pub identity: Option<Identity>,
    /// Other names sources may know the model by (endpoint, package group, SageMaker
    /// model): what rows of other sources join on.
    pub aliases: Vec<String>,
    /// The team's own metrics (by key in `metrics`) and how their numbers were read.
    pub published: BTreeMap<String, Published>,
    /// The model's Airflow DAGs (ETL and training), when Airflow is configured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dags: Vec<super::dags::DagFacts>,
    /// Facts that could not be refreshed this time: the cells they decide show the
    /// last good ones, marked, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<StaleFacts>,
    /// The account and region it came from, and its disaster-recovery pair.
    #[serde(default)]
    pub scope: super::scope::ScopeFacts,
    /// Where it runs when its endpoint says (`prod`, `staging`, `dev`, `qa`,
    /// `canary`): rows of one model in several environments stand side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

/// A part of one model's facts that a source could not refresh (one describe failed
/// while the rest of the refresh stood).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleFacts {
    /// The source that could not refresh them.
    pub source: super::source_id::SourceId,
    /// The stages whose cells show old facts.
    pub stages: Vec<super::stage::Stage>,
    /// When the facts shown were gathered; None when there never were any.
    pub since: Option<Timestamp>,
    /// What failed, e.g. "sagemaker:DescribeEndpoint: throttled".
    pub why: String,
}

impl StaleFacts {
    /// `source` could not refresh `stages`: `why`, and since when the facts shown
    /// were gathered (None: there never were any).
    pub fn new(
        source: super::source_id::SourceId,
        stages: &[super::stage::Stage],
        why: impl Into<String>,
        since: Option<Timestamp>,
    ) -> StaleFacts {
        StaleFacts {
            source,
            stages: stages.to_vec(),
            since,
            why: why.into(),
        }
    }
}

/// Raw-data freshness: the newest object under the model's input prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFacts {
    pub location: String,
    /// The newest object, or the end of the ETL DAG's last successful run.
    pub newest_object: Option<Timestamp>,
    /// Objects in S3, or the runs of an ETL DAG (the model's `dags`).
    #[serde(default)]
    pub source: DataSource,
    /// The Lambda function that loads it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lambda: Option<Box<super::etl::LambdaEtl>>,
}

/// Where a model's data freshness comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataSource {
    #[default]
    S3,
    Airflow,
    Lambda,
}

impl DataSource {
    pub fn label(self) -> &'static str {
        match self {
            DataSource::S3 => "s3",
            DataSource::Airflow => "airflow",
            DataSource::Lambda => "lambda",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Approval {
    Approved,
    PendingManualApproval,
    Rejected,
}

impl Approval {
    /// As AWS spells it (ModelApprovalStatus).
    pub fn aws_name(self) -> &'static str {
        match self {
            Approval::Approved => "Approved",
            Approval::PendingManualApproval => "PendingManualApproval",
            Approval::Rejected => "Rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Approval::Approved => "Approved",
            Approval::PendingManualApproval => "Pending",
            Approval::Rejected => "Rejected",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Approval::Approved => "appr",
            Approval::PendingManualApproval => "pend",
            Approval::Rejected => "rej",
        }
    }
}

/// One model package version in the registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersion {
    pub version: u32,
    pub approval: Approval,
    pub created: Timestamp,
    pub deployed: bool,
    /// What UpdateModelPackage names it by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// SageMaker's model registry or MLflow's.
    #[serde(default)]
    pub source: RegistrySource,
    /// What MLflow says beyond SageMaker's approval (aliases, legacy stage, run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mlflow: Option<Box<MlflowVersion>>,
}

/// Which registry a version is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrySource {
    #[default]
    SageMaker,
    Mlflow,
}

impl RegistrySource {
    pub fn label(self) -> &'static str {
        match self {
            RegistrySource::SageMaker => "sagemaker",
            RegistrySource::Mlflow => "mlflow",
        }
    }
}

/// An MLflow model version's own facts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MlflowVersion {
    /// The registered model's name in MLflow (what its REST calls take).
    pub model: String,
    /// Aliases pointing at it, e.g. champion, challenger.
    pub aliases: Vec<String>,
    /// The legacy stage: None, Staging, Production or Archived.
    pub stage: Option<String>,
    /// MLflow's status: READY, PENDING_REGISTRATION or FAILED_REGISTRATION.
    pub status: String,
    pub run_id: Option<String>,
    /// Where its artifacts are (`source`), what a serving model's data URL is matched with.
    pub artifact: Option<String>,
}

impl ModelVersion {
    /// Its aliases (MLflow's; SageMaker versions have none).
    pub fn aliases(&self) -> &[String] {
        self.mlflow.as_deref().map_or(&[], |m| m.aliases.as_slice())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointFacts {
    /// The endpoint's name, or the ECS service's.
    pub name: String,
    /// SageMaker's EndpointStatus, e.g. InService, Updating, Failed.
    pub status: String,
    pub failure_reason: Option<String>,
    pub config_name: String,
    pub variants: Vec<Variant>,
    /// Endpoint configs this endpoint has served, newest first: the rollback targets.
    pub config_history: Vec<EndpointConfigRef>,
    /// The artifact its (first) model serves, e.g. "s3://…/model.tar.gz": what an
    /// MLflow version's artifact location is matched with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    /// Why actions on it need its name typed (config, or a tag like env=prod).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protected: Option<String>,
    /// Set when an ECS service serves the model instead of a SageMaker endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecs: Option<Box<super::ecs::EcsService>>,
    /// Set when a KServe InferenceService or a Deployment on Kubernetes serves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k8s: Option<Box<super::k8s::Workload>>,
}

/// What serves a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    SageMaker,
    Ecs,
    Kserve,
    Deployment,
}

impl EndpointKind {
    /// As the snapshot JSON spells it.
    pub fn label(self) -> &'static str {
        match self {
            EndpointKind::SageMaker => "sagemaker",
            EndpointKind::Ecs => "ecs",
            EndpointKind::Kserve => "kserve",
            EndpointKind::Deployment => "deployment",
        }
    }
}

impl EndpointFacts {
    pub fn kind(&self) -> EndpointKind {
        use super::k8s::WorkloadKind;
        match (&self.ecs, self.k8s.as_deref().map(|w| w.kind)) {
            (Some(_), _) => EndpointKind::Ecs,
            (_, Some(WorkloadKind::Kserve)) => EndpointKind::Kserve,
            (_, Some(WorkloadKind::Deployment)) => EndpointKind::Deployment,
            (None, None) => EndpointKind::SageMaker,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub weight: f64,
    pub instances: u32,
    /// The model package version it serves, when its model came from the registry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_version: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfigRef {
    pub name: String,
    pub created: Timestamp,
    /// The SageMaker model its (first) variant serves.
    pub model: Option<String>,
    pub model_version: Option<u32>,
    /// Why it is in the endpoint's history ("served v2 of the same package group",
    /// a deploy CloudTrail recorded, or the name rule's last resort), and how sure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<(super::identity::JoinedBy, String)>,
}

/// What Model Monitor, the team's own job or the captured traffic says about drift.
/// Per-feature drift scores and a team's DriftScore live with the other metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftFacts {
    /// The newest report's violations.
    pub violations: Vec<Violation>,
    pub report_time: Option<Timestamp>,
    /// Where the newest report is, e.g. "s3://bucket/…/constraint_violations.json".
    pub report: Option<String>,
    /// Why the report could not be read (malformed, too large, denied).
    pub report_problem: Option<String>,
    /// The newest run of the model's data-quality monitoring schedule.
    pub monitoring: Option<MonitoringRun>,
    /// Where the schedule writes its reports ("s3://bucket/prefix/").
    pub reports_at: Option<String>,
    /// Drift computed from the endpoint's captured traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured: Option<super::captured::CapturedDrift>,
}

/// One execution of a monitoring schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringRun {
    pub schedule: String,
    /// SageMaker's MonitoringExecutionStatus, e.g. Completed, Failed, CompletedWithViolations.
    pub status: String,
    pub failure_reason: Option<String>,
    pub scheduled: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub feature: String,
    pub check: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmState {
    Alarm,
    InsufficientData,
    Ok,
}

impl AlarmState {
    pub fn label(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alarm {
    pub name: String,
    pub state: AlarmState,
    pub reason: String,
    pub since: Timestamp,
    /// The model whose endpoint or metric the alarm watches, when known.
    pub model: Option<String>,
    /// The stage its metric belongs to (endpoint metrics, business metrics, drift).
    pub stage: Option<super::stage::Stage>,
    /// The scope whose CloudWatch it is in.
    #[serde(default)]
    pub scope: super::scope::ScopeIx,
    /// What it notifies when it fires (its AlarmActions: SNS topics, PagerDuty,
    /// Lambda…); empty: it pages nobody. None: not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifies: Option<Vec<String>>,
}

impl ModelFacts {
    /// The version its endpoint serves: the variant with the most weight, else the
    /// registry's deployed one.
    pub fn served_version(&self) -> Option<u32> {
        let e = self.endpoint.as_ref()?;
        e.variants
            .iter()
            .filter(|v| v.model_version.is_some())
            .max_by(|a, b| a.weight.total_cmp(&b.weight))
            .and_then(|v| v.model_version)
            .or_else(|| self.registry.iter().find(|v| v.deployed).map(|v| v.version))
    }
}

impl Alarm {
    /// Whether it is known to tell no one when it fires.
    pub fn pages_nobody(&self) -> bool {
        self.notifies.as_ref().is_some_and(Vec::is_empty)
    }
}

impl MonitoringRun {
    /// "monitoring run of S failed: why", when it failed.
    pub fn failure(&self) -> Option<String> {
        (self.status == "Failed").then(|| {
            let why = self.failure_reason.as_deref().unwrap_or("no reason given");
            format!("monitoring run of {} failed: {why}", self.schedule)
        })
    }
}

impl ModelFacts {
    /// A model known by name only; sources fill in what they know.
    pub fn named(name: &str) -> ModelFacts {
        ModelFacts {
            name: name.to_string(),
            kind: ModelKind::Other,
            data: None,
            training: Vec::new(),
            registry: Vec::new(),
            endpoint: None,
            drift: DriftFacts::default(),
            metrics: BTreeMap::new(),
            metrics_at: None,
            metrics_source: None,
            pipeline: None,
            identity: None,
            aliases: Vec::new(),
            published: BTreeMap::new(),
            dags: Vec::new(),
            stale: Vec::new(),
            scope: Default::default(),
            environment: None,
        }
    }
}

impl ModelFacts {
    /// Whether `stage`'s cell shows facts a source could not refresh.
    pub fn is_stale_at(&self, stage: super::stage::Stage) -> bool {
        self.stale.iter().any(|s| s.stages.contains(&stage))
    }
}

impl Fleet {
    pub fn model(&self, name: &str) -> Option<&ModelFacts> {
        self.models.iter().find(|m| m.name == name)
    }

    pub fn firing_alarms(&self) -> usize {
        self.alarms
            .iter()
            .filter(|a| a.state == AlarmState::Alarm)
            .count()
    }
}
