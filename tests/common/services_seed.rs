//! Seeding a model served by ECS behind a load balancer, fed by a Lambda ETL with a
//! DLQ and retrained by Step Functions, through the Rust SDK into ministack: shared
//! by the integration tests and the services benchmark.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    LoadBalancer, NetworkConfiguration, NetworkMode, Tag as EcsTag,
};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum, TargetTypeEnum};
use aws_sdk_sfn::types::Tag as SfnTag;

use super::seed::{sdk, unique};

pub struct Seeded {
    pub model: String,
    /// A second model, served by a service only its tag names.
    pub tagged: String,
    /// The service only its tag joins to `tagged`.
    pub tagged_service: String,
    /// The Scheduler schedule of the tagged model's ETL.
    pub schedule: String,
    pub cluster: String,
    pub service: String,
    pub family: String,
    pub function: String,
    pub machine: String,
    /// The hours (period starts) of the last clean and the last failed ETL run.
    pub success_hour: i64,
    pub failure_hour: i64,
}

/// A Fargate service's network, which CreateService requires.
fn fargate_network() -> NetworkConfiguration {
    NetworkConfiguration::builder()
        .awsvpc_configuration(
            AwsVpcConfiguration::builder()
                .subnets("subnet-1")
                .security_groups("sg-1")
                .assign_public_ip(AssignPublicIp::Disabled)
                .build()
                .unwrap(),
        )
        .build()
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

/// One model's service, ETL and state machine (and a second service only its tag
/// names) in the emulator at `url`.
pub async fn seed(url: &str) -> Seeded {
    let conf = sdk(url).await;
    let model = unique("churn-web");
    let tagged = unique("pricing-web");
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
        .network_configuration(fargate_network())
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
    // A second service, joined by its tag alone.
    let tagged_service = unique("pricing-api");
    ecs.create_service()
        .cluster(&cluster)
        .service_name(&tagged_service)
        .task_definition(format!("{family}:1"))
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(fargate_network())
        .tags(EcsTag::builder().key("model").value(&tagged).build())
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
    // The tagged model's ETL: no DLQ, on a Scheduler schedule in Berlin time.
    let nightly = lambda
        .create_function()
        .function_name(unique("pricing-etl"))
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .role(role)
        .handler("etl.handler")
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(lambda_zip()))
                .build(),
        )
        .tags("model", &tagged)
        .send()
        .await
        .unwrap();
    let schedule = unique("pricing-nightly");
    aws_sdk_scheduler::Client::new(&conf)
        .create_schedule()
        .name(&schedule)
        .schedule_expression("cron(0 2 * * ? *)")
        .schedule_expression_timezone("Europe/Berlin")
        .flexible_time_window(
            aws_sdk_scheduler::types::FlexibleTimeWindow::builder()
                .mode(aws_sdk_scheduler::types::FlexibleTimeWindowMode::Off)
                .build()
                .unwrap(),
        )
        .target(
            aws_sdk_scheduler::types::Target::builder()
                .arn(nightly.function_arn().unwrap())
                .role_arn(role)
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
    // The load balancer's view of the service, two minutes ago: 6% 5xx, 420 ms.
    let lb_dim = lb_arn.split_once(":loadbalancer/").unwrap().1.to_string();
    let tg_dim = tg_arn.rsplit_once(':').unwrap().1.to_string();
    let minute = now - now % 60 - 120;
    let alb = |metric: &str, value: f64| {
        MetricDatum::builder()
            .metric_name(metric)
            .dimensions(
                Dimension::builder()
                    .name("LoadBalancer")
                    .value(&lb_dim)
                    .build(),
            )
            .dimensions(
                Dimension::builder()
                    .name("TargetGroup")
                    .value(&tg_dim)
                    .build(),
            )
            .timestamp(aws_sdk_cloudwatch::primitives::DateTime::from_secs(
                minute + 10,
            ))
            .value(value)
            .build()
    };
    cw.put_metric_data()
        .namespace("AWS/ApplicationELB")
        .metric_data(alb("RequestCount", 200.0))
        .metric_data(alb("HTTPCode_Target_5XX_Count", 12.0))
        .metric_data(alb("TargetResponseTime", 0.42))
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
        tagged,
        tagged_service,
        schedule,
        cluster,
        service,
        family,
        function,
        machine,
        success_hour,
        failure_hour,
    }
}
