//! The AWS executor: plans that need a lookup (pipeline parameters, the job to clone),
//! the SageMaker calls themselves, and reading progress back.

use aws_sdk_sagemaker::types::{
    Alarm, AlgorithmSpecification, AutoRollbackConfig, BlueGreenUpdatePolicy, Channel as SmChannel,
    CheckpointConfig, CompressionType, DataSource, DeploymentConfig, DesiredWeightAndCapacity,
    ModelApprovalStatus, OutputDataConfig, Parameter, RecordWrapper, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, TrafficRoutingConfig,
    TrafficRoutingConfigType, TrainingInputMode, TrainingInstanceType, VpcConfig,
};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::step::{ecs_step, endpoint_step, run_step, EcsRollout};
use super::Step;
use super::{
    plan, Call, Channel, Kind, PipelineExecutor, Plan, Request, TrainingClone, Vpc,
    GUARDRAIL_BAKE_SECONDS,
};
use crate::aws::errors::describe;
use crate::aws::status::{approval_of, execution_status, job_status};
use crate::aws::ApiCalls;
use crate::model::facts::Approval;

#[derive(Clone)]
pub struct AwsExecutor {
    client: Client,
    /// Rolls ECS services back (None: built without one, as in the SageMaker tests).
    ecs: Option<aws_sdk_ecs::Client>,
    /// MLflow's and Airflow's calls, when they are configured.
    pipelines: PipelineExecutor,
}

impl AwsExecutor {
    /// SageMaker calls counted with the session's other requests.
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> AwsExecutor {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let ecs = aws_sdk_ecs::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        AwsExecutor {
            ecs: Some(aws_sdk_ecs::Client::from_conf(ecs)),
            ..AwsExecutor::from_client(Client::from_conf(config))
        }
    }

    fn ecs(&self) -> Result<&aws_sdk_ecs::Client, String> {
        self.ecs.as_ref().ok_or_else(|| "no ECS client".to_string())
    }

    /// On a client built elsewhere (the tests' mocked one).
    pub fn from_client(client: Client) -> AwsExecutor {
        AwsExecutor {
            client,
            ecs: None,
            pipelines: PipelineExecutor::default(),
        }
    }

    /// Retrains through Airflow and promotes through MLflow too.
    pub fn with_pipelines(mut self, pipelines: PipelineExecutor) -> AwsExecutor {
        self.pipelines = pipelines;
        self
    }

    pub async fn prepare(
        &self,
        req: &Request,
        recorded: Option<&str>,
    ) -> Result<Vec<Plan>, String> {
        let m = &req.model;
        match req.kind {
            Kind::Rollback => plan::rollbacks(req, recorded),
            Kind::Retrain => {
                let dag = self.pipelines.dag_retrain(req).await.transpose()?;
                let sagemaker = self.sagemaker_retrain(m).await;
                // The DAG when there is one; SageMaker's way beside it when it has one.
                match (dag, sagemaker) {
                    (Some(dag), Ok(other)) => Ok(vec![dag, other]),
                    (Some(dag), Err(_)) => Ok(vec![dag]),
                    (None, other) => other.map(|p| vec![p]),
                }
            }
            Kind::Approve => self
                .pipelines
                .approvals(req, Approval::Approved)
                .unwrap_or_else(|| plan::approvals(req, Approval::Approved)),
            Kind::Reject => self
                .pipelines
                .approvals(req, Approval::Rejected)
                .unwrap_or_else(|| plan::approvals(req, Approval::Rejected)),
            Kind::Stop => plan::stops(req),
        }
    }

    /// Retrain through the model's SageMaker pipeline, else a clone of its last job.
    async fn sagemaker_retrain(&self, m: &crate::model::facts::ModelFacts) -> Result<Plan, String> {
        match &m.pipeline {
            Some(pipeline) => {
                let parameters = self.pipeline_parameters(pipeline).await?;
                Ok(plan::pipeline_retrain(
                    m,
                    pipeline,
                    parameters,
                    Timestamp::now(),
                ))
            }
            None => {
                let job = self.clone_of(plan::last_good_job(m)?).await?;
                Ok(plan::cloned_retrain(m, job))
            }
        }
    }

