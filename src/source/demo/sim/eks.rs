//! The platform team on EKS: credit-risk served by KServe, whose canary revision
//! 00007 takes 10% of the traffic and starts answering 30% of it with 5xx 25 s in
//! (the endpoint's overall rate stays near 3%), until `B` drops the canary; and
//! dynamic-pricing, a FastAPI Deployment whose pods were OOM-killed twice. Their
//! metrics are Prometheus's.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use super::super::profiles::Profile;
use super::*;
use crate::model::facts::*;
use crate::model::identity::{Identity, JoinedBy};
use crate::model::k8s::{Pods, Replicas, Traffic, Workload, WorkloadKind};
use crate::model::metrics::{names, Series};
use crate::model::source_id::SourceId;

pub(super) const CLUSTER: &str = "ml-eks";
/// When the canary starts failing, after the demo starts.
const CANARY_FAILS_SECS: i64 = 25;
const CANARY_PERCENT: u32 = 10;
/// The share of the canary's requests it fails.
const CANARY_ERRORS: f64 = 0.3;

impl Simulator {
    pub(super) fn on_eks(
        &self,
        p: &Profile,
        kind: WorkloadKind,
        m: &mut ModelFacts,
        now: Timestamp,
    ) {
        let w = match kind {
            WorkloadKind::Kserve => self.inference_service(p, now),
            WorkloadKind::Deployment => self.deployment(p, now),
        };
        let label = format!("label model={}", p.name);
        let what = format!(
            "{} {}",
            match kind {
                WorkloadKind::Kserve => "InferenceService",
                WorkloadKind::Deployment => "Deployment",
            },
            w.id()
        );
        m.identity =
            Some(Identity::new(JoinedBy::Tag, label.clone()).with(what, JoinedBy::Tag, label));
        m.aliases = vec![w.name.clone()];
        m.metrics_source = Some(SourceId::Prometheus);
        if kind == WorkloadKind::Kserve {
            self.canary_metrics(p, m, now);
        }
        m.endpoint = Some(crate::source::k8s::endpoint(w, None));
    }

    /// Whether `B` dropped the model's canary by `at` (and the traffic moved).
    fn canary_dropped(&self, model: &str, at: Timestamp) -> bool {
        self.acts(|a| a.last_shift(model, at).is_some_and(|s| s.done() <= at))
    }

    fn canary_failing(&self, model: &str, at: Timestamp) -> bool {
        at >= self.started + SignedDuration::from_secs(CANARY_FAILS_SECS)
            && !self.canary_dropped(model, at)
    }

    /// The endpoint's 5xx carry the canary's; the canary's own rate beside them.
    fn canary_metrics(&self, p: &Profile, m: &mut ModelFacts, now: Timestamp) {
        let Some(invocations) = m.metrics.get(names::INVOCATIONS).cloned() else {
            return;
        };
        let share = f64::from(CANARY_PERCENT) / 100.0;
        let errors = invocations
            .points
            .iter()
            .map(|&(t, n)| {
                let rate = match self.canary_failing(&p.name, t) {
                    true => share * CANARY_ERRORS,
                    false => 0.001,
                };
                (t, (n * rate).round())
            })
            .collect();
        m.metrics
            .insert(names::ERRORS_5XX.into(), Series::new(errors));
        for key in [names::LATENCY_P50, names::LATENCY_P99] {
            if let Some(s) = m.metrics.get_mut(key) {
                let normal = match key {
                    names::LATENCY_P50 => p.latency_p50_ms,
                    _ => p.latency_p99_ms,
                };
                s.points
                    .iter_mut()
                    .for_each(|(_, v)| *v = v.min(normal * 1.3));
            }
        }
        if self.canary_dropped(&p.name, now) {
            m.metrics.remove(names::CANARY_RATE_5XX);
            return;
        }
        let canary = invocations
            .points
            .iter()
            .map(|&(t, _)| {
                let rate = match self.canary_failing(&p.name, t) {
                    true => 100.0 * CANARY_ERRORS,
                    false => 0.1,
                };
                (t, rate)
            })
            .collect();
        m.metrics
            .insert(names::CANARY_RATE_5XX.into(), Series::new(canary));
    }

