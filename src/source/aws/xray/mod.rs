//! X-Ray: the service map of a short window (GetServiceGraph), the slowest and
//! faulty traces in it (GetTraceSummaries), and the worst few in full
//! (BatchGetTraces). X-Ray bills per trace retrieved and scanned, so the window is
//! short and the number of traces bounded (both configurable).

mod segments;

use std::collections::HashMap;

use aws_sdk_xray::primitives::DateTime;
use aws_sdk_xray::types::{Service, TraceSummary as XraySummary};
use aws_sdk_xray::Client;
use jiff::{SignedDuration, Timestamp};

use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::ModelMapping;
use crate::model::traces::{ServiceNode, TraceFacts, TraceSummary, Waterfall};
use crate::model::Fleet;
use crate::source::pages::Pages;
use crate::source::{report, Source, SourceId, Update};

/// Traces fetched in full per refresh (BatchGetTraces takes 5 ids a request).
const FULL_TRACES: usize = 5;

#[derive(Debug, Clone)]
pub struct XraySettings {
    pub window_minutes: i64,
    pub max_traces: usize,
    /// An X-Ray filter expression, e.g. `service("demand-api") AND responsetime > 1`.
    pub filter: Option<String>,
}

pub struct XraySource {
    client: Client,
    settings: XraySettings,
    /// Service name → model, from config (`xray_service`), model and endpoint names.
    owners: HashMap<String, String>,
}

