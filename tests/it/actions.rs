//! Actions against the moto server: each one's effect is read back from the emulator.
//! UpdateEndpoint and StopTrainingJob, which moto lacks, are checked with the SDK's
//! mocks for the exact request sent.

use aws_sdk_sagemaker::types::{
    AlgorithmSpecification, Channel, DataSource, OutputDataConfig, ResourceConfig, S3DataSource,
    S3DataType, StoppingCondition, TrainingInputMode, TrainingInstanceType,
};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;
use mlopsdash::action::{
    runner, AuditLog, AwsExecutor, Call, Confirmed, Executor, Gate, Kind, Plan, Polling, Request,
    Step,
};
use mlopsdash::model::facts::{RunStatus, TrainingRun};
use mlopsdash::model::ModelFacts;
use mlopsdash::source::aws::{ApiCalls, SageMakerSource};
use mlopsdash::source::{Source, Update};

use crate::aws::moto_url;
use crate::seed::{sdk, seed_endpoint, seed_registered_model, unique};

fn request(kind: Kind, model: ModelFacts) -> Request {
    Request {
        kind,
        model,
        alarms: vec![],
        at: jiff::Timestamp::UNIX_EPOCH,
        scope: Default::default(),
        account: None,
        shown: Default::default(),
    }
}

async fn executor() -> (Executor, Client) {
    let sdk = sdk(&moto_url()).await;
    (
        Executor::Aws(AwsExecutor::new(&sdk, &ApiCalls::default())),
        Client::new(&sdk),
    )
}

/// What the SageMaker source sees for the model behind `endpoint`.
async fn facts_of(endpoint: &str) -> ModelFacts {
    let sdk = sdk(&moto_url()).await;
    let Update::Fleet { fleet, .. } = SageMakerSource::new(&sdk, &ApiCalls::default())
        .fetch()
        .await
    else {
        panic!("the SageMaker source failed");
    };
    fleet
        .models
        .into_iter()
        .find(|m| m.endpoint.as_ref().is_some_and(|e| e.name == endpoint))
        .unwrap()
}

/// Runs a confirmed plan to the end with an audit log in `dir`; the last step.
async fn run_to_end(executor: Executor, plan: Plan, dir: &std::path::Path) -> Step {
    let audit = AuditLog::open(&dir.join("audit.jsonl"));
    let steps = run_steps(executor, plan, audit, std::time::Duration::from_secs(20)).await;
    steps.into_iter().last().unwrap()
}

/// Runs a confirmed plan through the runner, polled every 50 ms for at most
/// `timeout`: every step it reported.
async fn run_steps(
    executor: Executor,
    plan: Plan,
    audit: Result<AuditLog, String>,
    timeout: std::time::Duration,
) -> Vec<Step> {
    let polling = Polling {
        every: std::time::Duration::from_millis(50),
        timeout,
    };
    run_polled(executor, plan, audit, polling).await
}

async fn run_polled(
    executor: Executor,
    plan: Plan,
    audit: Result<AuditLog, String>,
    polling: Polling,
) -> Vec<Step> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(32);
    let confirmed = Confirmed {
        plan,
        actor: mlopsdash::testing::test_actor(),
        scope: Default::default(),
        typed: String::new(),
        read_at: Timestamp::now(),
    };
    let gate = Gate {
        audit,
        read_only: false,
        polling,
    };
    runner::run(executor, gate, confirmed, tx).await;
    let mut steps = Vec::new();
    while let Ok(Update::Action(p)) = rx.try_recv() {
        steps.push(p.step);
    }
    steps
}

