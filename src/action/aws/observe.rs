//! Reading a call's resource back: one read serves three purposes, so they can never
//! disagree. Before sending, a plan read more than a few seconds ago is compared with
//! the resource now (it must not have changed since the dialog showed it); after a
//! send whose outcome is unknown, the read says whether the change shows; while an
//! action runs, it gives the step reached.

use aws_sdk_sagemaker::types::SortOrder;

use super::AwsExecutor;
use crate::action::step::{ecs_step, endpoint_step, run_step, EcsRollout};
use crate::action::{Call, Observation, Step};
use crate::aws::errors::{describe, is_not_found};
use crate::aws::status::{approval_of, execution_status, job_status};
use crate::model::facts::RunStatus;

impl AwsExecutor {
    /// The call's resource now (`started`: what the call started, when it said).
    pub(super) async fn observe(
        &self,
        call: &Call,
        started: Option<&str>,
    ) -> Result<Observation, String> {
        match call {
            Call::TriggerDagRun { .. }
            | Call::SetMlflowAlias { .. }
            | Call::TransitionMlflowStage { .. } => self.pipelines.observe(call, started).await,
            Call::PatchInferenceService(_) | Call::PatchDeployment(_) => {
                self.kube.observe(call).await
            }
            Call::UpdateEndpoint {
                endpoint, config, ..
            } => {
                let d = self.describe_endpoint(endpoint).await?;
                // The update under way names its config; once done, the endpoint does.
                let serving = d.config == *config;
                Ok(Observation {
                    applied: serving || d.pending.as_deref() == Some(config.as_str()),
                    step: settled(&d, serving, config),
                    now: d.text(),
                })
            }
            Call::UpdateEndpointWeights { endpoint, weights } => {
                let d = self.describe_endpoint(endpoint).await?;
                let same = weights.iter().all(|(v, w)| {
                    d.weights
                        .iter()
                        .any(|(name, now)| name == v && (now - w).abs() < 1e-3)
                });
                let wanted: Vec<String> =
                    weights.iter().map(|(v, w)| format!("{v}={w:.2}")).collect();
                Ok(Observation {
                    applied: same,
                    step: settled(&d, same, &format!("weights {}", wanted.join(" "))),
                    now: d.text(),
                })
            }
            Call::UpdateEcsService {
                cluster,
                service,
                task_definition,
            } => {
                self.observe_service(cluster, service, task_definition)
                    .await
            }
            Call::StartPipelineExecution {
                pipeline,
                display_name,
                ..
            } => {
                let arn = match started {
                    Some(arn) => Some(arn.to_string()),
                    None => self.execution_named(pipeline, display_name).await?,
                };
                match arn {
                    Some(arn) => {
                        let mut o = self.execution(&arn, false).await?;
                        o.applied = true;
                        Ok(o)
                    }
                    None => Ok(Observation::absent(format!(
                        "no execution {display_name} of {pipeline}"
                    ))),
                }
            }
            Call::StopPipelineExecution { arn, .. } => self.execution(arn, true).await,
            Call::CreateTrainingJob(job) => self.job(&job.name, false).await,
            Call::StopTrainingJob { name } => self.job(name, true).await,
            Call::UpdateModelPackage { arn, approval } => {
                let d = self
                    .read
                    .describe_model_package()
                    .model_package_name(arn)
                    .send()
                    .await
                    .map_err(|e| describe("sagemaker:DescribeModelPackage", &e))?;
                let now = approval_of(d.model_approval_status());
                let applied = now == *approval;
                Ok(Observation {
                    now: now.aws_name().to_string(),
                    applied,
                    step: match applied {
                        true => Step::Succeeded(format!("now {}", now.aws_name())),
                        false => Step::Running(format!("still {}", now.aws_name())),
                    },
                })
            }
        }
    }

