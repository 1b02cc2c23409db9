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

/// An ECS service's newest deployment as a step toward `wanted` (a short
/// "family:revision" or an ARN): done once it serves it and the rollout completed
/// (or, without rollout states, once one deployment runs every task).
pub fn ecs_step(s: &EcsRollout<'_>, wanted: &str) -> Step {
    let short = |td: &str| td.rsplit('/').next().unwrap_or(td).to_string();
    let tasks = format!("{}/{} tasks", s.running, s.desired);
    if short(s.task_definition) != short(wanted) {
        return Step::Running(format!("deploying {} · {tasks}", short(wanted)));
    }
    match s.rollout {
        Some("FAILED") => Step::Failed(format!(
            "rollout failed: {}",
            s.reason.unwrap_or("no reason given")
        )),
        Some("COMPLETED") => Step::Succeeded(format!("{} · {tasks}", short(wanted))),
        None if s.deployments == 1 && s.running >= s.desired => {
            Step::Succeeded(format!("{} · {tasks}", short(wanted)))
        }
        _ => Step::Running(format!("rolling out · {tasks}")),
    }
}

/// What an ECS rollout's step is read from.
pub struct EcsRollout<'a> {
    /// The newest (PRIMARY) deployment's task definition, rollout state and reason.
    pub task_definition: &'a str,
    pub rollout: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub running: u32,
    pub desired: u32,
    pub deployments: usize,
}

#[cfg(test)]
mod ecs_tests {
    use super::*;

    fn rollout(td: &'static str, state: Option<&'static str>) -> EcsRollout<'static> {
        EcsRollout {
            task_definition: td,
            rollout: state,
            reason: Some("circuit breaker"),
            running: 2,
            desired: 2,
            deployments: 1,
        }
    }

    #[test]
    fn an_ecs_rollback_is_done_when_the_wanted_revision_completed() {
        let wanted = "arn:aws:ecs:us-east-1:1:task-definition/upsell-api:7";
        assert!(matches!(
            ecs_step(&rollout("upsell-api:8", Some("COMPLETED")), wanted),
            Step::Running(_)
        ));
        assert!(matches!(
            ecs_step(&rollout("upsell-api:7", Some("IN_PROGRESS")), wanted),
            Step::Running(_)
        ));
        assert_eq!(
            ecs_step(&rollout("upsell-api:7", Some("COMPLETED")), wanted),
            Step::Succeeded("upsell-api:7 · 2/2 tasks".into())
        );
        assert!(matches!(
            ecs_step(&rollout("upsell-api:7", Some("FAILED")), wanted),
            Step::Failed(_)
        ));
        assert!(matches!(
            ecs_step(&rollout("upsell-api:7", None), wanted),
            Step::Succeeded(_)
        ));
    }
}
