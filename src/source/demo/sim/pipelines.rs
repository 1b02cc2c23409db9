//! The demo's second team: fraud-scoring is fed and retrained by Airflow DAGs and
//! registered in MLflow; SageMaker only serves it. Its facts are made in the shapes
//! the real sources read and translated by the same code.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::Profile;
use super::*;
use crate::model::dags::{DagFacts, DagRole, DagRun};
use crate::model::facts::*;
use crate::model::identity::{Identity, JoinedBy};
use crate::source::pipelines::airflow;
use crate::source::pipelines::mlflow::api::{Alias, RegisteredModel, Version};
use crate::source::pipelines::mlflow::facts::versions;

/// The demo's DAGs: what a retrain triggers and what feeds the data.
pub fn training_dag(model: &str) -> String {
    format!("{}_training", model.replace('-', "_"))
}

pub fn etl_dag(model: &str) -> String {
    format!("{}_features_etl", model.replace('-', "_"))
}

/// Where the demo's MLflow and Airflow would be: what the confirmation shows.
pub const MLFLOW_BASE: &str = "http://mlflow.payments.internal:5000/api/2.0/mlflow";
pub const AIRFLOW_BASE: &str = "http://airflow.payments.internal:8080/api/v2";

impl Simulator {
    /// Replaces SageMaker's DATA, TRAIN and REGISTRY facts with Airflow's and MLflow's.
    pub(super) fn outside_sagemaker(&self, p: &Profile, m: &mut ModelFacts, now: Timestamp) {
        let etl = self.etl(p);
        let training = self.training_dag(p, now);
        m.data = None;
        m.training.clear();
        m.pipeline = None;
        let endpoint = format!("{}-prod", p.name);
        m.aliases = vec![endpoint.clone()];
        let served = format!(
            "endpoint {endpoint} serves s3://payments-ml/mlflow/{}/v{}/model, MLflow version {}'s artifact",
            p.name, p.deployed_version, p.deployed_version
        );
        let tag = format!("DAG tag model:{}", p.name);
        m.identity = Some(
            Identity::new(JoinedBy::Name, "an MLflow registered model's name")
                .with(format!("endpoint {endpoint}"), JoinedBy::Lineage, served)
                .with(
                    format!("MLflow registered model {}", p.name),
                    JoinedBy::Name,
                    "named like the model",
                )
                .with(
                    format!("Airflow etl DAG {}", etl.dag_id),
                    JoinedBy::Tag,
                    tag.clone(),
                )
                .with(
                    format!("Airflow training DAG {}", training.dag_id),
                    JoinedBy::Tag,
                    tag,
                ),
        );
        airflow::add(m, etl);
        airflow::add(m, training);
        m.registry = self.mlflow_versions(p, now);
        // The endpoint serves what was deployed, whatever the champion alias says now.
        if let Some(ep) = m.endpoint.as_mut() {
            ep.artifact = Some(artifact(&p.name, self.deployed_version(p, now)));
        }
        crate::model::registry::mark_served(m);
    }

    /// Hourly loads, the last one half an hour ago.
    fn etl(&self, p: &Profile) -> DagFacts {
        let hour = |k: i64| {
            self.started
                - SignedDuration::from_secs(p.data_age_at_start)
                - SignedDuration::from_hours(k)
        };
        let runs: Vec<DagRun> = (0..5)
            .map(|k| {
                let started = hour(k) - SignedDuration::from_mins(6);
                dag_run(
                    format!("scheduled__{}", started.strftime("%Y-%m-%dT%H:%M:%S")),
                    "success",
                    started,
                    Some(hour(k)),
                )
            })
            .collect();
        let newest = hour(0);
        DagFacts {
            dag_id: etl_dag(&p.name),
            role: DagRole::Etl,
            paused: false,
            schedule: Some("0 * * * *".into()),
            // The next run is due an hour after the last: late only if the demo runs long.
            next_due: Some(newest + SignedDuration::from_hours(1)),
            last_success: Some(newest),
            runs,
        }
    }

