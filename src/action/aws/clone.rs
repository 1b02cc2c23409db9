//! Retrain by cloning: a new training job copying the last good one, field by field,
//! or refused naming the field it cannot copy; and a pipeline's parameters at their
//! defaults.

use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use crate::action::{plan, Channel, Secret, TrainingClone, Vpc};
use crate::aws::errors::describe;

/// A new job copying `from`: everything that makes it the same job (image, role,
/// inputs, output and its KMS key, resources and the volume's key, limits, spot,
/// hyperparameters, environment, VPC, checkpoints, isolation, encryption). What
/// it cannot copy faithfully it refuses, naming the field.
pub(super) async fn clone_of(
    client: &Client,
    from: &str,
) -> Result<(TrainingClone, Option<String>), String> {
    let d = client
        .describe_training_job()
        .training_job_name(from)
        .send()
        .await
        .map_err(|e| describe("sagemaker:DescribeTrainingJob", &e))?;
    let status = crate::aws::status::job_status(d.training_job_status());
    if status != crate::model::facts::RunStatus::Completed {
        return Err(format!(
            "{from} is {} now, not Completed: nothing to clone",
            status.label()
        ));
    }
    let refuse = |field: &str| {
        Err(format!(
            "{from} sets {field}, which a clone cannot copy: retrain it in the console or \
             give the model a pipeline"
        ))
    };
    let algo = d.algorithm_specification();
    let image = algo.and_then(|a| a.training_image()).ok_or_else(|| {
        format!("{from} names no training image (an algorithm resource?): clone it in the console")
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
    let mut environment: Vec<(String, Secret)> = d
        .environment()
        .map(|e| e.iter().map(|(k, v)| (k.clone(), Secret::new(v))).collect())
        .unwrap_or_default();
    environment.sort_by(|a, b| a.0.cmp(&b.0));
    let output = d.output_data_config();
    let stopping = d.stopping_condition();
    let clone = TrainingClone {
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
    };
    Ok((clone, d.training_job_arn().map(str::to_string)))
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
