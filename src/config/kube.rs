//! `[[eks]]`, `[kubernetes]` and `[prometheus]`: where models served on Kubernetes
//! run and where their metrics are. Tokens and passwords never live in the file:
//! EKS tokens are minted from the AWS credentials, Prometheus's come from the
//! environment.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

/// An EKS cluster whose API server is found with DescribeCluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksConfig {
    pub cluster: String,
    /// Its region, when not the session's first.
    #[serde(default)]
    pub region: Option<String>,
    /// Namespaces read; empty: every namespace the identity may list.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

/// A cluster from a kubeconfig file (KUBECONFIG, else ~/.kube/config).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesConfig {
    /// The context to use; unset: the file's current-context (when `[kubernetes]`
    /// is present at all).
    pub context: Option<String>,
    /// A kubeconfig file other than KUBECONFIG or ~/.kube/config.
    pub kubeconfig: Option<String>,
    pub namespaces: Vec<String>,
}

/// A Prometheus server or an Amazon Managed Service for Prometheus workspace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrometheusConfig {
    /// "http(s)://host:port" of a self-hosted server (PROMETHEUS_TOKEN, or
    /// PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD, authenticate).
    pub url: Option<Spanned<String>>,
    /// An AMP workspace id ("ws-…"), queried with SigV4 (service `aps`).
    pub workspace: Option<Spanned<String>>,
    /// The workspace's region, when not the session's first.
    pub region: Option<String>,
    /// PromQL templates by metric class, over the built-in ones.
    pub queries: BTreeMap<String, Spanned<String>>,
    /// The team's own gauges by the key they are judged under (e.g. MAPE =
    /// "model_mape"), each labelled with the model's name in `model_label`.
    pub model_metrics: BTreeMap<String, String>,
    /// The label that names the model on `model_metrics` [default "model"].
    pub model_label: Option<String>,
}

/// The metric classes a template can be given for, and what they are stored as.
pub const CLASSES: [&str; 4] = ["requests", "errors_5xx", "latency_p50", "latency_p99"];

/// Where a template puts the names it asks about.
pub const WORKLOADS: &str = "{workloads}";
pub const NAMESPACES: &str = "{namespaces}";

/// A template for `class`: a known class, asking about the workloads it is given.
pub fn check_template(
    class: &str,
    template: &Spanned<String>,
) -> Result<(), (Range<usize>, String)> {
    if !CLASSES.contains(&class) {
        return Err((
            template.span(),
            format!(
                "promql: {class:?} is not a metric class ({})",
                CLASSES.join(", ")
            ),
        ));
    }
    if !template.get_ref().contains(WORKLOADS) {
        return Err((
            template.span(),
            format!(
                "promql {class}: the template must select by {WORKLOADS} (the workloads' \
                 names as a regex), or it would ask about every series"
            ),
        ));
    }
    Ok(())
}

/// Where Prometheus is, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrometheusAt {
    Url(String),
    Workspace { id: String, region: Option<String> },
}

impl PrometheusConfig {
    /// The checked server, or the position and what is wrong.
    pub fn checked(&self) -> Result<Option<PrometheusAt>, (Range<usize>, String)> {
        for (class, template) in &self.queries {
            check_template(class, template)?;
        }
        match (&self.url, &self.workspace) {
            (Some(_), Some(ws)) => Err((
                ws.span(),
                "url and workspace: Prometheus is one or the other".into(),
            )),
            (Some(url), None) => super::pipelines::http_url(url.get_ref())
                .map(|u| Some(PrometheusAt::Url(u)))
                .ok_or_else(|| {
                    (
                        url.span(),
                        format!(
                            "url: {:?} is not an http(s) URL",
                            crate::model::secret::redact_urls(url.get_ref())
                        ),
                    )
                }),
            (None, Some(ws)) => {
                let id = ws.get_ref().trim();
                let ok = id.len() <= 64
                    && id.strip_prefix("ws-").is_some_and(|rest| {
                        !rest.is_empty()
                            && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !ok {
                    return Err((
                        ws.span(),
                        format!("workspace: {id:?} is not an AMP workspace id like \"ws-…\""),
                    ));
                }
                Ok(Some(PrometheusAt::Workspace {
                    id: id.to_string(),
                    region: self.region.clone(),
                }))
            }
            (None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prometheus(text: &str) -> Result<Option<PrometheusAt>, String> {
        let c: PrometheusConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.checked().map_err(|(_, why)| why)
    }

    #[test]
    fn prometheus_is_a_url_or_a_workspace_and_templates_select_by_workload() {
        assert_eq!(
            prometheus("url = \"http://127.0.0.1:9090/\"").unwrap(),
            Some(PrometheusAt::Url("http://127.0.0.1:9090".into()))
        );
        assert_eq!(
            prometheus("workspace = \"ws-0a1b2c\"").unwrap(),
            Some(PrometheusAt::Workspace {
                id: "ws-0a1b2c".into(),
                region: None
            })
        );
        assert!(prometheus("workspace = \"prod\"")
            .unwrap_err()
            .contains("AMP workspace id"));
        assert!(prometheus("url = \"http://p:9090\"\nworkspace = \"ws-1\"")
            .unwrap_err()
            .contains("one or the other"));
        assert!(prometheus("[queries]\nrequests = \"sum(rate(x[5m]))\"")
            .unwrap_err()
            .contains("{workloads}"));
        assert!(
            prometheus("[queries]\nqps = \"x{pod=~\\\"{workloads}\\\"}\"")
                .unwrap_err()
                .contains("not a metric class")
        );
    }
}
