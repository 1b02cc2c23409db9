//! What watching several accounts and regions costs: the real `snapshot --json`
//! against moto (ministack for CloudWatch and CloudTrail) through a loopback proxy
//! adding AWS's latency (60 ms a request; MLOPSDASH_BENCH_LATENCY_MS), for one
//! region, two regions (a DR pair per model), and two accounts (prod in two
//! regions, dev through an assumed role). Prints the wall time and the requests of
//! each account × region. Run with `cargo test --bench scopes -- --bench` after
//! sourcing tests/scripts/emulators.sh; under `cargo test` it is a smoke run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/scopes_seed.rs"]
mod scopes_seed;
#[path = "../common/seed.rs"]
mod seed;

use proxy::{Faults, Proxy};

const DEV_ROLE: &str = "arn:aws:iam::222222222222:role/mlopsdash-bench";

fn main() {
    let Some((moto, ministack)) = seed::emulator_urls() else {
        println!("scopes: skipped (tests/scripts/emulators.sh starts moto and ministack)");
        return;
    };
    let bench = std::env::args().any(|a| a == "--bench");
    let latency_ms: u64 = proxy::bench_latency_ms(bench);
    println!("scopes: {latency_ms} ms added to every request");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (proxy, names) = rt.block_on(async {
        let east = seed::sdk(&moto).await;
        let west = scopes_seed::in_region(&east, "us-west-2");
        let dev = scopes_seed::assumed(&east, DEV_ROLE).await;
        let run = seed::unique("bench-dr");
        let mut names = Vec::new();
        for i in 0..2 {
            let name = format!("{run}-{i}");
            for sdk in [&east, &west, &dev] {
                seed::seed_registered_model(sdk, &name, &["Approved"], 1, &[]).await;
            }
            names.push(name);
        }
        let faults = Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        };
        (Proxy::start(&moto, faults).await, names)
    });
    let models: String = names
        .iter()
        .map(|n| format!("\n[[models]]\nname = \"{n}\"\nendpoint = \"{n}-prod\"\n"))
        .collect();
    let setups = [
        (
            "one region",
            "[aws]\ndiscover = false\nregions = [\"us-east-1\"]\n".to_string(),
        ),
        (
            "two regions",
            "[aws]\ndiscover = false\nregions = [\"us-east-1\", \"us-west-2\"]\n".to_string(),
        ),
        (
            "two accounts",
            format!(
                "[aws]\ndiscover = false\nregions = [\"us-east-1\", \"us-west-2\"]\n\n\
                 [[accounts]]\nlabel = \"prod\"\n\n[[accounts]]\nlabel = \"dev\"\n\
                 role_arn = \"{DEV_ROLE}\"\nregions = [\"us-east-1\"]\n"
            ),
        ),
    ];
    for (what, aws) in setups {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, format!("{aws}{models}")).unwrap();
        let started = Instant::now();
        let out = binary::aws_binary(dir.path(), &ministack, &ministack)
            .args(["snapshot", "--json", "--fail-on", "never", "--endpoint-url"])
            .arg(&proxy.url)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let took = started.elapsed();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        let scopes: Vec<String> = v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} requests",
                    s["label"].as_str().unwrap_or("-"),
                    s["region"].as_str().unwrap_or("?"),
                    s["requests"]
                )
            })
            .collect();
        let total: u64 = v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["requests"].as_u64().unwrap_or(0))
            .sum();
        let paired = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| !m["failover"].is_null())
            .count();
        assert!(total > 0, "{what}: no requests: {v}");
        println!(
            "scopes: {what}: {} rows ({paired} DR pairs), {total} requests ({}), {} ms",
            v["models"].as_array().unwrap().len(),
            scopes.join(", "),
            took.as_millis()
        );
    }
}
