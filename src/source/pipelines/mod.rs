//! Pipelines that live outside SageMaker: MLflow's tracking server and registry,
//! Airflow's DAGs (self-hosted or Amazon MWAA). Their clients are built once from
//! config and the environment, shared by the sources and the action executor.

pub mod airflow;
pub mod mlflow;

use crate::aws::ApiCalls;
use crate::config::{AirflowConfig, Config, TrackingUri};
use crate::source::rest::{self, Auth, Rest};
use airflow::transport::{Credentials, Transport};
use airflow::AirflowClient;
use mlflow::MlflowApi;

/// The team's MLflow and Airflow, when configured. A client that could not be
/// built is kept as the one line saying why (its source reports it).
#[derive(Clone, Default)]
pub struct Pipelines {
    pub mlflow: Option<Result<MlflowApi, String>>,
    pub airflow: Option<AirflowClient>,
}

const MLFLOW_HINT: &str = "set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or \
                           MLFLOW_TRACKING_TOKEN";

/// The sources of a session outside its AWS scopes: MLflow and Airflow (their
/// clients and what they read), and models served on Kubernetes.
#[derive(Clone, Default)]
pub struct PipelineSetup {
    pub clients: Pipelines,
    pub serving: crate::source::serving::ServingSetup,
    /// Said once at start: credentials that would cross the network in clear text.
    pub warnings: Vec<String>,
    pub mlflow: mlflow::MlflowSettings,
    pub airflow: airflow::AirflowSettings,
}

impl PipelineSetup {
    pub fn from_config(
        config: &Config,
        sdk: Option<&aws_config::SdkConfig>,
        calls: &ApiCalls,
    ) -> PipelineSetup {
        let count =
            |n: Option<u64>, default: u64| usize::try_from(n.unwrap_or(default)).unwrap_or(1);
        PipelineSetup {
            clients: Pipelines::from_config(config, sdk, calls),
            serving: crate::source::serving::ServingSetup::from_config(config, sdk, calls),
            warnings: plain_http_warnings(config),
            mlflow: mlflow::MlflowSettings {
                mappings: config.mappings.clone(),
                tag_keys: config.identity.tag_keys.clone(),
                runs: count(
                    config.mlflow.runs,
                    crate::config::MlflowConfig::DEFAULT_RUNS,
                ),
                key_metrics: config.mlflow.key_metrics.clone(),
                in_flight: config.aws.max_in_flight,
            },
            airflow: airflow::AirflowSettings {
                mappings: config.mappings.clone(),
                tag_prefix: config
                    .airflow
                    .model_tag_prefix
                    .clone()
                    .unwrap_or_else(|| AirflowConfig::DEFAULT_TAG_PREFIX.to_string()),
                runs: count(config.airflow.runs, AirflowConfig::DEFAULT_RUNS),
                log_lines: count(config.airflow.log_lines, AirflowConfig::DEFAULT_LOG_LINES),
                in_flight: config.aws.max_in_flight,
            },
        }
    }

    pub fn mlflow_source(&self) -> Option<mlflow::MlflowSource> {
        let api = self.clients.mlflow.clone()?;
        Some(mlflow::MlflowSource::new(api, self.mlflow.clone()))
    }

    pub fn airflow_source(&self) -> Option<airflow::AirflowSource> {
        let client = self.clients.airflow.clone()?;
        Some(airflow::AirflowSource::new(client, self.airflow.clone()))
    }
}

