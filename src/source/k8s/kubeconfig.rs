//! A kubeconfig context: the API server, its CA, and how to prove who we are. The
//! usual EKS entry runs `aws eks get-token` (or `aws-iam-authenticator token`);
//! that token is minted here from the same arguments instead of running a program
//! the file names. Other exec plugins are refused with what to use instead.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde::Deserialize;

/// Kubeconfig files and the files they point at are small; larger is not one.
const MAX_FILE_BYTES: u64 = 1 << 20;

#[derive(Debug, Deserialize)]
struct File {
    #[serde(rename = "current-context")]
    current_context: Option<String>,
    #[serde(default)]
    clusters: Vec<NamedCluster>,
    #[serde(default)]
    contexts: Vec<NamedContext>,
    #[serde(default)]
    users: Vec<NamedUser>,
}

#[derive(Debug, Deserialize)]
struct NamedCluster {
    name: String,
    cluster: ClusterEntry,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ClusterEntry {
    server: String,
    certificate_authority_data: Option<String>,
    certificate_authority: Option<String>,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
    context: ContextEntry,
}

#[derive(Debug, Deserialize)]
struct ContextEntry {
    cluster: String,
    user: Option<String>,
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NamedUser {
    name: String,
    #[serde(default)]
    user: UserEntry,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct UserEntry {
    token: Option<String>,
    #[serde(rename = "tokenFile")]
    token_file: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
    client_certificate: Option<String>,
    client_key: Option<String>,
    username: Option<String>,
    password: Option<String>,
    exec: Option<Exec>,
    auth_provider: Option<serde_yaml_ng::Value>,
}

#[derive(Debug, Deserialize)]
struct Exec {
    command: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: Option<Vec<EnvVar>>,
}

#[derive(Debug, Deserialize)]
struct EnvVar {
    name: String,
    value: String,
}

/// How requests to the API server prove who sends them.
#[derive(Clone, PartialEq, Eq)]
pub enum UserAuth {
    None,
    Token(String),
    Basic {
        user: String,
        password: String,
    },
    /// A client certificate and its key, PEM, one after the other.
    ClientCertificate(Vec<u8>),
    /// An EKS token for `cluster`, as `aws eks get-token` would make it.
    Eks {
        cluster: String,
        region: Option<String>,
        profile: Option<String>,
        role_arn: Option<String>,
    },
}

// Tokens, passwords and keys never reach a log or a message.
impl std::fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserAuth::None => f.write_str("None"),
            UserAuth::Token(_) => f.write_str("Token(…)"),
            UserAuth::Basic { user, .. } => write!(f, "Basic({user})"),
            UserAuth::ClientCertificate(_) => f.write_str("ClientCertificate(…)"),
            UserAuth::Eks {
                cluster,
                region,
                profile,
                role_arn,
            } => write!(f, "Eks({cluster}, {region:?}, {profile:?}, {role_arn:?})"),
        }
    }
}

/// One context, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub name: String,
    pub server: String,
    /// The cluster's CA, PEM; None: the system's roots.
    pub ca: Option<Vec<u8>>,
    pub user: UserAuth,
    pub namespace: Option<String>,
}

/// The kubeconfig file kubectl would read: KUBECONFIG's first file, else ~/.kube/config.
pub fn default_path() -> Option<PathBuf> {
    if let Some(first) = std::env::var_os("KUBECONFIG")
        .as_deref()
        .and_then(|v| std::env::split_paths(v).next())
        .filter(|p| !p.as_os_str().is_empty())
    {
        return Some(first);
    }
    directories::BaseDirs::new().map(|d| d.home_dir().join(".kube").join("config"))
}

/// `context` (else the current one) from the file at `path`.
pub fn load(path: &Path, context: Option<&str>) -> Result<Context, String> {
    let text = read_small(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, context, base).map_err(|e| format!("{}: {e}", path.display()))
}

/// `context` (else the current one) from a kubeconfig's text; relative file paths
/// in it are under `base`.
pub fn parse(text: &str, context: Option<&str>, base: &Path) -> Result<Context, String> {
    let file: File =
        serde_yaml_ng::from_str(text).map_err(|e| format!("not a kubeconfig ({e})"))?;
    let name = context
        .map(str::to_string)
        .or(file.current_context.clone())
        .filter(|n| !n.is_empty())
        .ok_or("no context named and no current-context; set [kubernetes] context")?;
    let entry = file
        .contexts
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no context {name:?} (kubectl config get-contexts lists them)"))?;
    let cluster = file
        .clusters
        .iter()
        .find(|c| c.name == entry.context.cluster)
        .ok_or_else(|| {
            format!(
                "context {name:?} names cluster {:?}, which is not in the file",
                entry.context.cluster
            )
        })?;
    if cluster.cluster.insecure_skip_tls_verify {
        return Err(format!(
            "cluster {:?} skips TLS verification; mlopsdash does not: give it certificate-authority-data",
            cluster.name
        ));
    }
    let ca = match (
        &cluster.cluster.certificate_authority_data,
        &cluster.cluster.certificate_authority,
    ) {
        (Some(data), _) => Some(decode(data, "certificate-authority-data")?),
        (None, Some(file)) => Some(read_small(&base.join(file))?.into_bytes()),
        (None, None) => None,
    };
    let user = match &entry.context.user {
        Some(u) => {
            let found = file.users.iter().find(|x| &x.name == u).ok_or_else(|| {
                format!("context {name:?} names user {u:?}, which is not in the file")
            })?;
            user_auth(&found.user, u, base)?
        }
        None => UserAuth::None,
    };
    Ok(Context {
        name: name.clone(),
        server: cluster.cluster.server.trim_end_matches('/').to_string(),
        ca,
        user,
        namespace: entry.context.namespace.clone(),
    })
}

