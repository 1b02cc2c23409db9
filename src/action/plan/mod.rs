//! Planning: from what the dashboard knows about a model to the exact calls each
//! choice would make, one planner per action. Pure: the audit log's word on the
//! previous config is read by the caller and passed in, so which config counts as
//! "previous" is unit-tested.

mod approve;
mod differs;
mod pipelines;
mod retrain;
mod rollback;
mod stop;
mod workload;

pub use approve::approvals;
pub use differs::differences;
pub use pipelines::{dag_retrain, mlflow_approvals, training_dag, PROMOTED_ALIAS};
pub use retrain::{clone_name, cloned_retrain, last_good_job, pipeline_retrain};
pub use rollback::rollbacks;
pub use stop::stops;

use jiff::Timestamp;

use crate::model::facts::{EndpointFacts, ModelFacts};

pub(super) fn day(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

pub(super) fn approval_of(m: &ModelFacts, version: Option<u32>) -> String {
    let Some(v) = version else {
        return "version unknown".into();
    };
    match m.registry.iter().find(|r| r.version == v) {
        Some(r) => format!("v{v} {}", r.approval.label()),
        None => format!("v{v}"),
    }
}

pub(super) fn protection(ep: &EndpointFacts) -> Option<(String, String)> {
    ep.protected.clone().map(|why| (ep.name.clone(), why))
}

#[cfg(test)]
mod tests;
