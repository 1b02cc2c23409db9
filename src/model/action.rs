//! What an action is, as data: the request, the one AWS call it plans (with its
//! arguments as AWS's API reference spells them), the plan the user confirms, and
//! the steps it goes through. Shared by the planners and executors (`action`), the
//! app that shows them, and the updates that carry them. Pure.

use jiff::Timestamp;
use serde_json::{json, Value};

use super::facts::{Approval, ModelFacts};
use super::scope::ScopeKey;
pub use super::secret::{Secret, HIDDEN};
pub use super::training_clone::{Channel, TrainingClone, Vpc};

/// What the user asked for, by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Rollback,
    Retrain,
    Approve,
    Reject,
    Stop,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Rollback => "rollback",
            Kind::Retrain => "retrain",
            Kind::Approve => "approve",
            Kind::Reject => "reject",
            Kind::Stop => "stop",
        }
    }

    /// The picker's title: what choosing a line does.
    pub fn verb(self) -> &'static str {
        match self {
            Kind::Rollback => "Roll back",
            Kind::Retrain => "Retrain",
            Kind::Approve => "Approve",
            Kind::Reject => "Reject",
            Kind::Stop => "Stop",
        }
    }
}

/// The one AWS API call an action makes, with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// Return a single-variant endpoint to an older endpoint config. With alarms, the
    /// deployment guardrails roll back on their own if one fires while baking.
    UpdateEndpoint {
        endpoint: String,
        config: String,
        guardrail_alarms: Vec<String>,
    },
    /// Deploy another task definition revision to an ECS service (rollback).
    UpdateEcsService {
        cluster: String,
        service: String,
        task_definition: String,
    },
    /// Shift traffic between the variants of one endpoint.
    UpdateEndpointWeights {
        endpoint: String,
        weights: Vec<(String, f32)>,
    },
    StartPipelineExecution {
        pipeline: String,
        display_name: String,
        parameters: Vec<(String, String)>,
        /// Idempotency token: a retried request starts one execution, not two.
        token: String,
    },
    CreateTrainingJob(Box<TrainingClone>),
    UpdateModelPackage {
        arn: String,
        approval: Approval,
    },
    StopTrainingJob {
        name: String,
    },
    StopPipelineExecution {
        arn: String,
        token: String,
    },
    /// Start a run of an Airflow DAG; `request` is the request line it is sent as.
    TriggerDagRun {
        dag: String,
        request: String,
        body: Value,
    },
    /// Point an MLflow alias (e.g. champion) at a version.
    SetMlflowAlias {
        model: String,
        alias: String,
        version: u32,
        request: String,
    },
    /// Move an MLflow version to a legacy stage (Production, Archived).
    TransitionMlflowStage {
        model: String,
        version: u32,
        stage: String,
        request: String,
    },
    /// A KServe canary dropped: all traffic back to the previous rolled-out
    /// revision (a merge patch of `canaryTrafficPercent` to 0), refused by the API
    /// server if the object changed since `resource_version` was read.
    PatchInferenceService(Box<super::k8s::rollback::Target>),
    /// A Deployment back to its previous ReplicaSet's pod template (what `kubectl
    /// rollout undo` does), a JSON patch that first tests `resource_version`.
    PatchDeployment(Box<super::k8s::rollback::Undo>),
}

/// How long SageMaker's guardrails watch the alarms after shifting traffic.
pub const GUARDRAIL_BAKE_SECONDS: i32 = 300;

