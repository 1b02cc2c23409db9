//! Each serving workload's pods, in as few requests as the namespaces allow: a
//! namespace with several workloads is listed once and its pods matched to them
//! by their selectors here; a lone workload's pods are listed by its selector.

use std::collections::BTreeMap;

use serde_json::Value;

use super::api::{KubeApi, PODS};
use super::read;
use crate::model::k8s::{Pods, Workload};
use crate::source::aws::fan_out::fan_out;
use crate::source::owner::Owner;

/// Workloads of one namespace above this are served by one listing of it.
const LIST_NAMESPACE_FROM: usize = 3;

/// Each workload's pods and how many are ready, in `found`'s order; None where they
/// could not be read (or it selects by expressions only).
pub async fn read(
    api: &KubeApi,
    found: &[(Owner, Workload, Option<String>)],
    in_flight: usize,
) -> Vec<Option<(Pods, u32)>> {
    let mut by_namespace: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, w, selector) in found {
        if selector.is_some() {
            *by_namespace.entry(w.namespace.as_str()).or_default() += 1;
        }
    }
    let whole: Vec<&str> = by_namespace
        .into_iter()
        .filter(|(_, n)| *n > LIST_NAMESPACE_FROM)
        .map(|(ns, _)| ns)
        .collect();
    let listed = fan_out(whole, in_flight, |ns| async move {
        let pods = api.list(PODS, Some(ns), None).await;
        if let Err(e) = &pods {
            tracing::warn!("{}", e.line);
        }
        (ns, pods.ok())
    })
    .await;
    let namespaces: BTreeMap<&str, Option<Vec<Value>>> = listed.into_iter().collect();
    fan_out(
        found.iter(),
        in_flight,
        |(_, w, selector): &(Owner, Workload, Option<String>)| {
            let namespaces = &namespaces;
            async move {
                let selector = selector.as_deref()?;
                let items = match namespaces.get(w.namespace.as_str()) {
                    Some(listed) => listed
                        .as_ref()?
                        .iter()
                        .filter(|p| selects(selector, p))
                        .cloned()
                        .collect(),
                    None => match api.list(PODS, Some(&w.namespace), Some(selector)).await {
                        Ok(items) => items,
                        Err(e) => {
                            tracing::warn!("{}", e.line);
                            return None;
                        }
                    },
                };
                Some(read::pods(&items))
            }
        },
    )
    .await
}

/// Whether an equality selector ("k=v,k2=v2") selects the pod.
fn selects(selector: &str, pod: &Value) -> bool {
    let labels = &pod["metadata"]["labels"];
    selector.split(',').all(|part| match part.split_once('=') {
        Some((k, v)) => labels[k].as_str() == Some(v),
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_selectors_select_on_every_label() {
        let pod = serde_json::json!({"metadata": {"labels": {"app": "api", "tier": "web"}}});
        assert!(selects("app=api", &pod));
        assert!(selects("app=api,tier=web", &pod));
        assert!(!selects("app=api,tier=db", &pod));
        assert!(!selects("app", &pod));
    }
}