impl XraySource {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        settings: XraySettings,
        mappings: &[ModelMapping],
    ) -> XraySource {
        let config = aws_sdk_xray::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        XraySource::from_client(Client::from_conf(config), settings, mappings)
    }

    /// A source on a client built elsewhere (the tests' mocked one).
    pub fn from_client(
        client: Client,
        settings: XraySettings,
        mappings: &[ModelMapping],
    ) -> XraySource {
        let mut owners = HashMap::new();
        for m in mappings {
            for name in [m.xray_service.as_ref(), m.endpoint.as_ref(), Some(&m.name)]
                .into_iter()
                .flatten()
            {
                owners.entry(name.clone()).or_insert_with(|| m.name.clone());
            }
        }
        XraySource {
            client,
            settings,
            owners,
        }
    }

    async fn gather(&self) -> Result<Fleet, String> {
        let end = Timestamp::now();
        let start = end - SignedDuration::from_mins(self.settings.window_minutes);
        let (from, to) = (
            DateTime::from_secs(start.as_second()),
            DateTime::from_secs(end.as_second()),
        );
        let services = self.service_graph(from, to).await?;
        // The map is worth showing even when the traces cannot be listed.
        let (traces, problem) = match self.summaries(from, to).await {
            Ok(mut traces) => {
                self.fetch_worst(&mut traces).await?;
                (traces, None)
            }
            Err(why) => (Vec::new(), Some(why)),
        };
        Ok(Fleet {
            traces: Some(Box::new(TraceFacts {
                services,
                traces,
                window_minutes: self.settings.window_minutes,
                problem,
            })),
            ..Fleet::default()
        })
    }

    async fn service_graph(
        &self,
        from: DateTime,
        to: DateTime,
    ) -> Result<Vec<ServiceNode>, String> {
        let mut all: Vec<Service> = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = Pages::new("xray:GetServiceGraph", 20);
        loop {
            let page = self
                .client
                .get_service_graph()
                .start_time(from)
                .end_time(to)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe("xray:GetServiceGraph", &e))?;
            all.extend(page.services().iter().cloned());
            match pages.next(page.next_token())? {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let names: HashMap<i32, String> = all
            .iter()
            .filter_map(|s| Some((s.reference_id()?, s.name()?.to_string())))
            .collect();
        let mut nodes: Vec<ServiceNode> = all.iter().map(|s| self.node(s, &names)).collect();
        nodes.sort_by(|a, b| {
            (b.fault_rate, b.error_rate, b.p99_ms.unwrap_or(0.0))
                .partial_cmp(&(a.fault_rate, a.error_rate, a.p99_ms.unwrap_or(0.0)))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        Ok(nodes)
    }

    fn node(&self, s: &Service, names: &HashMap<i32, String>) -> ServiceNode {
        let stats = s.summary_statistics();
        let total = stats.and_then(|t| t.total_count()).unwrap_or(0).max(0) as f64;
        let pct = |n: Option<i64>| match total > 0.0 {
            true => 100.0 * n.unwrap_or(0) as f64 / total,
            false => 0.0,
        };
        let errors = stats.and_then(|t| t.error_statistics());
        let name = s.name().unwrap_or("(unnamed)").to_string();
        ServiceNode {
            kind: s.r#type().unwrap_or_default().to_string(),
            requests: total as u64,
            error_rate: pct(errors.and_then(|e| e.total_count())),
            throttle_rate: pct(errors.and_then(|e| e.throttle_count())),
            fault_rate: pct(stats
                .and_then(|t| t.fault_statistics())
                .and_then(|f| f.total_count())),
            avg_ms: match total > 0.0 {
                true => 1000.0 * stats.and_then(|t| t.total_response_time()).unwrap_or(0.0) / total,
                false => 0.0,
            },
            p99_ms: p99(s),
            calls: s
                .edges()
                .iter()
                .filter_map(|e| names.get(&e.reference_id()?).cloned())
                .collect(),
            model: self.owners.get(&name).cloned(),
            name,
        }
    }

    async fn summaries(&self, from: DateTime, to: DateTime) -> Result<Vec<TraceSummary>, String> {
        let mut found: Vec<XraySummary> = Vec::new();
        let mut token: Option<String> = None;
        // Pages until enough traces: each trace scanned is billed.
        let mut pages = Pages::new("xray:GetTraceSummaries", 20);
        while found.len() < self.settings.max_traces {
            let page = self
                .client
                .get_trace_summaries()
                .start_time(from)
                .end_time(to)
                .set_filter_expression(self.settings.filter.clone())
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe("xray:GetTraceSummaries", &e))?;
            found.extend(page.trace_summaries().iter().cloned());
            match pages.next(page.next_token())? {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let mut traces: Vec<TraceSummary> = found
            .iter()
            .filter_map(|t| {
                let http = t.http();
                Some(TraceSummary {
                    id: t.id()?.to_string(),
                    duration_ms: 1000.0 * t.duration().unwrap_or(0.0),
                    http_status: http
                        .and_then(|h| h.http_status())
                        .and_then(|s| u16::try_from(s).ok()),
                    fault: t.has_fault().unwrap_or(false),
                    error: t.has_error().unwrap_or(false),
                    throttle: t.has_throttle().unwrap_or(false),
                    entry: http.and_then(|h| {
                        Some(format!(
                            "{} {}",
                            h.http_method().unwrap_or("?"),
                            h.http_url()?
                        ))
                    }),
                    waterfall: None,
                })
            })
            .collect();
        traces.sort_by(|a, b| {
            (b.fault, b.duration_ms)
                .partial_cmp(&(a.fault, a.duration_ms))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        traces.truncate(self.settings.max_traces);
        Ok(traces)
    }

    /// The worst few traces in full, as waterfalls.
    async fn fetch_worst(&self, traces: &mut [TraceSummary]) -> Result<(), String> {
        let ids: Vec<String> = traces
            .iter()
            .take(FULL_TRACES)
            .map(|t| t.id.clone())
            .collect();
        for (id, waterfall) in self.waterfalls(ids).await? {
            if let Some(t) = traces.iter_mut().find(|t| t.id == id) {
                t.waterfall = Some(waterfall);
            }
        }
        Ok(())
    }

    /// BatchGetTraces for up to five ids: each trace's waterfall, by id.
    pub async fn waterfalls(&self, ids: Vec<String>) -> Result<Vec<(String, Waterfall)>, String> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .client
            .batch_get_traces()
            .set_trace_ids(Some(ids))
            .send()
            .await
            .map_err(|e| describe("xray:BatchGetTraces", &e))?;
        Ok(out
            .traces()
            .iter()
            .filter_map(|full| {
                let docs = full.segments().iter().filter_map(|s| s.document());
                Some((full.id()?.to_string(), segments::waterfall(docs)))
            })
            .collect())
    }
}

/// The 99th percentile of the service's response-time histogram, in ms.
fn p99(s: &Service) -> Option<f64> {
    let mut bins: Vec<(f64, i32)> = s
        .response_time_histogram()
        .iter()
        .map(|h| (h.value(), h.count()))
        .collect();
    let total: i64 = bins.iter().map(|(_, c)| i64::from(*c)).sum();
    if total == 0 {
        return None;
    }
    bins.sort_by(|a, b| a.0.total_cmp(&b.0));
    let target = (total as f64 * 0.99).ceil() as i64;
    let mut seen = 0;
    bins.into_iter().find_map(|(v, c)| {
        seen += i64::from(c);
        (seen >= target).then_some(v * 1000.0)
    })
}

impl Source for XraySource {
    fn id(&self) -> SourceId {
        SourceId::XRay
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::XRay, self.gather().await)
    }
}
