//! A model served by ECS behind a load balancer, fed by a Lambda ETL with a DLQ and
//! retrained by Step Functions, seeded through the Rust SDK into ministack (moto
//! drops Lambda's DeadLetterConfig and keeps ECS deployments IN_PROGRESS) and read
//! through `snapshot --json`; the ECS rollback driven in tmux and read back.
//! Each resource joins the row its own way: config (`ecs_service`), the `model` tag
//! (the function) and the `mlopsdash:model` tag (the state machine).

use std::io::Write;
use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    LoadBalancer, NetworkConfiguration, NetworkMode, Tag as EcsTag,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum, TargetTypeEnum};
use aws_sdk_sfn::types::Tag as SfnTag;
use serde_json::Value;

use crate::aws::{ministack_url, moto_url, row, snapshot_json_env};
use crate::seed::{sdk, unique};
use crate::tmux::Tmux;

/// Every service of this issue goes to ministack; SageMaker stays on moto.
const SERVICES: [&str; 8] = [
    "AWS_ENDPOINT_URL_ECS",
    "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SCHEDULER",
    "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
    "AWS_ENDPOINT_URL_SFN",
];

struct Seeded {
    model: String,
    cluster: String,
    service: String,
    family: String,
    function: String,
    machine: String,
    /// The hours (period starts) of the last clean and the last failed ETL run.
    success_hour: i64,
    failure_hour: i64,
}

/// A zip holding one handler, made by Python's zipfile (no zip crate for one test).
fn lambda_zip() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import io,sys,zipfile;b=io.BytesIO();z=zipfile.ZipFile(b,'w');\
             z.writestr('etl.py','def handler(e,c):\\n    raise KeyError(\"customer_id\")\\n');\
             z.close();sys.stdout.buffer.write(b.getvalue())",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

