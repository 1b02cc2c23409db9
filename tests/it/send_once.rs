//! Every call that changes something is sent once. A server (wiremock, speaking each
//! service's AWS protocol) applies the first request and then times out or answers
//! 5xx; a second request would be refused with ValidationException. The executor
//! must not send it again: it reads the resource back, finds the change, and
//! reports the action as sent. Where the read back never shows the change, the
//! action ends "not applied" instead of guessing.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_sagemaker::config::Credentials;
use jiff::Timestamp;
use mlopsdash::action::{
    runner, AuditLog, AwsExecutor, Call, Confirmed, Executor, Gate, Kind, Plan, Polling, Step,
    TrainingClone,
};
use mlopsdash::model::facts::Approval;
use serde_json::{json, Value};
use wiremock::matchers::{body_string_contains, header};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "123456789012";

/// How the first, applied request ends for the client.
#[derive(Clone, Copy, Debug)]
enum Lost {
    /// The answer comes after the client stopped waiting.
    Timeout,
    /// The front door answers 503 after passing it on.
    ServerError,
}

/// One mutating call: its X-Amz-Target, and what the reads back answer once applied.
struct Case {
    call: Call,
    target: String,
    readback: String,
    applied: Value,
    /// A second read some read backs need (a started execution, described).
    then: Option<(String, Value)>,
}

fn sagemaker(op: &str) -> String {
    format!("SageMaker.{op}")
}

fn ecs(op: &str) -> String {
    format!("AmazonEC2ContainerServiceV20141113.{op}")
}

fn cases() -> Vec<Case> {
    let endpoint = json!({
        "EndpointName": "rec-prod",
        "EndpointArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/rec-prod"),
        "EndpointConfigName": "rec-config-v6",
        "EndpointStatus": "InService",
        "ProductionVariants": [
            {"VariantName": "stable", "CurrentWeight": 1.0},
            {"VariantName": "canary", "CurrentWeight": 0.0}
        ],
        "CreationTime": 1.8e9,
        "LastModifiedTime": 1.8e9
    });
    let job = |status: &str| {
        json!({
            "TrainingJobName": "churn-clone-1",
            "TrainingJobArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/churn-clone-1"),
            "TrainingJobStatus": status,
            "SecondaryStatus": "Stopped",
            "CreationTime": 1.8e9,
            "AlgorithmSpecification": {"TrainingInputMode": "File"},
            "ResourceConfig": {"InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {},
            "ModelArtifacts": {"S3ModelArtifacts": ""}
        })
    };
    let execution_arn =
        format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/churn/execution/abc");
    vec![
        Case {
            call: Call::UpdateEcsService {
                cluster: "web-prod".into(),
                service: "upsell-api".into(),
                task_definition: "upsell-api:7".into(),
            },
            target: ecs("UpdateService"),
            readback: ecs("DescribeServices"),
            applied: json!({"services": [{
                "serviceName": "upsell-api",
                "taskDefinition": format!("arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/upsell-api:7"),
                "runningCount": 2, "desiredCount": 2,
                "deployments": [{
                    "status": "PRIMARY",
                    "taskDefinition": format!("arn:aws:ecs:us-east-1:{ACCOUNT}:task-definition/upsell-api:7"),
                    "rolloutState": "COMPLETED", "runningCount": 2, "desiredCount": 2
                }]
            }]}),
            then: None,
        },
        Case {
            call: Call::UpdateEndpoint {
                endpoint: "rec-prod".into(),
                config: "rec-config-v6".into(),
                guardrail_alarms: vec![],
            },
            target: sagemaker("UpdateEndpoint"),
            readback: sagemaker("DescribeEndpoint"),
            applied: endpoint.clone(),
            then: None,
        },
        Case {
            call: Call::UpdateEndpointWeights {
                endpoint: "rec-prod".into(),
                weights: vec![("stable".into(), 1.0), ("canary".into(), 0.0)],
            },
            target: sagemaker("UpdateEndpointWeightsAndCapacities"),
            readback: sagemaker("DescribeEndpoint"),
            applied: endpoint,
            then: None,
        },
        Case {
            call: Call::UpdateModelPackage {
                arn: format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/4"),
                approval: Approval::Approved,
            },
            target: sagemaker("UpdateModelPackage"),
            readback: sagemaker("DescribeModelPackage"),
            applied: json!({
                "ModelPackageName": "churn",
                "ModelPackageArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/4"),
                "ModelPackageStatus": "Completed",
                "ModelApprovalStatus": "Approved",
                "CreationTime": 1.8e9
            }),
            then: None,
        },
        Case {
            call: Call::StopTrainingJob {
                name: "churn-clone-1".into(),
            },
            target: sagemaker("StopTrainingJob"),
            readback: sagemaker("DescribeTrainingJob"),
            applied: job("Stopped"),
            then: None,
        },
        Case {
            call: Call::StopPipelineExecution {
                arn: execution_arn.clone(),
                token: "mlopsdash-token".into(),
            },
            target: sagemaker("StopPipelineExecution"),
            readback: sagemaker("DescribePipelineExecution"),
            applied: json!({
                "PipelineExecutionArn": execution_arn,
                "PipelineExecutionStatus": "Stopped"
            }),
            then: None,
        },
        Case {
            call: Call::StartPipelineExecution {
                pipeline: "churn".into(),
                display_name: "mlopsdash-20261206-010203".into(),
                parameters: vec![],
                token: "mlopsdash-token".into(),
            },
            target: sagemaker("StartPipelineExecution"),
            readback: sagemaker("ListPipelineExecutions"),
            applied: json!({"PipelineExecutionSummaries": [{
                "PipelineExecutionArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/churn/execution/xyz"),
                "PipelineExecutionDisplayName": "mlopsdash-20261206-010203",
                "PipelineExecutionStatus": "Executing",
                "StartTime": 1.8e9
            }]}),
            then: Some((
                sagemaker("DescribePipelineExecution"),
                json!({
                    "PipelineExecutionArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:pipeline/churn/execution/xyz"),
                    "PipelineExecutionStatus": "Succeeded"
                }),
            )),
        },
        Case {
            call: Call::CreateTrainingJob(Box::new(TrainingClone {
                name: "churn-clone-1".into(),
                from_job: "churn-train".into(),
                image: "img".into(),
                input_mode: "File".into(),
                role: format!("arn:aws:iam::{ACCOUNT}:role/train"),
                inputs: vec![],
                output: "s3://models/churn/".into(),
                instance_type: "ml.m5.xlarge".into(),
                instance_count: 1,
                volume_gb: 30,
                max_runtime_seconds: 3600,
                hyperparameters: vec![],
                environment: vec![],
                vpc: None,
                output_kms_key: None,
                volume_kms_key: None,
                checkpoint: None,
                network_isolation: false,
                inter_container_encryption: false,
                spot_max_wait_seconds: None,
            })),
            target: sagemaker("CreateTrainingJob"),
            readback: sagemaker("DescribeTrainingJob"),
            applied: job("InProgress"),
            then: None,
        },
    ]
}

