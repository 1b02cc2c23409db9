//! The Airflow source: the model's ETL DAG decides DATA (its last successful run, a
//! failed or late run), its training DAG's runs are TRAIN's, with the failed task
//! and the last error lines of its log. DAGs join models by config or by a
//! `model:<name>` tag.

pub mod api;
mod log;
pub mod transport;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::config::ModelMapping;
use crate::model::dags::{DagFacts, DagRole, DagRun};
use crate::model::facts::{
    DataFacts, DataSource, Fleet, ModelFacts, RunDetail, RunSource, RunStatus, StaleFacts,
    TrainingRun,
};
use crate::model::identity::JoinedBy;
use crate::model::stages::Stage;
use crate::source::aws::fan_out::{fan_out, lock, DEFAULT_IN_FLIGHT};
use crate::source::last_good::LastGood;
use crate::source::owner::{row_of, Owner};
use crate::source::{report, Source, SourceId, Update};
pub use api::AirflowClient;
use api::{Dag, DagRunInfo};
use transport::Transport;

#[derive(Debug, Clone, Default)]
pub struct AirflowSettings {
    pub mappings: Vec<ModelMapping>,
    /// DAGs tagged "<prefix><model>" belong to that model.
    pub tag_prefix: String,
    pub runs: usize,
    pub log_lines: usize,
    pub in_flight: usize,
}

/// Why a failed run failed: its task and log lines (a finished run never changes).
type RunFailure = (Option<String>, Vec<String>);

pub struct AirflowSource {
    client: AirflowClient,
    settings: AirflowSettings,
    failures: Mutex<HashMap<(String, String), RunFailure>>,
    /// Each DAG's last good facts and when they were read.
    known: LastGood<String, DagFacts>,
}

/// A DAG and the model it serves.
struct Target<'a> {
    dag: &'a Dag,
    owner: Owner,
    role: DagRole,
}

impl AirflowSource {
    pub fn new(client: AirflowClient, settings: AirflowSettings) -> AirflowSource {
        AirflowSource {
            client,
            settings,
            failures: Mutex::default(),
            known: LastGood::default(),
        }
    }

