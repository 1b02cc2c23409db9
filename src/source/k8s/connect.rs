//! Reaching a cluster's API server: an EKS cluster through DescribeCluster (its
//! endpoint and CA) and a token minted from the session's credentials, or a
//! kubeconfig context as kubectl would use it.

use aws_config::Region;
use aws_credential_types::provider::SharedCredentialsProvider;
use base64::Engine;

use super::api::KubeApi;
use super::kubeconfig::{self, UserAuth};
use super::token::EksToken;
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::{EksConfig, KubernetesConfig};
use crate::source::rest::{plain_http_warning, Auth, Rest, Tls};

/// What fixes a refused token, said with a 401.
const HINT: &str = "map this identity to the cluster (EKS access entry or aws-auth)";

/// A cluster config names.
#[derive(Debug, Clone)]
pub enum ClusterSpec {
    Eks(EksConfig),
    Context(KubernetesConfig),
}

impl ClusterSpec {
    /// The cluster's name as config gives it ("kubeconfig" for the current context,
    /// whose name only the file says: rows carry the name `connect` read).
    pub fn label(&self) -> String {
        match self {
            ClusterSpec::Eks(e) => e.cluster.clone(),
            ClusterSpec::Context(k) => k.context.clone().unwrap_or_else(|| "kubeconfig".into()),
        }
    }

    /// The namespaces config names (empty: all the identity may list).
    pub fn namespaces(&self) -> &[String] {
        match self {
            ClusterSpec::Eks(e) => &e.namespaces,
            ClusterSpec::Context(k) => &k.namespaces,
        }
    }
}

/// The cluster's API, reached with `sdk`'s identity (EKS) or the kubeconfig's user.
pub async fn connect(
    spec: &ClusterSpec,
    sdk: Option<&aws_config::SdkConfig>,
    calls: &ApiCalls,
) -> Result<(KubeApi, Vec<String>), String> {
    match spec {
        ClusterSpec::Eks(eks) => {
            let sdk = sdk.ok_or("an EKS cluster needs AWS credentials")?;
            let api = eks_api(eks, sdk, calls).await?;
            Ok((api, eks.namespaces.clone()))
        }
        ClusterSpec::Context(k) => {
            let path = match &k.kubeconfig {
                Some(p) => std::path::PathBuf::from(p),
                None => kubeconfig::default_path().ok_or("no kubeconfig: set KUBECONFIG")?,
            };
            let context = kubeconfig::load(&path, k.context.as_deref())?;
            let mut namespaces = k.namespaces.clone();
            if namespaces.is_empty() {
                namespaces.extend(context.namespace.clone());
            }
            let label = k.context.clone().unwrap_or_else(|| context.name.clone());
            let credentials = !matches!(context.user, UserAuth::None);
            // A cluster credential read on the network is the cluster: refused.
            if plain_http_warning("Kubernetes", &context.server, credentials).is_some() {
                return Err(format!(
                    "context {label}: server {} is plain http, where its credentials are readable on the network; use https",
                    context.server
                ));
            }
            let auth = user_auth(context.user, sdk).await?;
            let tls = tls(context.ca, &auth.1);
            let rest = Rest::with_tls(&context.server, auth.0, ("Kubernetes", HINT), tls, calls)?;
            Ok((KubeApi::new(rest, &label), namespaces))
        }
    }
}

async fn eks_api(
    eks: &EksConfig,
    sdk: &aws_config::SdkConfig,
    calls: &ApiCalls,
) -> Result<KubeApi, String> {
    let mut builder = aws_sdk_eks::config::Builder::from(sdk).interceptor(calls.clone());
    if let Some(region) = &eks.region {
        builder = builder.region(Region::new(region.clone()));
    }
    let config = builder.build();
    let region = config
        .region()
        .map(|r| r.to_string())
        .ok_or("no AWS region for the EKS cluster: set [[eks]] region")?;
    let client = aws_sdk_eks::Client::from_conf(config);
    let answer = client
        .describe_cluster()
        .name(&eks.cluster)
        .send()
        .await
        .map_err(|e| {
            format!(
                "EKS cluster {}: {}",
                eks.cluster,
                describe("eks:DescribeCluster", &e)
            )
        })?;
    let cluster = answer.cluster().ok_or_else(|| {
        format!(
            "EKS cluster {}: DescribeCluster answered no cluster",
            eks.cluster
        )
    })?;
    let endpoint = cluster.endpoint().ok_or_else(|| {
        format!(
            "EKS cluster {} has no API endpoint yet (status {:?})",
            eks.cluster,
            cluster.status().map(|s| s.as_str().to_string())
        )
    })?;
    let ca = match cluster.certificate_authority().and_then(|c| c.data()) {
        Some(data) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map_err(|e| format!("EKS cluster {}: its CA is not base64 ({e})", eks.cluster))?,
        ),
        None => None,
    };
    let credentials = sdk
        .credentials_provider()
        .ok_or("no AWS credentials to make an EKS token with")?;
    let token = EksToken::new(&eks.cluster, &region, credentials);
    let tls = Tls {
        roots: ca,
        identity: None,
    };
    let rest = Rest::with_tls(endpoint, Auth::Eks(token), ("Kubernetes", HINT), tls, calls)?;
    Ok(KubeApi::new(rest, &eks.cluster))
}

