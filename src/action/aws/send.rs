//! Sending: each plan's call built from the plan's own fields (what the dialog
//! showed and the audit log records), on the client that never retries a change.

use aws_sdk_sagemaker::types::{
    Alarm, AlgorithmSpecification, AutoRollbackConfig, BlueGreenUpdatePolicy, Channel as SmChannel,
    CheckpointConfig, CompressionType, DataSource, DeploymentConfig, DesiredWeightAndCapacity,
    ModelApprovalStatus, OutputDataConfig, Parameter, RecordWrapper, ResourceConfig,
    S3DataDistribution, S3DataSource, S3DataType, StoppingCondition, TrafficRoutingConfig,
    TrafficRoutingConfigType, TrainingInputMode, TrainingInstanceType, VpcConfig,
};

use super::AwsExecutor;
use crate::action::{Call, Plan, SendError, TrainingClone, GUARDRAIL_BAKE_SECONDS};

impl AwsExecutor {
    /// Sends the plan's call once; what it started (an execution ARN, a job or run
    /// name), or how it failed.
    pub(super) async fn send(&self, p: &Plan) -> Result<Option<String>, SendError> {
        let op = p.call.operation();
        match &p.call {
            Call::TriggerDagRun { .. }
            | Call::SetMlflowAlias { .. }
            | Call::TransitionMlflowStage { .. } => self.pipelines.execute(p).await,
            Call::PatchInferenceService(_) | Call::PatchDeployment(_) => self.kube.execute(p).await,
            Call::UpdateEndpoint {
                endpoint,
                config,
                guardrail_alarms,
            } => {
                let mut req = self
                    .write
                    .update_endpoint()
                    .endpoint_name(endpoint)
                    .endpoint_config_name(config);
                if !guardrail_alarms.is_empty() {
                    req = req.deployment_config(guardrails(guardrail_alarms));
                }
                req.send().await.map_err(|e| SendError::of(op, &e))?;
                Ok(None)
            }
            Call::UpdateEcsService {
                cluster,
                service,
                task_definition,
            } => {
                self.ecs_write()?
                    .update_service()
                    .cluster(cluster)
                    .service(service)
                    .task_definition(task_definition)
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
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
                self.write
                    .update_endpoint_weights_and_capacities()
                    .endpoint_name(endpoint)
                    .set_desired_weights_and_capacities(Some(desired))
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
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
                    .write
                    .start_pipeline_execution()
                    .pipeline_name(pipeline)
                    .pipeline_execution_display_name(display_name)
                    .set_pipeline_parameters(Some(params))
                    .client_request_token(token)
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
                Ok(out.pipeline_execution_arn().map(str::to_string))
            }
            Call::CreateTrainingJob(job) => {
                self.create_training_job(job).await?;
                Ok(Some(job.name.clone()))
            }
            Call::UpdateModelPackage { arn, approval } => {
                let status = ModelApprovalStatus::from(approval.aws_name());
                self.write
                    .update_model_package()
                    .model_package_arn(arn)
                    .model_approval_status(status)
                    .approval_description("set from mlopsdash")
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
                Ok(None)
            }
            Call::StopTrainingJob { name } => {
                self.write
                    .stop_training_job()
                    .training_job_name(name)
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
                Ok(None)
            }
            Call::StopPipelineExecution { arn, token } => {
                self.write
                    .stop_pipeline_execution()
                    .pipeline_execution_arn(arn)
                    .client_request_token(token)
                    .send()
                    .await
                    .map_err(|e| SendError::of(op, &e))?;
                Ok(None)
            }
        }
    }

    async fn create_training_job(&self, job: &TrainingClone) -> Result<(), SendError> {
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
        self.write
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
            .set_environment((!job.environment.is_empty()).then(|| {
                job.environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expose().to_string()))
                    .collect()
            }))
            .set_vpc_config(vpc)
            .set_checkpoint_config(checkpoint)
            .set_enable_network_isolation(job.network_isolation.then_some(true))
            .set_enable_inter_container_traffic_encryption(
                job.inter_container_encryption.then_some(true),
            )
            .set_enable_managed_spot_training(spot.map(|_| true))
            .send()
            .await
            .map_err(|e| SendError::of(op, &e))?;
        Ok(())
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
