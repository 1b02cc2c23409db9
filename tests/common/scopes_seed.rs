//! Seeding a fleet of several regions and accounts on moto, as a team's pipelines
//! leave it: models in two regions (DR pairs), a replicated bucket, Route 53
//! failover records, another account reached by assuming a role. Shared by the
//! integration tests and the scopes benchmark.
#![allow(dead_code)] // Each includer uses its own part.

use aws_config::{Region, SdkConfig};
use aws_sdk_sagemaker::config::Credentials;

use crate::seed::unique;

pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}

/// The SDK config of the account `role` is in, as moto hands it out.
pub async fn assumed(base: &SdkConfig, role: &str) -> SdkConfig {
    let out = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(role)
        .role_session_name("seed")
        .send()
        .await
        .unwrap();
    let c = out.credentials().unwrap();
    let creds = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        None,
        "assumed",
    );
    base.to_builder()
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
        .build()
}

/// A bucket with versioning and a replication rule to `{bucket}-dr`.
pub async fn replicated_bucket(sdk: &SdkConfig, bucket: &str) {
    use aws_sdk_s3::types::*;
    let s3 = crate::seed::s3(sdk);
    s3.create_bucket().bucket(bucket).send().await.unwrap();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let rule = ReplicationRule::builder()
        .id("to-us-west-2")
        .status(ReplicationRuleStatus::Enabled)
        .priority(1)
        .filter(ReplicationRuleFilter::builder().prefix("").build())
        .delete_marker_replication(
            DeleteMarkerReplication::builder()
                .status(DeleteMarkerReplicationStatus::Disabled)
                .build(),
        )
        .destination(
            Destination::builder()
                .bucket(format!("arn:aws:s3:::{bucket}-dr"))
                // Replication Time Control, with its CloudWatch metrics.
                .replication_time(
                    ReplicationTime::builder()
                        .status(ReplicationTimeStatus::Enabled)
                        .time(ReplicationTimeValue::builder().minutes(15).build())
                        .build()
                        .unwrap(),
                )
                .metrics(
                    Metrics::builder()
                        .status(MetricsStatus::Enabled)
                        .event_threshold(ReplicationTimeValue::builder().minutes(15).build())
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    s3.put_bucket_replication()
        .bucket(bucket)
        .replication_configuration(
            ReplicationConfiguration::builder()
                .role("arn:aws:iam::123456789012:role/replication")
                .rules(rule)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// A hosted zone with a PRIMARY (us-east-1) and SECONDARY (us-west-2) record for
/// `model`'s API, each with a health check.
pub async fn failover_records(sdk: &SdkConfig, model: &str) {
    use aws_sdk_route53::types::*;
    let r53 = aws_sdk_route53::Client::new(sdk);
    let zone = r53
        .create_hosted_zone()
        .name(format!("{model}.example.com"))
        .caller_reference(unique("zone"))
        .send()
        .await
        .unwrap();
    let zone_id = zone.hosted_zone().unwrap().id().to_string();
    let mut changes = Vec::new();
    for (region, role) in [("us-east-1", "PRIMARY"), ("us-west-2", "SECONDARY")] {
        let check = r53
            .create_health_check()
            .caller_reference(unique("hc"))
            .health_check_config(
                HealthCheckConfig::builder()
                    .r#type(HealthCheckType::Https)
                    .fully_qualified_domain_name(format!("{model}.{region}.example.com"))
                    .resource_path("/ping")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let set = ResourceRecordSet::builder()
            .name(format!("api.{model}.example.com"))
            .r#type(RrType::Cname)
            .ttl(60)
            .set_identifier(format!("{model}-{region}"))
            .failover(ResourceRecordSetFailover::from(role))
            .health_check_id(check.health_check().unwrap().id())
            .resource_records(
                ResourceRecord::builder()
                    .value(format!("{model}.{region}.example.com"))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        changes.push(
            Change::builder()
                .action(ChangeAction::Create)
                .resource_record_set(set)
                .build()
                .unwrap(),
        );
    }
    r53.change_resource_record_sets()
        .hosted_zone_id(zone_id)
        .change_batch(
            ChangeBatch::builder()
                .set_changes(Some(changes))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}
