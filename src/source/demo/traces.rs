//! The demo's X-Ray: API gateway → feature service → each model's endpoint, and a
//! slow trace whose waterfall shows the culprit (the endpoint in the 5xx spike, else
//! a slow feature-store lookup).

use super::profiles::Profile;
use crate::model::traces::{ServiceNode, Span, TraceFacts, TraceSummary, Waterfall};

const GATEWAY: &str = "retail-api-gateway";
const FEATURES: &str = "feature-service";

pub fn traces(profiles: &[Profile], spike: bool) -> TraceFacts {
    let endpoints: Vec<ServiceNode> = profiles
        .iter()
        .take(4)
        .map(|p| {
            let faulty = spike && p.name == "recommendation-engine";
            node(
                &format!("{}-prod", p.name),
                "AWS::SageMaker::Endpoint",
                (p.invocations_per_min * 15.0) as u64,
                if faulty { (0.4, 8.0) } else { (0.3, 0.1) },
                if faulty {
                    (p.latency_p50_ms * 3.0, p.latency_p99_ms * 5.2)
                } else {
                    (p.latency_p50_ms, p.latency_p99_ms)
                },
                Vec::new(),
                Some(p.name.clone()),
            )
        })
        .collect();
    let total: u64 = endpoints.iter().map(|e| e.requests).sum();
    let mut services = vec![
        node(
            GATEWAY,
            "AWS::ApiGateway::Stage",
            total,
            (1.1, if spike { 2.9 } else { 0.1 }),
            (95.0, 620.0),
            vec![FEATURES.into()],
            None,
        ),
        node(
            FEATURES,
            "AWS::ECS::Container",
            total,
            (0.2, 0.05),
            (14.0, 58.0),
            endpoints.iter().map(|e| e.name.clone()).collect(),
            None,
        ),
    ];
    services.extend(endpoints);
    services.sort_by(|a, b| {
        (b.fault_rate, b.error_rate)
            .partial_cmp(&(a.fault_rate, a.error_rate))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let slow = match spike {
        true => slow_trace(
            "1-6740a2f1-3c9b0d2e8f1a4b5c6d7e8f90",
            "POST /recommendations",
            "recommendation-engine-prod",
            2410.0,
            true,
        ),
        false => slow_trace(
            "1-6740a2f1-9a8b7c6d5e4f3a2b1c0d9e8f",
            "POST /forecast",
            "demand-forecasting-prod",
            1240.0,
            false,
        ),
    };
    let quick = |id: &str, entry: &str, ms: f64| TraceSummary {
        id: id.into(),
        duration_ms: ms,
        http_status: Some(200),
        fault: false,
        error: false,
        throttle: false,
        entry: Some(entry.into()),
        waterfall: None,
    };
    TraceFacts {
        services,
        traces: vec![
            slow,
            quick(
                "1-6740a2f0-1b2c3d4e5f60718293a4b5c6",
                "POST /segments",
                240.0,
            ),
            quick(
                "1-6740a2ef-0f1e2d3c4b5a69788796a5b4",
                "POST /churn-score",
                120.0,
            ),
        ],
        window_minutes: 15,
        problem: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn node(
    name: &str,
    kind: &str,
    requests: u64,
    (error_rate, fault_rate): (f64, f64),
    (avg_ms, p99_ms): (f64, f64),
    calls: Vec<String>,
    model: Option<String>,
) -> ServiceNode {
    ServiceNode {
        name: name.into(),
        kind: kind.into(),
        requests,
        error_rate,
        fault_rate,
        throttle_rate: 0.0,
        avg_ms,
        p99_ms: Some(p99_ms),
        calls,
        model,
    }
}

/// Gateway → feature service (its Redis lookup) → the endpoint → its model container.
fn slow_trace(id: &str, entry: &str, endpoint: &str, total: f64, fault: bool) -> TraceSummary {
    let span = |name: &str, depth, start_ms, duration_ms, status: u16| Span {
        name: name.into(),
        depth,
        start_ms,
        duration_ms,
        http_status: Some(status),
        fault: fault && status >= 500,
        error: false,
        throttle: false,
    };
    let status = if fault { 500 } else { 200 };
    // Without the spike the feature store is the slow part; with it, the model.
    let (redis, model) = if fault {
        (12.0, total - 120.0)
    } else {
        (880.0, 190.0)
    };
    let spans = vec![
        span(GATEWAY, 0, 0.0, total, status),
        span(FEATURES, 1, 8.0, redis + 40.0, 200),
        span("redis GET features", 2, 20.0, redis, 200),
        span(endpoint, 1, redis + 60.0, model + 30.0, status),
        span(
            "model container /invocations",
            2,
            redis + 70.0,
            model,
            status,
        ),
    ];
    TraceSummary {
        id: id.into(),
        duration_ms: total,
        http_status: Some(status),
        fault,
        error: false,
        throttle: false,
        entry: Some(entry.into()),
        waterfall: Some(Waterfall {
            spans,
            problem: None,
        }),
    }
}
