//! CPU cost of drift from captured traffic: summarising `max_bytes` (4 MiB, the
//! default bound per model and refresh) of Data Capture records (CSV inside JSON,
//! eight numeric features) against a baseline's deciles. A file is summarised once,
//! so this is the most one refresh of one model spends. No asserts.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const MAX_BYTES: usize = 4 << 20;
const FEATURES: usize = 8;

fn row(i: usize) -> String {
    (0..FEATURES)
        .map(|f| format!("{:.3}", ((i * 7919 + f * 104_729) % 10_007) as f64 / 10.0))
        .collect::<Vec<_>>()
        .join(",")
}

fn capture(c: &mut Criterion) {
    let mut baseline: String = (0..FEATURES).map(|f| format!("f{f},")).collect();
    baseline.pop();
    baseline.push('\n');
    for i in 0..5_000 {
        baseline.push_str(&row(i));
        baseline.push('\n');
    }
    let mut lines = String::new();
    let mut i = 0;
    while lines.len() < MAX_BYTES {
        let record = serde_json::json!({"captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                              "data": row(i * 3 + 1), "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                               "data": "0.42", "encoding": "CSV"}},
            "eventMetadata": {"eventId": "e", "inferenceTime": "2026-12-01T10:00:00Z"},
            "eventVersion": "0"});
        lines.push_str(&record.to_string());
        lines.push('\n');
        i += 1;
    }
    let mut group = c.benchmark_group("capture");
    group.throughput(Throughput::Bytes(lines.len() as u64));
    group.sample_size(10);
    group.bench_function("summarise_4MiB", |b| {
        b.iter(|| mlopsdash::testing::summarise_capture(&baseline, &lines))
    });
    group.finish();
}

criterion_group!(benches, capture);
criterion_main!(benches);
