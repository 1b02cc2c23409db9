//! How Airflow is reached: its REST API over HTTP (the version asked once, unless
//! config says), or Amazon MWAA's InvokeRestApi, which needs no network path to the
//! web server, only `airflow:InvokeRestApi`.

use std::sync::Arc;

use aws_smithy_types::{Document, Number};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::OnceCell;

use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::AirflowRest;
use crate::source::rest::{Auth, Rest};

/// Who to be: from AIRFLOW_USERNAME/AIRFLOW_PASSWORD, or AIRFLOW_TOKEN. No `Debug`:
/// nothing may print them.
#[derive(Clone, Default)]
pub struct Credentials {
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

impl Credentials {
    pub fn from_env() -> Credentials {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Credentials {
            user: var("AIRFLOW_USERNAME"),
            password: var("AIRFLOW_PASSWORD"),
            token: var("AIRFLOW_TOKEN"),
        }
    }
}

const HINT: &str = "set AIRFLOW_USERNAME and AIRFLOW_PASSWORD (or AIRFLOW_TOKEN) for a user \
                    that may read DAGs";

#[derive(Clone)]
pub enum Transport {
    Http(Arc<Http>),
    Mwaa(Arc<Mwaa>),
}

pub struct Http {
    url: String,
    credentials: Credentials,
    calls: ApiCalls,
    /// The API version (config's, else asked once) and its client.
    api: OnceCell<(AirflowRest, Rest)>,
    configured: Option<AirflowRest>,
}

pub struct Mwaa {
    pub client: aws_sdk_mwaa::Client,
    pub environment: String,
    /// From the environment's Airflow version (GetEnvironment), asked once.
    version: OnceCell<AirflowRest>,
}

impl Transport {
    pub fn http(
        url: &str,
        configured: Option<AirflowRest>,
        credentials: Credentials,
        calls: &ApiCalls,
    ) -> Transport {
        // User-info in the URL is the credentials when none are set; the URL kept
        // (shown in messages and request lines) has none.
        let (url, from_url) = crate::source::rest::without_user_info(url);
        let credentials = match (&credentials, from_url) {
            (
                Credentials {
                    user: None,
                    token: None,
                    ..
                },
                Some((user, password)),
            ) => Credentials {
                user: Some(user),
                password: Some(password),
                token: None,
            },
            _ => credentials,
        };
        Transport::Http(Arc::new(Http {
            url: url.trim_end_matches('/').to_string(),
            credentials,
            calls: calls.clone(),
            api: OnceCell::new(),
            configured,
        }))
    }

    pub fn mwaa(client: aws_sdk_mwaa::Client, environment: &str) -> Transport {
        Transport::Mwaa(Arc::new(Mwaa {
            client,
            environment: environment.to_string(),
            version: OnceCell::new(),
        }))
    }

    /// Where requests go, for messages: the URL or the MWAA environment.
    pub fn place(&self) -> String {
        match self {
            Transport::Http(h) => format!("Airflow at {}", h.url),
            Transport::Mwaa(m) => format!("MWAA environment {}", m.environment),
        }
    }

    pub async fn version(&self) -> Result<AirflowRest, String> {
        match self {
            Transport::Http(h) => Ok(h.client().await?.0),
            Transport::Mwaa(m) => m.version().await,
        }
    }

    /// The full request line, as the confirmation shows it: "POST /api/v2/dags/x/dagRuns"
    /// over HTTP, or MWAA's InvokeRestApi path.
    pub async fn request_line(&self, method: &str, path: &str) -> Result<String, String> {
        let prefix = match self.version().await? {
            AirflowRest::V2 => "/api/v2",
            AirflowRest::V1 => "/api/v1",
        };
        Ok(match self {
            Transport::Http(h) => format!("{method} {}{prefix}{path}", h.url),
            Transport::Mwaa(m) => format!("mwaa:InvokeRestApi {} {method} {path}", m.environment),
        })
    }

    /// One request; the answer's JSON or one line saying what failed.
    pub async fn call(
        &self,
        operation: &str,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, String> {
        match self {
            Transport::Http(h) => {
                h.client()
                    .await?
                    .1
                    .send(operation, method, path, query, body)
                    .await
            }
            Transport::Mwaa(m) => m.invoke(method, path, query, body).await,
        }
    }
}

impl Http {
    /// The client of the API version the server speaks: config's, else Airflow 3's
    /// when `/api/v2/monitor/health` answers, else Airflow 2's.
    async fn client(&self) -> Result<&(AirflowRest, Rest), String> {
        self.api
            .get_or_try_init(|| async {
                let version = match self.configured {
                    Some(v) => v,
                    None => self.ask_version().await?,
                };
                let rest = self.rest(version)?;
                Ok((version, rest))
            })
            .await
    }

    async fn ask_version(&self) -> Result<AirflowRest, String> {
        let probe = Rest::new(&self.url, Auth::None, "Airflow", HINT, &self.calls)?;
        match probe.get("GetHealth", "api/v2/monitor/health", &[]).await {
            Ok(_) => Ok(AirflowRest::V2),
            Err(v2) => match probe.get("GetHealth", "api/v1/health", &[]).await {
                Ok(_) => Ok(AirflowRest::V1),
                Err(_) => Err(format!(
                    "{v2} (neither /api/v2 nor /api/v1 answers; set [airflow] api if a proxy hides them)"
                )),
            },
        }
    }

