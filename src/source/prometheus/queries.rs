//! The PromQL the Prometheus source asks: one `query_range` per metric class for
//! every workload at once (their names as a regex), answering series labelled
//! `namespace` and `workload` (and `revision` where KServe's Knative revisions say
//! it). Built-in templates read three conventions, each series tagged with `via`:
//! KServe/Knative's queue-proxy, Istio's sidecars, and the FastAPI instrumentator
//! scraped per pod. A workload seen through several (a FastAPI pod in a mesh) is
//! read through the first of them (`PREFERRED`), never counted twice. Config
//! replaces any class's template.

use std::collections::BTreeMap;

use super::matrix::Combine;
use crate::config::kube::{NAMESPACES, WORKLOADS};
use crate::model::metrics::names;

/// The conventions in the order a workload's series are taken from.
pub const PREFERRED: [&str; 3] = ["knative", "istio", "app"];

/// Knative's queue-proxy: per-revision counts and latencies (milliseconds), the
/// predictor's configuration named "<isvc>-predictor" (older KServe:
/// "-predictor-default").
const KNATIVE_SELECTOR: &str =
    r#"configuration_name=~"({workloads})-predictor(-default)?",namespace_name=~"{namespaces}""#;
/// Istio's sidecar, as the destination reports it: the workload is the Deployment
/// (KServe's raw mode: "<isvc>-predictor"), latencies in milliseconds.
const ISTIO_SELECTOR: &str = r#"reporter="destination",destination_workload=~"({workloads})(-predictor(-default)?)?",destination_workload_namespace=~"{namespaces}""#;
/// The FastAPI instrumentator, scraped per pod: a Deployment's pods are
/// "<deployment>-<replicaset hash>-<pod hash>", latencies in seconds.
const POD_SELECTOR: &str = r#"pod=~"({workloads})-[a-z0-9]+-[a-z0-9]+",namespace=~"{namespaces}""#;

fn via(expr: String, name: &str) -> String {
    format!(r#"label_replace({expr}, "via", "{name}", "", "")"#)
}

fn knative(expr: &str) -> String {
    format!(
        r#"label_replace(label_replace(label_replace({expr}, "workload", "$1", "configuration_name", "(.+?)-predictor(-default)?"), "namespace", "$1", "namespace_name", "(.+)"), "revision", "$1", "revision_name", "(.+)")"#
    )
}

fn istio(expr: &str) -> String {
    format!(
        r#"label_replace(label_replace({expr}, "workload", "$1", "destination_workload", "(.+?)(-predictor(-default)?)?"), "namespace", "$1", "destination_workload_namespace", "(.+)")"#
    )
}

fn by_pod(expr: &str) -> String {
    format!(r#"label_replace({expr}, "workload", "$1", "pod", "(.+)-[a-z0-9]+-[a-z0-9]+")"#)
}

/// A class's three readings: (metric, extra matchers) for Knative, Istio and the app.
struct Sources<'a> {
    knative: (&'a str, &'a str),
    istio: (&'a str, &'a str),
    app: (&'a str, &'a str),
}

impl Sources<'_> {
    fn selectors(&self) -> [String; 3] {
        let sel = |(metric, extra): (&str, &str), base: &str| format!("{metric}{{{extra}{base}}}");
        [
            sel(self.knative, KNATIVE_SELECTOR),
            sel(self.istio, ISTIO_SELECTOR),
            sel(self.app, POD_SELECTOR),
        ]
    }

    /// Per second, summed per workload (and Knative revision).
    fn rate(&self) -> String {
        let [k, i, a] = self.selectors().map(|s| format!("rate({s}[5m])"));
        [
            via(
                format!("sum by (namespace, workload, revision) ({})", knative(&k)),
                "knative",
            ),
            via(
                format!("sum by (namespace, workload) ({})", istio(&i)),
                "istio",
            ),
            via(
                format!("sum by (namespace, workload) ({})", by_pod(&a)),
                "app",
            ),
        ]
        .join(" or ")
    }

    /// The `q` quantile in milliseconds (the app's histogram is in seconds).
    fn quantile(&self, q: &str) -> String {
        let [k, i, a] = self.selectors().map(|s| format!("rate({s}[5m])"));
        [
            via(
                format!(
                    "histogram_quantile({q}, sum by (le, namespace, workload, revision) ({}))",
                    knative(&k)
                ),
                "knative",
            ),
            via(
                format!(
                    "histogram_quantile({q}, sum by (le, namespace, workload) ({}))",
                    istio(&i)
                ),
                "istio",
            ),
            via(
                format!(
                    "1000 * histogram_quantile({q}, sum by (le, namespace, workload) ({}))",
                    by_pod(&a)
                ),
                "app",
            ),
        ]
        .join(" or ")
    }
}

