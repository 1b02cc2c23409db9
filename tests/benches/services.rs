//! Requests and wall time of one ECS, one Lambda and one Step Functions refresh
//! against ministack (seeded as the integration tests seed it: one model's service
//! behind a load balancer, its ETL with a DLQ and an hourly rule, its state machine
//! with a failed execution, and a second tagged service), through a loopback proxy
//! adding AWS's latency (60 ms a request; set MLOPSDASH_BENCH_LATENCY_MS). The first
//! refresh lists and describes everything; the second finds the listings, images,
//! revisions, tags, schedules, failures and logs it already has. Run with
//! `cargo test --bench services -- --bench` after sourcing tests/scripts/emulators.sh;
//! under `cargo test` it is a smoke run without latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use mlopsdash::aws::ApiCalls;
use mlopsdash::config::{EcsServiceName, ModelMapping};
use mlopsdash::source::aws::changes::ChangesSource;
use mlopsdash::source::aws::{EcsSource, Joining, LambdaSource, StepFunctionsSource};
use mlopsdash::source::{Source, Update};

#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/seed.rs"]
mod seed;
#[path = "../common/services_seed.rs"]
mod services_seed;

use proxy::{Faults, Proxy};

fn main() {
    let Ok(ministack) = std::env::var("MLOPSDASH_TEST_MINISTACK_URL") else {
        println!("services: skipped (tests/scripts/emulators.sh starts ministack)");
        return;
    };
    let bench = std::env::args().any(|a| a == "--bench");
    let latency_ms: u64 = proxy::bench_latency_ms(bench);
    println!("services: {latency_ms} ms added to every request");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        // Measured alone, on an empty emulator (the smoke run shares it with the tests).
        if bench {
            let reset = format!("{ministack}/_ministack/reset");
            reqwest::Client::new().post(reset).send().await.unwrap();
        }
        let s = services_seed::seed(&ministack).await;
        let faults = Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        };
        let proxy = Proxy::start(&ministack, faults).await;
        let sdk = seed::sdk(&proxy.url).await;
        let calls = ApiCalls::default();
        let mappings = vec![ModelMapping {
            name: s.model.clone(),
            ecs_service: Some(EcsServiceName {
                cluster: s.cluster.clone(),
                service: s.service.clone(),
            }),
            ..ModelMapping::default()
        }];
        let joining = Joining {
            mappings,
            tag_keys: vec!["model".to_string(), "mlopsdash:model".to_string()],
            discover: true,
            in_flight: 16,
        };
        let mut ecs = EcsSource::new(&sdk, &calls).joining(joining.clone());
        let mut lambda = LambdaSource::new(&sdk, &calls).joining(joining.clone());
        let mut sfn = StepFunctionsSource::new(&sdk, &calls).joining(joining);
        for refresh in ["first", "second"] {
            let before = calls.counts();
            let started = Instant::now();
            let (e, l, f) = tokio::join!(ecs.fetch(), lambda.fetch(), sfn.fetch());
            let took = started.elapsed();
            let rows = |u: &Update| match u {
                Update::Fleet { fleet, .. } => fleet.models.len(),
                other => panic!("{other:?}"),
            };
            let asked = |service: &str| -> u64 {
                calls
                    .counts()
                    .iter()
                    .filter(|(k, _)| k.starts_with(service))
                    .map(|(k, n)| n - before.get(k).copied().unwrap_or(0))
                    .sum()
            };
            println!(
                "services: {refresh} refresh: ECS {} rows, {} ECS + {} ELB requests; Lambda {} \
                 rows, {} Lambda + {} SQS + {} EventBridge/Scheduler + {} Logs + {} CloudWatch \
                 requests ({} metrics); Step Functions {} rows, {} requests; {:.0} ms",
                rows(&e),
                asked("ECS:"),
                asked("Elastic Load Balancing v2:"),
                rows(&l),
                asked("Lambda:"),
                asked("SQS:"),
                asked("EventBridge:") + asked("Scheduler:"),
                asked("CloudWatch Logs:"),
                asked("CloudWatch:GetMetricData") - asked("CloudWatch:GetMetricData/"),
                asked("CloudWatch:GetMetricData/"),
                rows(&f),
                asked("SFN:"),
                took.as_secs_f64() * 1000.0
            );
        }
        // What changed: CloudTrail's lookups are paced at 2 a second whatever the
        // latency; the second refresh within a minute is answered from memory.
        let mut changes = ChangesSource::new(&sdk, &calls);
        for refresh in ["first", "second"] {
            let before = calls.counts();
            let started = Instant::now();
            let found = match changes.fetch().await {
                Update::Fleet { fleet, .. } => fleet.changes.len(),
                other => panic!("{other:?}"),
            };
            let asked = |key: &str| {
                calls.counts().get(key).copied().unwrap_or(0)
                    - before.get(key).copied().unwrap_or(0)
            };
            println!(
                "changes: {refresh} refresh: {found} changes, {} LookupEvents + {} \
                 DescribeAlarmHistory requests, {:.0} ms",
                asked("CloudTrail:LookupEvents"),
                asked("CloudWatch:DescribeAlarmHistory"),
                started.elapsed().as_secs_f64() * 1000.0
            );
        }
    });
}