    async fn describe_endpoint(&self, name: &str) -> Result<EndpointNow, String> {
        let d = self
            .read
            .describe_endpoint()
            .endpoint_name(name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeEndpoint", &e))?;
        Ok(EndpointNow {
            status: d
                .endpoint_status()
                .map_or("Unknown", |s| s.as_str())
                .to_string(),
            config: d.endpoint_config_name().unwrap_or_default().to_string(),
            failure: d.failure_reason().map(str::to_string),
            pending: d
                .pending_deployment_summary()
                .and_then(|p| p.endpoint_config_name())
                .map(str::to_string),
            weights: d
                .production_variants()
                .iter()
                .map(|v| {
                    (
                        v.variant_name().unwrap_or_default().to_string(),
                        v.current_weight().unwrap_or(0.0),
                    )
                })
                .collect(),
        })
    }

    async fn observe_service(
        &self,
        cluster: &str,
        service: &str,
        wanted: &str,
    ) -> Result<Observation, String> {
        let d = self
            .ecs()?
            .read
            .describe_services()
            .cluster(cluster)
            .services(service)
            .send()
            .await
            .map_err(|e| describe("ecs:DescribeServices", &e))?;
        let s = d
            .services()
            .first()
            .ok_or_else(|| format!("ECS service {cluster}/{service} is gone"))?;
        let primary = s
            .deployments()
            .iter()
            .find(|d| d.status() == Some("PRIMARY"));
        let serving = primary
            .and_then(|d| d.task_definition())
            .or(s.task_definition())
            .unwrap_or_default();
        let short = |td: &str| td.rsplit('/').next().unwrap_or(td).to_string();
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        Ok(Observation {
            now: format!("task definition {}", short(serving)),
            applied: short(serving) == short(wanted),
            step: ecs_step(
                &EcsRollout {
                    task_definition: serving,
                    rollout: primary.and_then(|d| d.rollout_state()).map(|r| r.as_str()),
                    reason: primary.and_then(|d| d.rollout_state_reason()),
                    running: count(s.running_count()),
                    desired: count(s.desired_count()),
                    deployments: s.deployments().len(),
                },
                wanted,
            ),
        })
    }

    /// The execution of `pipeline` named `display_name`, among its newest: how an
    /// execution whose start was not acknowledged is found.
    async fn execution_named(
        &self,
        pipeline: &str,
        display_name: &str,
    ) -> Result<Option<String>, String> {
        let listed = self
            .read
            .list_pipeline_executions()
            .pipeline_name(pipeline)
            .sort_order(SortOrder::Descending)
            .max_results(20)
            .send()
            .await
            .map_err(|e| describe("sagemaker:ListPipelineExecutions", &e))?;
        Ok(listed
            .pipeline_execution_summaries()
            .iter()
            .find(|e| e.pipeline_execution_display_name() == Some(display_name))
            .and_then(|e| e.pipeline_execution_arn())
            .map(str::to_string))
    }

    async fn execution(&self, arn: &str, stopping: bool) -> Result<Observation, String> {
        let run = self
            .run_now(Run::Execution(arn))
            .await
            .map_err(|e| e.to_string())?;
        Ok(run.observed(stopping))
    }

    async fn job(&self, name: &str, stopping: bool) -> Result<Observation, String> {
        match self.run_now(Run::Job(name)).await {
            Ok(run) => Ok(run.observed(stopping)),
            // A job whose creation was not acknowledged and does not exist: not made.
            Err(Absent) if !stopping => Ok(Observation::absent(format!("no training job {name}"))),
            Err(e) => Err(e.to_string()),
        }
    }

    /// A training job or pipeline execution as SageMaker describes it now.
    pub(super) async fn run_now(&self, run: Run<'_>) -> Result<RunNow, RunError> {
        match run {
            Run::Execution(arn) => {
                let d = self
                    .read
                    .describe_pipeline_execution()
                    .pipeline_execution_arn(arn)
                    .send()
                    .await
                    .map_err(|e| {
                        RunError::Failed(describe("sagemaker:DescribePipelineExecution", &e))
                    })?;
                Ok(RunNow {
                    status: execution_status(d.pipeline_execution_status()),
                    detail: None,
                    failure: d.failure_reason().map(str::to_string),
                    arn: d.pipeline_execution_arn().map(str::to_string),
                })
            }
            Run::Job(name) => {
                let d = match self
                    .read
                    .describe_training_job()
                    .training_job_name(name)
                    .send()
                    .await
                {
                    Ok(d) => d,
                    Err(e) if is_not_found(&e) => return Err(Absent),
                    Err(e) => {
                        return Err(RunError::Failed(describe(
                            "sagemaker:DescribeTrainingJob",
                            &e,
                        )))
                    }
                };
                Ok(RunNow {
                    status: job_status(d.training_job_status()),
                    detail: d.secondary_status().map(|s| s.as_str().to_string()),
                    failure: d.failure_reason().map(str::to_string),
                    arn: d.training_job_arn().map(str::to_string),
                })
            }
        }
    }
}

/// Which run to describe.
pub(super) enum Run<'a> {
    Job(&'a str),
    Execution(&'a str),
}

/// A run as described now.
pub(super) struct RunNow {
    pub(super) status: RunStatus,
    pub(super) detail: Option<String>,
    pub(super) failure: Option<String>,
    pub(super) arn: Option<String>,
}

impl RunNow {
    /// The run as a started (`stopping` false) or stopped action's resource.
    fn observed(&self, stopping: bool) -> Observation {
        Observation {
            now: self.status.label().to_string(),
            applied: !stopping || matches!(self.status, RunStatus::Stopping | RunStatus::Stopped),
            step: run_step(
                self.status,
                self.detail.as_deref(),
                self.failure.as_deref(),
                stopping,
            ),
        }
    }
}

/// Why a run could not be described.
#[derive(Debug, thiserror::Error)]
pub(super) enum RunError {
    /// SageMaker says there is no such job.
    #[error("no such training job")]
    Absent,
    #[error("{0}")]
    Failed(String),
}

use RunError::Absent;

/// What DescribeEndpoint says, in the terms an action compares.
struct EndpointNow {
    status: String,
    config: String,
    failure: Option<String>,
    /// The config an update under way deploys (PendingDeploymentSummary).
    pending: Option<String>,
    weights: Vec<(String, f32)>,
}

/// An endpoint change's step: InService ends it only when the endpoint serves what
/// was asked (`wanted`); InService on anything else means the change was undone (a
/// guardrail alarm fired) or another replaced it: SageMaker sets Updating as it
/// takes a change, so a settled endpoint that is not `reached` never got there.
fn settled(d: &EndpointNow, reached: bool, wanted: &str) -> Step {
    match (endpoint_step(&d.status, d.failure.as_deref()), reached) {
        (Step::Succeeded(_), false) => Step::Failed(format!(
            "InService on {}, not {wanted}: the change was rolled back or replaced",
            d.config
        )),
        (step, _) => step,
    }
}

impl EndpointNow {
    /// "InService · config demand-config-v3 · weights blue=1.00 green=0.00".
    fn text(&self) -> String {
        let mut text = format!("{} · config {}", self.status, self.config);
        if self.weights.len() > 1 {
            let weights: Vec<String> = self
                .weights
                .iter()
                .map(|(v, w)| format!("{v}={w:.2}"))
                .collect();
            text.push_str(&format!(" · weights {}", weights.join(" ")));
        }
        text
    }
}
