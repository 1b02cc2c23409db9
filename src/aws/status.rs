//! SageMaker's statuses in the dashboard's terms, shared by the sources that show
//! them and the executors that watch actions reach them.

use aws_sdk_sagemaker::types::{ModelApprovalStatus, PipelineExecutionStatus, TrainingJobStatus};

use crate::model::facts::{Approval, RunStatus};

/// A package's approval status as the registry column shows it.
pub fn approval_of(s: Option<&ModelApprovalStatus>) -> Approval {
    match s {
        Some(ModelApprovalStatus::Approved) => Approval::Approved,
        Some(ModelApprovalStatus::Rejected) => Approval::Rejected,
        _ => Approval::PendingManualApproval,
    }
}

/// A training job's status as a run's.
pub fn job_status(s: Option<&TrainingJobStatus>) -> RunStatus {
    match s {
        Some(TrainingJobStatus::Completed) => RunStatus::Completed,
        Some(TrainingJobStatus::Failed) => RunStatus::Failed,
        Some(TrainingJobStatus::Stopping) => RunStatus::Stopping,
        Some(TrainingJobStatus::Stopped) => RunStatus::Stopped,
        _ => RunStatus::InProgress,
    }
}

/// A pipeline execution's status as a run's.
pub fn execution_status(s: Option<&PipelineExecutionStatus>) -> RunStatus {
    match s {
        Some(PipelineExecutionStatus::Succeeded) => RunStatus::Completed,
        Some(PipelineExecutionStatus::Failed) => RunStatus::Failed,
        Some(PipelineExecutionStatus::Stopping) => RunStatus::Stopping,
        Some(PipelineExecutionStatus::Stopped) => RunStatus::Stopped,
        _ => RunStatus::InProgress,
    }
}
