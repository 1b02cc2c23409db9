//! Kubernetes and KServe objects, as their API references shape them, read into
//! the facts a row shows. Nothing here trusts a field to be present: a missing one
//! is unknown, never a panic or a healthy default.

use serde_json::Value;

use crate::model::k8s::{Pods, Replicas, Traffic, Workload, WorkloadKind};

/// The label KServe puts on everything it creates for an InferenceService.
pub const ISVC_LABEL: &str = "serving.kserve.io/inferenceservice";
/// The annotation that numbers a Deployment's (and its ReplicaSets') revisions.
pub const REVISION: &str = "deployment.kubernetes.io/revision";
/// The label a Deployment adds to its ReplicaSets' and pods' templates.
pub const TEMPLATE_HASH: &str = "pod-template-hash";

fn text(v: &Value) -> Option<String> {
    v.as_str().filter(|s| !s.is_empty()).map(str::to_string)
}

fn count(v: &Value) -> u32 {
    v.as_u64().and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// An object's labels as pairs.
pub fn labels(v: &Value) -> Vec<(String, String)> {
    v["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// The condition of `kind` in `status.conditions`: whether it is True, and why not.
fn condition(v: &Value, kind: &str) -> Option<(bool, Option<String>)> {
    let c = v["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)?;
    let why = match (text(&c["reason"]), text(&c["message"])) {
        (Some(r), Some(m)) => Some(format!("{r}: {}", first_line(&m))),
        (r, m) => r.or(m.map(|m| first_line(&m))),
    };
    Some((c["status"] == "True", why))
}

/// Messages from a server are one bounded line on screen.
fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

fn skeleton(v: &Value, kind: WorkloadKind, cluster: &str) -> Option<Workload> {
    let meta = &v["metadata"];
    let (namespace, name) = (text(&meta["namespace"])?, text(&meta["name"])?);
    Some(Workload {
        resource_version: text(&meta["resourceVersion"]),
        labels: labels(v),
        ..Workload::new(kind, cluster, &namespace, &name)
    })
}

/// A `serving.kserve.io/v1beta1` InferenceService.
pub fn inference_service(v: &Value, cluster: &str) -> Option<Workload> {
    let mut w = skeleton(v, WorkloadKind::Kserve, cluster)?;
    if let Some((ready, why)) = condition(v, "Ready") {
        w.ready = Some(ready);
        w.reason = (!ready).then_some(why).flatten();
    }
    let status = &v["status"];
    w.url = text(&status["url"]).or_else(|| text(&status["address"]["url"]));
    let predictor = &status["components"]["predictor"];
    w.traffic = predictor["traffic"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| {
                    Some(Traffic {
                        revision: text(&t["revisionName"])?,
                        percent: count(&t["percent"]),
                        latest: t["latestRevision"].as_bool().unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    w.traffic.sort_by_key(|t| !t.latest);
    w.previous_revision = text(&predictor["previousRolledoutRevision"]);
    let spec = &v["spec"]["predictor"];
    w.canary_percent = spec["canaryTrafficPercent"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok());
    // `model:` in the current form; a framework key (sklearn:, pytorch:, …) in the
    // older one; a custom container's own STORAGE_URI otherwise.
    w.storage_uri = text(&spec["model"]["storageUri"]).or_else(|| {
        spec.as_object()?
            .values()
            .find_map(|f| text(&f["storageUri"]))
    });
    w.image = spec["containers"][0]["image"]
        .as_str()
        .or(spec["model"]["runtimeVersion"].as_str())
        .map(str::to_string);
    if let Some(failure) = text(&status["modelStatus"]["lastFailureInfo"]["message"]) {
        w.reason = w.reason.or(Some(first_line(&failure)));
    }
    Some(w)
}

/// An `apps/v1` Deployment.
pub fn deployment(v: &Value, cluster: &str) -> Option<Workload> {
    let mut w = skeleton(v, WorkloadKind::Deployment, cluster)?;
    let status = &v["status"];
    let desired = v["spec"]["replicas"]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(1);
    w.replicas = Some(Replicas {
        ready: count(&status["readyReplicas"]),
        desired,
    });
    if let Some((available, why)) = condition(v, "Available") {
        w.ready = Some(available);
        w.reason = (!available).then_some(why).flatten();
    }
    let progressing = v["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Progressing"))
        .and_then(|c| text(&c["reason"]));
    let updated = count(&status["updatedReplicas"]);
    let stale_status = match (
        status["observedGeneration"].as_u64(),
        v["metadata"]["generation"].as_u64(),
    ) {
        (Some(seen), Some(asked)) => seen < asked,
        _ => false,
    };
    let behind = stale_status || updated < desired || count(&status["replicas"]) > updated;
    w.rollout = match progressing.as_deref() {
        Some("ProgressDeadlineExceeded") => progressing,
        _ if behind => Some("ReplicaSetUpdated".to_string()),
        _ => progressing,
    };
    w.revision = v["metadata"]["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok());
    w.image = text(&v["spec"]["template"]["spec"]["containers"][0]["image"]);
    Some(w)
}

/// The label selector of a Deployment's pods ("k=v,k2=v2"); None when it selects
/// by expressions only.
pub fn pod_selector(v: &Value) -> Option<String> {
    let labels = v["spec"]["selector"]["matchLabels"].as_object()?;
    let parts: Vec<String> = labels
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    (!parts.is_empty()).then(|| parts.join(","))
}

/// What the pods say, summed.
pub fn pods(items: &[Value]) -> (Pods, u32) {
    let mut pods = Pods::default();
    let mut ready = 0;
    let mut newest: Option<(String, String)> = None;
    for p in items {
        pods.count += 1;
        if condition(p, "Ready").is_some_and(|(r, _)| r) {
            ready += 1;
        }
        let statuses = p["status"]["containerStatuses"].as_array();
        for c in statuses.into_iter().flatten() {
            pods.restarts = pods.restarts.saturating_add(count(&c["restartCount"]));
            if let Some(waiting) = text(&c["state"]["waiting"]["reason"]) {
                if waiting != "ContainerCreating" && waiting != "PodInitializing" {
                    pods.waiting.get_or_insert(waiting);
                }
            }
            let last = &c["lastState"]["terminated"];
            let Some(reason) = text(&last["reason"]) else {
                continue;
            };
            if reason == "Completed" {
                continue;
            }
            let said = match (reason.as_str(), last["exitCode"].as_i64()) {
                ("Error", Some(code)) => format!("Error (exit {code})"),
                _ => reason,
            };
            let at = text(&last["finishedAt"]).unwrap_or_default();
            if newest.as_ref().is_none_or(|(t, _)| at > *t) {
                newest = Some((at, said));
            }
        }
    }
    pods.last_termination = newest.map(|(_, s)| s);
    (pods, ready)
}

#[cfg(test)]
mod tests;
