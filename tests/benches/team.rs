//! What a team pays: one collector and N viewers against N dashboards of their own.
//! The real binary against moto (ministack for CloudWatch and CloudTrail), every
//! request through a loopback proxy adding AWS's latency (60 ms;
//! MLOPSDASH_BENCH_LATENCY_MS) and counting requests by the service each is signed
//! for. `collect` runs for a few states (refreshing every 10 s); then `snapshot
//! --from` reads the newest as a viewer does. Prints the requests per state, the
//! state's size, the viewer's requests and time, and the day's requests for N of
//! each. Run with `cargo test --bench team -- --bench` after sourcing
//! tests/scripts/emulators.sh; under `cargo test` it is a smoke run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/seed.rs"]
mod seed;

use proxy::{Faults, Proxy};

/// A viewer asks for the pointer this often (source/team POLL_EVERY) and reads a
/// new state each time the collector writes one (every minute by default).
const POINTER_READS_PER_DAY: f64 = 86_400.0 / 15.0;
const STATES_PER_DAY: f64 = 86_400.0 / 60.0;
/// S3 request prices (us-east-1): PUT $0.005 and GET $0.0004 per 1,000.
const PUT_USD: f64 = 0.005 / 1000.0;
const GET_USD: f64 = 0.0004 / 1000.0;

fn main() {
    let Some((moto, ministack)) = seed::emulator_urls() else {
        println!("team: skipped (tests/scripts/emulators.sh starts moto and ministack)");
        return;
    };
    let bench = std::env::args().any(|a| a == "--bench");
    let latency_ms = proxy::bench_latency_ms(bench);
    // Measured at the default refresh (60 s); a smoke run refreshes every 10 s.
    let (models, states, refresh) = if bench { (20, 4, 60) } else { (3, 2, 10) };
    println!("team: {latency_ms} ms added to every request, {models} models");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bucket = seed::unique("bench-team");
    let faults = Faults {
        latency: Duration::from_millis(latency_ms),
        ..Faults::default()
    };
    let (aws, metrics) = rt.block_on(async {
        let sdk = seed::sdk(&moto).await;
        let run = seed::unique("bench-team");
        for i in 0..models {
            let name = format!("{run}-{i}");
            seed::seed_registered_model(&sdk, &name, &["Approved"], 1, &[]).await;
        }
        seed::s3(&sdk)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        (
            Proxy::start(&moto, faults).await,
            Proxy::start(&ministack, faults).await,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("[aws]\nrefresh_seconds = {refresh}\n")).unwrap();
    let command = |args: &[&str]| {
        let mut c = binary::aws_binary(dir.path(), &metrics.url, &metrics.url);
        c.args(["--region", "us-east-1", "--endpoint-url", &aws.url])
            .arg("--config")
            .arg(&config)
            .args(args);
        c
    };
    let to = format!("s3://{bucket}/team/");
    let started = Instant::now();
    let count = states.to_string();
    let mut child = command(&["collect", "--to", &to, "--every", "10", "--count", &count])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The requests at the first state (the first gather's) and at the last: the
    // difference is the steady pace.
    let mut sizes = Vec::new();
    let mut first: Option<(Instant, BTreeMap<String, u64>)> = None;
    let lines = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in std::io::BufRead::lines(lines) {
        let line = line.unwrap();
        let Some(size) = line.split(" (").nth(1).filter(|_| line.contains(" wrote ")) else {
            continue;
        };
        sizes.push(size.split(',').next().unwrap_or("?").to_string());
        if first.is_none() {
            first = Some((Instant::now(), merged(&aws.services(), &metrics.services())));
        }
    }
    assert!(child.wait().unwrap().success());
    let collected_for = started.elapsed();
    let collector = merged(&aws.services(), &metrics.services());
    let (first_at, at_first) = first.unwrap();
    let steady = since(&collector, &at_first);
    let steady_secs = first_at.elapsed().as_secs_f64().max(1.0);

    let (before_aws, before_metrics) = (aws.services(), metrics.services());
    let started = Instant::now();
    let out = command(&["snapshot", "--json", "--fail-on", "never", "--from", &to])
        .output()
        .unwrap();
    let viewed_in = started.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["source"], "collector");
    let viewer = since(
        &merged(&aws.services(), &metrics.services()),
        &merged(&before_aws, &before_metrics),
    );
    assert_eq!(viewer.keys().collect::<Vec<_>>(), ["s3"], "{viewer:?}");

    // What the collector asks of AWS besides its own S3 writes: what each
    // dashboard would ask.
    let gathering: u64 = steady
        .iter()
        .filter(|(s, _)| s.as_str() != "s3")
        .map(|(_, n)| n)
        .sum();
    let per_second = gathering as f64 / steady_secs;
    println!(
        "team: collect: {states} states in {:.1} s, sizes {}; all requests {collector:?}",
        collected_for.as_secs_f64(),
        sizes.join(", ")
    );
    println!(
        "team: after the first state, {:.0} s at refresh_seconds = {refresh}: {steady:?}",
        steady_secs
    );
    println!(
        "team: a viewer's first read (snapshot --from): {viewer:?} in {} ms",
        viewed_in.as_millis()
    );
    // A day at the steady pace measured here, for N people.
    let dashboard_day = per_second * 86_400.0;
    let collector_s3_usd = 2.0 * STATES_PER_DAY * PUT_USD;
    let viewer_day = POINTER_READS_PER_DAY + STATES_PER_DAY;
    // Each dashboard's paid requests (CloudWatch metrics and the rest, as it prices
    // them itself): the collector's, once.
    let paid = v["spending"]["projected_per_day"]
        .as_f64()
        .unwrap_or(f64::NAN);
    for n in [1.0, 5.0, 20.0] {
        println!(
            "team: N = {n}: {n} dashboards {:.0} AWS requests/day, ${:.3}/day; one collector {:.0} + {n} viewers {:.0} S3 GETs/day, ${:.3}/day",
            n * dashboard_day,
            n * paid,
            dashboard_day,
            n * viewer_day,
            paid + collector_s3_usd + n * viewer_day * GET_USD
        );
    }
}

/// Requests by service from both proxies.
fn merged(a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let mut all = a.clone();
    for (s, n) in b {
        *all.entry(s.clone()).or_default() += n;
    }
    all
}

/// What was asked between two counts.
fn since(now: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    now.iter()
        .map(|(s, n)| (s.clone(), n - before.get(s).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}