    /// The pipeline's parameters at their defaults, as its definition declares them.
    async fn pipeline_parameters(&self, pipeline: &str) -> Result<Vec<(String, String)>, String> {
        let d = self
            .client
            .describe_pipeline()
            .pipeline_name(pipeline)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribePipeline", &e))?;
        parameters_of(d.pipeline_definition().unwrap_or("{}"))
            .map_err(|e| format!("pipeline {pipeline}: {e}"))
    }

    /// A new job copying `from`: everything that makes it the same job (image, role,
    /// inputs, output and its KMS key, resources and the volume's key, limits, spot,
    /// hyperparameters, environment, VPC, checkpoints, isolation, encryption). What
    /// it cannot copy faithfully it refuses, naming the field.
    async fn clone_of(&self, from: &str) -> Result<TrainingClone, String> {
        let d = self
            .client
            .describe_training_job()
            .training_job_name(from)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeTrainingJob", &e))?;
        let refuse = |field: &str| {
            Err(format!(
                "{from} sets {field}, which a clone cannot copy: retrain it in the console or \
                 give the model a pipeline"
            ))
        };
        let algo = d.algorithm_specification();
        let image = algo.and_then(|a| a.training_image()).ok_or_else(|| {
            format!(
                "{from} names no training image (an algorithm resource?): clone it in the console"
            )
        })?;
        if algo.is_some_and(|a| a.training_image_config().is_some()) {
            return refuse("AlgorithmSpecification.TrainingImageConfig");
        }
        if algo.is_some_and(|a| !a.container_entrypoint().is_empty()) {
            return refuse("AlgorithmSpecification.ContainerEntrypoint");
        }
        if algo.is_some_and(|a| !a.container_arguments().is_empty()) {
            return refuse("AlgorithmSpecification.ContainerArguments");
        }
        let mut inputs = Vec::new();
        for c in d.input_data_config() {
            let name = c.channel_name().unwrap_or_default();
            let Some(s3) = c.data_source().and_then(|s| s.s3_data_source()) else {
                return refuse(&format!("channel {name}'s DataSource (not S3)"));
            };
            if c.shuffle_config().is_some() {
                return refuse(&format!("channel {name}'s ShuffleConfig"));
            }
            inputs.push(Channel {
                name: name.to_string(),
                s3_uri: s3.s3_uri().unwrap_or_default().to_string(),
                s3_data_type: s3
                    .s3_data_type()
                    .map_or("S3Prefix", |t| t.as_str())
                    .to_string(),
                distribution: s3
                    .s3_data_distribution_type()
                    .map(|t| t.as_str().to_string()),
                content_type: c.content_type().map(str::to_string),
                compression: c.compression_type().map(|t| t.as_str().to_string()),
                record_wrapper: c.record_wrapper_type().map(|t| t.as_str().to_string()),
                input_mode: c.input_mode().map(|t| t.as_str().to_string()),
            });
        }
        let resources = d.resource_config();
        let mut hyperparameters: Vec<(String, String)> = d
            .hyper_parameters()
            .map(|h| h.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        // SageMaker adds these itself; sending them back would be rejected.
        hyperparameters.retain(|(k, _)| !k.starts_with("sagemaker_") && !k.starts_with('_'));
        hyperparameters.sort();
        let mut environment: Vec<(String, String)> = d
            .environment()
            .map(|e| e.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        environment.sort();
        let output = d.output_data_config();
        let stopping = d.stopping_condition();
        Ok(TrainingClone {
            name: plan::clone_name(from, Timestamp::now()),
            from_job: from.to_string(),
            image: image.to_string(),
            input_mode: algo
                .and_then(|a| a.training_input_mode())
                .map_or("File", |m| m.as_str())
                .to_string(),
            role: d.role_arn().unwrap_or_default().to_string(),
            inputs,
            output: output
                .and_then(|o| o.s3_output_path())
                .unwrap_or_default()
                .to_string(),
            instance_type: resources
                .and_then(|r| r.instance_type())
                .map_or("ml.m5.xlarge", |t| t.as_str())
                .to_string(),
            instance_count: resources.and_then(|r| r.instance_count()).unwrap_or(1),
            volume_gb: resources.and_then(|r| r.volume_size_in_gb()).unwrap_or(30),
            max_runtime_seconds: stopping
                .and_then(|s| s.max_runtime_in_seconds())
                .unwrap_or(86_400),
            hyperparameters,
            environment,
            vpc: d.vpc_config().map(|v| Vpc {
                security_groups: v.security_group_ids().to_vec(),
                subnets: v.subnets().to_vec(),
            }),
            output_kms_key: output.and_then(|o| o.kms_key_id()).map(str::to_string),
            volume_kms_key: resources
                .and_then(|r| r.volume_kms_key_id())
                .map(str::to_string),
            checkpoint: d
                .checkpoint_config()
                .and_then(|c| Some((c.s3_uri()?.to_string(), c.local_path().map(str::to_string)))),
            network_isolation: d.enable_network_isolation().unwrap_or(false),
            inter_container_encryption: d
                .enable_inter_container_traffic_encryption()
                .unwrap_or(false),
            spot_max_wait_seconds: match d.enable_managed_spot_training() {
                Some(true) => stopping.and_then(|s| s.max_wait_time_in_seconds()),
                _ => None,
            },
        })
    }

    pub async fn execute(&self, p: &Plan) -> Result<Option<String>, String> {
        let op = p.call.operation();
        match &p.call {
            Call::TriggerDagRun { .. }
            | Call::SetMlflowAlias { .. }
            | Call::TransitionMlflowStage { .. } => self.pipelines.execute(p).await,
            Call::UpdateEndpoint {
                endpoint,
                config,
                guardrail_alarms,
            } => {
                let mut req = self
                    .client
                    .update_endpoint()
                    .endpoint_name(endpoint)
                    .endpoint_config_name(config);
                if !guardrail_alarms.is_empty() {
                    req = req.deployment_config(guardrails(guardrail_alarms));
                }
                req.send().await.map_err(|e| describe(op, &e))?;
                Ok(None)
            }
            Call::UpdateEcsService {
                cluster,
                service,
                task_definition,
            } => {
                self.ecs()?
                    .update_service()
                    .cluster(cluster)
                    .service(service)
                    .task_definition(task_definition)
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(None)
            }
            Call::UpdateEndpointWeights { endpoint, weights } => {
                let mut desired = Vec::new();
                for (variant, weight) in weights {
                    desired.push(
                        DesiredWeightAndCapacity::builder()
                            .variant_name(variant)
                            .desired_weight(*weight)
                            .build(),
                    );
                }
                self.client
                    .update_endpoint_weights_and_capacities()
                    .endpoint_name(endpoint)
                    .set_desired_weights_and_capacities(Some(desired))
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(None)
            }
            Call::StartPipelineExecution {
                pipeline,
                display_name,
                parameters,
                token,
            } => {
                let mut params = Vec::new();
                for (name, value) in parameters {
                    params.push(Parameter::builder().name(name).value(value).build());
                }
                let out = self
                    .client
                    .start_pipeline_execution()
                    .pipeline_name(pipeline)
                    .pipeline_execution_display_name(display_name)
                    .set_pipeline_parameters(Some(params))
                    .client_request_token(token)
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(out.pipeline_execution_arn().map(str::to_string))
            }
            Call::CreateTrainingJob(job) => {
                self.create_training_job(job).await?;
                Ok(Some(job.name.clone()))
            }
            Call::UpdateModelPackage { arn, approval } => {
                let status = ModelApprovalStatus::from(approval.aws_name());
                self.client
                    .update_model_package()
                    .model_package_arn(arn)
                    .model_approval_status(status)
                    .approval_description("set from mlopsdash")
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(None)
            }
            Call::StopTrainingJob { name } => {
                self.client
                    .stop_training_job()
                    .training_job_name(name)
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(None)
            }
            Call::StopPipelineExecution { arn, token } => {
                self.client
                    .stop_pipeline_execution()
                    .pipeline_execution_arn(arn)
                    .client_request_token(token)
                    .send()
                    .await
                    .map_err(|e| describe(op, &e))?;
                Ok(None)
            }
        }
    }

    async fn create_training_job(&self, job: &TrainingClone) -> Result<(), String> {
        let op = "sagemaker:CreateTrainingJob";
        let channels = job.inputs.iter().map(|c| {
            let source = S3DataSource::builder()
                .s3_data_type(S3DataType::from(c.s3_data_type.as_str()))
                .s3_uri(&c.s3_uri)
                .set_s3_data_distribution_type(
                    c.distribution.as_deref().map(S3DataDistribution::from),
                )
                .build();
            SmChannel::builder()
                .channel_name(&c.name)
                .data_source(DataSource::builder().s3_data_source(source).build())
                .set_content_type(c.content_type.clone())
                .set_compression_type(c.compression.as_deref().map(CompressionType::from))
                .set_record_wrapper_type(c.record_wrapper.as_deref().map(RecordWrapper::from))
                .set_input_mode(c.input_mode.as_deref().map(TrainingInputMode::from))
                .build()
        });
        let vpc = job.vpc.as_ref().map(|v| {
            VpcConfig::builder()
                .set_security_group_ids(Some(v.security_groups.clone()))
                .set_subnets(Some(v.subnets.clone()))
                .build()
        });
        let checkpoint = job.checkpoint.as_ref().map(|(uri, local)| {
            CheckpointConfig::builder()
                .s3_uri(uri)
                .set_local_path(local.clone())
                .build()
        });
        let spot = job.spot_max_wait_seconds;
        self.client
            .create_training_job()
            .training_job_name(&job.name)
            .algorithm_specification(
                AlgorithmSpecification::builder()
                    .training_image(&job.image)
                    .training_input_mode(TrainingInputMode::from(job.input_mode.as_str()))
                    .build(),
            )
            .role_arn(&job.role)
            .set_input_data_config(Some(channels.collect()))
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path(&job.output)
                    .set_kms_key_id(job.output_kms_key.clone())
                    .build(),
            )
            .resource_config(
                ResourceConfig::builder()
                    .instance_type(TrainingInstanceType::from(job.instance_type.as_str()))
                    .instance_count(job.instance_count)
                    .volume_size_in_gb(job.volume_gb)
                    .set_volume_kms_key_id(job.volume_kms_key.clone())
                    .build(),
            )
            .stopping_condition(
                StoppingCondition::builder()
                    .max_runtime_in_seconds(job.max_runtime_seconds)
                    .set_max_wait_time_in_seconds(spot)
                    .build(),
            )
            .set_hyper_parameters(Some(job.hyperparameters.iter().cloned().collect()))
            .set_environment(
                (!job.environment.is_empty()).then(|| job.environment.iter().cloned().collect()),
            )
            .set_vpc_config(vpc)
            .set_checkpoint_config(checkpoint)
            .set_enable_network_isolation(job.network_isolation.then_some(true))
            .set_enable_inter_container_traffic_encryption(
                job.inter_container_encryption.then_some(true),
            )
            .set_enable_managed_spot_training(spot.map(|_| true))
            .send()
            .await
            .map_err(|e| describe(op, &e))?;
        Ok(())
    }

    pub async fn progress(&self, p: &Plan, started: Option<&str>) -> Result<Step, String> {
        match &p.call {
            Call::TriggerDagRun { .. }
            | Call::SetMlflowAlias { .. }
            | Call::TransitionMlflowStage { .. } => self.pipelines.progress(p, started).await,
            Call::UpdateEndpoint { endpoint, .. }
            | Call::UpdateEndpointWeights { endpoint, .. } => {
                let d = self
                    .client
                    .describe_endpoint()
                    .endpoint_name(endpoint)
                    .send()
                    .await
                    .map_err(|e| describe("sagemaker:DescribeEndpoint", &e))?;
                let status = d.endpoint_status().map_or("Unknown", |s| s.as_str());
                Ok(endpoint_step(status, d.failure_reason()))
            }
            Call::UpdateEcsService {
                cluster,
                service,
                task_definition,
            } => {
                let d = self
                    .ecs()?
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
                let count = |n: i32| u32::try_from(n).unwrap_or(0);
                Ok(ecs_step(
                    &EcsRollout {
                        task_definition: primary
                            .and_then(|d| d.task_definition())
                            .or(s.task_definition())
                            .unwrap_or_default(),
                        rollout: primary.and_then(|d| d.rollout_state()).map(|r| r.as_str()),
                        reason: primary.and_then(|d| d.rollout_state_reason()),
                        running: count(s.running_count()),
                        desired: count(s.desired_count()),
                        deployments: s.deployments().len(),
                    },
                    task_definition,
                ))
            }
            Call::StartPipelineExecution { .. } => {
                let arn = started.ok_or("SageMaker returned no execution ARN")?;
                self.execution_step(arn, false).await
            }
            Call::StopPipelineExecution { arn, .. } => self.execution_step(arn, true).await,
            Call::CreateTrainingJob(job) => self.job_step(&job.name, false).await,
            Call::StopTrainingJob { name } => self.job_step(name, true).await,
            Call::UpdateModelPackage { arn, approval } => {
                let d = self
                    .client
                    .describe_model_package()
                    .model_package_name(arn)
                    .send()
                    .await
                    .map_err(|e| describe("sagemaker:DescribeModelPackage", &e))?;
                let now = approval_of(d.model_approval_status());
                Ok(match now == *approval {
                    true => Step::Succeeded(format!("now {}", now.aws_name())),
                    false => Step::Running(format!("still {}", now.aws_name())),
                })
            }
        }
    }

    async fn execution_step(&self, arn: &str, stopping: bool) -> Result<Step, String> {
        let d = self
            .client
            .describe_pipeline_execution()
            .pipeline_execution_arn(arn)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribePipelineExecution", &e))?;
        let status = execution_status(d.pipeline_execution_status());
        Ok(run_step(status, None, d.failure_reason(), stopping))
    }

    async fn job_step(&self, name: &str, stopping: bool) -> Result<Step, String> {
        let d = self
            .client
            .describe_training_job()
            .training_job_name(name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeTrainingJob", &e))?;
        let status = job_status(d.training_job_status());
        let detail = d.secondary_status().map(|s| s.as_str());
        Ok(run_step(status, detail, d.failure_reason(), stopping))
    }
}

/// Blue/green all at once, baked for a while, rolled back by SageMaker if an alarm fires.
fn guardrails(alarms: &[String]) -> DeploymentConfig {
    let routing = TrafficRoutingConfig::builder()
        .r#type(TrafficRoutingConfigType::AllAtOnce)
        .wait_interval_in_seconds(GUARDRAIL_BAKE_SECONDS)
        .build();
    DeploymentConfig::builder()
        .blue_green_update_policy(
            BlueGreenUpdatePolicy::builder()
                .traffic_routing_configuration(routing)
                .build(),
        )
        .auto_rollback_configuration(
            AutoRollbackConfig::builder()
                .set_alarms(Some(
                    alarms
                        .iter()
                        .map(|a| Alarm::builder().alarm_name(a).build())
                        .collect(),
                ))
                .build(),
        )
        .build()
}

/// A pipeline definition's parameters at their defaults. A parameter without a
/// default cannot be filled in from here.
pub fn parameters_of(definition: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value = serde_json::from_str(definition)
        .map_err(|e| format!("its definition is not JSON ({e})"))?;
    let mut out = Vec::new();
    for p in v["Parameters"].as_array().into_iter().flatten() {
        let name = p["Name"].as_str().unwrap_or_default();
        let value = match &p["DefaultValue"] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => {
                return Err(format!(
                    "parameter {name} has no default; start this pipeline from the console"
                ))
            }
            other => other.to_string(),
        };
        out.push((name.to_string(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parameters_of;

    #[test]
    fn pipeline_parameters_come_at_their_defaults_or_not_at_all() {
        let definition = r#"{"Parameters": [
            {"Name": "Data", "Type": "String", "DefaultValue": "s3://raw/"},
            {"Name": "Epochs", "Type": "Integer", "DefaultValue": 20}
        ]}"#;
        assert_eq!(
            parameters_of(definition).unwrap(),
            [
                ("Data".to_string(), "s3://raw/".to_string()),
                ("Epochs".to_string(), "20".to_string())
            ]
        );
        let err = parameters_of(r#"{"Parameters": [{"Name": "Region"}]}"#).unwrap_err();
        assert_eq!(
            err,
            "parameter Region has no default; start this pipeline from the console"
        );
        assert!(parameters_of("not json")
            .unwrap_err()
            .starts_with("its definition is not JSON"));
    }
}
