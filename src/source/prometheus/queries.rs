//! The PromQL the Prometheus source asks: one `query_range` per metric class for
//! every workload at once (their names as a regex), answering series labelled
//! `namespace` and `workload` (and `revision` where KServe's Knative revisions say
//! it). Built-in templates read KServe/Knative's queue-proxy metrics and the
//! FastAPI instrumentator's; config replaces any of them.

use std::collections::BTreeMap;

use super::matrix::Combine;
use crate::config::kube::{NAMESPACES, WORKLOADS};
use crate::model::metrics::names;

/// Knative's queue-proxy: per-revision counts and latencies (milliseconds), the
/// predictor's configuration named "<isvc>-predictor" (older KServe:
/// "-predictor-default").
const KNATIVE_SELECTOR: &str =
    r#"configuration_name=~"({workloads})-predictor(-default)?",namespace_name=~"{namespaces}""#;
/// The FastAPI instrumentator, scraped per pod: a Deployment's pods are
/// "<deployment>-<replicaset hash>-<pod hash>".
const POD_SELECTOR: &str = r#"pod=~"({workloads})-[a-z0-9]+-[a-z0-9]+",namespace=~"{namespaces}""#;

fn knative(expr: &str) -> String {
    format!(
        r#"label_replace(label_replace(label_replace({expr}, "workload", "$1", "configuration_name", "(.+?)-predictor(-default)?"), "namespace", "$1", "namespace_name", "(.+)"), "revision", "$1", "revision_name", "(.+)")"#
    )
}

fn by_pod(expr: &str) -> String {
    format!(r#"label_replace({expr}, "workload", "$1", "pod", "(.+)-[a-z0-9]+-[a-z0-9]+")"#)
}

/// The built-in template of each class: requests and 5xx per second, latency in ms.
pub fn defaults() -> BTreeMap<&'static str, String> {
    let k = |m: &str| format!("{m}{{{KNATIVE_SELECTOR}}}");
    let k5 = |m: &str| format!(r#"{m}{{response_code_class="5xx",{KNATIVE_SELECTOR}}}"#);
    let p = |m: &str, extra: &str| format!("{m}{{{extra}{POD_SELECTOR}}}");
    let rate = |sel: String| format!("rate({sel}[5m])");
    let quantile = |q: &str, kn: String, pod: String| {
        format!(
            "histogram_quantile({q}, sum by (le, namespace, workload, revision) ({})) or \
             1000 * histogram_quantile({q}, sum by (le, namespace, workload) ({}))",
            knative(&rate(kn)),
            by_pod(&rate(pod))
        )
    };
    let count = |kn: String, pod: String| {
        format!(
            "sum by (namespace, workload, revision) ({}) or sum by (namespace, workload) ({})",
            knative(&rate(kn)),
            by_pod(&rate(pod))
        )
    };
    BTreeMap::from([
        (
            "requests",
            count(
                k("revision_app_request_count"),
                p("http_requests_total", ""),
            ),
        ),
        (
            "errors_5xx",
            count(
                k5("revision_app_request_count"),
                p("http_requests_total", r#"status=~"5..","#),
            ),
        ),
        (
            "latency_p50",
            quantile(
                "0.5",
                k("revision_app_request_latencies_bucket"),
                p("http_request_duration_seconds_bucket", ""),
            ),
        ),
        (
            "latency_p99",
            quantile(
                "0.99",
                k("revision_app_request_latencies_bucket"),
                p("http_request_duration_seconds_bucket", ""),
            ),
        ),
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

/// Regex-safe: names are DNS labels, but a stray character must not widen a query.
fn escape(name: &str) -> String {
    name.chars()
        .flat_map(|c| match c {
            '.' | '+' | '*' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' | '\\' => {
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