async fn seed() -> Seeded {
    let conf = sdk(&ministack_url()).await;
    let model = unique("churn-web");
    let cluster = unique("web");
    let service = unique("churn-api");
    let family = unique("churn-td");
    let function = unique("churn-etl");
    let machine = unique("retrain");
    let role = "arn:aws:iam::000000000000:role/ml";

    // The load balancer and its target group.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let lb = elb
        .create_load_balancer()
        .name(unique("alb"))
        .subnets("subnet-1")
        .subnets("subnet-2")
        .send()
        .await
        .unwrap();
    let lb_arn = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let tg = elb
        .create_target_group()
        .name(unique("tg"))
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id("vpc-1")
        .target_type(TargetTypeEnum::Ip)
        .send()
        .await
        .unwrap();
    let tg_arn = tg.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    elb.create_listener()
        .load_balancer_arn(&lb_arn)
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&tg_arn)
                .build(),
        )
        .send()
        .await
        .unwrap();

    // Two revisions; the service runs the second.
    let ecs = aws_sdk_ecs::Client::new(&conf);
    ecs.create_cluster()
        .cluster_name(&cluster)
        .send()
        .await
        .unwrap();
    for tag in ["v1", "v2"] {
        ecs.register_task_definition()
            .family(&family)
            .network_mode(NetworkMode::Awsvpc)
            .requires_compatibilities(Compatibility::Fargate)
            .cpu("256")
            .memory("512")
            .container_definitions(
                ContainerDefinition::builder()
                    .name("flask")
                    .image(format!("registry.example/churn-api:{tag}"))
                    .essential(true)
                    .build(),
            )
            .send()
            .await
            .unwrap();
    }
    ecs.create_service()
        .cluster(&cluster)
        .service_name(&service)
        .task_definition(format!("{family}:2"))
        .desired_count(2)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .subnets("subnet-1")
                        .security_groups("sg-1")
                        .assign_public_ip(AssignPublicIp::Disabled)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .load_balancers(
            LoadBalancer::builder()
                .target_group_arn(&tg_arn)
                .container_name("flask")
                .container_port(8080)
                .build(),
        )
        .tags(EcsTag::builder().key("team").value("web").build())
        .send()
        .await
        .unwrap();
    // A task of the service that crashed.
    let task = ecs
        .run_task()
        .cluster(&cluster)
        .task_definition(format!("{family}:2"))
        .started_by(&service)
        .launch_type(LaunchType::Fargate)
        .send()
        .await
        .unwrap();
    let task_arn = task.tasks()[0].task_arn().unwrap().to_string();
    ecs.stop_task()
        .cluster(&cluster)
        .task(&task_arn)
        .reason("Essential container in task exited")
        .send()
        .await
        .unwrap();

    // The ETL: a DLQ with three messages, an hourly rule, a log and its metrics.
    let sqs = aws_sdk_sqs::Client::new(&conf);
    let queue = sqs
        .create_queue()
        .queue_name(unique("etl-dlq"))
        .send()
        .await
        .unwrap();
    let url = queue.queue_url().unwrap().to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let queue_arn =
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    for n in 0..3 {
        sqs.send_message()
            .queue_url(&url)
            .message_body(format!("event {n}"))
            .send()
            .await
            .unwrap();
    }
    let lambda = aws_sdk_lambda::Client::new(&conf);
    let created = lambda
        .create_function()
        .function_name(&function)
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role)
        .handler("etl.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(lambda_zip()))
                .build(),
        )
        .dead_letter_config(
            aws_sdk_lambda::types::DeadLetterConfig::builder()
                .target_arn(&queue_arn)
                .build(),
        )
        .tags("model", &model)
        .send()
        .await
        .unwrap();
    let function_arn = created.function_arn().unwrap().to_string();
    let events = aws_sdk_eventbridge::Client::new(&conf);
    let rule = unique("etl-hourly");
    events
        .put_rule()
        .name(&rule)
        .schedule_expression("rate(1 hour)")
        .state(aws_sdk_eventbridge::types::RuleState::Enabled)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(&rule)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("etl")
                .arn(&function_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let now = jiff::Timestamp::now().as_second();
    let hour = now - now % 3600;
    let (success_hour, failure_hour) = (hour - 2 * 3600, hour - 3600);
    let cw = aws_sdk_cloudwatch::Client::new(&conf);
    let datum = |metric: &str, at: i64| {
        MetricDatum::builder()
            .metric_name(metric)
            .dimensions(
                Dimension::builder()
                    .name("FunctionName")
                    .value(&function)
                    .build(),
            )
            .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                at + 300,
            ))
            .value(1.0)
            .build()
    };
    cw.put_metric_data()
        .namespace("AWS/Lambda")
        .metric_data(datum("Invocations", hour - 3 * 3600))
        .metric_data(datum("Invocations", success_hour))
        .metric_data(datum("Invocations", failure_hour))
        .metric_data(datum("Errors", failure_hour))
        .send()
        .await
        .unwrap();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&conf);
    let group = format!("/aws/lambda/{function}");
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("2026/12/02/[$LATEST]abc")
        .send()
        .await
        .unwrap();
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("2026/12/02/[$LATEST]abc")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp((failure_hour + 310) * 1000)
                .message("[ERROR] KeyError: 'customer_id'\nTraceback (most recent call last):")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    // The retraining machine, failing in its quality gate.
    let sfn = aws_sdk_sfn::Client::new(&conf);
    let definition = r#"{"StartAt":"Prepare","States":{
        "Prepare":{"Type":"Pass","Next":"QualityGate"},
        "QualityGate":{"Type":"Fail","Error":"ModelTooWeak","Cause":"AUC 0.61 is below 0.80"}}}"#;
    let created = sfn
        .create_state_machine()
        .name(&machine)
        .definition(definition)
        .role_arn(role)
        .tags(
            SfnTag::builder()
                .key("mlopsdash:model")
                .value(&model)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let execution = sfn
        .start_execution()
        .state_machine_arn(created.state_machine_arn())
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = sfn
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .unwrap();
        if d.status().as_str() != "RUNNING" {
            assert_eq!(d.status().as_str(), "FAILED");
            break;
        }
        assert!(Instant::now() < deadline, "the execution did not end");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Seeded {
        model,
        cluster,
        service,
        family,
        function,
        machine,
        success_hour,
        failure_hour,
    }
}

fn config(s: &Seeded) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(
        f,
        "[[models]]\nname = \"{}\"\necs_service = \"{}/{}\"\n",
        s.model, s.cluster, s.service
    )
    .unwrap();
    f
}

fn env() -> Vec<(&'static str, String)> {
    SERVICES.iter().map(|v| (*v, ministack_url())).collect()
}

fn at(v: &Value) -> i64 {
    v.as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_second()
}

