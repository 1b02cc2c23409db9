//! An EKS bearer token, made as `aws eks get-token` makes it: an STS
//! GetCallerIdentity URL presigned with the AWS credentials, the cluster's name in a
//! signed `x-k8s-aws-id` header, base64url-encoded after `k8s-aws-v1.`. The API
//! server accepts one for 15 minutes; it is minted again a minute before that.

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use base64::Engine;
use tokio::sync::Mutex;

/// The header that names the cluster in the presigned request.
pub const CLUSTER_HEADER: &str = "x-k8s-aws-id";
pub const PREFIX: &str = "k8s-aws-v1.";
/// How long a token is used: EKS accepts it for 15 minutes from signing.
const USE_FOR: Duration = Duration::from_secs(14 * 60);
/// What `aws eks get-token` presigns with (the API server checks the signing time).
const PRESIGNED_FOR: Duration = Duration::from_secs(60);

/// Tokens for one cluster, from one identity's credentials.
pub struct EksToken {
    cluster: String,
    region: String,
    credentials: SharedCredentialsProvider,
    held: Mutex<Option<(Instant, String)>>,
}

impl EksToken {
    pub fn new(cluster: &str, region: &str, credentials: SharedCredentialsProvider) -> EksToken {
        EksToken {
            cluster: cluster.to_string(),
            region: region.to_string(),
            credentials,
            held: Mutex::new(None),
        }
    }

    /// The held token while it is young enough, else a new one (`fresh`: always new,
    /// after the API server refused the held one).
    pub async fn get(&self, fresh: bool) -> Result<String, String> {
        let mut held = self.held.lock().await;
        if let (false, Some((at, token))) = (fresh, held.as_ref()) {
            if at.elapsed() < USE_FOR {
                return Ok(token.clone());
            }
        }
        let credentials = self.credentials.provide_credentials().await.map_err(|e| {
            format!(
                "no AWS credentials to make an EKS token with ({e}): run `aws sso login` or set AWS_PROFILE"
            )
        })?;
        let token = mint(&self.cluster, &self.region, &credentials, SystemTime::now())?;
        *held = Some((Instant::now(), token.clone()));
        Ok(token)
    }
}

/// STS's regional endpoint for `region` (China's partition has its own domain).
pub fn sts_host(region: &str) -> String {
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("sts.{region}.{domain}")
}

/// A token for `cluster`, signed at `now`.
pub fn mint(
    cluster: &str,
    region: &str,
    credentials: &Credentials,
    now: SystemTime,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
    };
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(PRESIGNED_FOR);
    let identity = credentials.clone().into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(now)
        .settings(settings)
        .build()
        .map_err(|e| format!("cannot sign an EKS token: {e}"))?
        .into();
    let host = sts_host(region);
    let mut url = reqwest::Url::parse(&format!(
        "https://{host}/?Action=GetCallerIdentity&Version=2011-06-15"
    ))
    .map_err(|e| format!("cannot make an EKS token: {e}"))?;
    let headers = [("host", host.as_str()), (CLUSTER_HEADER, cluster)];
    let signable = SignableRequest::new(
        "GET",
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| format!("cannot sign an EKS token: {e}"))?;
    let (_, query) = sign(signable, &params)
        .map_err(|e| format!("cannot sign an EKS token: {e}"))?
        .into_parts()
        .0
        .into_parts();
    url.query_pairs_mut()
        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_ref())));
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url.as_str());
    Ok(format!("{PREFIX}{encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_presigned_get_caller_identity_url_aws_documents() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session".into()),
            None,
            "test",
        );
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = mint("ml-prod", "eu-west-1", &credentials, at).unwrap();
        let encoded = token.strip_prefix("k8s-aws-v1.").unwrap();
        assert!(!encoded.contains('='), "unpadded base64url");
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .unwrap();
        let url = reqwest::Url::parse(std::str::from_utf8(&url).unwrap()).unwrap();
        assert_eq!(url.host_str(), Some("sts.eu-west-1.amazonaws.com"));
        assert_eq!(url.path(), "/");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["Action"], "GetCallerIdentity");
        assert_eq!(q["Version"], "2011-06-15");
        assert_eq!(q["X-Amz-Algorithm"], "AWS4-HMAC-SHA256");
        assert_eq!(
            q["X-Amz-Credential"],
            "AKIDEXAMPLE/20231114/eu-west-1/sts/aws4_request"
        );
        assert_eq!(q["X-Amz-Date"], "20231114T221320Z");
        assert_eq!(q["X-Amz-Expires"], "60");
        assert_eq!(q["X-Amz-SignedHeaders"], "host;x-k8s-aws-id");
        assert_eq!(q["X-Amz-Security-Token"], "session");
        assert_eq!(q["X-Amz-Signature"].len(), 64);
        // Another cluster, another signature: the header is signed.
        let other = mint("ml-dev", "eu-west-1", &credentials, at).unwrap();
        assert_ne!(token, other);
        assert_eq!(sts_host("cn-north-1"), "sts.cn-north-1.amazonaws.com.cn");
    }
}
