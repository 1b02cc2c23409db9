//! AWS Signature Version 4 on a REST request: SageMaker's managed MLflow and Amazon
//! Managed Service for Prometheus take it instead of a token.

use std::time::SystemTime;

use reqwest::Method;

use super::SERVER_ARN_HEADER;

/// Who signs a request, where, for which service.
pub struct Signing<'a> {
    pub credentials: &'a aws_credential_types::provider::SharedCredentialsProvider,
    pub region: &'a str,
    pub name: &'a str,
    pub server_arn: Option<&'a str>,
}

/// The headers that sign one request (SageMaker's managed MLflow, Amazon Managed
/// Service for Prometheus).
pub async fn sigv4_headers(
    signing: &Signing<'_>,
    method: &Method,
    url: &reqwest::Url,
    (payload, content_type): (&str, &str),
) -> Result<Vec<(String, String)>, String> {
    use aws_credential_types::provider::ProvideCredentials;
    use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
    let Signing {
        credentials,
        region,
        name,
        server_arn,
    } = signing;
    let creds = credentials.provide_credentials().await.map_err(|e| {
        format!("no AWS credentials to sign with ({e}): run `aws sso login` or set AWS_PROFILE")
    })?;
    let identity = creds.into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign: {e}"))?
        .into();
    let host = url.host_str().unwrap_or_default().to_string();
    let host = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    };
    let mut headers = vec![("host".to_string(), host)];
    if let Some(arn) = server_arn {
        headers.push((SERVER_ARN_HEADER.to_string(), arn.to_string()));
    }
    if !payload.is_empty() {
        headers.push(("content-type".into(), content_type.into()));
    }
    let signable = SignableRequest::new(
        method.as_str(),
        url.as_str(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(payload.as_bytes()),
    )
    .map_err(|e| format!("cannot sign: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("cannot sign: {e}"))?
        .into_parts();
    let signed = instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()));
    Ok(headers
        .into_iter()
        .filter(|(k, _)| k != "host")
        .chain(signed)
        .collect())
}
