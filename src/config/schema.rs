//! The config.toml schema and its loading. Unknown keys are errors, with their position.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::accounts::ScopeSpec;
use super::error::ConfigError;
use super::keys::{KeyAction, KeyMap};
use super::models::{ModelConfig, ModelMapping};
use crate::model::identity::{Normaliser, DEFAULT_TAG_KEYS};
use crate::model::{Direction, Rules, Threshold};

/// The whole config file. Every section is optional; an empty file means the defaults.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub general: GeneralConfig,
    #[serde(default)]
    pub demo: DemoConfig,
    #[serde(default)]
    pub aws: AwsConfig,
    #[serde(default)]
    pub actions: ActionsConfig,
    #[serde(default)]
    pub identity: IdentityConfig,
    #[serde(default)]
    pub drift: DriftConfig,
    #[serde(default)]
    pub history: HistoryConfig,
    #[serde(default)]
    pub export: ExportConfig,
    #[serde(default)]
    pub mlflow: super::pipelines::MlflowConfig,
    #[serde(default)]
    pub airflow: super::pipelines::AirflowConfig,
    /// EKS clusters serving models (KServe, Deployments).
    #[serde(default)]
    pub eks: Vec<super::kube::EksConfig>,
    /// A kubeconfig context serving models.
    #[serde(default)]
    pub kubernetes: Option<super::kube::KubernetesConfig>,
    #[serde(default)]
    pub prometheus: super::kube::PrometheusConfig,
    #[serde(default)]
    health: HealthConfig,
    #[serde(default)]
    models: Vec<ModelConfig>,
    #[serde(default)]
    accounts: Vec<super::accounts::AccountConfig>,
    #[serde(default)]
    keys: BTreeMap<KeyAction, Vec<Spanned<String>>>,
    /// Resolved from `keys` over the built-in bindings while loading.
    #[serde(skip)]
    pub keymap: KeyMap,
    /// Resolved from `health` and `models` while loading.
    #[serde(skip)]
    pub rules: Rules,
    /// Resolved from `models` while loading.
    #[serde(skip)]
    pub mappings: Vec<ModelMapping>,
    /// Resolved from `mlflow` while loading (MLFLOW_TRACKING_URI is the caller's).
    #[serde(skip)]
    pub mlflow_uri: Option<super::pipelines::TrackingUri>,
    /// Resolved from `airflow` while loading.
    #[serde(skip)]
    pub airflow_url: Option<String>,
    #[serde(skip)]
    pub airflow_api: Option<super::pipelines::AirflowRest>,
    /// Resolved from `prometheus` while loading.
    #[serde(skip)]
    pub prometheus_at: Option<super::kube::PrometheusAt>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneralConfig {
    /// Theme name (dark, light, mono) or path to a theme file.
    pub theme: Option<String>,
    /// Days of daily log files kept.
    pub log_days: u64,
}

impl Default for GeneralConfig {
    fn default() -> Self {
        GeneralConfig {
            theme: None,
            log_days: 14,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    pub seed: u64,
    /// Models in the simulated fleet: the eight built-in models, then generated ones.
    pub models: usize,
    /// Seconds between simulated refreshes.
    pub tick_seconds: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            seed: 42,
            models: 8,
            tick_seconds: 2,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// Seconds between refreshes of each AWS source, unless set per source below.
    pub refresh_seconds: u64,
    pub sagemaker_seconds: Option<u64>,
    pub cloudwatch_seconds: Option<u64>,
    pub s3_seconds: Option<u64>,
    /// Every endpoint becomes a row, not only those `[[models]]` name.
    pub discover: bool,
    /// Where teams publish business metrics, and the dimension naming the model.
    pub custom_namespace: String,
    pub model_dimension: String,
    /// At most this many pages (1,000 keys each) listed per raw-data prefix.
    pub s3_max_pages: u32,
    /// Cost Explorer answers are reused this long (each request costs $0.01).
    pub cost_refresh_minutes: u64,
    /// The cost-allocation tag whose value names the model (e.g. "model").
    pub cost_model_tag: Option<String>,
    /// X-Ray bills per trace scanned: a short window and a bounded number of traces.
    pub xray_window_minutes: u64,
    pub xray_max_traces: usize,
    /// An X-Ray filter expression for the traces listed.
    pub xray_filter: Option<String>,
    /// Requests in flight at once per service.
    pub max_in_flight: usize,
    /// Seconds to open a connection, for one attempt of a request, and for a whole
    /// request with its retries: a service that never answers turns stale, never hangs.
    pub connect_timeout_seconds: u64,
    pub attempt_timeout_seconds: u64,
    pub operation_timeout_seconds: u64,
    /// What the session's AWS requests may cost a day (list prices): metric polling
    /// slows down to stay under it.
    pub daily_budget_usd: f64,
    /// Regions to watch at once (the first is a pair's primary unless Route 53 says).
    pub regions: Vec<Spanned<String>>,
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            refresh_seconds: 60,
            sagemaker_seconds: None,
            cloudwatch_seconds: None,
            s3_seconds: None,
            discover: true,
            custom_namespace: "MLOps/Models".into(),
            model_dimension: "ModelName".into(),
            s3_max_pages: 20,
            cost_refresh_minutes: 720,
            cost_model_tag: None,
            xray_window_minutes: 15,
            xray_max_traces: 20,
            xray_filter: None,
            max_in_flight: 16,
            connect_timeout_seconds: 3,
            attempt_timeout_seconds: 10,
            operation_timeout_seconds: 30,
            daily_budget_usd: 0.10,
            regions: Vec::new(),
        }
    }
}

