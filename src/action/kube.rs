//! The Kubernetes side of the executor: a workload read afresh from its cluster
//! (reached again, with the identity that will patch), the PATCH the confirmation
//! showed sent once, and the object read back until its rollout completes or fails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{Call, Observation, Plan, SendError, Step};
use crate::model::k8s::rollback::{Undo, JSON_PATCH, MERGE_PATCH};
use crate::model::k8s::{Workload, WorkloadKind};
use crate::source::k8s::api::{KubeApi, DEPLOYMENTS, INFERENCE_SERVICES, REPLICA_SETS};
use crate::source::k8s::connect::ClusterSpec;
use crate::source::k8s::{connect, read};
use crate::source::serving::ServingSetup;

#[derive(Default, Clone)]
pub struct KubeExecutor {
    setup: ServingSetup,
    /// Each cluster as reached for the last fresh read: the patch goes out on it,
    /// shared by the clones that plan and send (not reached a third time between).
    reached: Arc<Mutex<HashMap<String, KubeApi>>>,
}

impl KubeExecutor {
    pub fn new(setup: ServingSetup) -> KubeExecutor {
        KubeExecutor {
            setup,
            reached: Arc::default(),
        }
    }

    /// The cluster `name` reached now (its endpoint, CA and token asked again).
    async fn reach(&self, name: &str) -> Result<KubeApi, String> {
        let clusters = &self.setup.clusters;
        // The kubeconfig's current context is known by the name the file gives it.
        let spec = clusters
            .iter()
            .find(|c| c.label() == name)
            .or_else(|| {
                clusters
                    .iter()
                    .find(|c| matches!(c, ClusterSpec::Context(k) if k.context.is_none()))
            })
            .ok_or_else(|| {
                format!("cluster {name} is not in this config ([[eks]] or [kubernetes])")
            })?;
        let (api, _) = connect::connect(spec, self.setup.sdk.as_ref(), &self.setup.calls).await?;
        // Someone switched the current context since the row was read: not this cluster.
        if api.cluster != name {
            return Err(format!(
                "the kubeconfig's current context is now {}, not {name}: nothing sent",
                api.cluster
            ));
        }
        if let Ok(mut reached) = self.reached.lock() {
            reached.insert(name.to_string(), api.clone());
        }
        Ok(api)
    }

    /// The cluster as the fresh read reached it (reached again if it was not).
    async fn api(&self, name: &str) -> Result<KubeApi, String> {
        let known = self.reached.lock().ok().and_then(|r| r.get(name).cloned());
        match known {
            Some(api) => Ok(api),
            None => self.reach(name).await,
        }
    }

    /// The workload as its cluster has it now, with (for a Deployment) the
    /// revision before this one and its template; and its labels, for protection.
    pub async fn look(&self, shown: &Workload) -> Result<Workload, String> {
        let api = self.reach(&shown.cluster).await?;
        let (ns, name) = (shown.namespace.as_str(), shown.name.as_str());
        match shown.kind {
            WorkloadKind::Kserve => {
                let v = api.get(INFERENCE_SERVICES, ns, name).await?;
                read::inference_service(&v, &api.cluster).ok_or_else(|| {
                    format!("InferenceService {ns}/{name}: an answer without a name")
                })
            }
            WorkloadKind::Deployment => {
                let v = api.get(DEPLOYMENTS, ns, name).await?;
                let mut w = read::deployment(&v, &api.cluster)
                    .ok_or_else(|| format!("Deployment {ns}/{name}: an answer without a name"))?;
                let selector = read::pod_selector(&v);
                let sets = api
                    .list(REPLICA_SETS, Some(ns), selector.as_deref())
                    .await?;
                w.previous_template = previous_template(&sets, name, w.revision);
                Ok(w)
            }
        }
    }

    /// Sends the PATCH the plan carries, once.
    pub async fn execute(&self, p: &Plan) -> Result<Option<String>, SendError> {
        let args = p.call.arguments();
        let (target, what, media) = match &p.call {
            Call::PatchInferenceService(t) => (&**t, INFERENCE_SERVICES, MERGE_PATCH),
            Call::PatchDeployment(u) => (&u.target, DEPLOYMENTS, JSON_PATCH),
            other => {
                return Err(SendError::Refused(format!(
                    "{} is not a Kubernetes call",
                    other.operation()
                )))
            }
        };
        let api = self
            .api(&target.cluster)
            .await
            .map_err(SendError::Refused)?;
        let operation = match what.plural {
            "inferenceservices" => "PatchInferenceService",
            _ => "PatchDeployment",
        };
        let sent = api
            .patch(
                (what, &target.namespace, &target.name),
                &args["body"],
                media,
                operation,
            )
            .await;
        match sent {
            Ok(_) => Ok(None),
            // The API server answered: a conflict, a refusal or a bad patch changed
            // nothing. No answer, or a 5xx, leaves it to the read back.
            Err(e) => match e.status.map(|s| s.as_u16()) {
                Some(400..=499) => Err(SendError::Refused(e.line)),
                _ => Err(SendError::Unknown(e.line)),
            },
        }
    }

