//! Which metrics to ask CloudWatch for, and how the answers become each model's
//! series. Pure: the plan is built and folded without talking to AWS.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::super::targets::{EcsTarget, EndpointTarget};
use crate::config::MetricQuery;
use crate::model::metrics::{names, Series};

/// GetMetricData takes at most 500 queries per request.
pub const MAX_QUERIES_PER_CALL: usize = 500;

pub const SAGEMAKER: &str = "AWS/SageMaker";
pub const INSTANCE: &str = "/aws/sagemaker/Endpoints";
pub const ALB: &str = "AWS/ApplicationELB";
pub const ECS: &str = "AWS/ECS";

/// An ECS service's metrics, read as the endpoint's: the load balancer's requests,
/// target 4xx/5xx and response time (seconds, shown in ms) per target group, and
/// the service's CPU and memory (percent).
const SERVICE_METRICS: [(&str, &str, &str, &str, f64); 8] = [
    (ALB, "RequestCount", "Sum", names::INVOCATIONS, 1.0),
    (
        ALB,
        "HTTPCode_Target_4XX_Count",
        "Sum",
        names::ERRORS_4XX,
        1.0,
    ),
    (
        ALB,
        "HTTPCode_Target_5XX_Count",
        "Sum",
        names::ERRORS_5XX,
        1.0,
    ),
    (ALB, "TargetResponseTime", "p50", names::LATENCY_P50, 1000.0),
    (ALB, "TargetResponseTime", "p99", names::LATENCY_P99, 1000.0),
    (
        ALB,
        "UnHealthyHostCount",
        "Maximum",
        names::UNHEALTHY_HOSTS,
        1.0,
    ),
    (ECS, "CPUUtilization", "Average", names::CPU, 1.0),
    (ECS, "MemoryUtilization", "Average", names::MEMORY, 1.0),
];

/// How variants of one endpoint combine into the model's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Counts add up across variants.
    Sum,
    /// Latency and utilisation: the worst variant speaks for the endpoint.
    Max,
}

/// One metric of the endpoint, per variant: (namespace, metric, stat, stored as,
/// scale, combine). SageMaker reports latency in microseconds; the dashboard in ms.
const ENDPOINT_METRICS: [(&str, &str, &str, &str, f64, Combine); 8] = [
    (
        SAGEMAKER,
        "Invocations",
        "Sum",
        names::INVOCATIONS,
        1.0,
        Combine::Sum,
    ),
    (
        SAGEMAKER,
        "Invocation4XXErrors",
        "Sum",
        names::ERRORS_4XX,
        1.0,
        Combine::Sum,
    ),
    (
        SAGEMAKER,
        "Invocation5XXErrors",
        "Sum",
        names::ERRORS_5XX,
        1.0,
        Combine::Sum,
    ),
    (
        SAGEMAKER,
        "ModelLatency",
        "p50",
        names::LATENCY_P50,
        0.001,
        Combine::Max,
    ),
    (
        SAGEMAKER,
        "ModelLatency",
        "p99",
        names::LATENCY_P99,
        0.001,
        Combine::Max,
    ),
    (
        SAGEMAKER,
        "OverheadLatency",
        "Average",
        names::OVERHEAD_LATENCY,
        0.001,
        Combine::Max,
    ),
    (
        INSTANCE,
        "CPUUtilization",
        "Average",
        names::CPU,
        1.0,
        Combine::Max,
    ),
    (
        INSTANCE,
        "MemoryUtilization",
        "Average",
        names::MEMORY,
        1.0,
        Combine::Max,
    ),
];

/// What only the detail view charts: asked for only while a model is on screen.
/// The fleet view's cells need invocations, errors and p99 latency.
const DETAIL_ONLY: [&str; 5] = [
    names::LATENCY_P50,
    names::OVERHEAD_LATENCY,
    names::CPU,
    names::MEMORY,
    names::UNHEALTHY_HOSTS,
];

/// One query of the plan and where its answer goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub model: String,
    pub key: String,
    pub query: MetricQuery,
    pub scale: f64,
    pub combine: Combine,
}

