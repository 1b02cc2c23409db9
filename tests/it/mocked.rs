//! Failure paths moto cannot produce, from the SDK's own mocks with AWS's error
//! shapes: the real source code must turn them into one line that says what to do.

use aws_sdk_sagemaker::error::ErrorMetadata;
use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsError;
use aws_sdk_sagemaker::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use mlopsdash::source::aws::SageMakerSource;
use mlopsdash::source::{Source, Update};

fn list_endpoints_fails_with(code: &'static str, message: &'static str) -> aws_smithy_mocks::Rule {
    mock!(Client::list_endpoints).then_error(move || {
        ListEndpointsError::generic(ErrorMetadata::builder().code(code).message(message).build())
    })
}

async fn failure_of(rule: aws_smithy_mocks::Rule) -> String {
    let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&rule]);
    match SageMakerSource::from_client(client).fetch().await {
        Update::Failed { why, .. } => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn access_denied_names_the_missing_iam_action() {
    let rule = list_endpoints_fails_with(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/oncall/me is not authorized to perform: \
         sagemaker:ListEndpoints because no identity-based policy allows it",
    );
    assert_eq!(
        failure_of(rule).await,
        "AccessDenied: the IAM policy lacks sagemaker:ListEndpoints; add it to this role"
    );
}

#[tokio::test]
async fn throttling_says_it_backs_off() {
    let rule = list_endpoints_fails_with("ThrottlingException", "Rate exceeded");
    assert_eq!(
        failure_of(rule).await,
        "throttled by AWS on sagemaker:ListEndpoints; backing off"
    );
}

#[tokio::test]
async fn expired_credentials_say_how_to_refresh_them() {
    let rule = list_endpoints_fails_with(
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
    let why = failure_of(rule).await;
    assert!(
        why.starts_with("AWS credentials expired") && why.contains("aws sso login"),
        "{why}"
    );
}
