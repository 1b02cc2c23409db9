//! Which source facts came from, and which stages each source decides: a leaf that
//! facts (what could not be refreshed) and updates both name.

use super::stage::Stage;

/// Which source an update came from, so a failure marks only its own panels.
/// Sources are merged in this order: where two know the same fact, the earlier wins.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum SourceId {
    Demo,
    SageMaker,
    CloudWatch,
    S3,
    Cost,
    XRay,
    Airflow,
    Mlflow,
    Ecs,
    Lambda,
    #[serde(rename = "stepfunctions")]
    StepFunctions,
    /// CloudTrail and alarm history: what changed.
    Changes,
    /// S3 replication and Route 53 failover records: whether a DR pair could fail over.
    Failover,
    /// KServe InferenceServices and Deployments on Kubernetes (EKS).
    Kubernetes,
    /// A Prometheus server or an Amazon Managed Service for Prometheus workspace.
    Prometheus,
}

impl SourceId {
    pub fn label(self) -> &'static str {
        match self {
            SourceId::Demo => "demo",
            SourceId::SageMaker => "sagemaker",
            SourceId::CloudWatch => "cloudwatch",
            SourceId::S3 => "s3",
            SourceId::Cost => "cost",
            SourceId::XRay => "xray",
            SourceId::Airflow => "airflow",
            SourceId::Mlflow => "mlflow",
            SourceId::Ecs => "ecs",
            SourceId::Lambda => "lambda",
            SourceId::StepFunctions => "stepfunctions",
            SourceId::Changes => "changes",
            SourceId::Failover => "failover",
            SourceId::Kubernetes => "kubernetes",
            SourceId::Prometheus => "prometheus",
        }
    }

    /// The pipeline stages this source's facts decide: its failure greys only these.
    pub fn feeds(self) -> &'static [Stage] {
        match self {
            SourceId::Demo => &Stage::ALL,
            SourceId::SageMaker => &[Stage::Training, Stage::Registry, Stage::Endpoint],
            SourceId::CloudWatch => &[Stage::Endpoint, Stage::Drift, Stage::Quality],
            SourceId::S3 => &[Stage::Data, Stage::Drift],
            SourceId::Airflow => &[Stage::Data, Stage::Training],
            SourceId::Mlflow => &[Stage::Training, Stage::Registry],
            // Most models are not on ECS, Lambda or Step Functions: their failure
            // marks the rows they know (StaleFacts), never a whole column.
            SourceId::Ecs
            | SourceId::Lambda
            | SourceId::StepFunctions
            | SourceId::Kubernetes
            | SourceId::Prometheus => &[],
            // The header's spend and the :cost view, no stage.
            SourceId::Cost | SourceId::XRay | SourceId::Changes | SourceId::Failover => &[],
        }
    }
}
