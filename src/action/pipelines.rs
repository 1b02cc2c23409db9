//! The MLflow and Airflow side of the AWS executor: plans that need the servers'
//! URLs or API version, the REST calls themselves (the body the confirmation showed,
//! sent as is), and reading their effect back.

use super::{plan, Call, Plan, Request, Step};
use crate::model::facts::{Approval, RegistrySource};
use crate::source::pipelines::airflow::api::segment;
use crate::source::pipelines::airflow::AirflowClient;
use crate::source::pipelines::mlflow::MlflowApi;
use crate::source::pipelines::Pipelines;

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

    /// A run of the model's training DAG, when Airflow knows one.
    pub async fn dag_retrain(&self, req: &Request) -> Option<Result<Plan, String>> {
        let m = &req.model;
        let dag = plan::training_dag(m)?;
        let airflow = self.clients.airflow.as_ref()?;
        let planned = async {
            let version = airflow.transport.version().await?;
            let path = format!("/dags/{}/dagRuns", segment(&dag.dag_id));
            let request = airflow.transport.request_line("POST", &path).await?;
            Ok(plan::dag_retrain(m, &dag.dag_id, request, version, req.at))
        };
        Some(planned.await)
    }

    /// Promotions or rejections of MLflow versions, when the registry is MLflow's.
    pub fn approvals(&self, req: &Request, to: Approval) -> Option<Result<Vec<Plan>, String>> {
        let from_mlflow = req
            .model
            .registry
            .first()
            .is_some_and(|v| v.source == RegistrySource::Mlflow);
        from_mlflow.then(|| {
            let base = self.mlflow()?.rest.base().to_string();
            plan::mlflow_approvals(req, to, &base)
        })
    }

    /// Sends the call's body as the confirmation showed it; the run id it started.
    pub async fn execute(&self, p: &Plan) -> Result<Option<String>, String> {
        let args = p.call.arguments();
        let body = &args["body"];
        match &p.call {
            Call::TriggerDagRun { dag, .. } => self.airflow()?.trigger(dag, body).await.map(Some),
            Call::SetMlflowAlias { .. } => {
                self.mlflow()?
                    .post("SetRegisteredModelAlias", "registered-models/alias", body)
                    .await?;
                Ok(None)
            }
            Call::TransitionMlflowStage { .. } => {
                self.mlflow()?
                    .post(
                        "TransitionModelVersionStage",
                        "model-versions/transition-stage",
                        body,
                    )
                    .await?;
                Ok(None)
            }
            other => Err(format!("{} is not a pipeline call", other.operation())),
        }
    }

    /// Where the call's effect stands, read back from the server.
    pub async fn progress(&self, p: &Plan, started: Option<&str>) -> Result<Step, String> {
        match &p.call {
            Call::TriggerDagRun { dag, .. } => {
                let run_id = started.ok_or("Airflow named no run")?;
                let run = self.airflow()?.run(dag, run_id).await?;
                Ok(match run.state.as_str() {
                    "success" => Step::Succeeded(format!("run {run_id} succeeded")),
                    "failed" => Step::Failed(format!("run {run_id} failed: see its task logs")),
                    state => Step::Running(format!("run {run_id} {state}")),
                })
            }
            Call::SetMlflowAlias {
                model,
                alias,
                version,
                ..
            } => {
                let now = self.mlflow()?.alias(model, alias).await?;
                Ok(match now.as_deref() == Some(version.to_string().as_str()) {
                    true => Step::Succeeded(format!("{alias} is v{version}")),
                    false => {
                        Step::Running(format!("{alias} is still v{}", now.unwrap_or_default()))
                    }
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
                Ok(match now == *stage {
                    true => Step::Succeeded(format!("v{version} is {stage}")),
                    false => Step::Running(format!("v{version} is still {now}")),
                })
            }
            other => Err(format!("{} is not a pipeline call", other.operation())),
        }
    }
}
