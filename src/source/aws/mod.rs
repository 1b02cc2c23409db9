//! Real AWS sources, through the official SDK and its default credential chain.

pub mod changes;
pub mod cloudwatch;
pub mod cost;
pub mod failover;
pub mod fan_out;
mod identity;
pub(crate) mod protection;
pub(crate) mod s3;
pub mod sagemaker;
pub mod services;
pub mod targets;
pub mod xray;

pub use crate::aws::calls::{ApiCalls, METRICS_REQUESTED};
pub use cloudwatch::CloudWatchSource;
pub use identity::identify;
pub use s3::S3Source;
pub use sagemaker::{Pacer, Recognition, SageMakerSource};
pub use services::{
    ecs::EcsSource, lambda::LambdaSource, stepfunctions::StepFunctionsSource, Joining,
};

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use jiff::Timestamp;

/// Where and as whom to talk to AWS, from the command line, and how long to wait.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub timeouts: Timeouts,
}

/// Connect, per-attempt and per-operation (all retries) timeouts.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    pub attempt: Duration,
    pub operation: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(10),
            operation: Duration::from_secs(30),
        }
    }
}

/// Loads the SDK config: env vars, profiles, SSO, instance role, as the AWS CLI does.
/// `--endpoint-url` is applied by the caller as `AWS_ENDPOINT_URL`, so a
/// service-specific variable (`AWS_ENDPOINT_URL_CLOUDWATCH`) still wins for its service.
pub async fn load(target: &Target) -> Result<SdkConfig, String> {
    // Standard retries: three attempts with jittered exponential backoff. Not the
    // adaptive mode: its client-side rate limit, cut at every throttle and slow to
    // recover, queued every request of a client behind a bad minute until the
    // listings timed out (measured through the fault proxy). Load is bounded by
    // `max_in_flight` and the ListTrainingJobs pacer instead.
    // Timeouts: a connection that accepts and never answers must fail the request,
    // so the source turns stale instead of hanging.
    let t = target.timeouts;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(aws_config::retry::RetryConfig::standard())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(t.connect)
                .operation_attempt_timeout(t.attempt)
                .operation_timeout(t.operation)
                .build(),
        );
    if let Some(region) = &target.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &target.profile {
        loader = loader.profile_name(profile);
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(
            "no AWS region: pass --region, set AWS_REGION, or give the profile a region".into(),
        );
    }
    Ok(sdk)
}

/// The SDK config of one account in one region: its profile's credentials, or a
/// role assumed from them (refreshed by the SDK before it expires).
pub async fn load_scope(
    spec: &crate::config::ScopeSpec,
    timeouts: Timeouts,
) -> Result<SdkConfig, String> {
    let target = Target {
        region: spec.region.clone(),
        profile: spec.profile.clone(),
        timeouts,
    };
    let base = load(&target).await?;
    let Some(role) = &spec.role_arn else {
        return Ok(base);
    };
    let mut assume = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("mlopsdash")
        .configure(&base);
    if let Some(id) = &spec.external_id {
        assume = assume.external_id(id);
    }
    let provider = assume.build().await;
    Ok(base
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build())
}

fn timestamp(t: &aws_sdk_sagemaker::primitives::DateTime) -> Option<Timestamp> {
    Timestamp::from_second(t.secs()).ok()
}
