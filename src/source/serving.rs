//! Models served on Kubernetes and their metrics: the clusters config names
//! (`[[eks]]`, `[kubernetes]`), each read by a Kubernetes source, and the
//! Prometheus that knows their traffic, told by them which workloads to ask about.

use tokio::sync::watch;

use super::aws::sagemaker::elsewhere::ServedElsewhere;
use super::k8s::connect::ClusterSpec;
use super::k8s::{KubeSettings, KubeSource};
use super::prometheus::{PromSettings, PromSource};
use crate::aws::ApiCalls;
use crate::config::{Config, PrometheusAt};

/// What a session reads beside its AWS scopes on Kubernetes; empty when config
/// names no cluster and no Prometheus.
#[derive(Clone, Default)]
pub struct ServingSetup {
    pub clusters: Vec<ClusterSpec>,
    pub kube: KubeSettings,
    pub prometheus: Option<(PrometheusAt, PromSettings)>,
    /// The first scope's AWS config: EKS tokens, DescribeCluster and AMP's SigV4.
    pub sdk: Option<aws_config::SdkConfig>,
    pub calls: ApiCalls,
}

impl ServingSetup {
    pub fn from_config(
        config: &Config,
        sdk: Option<&aws_config::SdkConfig>,
        calls: &ApiCalls,
    ) -> ServingSetup {
        let clusters = config
            .eks
            .iter()
            .cloned()
            .map(ClusterSpec::Eks)
            .chain(config.kubernetes.clone().map(ClusterSpec::Context))
            .collect();
        ServingSetup {
            clusters,
            kube: KubeSettings {
                mappings: config.mappings.clone(),
                tag_keys: config.identity.tag_keys.clone(),
                protected_tags: config.actions.protected_tags.clone(),
                in_flight: config.aws.max_in_flight,
                names: crate::model::identity::Normaliser::new(&config.identity.affixes),
            },
            prometheus: config
                .prometheus_at
                .clone()
                .map(|at| (at, PromSettings::from_config(config))),
            sdk: sdk.cloned(),
            calls: calls.clone(),
        }
    }

    /// A source per cluster, and Prometheus's (told what they find).
    pub fn sources(&self) -> (Vec<KubeSource>, Option<PromSource>) {
        let mut receivers = Vec::new();
        let kube = self
            .clusters
            .iter()
            .map(|spec| {
                let (tx, rx) = watch::channel(Vec::new());
                receivers.push(rx);
                let source = KubeSource::new(
                    spec.clone(),
                    self.sdk.clone(),
                    &self.calls,
                    self.kube.clone(),
                )
                .publish_targets(tx);
                // What a storageUri is in SageMaker's registry, asked as the first scope.
                match &self.sdk {
                    Some(sdk) => source.registered_in(ServedElsewhere::new(
                        sdk,
                        &self.calls,
                        self.kube.in_flight,
                    )),
                    None => source,
                }
            })
            .collect();
        let prometheus = self.prometheus.as_ref().map(|(at, settings)| {
            let rest = super::prometheus::client(at, self.sdk.as_ref(), &self.calls);
            PromSource::new(rest, settings.clone(), &self.calls, receivers)
        });
        (kube, prometheus)
    }
}
