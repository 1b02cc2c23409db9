//! A thousand endpoints: the real dashboard in tmux on a fleet it has never seen
//! (moto for SageMaker, ministack for CloudWatch, 60 ms added to every request by a
//! loopback proxy; MLOPSDASH_BENCH_LATENCY_MS), found by discovery under two naming
//! conventions (`<model>-prod` endpoints, and endpoints of unrelated names tagged
//! `model=`). Prints when the first rows and every row's control-plane facts came
//! (from the dashboard's own log), then the resident memory and CPU every
//! few minutes while it stays open (MLOPSDASH_BENCH_MINUTES, 30 by default) and the
//! longest wait between SageMaker answers; then quits, starts again, and prints how
//! soon the last session's rows are on screen. MLOPSDASH_BENCH_ENDPOINTS sets the
//! fleet (1,000). Run with `cargo bench --bench fleet` after sourcing
//! tests/scripts/emulators.sh; under `cargo test` it is a smoke run of 10 endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

#[path = "../common/proxy.rs"]
mod proxy;
#[path = "../common/seed.rs"]
mod seed;
#[path = "../common/tmux.rs"]
mod tmux;

use proxy::{Faults, Proxy};
use tmux::{launch, Tmux};

fn main() {
    let Some((moto, ministack)) = seed::emulator_urls() else {
        println!("fleet: skipped (tests/scripts/emulators.sh starts moto and ministack)");
        return;
    };
    let bench = std::env::args().any(|a| a == "--bench");
    let number = |name: &str, measured: u64, smoke: u64| match bench {
        true => std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(measured),
        false => smoke,
    };
    let endpoints = number("MLOPSDASH_BENCH_ENDPOINTS", 1000, 10) as usize;
    let minutes = number("MLOPSDASH_BENCH_MINUTES", 30, 0);
    let latency_ms = proxy::bench_latency_ms(bench);
    println!("fleet: {endpoints} endpoints, {latency_ms} ms added to every request");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run = seed::unique("fl");
    let seeded = Instant::now();
    let (aws, metrics) = rt.block_on(async {
        seed_fleet(&moto, &run, endpoints).await;
        let faults = Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        };
        (
            Proxy::start(&moto, faults).await,
            Proxy::start(&ministack, faults).await,
        )
    });
    println!("fleet: seeded in {:.0} s", seeded.elapsed().as_secs_f64());

    let t = Tmux::start(200, 50);
    let config = t.home().join("config.toml");
    std::fs::write(&config, "[aws]\ndiscover = true\n").unwrap();
    // glibc's allocator settings (MALLOC_ARENA_MAX…) pass through, for comparing.
    let malloc: String = std::env::vars()
        .filter(|(k, _)| k.starts_with("MALLOC_"))
        .map(|(k, v)| format!(" {k}={v}"))
        .collect();
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL_CLOUDWATCH={0} AWS_ENDPOINT_URL_CLOUDTRAIL={0} \
         MLOPSDASH_LOG=mlopsdash=debug{malloc}",
        metrics.url
    ));
    let args = format!(
        "--region us-east-1 --endpoint-url {} --config {}",
        aws.url,
        config.display()
    );
    let started = Instant::now();
    launch(&t, &args);
    let log = Log::under(t.home());
    // The pipeline panel's title counts the rows drawn.
    let on_screen = |s: &str| rows_drawn(s) >= endpoints;
    t.wait_until_within(Duration::from_secs(600), "the first rows", on_screen);
    let first_rows = started.elapsed();
    let complete = log.wait(started, Duration::from_secs(600), |l| {
        // CloudWatch answers for every row it knows: all of them once SageMaker
        // named them (its first answer, before that, has none).
        let all = |source| l.answer(source).is_some_and(|n| n >= endpoints);
        all("sagemaker") && all("cloudwatch")
    });
    println!(
        "fleet: first rows at {:.1} s, every row's status, alarms and jobs at {:.1} s",
        first_rows.as_secs_f64(),
        complete.as_secs_f64()
    );
    let pid = t.dashboard_pid();
    watch(&pid, minutes, &log);

    t.keys(&["q"]);
    t.wait_for("READY$", "the shell after quitting");
    let restarted = Instant::now();
    launch(&t, &args);
    t.wait_until_within(
        Duration::from_secs(60),
        "the last session's rows",
        on_screen,
    );
    println!(
        "fleet: restart, the last session's rows on screen at {:.2} s",
        restarted.elapsed().as_secs_f64()
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell after quitting");
}