/// Every query for one refresh: the endpoints' metrics per variant and the ECS
/// services' (all of them for the models `on_screen` says, the fleet view's few for
/// the rest), then each model's own metrics (discovered in the custom namespace, or
/// named in config).
pub fn plan(
    endpoints: &[EndpointTarget],
    services: &[EcsTarget],
    custom: &[(String, MetricQuery)],
    on_screen: impl Fn(&str) -> bool,
) -> Vec<Planned> {
    let mut out = Vec::new();
    for t in endpoints {
        let every_metric = on_screen(&t.model);
        for variant in &t.variants {
            for (namespace, metric, stat, key, scale, combine) in ENDPOINT_METRICS {
                if !every_metric && DETAIL_ONLY.contains(&key) {
                    continue;
                }
                let dimensions = BTreeMap::from([
                    ("EndpointName".to_string(), t.endpoint.clone()),
                    ("VariantName".to_string(), variant.clone()),
                ]);
                let what = [namespace, metric, stat, key];
                out.push(builtin(&t.model, what, dimensions, (scale, combine)));
            }
        }
    }
    for t in services {
        let every_metric = on_screen(&t.model);
        for (namespace, metric, stat, key, scale) in SERVICE_METRICS {
            if !every_metric && DETAIL_ONLY.contains(&key) {
                continue;
            }
            let dimensions = match (namespace, &t.load_balancer) {
                (ECS, _) => BTreeMap::from([
                    ("ClusterName".to_string(), t.cluster.clone()),
                    ("ServiceName".to_string(), t.service.clone()),
                ]),
                (_, Some((lb, group))) => BTreeMap::from([
                    ("LoadBalancer".to_string(), lb.clone()),
                    ("TargetGroup".to_string(), group.clone()),
                ]),
                // Not behind a load balancer: no request metrics.
                (_, None) => continue,
            };
            let what = [namespace, metric, stat, key];
            out.push(builtin(&t.model, what, dimensions, (scale, Combine::Max)));
        }
    }
    // The team's own numbers as published: their scale is decided from the answers.
    for (model, q) in custom {
        out.push(Planned {
            model: model.clone(),
            key: q.key.clone(),
            query: q.clone(),
            scale: 1.0,
            combine: Combine::Max,
        });
    }
    out
}

/// A metric AWS publishes for `model`'s endpoint or service: [namespace, metric,
/// stat, the key it is stored as], with how its numbers scale and combine.
fn builtin(
    model: &str,
    [namespace, metric, stat, key]: [&str; 4],
    dimensions: BTreeMap<String, String>,
    (scale, combine): (f64, Combine),
) -> Planned {
    Planned {
        model: model.to_string(),
        key: key.to_string(),
        query: MetricQuery {
            key: key.to_string(),
            namespace: namespace.to_string(),
            name: metric.to_string(),
            dimensions,
            stat: stat.to_string(),
            scale: None,
        },
        scale,
        combine,
    }
}

/// GetMetricData ids must start with a lower-case letter: "q" and the plan index.
pub fn query_id(index: usize) -> String {
    format!("q{index}")
}

pub fn index_of(id: &str) -> Option<usize> {
    id.strip_prefix('q')?.parse().ok()
}