impl Call {
    /// "sagemaker:UpdateEndpoint": the IAM action, as the confirmation names it.
    pub fn operation(&self) -> &'static str {
        match self {
            Call::UpdateEndpoint { .. } => "sagemaker:UpdateEndpoint",
            Call::UpdateEcsService { .. } => "ecs:UpdateService",
            Call::UpdateEndpointWeights { .. } => "sagemaker:UpdateEndpointWeightsAndCapacities",
            Call::StartPipelineExecution { .. } => "sagemaker:StartPipelineExecution",
            Call::CreateTrainingJob(_) => "sagemaker:CreateTrainingJob",
            Call::UpdateModelPackage { .. } => "sagemaker:UpdateModelPackage",
            Call::StopTrainingJob { .. } => "sagemaker:StopTrainingJob",
            Call::StopPipelineExecution { .. } => "sagemaker:StopPipelineExecution",
            Call::TriggerDagRun { .. } => "airflow:TriggerDagRun",
            Call::SetMlflowAlias { .. } => "mlflow:SetRegisteredModelAlias",
            Call::TransitionMlflowStage { .. } => "mlflow:TransitionModelVersionStage",
            Call::PatchInferenceService(_) => "kubernetes:patch inferenceservices",
            Call::PatchDeployment(_) => "kubernetes:patch deployments",
        }
    }

    /// The ARN the call names its target by, when it does: the account it is in.
    pub fn arn(&self) -> Option<&str> {
        match self {
            Call::UpdateModelPackage { arn, .. } | Call::StopPipelineExecution { arn, .. } => {
                Some(arn)
            }
            _ => None,
        }
    }

    /// The resource the call changes; two actions on one resource never run at once.
    pub fn resource(&self) -> String {
        match self {
            Call::UpdateEndpoint { endpoint, .. }
            | Call::UpdateEndpointWeights { endpoint, .. } => endpoint.clone(),
            Call::UpdateEcsService {
                cluster, service, ..
            } => format!("ECS service {cluster}/{service}"),
            Call::StartPipelineExecution { pipeline, .. } => pipeline.clone(),
            Call::CreateTrainingJob(job) => job.name.clone(),
            Call::UpdateModelPackage { arn, .. } => arn.clone(),
            Call::StopTrainingJob { name } => name.clone(),
            Call::StopPipelineExecution { arn, .. } => arn.clone(),
            Call::TriggerDagRun { dag, .. } => format!("airflow DAG {dag}"),
            Call::SetMlflowAlias { model, .. } | Call::TransitionMlflowStage { model, .. } => {
                format!("mlflow model {model}")
            }
            Call::PatchInferenceService(t) => format!("InferenceService {}", t.id()),
            Call::PatchDeployment(u) => format!("Deployment {}", u.target.id()),
        }
    }

    /// The request as AWS's API reference spells it: what the confirmation shows, the
    /// audit log records, and the executor sends.
    pub fn arguments(&self) -> Value {
        match self {
            Call::UpdateEndpoint {
                endpoint,
                config,
                guardrail_alarms,
            } => {
                let mut args = json!({
                    "EndpointName": endpoint,
                    "EndpointConfigName": config,
                });
                if !guardrail_alarms.is_empty() {
                    args["DeploymentConfig"] = json!({
                        "BlueGreenUpdatePolicy": {
                            "TrafficRoutingConfiguration": {
                                "Type": "ALL_AT_ONCE",
                                "WaitIntervalInSeconds": GUARDRAIL_BAKE_SECONDS,
                            },
                        },
                        "AutoRollbackConfiguration": {
                            "Alarms": guardrail_alarms
                                .iter()
                                .map(|a| json!({ "AlarmName": a }))
                                .collect::<Vec<_>>(),
                        },
                    });
                }
                args
            }
            Call::UpdateEcsService {
                cluster,
                service,
                task_definition,
            } => json!({
                "cluster": cluster,
                "service": service,
                "taskDefinition": task_definition,
            }),
            Call::UpdateEndpointWeights { endpoint, weights } => json!({
                "EndpointName": endpoint,
                "DesiredWeightsAndCapacities": weights
                    .iter()
                    .map(|(v, w)| json!({ "VariantName": v, "DesiredWeight": w }))
                    .collect::<Vec<_>>(),
            }),
            Call::StartPipelineExecution {
                pipeline,
                display_name,
                parameters,
                token,
            } => json!({
                "PipelineName": pipeline,
                "PipelineExecutionDisplayName": display_name,
                "PipelineParameters": parameters
                    .iter()
                    .map(|(n, v)| json!({ "Name": n, "Value": v }))
                    .collect::<Vec<_>>(),
                "ClientRequestToken": token,
            }),
            Call::CreateTrainingJob(job) => job.arguments(),
            Call::UpdateModelPackage { arn, approval } => json!({
                "ModelPackageArn": arn,
                "ModelApprovalStatus": approval.aws_name(),
                "ApprovalDescription": "set from mlopsdash",
            }),
            Call::StopTrainingJob { name } => json!({ "TrainingJobName": name }),
            Call::StopPipelineExecution { arn, token } => json!({
                "PipelineExecutionArn": arn,
                "ClientRequestToken": token,
            }),
            // REST calls: the request line and the body, exactly as sent.
            Call::TriggerDagRun { request, body, .. } => {
                json!({ "request": request, "body": body })
            }
            Call::SetMlflowAlias {
                model,
                alias,
                version,
                request,
            } => json!({
                "request": request,
                "body": { "name": model, "alias": alias, "version": version.to_string() },
            }),
            Call::TransitionMlflowStage {
                model,
                version,
                stage,
                request,
            } => json!({
                "request": request,
                "body": {
                    "name": model,
                    "version": version.to_string(),
                    "stage": stage,
                    "archive_existing_versions": false,
                },
            }),
            Call::PatchInferenceService(t) => t.arguments(),
            Call::PatchDeployment(u) => u.arguments(),
        }
    }
}

