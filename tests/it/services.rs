//! A model served by ECS behind a load balancer, fed by a Lambda ETL with a DLQ and
//! retrained by Step Functions, seeded through the Rust SDK into ministack (moto
//! drops Lambda's DeadLetterConfig and keeps ECS deployments IN_PROGRESS) and read
//! through `snapshot --json`; the ECS rollback driven in tmux and read back.
//! Each resource joins the row its own way: config (`ecs_service`), the `model` tag
//! (the function) and the `mlopsdash:model` tag (the state machine).

use std::io::Write;

use serde_json::Value;

use crate::aws::{ministack_url, moto_url, row, snapshot_json_env};
use crate::seed::sdk;
use crate::services_seed::{seed, Seeded};
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

fn config(s: &Seeded) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    write!(
        f,
        "[[models]]\nname = \"{}\"\necs_service = \"{}/{}\"\n\
         [[models]]\nname = \"{}\"\necs_service = \"{}/no-such-service\"\n\
         etl_function = \"no-such-etl-{}\"\n",
        s.model,
        s.cluster,
        s.service,
        orphan(s),
        s.cluster,
        s.family
    )
    .unwrap();
    f
}

/// A model config maps to a service and a function that do not exist.
fn orphan(s: &Seeded) -> String {
    format!("orphan-{}", s.family)
}

fn env() -> Vec<(&'static str, String)> {
    SERVICES.iter().map(|v| (*v, ministack_url())).collect()
}

/// `snapshot --json` of the seeded model's config, the services routed by `env`.
fn snapshot(s: &Seeded, env: &[(&'static str, String)]) -> Value {
    let config = config(s);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, json) = snapshot_json_env(
        &moto_url(),
        &ministack_url(),
        config.path().to_str().unwrap(),
        &["--fail-on", "never"],
        &env,
    );
    json
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
    let s = rt.block_on(seed(&ministack_url()));
    let json = snapshot(&s, &env());
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
    // The load balancer's metrics, read as the endpoint's (seconds shown in ms).
    let metrics = &m["metrics"];
    assert_eq!(metrics["5xxRate"], 6.0, "{metrics:#}");
    assert_eq!(metrics["ModelLatency.p99"], 420.0, "{metrics:#}");
    assert_eq!(m["stages"]["endpoint"]["health"], "crit");

    let other = row(&json, &s.tagged);
    assert_eq!(other["endpoint"]["kind"], "ecs");
    assert_eq!(
        other["endpoint"]["task_definition"],
        format!("{}:1", s.family)
    );
    assert_eq!(other["endpoint"]["previous_task_definition"], Value::Null);
    assert_eq!(other["identity"]["by"], "tag");
    // Its ETL: on an EventBridge Scheduler schedule, with no DLQ to measure.
    let data = &other["data"];
    assert_eq!(data["schedule"], "cron(0 2 * * ? *)", "{data:#}");
    assert_eq!(
        data["scheduled_by"],
        format!("schedule default/{}", s.schedule)
    );
    assert_eq!(data["dlq_depth"], Value::Null);
    assert_eq!(data["last_success"], Value::Null);
    assert_eq!(other["stages"]["data"]["summary"], "no successful run");

    // Config names a service and a function that do not exist: said on that row alone.
    let gone = row(&json, &orphan(&s));
    assert_eq!(gone["endpoint"]["status"], "MISSING", "{gone:#}");
    assert_eq!(gone["stages"]["endpoint"]["health"], "crit");
    let errors = json["errors"].to_string();
    assert!(
        errors.contains(&format!(
            "Lambda function no-such-etl-{} not found",
            s.family
        )),
        "{errors}"
    );
    assert_eq!(
        m["stages"]["data"]["summary"], "ETL failed",
        "the rest still read"
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
    let s = rt.block_on(seed(&ministack_url()));
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
    // The cell says its tasks until CloudWatch's 5xx (seeded) outranks them.
    t.wait_until("the service in its row", |s| {
        s.contains("(1/") && (s.contains("2/2 tasks") || s.contains("5xx 6.0%"))
    });
    t.press_until("B", "ecs:UpdateService");
    t.wait_for_all(
        &[
            "ecs:UpdateService",
            &format!("taskDefinition: \"{}:1\"", s.family),
            &format!("serving {}:2", s.family),
        ],
        "the rollback dialog with the exact call",
    );
    t.keys(&["y"]);
    // The status line, not the event list: other tests' models share the
    // servers, and their transitions can push the event out of sight.
    t.wait_for(
        &format!("succeeded: {}:1", s.family),
        "the rollout read back to its end",
    );
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

#[test]
fn a_load_balancer_that_throttles_every_request_leaves_the_rest_of_the_service() {
    use crate::proxy::{Faults, Proxy};
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(seed(&ministack_url()));
    let throttling = Faults {
        throttled: 1.0,
        ..Faults::default()
    };
    let proxy = rt.block_on(Proxy::start(&ministack_url(), throttling));
    let mut env = env();
    for (k, v) in &mut env {
        if *k == "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2" {
            *v = proxy.url.clone();
        }
    }
    // The proxy answers on the runtime's workers while the binary runs.
    let json = snapshot(&s, &env);
    let ep = &row(&json, &s.model)["endpoint"];
    // The service itself, its revisions and stopped tasks still show...
    assert_eq!(ep["task_definition"], format!("{}:2", s.family), "{ep:#}");
    assert_eq!(ep["previous_task_definition"], format!("{}:1", s.family));
    // ... its targets are unknown, not healthy, and the errors say why in one line.
    assert_eq!(ep["targets_unhealthy"], Value::Null);
    let errors: Vec<String> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e["source"], e["message"]))
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("ecs")
            && e.contains(&s.model)
            && e.contains("elasticloadbalancing:Describe")),
        "{errors:?}"
    );
    assert!(proxy.requests() >= 1);
}
