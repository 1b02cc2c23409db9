//! The demo's disaster-recovery pair: demand-forecasting is served in us-east-1 and
//! us-west-2; the secondary still serves the version before the primary's, its data
//! bucket replicates, and Route 53 fails over between the two.

use jiff::{SignedDuration, Timestamp};

use super::Simulator;
use crate::model::facts::ModelFacts;
use crate::model::failover::{BucketReplication, DnsFailover, ReplicationRule};
use crate::model::metrics::{names, Series};
use crate::model::scope::Scope;

/// The model served in both regions, and the regions in order (primary first).
pub const DR_MODEL: &str = "demand-forecasting";
pub const REGIONS: [&str; 2] = ["us-east-1", "us-west-2"];

impl Simulator {
    /// The demo's two regions of one account.
    pub fn scopes(&self) -> Vec<Scope> {
        REGIONS
            .iter()
            .map(|r| Scope {
                region: r.to_string(),
                account: Some("demo".into()),
                ..Scope::default()
            })
            .collect()
    }

    /// The secondary's facts: the primary's, a version behind, with a trickle of
    /// synthetic canary traffic.
    pub(super) fn secondary_of(primary: &ModelFacts, now: Timestamp) -> ModelFacts {
        let mut m = primary.clone();
        m.scope.index = 1;
        m.scope.replication.clear();
        if let Some(e) = m.endpoint.as_mut() {
            e.name = format!("{DR_MODEL}-dr");
            e.status = "InService".into();
            for v in &mut e.variants {
                v.model_version = v.model_version.map(|n| n.saturating_sub(1).max(1));
            }
        }
        let canary: Vec<(Timestamp, f64)> = (0..60)
            .map(|i| (now - SignedDuration::from_mins(60 - i), 2.0))
            .collect();
        m.metrics = [(names::INVOCATIONS.to_string(), Series::new(canary))].into();
        m.aliases = vec![format!("{DR_MODEL}-dr")];
        m
    }

    /// The primary's buckets as GetBucketReplication would tell them.
    pub(super) fn replication() -> Vec<BucketReplication> {
        ["retail-ml-raw", "retail-ml-models"]
            .iter()
            .zip(["data", "model"])
            .map(|(bucket, holds)| BucketReplication {
                bucket: bucket.to_string(),
                holds: holds.into(),
                rules: vec![ReplicationRule {
                    id: "to-us-west-2".into(),
                    enabled: true,
                    destination: format!("{bucket}-usw2"),
                    time_control: holds == "model",
                    latency_seconds: (holds == "model").then_some(42.0),
                    pending_operations: (holds == "model").then_some(0.0),
                }],
                problem: None,
            })
            .collect()
    }

    /// Route 53's failover pair for the model's API, both checks healthy.
    pub(super) fn dns() -> Vec<DnsFailover> {
        REGIONS
            .iter()
            .zip(["PRIMARY", "SECONDARY"])
            .map(|(region, role)| DnsFailover {
                record: "forecast.ml.example.com.".into(),
                role: role.into(),
                set_identifier: format!("{DR_MODEL}-{region}"),
                target: format!("{DR_MODEL}.{region}.elb.amazonaws.com."),
                health_check: Some(format!("hc-{region}")),
                healthy: Some(true),
                status: Some("Success: HTTP Status Code 200, OK".into()),
            })
            .collect()
    }
}