/// How models are recognised when config does not name them (README: "How models
/// are recognised").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityConfig {
    /// Tag keys on an endpoint whose value names its model.
    pub tag_keys: Vec<String>,
    /// Words stripped from the ends of names besides the built-in ones (prod, -v3, …).
    pub affixes: Vec<String>,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            tag_keys: DEFAULT_TAG_KEYS.map(String::from).to_vec(),
            affixes: Vec::new(),
        }
    }
}

/// Drift computed from endpoints' captured traffic (Data Capture in S3).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftConfig {
    /// The current window: captured records of the last this many hours.
    pub window_hours: u32,
    /// Bytes of captured and baseline data read per model and refresh at most;
    /// what is left is read at the next refresh.
    pub max_bytes: u64,
    /// "psi" (Population Stability Index) or "js" (Jensen–Shannon distance).
    pub method: crate::model::distribution::Method,
}

impl DriftConfig {
    /// The current window as a duration.
    pub fn window(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_hours(i64::from(self.window_hours))
    }
}

impl Default for DriftConfig {
    fn default() -> Self {
        DriftConfig {
            window_hours: 24,
            max_bytes: 4 << 20,
            method: crate::model::distribution::Method::Psi,
        }
    }
}

/// The fleet's recorded past, for scrubbing back and `snapshot --at`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HistoryConfig {
    /// Records each refresh's fleet, at most one every `every_seconds`.
    pub enabled: bool,
    pub every_seconds: u64,
    /// Days kept, and megabytes on disk at most per account and region.
    pub days: u32,
    pub max_mb: u64,
    /// Where [default: the platform data dir's history/].
    pub dir: Option<std::path::PathBuf>,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            every_seconds: 60,
            days: 7,
            max_mb: 200,
            dir: None,
        }
    }
}

/// Incident reports (`E`, `mlopsdash export`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Where reports are written [default: the current directory].
    pub dir: Option<std::path::PathBuf>,
}

/// Keyboard actions (rollback, retrain, approve/reject, stop) and their guard rails.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ActionsConfig {
    /// Disables every action, like `--read-only`.
    pub read_only: bool,
    /// Endpoints with any of these tags ("key=value") need their name typed.
    pub protected_tags: Vec<String>,
    /// How often a running action's progress is polled, and for how long at most.
    pub poll_seconds: u64,
    pub timeout_minutes: u64,
    /// The append-only audit log [default: the platform data dir's audit.jsonl].
    pub audit_log: Option<std::path::PathBuf>,
}

