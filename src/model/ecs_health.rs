//! How an ECS service's own state reads as the ENDPOINT cell, before any metric:
//! a failed rollout or no task running is crit, a rollout under way is busy,
//! missing tasks or unhealthy targets warn. Pure.

use super::cell::StageStatus;
use super::ecs::EcsService;
use super::health::Health;

/// What is wrong with the service; None when nothing is.
pub fn trouble(s: &EcsService) -> Option<StageStatus> {
    let primary = s.primary();
    if let Some(d) = primary.filter(|d| d.rollout.as_deref() == Some("FAILED")) {
        return Some(
            StageStatus::new(
                Health::Crit,
                format!("rollout failed {}", d.task_definition),
            )
            .brief("failed"),
        );
    }
    if s.status != "ACTIVE" {
        return Some(StageStatus::new(Health::Crit, s.status.clone()));
    }
    let tasks = format!("{}/{} tasks", s.running, s.desired);
    if s.desired > 0 && s.running == 0 {
        return Some(StageStatus::new(Health::Crit, tasks).brief("0 tasks"));
    }
    if let Some(d) = primary.filter(|d| d.rollout.as_deref() == Some("IN_PROGRESS")) {
        return Some(
            StageStatus::new(Health::Ok, format!("deploying {}", d.task_definition))
                .brief("deploying")
                .busy(),
        );
    }
    if s.running < s.desired {
        return Some(
            StageStatus::new(Health::Warn, tasks).brief(format!("{}/{}", s.running, s.desired)),
        );
    }
    let unhealthy = s.targets_unhealthy().unwrap_or(0);
    (unhealthy > 0).then(|| {
        StageStatus::new(Health::Warn, format!("{unhealthy} targets unhealthy"))
            .brief(format!("{unhealthy} unhl"))
    })
}

/// The cell when all is well: tasks running of desired.
pub fn up(s: &EcsService) -> StageStatus {
    StageStatus::new(Health::Ok, format!("{}/{} tasks", s.running, s.desired)).brief("up")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::tests::service;
    use crate::model::ecs::TargetHealth;

    #[test]
    fn a_healthy_service_has_no_trouble() {
        assert_eq!(trouble(&service()), None);
        assert_eq!(up(&service()).summary, "2/2 tasks");
    }

    #[test]
    fn failed_rollouts_and_no_tasks_are_crit_missing_tasks_and_targets_warn() {
        let mut s = service();
        s.deployments[0].rollout = Some("FAILED".into());
        let t = trouble(&s).unwrap();
        assert_eq!(
            (t.health, t.summary.as_str()),
            (Health::Crit, "rollout failed upsell-api:8")
        );
        let mut s = service();
        s.running = 0;
        assert_eq!(trouble(&s).unwrap().health, Health::Crit);
        let mut s = service();
        s.running = 1;
        assert_eq!(trouble(&s).unwrap().summary, "1/2 tasks");
        let mut s = service();
        s.deployments[0].rollout = Some("IN_PROGRESS".into());
        assert!(trouble(&s).unwrap().in_progress);
        let mut s = service();
        s.unhealthy.push(TargetHealth {
            target: "10.0.0.1:8080".into(),
            state: "unhealthy".into(),
            reason: None,
            description: None,
        });
        let t = trouble(&s).unwrap();
        assert_eq!(
            (t.health, t.summary.as_str()),
            (Health::Warn, "1 targets unhealthy")
        );
    }
}
