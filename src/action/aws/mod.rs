//! The AWS executor of one account and region. It plans from what it reads itself,
//! with the credentials that will act (`fresh`), sends each call once on a client
//! that never retries a change (`send`), and reads the resource back (`observe`).

mod clone;
mod fresh;
mod observe;
mod send;

pub use clone::parameters_of;

use aws_sdk_sagemaker::config::retry::RetryConfig;
use aws_sdk_sagemaker::Client;

use super::guard::Guard;
use super::kube::KubeExecutor;
use super::{Actor, Call, Observation, PipelineExecutor, Plan, SendError};
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::ModelMapping;
use crate::model::scope::ScopeKey;

/// ECS clients: one that reads, one that changes and never retries.
#[derive(Clone)]
struct Ecs {
    read: aws_sdk_ecs::Client,
    write: aws_sdk_ecs::Client,
}

/// Who the executor acts as: STS asked each time, or (a client built elsewhere,
/// as in tests) given.
#[derive(Clone)]
enum Who {
    Sts(aws_sdk_sts::Client),
    Given(Actor),
}

#[derive(Clone)]
pub struct AwsExecutor {
    /// Describes and lists, with the SDK's standard retries.
    read: Client,
    /// Calls that change something: sent once, never retried by the SDK.
    write: Client,
    ecs: Option<Ecs>,
    /// Guardrail alarms, read when a rollback is planned.
    cloudwatch: Option<aws_sdk_cloudwatch::Client>,
    /// The endpoint's own deploys, where its rollback history is planned from.
    trail: Option<aws_sdk_cloudtrail::Client>,
    who: Who,
    scope: ScopeKey,
    /// This process's own protection for the scope.
    guard: Guard,
    /// This process's own config: a model's pipeline or package group.
    mappings: Vec<ModelMapping>,
    /// MLflow's and Airflow's calls, when they are configured.
    pipelines: PipelineExecutor,
    /// Patches of workloads on the clusters config names.
    kube: KubeExecutor,
}

/// A change is sent once: a retry of a call that timed out after AWS applied it
/// would be a second change, or an error hiding the first.
fn once(config: &aws_sdk_sagemaker::Config) -> Client {
    Client::from_conf(
        config
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    )
}

impl AwsExecutor {
    /// The executor of one scope, its requests counted with the session's others.
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> AwsExecutor {
        let sagemaker = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let ecs = aws_sdk_ecs::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let ecs_write = ecs
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build();
        let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let sts = aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let trail = aws_sdk_cloudtrail::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        AwsExecutor {
            ecs: Some(Ecs {
                read: aws_sdk_ecs::Client::from_conf(ecs),
                write: aws_sdk_ecs::Client::from_conf(ecs_write),
            }),
            cloudwatch: Some(aws_sdk_cloudwatch::Client::from_conf(cloudwatch)),
            trail: Some(aws_sdk_cloudtrail::Client::from_conf(trail)),
            who: Who::Sts(aws_sdk_sts::Client::from_conf(sts)),
            scope: ScopeKey {
                label: None,
                region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            },
            ..AwsExecutor::from_client(Client::from_conf(sagemaker), Actor::unknown())
        }
    }

    /// On a SageMaker client built elsewhere (the tests' mocked one), acting as `who`.
    pub fn from_client(client: Client, who: Actor) -> AwsExecutor {
        AwsExecutor {
            write: once(client.config()),
            scope: ScopeKey {
                label: who.label.clone(),
                region: who.region.clone(),
            },
            read: client,
            ecs: None,
            cloudwatch: None,
            trail: None,
            who: Who::Given(who),
            guard: Guard::default(),
            mappings: Vec::new(),
            pipelines: PipelineExecutor::default(),
            kube: KubeExecutor::default(),
        }
    }

    /// Retrains through Airflow and promotes through MLflow too.
    pub fn with_pipelines(mut self, pipelines: PipelineExecutor) -> AwsExecutor {
        self.pipelines = pipelines;
        self
    }

    /// Rolls back models served on the clusters config names too.
    pub fn with_kube(mut self, kube: KubeExecutor) -> AwsExecutor {
        self.kube = kube;
        self
    }

    /// The scope it acts in, and what this process's config says of it.
    pub fn in_scope(mut self, scope: ScopeKey, guard: Guard, mappings: &[ModelMapping]) -> Self {
        self.scope = scope;
        self.guard = guard;
        self.mappings = mappings.to_vec();
        self
    }

    pub fn scope(&self) -> &ScopeKey {
        &self.scope
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    fn ecs(&self) -> Result<&Ecs, String> {
        self.ecs.as_ref().ok_or_else(|| "no ECS client".to_string())
    }

    fn ecs_write(&self) -> Result<&aws_sdk_ecs::Client, SendError> {
        self.ecs
            .as_ref()
            .map(|e| &e.write)
            .ok_or_else(|| SendError::Refused("no ECS client".into()))
    }

    /// Who the credentials are now: STS, asked each time (credentials expire, roles
    /// are assumed again).
    pub async fn actor(&self) -> Result<Actor, String> {
        match &self.who {
            Who::Given(actor) => Ok(actor.clone()),
            Who::Sts(sts) => {
                let out = sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| describe("sts:GetCallerIdentity", &e))?;
                Ok(Actor {
                    caller: out.arn().unwrap_or_default().to_string(),
                    account: out
                        .account()
                        .ok_or("STS named no account for these credentials")?
                        .to_string(),
                    region: self.scope.region.clone(),
                    label: self.scope.label.clone(),
                })
            }
        }
    }

    /// Makes the call once; what it started.
    pub async fn execute(&self, p: &Plan) -> Result<Option<String>, SendError> {
        self.send(p).await
    }

    /// The call's resource as it is now.
    pub async fn look_back(
        &self,
        call: &Call,
        started: Option<&str>,
    ) -> Result<Observation, String> {
        self.observe(call, started).await
    }
}