/// The executor of one scope on `server`: the SDK's standard retries (three
/// attempts) and a one-second attempt timeout, as a user's config could set.
async fn executor(server: &MockServer) -> Executor {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(server.uri())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .retry_config(aws_config::retry::RetryConfig::standard())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(1))
                .build(),
        )
        .load()
        .await;
    Executor::Aws(AwsExecutor::new(&sdk, &Default::default()))
}

/// STS says who the credentials are (the account the dialog showed).
async fn identity(server: &MockServer) {
    let xml = format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/oncall</Arn>\
         <UserId>AIDA</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>"
    );
    Mock::given(body_string_contains("Action=GetCallerIdentity"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(xml, "text/xml"))
        .mount(server)
        .await;
}

fn json_answer(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/x-amz-json-1.1")
}

/// The first request is applied and its answer lost; any later one is refused.
async fn lossy(server: &MockServer, target: &str, lost: Lost) {
    let first = match lost {
        Lost::Timeout => json_answer(200, &json!({})).set_delay(Duration::from_secs(3)),
        Lost::ServerError => ResponseTemplate::new(503),
    };
    Mock::given(header("x-amz-target", target))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(server)
        .await;
    let refused = json!({"__type": "ValidationException", "message": "already applied"});
    Mock::given(header("x-amz-target", target))
        .respond_with(json_answer(400, &refused))
        .mount(server)
        .await;
}

async fn sent(server: &MockServer, target: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| {
            r.headers
                .get("x-amz-target")
                .is_some_and(|h| h.to_str().ok() == Some(target))
        })
        .count()
}

