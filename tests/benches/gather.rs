//! AWS requests and wall time to gather a seeded fleet of 20 and 100 models from the
//! emulators (moto for SageMaker/S3/STS, ministack for CloudWatch): the first refresh
//! (every lineage join: models, package versions, the artifact index, the jobs that
//! wrote what serves) and a steady-state one (immutable descriptions cached). Run with tests/scripts/bench-gather, which starts the emulators.
//! Under `cargo test` it gathers a 3-model fleet once, as a smoke test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::Instant;

use aws_config::SdkConfig;
use mlopsdash::config::Config;
use mlopsdash::source::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
use mlopsdash::source::aws::targets::endpoint_targets;
use mlopsdash::source::aws::{ApiCalls, S3Source, SageMakerSource, METRICS_REQUESTED};
use mlopsdash::source::{Source, Update};

#[path = "../common/seed.rs"]
mod seed;

use seed::{cloudwatch, put, put_with_unit, s3, sdk, seed_convention, Convention};

/// `n` models as teams deploy them, the three conventions in turn (artifact-only
/// models with suffix names, tag-named endpoints, pipeline registries with blue/green
/// variants: every lineage join is exercised), raw data in S3 and a business metric
/// in CloudWatch; and the config naming each model and its endpoint only.
async fn seed(moto: &SdkConfig, ministack: &SdkConfig, run: &str, n: usize) -> String {
    let (s3, cw) = (s3(moto), cloudwatch(ministack));
    let bucket = format!("{run}-raw");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut config = String::from("[aws]\ndiscover = false\n");
    let conventions = [
        Convention::ArtifactOnly,
        Convention::Tagged,
        Convention::PipelineBlueGreen,
    ];
    for i in 0..n {
        let name = format!("{run}-m{i:03}");
        let seeded = seed_convention(moto, &name, conventions[i % conventions.len()]).await;
        s3.put_object()
            .bucket(&bucket)
            .key(format!("{name}/part-0.csv"))
            .body(b"x\n".to_vec().into())
            .send()
            .await
            .unwrap();
        let model = [("ModelName", name.as_str())];
        match i % 2 {
            0 => put(&cw, "MLOps/Models", "MAPE", &model, &[0.08]).await,
            _ => {
                let percent = aws_sdk_cloudwatch::types::StandardUnit::Percent;
                put_with_unit(&cw, "MLOps/Models", "CTR", &model, 3.4, percent).await
            }
        }
        config.push_str(&format!(
            "[[models]]\nname = \"{name}\"\nendpoint = \"{}\"\ndata = \"s3://{bucket}/{name}/\"\n",
            seeded.endpoint
        ));
    }
    config
}

/// Requests per operation made between two counts.
fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn report(label: &str, millis: u128, calls: &BTreeMap<String, u64>) {
    let requests: u64 = calls
        .iter()
        .filter(|(k, _)| k.as_str() != METRICS_REQUESTED)
        .map(|(_, v)| v)
        .sum();
    let metrics = calls.get(METRICS_REQUESTED).copied().unwrap_or(0);
    let cost: f64 = calls
        .iter()
        .map(|(k, v)| mlopsdash::model::pricing::estimate(k, *v))
        .sum();
    println!("{label:<28} {millis:>6} ms {requests:>5} requests {metrics:>5} metrics  ${cost:.4}");
    for (op, n) in calls {
        println!("    {op:<40} {n:>5}");
    }
}

async fn gather(moto_url: &str, ministack_url: &str, n: usize) {
    let run = format!("b{}{}", n, std::process::id());
    let (moto, ministack) = (sdk(moto_url).await, sdk(ministack_url).await);
    let config_text = seed(&moto, &ministack, &run, n).await;
    let config = Config::parse(std::path::Path::new("bench.toml"), &config_text).unwrap();
    let calls = ApiCalls::default();
    let mut sagemaker = SageMakerSource::new(&moto, &calls).mapped(config.mappings.clone(), false);
    let (targets_tx, targets_rx) = tokio::sync::watch::channel(Vec::new());
    let custom = CustomMetrics {
        namespace: "MLOps/Models".into(),
        dimension: "ModelName".into(),
        discover: false,
    };
    let mut s3 = S3Source::new(&moto, &calls, &config.mappings, targets_rx.clone(), 20);
    let mut cloudwatch = CloudWatchSource::new(
        &ministack,
        &calls,
        targets_rx,
        config.mappings.clone(),
        custom,
    );
    for refresh in ["first refresh", "steady-state refresh"] {
        let before = calls.counts();
        let started = Instant::now();
        let Update::Fleet { fleet, .. } = sagemaker.fetch().await else {
            panic!("sagemaker failed")
        };
        assert_eq!(fleet.models.len(), n);
        let joined = fleet
            .models
            .iter()
            .filter(|m| m.training.iter().any(|r| r.serving))
            .count();
        // Every model but the tagged ones (every third, from the second) has a job
        // behind what serves, found by lineage.
        assert_eq!(joined, n - (n + 1) / 3, "lineage found the serving jobs");
        targets_tx.send_replace(endpoint_targets(&fleet));
        let (metrics, data) = tokio::join!(cloudwatch.fetch(), s3.fetch());
        assert!(matches!(metrics, Update::Fleet { .. }), "{metrics:?}");
        assert!(matches!(data, Update::Fleet { .. }), "{data:?}");
        let millis = started.elapsed().as_millis();
        report(
            &format!("{n} models, {refresh}"),
            millis,
            &diff(&calls.counts(), &before),
        );
    }
}

fn main() {
    let (Ok(moto), Ok(ministack)) = (
        std::env::var("MLOPSDASH_TEST_MOTO_URL"),
        std::env::var("MLOPSDASH_TEST_MINISTACK_URL"),
    ) else {
        println!("gather: skipped (tests/scripts/bench-gather starts the emulators it needs)");
        return;
    };
    // `cargo bench` passes --bench; `cargo test` does not: a quick smoke run then.
    let sizes: &[usize] = match std::env::args().any(|a| a == "--bench") {
        true => &[20, 100],
        false => &[3],
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    for &n in sizes {
        rt.block_on(gather(&moto, &ministack, n));
    }
}