impl Default for ActionsConfig {
    fn default() -> Self {
        ActionsConfig {
            read_only: false,
            protected_tags: vec!["env=prod".into(), "environment=production".into()],
            poll_seconds: 5,
            timeout_minutes: 30,
            audit_log: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HealthConfig {
    data_age_hours: Option<Spanned<Threshold>>,
    drift_violations: Option<Spanned<Threshold>>,
    #[serde(default)]
    metrics: BTreeMap<String, Spanned<Threshold>>,
}

impl Config {
    /// Parses and validates config text; `path` is only used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut config: Config =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        let at = |span: std::ops::Range<usize>, msg: String| {
            ConfigError::at(path, text, span.start, msg)
        };
        config.rules = config.build_rules().map_err(|(span, msg)| at(span, msg))?;
        config.mappings = config
            .models
            .iter()
            .map(|m| m.mapping().map_err(|(span, msg)| at(span, msg)))
            .collect::<Result<_, _>>()?;
        config.keymap =
            KeyMap::with_overrides(&config.keys).map_err(|(span, msg)| at(span, msg))?;
        config.mlflow_uri = config
            .mlflow
            .checked_uri()
            .map_err(|(span, msg)| at(span, msg))?;
        (config.airflow_url, config.airflow_api) = config
            .airflow
            .checked()
            .map_err(|(span, msg)| at(span, msg))?;
        config.prometheus_at = config
            .prometheus
            .checked()
            .map_err(|(span, msg)| at(span, msg))?;
        super::accounts::check(&config.accounts, &config.aws.regions)
            .map_err(|(span, msg)| at(span, msg))?;
        super::bounds::check(&config, path, text)?;
        Ok(config)
    }

    /// Every account × region to watch, given `--region` (a list) and `--profile`.
    pub fn scopes(&self, cli_regions: &[String], cli_profile: Option<&str>) -> Vec<ScopeSpec> {
        super::accounts::scopes(&self.accounts, &self.aws.regions, cli_regions, cli_profile)
    }

    /// Reads the file at `path`. A missing file is an error only when the user named it.
    pub fn load(path: &Path, named_by_user: bool) -> Result<Config, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named_by_user => {
                Ok(Config::defaults())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ConfigError::file(
                path,
                "no such file (create one with `mlopsdash config init`)",
            )),
            Err(e) => Err(ConfigError::file(path, e.to_string())),
        }
    }

    pub fn defaults() -> Config {
        Config {
            keymap: KeyMap::default(),
            ..Config::default()
        }
    }

    fn build_rules(&self) -> Result<Rules, (std::ops::Range<usize>, String)> {
        let mut rules = Rules {
            names: Normaliser::new(&self.identity.affixes),
            ..Rules::default()
        };
        let checked = |t: &Spanned<Threshold>, what: &str| {
            validate(t.get_ref())
                .map(|()| *t.get_ref())
                .map_err(|e| (t.span(), format!("{what}: {e}")))
        };
        if let Some(t) = &self.health.data_age_hours {
            rules.data_age_hours = checked(t, "data_age_hours")?;
        }
        if let Some(t) = &self.health.drift_violations {
            rules.drift_violations = checked(t, "drift_violations")?;
        }
        for (metric, t) in &self.health.metrics {
            rules.metrics.insert(metric.clone(), checked(t, metric)?);
        }
        for m in &self.models {
            let mut overrides = BTreeMap::new();
            for (metric, t) in &m.thresholds {
                overrides.insert(metric.clone(), checked(t, metric)?);
            }
            for q in &m.metrics {
                if let Some(t) = &q.threshold {
                    let key = q.key.as_ref().unwrap_or(&q.name);
                    overrides.insert(key.clone(), checked(t, key)?);
                }
            }
            rules.per_model.insert(m.name.clone(), overrides);
            if let Some(kind) = m.kind {
                rules.kinds.insert(m.name.clone(), kind);
            }
            if let Some(q) = &m.quality_metrics {
                rules.quality_metrics.insert(m.name.clone(), q.clone());
            }
        }
        Ok(rules)
    }
}

/// A crit level on the good side of the warn level is a typo, not a rule; a level
/// that is not a number (nan) or has no end (inf) would judge nothing.
fn validate(t: &Threshold) -> Result<(), String> {
    for (name, level) in [("warn", t.warn), ("crit", t.crit)] {
        if let Some(v) = level.filter(|v| !v.is_finite()) {
            return Err(format!("{name} ({v}) is not a finite number"));
        }
    }
    match (t.warn, t.crit, t.direction) {
        (None, None, _) => Err("set warn, crit or both".into()),
        (Some(w), Some(c), Direction::Above) if c < w => Err(format!(
            "crit ({c}) is below warn ({w}) for a threshold whose direction is \"above\""
        )),
        (Some(w), Some(c), Direction::Below) if c > w => Err(format!(
            "crit ({c}) is above warn ({w}) for a threshold whose direction is \"below\""
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