fn user_auth(u: &UserEntry, name: &str, base: &Path) -> Result<UserAuth, String> {
    if let Some(exec) = &u.exec {
        return exec_auth(exec, name);
    }
    if u.auth_provider.is_some() {
        return Err(format!(
            "user {name:?} uses an auth-provider, which kubectl itself dropped; use a token or exec"
        ));
    }
    if let Some(t) = &u.token {
        return Ok(UserAuth::Token(t.trim().to_string()));
    }
    if let Some(f) = &u.token_file {
        return Ok(UserAuth::Token(
            read_small(&base.join(f))?.trim().to_string(),
        ));
    }
    let cert = match (&u.client_certificate_data, &u.client_certificate) {
        (Some(d), _) => Some(decode(d, "client-certificate-data")?),
        (None, Some(f)) => Some(read_small(&base.join(f))?.into_bytes()),
        _ => None,
    };
    let key = match (&u.client_key_data, &u.client_key) {
        (Some(d), _) => Some(decode(d, "client-key-data")?),
        (None, Some(f)) => Some(read_small(&base.join(f))?.into_bytes()),
        _ => None,
    };
    match (cert, key, &u.username, &u.password) {
        (Some(mut cert), Some(key), _, _) => {
            cert.push(b'\n');
            cert.extend(key);
            Ok(UserAuth::ClientCertificate(cert))
        }
        (Some(_), None, _, _) | (None, Some(_), _, _) => Err(format!(
            "user {name:?} has a client certificate or key without the other"
        )),
        (None, None, Some(user), Some(password)) => Ok(UserAuth::Basic {
            user: user.clone(),
            password: password.clone(),
        }),
        _ => Ok(UserAuth::None),
    }
}

/// `aws eks get-token --cluster-name C [--region R] [--role-arn A]` or
/// `aws-iam-authenticator token -i C [-r A]`, with AWS_PROFILE / AWS_REGION from
/// the entry's env; anything else is refused.
fn exec_auth(exec: &Exec, name: &str) -> Result<UserAuth, String> {
    let program = Path::new(&exec.command)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap_or_default();
    let args: Vec<&str> = exec.args.iter().map(String::as_str).collect();
    let value = |flags: &[&str]| {
        args.iter().enumerate().find_map(|(i, a)| {
            flags.iter().find_map(|f| {
                a.strip_prefix(&format!("{f}="))
                    .map(str::to_string)
                    .or_else(|| {
                        (a == f)
                            .then(|| args.get(i + 1).map(|v| v.to_string()))
                            .flatten()
                    })
            })
        })
    };
    let env = |key: &str| {
        exec.env
            .iter()
            .flatten()
            .find(|e| e.name == key)
            .map(|e| e.value.clone())
    };
    let eks = program == "aws" && args.windows(2).any(|w| w == ["eks", "get-token"]);
    let authenticator = program == "aws-iam-authenticator" && args.first() == Some(&"token");
    let cluster = match (eks, authenticator) {
        (true, _) => value(&["--cluster-name", "--cluster-id"]),
        (_, true) => value(&["-i", "--cluster-id"]),
        _ => {
            return Err(format!(
                "user {name:?} runs {program:?} for its credentials; mlopsdash mints EKS tokens \
                 itself (`aws eks get-token` or `aws-iam-authenticator token` entries), else give a token"
            ))
        }
    };
    let cluster = cluster.ok_or_else(|| format!("user {name:?}: get-token names no cluster"))?;
    Ok(UserAuth::Eks {
        cluster,
        region: value(&["--region"])
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION")),
        profile: value(&["--profile"]).or_else(|| env("AWS_PROFILE")),
        role_arn: value(&["--role-arn", "-r"]),
    })
}

fn decode(data: &str, field: &str) -> Result<Vec<u8>, String> {
    let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(clean)
        .map_err(|e| format!("{field} is not base64 ({e})"))
}

fn read_small(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{}: larger than 1 MiB; not a kubeconfig",
            path.display()
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
