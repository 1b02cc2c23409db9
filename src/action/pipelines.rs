//! The MLflow and Airflow side of the AWS executor: plans that need the servers'
//! URLs or API version, the REST calls themselves (the body the confirmation showed,
//! sent as is), and reading their effect back.

use super::{plan, Call, Observation, Plan, Request, SendError, Step};
use crate::model::facts::{Approval, ModelFacts, ModelVersion};
use crate::source::pipelines::airflow::api::segment;
use crate::source::pipelines::airflow::AirflowClient;
use crate::source::pipelines::mlflow::MlflowApi;
use crate::source::pipelines::Pipelines;

/// MLflow versions read for an approval.
const MLFLOW_VERSIONS: usize = 20;

#[derive(Clone, Default)]
pub struct PipelineExecutor {
    clients: Pipelines,
}

impl PipelineExecutor {
    pub fn new(clients: Pipelines) -> PipelineExecutor {
        PipelineExecutor { clients }
    }

    fn mlflow(&self) -> Result<&MlflowApi, String> {
        match &self.clients.mlflow {
            Some(Ok(api)) => Ok(api),
            Some(Err(why)) => Err(why.clone()),
            None => {
                Err("no MLflow is configured (MLFLOW_TRACKING_URI or [mlflow] tracking_uri)".into())
            }
        }
    }

    fn airflow(&self) -> Result<&AirflowClient, String> {
        self.clients
            .airflow
            .as_ref()
            .ok_or_else(|| "no Airflow is configured ([airflow] url or mwaa_environment)".into())
    }

    /// A run of the model's training DAG, when Airflow knows one: the DAG read now
    /// (it must still exist; whether it is paused is the server's word).
    pub async fn dag_retrain(&self, req: &Request) -> Option<Result<Plan, String>> {
        let mut m = req.model.clone();
        let dag = plan::training_dag(&m)?.clone();
        let airflow = self.clients.airflow.as_ref()?;
        let planned = async {
            let now = airflow.dag(&dag.dag_id).await?;
            if let Some(d) = m.dags.iter_mut().find(|d| d.dag_id == dag.dag_id) {
                d.paused = now.is_paused.unwrap_or(false);
            }
            let m = &m;
            let version = airflow.transport.version().await?;
            let path = format!("/dags/{}/dagRuns", segment(&dag.dag_id));
            let request = airflow.transport.request_line("POST", &path).await?;
            Ok(plan::dag_retrain(m, &dag.dag_id, request, version, req.at))
        };
        Some(planned.await)
    }

    /// Promotions or rejections of the MLflow versions `req` carries (read now).
    pub fn approvals(&self, req: &Request, to: Approval) -> Result<Vec<Plan>, String> {
        let base = self.mlflow()?.rest.base().to_string();
        plan::mlflow_approvals(req, to, &base)
    }

    /// The model's MLflow versions as the server has them now.
    pub async fn registry_of(&self, m: &ModelFacts) -> Result<Vec<ModelVersion>, String> {
        let name = m
            .registry
            .iter()
            .find_map(|v| v.mlflow.as_ref().map(|f| f.model.clone()))
            .ok_or_else(|| format!("{}: no MLflow model named", m.name))?;
        let api = self.mlflow()?;
        let model = api.registered_model(&name).await?;
        let listed = api.versions(&name, MLFLOW_VERSIONS).await?;
        Ok(crate::source::pipelines::mlflow::facts::versions(
            &model, &listed,
        ))
    }

    /// Sends the call's body as the confirmation showed it, once; the run id it
    /// started. Any failure leaves the outcome to a read back: these servers answer
    /// a refusal and a lost answer alike in text, and the read back is immediate.
    pub async fn execute(&self, p: &Plan) -> Result<Option<String>, SendError> {
        let args = p.call.arguments();
        let body = &args["body"];
        let sent = match &p.call {
            Call::TriggerDagRun { dag, .. } => {
                let airflow = self.airflow().map_err(SendError::Refused)?;
                airflow.trigger(dag, body).await.map(Some)
            }
            Call::SetMlflowAlias { .. } => {
                let mlflow = self.mlflow().map_err(SendError::Refused)?;
                mlflow
                    .post("SetRegisteredModelAlias", "registered-models/alias", body)
                    .await
                    .map(|_| None)
            }
            Call::TransitionMlflowStage { .. } => {
                let mlflow = self.mlflow().map_err(SendError::Refused)?;
                mlflow
                    .post(
                        "TransitionModelVersionStage",
                        "model-versions/transition-stage",
                        body,
                    )
                    .await
                    .map(|_| None)
            }
            other => {
                return Err(SendError::Refused(format!(
                    "{} is not a pipeline call",
                    other.operation()
                )))
            }
        };
        sent.map_err(SendError::Unknown)
    }

    /// The call's resource as the server has it now.
    pub async fn observe(&self, call: &Call, started: Option<&str>) -> Result<Observation, String> {
        match call {
            Call::TriggerDagRun { dag, body, .. } => {
                // The run id is ours: a run whose start was not acknowledged is found by it.
                let ours = body["dag_run_id"].as_str();
                let Some(run_id) = started.or(ours) else {
                    return Err("Airflow named no run".into());
                };
                let run = match self.airflow()?.run(dag, run_id).await {
                    Ok(run) => run,
                    Err(_) if started.is_none() => {
                        return Ok(Observation::absent(format!("no run {run_id} of {dag}")))
                    }
                    Err(e) => return Err(e),
                };
                Ok(Observation {
                    now: format!("run {run_id} {}", run.state),
                    applied: true,
                    step: match run.state.as_str() {
                        "success" => Step::Succeeded(format!("run {run_id} succeeded")),
                        "failed" => Step::Failed(format!("run {run_id} failed: see its task logs")),
                        state => Step::Running(format!("run {run_id} {state}")),
                    },
                })
            }
            Call::SetMlflowAlias {
                model,
                alias,
                version,
                ..
            } => {
                let now = self.mlflow()?.alias(model, alias).await?;
                let applied = now.as_deref() == Some(version.to_string().as_str());
                let said = format!("{alias} is v{}", now.as_deref().unwrap_or("?"));
                Ok(Observation {
                    applied,
                    step: match applied {
                        true => Step::Succeeded(said.clone()),
                        false => {
                            Step::Running(format!("{alias} is still v{}", now.unwrap_or_default()))
                        }
                    },
                    now: said,
                })
            }
            Call::TransitionMlflowStage {
                model,
                version,
                stage,
                ..
            } => {
                let v = self.mlflow()?.version(model, &version.to_string()).await?;
                let now = v.current_stage.unwrap_or_default();
                let applied = now == *stage;
                Ok(Observation {
                    step: match applied {
                        true => Step::Succeeded(format!("v{version} is {stage}")),
                        false => Step::Running(format!("v{version} is still {now}")),
                    },
                    now: format!("v{version} is {now}"),
                    applied,
                })
            }
            other => Err(format!("{} is not a pipeline call", other.operation())),
        }
    }
}
