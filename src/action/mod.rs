//! Actions on a model: planned (which AWS call, on what, with which arguments, all
//! shown to the user before anything happens), confirmed, executed by the AWS or the
//! demo executor, watched until done, and written to the audit log at every step.

pub mod audit;
mod aws;
mod demo;
mod error;
pub mod guard;
mod kube;
mod pipelines;
pub mod plan;
pub mod runner;
mod step;

pub use audit::{AuditLog, Phase, Record};
pub use aws::{parameters_of, AwsExecutor};
pub use demo::DemoExecutor;
pub use error::SendError;
pub use guard::Guard;
pub use kube::KubeExecutor;
pub use pipelines::PipelineExecutor;
pub use runner::{Executor, Gate, Polling};

pub use crate::model::action::*;

/// A token unique to this request (32+ characters, as SageMaker asks for idempotency).
pub fn request_token() -> String {
    format!("mlopsdash-{}", uuid::Uuid::new_v4().simple())
}