    fn rest(&self, version: AirflowRest) -> Result<Rest, String> {
        let c = &self.credentials;
        let auth = match (version, &c.token, &c.user, &c.password) {
            (_, Some(token), _, _) => Auth::Bearer(token.clone()),
            (AirflowRest::V2, None, Some(user), Some(password)) => Auth::Jwt {
                token_url: format!("{}/auth/token", self.url),
                user: user.clone(),
                password: password.clone(),
                token: tokio::sync::Mutex::new(None),
            },
            (AirflowRest::V1, None, Some(user), Some(password)) => Auth::Basic {
                user: user.clone(),
                password: password.clone(),
            },
            _ => Auth::None,
        };
        let base = match version {
            AirflowRest::V2 => format!("{}/api/v2", self.url),
            AirflowRest::V1 => format!("{}/api/v1", self.url),
        };
        Rest::new(&base, auth, "Airflow", HINT, &self.calls)
    }
}

impl Mwaa {
    async fn version(&self) -> Result<AirflowRest, String> {
        self.version
            .get_or_try_init(|| async {
                let env = self.environment().await?;
                Ok(rest_of(env.airflow_version().unwrap_or("2")))
            })
            .await
            .copied()
    }

    pub async fn environment(&self) -> Result<aws_sdk_mwaa::types::Environment, String> {
        let out = self
            .client
            .get_environment()
            .name(&self.environment)
            .send()
            .await
            .map_err(|e| describe("airflow:GetEnvironment", &e))?;
        out.environment
            .ok_or_else(|| format!("MWAA environment {} was not described", self.environment))
    }

    async fn invoke(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, String> {
        use aws_sdk_mwaa::operation::invoke_rest_api::InvokeRestApiError;
        let what = format!("Airflow (MWAA {}) {method} {path}", self.environment);
        let mut request = self
            .client
            .invoke_rest_api()
            .name(&self.environment)
            .path(path)
            .method(aws_sdk_mwaa::types::RestApiMethod::from(method.as_str()));
        if !query.is_empty() {
            let map = query
                .iter()
                .map(|(k, v)| (k.to_string(), Document::String(v.clone())))
                .collect();
            request = request.query_parameters(Document::Object(map));
        }
        if let Some(b) = body {
            request = request.body(document(b));
        }
        match request.send().await {
            Ok(out) => Ok(out
                .rest_api_response
                .as_ref()
                .map(value)
                .unwrap_or(Value::Null)),
            Err(e) => {
                // Airflow's own refusal, passed on by MWAA with its status and body.
                let airflow = match e.as_service_error() {
                    Some(InvokeRestApiError::RestApiClientException(c)) => Some((
                        c.rest_api_status_code,
                        c.rest_api_response.as_ref().map(value),
                    )),
                    Some(InvokeRestApiError::RestApiServerException(s)) => Some((
                        s.rest_api_status_code,
                        s.rest_api_response.as_ref().map(value),
                    )),
                    _ => None,
                };
                Err(match airflow {
                    Some((status, answer)) => {
                        let said = answer
                            .as_ref()
                            .and_then(|a| a["detail"].as_str().or(a["title"].as_str()))
                            .map(|d| format!(": {d}"))
                            .unwrap_or_default();
                        let status = status.unwrap_or_default();
                        let retry = if status >= 500 { "; will retry" } else { "" };
                        format!("{what}: Airflow answered {status}{said}{retry}")
                    }
                    None => format!("{what}: {}", describe("airflow:InvokeRestApi", &e)),
                })
            }
        }
    }
}

/// The REST API of an Airflow version ("2.10.3" → v1, "3.0.6" → v2).
pub fn rest_of(airflow_version: &str) -> AirflowRest {
    let major: u32 = airflow_version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse().ok())
        .unwrap_or(2);
    if major >= 3 {
        AirflowRest::V2
    } else {
        AirflowRest::V1
    }
}

/// JSON as a Smithy document (MWAA's request body and query).
pub fn document(v: &Value) -> Document {
    match v {
        Value::Null => Document::Null,
        Value::Bool(b) => Document::Bool(*b),
        Value::Number(n) => Document::Number(match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Number::PosInt(u),
            (None, Some(i)) => Number::NegInt(i),
            _ => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        Value::String(s) => Document::String(s.clone()),
        Value::Array(items) => Document::Array(items.iter().map(document).collect()),
        Value::Object(map) => {
            Document::Object(map.iter().map(|(k, v)| (k.clone(), document(v))).collect())
        }
    }
}

/// A Smithy document (MWAA's answer) as JSON.
pub fn value(d: &Document) -> Value {
    match d {
        Document::Null => Value::Null,
        Document::Bool(b) => Value::Bool(*b),
        Document::Number(Number::PosInt(u)) => Value::from(*u),
        Document::Number(Number::NegInt(i)) => Value::from(*i),
        Document::Number(Number::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        Document::String(s) => Value::String(s.clone()),
        Document::Array(items) => Value::Array(items.iter().map(value).collect()),
        Document::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), value(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_json_convert_both_ways() {
        let v = serde_json::json!({
            "conf": {"model": "churn", "n": 3, "neg": -2, "f": 0.5, "ok": true, "none": null},
            "list": ["a", 1]
        });
        assert_eq!(value(&document(&v)), v);
    }

    #[test]
    fn the_api_follows_the_airflow_major_version() {
        assert_eq!(rest_of("2.10.3"), AirflowRest::V1);
        assert_eq!(rest_of("3.0.6"), AirflowRest::V2);
        assert_eq!(rest_of("garbage"), AirflowRest::V1);
    }
}
