//! The Kubernetes API as the source and the rollbacks use it: bounded lists
//! (`limit`/`continue`), one GET, one PATCH; every request counted; refusals said
//! with the verb and resource RBAC must grant.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::source::rest::{Call, Rest, RestError};

/// Objects asked per page, and pages read at most per list (4,000 objects).
pub const PAGE: usize = 200;
pub const MAX_PAGES: usize = 20;

/// A kind of object, where its API lives and how RBAC names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// "/apis/serving.kserve.io/v1beta1", "/apis/apps/v1", "/api/v1".
    pub api: &'static str,
    pub plural: &'static str,
    /// As RBAC rules and kubectl name it, e.g. "inferenceservices.serving.kserve.io".
    pub rbac: &'static str,
    /// The operation its list is counted as.
    pub list_operation: &'static str,
}

pub const INFERENCE_SERVICES: Resource = Resource {
    api: "/apis/serving.kserve.io/v1beta1",
    plural: "inferenceservices",
    rbac: "inferenceservices.serving.kserve.io",
    list_operation: "ListInferenceServices",
};
pub const DEPLOYMENTS: Resource = Resource {
    api: "/apis/apps/v1",
    plural: "deployments",
    rbac: "deployments.apps",
    list_operation: "ListDeployments",
};
pub const REPLICA_SETS: Resource = Resource {
    api: "/apis/apps/v1",
    plural: "replicasets",
    rbac: "replicasets.apps",
    list_operation: "ListReplicaSets",
};
pub const PODS: Resource = Resource {
    api: "/api/v1",
    plural: "pods",
    rbac: "pods",
    list_operation: "ListPods",
};

impl Resource {
    /// The collection's path, in one namespace or (None) in all.
    pub fn path(&self, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("{}/namespaces/{ns}/{}", self.api, self.plural),
            None => format!("{}/{}", self.api, self.plural),
        }
    }

    /// One object's path.
    pub fn object(&self, namespace: &str, name: &str) -> String {
        format!("{}/{name}", self.path(Some(namespace)))
    }
}

/// Why a request failed, with what the cluster answered.
#[derive(Debug, Clone)]
pub struct KubeError {
    pub status: Option<StatusCode>,
    pub line: String,
}

impl From<KubeError> for String {
    fn from(e: KubeError) -> String {
        e.line
    }
}

/// One cluster's API server.
#[derive(Clone)]
pub struct KubeApi {
    rest: Rest,
    /// The cluster as config names it.
    pub cluster: String,
}

impl KubeApi {
    pub fn new(rest: Rest, cluster: &str) -> KubeApi {
        KubeApi {
            rest,
            cluster: cluster.to_string(),
        }
    }

    /// Every object of `what` in `namespace` (None: all) matching `selector`, page
    /// by page; more than `MAX_PAGES` pages is an error, not a silent cut.
    pub async fn list(
        &self,
        what: Resource,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> Result<Vec<Value>, KubeError> {
        let path = what.path(namespace);
        let mut items = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("limit", PAGE.to_string())];
            if let Some(s) = selector {
                query.push(("labelSelector", s.to_string()));
            }
            if let Some(c) = &next {
                query.push(("continue", c.clone()));
            }
            let call = Call {
                operation: what.list_operation,
                method: Method::GET,
                path: &path,
                query: &query,
                body: None,
                content_type: None,
            };
            let page = self
                .rest
                .answer(&call)
                .await
                .map_err(|e| self.refused(e, "list", what, namespace))?;
            if let Some(list) = page["items"].as_array() {
                items.extend(list.iter().cloned());
            }
            next = page["metadata"]["continue"]
                .as_str()
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            if next.is_none() {
                return Ok(items);
            }
        }
        Err(KubeError {
            status: None,
            line: format!(
                "{}: more than {} {} in {}; name namespaces in config",
                self.cluster,
                PAGE * MAX_PAGES,
                what.plural,
                where_(namespace)
            ),
        })
    }

    /// One object, read now.
    pub async fn get(
        &self,
        what: Resource,
        namespace: &str,
        name: &str,
    ) -> Result<Value, KubeError> {
        let path = what.object(namespace, name);
        let kind = what
            .list_operation
            .strip_prefix("List")
            .unwrap_or(what.plural);
        let operation = format!("Get{kind}");
        let call = Call {
            operation: &operation,
            method: Method::GET,
            path: &path,
            query: &[],
            body: None,
            content_type: None,
        };
        self.rest
            .answer(&call)
            .await
            .map_err(|e| self.refused(e, "get", what, Some(namespace)))
    }

    /// One PATCH of one object, sent once: `content_type` names the patch kind.
    pub async fn patch(
        &self,
        (what, namespace, name): (Resource, &str, &str),
        body: &Value,
        content_type: &'static str,
        operation: &str,
    ) -> Result<Value, KubeError> {
        let path = what.object(namespace, name);
        let call = Call {
            operation,
            method: Method::PATCH,
            path: &path,
            query: &[],
            body: Some(body),
            content_type: Some(content_type),
        };
        self.rest
            .answer(&call)
            .await
            .map_err(|e| self.refused(e, "patch", what, Some(namespace)))
    }

    /// The one line for a failed request: RBAC's verb and resource for a 403, the
    /// token's mapping for a 401.
    fn refused(
        &self,
        e: RestError,
        verb: &str,
        what: Resource,
        namespace: Option<&str>,
    ) -> KubeError {
        let place = where_(namespace);
        let line = match e.status.map(|s| s.as_u16()) {
            Some(403) => format!(
                "{}: forbidden to {verb} {} in {place}; grant {verb} on {} to this identity (RBAC)",
                self.cluster, what.plural, what.rbac
            ),
            Some(401) => format!(
                "{}: the API server does not accept this identity ({e}); map its IAM role \
                 (an EKS access entry or aws-auth) or renew the token",
                self.cluster
            ),
            _ => format!("{}: {e}", self.cluster),
        };
        KubeError {
            status: e.status,
            line,
        }
    }
}

fn where_(namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "all namespaces".to_string(),
    }
}
