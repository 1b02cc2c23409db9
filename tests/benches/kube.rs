//! Requests and wall time of one refresh of models served on Kubernetes: the
//! Kubernetes source (InferenceServices, Deployments, each workload's pods) on the
//! local API server and the Prometheus source on a real Prometheus, for 20 models
//! (10 KServe canaries, 10 FastAPI Deployments; MLOPSDASH_BENCH_MODELS), both behind
//! a loopback proxy adding AWS's in-region latency to every request (60 ms; set
//! MLOPSDASH_BENCH_LATENCY_MS). Run with `cargo test --features servers --bench kube
//! -- --bench` after sourcing tests/scripts/emulators.sh; under `cargo test` it is a
//! smoke run of 4 models without latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use mlopsdash::aws::ApiCalls;
use mlopsdash::config::Config;
use mlopsdash::source::serving::ServingSetup;
use mlopsdash::source::{Source, Update};
use serde_json::Value;

#[path = "../common/kube.rs"]
mod kube;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/seed.rs"]
mod seed;

/// `count` workloads cloned from the fixture's canary InferenceService and
/// labelled Deployment (with their pods), half of each.
fn cluster(count: usize) -> (Value, Vec<String>, Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/cluster.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let isvc = fixture["inferenceservices"][0].clone();
    let deployment = fixture["deployments"][0].clone();
    let pod_of = |prefix: &str| -> Value {
        fixture["pods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["metadata"]["name"].as_str().unwrap().starts_with(prefix))
            .unwrap()
            .clone()
    };
    let (isvc_pod, deployment_pod) = (pod_of("fraud-detector"), pod_of("pricing-api"));
    let rename = |v: &Value, from: &str, to: &str| -> Value {
        serde_json::from_str(&v.to_string().replace(from, to)).unwrap()
    };
    let (mut isvcs, mut deployments, mut pods) = (Vec::new(), Vec::new(), Vec::new());
    let (mut isvc_names, mut deployment_names) = (Vec::new(), Vec::new());
    for i in 0..count {
        if i % 2 == 0 {
            let name = format!("scorer-{i:03}");
            let mut o = rename(&isvc, "fraud-detector", &name);
            o["metadata"]["labels"]["model"] = Value::from(format!("model-{i:03}"));
            isvcs.push(o);
            pods.push(rename(&isvc_pod, "fraud-detector", &name));
            isvc_names.push(name);
        } else {
            let name = format!("api-{i:03}");
            let mut o = rename(&deployment, "pricing-api", &name);
            o["metadata"]["labels"]["model"] = Value::from(format!("model-{i:03}"));
            deployments.push(o);
            pods.push(rename(&deployment_pod, "pricing-api", &name));
            deployment_names.push(name);
        }
    }
    let objects = serde_json::json!({
        "inferenceservices": isvcs,
        "deployments": deployments,
        "replicasets": [],
        "pods": pods,
    });
    (objects, isvc_names, deployment_names)
}

fn main() {
    let Ok(moto) = std::env::var("MLOPSDASH_TEST_MOTO_URL") else {
        println!("kube: skipped (tests/scripts/test starts what it needs)");
        return;
    };
    let bench = std::env::args().any(|a| a == "--bench");
    let models: usize = std::env::var("MLOPSDASH_BENCH_MODELS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 20 } else { 4 });
    let latency = Duration::from_millis(proxy::bench_latency_ms(bench));
    println!(
        "kube: {models} models, {} ms added to every request",
        latency.as_millis()
    );
    let dir = tempfile::tempdir().unwrap();
    let (objects, isvcs, deployments) = cluster(models);
    let fixture = dir.path().join("cluster.json");
    std::fs::write(&fixture, objects.to_string()).unwrap();
    let server =
        kube::KubeServer::start_with(dir.path(), &fixture, mlopsdash::source::k8s::api::PAGE);
    let now = jiff::Timestamp::now().as_second();
    let isvc_refs: Vec<&str> = isvcs.iter().map(String::as_str).collect();
    let deployment_refs: Vec<&str> = deployments.iter().map(String::as_str).collect();
    let mut metrics = kube::series(now, &isvc_refs, (&deployment_refs, &[]));
    metrics.push_str("# EOF\n");
    let prom = kube::prometheus(&dir.path().join("prometheus"), &metrics, false);
    let prom_port: u16 = prom.url.rsplit(':').next().unwrap().parse().unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let kube_port = kube::delayed(server.port, latency).await;
        let prom_port = kube::delayed(prom_port, latency).await;
        let kubeconfig = server.kubeconfig_at("bench", &format!("https://127.0.0.1:{kube_port}"));
        let text = format!(
            "[kubernetes]\nkubeconfig = \"{}\"\n\n[prometheus]\nurl = \"http://127.0.0.1:{prom_port}\"\n",
            kubeconfig.display()
        );
        let config = Config::parse(Path::new("bench.toml"), &text).unwrap();
        let sdk = seed::sdk(&moto).await;
        let calls = ApiCalls::default();
        let setup = ServingSetup::from_config(&config, Some(&sdk), &calls);
        let (mut clusters, prometheus) = setup.sources();
        let mut prometheus = prometheus.unwrap();
        // A third refresh, in the bench only, once the minute has turned: Prometheus
        // is asked for the new minute alone.
        let refreshes: &[&str] = if bench {
            &["first", "second (the same minute)", "a minute later"]
        } else {
            &["first", "second (the same minute)"]
        };
        let mut last_minute = None;
        for refresh in refreshes {
            if refresh.starts_with("a minute") {
                let second = jiff::Timestamp::now().as_second() % 60;
                tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
            }
            let before = calls.counts();
            let started = Instant::now();
            let Update::Fleet { fleet, .. } = clusters[0].fetch().await else {
                panic!("the Kubernetes source failed");
            };
            let listed = started.elapsed();
            let minute = || jiff::Timestamp::now().as_second() / 60;
            let started_in = minute();
            let Update::Fleet { fleet: metrics, .. } = prometheus.fetch().await else {
                panic!("the Prometheus source failed");
            };
            // This fetch and the one before it both within one minute.
            let same_minute = last_minute == Some(minute());
            last_minute = Some(started_in);
            let took = started.elapsed();
            assert_eq!(fleet.models.len(), models, "every workload is a row");
            let with_metrics = metrics
                .models
                .iter()
                .filter(|m| m.metrics.contains_key("Invocations"))
                .count();
            assert_eq!(with_metrics, models, "every workload has its traffic");
            let asked: Vec<String> = calls
                .counts()
                .iter()
                .filter_map(|(op, n)| {
                    let n = n - before.get(op).copied().unwrap_or(0);
                    (n > 0).then(|| format!("{op} {n}"))
                })
                .collect();
            let requests = |counts: &std::collections::BTreeMap<String, u64>| -> u64 {
                counts
                    .iter()
                    .filter(|(op, _)| mlopsdash::model::pricing::counts_requests(op))
                    .map(|(_, n)| n)
                    .sum()
            };
            let total = requests(&calls.counts()) - requests(&before);
            if same_minute {
                let asked = |c: &std::collections::BTreeMap<String, u64>| {
                    c.get("Prometheus:QueryRange").copied().unwrap_or(0)
                };
                assert_eq!(
                    asked(&calls.counts()),
                    asked(&before),
                    "nothing new to ask Prometheus within the minute"
                );
            }
            println!(
                "kube: {refresh} refresh of {models} models: rows at {:.2} s, metrics at {:.2} s, {total} requests ({})",
                listed.as_secs_f64(),
                took.as_secs_f64(),
                asked.join(", ")
            );
        }
    });
}
