//! GetBucketReplication: a bucket's replication rules, "none" when it has no
//! configuration, or why it could not be read.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{ReplicationRuleStatus, ReplicationTimeStatus};

use crate::aws::errors::describe;
use crate::model::failover::{BucketReplication, ReplicationRule};

pub(super) async fn read(s3: &aws_sdk_s3::Client, bucket: &str, holds: &str) -> BucketReplication {
    let mut out = BucketReplication {
        bucket: bucket.to_string(),
        holds: holds.to_string(),
        rules: Vec::new(),
        problem: None,
    };
    match s3.get_bucket_replication().bucket(bucket).send().await {
        Ok(answer) => {
            let rules = answer.replication_configuration().map(|c| c.rules());
            out.rules = rules
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let destination = r.destination();
                    ReplicationRule {
                        id: r.id().unwrap_or_default().to_string(),
                        enabled: r.status() == &ReplicationRuleStatus::Enabled,
                        destination: destination
                            .map(|d| bucket_name(d.bucket()))
                            .unwrap_or_default(),
                        time_control: destination
                            .and_then(|d| d.replication_time())
                            .is_some_and(|t| t.status() == &ReplicationTimeStatus::Enabled),
                        latency_seconds: None,
                        pending_operations: None,
                    }
                })
                .collect();
        }
        Err(e) if e.code() == Some("ReplicationConfigurationNotFoundError") => {}
        Err(e) => out.problem = Some(describe("s3:GetReplicationConfiguration", &e)),
    }
    out
}

/// "arn:aws:s3:::ml-data-dr" → "ml-data-dr".
fn bucket_name(arn: &str) -> String {
    arn.rsplit(":::").next().unwrap_or(arn).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn destinations_are_named_by_bucket() {
        assert_eq!(super::bucket_name("arn:aws:s3:::ml-data-dr"), "ml-data-dr");
        assert_eq!(super::bucket_name("plain"), "plain");
    }
}