/// MLflow's, Airflow's and Prometheus's URLs that would send credentials over plain
/// http.
fn plain_http_warnings(config: &Config) -> Vec<String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let any = |keys: &[&str]| keys.iter().any(|k| env(k).is_some());
    let mlflow = env("MLFLOW_TRACKING_URI").or_else(|| match &config.mlflow_uri {
        Some(TrackingUri::Http(url)) => Some(url.clone()),
        _ => None,
    });
    let mlflow_creds = any(&["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_TOKEN"]);
    let airflow_creds = any(&["AIRFLOW_USERNAME", "AIRFLOW_TOKEN"]);
    [
        mlflow.and_then(|u| rest::plain_http_warning("MLflow", &u, mlflow_creds)),
        config
            .airflow_url
            .as_deref()
            .and_then(|u| rest::plain_http_warning("Airflow", u, airflow_creds)),
        config.prometheus.url.as_ref().and_then(|u| {
            let creds = any(&["PROMETHEUS_TOKEN", "PROMETHEUS_USERNAME"]);
            rest::plain_http_warning("Prometheus", u.get_ref(), creds)
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

impl Pipelines {
    /// From config, with MLflow's own variables winning as in its clients.
    pub fn from_config(
        config: &Config,
        sdk: Option<&aws_config::SdkConfig>,
        calls: &ApiCalls,
    ) -> Pipelines {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let mlflow = match env("MLFLOW_TRACKING_URI") {
            Some(uri) => Some(TrackingUri::parse(&uri).ok_or_else(|| {
                format!(
                    "MLFLOW_TRACKING_URI={} is not an http(s) tracking server or a SageMaker \
                     MLflow ARN; unset it or point it at the server",
                    crate::model::secret::redact_urls(&uri)
                )
            })),
            None => config.mlflow_uri.clone().map(Ok),
        };
        let mlflow = mlflow.map(|uri| {
            uri.and_then(|uri| {
                mlflow_api(
                    &uri,
                    MlflowCredentials {
                        user: env("MLFLOW_TRACKING_USERNAME"),
                        password: env("MLFLOW_TRACKING_PASSWORD"),
                        token: env("MLFLOW_TRACKING_TOKEN"),
                    },
                    sdk,
                    calls,
                )
            })
        });
        Pipelines {
            mlflow,
            airflow: airflow_client(config, &config.airflow, sdk, calls),
        }
    }
}

pub struct MlflowCredentials {
    pub user: Option<String>,
    pub password: Option<String>,
    pub token: Option<String>,
}

/// A client of the tracking server at `uri`, authenticated as MLflow's clients are.
pub fn mlflow_api(
    uri: &TrackingUri,
    credentials: MlflowCredentials,
    sdk: Option<&aws_config::SdkConfig>,
    calls: &ApiCalls,
) -> Result<MlflowApi, String> {
    let (base, auth) = match uri {
        TrackingUri::Http(url) => {
            let auth = match credentials {
                MlflowCredentials { token: Some(t), .. } => Auth::Bearer(t),
                MlflowCredentials {
                    user: Some(user),
                    password: Some(password),
                    ..
                } => Auth::Basic { user, password },
                _ => Auth::None,
            };
            (url.clone(), auth)
        }
        TrackingUri::SageMaker { arn, region } => {
            let credentials = sdk
                .and_then(|s| s.credentials_provider())
                .ok_or("SageMaker's managed MLflow needs AWS credentials to sign with")?;
            (
                format!("https://{region}.experiments.sagemaker.aws"),
                Auth::SigV4 {
                    credentials,
                    region: region.clone(),
                    name: rest::MLFLOW_SIGNING_NAME,
                    server_arn: Some(arn.clone()),
                },
            )
        }
    };
    let rest = Rest::new(
        &format!("{base}/api/2.0/mlflow"),
        auth,
        "MLflow",
        MLFLOW_HINT,
        calls,
    )?;
    Ok(MlflowApi { rest })
}

fn airflow_client(
    config: &Config,
    airflow: &AirflowConfig,
    sdk: Option<&aws_config::SdkConfig>,
    calls: &ApiCalls,
) -> Option<AirflowClient> {
    let transport = match (&airflow.mwaa_environment, &config.airflow_url, sdk) {
        (Some(env), _, Some(sdk)) => {
            let mwaa = aws_sdk_mwaa::config::Builder::from(sdk)
                .interceptor(calls.clone())
                .build();
            Transport::mwaa(aws_sdk_mwaa::Client::from_conf(mwaa), env)
        }
        (_, Some(url), _) => {
            Transport::http(url, config.airflow_api, Credentials::from_env(), calls)
        }
        _ => return None,
    };
    Some(AirflowClient { transport })
}