#[test]
fn an_ecs_lambda_and_step_functions_model_reads_whole_from_its_three_services() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(seed());
    let config = config(&s);
    let env = env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, json) = snapshot_json_env(
        &moto_url(),
        &ministack_url(),
        config.path().to_str().unwrap(),
        &["--fail-on", "never"],
        &env,
    );
    let m = row(&json, &s.model);

    let ep = &m["endpoint"];
    assert_eq!(ep["kind"], "ecs", "{ep:#}");
    assert_eq!(ep["service"], format!("{}/{}", s.cluster, s.service));
    assert_eq!(ep["desired"], 2);
    assert_eq!(ep["task_definition"], format!("{}:2", s.family));
    assert_eq!(ep["previous_task_definition"], format!("{}:1", s.family));
    assert_eq!(ep["image"], "registry.example/churn-api:v2");
    assert_eq!(ep["targets_unhealthy"], 0);
    assert_eq!(
        ep["stopped_tasks"][0]["reason"],
        "Essential container in task exited"
    );

    let data = &m["data"];
    assert_eq!(data["source"], "lambda", "{data:#}");
    assert_eq!(data["function"], s.function.as_str());
    assert_eq!(data["dlq_depth"], 3);
    assert_eq!(data["schedule"], "rate(1 hour)");
    assert!(data["scheduled_by"]
        .as_str()
        .unwrap()
        .starts_with("rule etl-hourly"));
    assert_eq!(at(&data["last_success"]), s.success_hour);
    assert_eq!(at(&data["last_failure"]), s.failure_hour);
    assert_eq!(data["log_tail"][0], "[ERROR] KeyError: 'customer_id'");
    assert_eq!(m["stages"]["data"]["health"], "warn");
    assert_eq!(m["stages"]["data"]["summary"], "ETL failed");

    let training = &m["training"];
    assert_eq!(training["source"], "stepfunctions", "{training:#}");
    assert_eq!(training["status"], "Failed");
    assert_eq!(training["failed_state"], "QualityGate");
    assert_eq!(
        training["failure_reason"],
        "ModelTooWeak: AUC 0.61 is below 0.80"
    );
    let pieces: Vec<String> = m["identity"]["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} by {}",
                p["what"].as_str().unwrap(),
                p["by"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        pieces.contains(&format!("Lambda ETL {} by tag", s.function)),
        "{pieces:?}"
    );
    assert!(
        pieces.contains(&format!("state machine {} by tag", s.machine)),
        "{pieces:?}"
    );
    assert!(
        pieces.contains(&format!(
            "ECS service {}/{} by config",
            s.cluster, s.service
        )),
        "{pieces:?}"
    );
    let calls = &json["api_calls"];
    assert!(
        calls["ECS:DescribeServices"].as_u64().unwrap() >= 1,
        "{calls:#}"
    );
}

#[test]
fn a_person_rolls_the_ecs_service_back_to_the_revision_before() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(seed());
    let config = config(&s);
    let t = Tmux::start(160, 45);
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    let routes: String = env().iter().map(|(k, v)| format!("{k}={v} ")).collect();
    t.keys(&[
        &format!(
            "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
             AWS_ENDPOINT_URL_CLOUDWATCH={} {routes}{bin} --region us-east-1 --endpoint-url {} \
             --config {}",
            ministack_url(),
            moto_url(),
            config.path().display()
        ),
        "Enter",
    ]);
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    t.keys(&["/", &s.model, "Enter"]);
    t.wait_for_all(&["(1/", "2/2 tasks"], "the service's tasks in its row");
    t.keys(&["B"]);
    t.wait_for_all(
        &[
            "ecs:UpdateService",
            &format!("taskDefinition: \"{}:1\"", s.family),
            &format!("serving {}:2", s.family),
        ],
        "the rollback dialog with the exact call",
    );
    t.keys(&["y"]);
    t.wait_for("rollback succeeded", "the rollout read back to its end");
    let served = rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&sdk(&ministack_url()).await);
        let d = ecs
            .describe_services()
            .cluster(&s.cluster)
            .services(&s.service)
            .send()
            .await
            .unwrap();
        d.services()[0].task_definition().unwrap().to_string()
    });
    assert!(served.ends_with(&format!("{}:1", s.family)), "{served}");
    t.keys(&["q"]);
    t.assert_clean_shell("the ECS rollback");
}