/// The built-in template of each class: requests and 5xx per second, latency in ms.
pub fn defaults() -> BTreeMap<&'static str, String> {
    let requests = Sources {
        knative: ("revision_app_request_count", ""),
        istio: ("istio_requests_total", ""),
        app: ("http_requests_total", ""),
    };
    let errors = Sources {
        knative: (
            "revision_app_request_count",
            r#"response_code_class="5xx","#,
        ),
        istio: ("istio_requests_total", r#"response_code=~"5..","#),
        app: ("http_requests_total", r#"status=~"5..","#),
    };
    let latency = Sources {
        knative: ("revision_app_request_latencies_bucket", ""),
        istio: ("istio_request_duration_milliseconds_bucket", ""),
        app: ("http_request_duration_seconds_bucket", ""),
    };
    BTreeMap::from([
        ("requests", requests.rate()),
        ("errors_5xx", errors.rate()),
        ("latency_p50", latency.quantile("0.5")),
        ("latency_p99", latency.quantile("0.99")),
    ])
}

/// The metric a class's series are kept under, what its values are scaled by (per
/// second → per minute, like CloudWatch's one-minute sums), and how a workload's
/// revisions combine.
pub fn stored_as(class: &str) -> Option<(&'static str, f64, Combine)> {
    match class {
        "requests" => Some((names::INVOCATIONS, 60.0, Combine::Sum)),
        "errors_5xx" => Some((names::ERRORS_5XX, 60.0, Combine::Sum)),
        "latency_p50" => Some((names::LATENCY_P50, 1.0, Combine::Max)),
        "latency_p99" => Some((names::LATENCY_P99, 1.0, Combine::Max)),
        _ => None,
    }
}

/// Regex-safe inside a PromQL string: names are DNS labels, but a stray character
/// from a misbehaving server must neither widen the regex nor end the string (a
/// regex escape is `\\` in PromQL, so a backslash itself is four).
fn escape(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '\\' => vec!['\\'; 4],
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                vec!['\\', '\\', c]
            }
            '"' => vec!['\\', '"'],
            c => vec![c],
        })
        .collect()
}

/// The template with the workloads' and namespaces' regexes in place.
pub fn fill(template: &str, workloads: &[&str], namespaces: &[&str]) -> String {
    let alternatives = |names: &[&str]| {
        let mut unique: Vec<String> = names.iter().map(|n| escape(n)).collect();
        unique.sort();
        unique.dedup();
        unique.join("|")
    };
    template
        .replace(WORKLOADS, &alternatives(workloads))
        .replace(NAMESPACES, &alternatives(namespaces))
}

/// Names split so that each query's regex stays short enough for a GET's URL.
pub fn chunks<'a>(names: &'a [&'a str]) -> Vec<&'a [&'a str]> {
    const MAX_CHARS: usize = 2000;
    let mut out = Vec::new();
    let mut start = 0;
    let mut length = 0;
    for (i, n) in names.iter().enumerate() {
        if length + n.len() + 1 > MAX_CHARS && i > start {
            out.extend(names.get(start..i));
            start = i;
            length = 0;
        }
        length += n.len() + 1;
    }
    if start < names.len() {
        out.extend(names.get(start..));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_filled_with_escaped_alternatives_and_every_class_is_stored() {
        let q = fill(
            r#"x{pod=~"({workloads})-.+",namespace=~"{namespaces}"}"#,
            &["b", "a.b", "b"],
            &["serving"],
        );
        assert_eq!(q, r#"x{pod=~"(a\\.b|b)-.+",namespace=~"serving"}"#);
        // A hostile name can neither end the string nor escape the escape.
        let q = fill(r#"x{pod=~"{workloads}"}"#, &["a\\\"}or vector(1)#\n"], &[]);
        assert_eq!(q, r#"x{pod=~"a\\\\\"\\}or vector\\(1\\)#"}"#);
        for (class, template) in defaults() {
            assert!(template.contains(WORKLOADS), "{class}");
            assert!(stored_as(class).is_some(), "{class}");
        }
        let many: Vec<String> = (0..500).map(|i| format!("model-{i:03}")).collect();
        let names: Vec<&str> = many.iter().map(String::as_str).collect();
        let parts = chunks(&names);
        assert!(parts.len() > 1);
        assert_eq!(parts.iter().map(|p| p.len()).sum::<usize>(), 500);
    }
}
