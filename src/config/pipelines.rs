//! `[mlflow]` and `[airflow]`: where a team's tracking server and orchestrator are.
//! Credentials never live in the file: they come from the variables MLflow's and
//! Airflow's own clients read.

use serde::Deserialize;
use toml::Spanned;

/// MLflow's tracking server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MlflowConfig {
    /// "http(s)://host:port", or a SageMaker managed server's ARN
    /// (`arn:aws:sagemaker:REGION:ACCOUNT:mlflow-tracking-server/NAME`).
    /// MLFLOW_TRACKING_URI wins over it, as in MLflow's own clients.
    pub tracking_uri: Option<Spanned<String>>,
    /// Newest runs read per model's experiment.
    pub runs: Option<u64>,
    /// Run metrics shown first (the rest follow, alphabetically, up to six).
    pub key_metrics: Vec<String>,
}

/// Airflow's REST API, on a web server or through Amazon MWAA.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AirflowConfig {
    /// "http(s)://host:port" of the API server (Airflow 3) or web server (Airflow 2).
    pub url: Option<Spanned<String>>,
    /// An Amazon MWAA environment's name: reached with MWAA's InvokeRestApi.
    pub mwaa_environment: Option<String>,
    /// "v2" (Airflow 3), "v1" (Airflow 2), or unset to ask the server.
    pub api: Option<Spanned<String>>,
    /// DAGs tagged "<prefix><model>" belong to that model [default "model:"].
    pub model_tag_prefix: Option<String>,
    /// Newest runs read per DAG.
    pub runs: Option<u64>,
    /// Last lines of a failed task's log kept.
    pub log_lines: Option<u64>,
}

/// `[airflow]`'s URL and API version, checked.
pub type CheckedAirflow = (Option<String>, Option<AirflowRest>);

/// Which Airflow REST API a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AirflowRest {
    /// Airflow 2: `/api/v1`, basic auth.
    V1,
    /// Airflow 3: `/api/v2`, a JWT from `/auth/token`.
    V2,
}

/// Where MLflow is, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackingUri {
    Http(String),
    /// SageMaker's managed MLflow: the server's ARN (its URL is asked for).
    SageMaker {
        arn: String,
        region: String,
    },
}

impl TrackingUri {
    /// "http(s)://…" or a managed server's ARN; None for anything else.
    pub fn parse(text: &str) -> Option<TrackingUri> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("arn:aws:sagemaker:") {
            let (region, rest) = rest.split_once(':')?;
            let (_account, server) = rest.split_once(':')?;
            let name = server.strip_prefix("mlflow-tracking-server/")?;
            return (!region.is_empty() && !name.is_empty()).then(|| TrackingUri::SageMaker {
                arn: text.to_string(),
                region: region.to_string(),
            });
        }
        http_url(text).map(TrackingUri::Http)
    }
}

/// An http(s) URL with a host, without its trailing slash.
pub fn http_url(text: &str) -> Option<String> {
    let url = reqwest::Url::parse(text.trim()).ok()?;
    let ok = matches!(url.scheme(), "http" | "https") && url.host_str().is_some();
    ok.then(|| text.trim().trim_end_matches('/').to_string())
}

impl MlflowConfig {
    pub const DEFAULT_RUNS: u64 = 5;

    /// The checked tracking URI from the file, or its position and what is wrong.
    pub fn checked_uri(&self) -> Result<Option<TrackingUri>, (std::ops::Range<usize>, String)> {
        let Some(uri) = &self.tracking_uri else {
            return Ok(None);
        };
        TrackingUri::parse(uri.get_ref()).map(Some).ok_or_else(|| {
            (
                uri.span(),
                format!(
                    "tracking_uri: {:?} is neither an http(s) URL nor a SageMaker MLflow \
                     tracking server ARN (arn:aws:sagemaker:REGION:ACCOUNT:\
                     mlflow-tracking-server/NAME)",
                    crate::model::secret::redact_urls(uri.get_ref())
                ),
            )
        })
    }
}

impl AirflowConfig {
    pub const DEFAULT_RUNS: u64 = 10;
    pub const DEFAULT_LOG_LINES: u64 = 8;
    pub const DEFAULT_TAG_PREFIX: &'static str = "model:";

    /// The checked URL and API version, or the position and what is wrong.
    pub fn checked(&self) -> Result<CheckedAirflow, (std::ops::Range<usize>, String)> {
        let url = match &self.url {
            None => None,
            Some(u) => Some(http_url(u.get_ref()).ok_or_else(|| {
                (
                    u.span(),
                    format!(
                        "url: {:?} is not an http(s) URL",
                        crate::model::secret::redact_urls(u.get_ref())
                    ),
                )
            })?),
        };
        let api = match self.api.as_ref().map(|a| (a, a.get_ref().as_str())) {
            None => None,
            Some((_, "v1")) => Some(AirflowRest::V1),
            Some((_, "v2")) => Some(AirflowRest::V2),
            Some((a, other)) => {
                return Err((
                    a.span(),
                    format!("api: {other:?} is not \"v1\" (Airflow 2) or \"v2\" (Airflow 3)"),
                ))
            }
        };
        Ok((url, api))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_uris_are_urls_or_managed_server_arns() {
        assert_eq!(
            TrackingUri::parse("http://127.0.0.1:5000/"),
            Some(TrackingUri::Http("http://127.0.0.1:5000".into()))
        );
        assert_eq!(
            TrackingUri::parse(
                "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/team"
            ),
            Some(TrackingUri::SageMaker {
                arn: "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/team".into(),
                region: "eu-west-1".into()
            })
        );
        for bad in [
            "databricks",
            "file:///tmp/mlruns",
            "arn:aws:sagemaker:eu-west-1:1:endpoint/x",
            "",
        ] {
            assert_eq!(TrackingUri::parse(bad), None, "{bad}");
        }
    }
}
