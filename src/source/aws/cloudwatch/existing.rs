//! Which endpoint metrics exist, from ListMetrics: CloudWatch bills each metric
//! asked for whether or not it has data, and a metric exists only once something
//! was published to it (an endpoint without traffic has no Invocations; a
//! serverless one no CPUUtilization). Listed with the other discovery, and again
//! when an endpoint appears that the last listing did not cover.

use std::collections::{BTreeSet, HashSet};

use aws_sdk_cloudwatch::types::Metric;
use aws_sdk_cloudwatch::Client;

use super::discover::list;
use super::queries::{INSTANCE, SAGEMAKER};
use crate::config::MetricQuery;

/// The endpoint metrics that exist, and the endpoints the listing covered.
#[derive(Debug, Clone, Default)]
pub struct Existing {
    /// (namespace, metric, endpoint, variant).
    metrics: HashSet<(String, String, String, String)>,
    covered: BTreeSet<String>,
}

impl Existing {
    /// Lists both endpoint namespaces for `endpoints`.
    pub async fn list(client: &Client, endpoints: BTreeSet<String>) -> Result<Existing, String> {
        let (invocations, instances) = tokio::join!(
            list(client, SAGEMAKER, Some("EndpointName")),
            list(client, INSTANCE, Some("EndpointName")),
        );
        let mut metrics = HashSet::new();
        for (namespace, listed) in [(SAGEMAKER, invocations?), (INSTANCE, instances?)] {
            metrics.extend(listed.iter().filter_map(|m| key(namespace, m)));
        }
        Ok(Existing {
            metrics,
            covered: endpoints,
        })
    }

    /// Whether a listing made now would cover an endpoint the last one did not.
    pub fn covers(&self, endpoints: &BTreeSet<String>) -> bool {
        endpoints.is_subset(&self.covered)
    }

    /// Whether `q` is worth asking for: not an endpoint metric, an endpoint the
    /// listing did not cover, or one that exists.
    pub fn worth_asking(&self, q: &MetricQuery) -> bool {
        if q.namespace != SAGEMAKER && q.namespace != INSTANCE {
            return true;
        }
        let (Some(endpoint), Some(variant)) = (
            q.dimensions.get("EndpointName"),
            q.dimensions.get("VariantName"),
        ) else {
            return true;
        };
        !self.covered.contains(endpoint)
            || self.metrics.contains(&(
                q.namespace.clone(),
                q.name.clone(),
                endpoint.clone(),
                variant.clone(),
            ))
    }
}

fn key(namespace: &str, m: &Metric) -> Option<(String, String, String, String)> {
    let dim = |name: &str| {
        m.dimensions()
            .iter()
            .find(|d| d.name() == Some(name))
            .and_then(|d| d.value())
            .map(str::to_string)
    };
    Some((
        namespace.to_string(),
        m.metric_name()?.to_string(),
        dim("EndpointName")?,
        dim("VariantName")?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn q(namespace: &str, name: &str, endpoint: &str) -> MetricQuery {
        MetricQuery {
            key: name.into(),
            namespace: namespace.into(),
            name: name.into(),
            dimensions: BTreeMap::from([
                ("EndpointName".into(), endpoint.into()),
                ("VariantName".into(), "AllTraffic".into()),
            ]),
            stat: "Sum".into(),
            scale: None,
        }
    }

    #[test]
    fn only_metrics_that_exist_are_asked_for_on_covered_endpoints() {
        let existing = Existing {
            metrics: [(
                SAGEMAKER.to_string(),
                "Invocations".to_string(),
                "busy".to_string(),
                "AllTraffic".to_string(),
            )]
            .into(),
            covered: ["busy".to_string(), "idle".to_string()].into(),
        };
        assert!(existing.worth_asking(&q(SAGEMAKER, "Invocations", "busy")));
        assert!(!existing.worth_asking(&q(SAGEMAKER, "Invocation5XXErrors", "busy")));
        assert!(!existing.worth_asking(&q(INSTANCE, "CPUUtilization", "busy")));
        assert!(
            !existing.worth_asking(&q(SAGEMAKER, "Invocations", "idle")),
            "no traffic"
        );
        assert!(
            existing.worth_asking(&q(SAGEMAKER, "Invocations", "new")),
            "not listed yet"
        );
        assert!(
            existing.worth_asking(&q("MLOps/Models", "CTR", "busy")),
            "not an endpoint's"
        );
        assert!(!existing.covers(&["new".to_string()].into()));
        assert!(existing.covers(&["idle".to_string()].into()));
    }
}
