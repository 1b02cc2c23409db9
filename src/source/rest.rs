//! JSON over HTTP for the REST APIs read (MLflow, Airflow, Kubernetes, Prometheus):
//! auth as their own clients do it, every request counted, answers bounded in size
//! and parsed defensively, and every failure said in one line with what to do.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::Mutex;

use crate::aws::ApiCalls;

mod sign;
mod url;

use self::sign::{sigv4_headers, Signing};
pub use self::url::{plain_http_warning, without_user_info};

/// Answers larger than this are refused: a REST answer of a bounded page is never
/// this big, and the dashboard must not hold an unbounded one in memory.
pub const MAX_ANSWER_BYTES: usize = 8 << 20;

/// How a request proves who sends it.
pub enum Auth {
    None,
    Basic {
        user: String,
        password: String,
    },
    Bearer(String),
    /// Airflow 3: a JWT from `POST /auth/token` for these credentials, asked again
    /// when a request answers 401 (tokens expire).
    Jwt {
        token_url: String,
        user: String,
        password: String,
        token: Mutex<Option<String>>,
    },
    /// SigV4-signed with the session's AWS credentials under a service's signing
    /// name: SageMaker's managed MLflow (its server named by ARN in a header) or
    /// Amazon Managed Service for Prometheus (`aps`).
    SigV4 {
        credentials: aws_credential_types::provider::SharedCredentialsProvider,
        region: String,
        name: &'static str,
        server_arn: Option<String>,
    },
    /// An EKS cluster: a bearer token minted from the AWS credentials, minted again
    /// before it expires and when the API server answers 401.
    Eks(super::k8s::token::EksToken),
}

/// Whom a server's certificate must be signed by, and the client's own.
#[derive(Default)]
pub struct Tls {
    /// PEM roots to trust instead of the built-in ones (a cluster's own CA).
    pub roots: Option<Vec<u8>>,
    /// A client certificate and key, PEM (a kubeconfig's client-certificate-data).
    pub identity: Option<Vec<u8>>,
}

/// One request: the operation it is counted as, and what is sent.
pub struct Call<'a> {
    pub operation: &'a str,
    pub method: Method,
    pub path: &'a str,
    pub query: &'a [(&'a str, String)],
    pub body: Option<&'a Value>,
    /// The body's media type (a Kubernetes PATCH names its patch kind); JSON if None.
    pub content_type: Option<&'static str>,
}

/// One REST API: its base URL, auth, and what to tell the user when it refuses.
#[derive(Clone)]
pub struct Rest {
    http: reqwest::Client,
    base: String,
    auth: Arc<Auth>,
    /// "MLflow" or "Airflow": in counts and messages.
    service: &'static str,
    /// What fixes a 401/403, e.g. "set MLFLOW_TRACKING_TOKEN".
    credentials_hint: &'static str,
    calls: ApiCalls,
}

/// The SigV4 signing name of SageMaker's managed MLflow.
pub const MLFLOW_SIGNING_NAME: &str = "sagemaker-mlflow";
/// The header that names a managed tracking server.
pub const SERVER_ARN_HEADER: &str = "x-mlflow-sm-tracking-server-arn";

impl Rest {
    /// A client of `base`. User-info in the URL becomes Basic auth (when no other
    /// auth is given) and leaves the URL, which is then safe to show in messages
    /// and request lines.
    pub fn new(
        base: &str,
        auth: Auth,
        service: &'static str,
        credentials_hint: &'static str,
        calls: &ApiCalls,
    ) -> Result<Rest, String> {
        Rest::with_tls(
            base,
            auth,
            (service, credentials_hint),
            Tls::default(),
            calls,
        )
    }

