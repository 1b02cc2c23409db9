//! GetMetricData: the queries of one refresh, and their answers by query index.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};
use aws_sdk_cloudwatch::Client;
use jiff::{SignedDuration, Timestamp};

use super::queries::{self, MAX_QUERIES_PER_CALL};
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::MetricQuery;
use crate::model::metrics::WINDOW_MINUTES;
use crate::source::pages::Pages;

/// Seconds per data point.
const PERIOD: i32 = 60;

/// Answers for `queries` (ids from `query_id`) over the window ending at `end`,
/// by query index: up to 500 queries a request, paged with NextToken.
pub async fn get(
    client: &Client,
    calls: &ApiCalls,
    queries: Vec<MetricDataQuery>,
    end: Timestamp,
) -> Result<BTreeMap<usize, Vec<(Timestamp, f64)>>, String> {
    let start = end - SignedDuration::from_mins(WINDOW_MINUTES);
    get_between(client, calls, queries, start, end).await
}

/// Pages of one chunk's answer read at most (a day of minutes fits in a few).
const MAX_PAGES: usize = 20;

/// Answers for `queries` between `start` and `end`, by query index.
pub async fn get_between(
    client: &Client,
    calls: &ApiCalls,
    queries: Vec<MetricDataQuery>,
    start: Timestamp,
    end: Timestamp,
) -> Result<BTreeMap<usize, Vec<(Timestamp, f64)>>, String> {
    let mut answers: BTreeMap<usize, Vec<(Timestamp, f64)>> = BTreeMap::new();
    for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
        let mut token: Option<String> = None;
        // Each page costs the chunk's metrics again: a server that keeps paging
        // must not keep billing.
        let mut pages = Pages::new("cloudwatch:GetMetricData", MAX_PAGES);
        loop {
            calls.add_metrics_requested(u64::try_from(chunk.len()).unwrap_or(0));
            let out = client
                .get_metric_data()
                .set_metric_data_queries(Some(chunk.to_vec()))
                .start_time(DateTime::from_secs(start.as_second()))
                .end_time(DateTime::from_secs(end.as_second()))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| describe("cloudwatch:GetMetricData", &e))?;
            for r in out.metric_data_results() {
                let Some(i) = r.id().and_then(queries::index_of) else {
                    continue;
                };
                let points = r
                    .timestamps()
                    .iter()
                    .zip(r.values())
                    .filter_map(|(t, v)| Some((Timestamp::from_second(t.secs()).ok()?, *v)));
                answers.entry(i).or_default().extend(points);
            }
            match pages.next(out.next_token())? {
                Some(next) => token = Some(next),
                None => break,
            }
        }
    }
    Ok(answers)
}

/// The window's end on a minute boundary, so answers line up across refreshes.
pub fn window_end(now: Timestamp) -> Timestamp {
    now.round(jiff::Unit::Minute).unwrap_or(now)
}

/// The dimensions a query names.
pub fn dimensions(q: &MetricQuery) -> Vec<Dimension> {
    q.dimensions
        .iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect()
}

/// The CloudWatch metric a query names.
fn metric(q: &MetricQuery) -> Metric {
    Metric::builder()
        .namespace(&q.namespace)
        .metric_name(&q.name)
        .set_dimensions(Some(dimensions(q)))
        .build()
}

pub fn data_query(index: usize, q: &MetricQuery) -> MetricDataQuery {
    data_query_every(index, q, PERIOD)
}

/// A query with `period` seconds per data point.
pub fn data_query_every(index: usize, q: &MetricQuery, period: i32) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(queries::query_id(index))
        .metric_stat(
            MetricStat::builder()
                .metric(metric(q))
                .period(period)
                .stat(&q.stat)
                .build(),
        )
        .return_data(true)
        .build()
}