    /// Nightly retrains; the newest failed on its labels. Runs the user triggered
    /// come first, queued, running, then done.
    fn training_dag(&self, p: &Profile, now: Timestamp) -> DagFacts {
        let mut runs: Vec<DagRun> = self
            .user_runs(&p.name, now)
            .into_iter()
            .rev()
            .map(|r| {
                let (state, ended) = match r.end {
                    Some(End::Completed(t)) => ("success", Some(t)),
                    Some(End::Stopped(t)) => ("failed", Some(t)),
                    None if now.duration_since(r.started).as_secs() < 3 => ("queued", None),
                    None => ("running", None),
                };
                dag_run(r.name, state, r.started, ended)
            })
            .collect();
        for k in 0..5 {
            let started = self.started - SignedDuration::from_hours(5 + 24 * k);
            let failed = k == 0 && p.last_training_failed;
            let mut run = dag_run(
                format!("scheduled__{}", started.strftime("%Y-%m-%dT%H:%M:%S")),
                if failed { "failed" } else { "success" },
                started,
                Some(started + SignedDuration::from_mins(if failed { 4 } else { 22 })),
            );
            if failed {
                run.failed_task = Some("train_xgboost".into());
                run.log_tail = vec![
                    "Task failed with exception".into(),
                    "ValueError: label column 'is_fraud' has one class in the last 7 days \
                     (0 positives in 184,220 rows): check the chargeback feed"
                        .into(),
                ];
            }
            runs.push(run);
        }
        DagFacts {
            dag_id: training_dag(&p.name),
            role: DagRole::Training,
            paused: false,
            schedule: Some("0 2 * * *".into()),
            next_due: Some(self.started + SignedDuration::from_hours(19)),
            last_success: runs
                .iter()
                .find(|r| r.state == "success")
                .and_then(|r| r.ended),
            runs,
        }
    }

    /// champion (serving) and challenger, as MLflow's registry would list them; the
    /// user's promotions move the champion alias.
    fn mlflow_versions(&self, p: &Profile, now: Timestamp) -> Vec<ModelVersion> {
        let latest = self.latest_version(p, now);
        let champion = self
            .acts(|a| {
                a.approvals
                    .iter()
                    .rev()
                    .find(|(m, _, d)| *m == p.name && *d == Approval::Approved)
                    .map(|(_, v, _)| *v)
            })
            .unwrap_or(p.deployed_version);
        let mut aliases = vec![Alias {
            alias: "champion".into(),
            version: champion.to_string(),
        }];
        if latest != champion {
            aliases.push(Alias {
                alias: "challenger".into(),
                version: latest.to_string(),
            });
        }
        let model = RegisteredModel {
            name: p.name.clone(),
            aliases,
            ..RegisteredModel::default()
        };
        let listed: Vec<Version> = (1..=latest)
            .rev()
            .take(4)
            .map(|v| Version {
                name: p.name.clone(),
                version: v.to_string(),
                creation_timestamp: Some(self.registered(p, v, now).as_millisecond()),
                current_stage: Some("None".into()),
                source: Some(artifact(&p.name, v)),
                run_id: None,
                status: Some("READY".into()),
            })
            .collect();
        versions(&model, &listed)
    }
}

/// Where version `v`'s artifacts are, as MLflow's `source` says.
fn artifact(model: &str, v: u32) -> String {
    format!("s3://payments-ml/mlflow/{model}/v{v}/model")
}

fn dag_run(run_id: String, state: &str, started: Timestamp, ended: Option<Timestamp>) -> DagRun {
    DagRun {
        run_id,
        state: state.into(),
        logical_date: Some(started),
        started: Some(started),
        ended,
        failed_task: None,
        log_tail: Vec::new(),
    }
}
