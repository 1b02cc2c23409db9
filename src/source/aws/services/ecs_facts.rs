//! ECS and ELBv2 answers as facts: a service with its deployments and events, its
//! stopped tasks, its targets' health, and the names CloudWatch and the rollback use.
//! Pure: the answers are read here, asked for in `ecs`.

use aws_sdk_ecs::types::{Service, Task};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription;
use jiff::Timestamp;

use crate::model::ecs::{Deployment, EcsService, StoppedTask, TargetHealth};

/// Service events and stopped tasks kept per service.
pub const EVENTS: usize = 5;
pub const STOPPED: usize = 5;

/// "arn:aws:ecs:…:task-definition/upsell-api:8" → "upsell-api:8"; a short name stays.
pub fn short_task_definition(arn: &str) -> String {
    arn.rsplit_once("task-definition/")
        .map_or(arn, |(_, td)| td)
        .to_string()
}

/// The family and revision of "family:revision".
pub fn family_revision(td: &str) -> Option<(&str, u32)> {
    let (family, revision) = td.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

/// The family's newest revision older than `current`, among `listed` (ARNs or
/// short names of ACTIVE revisions, any order).
pub fn previous_revision(current: &str, listed: &[String]) -> Option<String> {
    let (family, revision) = family_revision(current)?;
    listed
        .iter()
        .map(|arn| short_task_definition(arn))
        .filter_map(|td| {
            let (f, r) = family_revision(&td)?;
            (f == family && r < revision).then_some((r, td.clone()))
        })
        .max_by_key(|(r, _)| *r)
        .map(|(_, td)| td)
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<Timestamp> {
    Timestamp::from_second(t?.secs()).ok()
}

fn count(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// The service as ECS describes it; its image, previous revision, stopped tasks and
/// targets come from other calls.
pub fn service(cluster: &str, s: &Service) -> EcsService {
    let deployments = s
        .deployments()
        .iter()
        .map(|d| Deployment {
            status: d.status().unwrap_or_default().to_string(),
            task_definition: short_task_definition(d.task_definition().unwrap_or_default()),
            rollout: d.rollout_state().map(|r| r.as_str().to_string()),
            reason: d.rollout_state_reason().map(str::to_string),
            running: count(d.running_count()),
            desired: count(d.desired_count()),
            failed_tasks: count(d.failed_tasks()),
            created: time(d.created_at()),
        })
        .collect();
    let mut events: Vec<(Timestamp, String)> = s
        .events()
        .iter()
        .filter_map(|e| Some((time(e.created_at())?, e.message()?.to_string())))
        .collect();
    events.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    events.truncate(EVENTS);
    EcsService {
        cluster: cluster.to_string(),
        service: s.service_name().unwrap_or_default().to_string(),
        status: s.status().unwrap_or("ACTIVE").to_string(),
        running: count(s.running_count()),
        desired: count(s.desired_count()),
        pending: count(s.pending_count()),
        task_definition: short_task_definition(s.task_definition().unwrap_or_default()),
        image: None,
        previous: None,
        deployments,
        events,
        stopped: Vec::new(),
        unhealthy: Vec::new(),
        healthy_targets: 0,
        target_groups: s
            .load_balancers()
            .iter()
            .filter_map(|lb| lb.target_group_arn().map(str::to_string))
            .collect(),
        unread: Vec::new(),
    }
}

/// A stopped task: why, and the first container that exited with a code.
pub fn stopped_task(t: &Task) -> StoppedTask {
    let exited = t
        .containers()
        .iter()
        .find(|c| c.exit_code().is_some_and(|code| code != 0))
        .or_else(|| t.containers().iter().find(|c| c.exit_code().is_some()));
    StoppedTask {
        task_definition: short_task_definition(t.task_definition_arn().unwrap_or_default()),
        stopped_at: time(t.stopped_at()),
        reason: t.stopped_reason().unwrap_or("no reason given").to_string(),
        container: exited.and_then(|c| c.name()).map(str::to_string),
        exit_code: exited.and_then(|c| c.exit_code()),
    }
}

/// Newest first, bounded.
pub fn newest_stopped(mut tasks: Vec<StoppedTask>) -> Vec<StoppedTask> {
    tasks.sort_by_key(|t| std::cmp::Reverse(t.stopped_at));
    tasks.truncate(STOPPED);
    tasks
}

/// A target's health; None for a healthy one.
pub fn target(d: &TargetHealthDescription) -> Option<TargetHealth> {
    let health = d.target_health()?;
    let state = health.state()?.as_str().to_string();
    if state == "healthy" {
        return None;
    }
    let target = d.target().map_or_else(String::new, |t| {
        let id = t.id().unwrap_or_default();
        match t.port() {
            Some(port) => format!("{id}:{port}"),
            None => id.to_string(),
        }
    });
    Some(TargetHealth {
        target,
        state,
        reason: health.reason().map(|r| r.as_str().to_string()),
        description: health.description().map(str::to_string),
    })
}

/// AWS/ApplicationELB's dimension values: "app/name/id" of the load balancer's
/// ARN and "targetgroup/name/id" of the target group's. None for a Network Load
/// Balancer ("net/…"): it publishes no HTTP codes, and metrics asked for that
/// cannot exist are billed all the same.
pub fn elb_dimensions(load_balancer_arn: &str, target_group_arn: &str) -> Option<(String, String)> {
    let lb = load_balancer_arn.split_once(":loadbalancer/")?.1;
    let tg = target_group_arn.rsplit_once(':')?.1;
    (lb.starts_with("app/") && tg.starts_with("targetgroup/"))
        .then(|| (lb.to_string(), tg.to_string()))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ecs::types::{Container, DeploymentRolloutState, ServiceEvent};
    use aws_sdk_elasticloadbalancingv2::types::{
        TargetDescription, TargetHealthReasonEnum, TargetHealthStateEnum,
    };

    use super::*;

    #[test]
    fn the_previous_revision_is_the_newest_older_one_of_the_family() {
        let listed = [
            "arn:aws:ecs:us-east-1:1:task-definition/upsell-api:9".to_string(),
            "arn:aws:ecs:us-east-1:1:task-definition/upsell-api:7".to_string(),
            "arn:aws:ecs:us-east-1:1:task-definition/upsell-api:5".to_string(),
            "arn:aws:ecs:us-east-1:1:task-definition/upsell-api-canary:8".to_string(),
        ];
        assert_eq!(
            previous_revision("upsell-api:8", &listed).as_deref(),
            Some("upsell-api:7")
        );
        assert_eq!(previous_revision("upsell-api:5", &listed), None);
        assert_eq!(previous_revision("no-revision", &listed), None);
    }

    #[test]
    fn a_service_reads_with_its_rollout_and_newest_events_first() {
        let at = |s| aws_smithy_types::DateTime::from_secs(s);
        let s = Service::builder()
            .service_name("upsell-api")
            .status("ACTIVE")
            .running_count(1)
            .desired_count(2)
            .task_definition("arn:aws:ecs:us-east-1:1:task-definition/upsell-api:8")
            .deployments(
                aws_sdk_ecs::types::Deployment::builder()
                    .status("PRIMARY")
                    .task_definition("arn:aws:ecs:us-east-1:1:task-definition/upsell-api:8")
                    .rollout_state(DeploymentRolloutState::Failed)
                    .rollout_state_reason("circuit breaker")
                    .failed_tasks(3)
                    .build(),
            )
            .events(
                ServiceEvent::builder()
                    .created_at(at(100))
                    .message("old")
                    .build(),
            )
            .events(
                ServiceEvent::builder()
                    .created_at(at(200))
                    .message("new")
                    .build(),
            )
            .build();
        let f = service("ml", &s);
        assert_eq!(f.task_definition, "upsell-api:8");
        assert_eq!((f.running, f.desired), (1, 2));
        assert_eq!(f.deployments[0].rollout.as_deref(), Some("FAILED"));
        assert_eq!(f.deployments[0].failed_tasks, 3);
        assert_eq!(f.events[0].1, "new");
    }

    #[test]
    fn a_stopped_task_names_the_container_that_failed() {
        let t = Task::builder()
            .task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/upsell-api:8")
            .stopped_reason("Essential container in task exited")
            .containers(Container::builder().name("sidecar").exit_code(0).build())
            .containers(Container::builder().name("app").exit_code(137).build())
            .build();
        let s = stopped_task(&t);
        assert_eq!(
            (s.container.as_deref(), s.exit_code),
            (Some("app"), Some(137))
        );
        assert_eq!(s.task_definition, "upsell-api:8");
    }

    #[test]
    fn targets_are_kept_only_when_not_healthy_and_dimensions_come_from_arns() {
        let d = |state| {
            TargetHealthDescription::builder()
                .target(
                    TargetDescription::builder()
                        .id("10.0.1.7")
                        .port(8080)
                        .build(),
                )
                .target_health(
                    aws_sdk_elasticloadbalancingv2::types::TargetHealth::builder()
                        .state(state)
                        .reason(TargetHealthReasonEnum::FailedHealthChecks)
                        .description("Health checks failed with these codes: [500]")
                        .build(),
                )
                .build()
        };
        assert_eq!(target(&d(TargetHealthStateEnum::Healthy)), None);
        let bad = target(&d(TargetHealthStateEnum::Unhealthy)).unwrap();
        assert_eq!(bad.target, "10.0.1.7:8080");
        assert_eq!(bad.reason.as_deref(), Some("Target.FailedHealthChecks"));
        assert_eq!(
            elb_dimensions(
                "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/ml-alb/50dc6c495c0c9188",
                "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/churn-tg/6d0ecf831eec9f09"
            ),
            Some((
                "app/ml-alb/50dc6c495c0c9188".to_string(),
                "targetgroup/churn-tg/6d0ecf831eec9f09".to_string()
            ))
        );
        let nlb = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/net/ml-nlb/1";
        let tg = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/churn-tg/2";
        assert_eq!(elb_dimensions(nlb, tg), None);
    }
}
