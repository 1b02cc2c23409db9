//! Who we are: STS GetCallerIdentity, for the header (account) and, later, the audit log.

use aws_config::SdkConfig;

use super::errors::describe;

/// The account id and caller ARN, or a message that says what to do.
pub async fn identify(sdk: &SdkConfig) -> Result<(String, String), String> {
    let out = aws_sdk_sts::Client::new(sdk)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| describe("sts:GetCallerIdentity", &e))?;
    Ok((
        out.account().unwrap_or("unknown").to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}
