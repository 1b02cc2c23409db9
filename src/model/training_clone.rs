//! A training job cloned from the last good one: what it copies (image, role,
//! channels, keys, VPC, spot, hyperparameters) and the CreateTrainingJob request
//! that says it, field for field as AWS's API reference spells them. Pure.

use serde_json::{json, Value};

use super::secret::{Secret, HIDDEN};

/// One input channel of a cloned training job (S3 only: a clone refuses others).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Channel {
    pub name: String,
    pub s3_uri: String,
    /// S3Prefix, ManifestFile, AugmentedManifestFile.
    pub s3_data_type: String,
    /// FullyReplicated or ShardedByS3Key, when the job set it.
    pub distribution: Option<String>,
    pub content_type: Option<String>,
    pub compression: Option<String>,
    pub record_wrapper: Option<String>,
    /// The channel's own input mode, when it differs from the job's.
    pub input_mode: Option<String>,
}

/// Where a job's containers run inside the team's VPC.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vpc {
    pub security_groups: Vec<String>,
    pub subnets: Vec<String>,
}

/// Everything a cloned CreateTrainingJob sends, copied from the last good job.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingClone {
    pub name: String,
    pub from_job: String,
    pub image: String,
    pub input_mode: String,
    pub role: String,
    pub inputs: Vec<Channel>,
    pub output: String,
    pub instance_type: String,
    pub instance_count: i32,
    pub volume_gb: i32,
    pub max_runtime_seconds: i32,
    pub hyperparameters: Vec<(String, String)>,
    /// The container's environment variables: sent as they are, shown and logged
    /// by name only (they often hold passwords and tokens).
    pub environment: Vec<(String, Secret)>,
    pub vpc: Option<Vpc>,
    /// KMS keys of the output artifacts and of the instances' storage volumes.
    pub output_kms_key: Option<String>,
    pub volume_kms_key: Option<String>,
    /// Checkpoints: (S3 URI, local path in the container).
    pub checkpoint: Option<(String, Option<String>)>,
    pub network_isolation: bool,
    pub inter_container_encryption: bool,
    /// Managed spot training, with its MaxWaitTimeInSeconds.
    pub spot_max_wait_seconds: Option<i32>,
}

impl TrainingClone {
    /// CreateTrainingJob's request: what the clone copies, and only what was set.
    pub fn arguments(&self) -> Value {
        let job = self;
        let channels: Vec<Value> = job
            .inputs
            .iter()
            .map(|c| {
                let mut source = json!({ "S3DataType": c.s3_data_type, "S3Uri": c.s3_uri });
                if let Some(d) = &c.distribution {
                    source["S3DataDistributionType"] = json!(d);
                }
                let mut ch = json!({
                    "ChannelName": c.name,
                    "DataSource": { "S3DataSource": source },
                });
                for (key, value) in [
                    ("ContentType", &c.content_type),
                    ("CompressionType", &c.compression),
                    ("RecordWrapperType", &c.record_wrapper),
                    ("InputMode", &c.input_mode),
                ] {
                    if let Some(v) = value {
                        ch[key] = json!(v);
                    }
                }
                ch
            })
            .collect();
        let mut args = json!({
            "TrainingJobName": job.name,
            "AlgorithmSpecification": {
                "TrainingImage": job.image,
                "TrainingInputMode": job.input_mode,
            },
            "RoleArn": job.role,
            "InputDataConfig": channels,
            "OutputDataConfig": { "S3OutputPath": job.output },
            "ResourceConfig": {
                "InstanceType": job.instance_type,
                "InstanceCount": job.instance_count,
                "VolumeSizeInGB": job.volume_gb,
            },
            "StoppingCondition": { "MaxRuntimeInSeconds": job.max_runtime_seconds },
            "HyperParameters": pairs(&job.hyperparameters),
        });
        if !job.environment.is_empty() {
            // What is sent is every value; what is shown, logged and stored is the names.
            args["Environment"] = Value::Object(
                job.environment
                    .iter()
                    .map(|(k, _)| (k.clone(), json!(HIDDEN)))
                    .collect(),
            );
        }
        if let Some(v) = &job.vpc {
            args["VpcConfig"] =
                json!({ "SecurityGroupIds": v.security_groups, "Subnets": v.subnets });
        }
        if let Some(k) = &job.output_kms_key {
            args["OutputDataConfig"]["KmsKeyId"] = json!(k);
        }
        if let Some(k) = &job.volume_kms_key {
            args["ResourceConfig"]["VolumeKmsKeyId"] = json!(k);
        }
        if let Some((uri, local)) = &job.checkpoint {
            args["CheckpointConfig"] = json!({ "S3Uri": uri });
            if let Some(l) = local {
                args["CheckpointConfig"]["LocalPath"] = json!(l);
            }
        }
        if job.network_isolation {
            args["EnableNetworkIsolation"] = json!(true);
        }
        if job.inter_container_encryption {
            args["EnableInterContainerTrafficEncryption"] = json!(true);
        }
        if let Some(wait) = job.spot_max_wait_seconds {
            args["EnableManagedSpotTraining"] = json!(true);
            args["StoppingCondition"]["MaxWaitTimeInSeconds"] = json!(wait);
        }
        args
    }
}

fn pairs(kv: &[(String, String)]) -> Value {
    Value::Object(kv.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}