fn phases(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["phase"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn retrain_starts_the_pipeline_with_its_default_parameters() {
    let (exec, sm) = executor().await;
    let pipeline = unique("demand-retrain");
    let definition = serde_json::json!({
        "Version": "2020-12-01",
        "Parameters": [
            {"Name": "InputDataUrl", "Type": "String", "DefaultValue": "s3://raw/demand/"},
            {"Name": "Epochs", "Type": "Integer", "DefaultValue": 20}
        ],
        "Steps": []
    });
    sm.create_pipeline()
        .pipeline_name(&pipeline)
        .pipeline_definition(definition.to_string())
        .role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .send()
        .await
        .unwrap();
    let model = ModelFacts {
        pipeline: Some(pipeline.clone()),
        ..ModelFacts::named("demand-forecasting")
    };
    let plans = exec
        .prepare(&request(Kind::Retrain, model), None)
        .await
        .unwrap()
        .plans;
    let Call::StartPipelineExecution {
        parameters,
        display_name,
        ..
    } = &plans[0].call
    else {
        panic!("{:?}", plans[0].call);
    };
    assert_eq!(
        parameters,
        &[
            ("InputDataUrl".to_string(), "s3://raw/demand/".to_string()),
            ("Epochs".to_string(), "20".to_string())
        ]
    );
    let display_name = display_name.clone();
    let started = exec.execute(&plans[0]).await.unwrap().unwrap();
    let listed = sm
        .list_pipeline_executions()
        .pipeline_name(&pipeline)
        .send()
        .await
        .unwrap();
    let runs = listed.pipeline_execution_summaries();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].pipeline_execution_arn(), Some(started.as_str()));
    assert_eq!(
        runs[0].pipeline_execution_display_name(),
        Some(display_name.as_str())
    );
}

#[tokio::test]
async fn retrain_without_a_pipeline_clones_the_last_good_training_job() {
    let (exec, sm) = executor().await;
    let job = unique("churn-train-20261120-0300");
    sm.create_training_job()
        .training_job_name(&job)
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .role_arn("arn:aws:iam::123456789012:role/train")
        .input_data_config(
            Channel::builder()
                .channel_name("train")
                .data_source(
                    DataSource::builder()
                        .s3_data_source(
                            S3DataSource::builder()
                                .s3_data_type(S3DataType::S3Prefix)
                                .s3_uri("s3://raw/churn/train/")
                                .build(),
                        )
                        .build(),
                )
                .content_type("text/csv")
                .build(),
        )
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://models/churn")
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM5Xlarge)
                .instance_count(2)
                .volume_size_in_gb(50)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(7200)
                .build(),
        )
        .hyper_parameters("max_depth", "6")
        .hyper_parameters("eta", "0.2")
        .send()
        .await
        .unwrap();
    let model = ModelFacts {
        training: vec![TrainingRun {
            name: job.clone(),
            status: RunStatus::Completed,
            started: Timestamp::now(),
            ended: None,
            failure_reason: None,
            objective: None,
            secondary_status: None,
            execution_arn: None,
            serving: false,
            source: mlopsdash::model::facts::RunSource::SageMaker,
            detail: Default::default(),
        }],
        ..ModelFacts::named("churn-detection")
    };
    let plans = exec
        .prepare(&request(Kind::Retrain, model), None)
        .await
        .unwrap()
        .plans;
    let Call::CreateTrainingJob(clone) = &plans[0].call else {
        panic!("{:?}", plans[0].call);
    };
    assert_ne!(clone.name, job);
    assert!(clone.name.len() <= 63, "{}", clone.name);
    let name = clone.name.clone();
    exec.execute(&plans[0]).await.unwrap();
    let d = sm
        .describe_training_job()
        .training_job_name(&name)
        .send()
        .await
        .unwrap();
    let algo = d.algorithm_specification().unwrap();
    assert_eq!(
        algo.training_image(),
        Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1")
    );
    assert_eq!(d.role_arn(), Some("arn:aws:iam::123456789012:role/train"));
    let input = &d.input_data_config()[0];
    assert_eq!(
        input
            .data_source()
            .unwrap()
            .s3_data_source()
            .unwrap()
            .s3_uri(),
        Some("s3://raw/churn/train/")
    );
    let hp = d.hyper_parameters().unwrap();
    assert_eq!((hp["max_depth"].as_str(), hp["eta"].as_str()), ("6", "0.2"));
    let res = d.resource_config().unwrap();
    assert_eq!(
        (res.instance_count(), res.volume_size_in_gb()),
        (Some(2), Some(50))
    );
}

