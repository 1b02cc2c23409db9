//! Who we are: STS GetCallerIdentity, for the header (account) and, later, the audit log.

use aws_config::SdkConfig;

use crate::aws::errors::describe;
use crate::aws::ApiCalls;

/// The account id and caller ARN, or a message that says what to do.
pub async fn identify(sdk: &SdkConfig, calls: &ApiCalls) -> Result<(String, String), String> {
    let config = aws_sdk_sts::config::Builder::from(sdk)
        .interceptor(calls.clone())
        .build();
    let out = aws_sdk_sts::Client::from_conf(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| describe("sts:GetCallerIdentity", &e))?;
    Ok((
        out.account().unwrap_or("unknown").to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}
