//! What a resource's status means for an action under way: the step it has reached.
//! A leaf the executors share.

use crate::model::action::Step;
use crate::model::facts::RunStatus;

/// An endpoint's status as a step: InService ends an update, Failed fails it.
pub fn endpoint_step(status: &str, failure: Option<&str>) -> Step {
    match status {
        "InService" => Step::Succeeded("InService".into()),
        "Failed" | "OutOfService" => Step::Failed(format!(
            "endpoint {status}: {}",
            failure.unwrap_or("no reason given")
        )),
        other => Step::Running(other.to_string()),
    }
}

/// A run's status as a step, for a run we started (`stopping` false) or are stopping.
pub fn run_step(
    status: RunStatus,
    detail: Option<&str>,
    failure: Option<&str>,
    stopping: bool,
) -> Step {
    let reason = failure.unwrap_or("no reason given");
    match (status, stopping) {
        (RunStatus::InProgress, _) => Step::Running(match detail {
            Some(d) => format!("Executing · {d}"),
            None => "Executing".into(),
        }),
        (RunStatus::Stopping, _) => Step::Running("Stopping".into()),
        (RunStatus::Stopped, true) => Step::Succeeded("Stopped".into()),
        (RunStatus::Stopped, false) => Step::Failed("Stopped before it finished".into()),
        (RunStatus::Completed, false) => Step::Succeeded("Succeeded".into()),
        (RunStatus::Completed, true) => {
            Step::Succeeded("finished before it could be stopped".into())
        }
        (RunStatus::Failed, _) => Step::Failed(format!("Failed: {reason}")),
    }
}