    pub async fn gather(&self) -> Result<Fleet, String> {
        let environment = self.environment_problem().await;
        let dags = self.client.dags().await?;
        let targets: Vec<Target> = dags
            .iter()
            .filter(|d| d.is_live())
            .filter_map(|d| self.target(d))
            .collect();
        let limit = match self.settings.in_flight {
            0 => DEFAULT_IN_FLIGHT,
            n => n,
        };
        let read = fan_out(targets, limit, |t| async move {
            let facts = self.dag(t.dag, t.role).await;
            (t, facts)
        })
        .await;
        let mut rows: Vec<ModelFacts> = Vec::new();
        self.known
            .retain(|dag| read.iter().any(|(t, _)| t.dag.dag_id == *dag));
        for (t, facts) in read {
            let what = format!("Airflow {} DAG {}", t.role.label(), t.dag.dag_id);
            let row = row_of(&mut rows, &t.owner, what);
            // A DAG that could not be read keeps its last good facts, marked old.
            let id = &t.dag.dag_id;
            let (dag, mark) = self
                .known
                .settle(id, facts, SourceId::Airflow, t.role.stages());
            row.stale.extend(mark);
            if let Some(dag) = dag {
                add(row, dag);
            }
        }
        if let Some(problem) = environment {
            for row in &mut rows {
                let stages = [Stage::Data, Stage::Training];
                let mark = StaleFacts::new(SourceId::Airflow, &stages, problem.clone(), None);
                row.stale.push(mark);
            }
        }
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    /// MWAA's own health: an environment that is not available is said on its rows.
    async fn environment_problem(&self) -> Option<String> {
        let Transport::Mwaa(m) = &self.client.transport else {
            return None;
        };
        match m.environment().await {
            Err(e) => Some(e),
            Ok(env) => {
                let status = env
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default();
                let error = env
                    .last_update()
                    .and_then(|u| u.error())
                    .and_then(|e| e.error_message())
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                (!matches!(status.as_str(), "AVAILABLE" | "UPDATING" | ""))
                    .then(|| format!("MWAA environment {} is {status}{error}", m.environment))
            }
        }
    }

    /// Which model a DAG serves and how: config names it, or a `model:` tag does
    /// (its role then from its tags or its name). Other DAGs are not the dashboard's.
    fn target<'a>(&self, dag: &'a Dag) -> Option<Target<'a>> {
        for m in &self.settings.mappings {
            for (role, named, key) in [
                (DagRole::Etl, &m.etl_dag, "etl_dag"),
                (DagRole::Training, &m.training_dag, "training_dag"),
            ] {
                if named.as_deref() == Some(dag.dag_id.as_str()) {
                    return Some(Target {
                        dag,
                        owner: Owner {
                            model: m.name.clone(),
                            by: JoinedBy::Config,
                            evidence: format!("config {key} = \"{}\"", dag.dag_id),
                        },
                        role,
                    });
                }
            }
        }
        let prefix = &self.settings.tag_prefix;
        // Tags as people type them: `model:churn`, `Model:churn`.
        let tag = dag.tags.iter().find_map(|t| {
            let head = t.name.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| t.name.get(prefix.len()..))
                .flatten()
                .filter(|rest| !rest.is_empty())
        })?;
        // A DAG whose role neither its tags nor its name say is still the model's:
        // shown in its detail, never judged as its data or triggered as its retrain.
        let role = role_of(dag).unwrap_or(DagRole::Unknown);
        Some(Target {
            dag,
            owner: Owner {
                model: tag.to_string(),
                by: JoinedBy::Tag,
                evidence: format!("DAG tag {prefix}{tag}"),
            },
            role,
        })
    }

    /// One DAG: its newest runs, its last success, why its newest run failed.
    async fn dag(&self, dag: &Dag, role: DagRole) -> Result<DagFacts, String> {
        let id = &dag.dag_id;
        let listed = self
            .client
            .runs(id, self.settings.runs.max(1), None)
            .await?;
        let success_listed = listed
            .iter()
            .find(|r| r.state == "success")
            .map(|r| r.ended().or(r.started()));
        let last_success = match success_listed {
            Some(at) => at,
            None => self
                .client
                .runs(id, 1, Some("success"))
                .await?
                .first()
                .and_then(|r| r.ended().or(r.started())),
        };
        let mut runs: Vec<DagRun> = listed.iter().map(run_facts).collect();
        if let Some(newest) = runs.first_mut().filter(|r| r.state == "failed") {
            let (task, tail) = self.failure(id, &newest.run_id).await;
            newest.failed_task = task;
            newest.log_tail = tail;
        }
        Ok(DagFacts {
            dag_id: id.clone(),
            role,
            paused: dag.is_paused.unwrap_or(false),
            schedule: dag.schedule(),
            next_due: dag.next_due(),
            runs,
            last_success,
        })
    }

    /// The failed task of a run and its log's last error lines, read once per run.
    /// A log that cannot be read leaves the task named and says so.
    async fn failure(&self, dag: &str, run_id: &str) -> RunFailure {
        let key = (dag.to_string(), run_id.to_string());
        if let Some(known) = lock(&self.failures).get(&key) {
            return known.clone();
        }
        let failure = match self.client.failed_tasks(dag, run_id).await {
            Err(e) => (None, vec![format!("the failed task is unknown: {e}")]),
            Ok(tasks) => match tasks.first() {
                None => (None, Vec::new()),
                Some((task, attempt)) => match self.client.log(dag, run_id, task, *attempt).await {
                    Ok(content) => (
                        Some(task.clone()),
                        log::error_lines(&content, self.settings.log_lines.max(1)),
                    ),
                    Err(e) => (
                        Some(task.clone()),
                        vec![format!("its log could not be read: {e}")],
                    ),
                },
            },
        };
        lock(&self.failures).insert(key, failure.clone());
        failure
    }
}

/// A DAG's role from its tags, else from its name's words.
fn role_of(dag: &Dag) -> Option<DagRole> {
    const ETL: [&str; 7] = [
        "etl", "elt", "data", "ingest", "extract", "load", "features",
    ];
    const TRAINING: [&str; 3] = ["train", "training", "retrain"];
    let tagged = |words: &[&str]| {
        dag.tags
            .iter()
            .any(|t| words.contains(&t.name.to_lowercase().as_str()))
    };
    if tagged(&TRAINING) {
        return Some(DagRole::Training);
    }
    if tagged(&ETL) {
        return Some(DagRole::Etl);
    }
    let id = dag.dag_id.to_lowercase();
    let words: Vec<&str> = id.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    if words
        .iter()
        .any(|w| w.starts_with("train") || *w == "retrain")
    {
        Some(DagRole::Training)
    } else if words
        .iter()
        .any(|w| ETL.contains(w) || w.starts_with("ingest"))
    {
        Some(DagRole::Etl)
    } else {
        None
    }
}

fn run_facts(r: &DagRunInfo) -> DagRun {
    DagRun {
        run_id: r.dag_run_id.clone(),
        state: r.state.clone(),
        logical_date: r.logical(),
        started: r.started(),
        ended: r.ended(),
        failed_task: None,
        log_tail: Vec::new(),
    }
}

/// A DAG's facts on its model's row: DATA from the ETL DAG, TRAIN from the other.
pub fn add(row: &mut ModelFacts, dag: DagFacts) {
    match dag.role {
        DagRole::Etl if row.data.is_none() => {
            row.data = Some(DataFacts {
                lambda: None,
                location: format!("airflow DAG {}", dag.dag_id),
                newest_object: dag.last_success,
                source: DataSource::Airflow,
            })
        }
        DagRole::Etl => {}
        DagRole::Training => {
            row.training.extend(training_runs(&dag));
            row.training.sort_by_key(|r| std::cmp::Reverse(r.started));
        }
        DagRole::Unknown => {}
    }
    row.dags.push(dag);
}

