//! MLflow's REST API 2.0, typed as far as the dashboard reads it. Unknown fields are
//! ignored and missing ones default: servers of many MLflow versions answer.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::source::pages::Pages;
use crate::source::rest::Rest;

/// Registered models read at most (pages of 100): a registry larger than this is
/// shown by its most recently updated models.
pub const MAX_MODELS: usize = 500;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub last_updated_timestamp: Option<i64>,
    pub tags: Vec<Tag>,
    pub aliases: Vec<Alias>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Alias {
    pub alias: String,
    pub version: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct Version {
    pub name: String,
    pub version: String,
    pub creation_timestamp: Option<i64>,
    pub current_stage: Option<String>,
    pub source: Option<String>,
    pub run_id: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    pub run_name: Option<String>,
    pub experiment_id: String,
    pub status: String,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RunData {
    pub metrics: Vec<Metric>,
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    pub timestamp: Option<i64>,
    pub step: Option<i64>,
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("MLflow {what}: unexpected answer ({e})"))
}

/// A client of one tracking server.
#[derive(Clone)]
pub struct MlflowApi {
    pub rest: Rest,
}

impl MlflowApi {
    /// Every registered model, most recently updated first (bounded).
    pub async fn registered_models(&self) -> Result<Vec<RegisteredModel>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            registered_models: Vec<RegisteredModel>,
            next_page_token: Option<String>,
        }
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        // Pages of 100 up to the bound: more pages than that is a server that pages
        // for ever (empty pages, new tokens), not a bigger registry.
        let what = format!("{} registered-models/search", self.rest.server());
        let mut pages = Pages::new(what, MAX_MODELS / 100 + 1);
        while out.len() < MAX_MODELS {
            let mut query = vec![
                ("max_results", "100".to_string()),
                ("order_by", "last_updated_timestamp DESC".to_string()),
            ];
            if let Some(t) = &token {
                query.push(("page_token", t.clone()));
            }
            let v = self
                .rest
                .get("SearchRegisteredModels", "registered-models/search", &query)
                .await?;
            let page: Page = parse("registered-models/search", v)?;
            out.extend(page.registered_models);
            match pages.next(page.next_page_token.as_deref())? {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.truncate(MAX_MODELS);
        Ok(out)
    }

    /// One registered model (its aliases) as the server has it now.
    pub async fn registered_model(&self, name: &str) -> Result<RegisteredModel, String> {
        let query = [("name", name.to_string())];
        let v = self
            .rest
            .get("GetRegisteredModel", "registered-models/get", &query)
            .await?;
        parse("registered-models/get", v["registered_model"].clone())
    }

    /// The model's newest versions, newest first.
    pub async fn versions(&self, model: &str, max: usize) -> Result<Vec<Version>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            model_versions: Vec<Version>,
        }
        let query = [
            ("filter", format!("name='{}'", model.replace('\'', "\\'"))),
            ("max_results", max.to_string()),
            ("order_by", "version_number DESC".to_string()),
        ];
        let v = self
            .rest
            .get("SearchModelVersions", "model-versions/search", &query)
            .await?;
        let mut versions = parse::<Page>("model-versions/search", v)?.model_versions;
        versions.sort_by_key(|v| std::cmp::Reverse(v.version.parse::<u64>().unwrap_or(0)));
        Ok(versions)
    }

    /// The experiment a run belongs to.
    /// The experiment a run is in; None when the run is gone (deleted, or a
    /// version registered from a path never had one).
    pub async fn experiment_of_run(&self, run_id: &str) -> Result<Option<String>, String> {
        let found = self
            .rest
            .get_if_found("GetRun", "runs/get", &[("run_id", run_id.to_string())])
            .await?;
        let Some(v) = found else {
            return Ok(None);
        };
        let run: Run = parse("runs/get", v["run"].clone())?;
        Ok(Some(run.info.experiment_id))
    }

    /// The experiment's id by name; None when there is no such experiment.
    pub async fn experiment_named(&self, name: &str) -> Result<Option<String>, String> {
        let found = self
            .rest
            .get_if_found(
                "GetExperimentByName",
                "experiments/get-by-name",
                &[("experiment_name", name.to_string())],
            )
            .await?;
        Ok(found.and_then(|v| {
            v["experiment"]["experiment_id"]
                .as_str()
                .map(str::to_string)
        }))
    }

    /// The experiment's newest runs, newest first.
    pub async fn runs(&self, experiment: &str, max: usize) -> Result<Vec<Run>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            runs: Vec<Run>,
        }
        let body = json!({
            "experiment_ids": [experiment],
            "max_results": max,
            "order_by": ["attributes.start_time DESC"],
        });
        let v = self
            .rest
            .send("SearchRuns", Method::POST, "runs/search", &[], Some(&body))
            .await?;
        Ok(parse::<Page>("runs/search", v)?.runs)
    }

    /// One metric's values over a run, by step.
    pub async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            metrics: Vec<Metric>,
        }
        let query = [
            ("run_id", run_id.to_string()),
            ("metric_key", key.to_string()),
            ("max_results", "1000".to_string()),
        ];
        let v = self
            .rest
            .get("GetMetricHistory", "metrics/get-history", &query)
            .await?;
        Ok(parse::<Page>("metrics/get-history", v)?.metrics)
    }

    /// Which version an alias points at now (None when it points nowhere).
    pub async fn alias(&self, model: &str, alias: &str) -> Result<Option<String>, String> {
        let query = [("name", model.to_string()), ("alias", alias.to_string())];
        let found = self
            .rest
            .get_if_found("GetModelVersionByAlias", "registered-models/alias", &query)
            .await?;
        Ok(found.and_then(|v| v["model_version"]["version"].as_str().map(str::to_string)))
    }

    /// One version, as the server has it now.
    pub async fn version(&self, model: &str, version: &str) -> Result<Version, String> {
        let query = [
            ("name", model.to_string()),
            ("version", version.to_string()),
        ];
        let v = self
            .rest
            .get("GetModelVersion", "model-versions/get", &query)
            .await?;
        parse("model-versions/get", v["model_version"].clone())
    }

    /// Sends a write request exactly as planned (the confirmation showed this body).
    pub async fn post(&self, operation: &str, path: &str, body: &Value) -> Result<Value, String> {
        self.rest
            .send(operation, Method::POST, path, &[], Some(body))
            .await
    }
}
