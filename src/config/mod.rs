//! Configuration: the config.toml schema, where it lives, key bindings and themes.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

pub mod accounts;
mod bounds;
mod error;
pub mod files;
pub mod keys;
pub mod kube;
mod models;
pub mod paths;
mod pipelines;
mod schema;
pub mod theme;

pub use accounts::ScopeSpec;
pub use error::ConfigError;
pub use keys::{KeyAction, KeyMap};
pub use kube::{EksConfig, KubernetesConfig, PrometheusAt, PrometheusConfig};
pub use models::{parse_s3, EcsServiceName, MetricQuery, ModelMapping, S3Location, WorkloadName};
pub use pipelines::{http_url, AirflowConfig, AirflowRest, MlflowConfig, TrackingUri};
pub use schema::{
    ActionsConfig, AwsConfig, Config, DemoConfig, DriftConfig, ExportConfig, GeneralConfig,
    HistoryConfig, IdentityConfig,
};
pub use theme::Theme;

/// The documented example config; `mlopsdash config init` writes exactly this.
pub const EXAMPLE: &str = include_str!("../../config.example.toml");