/// A training DAG's runs as training runs (newest first, as listed).
pub fn training_runs(dag: &DagFacts) -> Vec<TrainingRun> {
    dag.runs.iter().filter_map(training_run).collect()
}

fn training_run(r: &DagRun) -> Option<TrainingRun> {
    let status = match r.state.as_str() {
        "success" => RunStatus::Completed,
        "failed" => RunStatus::Failed,
        _ if r.is_running() => RunStatus::InProgress,
        _ => RunStatus::Stopped,
    };
    Some(TrainingRun {
        name: r.run_id.clone(),
        status,
        started: r.started?,
        ended: r.ended.filter(|_| status != RunStatus::InProgress),
        failure_reason: (status == RunStatus::Failed).then(|| {
            log::reason(&r.log_tail).unwrap_or_else(|| match &r.failed_task {
                Some(t) => format!("task {t} failed"),
                None => "the run failed".into(),
            })
        }),
        objective: None,
        secondary_status: r.is_running().then(|| r.state.clone()),
        execution_arn: None,
        serving: false,
        source: RunSource::Airflow,
        detail: RunDetail {
            failed_task: r.failed_task.clone(),
            log_tail: r.log_tail.clone(),
            ..RunDetail::default()
        },
    })
}

impl Source for AirflowSource {
    fn id(&self) -> SourceId {
        SourceId::Airflow
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Airflow, self.gather().await)
    }
}

#[cfg(test)]
mod tests {
    use super::api::DagTag;
    use super::*;

    fn dag(id: &str, tags: &[&str]) -> Dag {
        Dag {
            dag_id: id.into(),
            tags: tags
                .iter()
                .map(|t| DagTag {
                    name: t.to_string(),
                })
                .collect(),
            ..Dag::default()
        }
    }

    #[test]
    fn a_tag_joins_whatever_its_case_and_an_unsaid_role_is_kept_apart() {
        let client = AirflowClient {
            transport: Transport::http(
                "http://127.0.0.1:9",
                None,
                Default::default(),
                &Default::default(),
            ),
        };
        let source = AirflowSource::new(
            client,
            AirflowSettings {
                tag_prefix: "model:".into(),
                ..AirflowSettings::default()
            },
        );
        let tagged = dag("churn_daily", &["Model:churn"]);
        let t = source.target(&tagged).unwrap();
        assert_eq!(
            (t.owner.model.as_str(), t.role),
            ("churn", DagRole::Unknown)
        );
        assert!(
            source.target(&dag("x", &["model:"])).is_none(),
            "an empty name joins nothing"
        );
        assert!(source.target(&dag("train_x", &["team:ml"])).is_none());
        // An unknown DAG's runs are neither DATA nor TRAIN.
        let mut row = ModelFacts::named("churn");
        add(
            &mut row,
            DagFacts {
                dag_id: "churn_daily".into(),
                role: DagRole::Unknown,
                paused: false,
                schedule: None,
                next_due: None,
                runs: vec![],
                last_success: Some(jiff::Timestamp::UNIX_EPOCH),
            },
        );
        assert!(row.data.is_none() && row.training.is_empty() && row.dags.len() == 1);
    }

    #[test]
    fn roles_come_from_tags_then_names() {
        assert_eq!(
            role_of(&dag("x", &["model:a", "training"])),
            Some(DagRole::Training)
        );
        assert_eq!(role_of(&dag("x", &["ETL"])), Some(DagRole::Etl));
        assert_eq!(role_of(&dag("train_churn", &[])), Some(DagRole::Training));
        assert_eq!(
            role_of(&dag("churn-retrain-weekly", &[])),
            Some(DagRole::Training)
        );
        assert_eq!(role_of(&dag("ingest_sales_daily", &[])), Some(DagRole::Etl));
        assert_eq!(role_of(&dag("churn_etl", &[])), Some(DagRole::Etl));
        assert_eq!(role_of(&dag("report_mailer", &[])), None);
    }

    #[test]
    fn a_failed_run_says_its_task_and_exception() {
        let run = DagRun {
            run_id: "r".into(),
            state: "failed".into(),
            logical_date: None,
            started: Some(jiff::Timestamp::UNIX_EPOCH),
            ended: None,
            failed_task: Some("fit".into()),
            log_tail: vec![
                "Task failed with exception".into(),
                "ValueError: nulls".into(),
            ],
        };
        let t = training_run(&run).unwrap();
        assert_eq!(t.status, RunStatus::Failed);
        assert_eq!(t.failure_reason.as_deref(), Some("ValueError: nulls"));
        assert_eq!(t.detail.failed_task.as_deref(), Some("fit"));
        let queued = DagRun {
            state: "queued".into(),
            log_tail: vec![],
            failed_task: None,
            ..run
        };
        let t = training_run(&queued).unwrap();
        assert_eq!(
            (t.status, t.secondary_status.as_deref()),
            (RunStatus::InProgress, Some("queued"))
        );
    }
}