    fn inference_service(&self, p: &Profile, now: Timestamp) -> Workload {
        let revision = |v: u32| format!("{}-predictor-{v:05}", p.name);
        let dropped = self.canary_dropped(&p.name, now);
        let canary = if dropped { 0 } else { CANARY_PERCENT };
        Workload {
            traffic: vec![
                Traffic {
                    revision: revision(p.latest_version),
                    percent: canary,
                    latest: true,
                },
                Traffic {
                    revision: revision(p.deployed_version),
                    percent: 100 - canary,
                    latest: false,
                },
            ],
            canary_percent: Some(canary),
            previous_revision: Some(revision(p.deployed_version)),
            url: Some(format!("http://{}.serving.example.com", p.name)),
            storage_uri: Some(format!(
                "s3://retail-ml-models/{}/v{}/model.bst",
                p.name, p.latest_version
            )),
            replicas: Some(Replicas {
                ready: p.instances,
                desired: p.instances,
            }),
            pods: Pods {
                count: p.instances,
                ..Pods::default()
            },
            resource_version: Some(if dropped { "48213" } else { "48170" }.into()),
            ..workload(WorkloadKind::Kserve, "serving", &p.name)
        }
    }

    fn deployment(&self, p: &Profile, now: Timestamp) -> Workload {
        let image = |v: u32| {
            format!(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/{}:1.{v}.0",
                p.name
            )
        };
        let current = u64::from(p.deployed_version);
        let undone = self.acts(|a| a.deployed(&p.name, now).cloned());
        let (revision, serving) = match &undone {
            Some(d) => (current + 1, d.version),
            None => (current, p.deployed_version),
        };
        let rolling = self.acts(|a| a.last_deploy(&p.name, now).is_some_and(|d| now < d.done()));
        let template = |v: u32| {
            json!({
                "metadata": { "labels": { "app": p.name, "model": p.name } },
                "spec": { "containers": [{ "name": "api", "image": image(v), "ports": [{ "containerPort": 8000 }] }] },
            })
        };
        Workload {
            image: Some(image(serving)),
            replicas: Some(Replicas {
                ready: p.instances,
                desired: p.instances,
            }),
            rollout: Some(
                if rolling {
                    "ReplicaSetUpdated"
                } else {
                    "NewReplicaSetAvailable"
                }
                .into(),
            ),
            revision: Some(revision),
            pods: Pods {
                count: p.instances,
                restarts: 2,
                waiting: None,
                last_termination: Some("OOMKilled".into()),
            },
            resource_version: Some(format!("7712{revision}")),
            previous_template: Some((revision - 1, template(p.deployed_version - 1))),
            ..workload(WorkloadKind::Deployment, "apps", &p.name)
        }
    }
}

/// A ready workload of `kind` with nothing else said.
fn workload(kind: WorkloadKind, namespace: &str, name: &str) -> Workload {
    Workload {
        ready: Some(true),
        labels: vec![("model".into(), name.into())],
        ..Workload::new(kind, CLUSTER, namespace, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{assess, Health, Rules, Stage};

    fn start() -> Timestamp {
        "2026-11-22T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_canary_turns_the_row_red_until_it_is_dropped() {
        let sim = Simulator::new(42, start(), 8);
        let at = |s: i64| start() + SignedDuration::from_secs(s);
        let endpoint = |s: i64| {
            let fleet = sim.fleet_at(at(s));
            let m = fleet.model("credit-risk").unwrap().clone();
            (
                assess(&m, &Rules::default(), at(s))
                    .stage(Stage::Endpoint)
                    .clone(),
                m,
            )
        };
        let (before, m) = endpoint(10);
        assert_eq!(before.health, Health::Ok, "{before:?}");
        assert_eq!(before.summary, "canary 10%");
        assert_eq!(m.metrics_source, Some(SourceId::Prometheus));
        let (failing, m) = endpoint(60);
        assert_eq!(failing.health, Health::Crit, "{failing:?}");
        assert!(
            failing.summary.starts_with("canary 5xx 30"),
            "{}",
            failing.summary
        );
        // The endpoint's own rate is the canary's share of it.
        let rate = crate::model::stages::error_rates(&m)[0]
            .1
            .latest()
            .unwrap()
            .1;
        assert!((rate - 3.0).abs() < 0.5, "{rate}");
        sim.record(|a| {
            a.shifts.push(crate::source::demo::actions::Shift {
                model: "credit-risk".into(),
                weights: Vec::new(),
                at: at(61),
            })
        });
        let (after, m) = endpoint(80);
        assert_eq!(after.health, Health::Ok, "{after:?}");
        let w = m.endpoint.unwrap().k8s.unwrap();
        assert_eq!(w.traffic[1].percent, 100);
        assert_eq!(w.canary(), None);
    }

    #[test]
    fn the_deployment_can_go_back_to_its_previous_template() {
        let sim = Simulator::new(42, start(), 8);
        let fleet = sim.fleet_at(start());
        let w = fleet
            .model("dynamic-pricing")
            .and_then(|m| m.endpoint.clone())
            .and_then(|e| e.k8s)
            .unwrap();
        assert_eq!(w.kind, WorkloadKind::Deployment);
        let (revision, template) = w.previous_template.clone().unwrap();
        assert_eq!(revision, 3);
        assert!(template["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .ends_with(":1.3.0"));
    }
}
