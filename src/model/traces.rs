//! X-Ray: the service map of the window, the slowest and faulty traces, and each of
//! those as a waterfall of segments.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceFacts {
    /// Worst first: fault rate, then error rate, then p99.
    pub services: Vec<ServiceNode>,
    /// Faulty first, then slowest.
    pub traces: Vec<TraceSummary>,
    pub window_minutes: i64,
    /// Why the traces could not be listed, while the service map still could.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceNode {
    pub name: String,
    /// X-Ray's type, e.g. AWS::ApiGateway::Stage, AWS::SageMaker::Endpoint.
    pub kind: String,
    pub requests: u64,
    /// Shares of requests, in percent: 4xx, 5xx, 429.
    pub error_rate: f64,
    pub fault_rate: f64,
    pub throttle_rate: f64,
    pub avg_ms: f64,
    pub p99_ms: Option<f64>,
    /// The services it calls.
    pub calls: Vec<String>,
    /// The model whose endpoint or API it is, when known.
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub id: String,
    pub duration_ms: f64,
    pub http_status: Option<u16>,
    pub fault: bool,
    pub error: bool,
    pub throttle: bool,
    /// The request, e.g. "POST /forecast".
    pub entry: Option<String>,
    /// The segments, when the trace was fetched in full.
    pub waterfall: Option<Waterfall>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Waterfall {
    /// Depth-first, by start time within each parent.
    pub spans: Vec<Span>,
    /// Why some segments could not be read, if any.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub name: String,
    pub depth: usize,
    /// From the start of the trace.
    pub start_ms: f64,
    pub duration_ms: f64,
    pub http_status: Option<u16>,
    pub fault: bool,
    pub error: bool,
    pub throttle: bool,
}

impl TraceSummary {
    /// The span that took longest of its own time (its duration less its children's):
    /// where the latency goes.
    pub fn culprit(&self) -> Option<&Span> {
        let spans = &self.waterfall.as_ref()?.spans;
        let own = |i: usize| {
            let s = &spans[i];
            let children: f64 = spans[i + 1..]
                .iter()
                .take_while(|c| c.depth > s.depth)
                .filter(|c| c.depth == s.depth + 1)
                .map(|c| c.duration_ms)
                .sum();
            (s.duration_ms - children).max(0.0)
        };
        (0..spans.len())
            .max_by(|a, b| own(*a).total_cmp(&own(*b)))
            .map(|i| &spans[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, depth: usize, start_ms: f64, duration_ms: f64) -> Span {
        Span {
            name: name.into(),
            depth,
            start_ms,
            duration_ms,
            http_status: None,
            fault: false,
            error: false,
            throttle: false,
        }
    }

    #[test]
    fn the_culprit_is_the_span_with_most_time_of_its_own() {
        let t = TraceSummary {
            id: "1".into(),
            duration_ms: 1240.0,
            http_status: Some(200),
            fault: false,
            error: false,
            throttle: false,
            entry: None,
            waterfall: Some(Waterfall {
                spans: vec![
                    span("gateway", 0, 0.0, 1240.0),
                    span("features", 1, 8.0, 920.0),
                    span("redis", 2, 20.0, 880.0),
                    span("endpoint", 1, 940.0, 220.0),
                ],
                problem: None,
            }),
        };
        // The gateway's own time is 100 ms, the features service's 40: redis it is.
        assert_eq!(t.culprit().map(|s| s.name.as_str()), Some("redis"));
    }
}
