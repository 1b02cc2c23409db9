//! Training runs, from whichever system ran them (SageMaker jobs and pipelines,
//! MLflow, Airflow, Step Functions): their status, metrics and why one failed.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RunStatus {
    InProgress,
    Completed,
    Failed,
    Stopping,
    Stopped,
}

impl RunStatus {
    pub fn label(self) -> &'static str {
        match self {
            RunStatus::InProgress => "InProgress",
            RunStatus::Completed => "Completed",
            RunStatus::Failed => "Failed",
            RunStatus::Stopping => "Stopping",
            RunStatus::Stopped => "Stopped",
        }
    }
}

/// A training job or a pipeline execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    pub name: String,
    pub status: RunStatus,
    pub started: Timestamp,
    pub ended: Option<Timestamp>,
    pub failure_reason: Option<String>,
    /// The objective metric's name and final value, e.g. ("validation:mape", 7.9).
    pub objective: Option<(String, f64)>,
    /// What a running job is doing, in SageMaker's words (e.g. "Downloading").
    pub secondary_status: Option<String>,
    /// Set for a pipeline execution (what stopping it needs); a training job has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    /// This job wrote the artifact the endpoint serves now (exact lineage).
    #[serde(default)]
    pub serving: bool,
    /// Who ran it: SageMaker (a job or a pipeline), Airflow or MLflow.
    #[serde(default)]
    pub source: RunSource,
    /// What only some sources know: the failed task, its log's last lines, metrics.
    #[serde(default, skip_serializing_if = "RunDetail::is_empty")]
    pub detail: RunDetail,
}

/// Who ran a training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunSource {
    /// A SageMaker training job.
    #[default]
    SageMaker,
    /// A SageMaker Pipelines execution.
    Pipeline,
    /// A run of the model's training DAG.
    Airflow,
    /// An MLflow run of the model's experiment.
    Mlflow,
    /// An execution of the model's Step Functions state machine.
    #[serde(rename = "stepfunctions")]
    StepFunctions,
}

impl RunSource {
    /// As the snapshot JSON spells it.
    pub fn label(self) -> &'static str {
        match self {
            RunSource::SageMaker => "sagemaker",
            RunSource::Pipeline => "pipeline",
            RunSource::Airflow => "airflow",
            RunSource::Mlflow => "mlflow",
            RunSource::StepFunctions => "stepfunctions",
        }
    }
}

/// The parts of a run only Airflow or MLflow tell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunDetail {
    /// The DAG task that failed (Airflow).
    pub failed_task: Option<String>,
    /// The state a failed execution failed in (Step Functions).
    #[serde(default)]
    pub failed_state: Option<String>,
    /// The last error lines of the failed task's log, oldest first (bounded).
    pub log_tail: Vec<String>,
    /// Key metrics the run logged (MLflow), by name.
    pub metrics: Vec<(String, f64)>,
    /// The first key metric's values step by step (MLflow's metric history).
    pub curve: Option<(String, Vec<f64>)>,
}

impl RunDetail {
    pub fn is_empty(&self) -> bool {
        *self == RunDetail::default()
    }
}

/// The training job a SageMaker artifact URL names: SageMaker writes a job's model
/// to `<S3OutputPath>/<job name>/output/model.tar.gz`. Only a candidate: the job's
/// own `S3ModelArtifacts` must match it exactly.
pub fn job_named_in(artifact: &str) -> Option<&str> {
    let path = artifact.strip_prefix("s3://")?;
    let dir = path
        .strip_suffix("/output/model.tar.gz")
        .or_else(|| path.strip_suffix("/output/model/"))
        .or_else(|| path.strip_suffix("/output/model"))?;
    let (_, job) = dir.rsplit_once('/')?;
    (!job.is_empty()).then_some(job)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_name_is_read_from_sagemakers_artifact_layout() {
        assert_eq!(
            job_named_in("s3://models/out/demand-train-v3/output/model.tar.gz"),
            Some("demand-train-v3")
        );
        assert_eq!(
            job_named_in("s3://b/pipelines-abc-Train-x1/output/model/"),
            Some("pipelines-abc-Train-x1")
        );
        assert_eq!(job_named_in("s3://b/hand-made/model.tar.gz"), None);
        assert_eq!(job_named_in("https://x/y/output/model.tar.gz"), None);
        assert_eq!(job_named_in("s3://b/output/model.tar.gz"), None);
    }
}