    /// The patched object now: whether the change shows, and how far its rollout is.
    pub async fn observe(&self, call: &Call) -> Result<Observation, String> {
        match call {
            Call::PatchInferenceService(t) => {
                let api = self.api(&t.cluster).await?;
                let v = api.get(INFERENCE_SERVICES, &t.namespace, &t.name).await?;
                Ok(canary_step(&v))
            }
            Call::PatchDeployment(u) => {
                let api = self.api(&u.target.cluster).await?;
                let v = api
                    .get(DEPLOYMENTS, &u.target.namespace, &u.target.name)
                    .await?;
                Ok(undo_step(&v, u))
            }
            other => Err(format!("{} is not a Kubernetes call", other.operation())),
        }
    }
}

/// The newest ReplicaSet of `deployment` older than `current`, and its template
/// without the `pod-template-hash` label the controller adds.
fn previous_template(
    sets: &[Value],
    deployment: &str,
    current: Option<u64>,
) -> Option<(u64, Value)> {
    let current = current?;
    sets.iter()
        .filter(|rs| {
            rs["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|o| {
                    o.iter()
                        .any(|r| r["kind"] == "Deployment" && r["name"] == deployment)
                })
        })
        .filter_map(|rs| {
            let revision: u64 = rs["metadata"]["annotations"][read::REVISION]
                .as_str()?
                .parse()
                .ok()?;
            (revision < current).then(|| (revision, rs["spec"]["template"].clone()))
        })
        .max_by_key(|(r, _)| *r)
        .map(|(r, mut template)| {
            // `get_mut`, not indexing: a template that is not an object stays as read.
            let labels = template
                .get_mut("metadata")
                .and_then(|m| m.get_mut("labels"))
                .and_then(Value::as_object_mut);
            if let Some(labels) = labels {
                labels.remove(read::TEMPLATE_HASH);
            }
            (r, template)
        })
}