/// One action, fully planned: exactly what will happen if the user confirms.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub kind: Kind,
    pub model: String,
    pub call: Call,
    /// The picker's line: what this choice would serve or change.
    pub label: String,
    /// The resource's state before the call, for the confirmation and the audit log.
    pub previous: String,
    /// For endpoint deploys: the config served now (a later rollback offers it first).
    pub previous_config: Option<String>,
    /// The name the user must type, and why, when what the call changes is protected.
    pub protected: Option<(String, String)>,
    /// Said in the confirmation, e.g. that deployment guardrails watch the alarms.
    pub note: Option<String>,
    /// The account the call's target is in, from its ARN as AWS just answered.
    pub account: Option<String>,
    /// The resource as read before the dialog opened, in the executor's words: read
    /// again before sending, a change refuses the call.
    pub observed: Option<String>,
}

impl Plan {
    /// A plan of `call` with nothing said yet beyond what it changes.
    pub fn new(kind: Kind, model: &str, call: Call) -> Plan {
        Plan {
            kind,
            model: model.to_string(),
            call,
            label: String::new(),
            previous: String::new(),
            previous_config: None,
            protected: None,
            note: None,
            account: None,
            observed: None,
        }
    }
}

/// Where the facts a key was pressed on came from: they pick the row, never the
/// target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shown {
    /// This process's own sources.
    #[default]
    Live,
    /// A collector's state in S3 (`--from`).
    Collector,
    /// What a past session left on disk, not yet refreshed.
    Remembered,
}

impl Shown {
    /// How a difference from the fresh read names what the screen showed.
    pub fn said_by(self) -> &'static str {
        match self {
            Shown::Live => "the screen",
            Shown::Collector => "the collector's state",
            Shown::Remembered => "the last session's facts",
        }
    }
}

/// What the user pressed a key for, with the facts a planner needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub kind: Kind,
    /// The row as shown: it names the model and its resources; the executor reads
    /// them again before planning.
    pub model: ModelFacts,
    /// Alarms on the model as shown (the executor asks CloudWatch again).
    pub alarms: Vec<String>,
    /// When it was asked (the app's clock): what names a run it starts.
    pub at: Timestamp,
    /// The account and region the row is in: whose executor reads and acts.
    pub scope: ScopeKey,
    /// The account id the screen gives that scope, when it gives one.
    pub account: Option<String>,
    pub shown: Shown,
}

/// What an executor read afresh with the credentials that will act, and the
/// choices planned from it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// Never empty.
    pub plans: Vec<Plan>,
    /// Who sends the call: STS's answer for the acting credentials.
    pub actor: Actor,
    pub scope: ScopeKey,
    /// How what the screen showed differs from what AWS just said, in one line.
    pub differs: Option<String>,
    /// When the read was made.
    pub read_at: Timestamp,
}

/// Who acts, where: every audit line carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    pub caller: String,
    pub account: String,
    pub region: String,
    /// The account's label from `[[accounts]]` (e.g. "prod").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl Actor {
    /// Credentials whose owner STS has not told yet.
    pub fn unknown() -> Actor {
        Actor {
            caller: "unknown (STS has not answered)".into(),
            account: "unknown (STS has not answered)".into(),
            region: String::new(),
            label: None,
        }
    }
}

/// A plan the user confirmed, who they are, and what they typed.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmed {
    pub plan: Plan,
    pub actor: Actor,
    /// The account and region whose credentials make the call.
    pub scope: ScopeKey,
    /// The name typed in the dialog ("" when none was asked).
    pub typed: String,
    /// When what the plan rests on was read.
    pub read_at: Timestamp,
}

/// Where an action stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Running(String),
    Succeeded(String),
    Failed(String),
    TimedOut(String),
}

impl Step {
    pub fn is_done(&self) -> bool {
        !matches!(self, Step::Running(_))
    }

    pub fn text(&self) -> &str {
        match self {
            Step::Running(s) | Step::Succeeded(s) | Step::Failed(s) | Step::TimedOut(s) => s,
        }
    }
}

/// A call's resource as read back: before sending (has it changed since the dialog
/// read it?), after a send whose outcome is unknown (does the change show?), and
/// while the action runs (which step has it reached?).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// What it is now, in one line.
    pub now: String,
    /// Whether it shows the call's change.
    pub applied: bool,
    pub step: Step,
}

impl Observation {
    /// Nothing the call would have made exists.
    pub fn absent(now: String) -> Observation {
        Observation {
            step: Step::Running(now.clone()),
            now,
            applied: false,
        }
    }
}

/// One step of one action, for the app.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub kind: Kind,
    pub model: String,
    pub resource: String,
    pub step: Step,
    pub at: Timestamp,
}
