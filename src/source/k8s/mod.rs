//! Models served on Kubernetes: KServe InferenceServices and plain Deployments
//! labelled with a model, on an EKS cluster or a kubeconfig context. Per refresh:
//! one bounded list of InferenceServices and one of Deployments per namespace (or
//! across all), then each serving workload's pods. No watches: a refresh is a read.
//! Rows join a model by `[[models]] inference_service`/`deployment`, then a model
//! label (`[identity] tag_keys`), then the SageMaker package group whose version's
//! artifact its storageUri is (`registered`), then an InferenceService's own name
//! (every InferenceService serves a model; a Deployment without a model label is
//! left alone).

pub mod api;
pub mod connect;
pub mod kubeconfig;
mod pods;
pub mod read;
mod registered;
pub mod token;

use serde_json::Value;
use tokio::sync::watch;

use self::api::{KubeApi, KubeError, DEPLOYMENTS, INFERENCE_SERVICES};
use self::connect::ClusterSpec;
use crate::aws::ApiCalls;
use crate::config::ModelMapping;
use crate::model::facts::{EndpointFacts, Variant};
use crate::model::identity::JoinedBy;
use crate::model::k8s::{Workload, WorkloadKind};
use crate::model::Fleet;
use crate::source::aws::fan_out::fan_out;
use crate::source::aws::sagemaker::elsewhere::ServedElsewhere;
use crate::source::owner::{row_of, Owner};
use crate::source::{report, Source, SourceId, Update};

/// The label that names a Deployment's app; a model's name when config has that model.
pub const APP_NAME_LABEL: &str = "app.kubernetes.io/name";

/// How workloads join models, and how closely actions on them are guarded.
#[derive(Debug, Clone, Default)]
pub struct KubeSettings {
    pub mappings: Vec<ModelMapping>,
    /// Label keys whose value names a model (`[identity] tag_keys`).
    pub tag_keys: Vec<String>,
    /// Labels (e.g. env=prod) that make a rollback need the name typed.
    pub protected_tags: Vec<String>,
    pub in_flight: usize,
    /// How names shed affixes: a package group names a model as it would an endpoint's.
    pub names: crate::model::identity::Normaliser,
}

/// A workload serving a model: what Prometheus is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadTarget {
    pub model: String,
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    /// KServe: the revision a canary sends its share of traffic to.
    pub canary: Option<String>,
}

pub type WorkloadTargets = watch::Sender<Vec<WorkloadTarget>>;

pub struct KubeSource {
    spec: ClusterSpec,
    sdk: Option<aws_config::SdkConfig>,
    calls: ApiCalls,
    settings: KubeSettings,
    /// The API and the namespaces to read, once reached.
    api: Option<(KubeApi, Vec<String>)>,
    targets: Option<WorkloadTargets>,
    /// Where storageUris are looked up among SageMaker's registered versions.
    registry: Option<ServedElsewhere>,
}

impl KubeSource {
    pub fn new(
        spec: ClusterSpec,
        sdk: Option<aws_config::SdkConfig>,
        calls: &ApiCalls,
        settings: KubeSettings,
    ) -> KubeSource {
        KubeSource {
            spec,
            sdk,
            calls: calls.clone(),
            settings,
            api: None,
            targets: None,
            registry: None,
        }
    }