    /// A client of `base` that trusts `tls.roots` only (when given) and presents
    /// `tls.identity`.
    pub fn with_tls(
        base: &str,
        auth: Auth,
        (service, credentials_hint): (&'static str, &'static str),
        tls: Tls,
        calls: &ApiCalls,
    ) -> Result<Rest, String> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(20))
            // A redirect would carry a token request's password body to another
            // host: an API base that redirects is an error to fix in config.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("mlopsdash/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = &tls.roots {
            let roots = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("{service}: the CA is not PEM certificates ({e})"))?;
            builder = builder.tls_certs_only(roots);
        }
        if let Some(pem) = &tls.identity {
            let identity = reqwest::Identity::from_pem(pem).map_err(|e| {
                format!("{service}: the client certificate and key are not PEM ({e})")
            })?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|e| format!("{service}: cannot build an HTTP client: {e}"))?;
        let (base, from_url) = without_user_info(base);
        let auth = match (auth, from_url) {
            (Auth::None, Some((user, password))) => Auth::Basic { user, password },
            (auth, _) => auth,
        };
        Ok(Rest {
            http,
            base: base.trim_end_matches('/').to_string(),
            auth: Arc::new(auth),
            service,
            credentials_hint,
            calls: calls.clone(),
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// "MLflow at http://host:port": what messages name the server by.
    pub fn server(&self) -> String {
        let origin = reqwest::Url::parse(&self.base)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_else(|_| self.base.clone());
        format!("{} at {origin}", self.service)
    }

    pub async fn get(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, String> {
        self.send(operation, Method::GET, path, query, None).await
    }

    /// `path` under the base URL; the answer's JSON, or one line saying what failed.
    /// `operation` names the request in the counts (e.g. "GetDagRuns").
    pub async fn send(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let call = Call {
            operation,
            method,
            path,
            query,
            body,
            content_type: None,
        };
        Ok(self.answer(&call).await?)
    }

    /// A GET of something that may not exist: None when the server answers 404.
    pub async fn get_if_found(
        &self,
        operation: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Option<Value>, String> {
        let call = Call {
            operation,
            method: Method::GET,
            path,
            query,
            body: None,
            content_type: None,
        };
        match self.answer(&call).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The answer's JSON, or the error status (when the server answered) and why.
    pub async fn answer(&self, call: &Call<'_>) -> Result<Value, RestError> {
        let what = format!("{} {} {}", self.server(), call.method, call.path);
        let failed = |e: String| RestError {
            status: None,
            line: format!("{what}: {e}"),
        };
        self.calls
            .count(&format!("{}:{}", self.service, call.operation));
        let first = self.attempt(call, false).await;
        let response = match (&*self.auth, first) {
            // An expired token: one new token, one more try. A refused mutation was
            // not applied, so sending it again cannot apply it twice.
            (Auth::Jwt { .. } | Auth::Eks(_), Ok(r)) if r.status() == StatusCode::UNAUTHORIZED => {
                self.calls
                    .count(&format!("{}:{}", self.service, call.operation));
                self.attempt(call, true).await
            }
            (_, r) => r,
        }
        .map_err(failed)?;
        let status = response.status();
        let bytes = read_bounded(response).await.map_err(failed)?;
        if !status.is_success() {
            return Err(RestError {
                status: Some(status),
                line: format!("{what}: {}", self.refusal(status, &bytes)),
            });
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            failed(format!(
                "the answer is not the JSON expected ({e}); is this the right URL?"
            ))
        })
    }

    async fn attempt(
        &self,
        call: &Call<'_>,
        fresh_token: bool,
    ) -> Result<reqwest::Response, String> {
        let path = call.path.trim_start_matches('/');
        let mut url = reqwest::Url::parse(&format!("{}/{path}", self.base))
            .map_err(|e| format!("bad URL: {e}"))?;
        if !call.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let payload = call.body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = self
            .http
            .request(call.method.clone(), url.clone())
            .header("Accept", "application/json");
        let content_type = call.content_type.unwrap_or("application/json");
        if call.body.is_some() {
            request = request
                .header("Content-Type", content_type)
                .body(payload.clone());
        }
        request = match &*self.auth {
            Auth::None => request,
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Jwt { .. } => request.bearer_auth(self.jwt(fresh_token).await?),
            Auth::Eks(token) => request.bearer_auth(token.get(fresh_token).await?),
            Auth::SigV4 {
                credentials,
                region,
                name,
                server_arn,
            } => {
                let signing = Signing {
                    credentials,
                    region,
                    name,
                    server_arn: server_arn.as_deref(),
                };
                let headers =
                    sigv4_headers(&signing, &call.method, &url, (&payload, content_type)).await?;
                headers
                    .into_iter()
                    .fold(request, |r, (k, v)| r.header(k, v))
            }
        };
        request.send().await.map_err(|e| self.unreachable(&e))
    }

    /// The JWT for Airflow 3, asked for when there is none or it was refused.
    async fn jwt(&self, fresh: bool) -> Result<String, String> {
        let Auth::Jwt {
            token_url,
            user,
            password,
            token,
        } = &*self.auth
        else {
            return Err("no token auth".into());
        };
        let mut held = token.lock().await;
        if let (false, Some(t)) = (fresh, held.as_ref()) {
            return Ok(t.clone());
        }
        self.calls.count(&format!("{}:CreateToken", self.service));
        let response = self
            .http
            .post(token_url)
            .json(&serde_json::json!({ "username": user, "password": password }))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let bytes = read_bounded(response).await?;
        if !status.is_success() {
            return Err(format!(
                "POST /auth/token: {}",
                self.refusal(status, &bytes)
            ));
        }
        let answer: Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("POST /auth/token: not JSON ({e})"))?;
        let jwt = answer["access_token"]
            .as_str()
            .ok_or("POST /auth/token: no access_token in the answer")?
            .to_string();
        *held = Some(jwt.clone());
        Ok(jwt)
    }

    fn unreachable(&self, e: &reqwest::Error) -> String {
        // The innermost cause says what happened; reqwest's own text repeats the URL.
        let mut cause: &dyn std::error::Error = e;
        while let Some(inner) = cause.source() {
            cause = inner;
        }
        let why = if e.is_timeout() {
            "timed out".to_string()
        } else if e.is_connect() {
            format!("cannot connect ({cause})")
        } else {
            cause.to_string()
        };
        format!(
            "{why} to {} (is the server up, is the URL right?); will retry",
            self.base
        )
    }

    /// An error status in words, with the server's own message when it gave one.
    fn refusal(&self, status: StatusCode, body: &[u8]) -> String {
        let said = server_message(body);
        let said = said.map(|m| format!(": {m}")).unwrap_or_default();
        match status.as_u16() {
            401 | 403 => format!("{status}{said}; {}", self.credentials_hint),
            404 => format!("{status}{said}"),
            429 | 500..=599 => format!("{status}{said}; will retry"),
            _ => format!("{status}{said}"),
        }
    }
}

/// A request that failed: the status when the server answered (callers decide on
/// it), and the one line the user reads.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{line}")]
pub struct RestError {
    pub status: Option<StatusCode>,
    line: String,
}

impl From<RestError> for String {
    fn from(e: RestError) -> String {
        e.line
    }
}

/// What the server said about the error: MLflow's `message`, Airflow's `detail`
/// (a string or FastAPI's list), bounded to one line.
fn server_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let text = match (&v["message"], &v["detail"], &v["title"]) {
        (Value::String(m), _, _) | (_, Value::String(m), _) => m.clone(),
        // Prometheus's error answers.
        _ if v["error"].is_string() => v["error"].as_str().unwrap_or_default().to_string(),
        (_, Value::Array(items), _) => items
            .iter()
            .filter_map(|i| i["msg"].as_str())
            .collect::<Vec<_>>()
            .join("; "),
        (_, _, Value::String(t)) => t.clone(),
        _ => return None,
    };
    let line = text.lines().next().unwrap_or_default();
    Some(line.chars().take(200).collect())
}

async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("the answer broke off ({e}); will retry"))?
    {
        if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(format!(
                "the answer is larger than {} MiB; refused",
                MAX_ANSWER_BYTES >> 20
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
