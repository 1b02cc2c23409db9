//! AWS requests and wall time to gather a seeded fleet of 5, 20, 100 and 500 models from the
//! emulators (moto for SageMaker/S3/STS, ministack for CloudWatch): the first refresh
//! (every lineage join: models, package versions, the artifact index, the jobs that
//! wrote what serves), a steady-state one (immutable descriptions cached), and the
//! first refresh of a restart (the descriptions remembered on disk), through
//! a loopback proxy adding AWS's in-region latency (60 ms a request; set
//! MLOPSDASH_BENCH_LATENCY_MS, and MLOPSDASH_BENCH_MODELS=5,20 for other sizes). Run
//! with tests/scripts/bench-gather, which starts the emulators.
//! Under `cargo test` it gathers a 3-model fleet once, as a smoke test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use mlopsdash::config::Config;
use mlopsdash::model::identity::Normaliser;
use mlopsdash::model::polling::Attention;
use mlopsdash::run::origin::{ask_once, plan, Plan};
use mlopsdash::source::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
use mlopsdash::source::aws::targets::TargetsReceiver;
use mlopsdash::source::aws::{ApiCalls, S3Source, SageMakerSource, METRICS_REQUESTED};
use mlopsdash::source::memory::MemoryDir;
use mlopsdash::source::{AnySource, Source, SourceId, Update};

#[path = "../common/seed.rs"]
mod seed;

#[path = "../common/proxy.rs"]
mod proxy;

use proxy::{Faults, Proxy, Timeline};
use seed::{cloudwatch, dims, put, put_with_unit, s3, sdk, seed_convention, Convention};

/// `n` models as teams deploy them, the three conventions in turn (artifact-only
/// models with suffix names, tag-named endpoints, pipeline registries with blue/green
/// variants: every lineage join is exercised), raw data in S3, every endpoint series
/// SageMaker publishes for each variant and a business metric in CloudWatch; and the
/// config naming each model and its endpoint only.
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
        let variants: &[&str] = match conventions[i % conventions.len()] {
            Convention::PipelineBlueGreen => &["blue", "green"],
            _ => &["AllTraffic"],
        };
        for variant in variants {
            endpoint_traffic(&cw, &seeded.endpoint, variant).await;
        }
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