#[tokio::test]
async fn rollback_of_a_canary_sends_all_traffic_back_to_the_other_variant() {
    let (exec, sm) = executor().await;
    let endpoint = unique("rec-canary");
    seed_endpoint(
        &sdk(&moto_url()).await,
        &endpoint,
        &[("blue", 0.9, 2), ("green", 0.1, 1)],
    )
    .await;
    let model = facts_of(&endpoint).await;
    let plans = exec
        .prepare(&request(Kind::Rollback, model), None)
        .await
        .unwrap()
        .plans;
    assert_eq!(plans.len(), 1, "{plans:?}");
    assert!(
        plans[0].label.contains("variant blue"),
        "{}",
        plans[0].label
    );
    let dir = tempfile::tempdir().unwrap();
    let step = run_to_end(exec, plans[0].clone(), dir.path()).await;
    assert_eq!(step, Step::Succeeded("InService".into()));
    let d = sm
        .describe_endpoint()
        .endpoint_name(&endpoint)
        .send()
        .await
        .unwrap();
    let weight = |name: &str| {
        d.production_variants()
            .iter()
            .find(|v| v.variant_name() == Some(name))
            .and_then(|v| v.current_weight())
    };
    assert_eq!((weight("blue"), weight("green")), (Some(1.0), Some(0.0)));
    assert_eq!(phases(dir.path()), ["confirmed", "succeeded"]);
}

#[tokio::test]
async fn an_endpoint_tagged_env_prod_is_protected_and_an_untagged_one_is_not() {
    let sdk = sdk(&moto_url()).await;
    let (tagged, plain) = (unique("tagged-prod"), unique("untagged"));
    seed_endpoint(&sdk, &tagged, &[("AllTraffic", 1.0, 1)]).await;
    seed_endpoint(&sdk, &plain, &[("AllTraffic", 1.0, 1)]).await;
    crate::seed::tag_endpoint(&sdk, &tagged, "env", "prod").await;
    let source =
        || SageMakerSource::new(&sdk, &ApiCalls::default()).protecting(vec!["env=prod".into()]);
    let Update::Fleet { fleet, .. } = source().fetch().await else {
        panic!("the SageMaker source failed");
    };
    let protection = |name: &str| {
        fleet
            .models
            .iter()
            .find_map(|m| m.endpoint.as_ref().filter(|e| e.name == name))
            .unwrap()
            .protected
            .clone()
    };
    assert_eq!(protection(&tagged).as_deref(), Some("tagged env=prod"));
    assert_eq!(protection(&plain), None);
}

#[tokio::test]
async fn approve_sets_the_package_version_approved() {
    let (exec, sm) = executor().await;
    let group = unique("seg");
    let endpoint = seed_registered_model(
        &sdk(&moto_url()).await,
        &group,
        &["Approved", "PendingManualApproval"],
        1,
        &[],
    )
    .await;
    let model = facts_of(&endpoint).await;
    let plans = exec
        .prepare(&request(Kind::Approve, model), None)
        .await
        .unwrap()
        .plans;
    assert_eq!(plans.len(), 1, "only the pending version: {plans:?}");
    let Call::UpdateModelPackage { arn, .. } = &plans[0].call else {
        panic!("{:?}", plans[0].call);
    };
    let arn = arn.clone();
    let dir = tempfile::tempdir().unwrap();
    let step = run_to_end(exec, plans[0].clone(), dir.path()).await;
    assert_eq!(step, Step::Succeeded("now Approved".into()));
    let d = sm
        .describe_model_package()
        .model_package_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        d.model_approval_status().map(|s| s.as_str()),
        Some("Approved")
    );
}