/// An InferenceService after its canary was dropped: applied once the spec says
/// 0%, done once the latest revision serves nothing.
fn canary_step(v: &Value) -> Observation {
    let canary = v["spec"]["predictor"]["canaryTrafficPercent"].as_u64();
    let traffic: Vec<String> = v["status"]["components"]["predictor"]["traffic"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{}={}%",
                t["revisionName"].as_str().unwrap_or("?"),
                t["percent"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    let latest_serves = v["status"]["components"]["predictor"]["traffic"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|t| t["latestRevision"] == true && t["percent"].as_u64().unwrap_or(0) > 0);
    let now = format!(
        "resourceVersion {} · canaryTrafficPercent {} · {}",
        v["metadata"]["resourceVersion"].as_str().unwrap_or("?"),
        canary.map_or("unset".to_string(), |c| c.to_string()),
        traffic.join(" ")
    );
    let applied = canary == Some(0);
    let step = match (applied, latest_serves) {
        (true, false) => Step::Succeeded(format!(
            "all traffic on the previous revision · {}",
            traffic.join(" ")
        )),
        (true, true) => Step::Running(format!("shifting traffic · {}", traffic.join(" "))),
        (false, _) => Step::Running(format!("canary still {}%", canary.unwrap_or(0))),
    };
    Observation { now, applied, step }
}

/// A Deployment after its template went back: applied once the controller made it
/// a revision newer than the one replaced (the template alone may look the same
/// before: two revisions can share an image), done once every replica is updated
/// and ready, failed if it is stuck.
fn undo_step(v: &Value, u: &Undo) -> Observation {
    let image = v["spec"]["template"]["spec"]["containers"][0]["image"].as_str();
    let w = read::deployment(v, &u.target.cluster);
    let applied = w
        .as_ref()
        .and_then(|w| w.revision)
        .is_some_and(|r| r > u.from_revision);
    let replicas = w.as_ref().and_then(|w| w.replicas);
    let ready = replicas.map_or("?".into(), |r| format!("{}/{} ready", r.ready, r.desired));
    let now = format!(
        "resourceVersion {} · revision {} · {} · {ready}",
        v["metadata"]["resourceVersion"].as_str().unwrap_or("?"),
        v["metadata"]["annotations"][read::REVISION]
            .as_str()
            .unwrap_or("?"),
        image.unwrap_or("?"),
    );
    let rollout = w.as_ref().and_then(|w| w.rollout.clone());
    let step = match (applied, rollout.as_deref()) {
        (false, _) => Step::Running(format!(
            "revision still {} · {}",
            u.from_revision,
            image.unwrap_or("?")
        )),
        (true, Some("ProgressDeadlineExceeded")) => Step::Failed(format!(
            "rollout stuck (ProgressDeadlineExceeded) · {ready}"
        )),
        (true, Some("ReplicaSetUpdated")) => Step::Running(format!("rolling out · {ready}")),
        (true, _) if replicas.is_some_and(|r| r.ready >= r.desired) => {
            Step::Succeeded(format!("revision {} serving · {ready}", u.to_revision))
        }
        (true, _) => Step::Running(format!("rolling out · {ready}")),
    };
    Observation { now, applied, step }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/k8s/cluster.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_previous_replica_set_is_the_newest_older_revision_without_its_hash() {
        let all = cluster();
        let sets = all["replicasets"].as_array().unwrap();
        let (revision, template) = previous_template(sets, "pricing-api", Some(3)).unwrap();
        assert_eq!(revision, 2);
        assert!(template["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .ends_with("pricing-api:1.3.2"));
        assert!(template["metadata"]["labels"]
            .get("pod-template-hash")
            .is_none());
        assert_eq!(template["metadata"]["labels"]["app"], "pricing-api");
        assert!(previous_template(sets, "pricing-api", Some(1)).is_none());
        assert!(previous_template(sets, "other", Some(3)).is_none());
    }

    #[test]
    fn an_undo_is_applied_once_the_revision_moves_and_done_once_every_replica_is_ready() {
        let all = cluster();
        let deployment = all["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["metadata"]["name"] == "pricing-api")
            .unwrap()
            .clone();
        let undo = Undo {
            target: crate::model::k8s::rollback::Target {
                cluster: "ml".into(),
                namespace: "apps".into(),
                name: "pricing-api".into(),
                resource_version: "1".into(),
            },
            from_revision: 3,
            to_revision: 2,
            // The same image as now: only the revision can tell the patch landed.
            template: deployment["spec"]["template"].clone(),
        };
        let o = undo_step(&deployment, &undo);
        assert!(!o.applied, "revision 3 is the one replaced: {o:?}");
        assert!(matches!(o.step, Step::Running(_)));

        let mut now = deployment.clone();
        now["metadata"]["annotations"][read::REVISION] = "4".into();
        now["metadata"]["generation"] = 6.into();
        let o = undo_step(&now, &undo);
        assert!(o.applied);
        assert!(
            matches!(o.step, Step::Running(_)),
            "the controller has not seen it: {o:?}"
        );

        now["status"]["observedGeneration"] = 6.into();
        let o = undo_step(&now, &undo);
        assert!(matches!(o.step, Step::Succeeded(_)), "{o:?}");

        now["status"]["conditions"][1]["reason"] = "ProgressDeadlineExceeded".into();
        let o = undo_step(&now, &undo);
        assert!(matches!(o.step, Step::Failed(_)), "{o:?}");
    }

    #[test]
    fn a_replica_set_whose_template_is_not_an_object_is_no_panic() {
        let sets = [serde_json::json!({
            "metadata": {
                "annotations": {"deployment.kubernetes.io/revision": "1"},
                "ownerReferences": [{"kind": "Deployment", "name": "api"}],
            },
            "spec": {"template": "not an object"},
        })];
        let (revision, template) = previous_template(&sets, "api", Some(2)).unwrap();
        assert_eq!((revision, template), (1, Value::from("not an object")));
    }

    #[test]
    fn a_dropped_canary_is_done_when_the_latest_revision_serves_nothing() {
        let all = cluster();
        let mut isvc = all["inferenceservices"][0].clone();
        let o = canary_step(&isvc);
        assert!(!o.applied);
        isvc["spec"]["predictor"]["canaryTrafficPercent"] = 0.into();
        assert!(matches!(canary_step(&isvc).step, Step::Running(_)));
        isvc["status"]["components"]["predictor"]["traffic"][0]["percent"] = 0.into();
        isvc["status"]["components"]["predictor"]["traffic"][1]["percent"] = 100.into();
        let o = canary_step(&isvc);
        assert!(o.applied);
        assert!(matches!(o.step, Step::Succeeded(_)), "{o:?}");
    }
}
