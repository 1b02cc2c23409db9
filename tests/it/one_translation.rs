//! One translation per action: for every call kind, the request the SDK puts on the
//! wire (captured before it leaves) is, field for field, the JSON the confirmation
//! dialog showed and the audit log records (`Call::arguments`).

use aws_sdk_sagemaker::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_http_client::test_util::capture_request;
use mlopsdash::action::{AwsExecutor, Call, Channel, Executor, TrainingClone, Vpc};
use mlopsdash::model::facts::Approval;

use mlopsdash::testing::plan_of as plan;

/// A training job clone with every optional field set, so each is checked.
fn full_clone() -> TrainingClone {
    TrainingClone {
        name: "churn-train-clone-20261201-1200".into(),
        from_job: "churn-train-v3".into(),
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:3".into(),
        input_mode: "File".into(),
        role: "arn:aws:iam::123456789012:role/sagemaker".into(),
        inputs: vec![
            Channel {
                name: "train".into(),
                s3_uri: "s3://data/churn/train/".into(),
                s3_data_type: "S3Prefix".into(),
                distribution: Some("ShardedByS3Key".into()),
                content_type: Some("text/csv".into()),
                compression: Some("Gzip".into()),
                record_wrapper: Some("RecordIO".into()),
                input_mode: Some("Pipe".into()),
            },
            Channel {
                name: "validation".into(),
                s3_uri: "s3://data/churn/val/".into(),
                s3_data_type: "S3Prefix".into(),
                ..Channel::default()
            },
        ],
        output: "s3://models/churn/".into(),
        instance_type: "ml.m5.xlarge".into(),
        instance_count: 2,
        volume_gb: 50,
        max_runtime_seconds: 3600,
        hyperparameters: vec![
            ("eta".into(), "0.2".into()),
            ("max_depth".into(), "6".into()),
        ],
        environment: vec![("MODE".into(), mlopsdash::model::secret::Secret::new("full"))],
        vpc: Some(Vpc {
            security_groups: vec!["sg-1".into()],
            subnets: vec!["subnet-a".into(), "subnet-b".into()],
        }),
        output_kms_key: Some("arn:aws:kms:us-east-1:123456789012:key/out".into()),
        volume_kms_key: Some("arn:aws:kms:us-east-1:123456789012:key/vol".into()),
        checkpoint: Some((
            "s3://ckpt/churn/".into(),
            Some("/opt/ml/checkpoints".into()),
        )),
        network_isolation: true,
        inter_container_encryption: true,
        spot_max_wait_seconds: Some(7200),
    }
}

fn calls() -> Vec<Call> {
    vec![
        Call::UpdateEndpoint {
            endpoint: "rec-prod".into(),
            config: "rec-config-v6".into(),
            guardrail_alarms: vec!["rec-5xx".into(), "rec-p99".into()],
        },
        Call::UpdateEndpoint {
            endpoint: "rec-prod".into(),
            config: "rec-config-v6".into(),
            guardrail_alarms: vec![],
        },
        Call::UpdateEndpointWeights {
            endpoint: "churn-prod".into(),
            weights: vec![("stable".into(), 1.0), ("canary".into(), 0.0)],
        },
        Call::StartPipelineExecution {
            pipeline: "demand-retrain".into(),
            display_name: "mlopsdash-retrain".into(),
            parameters: vec![("Epochs".into(), "10".into())],
            token: "mlopsdash-0123456789abcdef0123456789abcdef".into(),
        },
        Call::CreateTrainingJob(Box::new(full_clone())),
        Call::UpdateModelPackage {
            arn: "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/4".into(),
            approval: Approval::Approved,
        },
        Call::StopTrainingJob {
            name: "churn-train-v4".into(),
        },
        Call::StopPipelineExecution {
            arn: "arn:aws:sagemaker:us-east-1:123456789012:pipeline/p/execution/x".into(),
            token: "mlopsdash-fedcba9876543210fedcba9876543210".into(),
        },
    ]
}

/// The JSON body the executor's request carried.
async fn sent(call: &Call) -> serde_json::Value {
    let (http, captured) = capture_request(None);
    let config = aws_sdk_sagemaker::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .http_client(http)
        .build();
    let client = aws_sdk_sagemaker::Client::from_conf(config);
    let exec = Executor::Aws(AwsExecutor::from_client(
        client,
        mlopsdash::testing::test_actor(),
    ));
    // The canned answer is empty: what comes back does not matter here.
    let _ = exec.execute(&plan(call.clone())).await;
    let request = captured.expect_request();
    let body = request.body().bytes().expect("an in-memory body");
    serde_json::from_slice(body).expect("SageMaker speaks JSON")
}

#[tokio::test]
async fn every_call_sends_exactly_what_the_dialog_shows() {
    let calls = calls();
    // Every kind of call is in the table.
    let kinds: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.operation()).collect();
    assert_eq!(kinds.len(), 7, "{kinds:?}");
    for call in &calls {
        let mut sent = sent(call).await;
        // Environment values go out as they are and are shown by name only.
        if let Some(env) = sent.get_mut("Environment").and_then(|e| e.as_object_mut()) {
            assert_eq!(env["MODE"], "full", "the value itself is sent");
            for v in env.values_mut() {
                *v = serde_json::json!(mlopsdash::model::secret::HIDDEN);
            }
        }
        assert_eq!(
            sent,
            call.arguments(),
            "{}: what was sent is not what was shown",
            call.operation()
        );
    }
}