/// Runs `call` to its end; every step reported, and the audit log's phases.
async fn run(executor: Executor, call: Call, timeout: Duration) -> (Vec<Step>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let mut plan = Plan::new(Kind::Rollback, "churn", call);
    plan.account = Some(ACCOUNT.into());
    let confirmed = Confirmed {
        plan,
        actor: mlopsdash::testing::test_actor(),
        scope: Default::default(),
        typed: String::new(),
        read_at: Timestamp::now(),
    };
    let gate = Gate {
        audit: AuditLog::open(&dir.path().join("audit.jsonl")),
        read_only: false,
        polling: Polling {
            every: Duration::from_millis(50),
            timeout,
        },
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    runner::run(executor, gate, confirmed, tx).await;
    let mut steps = Vec::new();
    while let Ok(mlopsdash::model::update::Update::Action(p)) = rx.try_recv() {
        steps.push(p.step);
    }
    let phases = mlopsdash::action::audit::records(&dir.path().join("audit.jsonl"))
        .unwrap()
        .into_iter()
        .map(|r| r.phase.label().to_string())
        .collect();
    (steps, phases)
}

#[tokio::test]
async fn a_change_whose_answer_is_lost_is_sent_once_and_read_back() {
    for case in cases() {
        for lost in [Lost::Timeout, Lost::ServerError] {
            let server = MockServer::start().await;
            identity(&server).await;
            lossy(&server, &case.target, lost).await;
            Mock::given(header("x-amz-target", case.readback.as_str()))
                .respond_with(json_answer(200, &case.applied))
                .mount(&server)
                .await;
            if let Some((target, body)) = &case.then {
                Mock::given(header("x-amz-target", target.as_str()))
                    .respond_with(json_answer(200, body))
                    .mount(&server)
                    .await;
            }
            let (steps, phases) = run(
                executor(&server).await,
                case.call.clone(),
                Duration::from_secs(5),
            )
            .await;
            let what = format!("{} after a {lost:?}: {steps:?}", case.target);
            assert_eq!(sent(&server, &case.target).await, 1, "sent once: {what}");
            assert!(
                steps
                    .iter()
                    .any(|s| s.text().starts_with("sent (read back shows")),
                "{what}"
            );
            assert!(
                !steps
                    .iter()
                    .any(|s| s.text().contains("ValidationException")),
                "a second request would have been refused: {what}"
            );
            assert!(!matches!(steps.last(), Some(Step::Failed(_))), "{what}");
            assert_eq!(
                phases.first().map(String::as_str),
                Some("confirmed"),
                "{what}"
            );
        }
    }
}

#[tokio::test]
async fn a_lost_answer_whose_change_never_shows_ends_not_applied() {
    let server = MockServer::start().await;
    identity(&server).await;
    lossy(&server, &sagemaker("UpdateModelPackage"), Lost::ServerError).await;
    let pending = json!({
        "ModelPackageName": "churn",
        "ModelPackageArn": format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/4"),
        "ModelPackageStatus": "Completed",
        "ModelApprovalStatus": "PendingManualApproval",
        "CreationTime": 1.8e9
    });
    Mock::given(header("x-amz-target", "SageMaker.DescribeModelPackage"))
        .respond_with(json_answer(200, &pending))
        .mount(&server)
        .await;
    let call = Call::UpdateModelPackage {
        arn: format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:model-package/churn/4"),
        approval: Approval::Approved,
    };
    let (steps, phases) = run(executor(&server).await, call, Duration::from_secs(2)).await;
    assert_eq!(sent(&server, &sagemaker("UpdateModelPackage")).await, 1);
    assert!(
        steps
            .iter()
            .any(|s| s.text() == "outcome unknown — read back shows PendingManualApproval"),
        "{steps:?}"
    );
    let Some(Step::Failed(last)) = steps.last() else {
        panic!("{steps:?}");
    };
    assert!(last.starts_with("not applied: "), "{last}");
    assert!(
        last.contains("read back shows PendingManualApproval"),
        "{last}"
    );
    assert_eq!(phases, ["confirmed", "failed"]);
}

#[tokio::test]
async fn a_refused_change_is_not_retried() {
    let server = MockServer::start().await;
    identity(&server).await;
    let throttled = json!({"__type": "ThrottlingException", "message": "Rate exceeded"});
    Mock::given(header("x-amz-target", "SageMaker.StopTrainingJob"))
        .respond_with(json_answer(400, &throttled))
        .mount(&server)
        .await;
    let call = Call::StopTrainingJob {
        name: "churn-clone-1".into(),
    };
    let (steps, phases) = run(executor(&server).await, call, Duration::from_secs(2)).await;
    assert_eq!(
        sent(&server, &sagemaker("StopTrainingJob")).await,
        1,
        "{steps:?}"
    );
    assert_eq!(
        steps.last(),
        Some(&Step::Failed(
            "throttled by AWS on sagemaker:StopTrainingJob".into()
        ))
    );
    assert_eq!(phases, ["confirmed", "failed"]);
}