/// Each model's series from the answers (plan index → points), variants combined
/// point by point, oldest first.
pub fn fold(
    plan: &[Planned],
    answers: &BTreeMap<usize, Vec<(Timestamp, f64)>>,
) -> BTreeMap<String, BTreeMap<String, Series>> {
    let mut combined: BTreeMap<(String, String), BTreeMap<Timestamp, f64>> = BTreeMap::new();
    for (i, points) in answers {
        let Some(p) = plan.get(*i) else { continue };
        let series = combined
            .entry((p.model.clone(), p.key.clone()))
            .or_default();
        for (t, v) in points {
            let v = v * p.scale;
            series
                .entry(*t)
                .and_modify(|old| {
                    *old = match p.combine {
                        Combine::Sum => *old + v,
                        Combine::Max => old.max(v),
                    }
                })
                .or_insert(v);
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, Series>> = BTreeMap::new();
    for ((model, key), points) in combined {
        out.entry(model)
            .or_default()
            .insert(key, Series::new(points.into_iter().collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(model: &str, variants: &[&str]) -> EndpointTarget {
        EndpointTarget {
            variants: variants.iter().map(|v| v.to_string()).collect(),
            ..EndpointTarget::named(model, &format!("{model}-ep"))
        }
    }

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn each_variant_gets_every_endpoint_metric_then_custom_ones_follow() {
        let custom = MetricQuery {
            key: "MAPE".into(),
            namespace: "MLOps/Models".into(),
            name: "MAPE".into(),
            dimensions: BTreeMap::from([("ModelName".into(), "demand".into())]),
            stat: "Average".into(),
            scale: None,
        };
        let p = plan(
            &[
                target("rec", &["blue", "green"]),
                target("demand", &["AllTraffic"]),
            ],
            &[],
            &[("demand".into(), custom.clone())],
            |_| true,
        );
        assert_eq!(p.len(), 3 * 8 + 1);
        assert_eq!(p[0].query.dimensions["VariantName"], "blue");
        assert_eq!(p[8].query.dimensions["VariantName"], "green");
        assert_eq!(p[24].query, custom);
        assert_eq!(index_of(&query_id(24)), Some(24));
        assert_eq!(index_of("x1"), None);
    }

    #[test]
    fn off_screen_models_get_only_what_the_fleet_view_shows() {
        let endpoints = [
            target("rec", &["blue", "green"]),
            target("demand", &["all"]),
        ];
        let p = plan(&endpoints, &[], &[], |m| m == "demand");
        let keys = |model: &str| -> Vec<&str> {
            p.iter()
                .filter(|q| q.model == model)
                .map(|q| q.key.as_str())
                .collect()
        };
        assert_eq!(keys("demand").len(), 8);
        let fleet = [
            names::INVOCATIONS,
            names::ERRORS_4XX,
            names::ERRORS_5XX,
            names::LATENCY_P99,
        ];
        assert_eq!(keys("rec"), [fleet, fleet].concat());
    }

    #[test]
    fn an_ecs_service_is_asked_for_through_its_load_balancer_and_cluster() {
        let service = EcsTarget {
            model: "churn".into(),
            cluster: "ml".into(),
            service: "upsell-api".into(),
            load_balancer: Some(("app/ml/1".into(), "targetgroup/churn/2".into())),
        };
        let p = plan(&[], std::slice::from_ref(&service), &[], |_| true);
        assert_eq!(p.len(), 8);
        let p99 = p.iter().find(|q| q.key == names::LATENCY_P99).unwrap();
        assert_eq!(p99.query.dimensions["TargetGroup"], "targetgroup/churn/2");
        assert_eq!(p99.scale, 1000.0);
        let cpu = p.iter().find(|q| q.key == names::CPU).unwrap();
        assert_eq!(cpu.query.dimensions["ServiceName"], "upsell-api");
        let fleet_only = plan(&[], std::slice::from_ref(&service), &[], |_| false);
        assert_eq!(fleet_only.len(), 4);
        let alone = EcsTarget {
            load_balancer: None,
            ..service
        };
        let p = plan(&[], &[alone], &[], |_| true);
        assert_eq!(
            p.iter()
                .map(|q| q.query.namespace.as_str())
                .collect::<Vec<_>>(),
            [ECS, ECS]
        );
    }

    #[test]
    fn variants_sum_counts_and_take_the_worst_latency_in_milliseconds() {
        let p = plan(&[target("rec", &["blue", "green"])], &[], &[], |_| true);
        let find = |variant: &str, key: &str| {
            p.iter()
                .position(|q| q.key == key && q.query.dimensions["VariantName"] == variant)
                .unwrap()
        };
        let answers = BTreeMap::from([
            (
                find("blue", "Invocations"),
                vec![(ts(0), 90.0), (ts(60), 80.0)],
            ),
            (find("green", "Invocations"), vec![(ts(0), 10.0)]),
            (find("blue", names::LATENCY_P99), vec![(ts(0), 120_000.0)]),
            (find("green", names::LATENCY_P99), vec![(ts(0), 900_000.0)]),
        ]);
        let series = fold(&p, &answers);
        let rec = &series["rec"];
        assert_eq!(
            rec["Invocations"].points,
            vec![(ts(0), 100.0), (ts(60), 80.0)]
        );
        assert_eq!(rec[names::LATENCY_P99].points, vec![(ts(0), 900.0)]);
    }
}
