//! Roll back a model served on Kubernetes: a KServe canary dropped (all traffic to
//! the previous rolled-out revision), or a Deployment back to its previous
//! ReplicaSet's template. Planned from the object as just read, resourceVersion
//! and all, so the API server refuses the patch if anyone changed it since.

use super::protection;
use crate::action::{Call, Kind, Plan};
use crate::model::facts::{EndpointFacts, ModelFacts};
use crate::model::k8s::rollback::{Target, Undo};
use crate::model::k8s::{Workload, WorkloadKind};

pub fn rollback(m: &ModelFacts, ep: &EndpointFacts, w: &Workload) -> Result<Plan, String> {
    let target = Target {
        cluster: w.cluster.clone(),
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        resource_version: w
            .resource_version
            .clone()
            .ok_or_else(|| format!("{}: the API server gave no resourceVersion", w.id()))?,
    };
    let split = w
        .traffic
        .iter()
        .map(|t| format!("{} {}%", t.revision, t.percent))
        .collect::<Vec<_>>()
        .join(" · ");
    let (call, label, previous, note) = match w.kind {
        WorkloadKind::Kserve => {
            let canary = w.canary().ok_or_else(|| {
                format!(
                    "InferenceService {}: no canary takes traffic ({split}); there is no earlier \
                     revision to send it back to",
                    w.id()
                )
            })?;
            let back_to = w
                .traffic
                .iter()
                .find(|t| !t.latest)
                .map(|t| t.revision.clone())
                .or(w.previous_revision.clone())
                .ok_or_else(|| format!("InferenceService {}: no previous revision", w.id()))?;
            (
                Call::PatchInferenceService(Box::new(target)),
                format!(
                    "all traffic to {back_to} · canary {} {}% → 0%",
                    canary.revision, canary.percent
                ),
                format!("{split} · {}", ep.status),
                "KServe keeps the canary revision: setting canaryTrafficPercent again resumes it",
            )
        }
        WorkloadKind::Deployment => {
            let (to, template) = w.previous_template.clone().ok_or_else(|| {
                format!(
                    "Deployment {}: no older ReplicaSet to go back to (revision {})",
                    w.id(),
                    w.revision.map_or("?".into(), |r| r.to_string())
                )
            })?;
            let undo = Undo {
                target,
                from_revision: w.revision.unwrap_or(0),
                to_revision: to,
                template,
            };
            let label = format!("revision {to} · image {}", undo.image().unwrap_or("?"));
            let ready = w
                .replicas
                .map_or("?".into(), |r| format!("{}/{} ready", r.ready, r.desired));
            let previous = format!(
                "revision {} · image {} · {ready}",
                undo.from_revision,
                w.image.as_deref().unwrap_or("?")
            );
            (
                Call::PatchDeployment(Box::new(undo)),
                label,
                previous,
                "what `kubectl rollout undo` does: the old template becomes a new revision",
            )
        }
    };
    Ok(Plan {
        label,
        previous,
        protected: protection(ep),
        note: Some(note.to_string()),
        ..Plan::new(Kind::Rollback, &m.name, call)
    })
}
