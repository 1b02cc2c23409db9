//! The recorded past: what a minute of the demo's six models costs on disk, what
//! recording it costs, and how long reading a moment two hours back takes (the
//! record and the two hours of records whose points its charts need). Printed
//! figures and criterion timings; no asserts.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use jiff::SignedDuration;
use mlopsdash::config::HistoryConfig;
use mlopsdash::source::history::History;
use mlopsdash::testing::{demo_start, simulator};

const MINUTES: i64 = 180;

fn history(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    // The demo's clock is in the past: keep every day of it.
    let config = HistoryConfig {
        dir: Some(dir.path().to_path_buf()),
        days: 90,
        ..HistoryConfig::default()
    };
    let start = demo_start();
    let sim = simulator(42, start, 6);
    let at = |m: i64| start + SignedDuration::from_mins(m);
    let mut store = History::open(dir.path(), &config).expect("open");
    store.record(at(0), sim.fleet_at(at(0))).expect("record");
    let whole = store.size();
    for m in 1..MINUTES {
        store.record(at(m), sim.fleet_at(at(m))).expect("record");
    }
    let each = (store.size() - whole) / (MINUTES as u64 - 1);
    println!(
        "history: first record {whole} bytes (whole series), then {each} bytes a minute: \
         {:.1} MB a day",
        each as f64 * 1440.0 / 1e6
    );
    let mut minute = MINUTES;
    c.bench_function("history_record_one_minute", |b| {
        b.iter_batched(
            || {
                minute += 1;
                (at(minute), sim.fleet_at(at(minute)))
            },
            |(t, fleet)| store.record(t, fleet).expect("record"),
            criterion::BatchSize::SmallInput,
        )
    });
    drop(store);
    let store = History::open(dir.path(), &config).expect("reopen");
    c.bench_function("history_read_two_hours_back", |b| {
        b.iter(|| store.fleet_at(at(MINUTES - 120)).expect("recorded"))
    });
}

criterion_group!(benches, history);
criterion_main!(benches);
