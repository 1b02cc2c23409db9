//! Airflow's stable REST API, as Airflow 3 (`/api/v2`) and Airflow 2 (`/api/v1`)
//! spell it, over HTTP or through Amazon MWAA's InvokeRestApi. Both versions' fields
//! are read into one shape; unknown fields are ignored, missing ones default.

use jiff::Timestamp;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::transport::Transport;
use crate::config::AirflowRest;

/// DAGs listed at most (pages of 100).
const MAX_DAGS: usize = 1_000;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Dag {
    pub dag_id: String,
    pub is_paused: Option<bool>,
    /// Airflow 3: its file is gone.
    pub is_stale: Option<bool>,
    /// Airflow 2: false once its file is gone.
    pub is_active: Option<bool>,
    pub tags: Vec<DagTag>,
    /// Airflow 3.
    pub timetable_summary: Option<String>,
    /// Airflow 2: `{"__type": "CronExpression", "value": "0 2 * * *"}`.
    pub schedule_interval: Option<Value>,
    /// Airflow 3: when the next run may start.
    pub next_dagrun_run_after: Option<String>,
    /// Airflow 2's name for it.
    pub next_dagrun_create_after: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DagTag {
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DagRunInfo {
    pub dag_run_id: String,
    pub state: String,
    pub logical_date: Option<String>,
    /// Airflow 2's logical date.
    pub execution_date: Option<String>,
    pub queued_at: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// Airflow 3: when the run was due (its order).
    pub run_after: Option<String>,
    pub conf: Option<Value>,
}

impl Dag {
    /// Still defined by a DAG file (a deleted one lingers in the list, marked).
    pub fn is_live(&self) -> bool {
        self.is_stale != Some(true) && self.is_active != Some(false)
    }

    pub fn schedule(&self) -> Option<String> {
        self.timetable_summary.clone().or_else(|| {
            let s = self.schedule_interval.as_ref()?;
            s["value"]
                .as_str()
                .map(str::to_string)
                .or_else(|| s.as_str().map(str::to_string))
        })
    }

    pub fn next_due(&self) -> Option<Timestamp> {
        time(
            self.next_dagrun_run_after
                .as_deref()
                .or(self.next_dagrun_create_after.as_deref()),
        )
    }
}

impl DagRunInfo {
    pub fn logical(&self) -> Option<Timestamp> {
        time(
            self.logical_date
                .as_deref()
                .or(self.execution_date.as_deref()),
        )
    }

    /// When it started, else when it was queued or due: every run has a time.
    pub fn started(&self) -> Option<Timestamp> {
        time(self.start_date.as_deref())
            .or_else(|| time(self.queued_at.as_deref()))
            .or_else(|| time(self.run_after.as_deref()))
            .or_else(|| self.logical())
    }

    pub fn ended(&self) -> Option<Timestamp> {
        time(self.end_date.as_deref())
    }
}

pub fn time(text: Option<&str>) -> Option<Timestamp> {
    text?.parse().ok()
}

/// A path segment with everything but unreserved characters escaped: run ids hold
/// `:` and `+`.
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A trigger's body in `version`'s shape: Airflow 3 asks for the logical date (null
/// lets it pick the run's time), Airflow 2 has no such field.
pub fn trigger_body(version: AirflowRest, conf: &Value) -> Value {
    match version {
        AirflowRest::V2 => json!({ "logical_date": null, "conf": conf }),
        AirflowRest::V1 => json!({ "conf": conf }),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, v: Value) -> Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("Airflow {what}: unexpected answer ({e})"))
}

/// One Airflow, whichever way it is reached.
#[derive(Clone)]
pub struct AirflowClient {
    pub transport: Transport,
}

impl AirflowClient {
    pub async fn dags(&self) -> Result<Vec<Dag>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            dags: Vec<Dag>,
            total_entries: Option<usize>,
        }
        let mut out: Vec<Dag> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let query = [
                ("limit", "100".to_string()),
                ("offset", out.len().to_string()),
            ];
            let v = self
                .transport
                .call("GetDags", Method::GET, "/dags", &query, None)
                .await?;
            let page: Page = parse("dags", v)?;
            let got = page.dags.len();
            // A page of DAGs already listed: the server ignores the offset and would
            // page for ever.
            let new = page
                .dags
                .iter()
                .filter(|d| seen.insert(d.dag_id.clone()))
                .count();
            if got > 0 && new == 0 {
                return Err(format!(
                    "{} GET /dags: the server sent the same page twice; stopped",
                    self.transport.place()
                ));
            }
            out.extend(page.dags);
            let total = page.total_entries.unwrap_or(out.len());
            if got == 0 || out.len() >= total || out.len() >= MAX_DAGS {
                break;
            }
        }
        Ok(out)
    }

    /// One DAG as the server has it now.
    pub async fn dag(&self, dag: &str) -> Result<Dag, String> {
        let path = format!("/dags/{}", segment(dag));
        let v = self
            .transport
            .call("GetDag", Method::GET, &path, &[], None)
            .await?;
        parse("dag", v)
    }

    /// The DAG's newest runs, newest first.
    pub async fn runs(
        &self,
        dag: &str,
        limit: usize,
        state: Option<&str>,
    ) -> Result<Vec<DagRunInfo>, String> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Page {
            dag_runs: Vec<DagRunInfo>,
        }
        let order = match self.transport.version().await? {
            AirflowRest::V2 => "-run_after",
            AirflowRest::V1 => "-execution_date",
        };
        let mut query = vec![
            ("limit", limit.to_string()),
            ("order_by", order.to_string()),
        ];
        if let Some(s) = state {
            query.push(("state", s.to_string()));
        }
        let path = format!("/dags/{}/dagRuns", segment(dag));
        let v = self
            .transport
            .call("GetDagRuns", Method::GET, &path, &query, None)
            .await?;
        Ok(parse::<Page>("dagRuns", v)?.dag_runs)
    }

    pub async fn run(&self, dag: &str, run_id: &str) -> Result<DagRunInfo, String> {
        let path = format!("/dags/{}/dagRuns/{}", segment(dag), segment(run_id));
        let v = self
            .transport
            .call("GetDagRun", Method::GET, &path, &[], None)
            .await?;
        parse("dagRun", v)
    }

    /// The failed tasks of a run, with their try numbers.
    pub async fn failed_tasks(
        &self,
        dag: &str,
        run_id: &str,
    ) -> Result<Vec<(String, u64)>, String> {
        let path = format!(
            "/dags/{}/dagRuns/{}/taskInstances",
            segment(dag),
            segment(run_id)
        );
        let query = [("state", "failed".to_string())];
        let v = self
            .transport
            .call("GetTaskInstances", Method::GET, &path, &query, None)
            .await?;
        let tasks = v["task_instances"].as_array().cloned().unwrap_or_default();
        Ok(tasks
            .iter()
            .filter(|t| t["state"] == "failed")
            .filter_map(|t| {
                Some((
                    t["task_id"].as_str()?.to_string(),
                    t["try_number"].as_u64().unwrap_or(1).max(1),
                ))
            })
            .collect())
    }

    /// A task try's log as Airflow gives it (structured events or text).
    pub async fn log(
        &self,
        dag: &str,
        run_id: &str,
        task: &str,
        attempt: u64,
    ) -> Result<Value, String> {
        let path = format!(
            "/dags/{}/dagRuns/{}/taskInstances/{}/logs/{attempt}",
            segment(dag),
            segment(run_id),
            segment(task)
        );
        let query = [("full_content", "true".to_string())];
        let v = self
            .transport
            .call("GetLog", Method::GET, &path, &query, None)
            .await?;
        Ok(v["content"].clone())
    }

    /// The request body a trigger sends, in the server's API version's shape.
    pub async fn trigger_body(&self, conf: &Value) -> Result<Value, String> {
        Ok(trigger_body(self.transport.version().await?, conf))
    }

    /// Starts a run of `dag` with `body` exactly as planned; its run id.
    pub async fn trigger(&self, dag: &str, body: &Value) -> Result<String, String> {
        let path = format!("/dags/{}/dagRuns", segment(dag));
        let v = self
            .transport
            .call("TriggerDagRun", Method::POST, &path, &[], Some(body))
            .await?;
        v["dag_run_id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "Airflow accepted the run but named no dag_run_id".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_are_escaped_as_path_segments() {
        assert_eq!(
            segment("manual__2026-12-02T04:54:25.262279+00:00"),
            "manual__2026-12-02T04%3A54%3A25.262279%2B00%3A00"
        );
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }

    #[test]
    fn both_api_versions_read_into_one_shape() {
        let v3: Dag = serde_json::from_value(json!({
            "dag_id": "d", "is_paused": false, "timetable_summary": "0 0 * * *",
            "next_dagrun_run_after": "2026-12-03T00:00:00Z", "tags": [{"name": "etl", "dag_id": "d"}]
        }))
        .unwrap();
        let v2: Dag = serde_json::from_value(json!({
            "dag_id": "d", "is_paused": null,
            "schedule_interval": {"__type": "CronExpression", "value": "0 2 * * *"},
            "next_dagrun_create_after": "2026-12-03T02:00:00+00:00", "tags": [{"name": "etl"}]
        }))
        .unwrap();
        assert_eq!(v3.schedule().as_deref(), Some("0 0 * * *"));
        assert_eq!(v2.schedule().as_deref(), Some("0 2 * * *"));
        assert_eq!(
            v2.next_due().unwrap().as_second() - v3.next_due().unwrap().as_second(),
            7200
        );
        let run: DagRunInfo = serde_json::from_value(json!({
            "dag_run_id": "r", "state": "queued", "execution_date": "2026-12-01T00:00:00+00:00",
            "start_date": null
        }))
        .unwrap();
        assert_eq!(run.started(), run.logical());
    }
}
