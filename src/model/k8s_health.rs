//! How a Kubernetes workload's own state reads as the ENDPOINT cell, before any
//! metric: not Ready, a stuck rollout or no pod ready is crit; a rollout under way
//! is busy; missing replicas, crashing or OOM-killed containers warn. Pure.

use super::cell::StageStatus;
use super::health::Health;
use super::k8s::{Workload, WorkloadKind};

/// Waiting reasons that mean a container cannot start by itself.
const STUCK: [&str; 5] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "InvalidImageName",
];

/// What is wrong with the workload; None when nothing is.
pub fn trouble(w: &Workload) -> Option<StageStatus> {
    if w.rollout.as_deref() == Some("ProgressDeadlineExceeded") {
        return Some(StageStatus::new(Health::Crit, "rollout stuck").brief("stuck"));
    }
    // KServe says why it is not ready better than its pods do.
    if w.ready == Some(false) && w.kind == WorkloadKind::Kserve {
        let why = w.reason.as_deref().unwrap_or("no reason given");
        return Some(StageStatus::new(Health::Crit, format!("not ready: {why}")).brief("not rdy"));
    }
    let replicas = w.replicas.filter(|r| r.desired > 0);
    if let Some(r) = replicas.filter(|r| r.ready == 0) {
        let why = w.pods.waiting.as_deref().unwrap_or("none ready");
        let text = format!("0/{} ready: {why}", r.desired);
        return Some(StageStatus::new(Health::Crit, text).brief("0 ready"));
    }
    if let Some(waiting) = w.pods.waiting.as_deref().filter(|r| STUCK.contains(r)) {
        return Some(StageStatus::new(Health::Warn, waiting.to_string()).brief("crashing"));
    }
    if w.rollout.as_deref() == Some("ReplicaSetUpdated") {
        return Some(
            StageStatus::new(Health::Ok, "rolling out")
                .brief("rollout")
                .busy(),
        );
    }
    if let Some(r) = replicas.filter(|r| r.ready < r.desired) {
        let text = format!("{}/{} ready", r.ready, r.desired);
        return Some(StageStatus::new(Health::Warn, text.clone()).brief(text));
    }
    match (&w.pods.last_termination, w.pods.restarts) {
        (Some(last), restarts) if restarts > 0 => Some(
            StageStatus::new(Health::Warn, format!("{restarts} restarts, last {last}"))
                .brief(format!("{restarts} rst")),
        ),
        _ => None,
    }
}

/// The cell when all is well: the canary's share while one runs, else replicas.
pub fn up(w: &Workload) -> StageStatus {
    if let Some(c) = w.canary() {
        return StageStatus::new(Health::Ok, format!("canary {}%", c.percent))
            .brief(format!("cnry {}%", c.percent));
    }
    match w.replicas {
        Some(r) => StageStatus::new(Health::Ok, format!("{}/{} ready", r.ready, r.desired)),
        None => StageStatus::new(Health::Ok, "Ready"),
    }
    .brief("up")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::tests::inference_service;
    use crate::model::k8s::Replicas;

    #[test]
    fn a_ready_canary_has_no_trouble_and_says_its_share() {
        let w = inference_service();
        assert_eq!(trouble(&w), None);
        assert_eq!(up(&w).summary, "canary 10%");
    }

    #[test]
    fn not_ready_no_replicas_and_stuck_rollouts_are_crit_crashes_warn() {
        let mut w = inference_service();
        w.ready = Some(false);
        w.reason = Some("RevisionFailed".into());
        let t = trouble(&w).unwrap();
        assert_eq!(
            (t.health, t.summary.as_str()),
            (Health::Crit, "not ready: RevisionFailed")
        );
        let mut w = inference_service();
        w.replicas = Some(Replicas {
            ready: 0,
            desired: 2,
        });
        w.pods.waiting = Some("CrashLoopBackOff".into());
        assert_eq!(trouble(&w).unwrap().summary, "0/2 ready: CrashLoopBackOff");
        let mut w = inference_service();
        w.kind = WorkloadKind::Deployment;
        w.rollout = Some("ProgressDeadlineExceeded".into());
        assert_eq!(trouble(&w).unwrap().health, Health::Crit);
        w.rollout = Some("ReplicaSetUpdated".into());
        assert!(trouble(&w).unwrap().in_progress);
        let mut w = inference_service();
        w.pods.waiting = Some("CrashLoopBackOff".into());
        assert_eq!(trouble(&w).unwrap().health, Health::Warn);
        let mut w = inference_service();
        w.pods.restarts = 3;
        w.pods.last_termination = Some("OOMKilled".into());
        assert_eq!(trouble(&w).unwrap().summary, "3 restarts, last OOMKilled");
    }
}