mod clone {
    use aws_sdk_sagemaker::operation::describe_training_job::DescribeTrainingJobOutput;
    use aws_sdk_sagemaker::types::*;
    use aws_sdk_sagemaker::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::action::{AwsExecutor, Call, Executor, Kind, Request};
    use mlopsdash::model::facts::{RunStatus, TrainingRun};
    use mlopsdash::model::ModelFacts;

    fn model() -> ModelFacts {
        ModelFacts {
            training: vec![TrainingRun {
                name: "churn-train-v3".into(),
                status: RunStatus::Completed,
                started: jiff::Timestamp::UNIX_EPOCH,
                ended: None,
                failure_reason: None,
                objective: None,
                secondary_status: None,
                execution_arn: None,
                serving: false,
                source: mlopsdash::model::facts::RunSource::SageMaker,
                detail: Default::default(),
            }],
            ..ModelFacts::named("churn")
        }
    }

    fn described(channel: Channel) -> DescribeTrainingJobOutput {
        DescribeTrainingJobOutput::builder()
            .training_job_name("churn-train-v3")
            .algorithm_specification(
                AlgorithmSpecification::builder()
                    .training_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/train:3")
                    .training_input_mode(TrainingInputMode::File)
                    .build(),
            )
            .role_arn("arn:aws:iam::123456789012:role/sagemaker")
            .input_data_config(channel)
            .output_data_config(
                OutputDataConfig::builder()
                    .s3_output_path("s3://models/churn/")
                    .kms_key_id("key/out")
                    .build(),
            )
            .resource_config(
                ResourceConfig::builder()
                    .instance_type(TrainingInstanceType::MlM5Xlarge)
                    .instance_count(1)
                    .volume_size_in_gb(30)
                    .volume_kms_key_id("key/vol")
                    .build(),
            )
            .stopping_condition(
                StoppingCondition::builder()
                    .max_runtime_in_seconds(3600)
                    .max_wait_time_in_seconds(7200)
                    .build(),
            )
            .training_job_status(TrainingJobStatus::Completed)
            .enable_managed_spot_training(true)
            .enable_network_isolation(true)
            .environment("MODE", "full")
            .vpc_config(
                VpcConfig::builder()
                    .security_group_ids("sg-1")
                    .subnets("subnet-a")
                    .build(),
            )
            .checkpoint_config(CheckpointConfig::builder().s3_uri("s3://ckpt/").build())
            .build()
    }

    async fn retrain_of(channel: Channel) -> Result<Vec<mlopsdash::action::Plan>, String> {
        let output = described(channel);
        let rule = mock!(Client::describe_training_job).then_output(move || output.clone());
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&rule]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let req = Request {
            kind: Kind::Retrain,
            model: model(),
            alarms: vec![],
            at: jiff::Timestamp::UNIX_EPOCH,
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };
        exec.prepare(&req, None).await.map(|p| p.plans)
    }

    fn s3_channel() -> Channel {
        let source = S3DataSource::builder()
            .s3_data_type(S3DataType::S3Prefix)
            .s3_uri("s3://data/churn/train/")
            .build();
        Channel::builder()
            .channel_name("train")
            .data_source(DataSource::builder().s3_data_source(source).build())
            .build()
    }

    #[tokio::test]
    async fn a_cloned_job_keeps_what_makes_it_the_same_job() {
        let plans = retrain_of(s3_channel()).await.unwrap();
        let Call::CreateTrainingJob(job) = &plans[0].call else {
            panic!("{:?}", plans[0].call);
        };
        let args = plans[0].call.arguments();
        assert_eq!(args["VpcConfig"]["SecurityGroupIds"][0], "sg-1");
        assert_eq!(args["VpcConfig"]["Subnets"][0], "subnet-a");
        // The environment is sent, never shown or logged.
        assert_eq!(
            args["Environment"]["MODE"],
            mlopsdash::model::secret::HIDDEN
        );
        assert_eq!(job.environment[0].1.expose(), "full");
        assert_eq!(args["OutputDataConfig"]["KmsKeyId"], "key/out");
        assert_eq!(args["ResourceConfig"]["VolumeKmsKeyId"], "key/vol");
        assert_eq!(args["CheckpointConfig"]["S3Uri"], "s3://ckpt/");
        assert_eq!(args["EnableNetworkIsolation"], true);
        assert_eq!(args["EnableManagedSpotTraining"], true);
        assert_eq!(args["StoppingCondition"]["MaxWaitTimeInSeconds"], 7200);
        assert_eq!(job.from_job, "churn-train-v3");
    }

    #[tokio::test]
    async fn what_a_clone_cannot_copy_is_refused_by_name() {
        let from_efs = Channel::builder()
            .channel_name("train")
            .data_source(
                DataSource::builder()
                    .file_system_data_source(
                        FileSystemDataSource::builder()
                            .file_system_id("fs-1")
                            .file_system_type(FileSystemType::Efs)
                            .file_system_access_mode(FileSystemAccessMode::Ro)
                            .directory_path("/data")
                            .build(),
                    )
                    .build(),
            )
            .build();
        let refused = retrain_of(from_efs).await.unwrap_err();
        assert!(
            refused.contains("channel train's DataSource (not S3)"),
            "{refused}"
        );
        let shuffled = Channel::builder()
            .channel_name("train")
            .data_source(s3_channel().data_source().unwrap().clone())
            .shuffle_config(ShuffleConfig::builder().seed(7).build())
            .build();
        let refused = retrain_of(shuffled).await.unwrap_err();
        assert!(refused.contains("ShuffleConfig"), "{refused}");
    }
}
