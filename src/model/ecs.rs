//! A model served by an ECS service behind a load balancer, as facts: its tasks,
//! deployments, the task definition serving now and the one before it, stopped
//! tasks and the load balancer's view of its targets. Pure data.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The part of a service named when its targets' health could not be read.
pub const TARGETS: &str = "targets";
/// The status of a service its cluster does not have (DescribeServices' failure reason).
pub const MISSING: &str = "MISSING";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EcsService {
    pub cluster: String,
    pub service: String,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    pub running: u32,
    pub desired: u32,
    pub pending: u32,
    /// The task definition serving now, "family:revision".
    pub task_definition: String,
    /// Its first container's image, e.g. "…/upsell-api:v7": the model version when
    /// the image is tagged so.
    pub image: Option<String>,
    /// The family's newest revision before the current one: what rollback deploys.
    pub previous: Option<String>,
    /// PRIMARY first, then the deployments it replaces.
    pub deployments: Vec<Deployment>,
    /// The service's newest events, newest first (bounded).
    pub events: Vec<(Timestamp, String)>,
    /// Tasks that stopped lately, newest first (bounded).
    pub stopped: Vec<StoppedTask>,
    /// The load balancer's targets that are not healthy, with why.
    pub unhealthy: Vec<TargetHealth>,
    /// Targets the load balancer counts healthy.
    pub healthy_targets: u32,
    /// The target groups (ARNs) the service registers its tasks in.
    #[serde(default)]
    pub target_groups: Vec<String>,
    /// Parts that could not be read this time ("targets", "image", …): unknown, not
    /// healthy.
    #[serde(default)]
    pub unread: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// PRIMARY (the newest) or ACTIVE (being replaced).
    pub status: String,
    pub task_definition: String,
    /// IN_PROGRESS, COMPLETED or FAILED; None where the service does not use rolling
    /// deployments.
    pub rollout: Option<String>,
    pub reason: Option<String>,
    pub running: u32,
    pub desired: u32,
    pub failed_tasks: u32,
    pub created: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppedTask {
    pub task_definition: String,
    pub stopped_at: Option<Timestamp>,
    /// ECS's stoppedReason, e.g. "Essential container in task exited".
    pub reason: String,
    /// The first container that exited with a code, and the code.
    pub container: Option<String>,
    pub exit_code: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetHealth {
    pub target: String,
    /// unhealthy, unused, unavailable, draining, initial.
    pub state: String,
    /// The load balancer's reason code and description, e.g. Target.ResponseCodeMismatch.
    pub reason: Option<String>,
    pub description: Option<String>,
}

impl EcsService {
    /// A service config names that its cluster does not have.
    pub fn missing(cluster: &str, service: &str) -> EcsService {
        EcsService {
            cluster: cluster.to_string(),
            service: service.to_string(),
            status: MISSING.to_string(),
            running: 0,
            desired: 0,
            pending: 0,
            task_definition: String::new(),
            image: None,
            previous: None,
            deployments: Vec::new(),
            events: Vec::new(),
            stopped: Vec::new(),
            unhealthy: Vec::new(),
            healthy_targets: 0,
            target_groups: Vec::new(),
            unread: Vec::new(),
        }
    }

    /// "cluster/service", as config names it and the action shows it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.cluster, self.service)
    }

    /// The newest deployment, when ECS says which.
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }

    /// Targets that take no traffic though registered (draining and new ones aside);
    /// None when their health could not be read.
    pub fn targets_unhealthy(&self) -> Option<usize> {
        if self.unread.iter().any(|p| p == TARGETS) {
            return None;
        }
        let bad = self.unhealthy.iter();
        Some(
            bad.filter(|t| !matches!(t.state.as_str(), "draining" | "initial"))
                .count(),
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn service() -> EcsService {
        EcsService {
            cluster: "ml".into(),
            service: "upsell-api".into(),
            status: "ACTIVE".into(),
            running: 2,
            desired: 2,
            pending: 0,
            task_definition: "upsell-api:8".into(),
            image: Some("upsell-api:v8".into()),
            previous: Some("upsell-api:7".into()),
            deployments: vec![Deployment {
                status: "PRIMARY".into(),
                task_definition: "upsell-api:8".into(),
                rollout: Some("COMPLETED".into()),
                reason: None,
                running: 2,
                desired: 2,
                failed_tasks: 0,
                created: None,
            }],
            events: vec![],
            stopped: vec![],
            unhealthy: vec![],
            healthy_targets: 2,
            target_groups: vec![],
            unread: vec![],
        }
    }

    #[test]
    fn unhealthy_targets_leave_draining_ones_out_and_are_unknown_when_unread() {
        let mut s = service();
        for state in ["unhealthy", "draining", "unused"] {
            s.unhealthy.push(TargetHealth {
                target: "10.0.0.1:8080".into(),
                state: state.into(),
                reason: None,
                description: None,
            });
        }
        assert_eq!(s.targets_unhealthy(), Some(2));
        s.unread.push(TARGETS.into());
        assert_eq!(s.targets_unhealthy(), None);
    }
}