/// The request auth for a kubeconfig user, and its client certificate if it has one.
async fn user_auth(
    user: UserAuth,
    sdk: Option<&aws_config::SdkConfig>,
) -> Result<(Auth, Option<Vec<u8>>), String> {
    Ok(match user {
        UserAuth::None => (Auth::None, None),
        UserAuth::Token(t) => (Auth::Bearer(t), None),
        UserAuth::Basic { user, password } => (Auth::Basic { user, password }, None),
        UserAuth::ClientCertificate(pem) => (Auth::None, Some(pem)),
        UserAuth::Eks {
            cluster,
            region,
            profile,
            role_arn,
        } => {
            let sdk = aws_sdk(sdk, profile, region).await?;
            let region = sdk
                .region()
                .map(|r| r.to_string())
                .ok_or("no AWS region for the EKS token: the kubeconfig entry names none")?;
            let mut credentials = sdk
                .credentials_provider()
                .ok_or("no AWS credentials to make an EKS token with")?;
            if let Some(role) = role_arn {
                let assumed = aws_config::sts::AssumeRoleProvider::builder(role)
                    .session_name("mlopsdash")
                    .configure(&sdk)
                    .build()
                    .await;
                credentials = SharedCredentialsProvider::new(assumed);
            }
            (
                Auth::Eks(EksToken::new(&cluster, &region, credentials)),
                None,
            )
        }
    })
}

/// The session's AWS config, or the kubeconfig entry's own profile and region.
async fn aws_sdk(
    sdk: Option<&aws_config::SdkConfig>,
    profile: Option<String>,
    region: Option<String>,
) -> Result<aws_config::SdkConfig, String> {
    let same_profile = profile.is_none() || profile == std::env::var("AWS_PROFILE").ok();
    match (sdk, same_profile) {
        (Some(sdk), true) => {
            let mut b = sdk.to_builder();
            if let Some(r) = region {
                b = b.region(Region::new(r));
            }
            Ok(b.build())
        }
        _ => {
            let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
            if let Some(p) = profile {
                loader = loader.profile_name(p);
            }
            if let Some(r) = region {
                loader = loader.region(Region::new(r));
            }
            Ok(loader.load().await)
        }
    }
}

fn tls(ca: Option<Vec<u8>>, identity: &Option<Vec<u8>>) -> Tls {
    Tls {
        roots: ca,
        identity: identity.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn credentials_are_never_sent_to_a_cluster_over_plain_http() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        let file = |server: &str| {
            format!(
                "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster: {{server: {server}}}\ncontexts:\n- name: c\n  context: {{cluster: k, user: u}}\nusers:\n- name: u\n  user: {{token: secret}}\n"
            )
        };
        std::fs::write(&path, file("http://10.0.0.7:8080")).unwrap();
        let spec = ClusterSpec::Context(KubernetesConfig {
            kubeconfig: Some(path.display().to_string()),
            ..KubernetesConfig::default()
        });
        let calls = ApiCalls::default();
        let refused = connect(&spec, None, &calls).await.err().unwrap();
        assert!(
            refused.contains("server http://10.0.0.7:8080 is plain http"),
            "{refused}"
        );
        // On loopback (a port-forward, kubectl proxy) it is the user's own machine.
        std::fs::write(&path, file("http://127.0.0.1:8001")).unwrap();
        let (api, _) = connect(&spec, None, &calls).await.unwrap();
        assert_eq!(api.cluster, "c");
    }
}
