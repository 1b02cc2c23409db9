//! A model served on Kubernetes (EKS or any cluster a kubeconfig names), as facts:
//! a KServe InferenceService with its revisions and traffic split, or a plain
//! Deployment with its rollout and replicas; the pods' restarts and last
//! termination either way. Pure data.

use serde::{Deserialize, Serialize};

pub mod rollback;

/// The part of a workload named when its pods could not be read.
pub const PODS: &str = "pods";

/// Which Kubernetes object serves the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// `serving.kserve.io/v1beta1` InferenceService.
    Kserve,
    /// `apps/v1` Deployment labelled with a model.
    Deployment,
}

impl WorkloadKind {
    /// As config, the snapshot JSON and messages spell it.
    pub fn label(self) -> &'static str {
        match self {
            WorkloadKind::Kserve => "kserve",
            WorkloadKind::Deployment => "deployment",
        }
    }

    /// The resource, as RBAC and kubectl name it.
    pub fn resource(self) -> &'static str {
        match self {
            WorkloadKind::Kserve => "inferenceservices.serving.kserve.io",
            WorkloadKind::Deployment => "deployments.apps",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    pub kind: WorkloadKind,
    /// The cluster as config names it (EKS cluster or kubeconfig context).
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    /// The Ready condition: None when the object does not say.
    pub ready: Option<bool>,
    /// Why it is not ready (the condition's reason and message, or a rollout's).
    pub reason: Option<String>,
    /// Where it answers (KServe's status.url).
    pub url: Option<String>,
    /// KServe: each revision's share of traffic, the latest first.
    pub traffic: Vec<Traffic>,
    /// KServe: the canary's share the spec asks for (None: no canary rollout).
    pub canary_percent: Option<u32>,
    /// KServe: the revision all traffic goes back to when the canary is dropped.
    pub previous_revision: Option<String>,
    /// The artifact it serves (the predictor's storageUri): joined by lineage.
    pub storage_uri: Option<String>,
    /// The first container's image.
    pub image: Option<String>,
    pub replicas: Option<Replicas>,
    /// Deployment: Progressing's reason, e.g. NewReplicaSetAvailable,
    /// ReplicaSetUpdated (rolling out) or ProgressDeadlineExceeded (stuck).
    pub rollout: Option<String>,
    /// Deployment: its `deployment.kubernetes.io/revision`.
    pub revision: Option<u64>,
    pub pods: Pods,
    /// The object's resourceVersion when read: a rollback planned from this read
    /// is refused by the API server if the object changed since.
    pub resource_version: Option<String>,
    /// Labels on the object: `env`, the model label.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<(String, String)>,
    /// Parts that could not be read this time ("pods"): unknown, not healthy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
    /// Deployment: the revision before this one and its pod template, read only
    /// when a rollback is planned (never kept or shown otherwise).
    #[serde(skip)]
    pub previous_template: Option<(u64, serde_json::Value)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    pub revision: String,
    pub percent: u32,
    /// The newest revision (KServe's `latestRevision`), the canary while one runs.
    pub latest: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replicas {
    pub ready: u32,
    pub desired: u32,
}

/// What the workload's pods say, summed over them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pods {
    pub count: u32,
    /// Container restarts over all pods.
    pub restarts: u32,
    /// A container waiting in CrashLoopBackOff, ImagePullBackOff or another error.
    pub waiting: Option<String>,
    /// The newest last termination that was not a clean exit, e.g. "OOMKilled"
    /// or "Error (exit 1)".
    pub last_termination: Option<String>,
}

impl Workload {
    /// `kind` `namespace/name` on `cluster`, nothing else known yet.
    pub fn new(kind: WorkloadKind, cluster: &str, namespace: &str, name: &str) -> Workload {
        Workload {
            kind,
            cluster: cluster.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            ready: None,
            reason: None,
            url: None,
            traffic: Vec::new(),
            canary_percent: None,
            previous_revision: None,
            storage_uri: None,
            image: None,
            replicas: None,
            rollout: None,
            revision: None,
            pods: Pods::default(),
            resource_version: None,
            labels: Vec::new(),
            unread: Vec::new(),
            previous_template: None,
        }
    }

    /// "namespace/name", as config names it and the action shows it.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The revision the canary sends traffic to, while one takes a share.
    pub fn canary(&self) -> Option<&Traffic> {
        let split = self.traffic.len() > 1;
        self.traffic
            .iter()
            .find(|t| t.latest && split && t.percent > 0 && t.percent < 100)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn inference_service() -> Workload {
        Workload {
            ready: Some(true),
            url: Some("http://fraud-detector.serving.example.com".into()),
            traffic: vec![
                Traffic {
                    revision: "fraud-detector-predictor-00002".into(),
                    percent: 10,
                    latest: true,
                },
                Traffic {
                    revision: "fraud-detector-predictor-00001".into(),
                    percent: 90,
                    latest: false,
                },
            ],
            canary_percent: Some(10),
            previous_revision: Some("fraud-detector-predictor-00001".into()),
            storage_uri: Some("s3://models/fraud/v2".into()),
            replicas: Some(Replicas {
                ready: 2,
                desired: 2,
            }),
            resource_version: Some("4711".into()),
            ..Workload::new(WorkloadKind::Kserve, "ml", "serving", "fraud-detector")
        }
    }

    #[test]
    fn the_canary_is_the_latest_revision_while_it_takes_a_share() {
        let mut w = inference_service();
        assert_eq!(
            w.canary().map(|t| t.revision.as_str()),
            Some("fraud-detector-predictor-00002")
        );
        w.traffic.truncate(1);
        w.traffic[0].percent = 100;
        assert_eq!(w.canary(), None);
        assert_eq!(w.id(), "serving/fraud-detector");
    }
}