/// The rows the pipeline panel's title says it holds: "pipeline (1000)".
fn rows_drawn(screen: &str) -> usize {
    screen
        .split("pipeline (")
        .nth(1)
        .and_then(|rest| rest.split(')').next()?.parse().ok())
        .unwrap_or(0)
}

/// `n` endpoints as teams name them, every other one by each convention.
async fn seed_fleet(moto: &str, run: &str, n: usize) {
    let sdk = seed::sdk(moto).await;
    let sdk = &sdk;
    futures_util::stream::iter(0..n)
        .for_each_concurrent(8, |i| async move {
            match i % 2 {
                0 => {
                    let endpoint = format!("{run}-m{i:04}-prod");
                    seed::seed_endpoint(sdk, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
                }
                _ => {
                    let endpoint = format!("svc-{i:04}-{run}");
                    seed::seed_endpoint(sdk, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
                    let model = format!("{run}-t{i:04}");
                    seed::tag_endpoint(sdk, &endpoint, "model", &model).await;
                }
            }
        })
        .await;
}

/// Resident memory and CPU of the dashboard every five minutes (every ten seconds
/// in a run shorter than that), and the longest wait between SageMaker's answers.
fn watch(pid: &str, minutes: u64, log: &Log) {
    let until = Instant::now() + Duration::from_secs(minutes * 60);
    let slice = match minutes {
        0..5 => Duration::from_secs(10),
        _ => Duration::from_secs(300),
    };
    let mut last = cpu_seconds(pid);
    let mut at = Instant::now();
    let started = at;
    while Instant::now() < until {
        std::thread::sleep(slice);
        let cpu = cpu_seconds(pid);
        let share = (cpu - last) / at.elapsed().as_secs_f64() * 100.0;
        let (all, data, code) = rss_mb(pid);
        println!(
            "fleet: at {:>4.0} s: RSS {all:.1} MB (data {data:.1}, code {code:.1}), \
             CPU {share:.2} % of one core",
            started.elapsed().as_secs_f64(),
        );
        (last, at) = (cpu, Instant::now());
    }
    if let Some(gap) = log.longest_gap("sagemaker") {
        println!(
            "fleet: the longest wait between SageMaker answers: {:.0} s",
            gap.as_secs_f64()
        );
    }
}

/// Resident memory in MB: all of it, the process's own data (anonymous), and the
/// pages of its binary and libraries (file-backed; a debug binary's are large).
fn rss_mb(pid: &str) -> (f64, f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .map_or(f64::NAN, |kb: f64| kb / 1024.0)
    };
    (field("VmRSS:"), field("RssAnon:"), field("RssFile:"))
}

/// User and system time of the process, in seconds (clock ticks of 1/100 s).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The dashboard's log, where each source's answer is a debug line.
struct Log(PathBuf);

impl Log {
    fn under(home: &Path) -> Log {
        Log(home.join(".local/state/mlopsdash"))
    }

    fn text(&self) -> String {
        let Ok(files) = std::fs::read_dir(&self.0) else {
            return String::new();
        };
        files
            .filter_map(Result::ok)
            .filter(|f| f.file_name().to_string_lossy().starts_with("mlopsdash.log"))
            .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
            .collect()
    }

    /// Waits (bounded) until the log satisfies `ready`; how long since `since`.
    fn wait(&self, since: Instant, bound: Duration, ready: impl Fn(&Answers) -> bool) -> Duration {
        loop {
            if ready(&Answers(self.text())) {
                return since.elapsed();
            }
            assert!(
                since.elapsed() < bound,
                "the log never said so:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The longest time between two answers of `source`, by the log's timestamps.
    fn longest_gap(&self, source: &str) -> Option<Duration> {
        let times: Vec<jiff::Timestamp> = self
            .text()
            .lines()
            .filter(|l| l.contains("answered:") && l.contains(&format!("source=\"{source}\"")))
            .filter_map(|l| l.split_whitespace().next()?.parse().ok())
            .collect();
        times
            .windows(2)
            .map(|w| w[1].duration_since(w[0]).unsigned_abs())
            .max()
    }
}

/// What the log said so far.
struct Answers(String);

impl Answers {
    /// The most models an answer of `source` held, when it answered.
    fn answer(&self, source: &str) -> Option<usize> {
        self.0
            .lines()
            .filter(|l| l.contains(&format!("source=\"{source}\"")))
            .filter_map(|l| l.split("answered: ").nth(1))
            .map(|said| {
                said.split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            })
            .max()
    }
}