/// An endpoint variant in service: every series SageMaker publishes for it, two
/// requests (one per namespace).
async fn endpoint_traffic(cw: &aws_sdk_cloudwatch::Client, endpoint: &str, variant: &str) {
    use aws_sdk_cloudwatch::types::MetricDatum;
    let series = [
        (
            "AWS/SageMaker",
            &[
                "Invocations",
                "Invocation4XXErrors",
                "Invocation5XXErrors",
                "ModelLatency",
                "OverheadLatency",
            ][..],
        ),
        (
            "/aws/sagemaker/Endpoints",
            &["CPUUtilization", "MemoryUtilization"][..],
        ),
    ];
    let dimensions = dims(&[("EndpointName", endpoint), ("VariantName", variant)]);
    for (namespace, metrics) in series {
        let data = metrics
            .iter()
            .map(|m| {
                MetricDatum::builder()
                    .metric_name(*m)
                    .set_dimensions(Some(dimensions.clone()))
                    .value(1.0)
                    .build()
            })
            .collect();
        cw.put_metric_data()
            .namespace(namespace)
            .set_metric_data(Some(data))
            .send()
            .await
            .unwrap();
    }
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

async fn gather(moto_url: &str, ministack_url: &str, n: usize, latency: Duration) {
    let run = format!("b{}{}", n, std::process::id());
    let (moto, ministack) = (sdk(moto_url).await, sdk(ministack_url).await);
    let config_text = seed(&moto, &ministack, &run, n).await;
    let config = Config::parse(std::path::Path::new("bench.toml"), &config_text).unwrap();
    // The sources talk to AWS through the latency proxy; seeding did not.
    let faults = Faults {
        latency,
        ..Faults::default()
    };
    let timeline = Timeline::default();
    let (moto_proxy, ministack_proxy) = (
        Proxy::timed(moto_url, faults, timeline.clone()).await,
        Proxy::timed(ministack_url, faults, timeline.clone()).await,
    );
    let (moto, ministack) = (sdk(&moto_proxy.url).await, sdk(&ministack_proxy.url).await);
    let calls = ApiCalls::default();
    // What the first session leaves for the restart.
    let memory = tempfile::tempdir().unwrap();
    let dir = MemoryDir::new(memory.path(), "bench", "us-east-1");
    let sdks = (&moto, &ministack);
    let session = || Session::new(sdks, &calls, &config, Some(&dir), false);
    let mut first = session();
    first.refresh(n, "first refresh", &calls, &timeline).await;
    first
        .refresh(n, "steady-state refresh", &calls, &timeline)
        .await;
    // A restart: new sources, the descriptions remembered on disk.
    session()
        .refresh(n, "restart, first refresh", &calls, &timeline)
        .await;
    // Always on: CloudWatch as the dashboard paces it, an hour a minute at a time
    // (simulated clock, real requests), healthy, then with one model in trouble.
    let (attention_tx, attention) = tokio::sync::watch::channel(Attention::default());
    let custom = CustomMetrics {
        namespace: "MLOps/Models".into(),
        dimension: "ModelName".into(),
        discover: false,
    };
    let (_, never_forced) = tokio::sync::watch::channel(0);
    let mut paced = CloudWatchSource::new(
        &ministack,
        &calls,
        first.found.clone(),
        config.mappings.clone(),
        custom,
    )
    .budgeted(
        config.aws.daily_budget_usd,
        Duration::from_secs(60),
        (attention, Normaliser::default()),
        never_forced,
    );
    // Two hours on: the freshly seeded endpoints are no longer "just deployed".
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
    hour(n, "healthy", &mut paced, &calls, start).await;
    let troubled = first.found.borrow().first().map(|t| t.model.clone());
    attention_tx.send_replace(Attention {
        focused: Default::default(),
        troubled: troubled
            .map(|m| Normaliser::default().key(&m))
            .into_iter()
            .collect(),
    });
    let later = start + jiff::SignedDuration::from_hours(1);
    hour(n, "one incident", &mut paced, &calls, later).await;
    first_minutes(n, sdks, &config).await;
}

/// What the dashboard's first three minutes on a fleet it has never seen cost:
/// discovery, unit probes and the first metrics at the default budget's pace, then
/// two refreshes a minute apart (SageMaker and CloudWatch; S3 waits ten minutes).
async fn first_minutes(n: usize, sdks: (&SdkConfig, &SdkConfig), config: &Config) {
    let calls = ApiCalls::default();
    let mut session = Session::new(sdks, &calls, config, None, true);
    let (_, account) = tokio::sync::watch::channel(Some(None));
    ask_once(&mut session.feeds, &mut session.found, account).await;
    for _ in 0..2 {
        for (plan, source) in &mut session.feeds {
            if plan.id != SourceId::S3 {
                source.fetch_boxed().await;
            }
        }
    }
    let spent = calls.counts();
    let cost: f64 = spent
        .iter()
        .map(|(k, v)| mlopsdash::model::pricing::estimate(k, *v))
        .sum();
    let metrics = spent.get(METRICS_REQUESTED).copied().unwrap_or(0);
    println!("{n} models, the first three minutes: {metrics} metrics, ${cost:.4}");
}

/// Sixty refreshes a simulated minute apart: metrics and dollars in the hour, and
/// the day the policy projects.
async fn hour(
    n: usize,
    label: &str,
    cloudwatch: &mut CloudWatchSource,
    calls: &ApiCalls,
    start: jiff::Timestamp,
) {
    let before = calls.counts();
    let mut last = None;
    for minute in 0..60 {
        let now = start + jiff::SignedDuration::from_mins(minute);
        match cloudwatch.fetch_at(now).await {
            Update::Fleet { fleet, .. } => last = fleet.spending,
            other => panic!("cloudwatch failed: {other:?}"),
        }
    }
    let spent = diff(&calls.counts(), &before);
    let metrics = spent.get(METRICS_REQUESTED).copied().unwrap_or(0);
    let cost: f64 = spent
        .iter()
        .map(|(k, v)| mlopsdash::model::pricing::estimate(k, *v))
        .sum();
    let s = last.expect("spending reported");
    let slowed = s.slowed.map(|why| format!(" ({why})")).unwrap_or_default();
    println!(
        "{n} models, an hour {label}: {metrics} metrics, ${cost:.4} in the hour, \
         the day at this pace ${:.3}{slowed}",
        s.projected_per_day
    );
    for (op, n) in &spent {
        println!("    {op:<40} {n:>5}");
    }
}

/// `a → b ×3 → c`: the operations in order, repeats counted.
fn runs(operations: &[String]) -> String {
    let mut out: Vec<(String, usize)> = Vec::new();
    for op in operations {
        match out.last_mut() {
            Some((last, n)) if last == op => *n += 1,
            _ => out.push((op.clone(), 1)),
        }
    }
    out.iter()
        .map(|(op, n)| match n {
            1 => op.clone(),
            n => format!("{op} ×{n}"),
        })
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The sources of one dashboard session.
struct Session {
    feeds: Vec<(Plan, Box<dyn AnySource>)>,
    found: TargetsReceiver,
}

impl Session {
    /// A session's SageMaker, CloudWatch and S3 sources, starting from what `memory`
    /// holds; CloudWatch as a snapshot asks (every metric) or, `paced`, as the
    /// dashboard does at the default budget.
    fn new(
        (moto, ministack): (&SdkConfig, &SdkConfig),
        calls: &ApiCalls,
        config: &Config,
        memory: Option<&MemoryDir>,
        paced: bool,
    ) -> Session {
        let (targets_tx, found) = tokio::sync::watch::channel(Vec::new());
        let mut sagemaker = SageMakerSource::new(moto, calls)
            .mapped(config.mappings.clone(), false)
            .in_flight(config.aws.max_in_flight)
            .publish_targets(targets_tx);
        let custom = CustomMetrics {
            namespace: "MLOps/Models".into(),
            dimension: "ModelName".into(),
            discover: false,
        };
        let s3 = S3Source::new(moto, calls, &config.mappings, found.clone(), 20)
            .in_flight(config.aws.max_in_flight);
        let mut cloudwatch = CloudWatchSource::new(
            ministack,
            calls,
            found.clone(),
            config.mappings.clone(),
            custom,
        );
        if paced {
            let (_, attention) = tokio::sync::watch::channel(Attention::default());
            let (_, never_forced) = tokio::sync::watch::channel(0);
            cloudwatch = cloudwatch.budgeted(
                config.aws.daily_budget_usd,
                Duration::from_secs(60),
                (attention, Normaliser::default()),
                never_forced,
            );
        }
        if let Some(dir) = memory {
            sagemaker.recall(dir);
            cloudwatch.recall(dir);
        }
        // As a snapshot asks them: each waits for what the plan says.
        let plans = plan(&config.aws, false);
        let of = |id| *plans.iter().find(|p: &&Plan| p.id == id).unwrap();
        Session {
            feeds: vec![
                (
                    of(SourceId::SageMaker),
                    Box::new(sagemaker) as Box<dyn AnySource>,
                ),
                (of(SourceId::CloudWatch), Box::new(cloudwatch)),
                (of(SourceId::S3), Box::new(s3)),
            ],
            found,
        }
    }

    /// One refresh of every source, timed and counted.
    async fn refresh(&mut self, n: usize, label: &str, calls: &ApiCalls, timeline: &Timeline) {
        let before = calls.counts();
        let started = Instant::now();
        // As the dashboard runs them; the rows are known when the targets change.
        let mut rows = self.found.clone();
        let rows_known = tokio::spawn(async move {
            rows.changed().await.ok()?;
            Some(started.elapsed().as_millis())
        });
        let (_, account) = tokio::sync::watch::channel(Some(None));
        let mut answers = ask_once(&mut self.feeds, &mut self.found, account).await;
        let [sm, metrics, data] = [0, 1, 2].map(|_| answers.remove(0));
        let rows_at = match rows_known.is_finished() {
            true => rows_known.await.ok().flatten(),
            false => {
                rows_known.abort();
                None
            }
        };
        let Update::Fleet { fleet, .. } = sm else {
            panic!("sagemaker failed: {sm:?}")
        };
        assert_eq!(fleet.models.len(), n);
        assert!(fleet.models.iter().all(|m| m.stale.is_empty()));
        let joined = fleet
            .models
            .iter()
            .filter(|m| m.training.iter().any(|r| r.serving))
            .count();
        // Every model but the tagged ones (every third, from the second) has a job
        // behind what serves, found by lineage.
        assert_eq!(joined, n - (n + 1) / 3, "lineage found the serving jobs");
        assert!(matches!(metrics, Update::Fleet { .. }), "{metrics:?}");
        assert!(matches!(data, Update::Fleet { .. }), "{data:?}");
        let millis = started.elapsed().as_millis();
        let rows = rows_at.map_or(String::new(), |ms| format!(", rows known at {ms} ms"));
        report(
            &format!("{n} models, {label}{rows}"),
            millis,
            &diff(&calls.counts(), &before),
        );
        let path = timeline.critical_path(started);
        println!(
            "    critical path: {} round trips in a row: {}",
            path.len(),
            runs(&path)
        );
    }
}

fn main() {
    let Some((moto, ministack)) = seed::emulator_urls() else {
        println!("gather: skipped (tests/scripts/bench-gather starts the emulators it needs)");
        return;
    };
    // `cargo bench` passes --bench; `cargo test` does not: a quick smoke run then.
    let bench = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match (bench, std::env::var("MLOPSDASH_BENCH_MODELS")) {
        (true, Ok(list)) => list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
        (true, Err(_)) => vec![5, 20, 100, 500],
        (false, _) => vec![3],
    };
    // AWS's in-region round trip, added by a loopback proxy to every request.
    let latency_ms = proxy::bench_latency_ms(bench);
    println!("gather: {latency_ms} ms added to every request");
    let rt = tokio::runtime::Runtime::new().unwrap();
    for n in sizes {
        rt.block_on(gather(
            &moto,
            &ministack,
            n,
            Duration::from_millis(latency_ms),
        ));
    }
}