mod mocked {
    use aws_sdk_sagemaker::operation::stop_training_job::StopTrainingJobOutput;
    use aws_sdk_sagemaker::operation::update_endpoint::UpdateEndpointOutput;
    use aws_sdk_sagemaker::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::action::{AwsExecutor, Call, Executor, Kind, Plan};

    use mlopsdash::testing::plan_of as plan;

    /// rec-prod back to its v6 config, without guardrails.
    fn rollback_of_rec_prod() -> Plan {
        plan(Call::UpdateEndpoint {
            endpoint: "rec-prod".into(),
            config: "rec-config-v6".into(),
            guardrail_alarms: vec![],
        })
    }

    #[tokio::test]
    async fn update_endpoint_sends_the_config_and_the_guardrail_alarms() {
        let rule = mock!(Client::update_endpoint)
            .match_requests(|r| {
                let dc = r.deployment_config();
                let alarms: Vec<_> = dc
                    .and_then(|d| d.auto_rollback_configuration())
                    .map(|a| a.alarms().iter().filter_map(|a| a.alarm_name()).collect())
                    .unwrap_or_default();
                let routing = dc
                    .and_then(|d| d.blue_green_update_policy())
                    .and_then(|b| b.traffic_routing_configuration());
                r.endpoint_name() == Some("rec-prod")
                    && r.endpoint_config_name() == Some("rec-prod-config-v6")
                    && alarms == ["rec-prod-latency"]
                    && routing.is_some_and(|t| {
                        t.r#type().map(|t| t.as_str()) == Some("ALL_AT_ONCE")
                            && t.wait_interval_in_seconds() == Some(300)
                    })
            })
            .then_output(|| UpdateEndpointOutput::builder().endpoint_arn("arn").build());
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::Sequential, [&rule]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let p = plan(Call::UpdateEndpoint {
            endpoint: "rec-prod".into(),
            config: "rec-prod-config-v6".into(),
            guardrail_alarms: vec!["rec-prod-latency".into()],
        });
        exec.execute(&p).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn stop_training_job_names_the_job() {
        let rule = mock!(Client::stop_training_job)
            .match_requests(|r| r.training_job_name() == Some("churn-train-20261122"))
            .then_output(|| StopTrainingJobOutput::builder().build());
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::Sequential, [&rule]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let p = plan(Call::StopTrainingJob {
            name: "churn-train-20261122".into(),
        });
        exec.execute(&p).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_stopped_pipeline_execution_is_watched_until_it_has_stopped() {
        use aws_sdk_sagemaker::operation::describe_pipeline_execution::DescribePipelineExecutionOutput;
        use aws_sdk_sagemaker::operation::stop_pipeline_execution::StopPipelineExecutionOutput;
        use aws_sdk_sagemaker::types::PipelineExecutionStatus;
        let arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-retrain/execution/abc";
        let stop = mock!(Client::stop_pipeline_execution)
            .match_requests(move |r| {
                r.pipeline_execution_arn() == Some(arn)
                    && r.client_request_token() == Some("mlopsdash-token")
            })
            .then_output(move || {
                StopPipelineExecutionOutput::builder()
                    .pipeline_execution_arn(arn)
                    .build()
            });
        let status = |s: PipelineExecutionStatus| {
            move || {
                DescribePipelineExecutionOutput::builder()
                    .pipeline_execution_status(s.clone())
                    .build()
            }
        };
        let describe = mock!(Client::describe_pipeline_execution)
            .sequence()
            .output(status(PipelineExecutionStatus::Stopping))
            .times(2)
            .output(status(PipelineExecutionStatus::Stopped))
            .build();
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&stop, &describe]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let mut p = plan(Call::StopPipelineExecution {
            arn: arn.into(),
            token: "mlopsdash-token".into(),
        });
        p.kind = Kind::Stop;
        let dir = tempfile::tempdir().unwrap();
        let last = super::run_to_end(exec, p, dir.path()).await;
        assert_eq!(last, mlopsdash::action::Step::Succeeded("Stopped".into()));
        assert_eq!((stop.num_calls(), describe.num_calls()), (1, 3));
        assert_eq!(super::phases(dir.path()), ["confirmed", "succeeded"]);
    }

    #[tokio::test]
    async fn a_denied_rollback_fails_in_plain_words_and_is_logged() {
        use aws_sdk_sagemaker::operation::update_endpoint::UpdateEndpointError;
        let denied = mock!(Client::update_endpoint).then_error(|| {
            UpdateEndpointError::generic(
                aws_sdk_sagemaker::error::ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message(
                        "User: arn:aws:sts::123456789012:assumed-role/oncall/me is not \
                         authorized to perform: sagemaker:UpdateEndpoint",
                    )
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&denied]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let p = rollback_of_rec_prod();
        let dir = tempfile::tempdir().unwrap();
        let last = super::run_to_end(exec, p, dir.path()).await;
        assert_eq!(
            last,
            mlopsdash::action::Step::Failed(
                "AccessDenied: the IAM policy lacks sagemaker:UpdateEndpoint; add it to this role"
                    .into()
            )
        );
        assert_eq!(super::phases(dir.path()), ["confirmed", "failed"]);
    }

    // Paused time: the runner's real defaults (every 5 s, 30 min) in no time at all.
    #[tokio::test(start_paused = true)]
    async fn an_endpoint_that_never_settles_times_out_and_says_so() {
        use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
        use aws_sdk_sagemaker::types::EndpointStatus;
        let update =
            mock!(Client::update_endpoint).then_output(|| UpdateEndpointOutput::builder().build());
        let describe = mock!(Client::describe_endpoint).then_output(|| {
            DescribeEndpointOutput::builder()
                .endpoint_status(EndpointStatus::Updating)
                .build()
        });
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&update, &describe]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let p = rollback_of_rec_prod();
        let dir = tempfile::tempdir().unwrap();
        let audit = mlopsdash::action::AuditLog::open(&dir.path().join("audit.jsonl"));
        let polling = mlopsdash::action::Polling {
            every: std::time::Duration::from_secs(5),
            timeout: std::time::Duration::from_secs(30 * 60),
        };
        let steps = super::run_polled(exec, p, audit, polling).await;
        let last = steps.last().unwrap();
        assert!(
            matches!(last, mlopsdash::action::Step::TimedOut(t)
                if t == "still Updating after 30 min; no longer watched"),
            "{steps:?}"
        );
        // Once at the start and every 5 s until the 30 minutes were up.
        assert_eq!(
            describe.num_calls(),
            30 * 60 / 5 + 1,
            "polled until the deadline"
        );
        assert_eq!(super::phases(dir.path()), ["confirmed", "timed_out"]);
    }

    #[tokio::test]
    async fn an_audit_log_that_cannot_be_written_blocks_the_call() {
        let rule =
            mock!(Client::update_endpoint).then_output(|| UpdateEndpointOutput::builder().build());
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, [&rule]);
        let exec = Executor::Aws(AwsExecutor::from_client(
            client,
            mlopsdash::testing::test_actor(),
        ));
        let p = rollback_of_rec_prod();
        let audit = Err("audit log /ro/audit.jsonl: Permission denied".to_string());
        let steps = super::run_steps(exec, p, audit, std::time::Duration::from_secs(1)).await;
        let Some(first) = steps.first() else {
            panic!("no step reported");
        };
        assert_eq!(
            first.text(),
            "refused, nothing was sent: audit log /ro/audit.jsonl: Permission denied"
        );
        assert_eq!(rule.num_calls(), 0);
    }
}