    /// Joins workloads to SageMaker's model registry by what they serve.
    pub fn registered_in(mut self, registry: ServedElsewhere) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Tells Prometheus which workloads serve which models.
    pub fn publish_targets(mut self, targets: WorkloadTargets) -> Self {
        self.targets = Some(targets);
        self
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        if self.api.is_none() {
            self.api = Some(connect::connect(&self.spec, self.sdk.as_ref(), &self.calls).await?);
        }
        let Some((api, namespaces)) = &self.api else {
            return Err("not connected".into());
        };
        let places: Vec<Option<String>> = match namespaces.is_empty() {
            true => vec![None],
            false => namespaces.iter().cloned().map(Some).collect(),
        };
        let listed = fan_out(places, self.settings.in_flight, |ns| async move {
            tokio::join!(
                api.list(INFERENCE_SERVICES, ns.as_deref(), None),
                api.list(DEPLOYMENTS, ns.as_deref(), None)
            )
        })
        .await;
        let mut found: Vec<(Owner, Workload, Option<String>)> = Vec::new();
        for (isvcs, deployments) in listed {
            for v in kserve_absent_is_none(isvcs)? {
                if let Some(w) = read::inference_service(&v, &api.cluster) {
                    let owner = self.owner(&w);
                    let selector = format!("{}={}", read::ISVC_LABEL, w.name);
                    found.push((owner, w, Some(selector)));
                }
            }
            for v in deployments? {
                let Some(w) = read::deployment(&v, &api.cluster) else {
                    continue;
                };
                // KServe's own Deployments are the InferenceService's, not models.
                if w.labels.iter().any(|(k, _)| k == read::ISVC_LABEL) {
                    continue;
                }
                if let Some(owner) = self.deployment_owner(&w) {
                    found.push((owner, w, read::pod_selector(&v)));
                }
            }
        }
        let pods = pods::read(api, &found, self.settings.in_flight).await;
        let read: Vec<(Owner, Workload)> = found
            .into_iter()
            .zip(pods)
            .map(|((owner, mut w, _), pods)| {
                match pods {
                    Some((pods, ready)) => {
                        if w.kind == WorkloadKind::Kserve && pods.count > 0 {
                            w.replicas = Some(crate::model::k8s::Replicas {
                                ready,
                                desired: pods.count,
                            });
                        }
                        w.pods = pods;
                    }
                    None => w.unread.push(crate::model::k8s::PODS.into()),
                }
                (owner, w)
            })
            .collect();
        let read = registered::join(self.registry.as_mut(), read, &self.settings.names).await;
        if let Some(tx) = &self.targets {
            let targets = read
                .iter()
                .map(|(o, w, _)| WorkloadTarget {
                    model: o.model.clone(),
                    kind: w.kind,
                    namespace: w.namespace.clone(),
                    name: w.name.clone(),
                    canary: w.canary().map(|c| c.revision.clone()),
                })
                .collect();
            // Every refresh: Prometheus's first query waits for the first one.
            tx.send_replace(targets);
        }
        let mut rows = Vec::new();
        for (owner, w, registered) in read {
            let what = format!("{} {}", kind_word(w.kind), w.id());
            let protected = self.protection(&owner, &w);
            let row = row_of(&mut rows, &owner, what);
            if !row.aliases.contains(&w.name) {
                row.aliases.push(w.name.clone());
            }
            registered::attach(row, &w, registered);
            row.endpoint = Some(endpoint(w, protected));
        }
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    fn mapping(&self, w: &Workload) -> Option<&ModelMapping> {
        self.settings.mappings.iter().find(|m| {
            m.workload
                .as_ref()
                .is_some_and(|n| n.kind == w.kind && n.namespace == w.namespace && n.name == w.name)
        })
    }

    /// Config, then a model label, then the InferenceService's own name.
    fn owner(&self, w: &Workload) -> Owner {
        self.deployment_owner(w).unwrap_or_else(|| Owner {
            model: w.name.clone(),
            by: JoinedBy::Name,
            evidence: format!("InferenceService {}", w.id()),
        })
    }

    /// Config, a model label, or an app name config knows as a model's.
    fn deployment_owner(&self, w: &Workload) -> Option<Owner> {
        if let Some(m) = self.mapping(w) {
            let field = match w.kind {
                WorkloadKind::Kserve => "inference_service",
                WorkloadKind::Deployment => "deployment",
            };
            return Some(Owner::config(&m.name, field, &w.id()));
        }
        let labels = w.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if let Some(o) = Owner::tagged(labels, &self.settings.tag_keys) {
            return Some(Owner {
                evidence: format!("label {}", o.evidence.trim_start_matches("tag ")),
                ..o
            });
        }
        let app = w.labels.iter().find(|(k, _)| k == APP_NAME_LABEL)?;
        self.settings
            .mappings
            .iter()
            .any(|m| m.name == app.1)
            .then(|| Owner {
                model: app.1.clone(),
                by: JoinedBy::Tag,
                evidence: format!("label {APP_NAME_LABEL}={}", app.1),
            })
    }

    /// Why a rollback needs the name typed: config, or a protected label.
    fn protection(&self, owner: &Owner, w: &Workload) -> Option<String> {
        let mapping = self
            .settings
            .mappings
            .iter()
            .find(|m| m.name == owner.model);
        let labels = Ok(w.labels.clone());
        crate::source::aws::protection::protection(mapping, &labels, &self.settings.protected_tags)
            .map(|why| why.replace("tagged", "labelled"))
    }
}

/// No InferenceService resource on the cluster (KServe not installed) is no
/// InferenceServices, not a failure.
fn kserve_absent_is_none(listed: Result<Vec<Value>, KubeError>) -> Result<Vec<Value>, String> {
    match listed {
        Err(e) if e.status.map(|s| s.as_u16()) == Some(404) => {
            tracing::debug!("no KServe on the cluster: {}", e.line);
            Ok(Vec::new())
        }
        other => Ok(other?),
    }
}

fn kind_word(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Kserve => "InferenceService",
        WorkloadKind::Deployment => "Deployment",
    }
}

/// The workload's condition in one word, as its ENDPOINT status.
pub fn status_word(w: &Workload) -> &'static str {
    match (w.kind, w.ready) {
        (_, None) => "Unknown",
        (WorkloadKind::Kserve, Some(true)) => "Ready",
        (WorkloadKind::Kserve, Some(false)) => "NotReady",
        (WorkloadKind::Deployment, Some(true)) => "Available",
        (WorkloadKind::Deployment, Some(false)) => "Unavailable",
    }
}

/// The endpoint a workload is, in the terms every row has (its revisions as
/// variants, its storageUri as the artifact); the demo's workloads too.
pub fn endpoint(w: Workload, protected: Option<String>) -> EndpointFacts {
    let status = status_word(&w);
    let config_name = match w.kind {
        WorkloadKind::Kserve => w
            .traffic
            .first()
            .map(|t| t.revision.clone())
            .unwrap_or_default(),
        WorkloadKind::Deployment => w
            .revision
            .map(|r| format!("revision {r}"))
            .unwrap_or_default(),
    };
    let variants = w
        .traffic
        .iter()
        .map(|t| Variant {
            name: t.revision.clone(),
            weight: f64::from(t.percent) / 100.0,
            instances: 0,
            model_version: None,
        })
        .collect();
    EndpointFacts {
        name: w.name.clone(),
        status: status.to_string(),
        failure_reason: w.reason.clone(),
        config_name,
        variants,
        config_history: Vec::new(),
        artifact: w.storage_uri.clone(),
        protected,
        ecs: None,
        k8s: Some(Box::new(w)),
    }
}

impl Source for KubeSource {
    fn id(&self) -> SourceId {
        SourceId::Kubernetes
    }

    async fn fetch(&mut self) -> Update {
        let result = self.gather().await;
        if result.is_err() {
            // Reach the cluster afresh next time: its endpoint or token may have changed.
            self.api = None;
        }
        report(SourceId::Kubernetes, result)
    }
}
