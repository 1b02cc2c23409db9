//! How far behind S3 replication is, where the rule publishes metrics (Replication
//! Time Control turns them on): AWS/S3 ReplicationLatency (seconds) and
//! OperationsPendingReplication (count), per source bucket, destination and rule,
//! their newest 5-minute maximum in one GetMetricData for every rule.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::aws::ApiCalls;
use crate::config::MetricQuery;
use crate::model::failover::BucketReplication;
use crate::source::aws::cloudwatch::data;

const PERIOD: i32 = 300;
const NAMES: [&str; 2] = ["ReplicationLatency", "OperationsPendingReplication"];

/// Fills each metered rule's latency and pending operations; a failure leaves them
/// unknown and is returned to be said.
pub(super) async fn read(
    client: &aws_sdk_cloudwatch::Client,
    calls: &ApiCalls,
    buckets: &mut [BucketReplication],
    now: Timestamp,
) -> Result<(), String> {
    // (bucket index, rule index, metric, query index): a bucket two models share is
    // asked about once.
    let mut asked: Vec<(usize, usize, usize, usize)> = Vec::new();
    let mut known: BTreeMap<(String, String, String, usize), usize> = BTreeMap::new();
    let mut queries = Vec::new();
    for (b, bucket) in buckets.iter().enumerate() {
        for (r, rule) in bucket.rules.iter().enumerate() {
            if !(rule.enabled && rule.time_control) {
                continue;
            }
            for (m, name) in NAMES.iter().enumerate() {
                let key = (
                    bucket.bucket.clone(),
                    rule.destination.clone(),
                    rule.id.clone(),
                    m,
                );
                if let Some(q) = known.get(&key) {
                    asked.push((b, r, m, *q));
                    continue;
                }
                let query = MetricQuery {
                    key: (*name).to_string(),
                    namespace: "AWS/S3".into(),
                    name: (*name).to_string(),
                    dimensions: BTreeMap::from([
                        ("SourceBucket".to_string(), bucket.bucket.clone()),
                        ("DestinationBucket".to_string(), rule.destination.clone()),
                        ("RuleId".to_string(), rule.id.clone()),
                    ]),
                    stat: "Maximum".into(),
                    scale: None,
                };
                let q = queries.len();
                queries.push(data::data_query_every(q, &query, PERIOD));
                known.insert(key, q);
                asked.push((b, r, m, q));
            }
        }
    }
    if queries.is_empty() {
        return Ok(());
    }
    let start = now - SignedDuration::from_mins(30);
    let answers = data::get_between(client, calls, queries, start, now).await?;
    for (b, r, m, q) in asked {
        let newest = answers
            .get(&q)
            .and_then(|points| points.iter().max_by_key(|(t, _)| *t))
            .map(|(_, v)| *v);
        let Some(rule) = buckets.get_mut(b).and_then(|x| x.rules.get_mut(r)) else {
            continue;
        };
        match m {
            0 => rule.latency_seconds = newest,
            _ => rule.pending_operations = newest,
        }
    }
    Ok(())
}
