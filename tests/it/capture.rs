//! Drift computed from captured traffic: Data Capture files in moto's S3 in
//! SageMaker's layout and encodings (CSV inside JSON, base64 JSON), baselines as a
//! CSV with a header, JSON lines and a training job's channel. The PSI figures are
//! computed here, independently of the code under test, from how the seeded
//! values fall into the baseline's deciles (the values sit in ten clusters with
//! gaps between them, so every decile definition cuts in the same gaps).

use aws_sdk_s3::Client as S3;
use aws_sdk_sagemaker::types::{
    CaptureMode, CaptureOption, ContainerDefinition, DataCaptureConfig, ProductionVariant,
    ProductionVariantInstanceType,
};
use aws_smithy_types::base64;
use jiff::{SignedDuration, Timestamp};
use mlopsdash::source::aws::targets::EndpointTarget;
use mlopsdash::source::aws::{ApiCalls, S3Source};
use mlopsdash::source::{Source, Update};
use serde_json::{json, Value};

use crate::aws::{ministack_url, moto_url, row, snapshot_json};
use crate::seed::{endpoint_target, s3, sdk, seed_training_job_on, unique};

/// PSI as documented: shares smoothed by half a count per bin, then
/// Σ (current − baseline) · ln(current / baseline).
fn psi(baseline: &[u64], current: &[u64]) -> f64 {
    let shares = |c: &[u64]| {
        let n: f64 = c.iter().sum::<u64>() as f64 + 0.5 * c.len() as f64;
        c.iter().map(|x| (*x as f64 + 0.5) / n).collect::<Vec<_>>()
    };
    let (b, c) = (shares(baseline), shares(current));
    b.iter().zip(&c).map(|(b, c)| (c - b) * (c / b).ln()).sum()
}

/// Row i of the clustered sample: cluster i / 100 (of ten), spread inside it.
fn clustered(i: usize, base: f64) -> f64 {
    base + 10.0 * (i / 100) as f64 + (i % 100) as f64 / 100.0
}

/// Which of the ten clusters (deciles) `v` lies in, from `base`.
fn cluster(v: f64, base: f64) -> usize {
    (((v - base) / 10.0).floor() as usize).min(9)
}

/// One Data Capture record, as SageMaker writes it.
fn record(input: &str, encoding: &str, content_type: &str) -> String {
    json!({
        "captureData": {
            "endpointInput": {"observedContentType": content_type, "mode": "INPUT",
                              "data": input, "encoding": encoding},
            "endpointOutput": {"observedContentType": "text/csv; charset=utf-8",
                               "mode": "OUTPUT", "data": "0.5", "encoding": "CSV"}
        },
        "eventMetadata": {"eventId": "e", "inferenceTime": "2026-12-01T10:00:00Z"},
        "eventVersion": "0"
    })
    .to_string()
}

/// "yyyy/mm/dd/hh" of `hours_ago` before now, as Data Capture names folders.
fn hour(hours_ago: i64) -> String {
    (Timestamp::now() - SignedDuration::from_hours(hours_ago))
        .strftime("%Y/%m/%d/%H")
        .to_string()
}

async fn put(s3: &S3, bucket: &str, key: &str, body: String) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into_bytes().into())
        .send()
        .await
        .unwrap();
}

/// A model, config and endpoint; Data Capture on (to `capture`) when given, and
/// the model's artifact when it came from a training job.
async fn seed_serving(
    sdk: &aws_config::SdkConfig,
    endpoint: &str,
    capture: Option<&str>,
    artifact: Option<&str>,
) {
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let mut container =
        ContainerDefinition::builder().image("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1");
    if let Some(a) = artifact {
        container = container.model_data_url(a);
    }
    sm.create_model()
        .model_name(format!("{endpoint}-model"))
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(container.build())
        .send()
        .await
        .unwrap();
    let mut config = sm
        .create_endpoint_config()
        .endpoint_config_name(format!("{endpoint}-config"))
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(format!("{endpoint}-model"))
                .initial_instance_count(1)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .initial_variant_weight(1.0)
                .build(),
        );
    if let Some(uri) = capture {
        config = config.data_capture_config(
            DataCaptureConfig::builder()
                .enable_capture(true)
                .initial_sampling_percentage(100)
                .destination_s3_uri(uri)
                .capture_options(
                    CaptureOption::builder()
                        .capture_mode(CaptureMode::Input)
                        .build(),
                )
                .capture_options(
                    CaptureOption::builder()
                        .capture_mode(CaptureMode::Output)
                        .build(),
                )
                .build(),
        );
    }
    config.send().await.unwrap();
    sm.create_endpoint()
        .endpoint_name(endpoint)
        .endpoint_config_name(format!("{endpoint}-config"))
        .send()
        .await
        .unwrap();
}

/// The fraud model's files: a baseline CSV with a header (amount, tenure: 1,000
/// rows), and 500 captured rows where amount moved up three clusters and tenure
/// kept its shape, as CSV inside JSON over three files in two hours, with
/// unreadable lines among them and an old file outside the window.
async fn seed_fraud(s3: &S3, bucket: &str, endpoint: &str) -> (Vec<u64>, Vec<u64>) {
    let mut baseline = String::from("amount,tenure\n");
    for i in 0..1000 {
        baseline.push_str(&format!("{},{}\n", clustered(i, 0.0), clustered(i, 1000.0)));
    }
    put(s3, bucket, "baselines/fraud/train.csv", baseline).await;
    let rows: Vec<(f64, f64)> = (0..1000)
        .step_by(2)
        .map(|i| (clustered(i, 0.0) + 30.0, clustered(i, 1000.0)))
        .collect();
    let (mut amount, mut tenure) = (vec![0u64; 10], vec![0u64; 10]);
    for (a, t) in &rows {
        amount[cluster(*a, 0.0)] += 1;
        tenure[cluster(*t, 1000.0)] += 1;
    }
    // The first 100 rows two to a request (a batch), the rest one each.
    let mut records: Vec<String> = rows[..100]
        .chunks(2)
        .map(|p| {
            record(
                &format!("{},{}\n{},{}", p[0].0, p[0].1, p[1].0, p[1].1),
                "CSV",
                "text/csv",
            )
        })
        .collect();
    records.extend(
        rows[100..]
            .iter()
            .map(|(a, t)| record(&format!("{a},{t}"), "CSV", "text/csv")),
    );
    let prefix = format!("datacapture/{endpoint}/AllTraffic");
    let thirds: Vec<&[String]> = records.chunks(records.len().div_ceil(3)).collect();
    let mut first = thirds[0].join("\n");
    first.push_str("\nnot json at all\n{\"captureData\": {}}\n");
    let truncated = &records[0][..40];
    put(
        s3,
        bucket,
        &format!("{prefix}/{}/00-00-000-a.jsonl", hour(1)),
        first,
    )
    .await;
    put(
        s3,
        bucket,
        &format!("{prefix}/{}/30-00-000-b.jsonl", hour(1)),
        thirds[1].join("\n"),
    )
    .await;
    let last = format!("{}\n{truncated}\n", thirds[2].join("\n"));
    put(
        s3,
        bucket,
        &format!("{prefix}/{}/00-00-000-c.jsonl", hour(0)),
        last,
    )
    .await;
    // Three days old: outside the 24-hour window, never read.
    let old = record("9999,9999", "CSV", "text/csv");
    put(
        s3,
        bucket,
        &format!("{prefix}/{}/00-00-000-old.jsonl", hour(72)),
        old,
    )
    .await;
    (amount, tenure)
}

/// The churn model's files: a JSON-lines baseline (amount, region) and captured
/// JSON bodies in base64 where the regions' mix changed.
async fn seed_churn(s3: &S3, bucket: &str, endpoint: &str) -> ([u64; 4], [u64; 4]) {
    let region = |i: usize, mix: [usize; 3]| match i % 10 {
        k if k < mix[0] => "us",
        k if k < mix[0] + mix[1] => "eu",
        _ => "apac",
    };
    let baseline: Vec<String> = (0..400)
        .map(|i| json!({"amount": i % 10, "region": region(i, [5, 3, 2])}).to_string())
        .collect();
    put(
        s3,
        bucket,
        "baselines/churn/baseline.jsonl",
        baseline.join("\n"),
    )
    .await;
    let current: Vec<String> = (0..200)
        .map(|i| {
            let body = json!({"amount": i % 10, "region": region(i, [2, 3, 5])}).to_string();
            record(&base64::encode(body), "BASE64", "application/json")
        })
        .collect();
    let key = format!(
        "capture-churn/{endpoint}/AllTraffic/{}/12-00-000-x.jsonl",
        hour(2)
    );
    put(s3, bucket, &key, current.join("\n")).await;
    // Categories by baseline frequency (us, eu, apac), then the rest.
    ([200, 120, 80, 0], [40, 60, 100, 0])
}

/// The demand model: trained by a job whose channel is a CSV with a header, and
/// captured traffic of the same shape.
async fn seed_demand(s3: &S3, bucket: &str, endpoint: &str) {
    let mut train = String::from("price,stock\n");
    for i in 0..1000 {
        train.push_str(&format!("{},{}\n", clustered(i, 0.0), clustered(i, 500.0)));
    }
    put(s3, bucket, "train/demand/part-0.csv", train).await;
    let records: Vec<String> = (0..1000)
        .step_by(4)
        .map(|i| {
            record(
                &format!("{},{}", clustered(i, 0.0), clustered(i, 500.0)),
                "CSV",
                "text/csv",
            )
        })
        .collect();
    let key = format!(
        "datacapture/{endpoint}/AllTraffic/{}/00-00-000-d.jsonl",
        hour(0)
    );
    put(s3, bucket, &key, records.join("\n")).await;
}

fn feature<'a>(drift: &'a Value, name: &str) -> &'a Value {
    drift["computed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature"] == name)
        .unwrap_or_else(|| panic!("no {name} in {drift:#}"))
}

fn assert_close(got: &Value, expected: f64) {
    let got = got.as_f64().unwrap();
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

#[test]
fn psi_from_captured_traffic_matches_an_independent_computation() {
    let bucket = unique("capture").to_lowercase();
    // Three conventions: an endpoint suffixed -prod with capture in its config,
    // an ml- prefixed -v2 one whose capture location only config knows, and one
    // the dashboard discovers, trained by a job whose channel is the baseline.
    let (fraud, churn, demand) = (unique("fraud-scorer"), unique("churn"), unique("demand"));
    let fraud_ep = format!("{fraud}-prod");
    let churn_ep = format!("ml-{churn}-v2");
    let demand_ep = format!("{demand}-endpoint");
    // A fourth asks for drift in config, but its endpoint captures nothing.
    let off = unique("uncaptured");
    let off_ep = format!("{off}-prod");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (amount, tenure, regions) = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        let s3 = s3(&moto);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        let capture = format!("s3://{bucket}/datacapture");
        seed_serving(&moto, &fraud_ep, Some(&capture), None).await;
        seed_serving(&moto, &churn_ep, None, None).await;
        seed_serving(&moto, &off_ep, None, None).await;
        let job = format!("{demand}-train-1");
        let channel = format!("s3://{bucket}/train/demand/");
        let artifact = seed_training_job_on(&moto, &job, Some(&channel)).await;
        seed_serving(&moto, &demand_ep, Some(&capture), Some(&artifact)).await;
        let (amount, tenure) = seed_fraud(&s3, &bucket, &fraud_ep).await;
        let regions = seed_churn(&s3, &bucket, &churn_ep).await;
        seed_demand(&s3, &bucket, &demand_ep).await;
        (amount, tenure, regions)
    });
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        format!(
            "[[models]]\nname = \"{fraud}\"\nendpoint = \"{fraud_ep}\"\n\
             baseline = \"s3://{bucket}/baselines/fraud/train.csv\"\n\n\
             [[models]]\nname = \"{churn}\"\nendpoint = \"{churn_ep}\"\n\
             data_capture = \"s3://{bucket}/capture-churn\"\n\
             baseline = \"s3://{bucket}/baselines/churn/baseline.jsonl\"\n\
             [models.thresholds]\n\
             feature_baseline_drift_region = {{ warn = 0.3, crit = 2.0 }}\n\n\
             [[models]]\nname = \"{off}\"\nendpoint = \"{off_ep}\"\n\
             baseline = \"s3://{bucket}/baselines/fraud/train.csv\"\n"
        ),
    )
    .unwrap();
    let (_, v) = snapshot_json(
        &moto_url(),
        &ministack_url(),
        config.path().to_str().unwrap(),
    );

    // Fraud: amount moved three clusters up, tenure kept its shape.
    let d = &row(&v, &fraud)["drift"];
    assert_eq!(d["source"], "data-capture", "{d:#}");
    assert_eq!(d["method"], "psi");
    let baseline = vec![100; 10];
    assert_eq!(amount, [0, 0, 0, 50, 50, 50, 50, 50, 50, 200]);
    let moved = feature(d, "amount");
    assert_eq!(moved["baseline"], json!(baseline), "{moved:#}");
    assert_eq!(moved["current"], json!(amount), "{moved:#}");
    assert_close(&moved["statistic"], psi(&baseline, &amount));
    assert_eq!(moved["health"], "crit");
    assert_eq!(moved["threshold_from"], "default PSI");
    let kept = feature(d, "tenure");
    assert_close(&kept["statistic"], psi(&baseline, &tenure));
    assert_eq!(kept["health"], "ok");
    assert_eq!(d["features"]["amount"], moved["statistic"]);
    assert_eq!(row(&v, &fraud)["stages"]["drift"]["health"], "crit");
    // 1,000 baseline rows; 500 captured rows in 450 records; two lines that are
    // not records and one cut off; the three-day-old file never read.
    assert_eq!(
        d["sample"],
        json!({"baseline": 1000, "current": 500, "skipped": 3, "window_hours": 24, "unread_files": 0})
    );
    assert!(
        d["baseline"]
            .as_str()
            .unwrap()
            .ends_with("baselines/fraud/train.csv"),
        "{d:#}"
    );

    // Churn: base64 JSON bodies; the regions' mix changed, amount did not; the
    // region's own threshold (config) says warn.
    let d = &row(&v, &churn)["drift"];
    let region = feature(d, "region");
    assert_close(&region["statistic"], psi(&regions.0, &regions.1));
    assert_eq!(region["health"], "warn", "{region:#}");
    assert_eq!(
        region["threshold_from"],
        format!("[[models]] {churn}: thresholds.feature_baseline_drift_region")
    );
    assert_close(&feature(d, "amount")["statistic"], 0.0);
    assert_eq!(d["sample"]["current"], 200);
    assert_eq!(d["sample"]["baseline"], 400);

    // Asked for, but there is nothing captured to read: said, with what to do.
    let d = &row(&v, &off)["drift"];
    assert!(
        d["problem"]
            .as_str()
            .unwrap()
            .contains(&format!("Data Capture is off on {off_ep}")),
        "{d:#}"
    );
    assert_eq!(row(&v, &off)["stages"]["drift"]["health"], "warn");

    // Demand: found by discovery; its baseline is the serving job's channel.
    let d = &row(&v, &demand)["drift"];
    assert!(
        d["baseline"]
            .as_str()
            .unwrap()
            .contains("train/demand/part-0.csv"),
        "{d:#}"
    );
    assert_close(
        &feature(d, "price")["statistic"],
        psi(&[100; 10], &[25; 10]),
    );
    assert_eq!(d["sample"]["current"], 250);
}

/// A bucket and an endpoint name of a test's own, on moto.
struct Place {
    moto: aws_config::SdkConfig,
    client: S3,
    bucket: String,
    endpoint: String,
}

async fn place(name: &str) -> Place {
    let moto = sdk(&moto_url()).await;
    let client = s3(&moto);
    let bucket = unique(&format!("capture-{name}")).to_lowercase();
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    Place {
        moto,
        client,
        bucket,
        endpoint: unique(name),
    }
}

fn parse_config(toml: &str) -> mlopsdash::config::Config {
    mlopsdash::config::Config::parse(std::path::Path::new("c.toml"), toml).unwrap()
}

fn target(model: &str, endpoint: &str, capture: &str) -> EndpointTarget {
    EndpointTarget {
        capture: mlopsdash::config::parse_s3(capture),
        ..endpoint_target(model, endpoint)
    }
}

fn gets(calls: &ApiCalls) -> u64 {
    calls.counts().get("S3:GetObject").copied().unwrap_or(0)
}

fn computed(update: &Update, model: &str) -> mlopsdash::model::captured::CapturedDrift {
    match update {
        Update::Fleet { fleet, .. } => fleet
            .model(model)
            .and_then(|m| m.drift.captured.clone())
            .unwrap_or_else(|| panic!("no captured drift: {fleet:?}")),
        other => panic!("s3 failed: {other:?}"),
    }
}

#[tokio::test]
async fn a_captured_file_is_read_once_across_refreshes_and_restarts() {
    let model = "fraud";
    let Place {
        moto,
        client,
        bucket,
        endpoint,
    } = place("fraud-prod").await;
    seed_fraud(&client, &bucket, &endpoint).await;
    let config = parse_config(&format!(
        "[[models]]\nname = \"{model}\"\nbaseline = \"s3://{bucket}/baselines/fraud/train.csv\"\n"
    ));
    let targets = vec![target(
        model,
        &endpoint,
        &format!("s3://{bucket}/datacapture"),
    )];
    let (_tx, rx) = tokio::sync::watch::channel(targets);
    let kept = tempfile::tempdir().unwrap();
    let memory = kept.path().join("capture.json");
    let source = |calls: &ApiCalls| {
        S3Source::new(&moto, calls, &config.mappings, rx.clone(), 5).remembering(memory.clone())
    };

    let calls = ApiCalls::default();
    let mut s3 = source(&calls);
    let first = computed(&s3.fetch().await, model);
    assert_eq!(first.sample.current, 500);
    // The baseline and the three files in the window.
    assert_eq!(gets(&calls), 4);
    let again = computed(&s3.fetch().await, model);
    assert_eq!(gets(&calls), 4, "a second refresh read a file again");
    assert_eq!(again, first);

    // A new file in the window is the only one read.
    let more = record(&format!("{},{}", 95.5, 1005.5), "CSV", "text/csv");
    let key = format!(
        "datacapture/{endpoint}/AllTraffic/{}/59-00-000-z.jsonl",
        hour(0)
    );
    put(&client, &bucket, &key, more).await;
    let third = computed(&s3.fetch().await, model);
    assert_eq!(gets(&calls), 5);
    assert_eq!(third.sample.current, 501);

    // The next session starts from the summaries on disk: nothing read again,
    // even when S3 first refreshes before SageMaker has found any endpoint.
    let restarted_calls = ApiCalls::default();
    let (found_tx, found) = tokio::sync::watch::channel(Vec::new());
    let mut restarted = S3Source::new(&moto, &restarted_calls, &config.mappings, found, 5)
        .remembering(memory.clone());
    restarted.fetch().await;
    found_tx.send_replace(rx.borrow().clone());
    let after_restart = computed(&restarted.fetch().await, model);
    assert_eq!(gets(&restarted_calls), 0);
    assert_eq!(after_restart.sample, third.sample);
}

#[tokio::test]
async fn a_tight_byte_bound_reads_the_newest_files_first_and_the_rest_later() {
    let Place {
        moto,
        client,
        bucket,
        endpoint,
    } = place("bounded").await;
    seed_fraud(&client, &bucket, &endpoint).await;
    let config = parse_config(&format!(
        "[drift]\nmax_bytes = 65536\n\n[[models]]\nname = \"m\"\n\
             baseline = \"s3://{bucket}/baselines/fraud/train.csv\"\n"
    ));
    let targets = vec![target(
        "m",
        &endpoint,
        &format!("s3://{bucket}/datacapture"),
    )];
    let (_tx, rx) = tokio::sync::watch::channel(targets);
    let calls = ApiCalls::default();
    let mut s3 = S3Source::new(&moto, &calls, &config.mappings, rx, 5).drift(config.drift.clone());
    let first = computed(&s3.fetch().await, "m");
    assert!(first.unread_files > 0, "{first:?}");
    assert!(first.sample.current < 500);
    let mut seen = vec![first.sample.current];
    let mut last = first;
    for _ in 0..5 {
        last = computed(&s3.fetch().await, "m");
        seen.push(last.sample.current);
        if last.unread_files == 0 {
            break;
        }
    }
    assert_eq!(last.unread_files, 0);
    assert_eq!(last.sample.current, 500);
    // The newest file (this hour's: the last 150 rows, one a request) came first.
    let first_read = seen.iter().find(|n| **n > 0).copied();
    assert_eq!(first_read, Some(150), "rows after each refresh: {seen:?}");
}

#[tokio::test]
async fn without_a_baseline_the_capture_after_the_deploy_is_the_reference() {
    let Place {
        moto,
        client,
        bucket,
        endpoint,
    } = place("newacct").await;
    // Deployed 30 hours ago: the reference is the first 15 hours after (half the
    // time since), the current window what came after it.
    let prefix = format!("datacapture/{endpoint}/AllTraffic");
    let lines = |shift: f64, step: usize| -> String {
        (0..1000)
            .step_by(step)
            .map(|i| record(&format!("{}", clustered(i, 0.0) + shift), "CSV", "text/csv"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    put(
        &client,
        &bucket,
        &format!("{prefix}/{}/00-a.jsonl", hour(29)),
        lines(0.0, 1),
    )
    .await;
    put(
        &client,
        &bucket,
        &format!("{prefix}/{}/00-b.jsonl", hour(1)),
        lines(20.0, 2),
    )
    .await;
    let mut sample = String::from("amount\n");
    for i in 0..1000 {
        sample.push_str(&format!("{}\n", clustered(i, 0.0)));
    }
    put(&client, &bucket, "train.csv", sample).await;
    let config = parse_config(&format!(
        "[[models]]\nname = \"sampled\"\nbaseline = \"s3://{bucket}/train.csv\"\n"
    ));
    let deployed = Some(Timestamp::now() - SignedDuration::from_hours(30));
    // SageMaker's built-in algorithms train on CSV without a header: such a
    // channel cannot name the columns and gives way to the capture, saying why.
    put(
        &client,
        &bucket,
        "xgb/train/part-0.csv",
        "1,2.5\n0,3.5\n".into(),
    )
    .await;
    let mut targets: Vec<EndpointTarget> = ["m", "sampled", "xgb"]
        .map(|model| EndpointTarget {
            changed: deployed,
            ..target(model, &endpoint, &format!("s3://{bucket}/datacapture"))
        })
        .into();
    targets[2].training_data = mlopsdash::config::parse_s3(&format!("s3://{bucket}/xgb/train/"));
    let (_tx, rx) = tokio::sync::watch::channel(targets);
    let calls = ApiCalls::default();
    let mut s3 = S3Source::new(&moto, &calls, &config.mappings, rx, 5);
    let update = s3.fetch().await;
    // A training sample has no outputs: the outputs after the deploy are theirs.
    let sampled = computed(&update, "sampled");
    assert!(sampled.baseline.ends_with("train.csv"), "{sampled:?}");
    assert!(sampled.prediction.is_some(), "{sampled:?}");
    let xgb = computed(&update, "xgb");
    assert!(xgb.baseline.contains("after the deploy"), "{xgb:?}");
    assert!(xgb.baseline.contains("not the training channel"), "{xgb:?}");
    assert!(xgb.baseline.contains("no header"), "{xgb:?}");
    let d = computed(&update, "m");
    assert!(d.baseline.contains("after the deploy"), "{d:?}");
    assert_eq!((d.sample.baseline, d.sample.current), (1000, 500), "{d:?}");
    // Headerless captured CSV: Model Monitor's column names.
    let f = d.features.iter().find(|f| f.name == "_c0").unwrap();
    let mut moved = vec![0u64; 10];
    for i in (0..1000).step_by(2) {
        moved[cluster(clustered(i, 0.0) + 20.0, 0.0)] += 1;
    }
    assert!((f.statistic - psi(&[100; 10], &moved)).abs() < 1e-9);
    // The outputs (all 0.5) did not move: only the smoothing of two sample sizes.
    let p = d.prediction.expect("prediction compared");
    assert_eq!((p.baseline[0], p.current[0]), (1000, 500));
    assert!(p.statistic < 0.001, "{p:?}");
}

/// The demo's recommendation-engine has no Model Monitor: a person opening it
/// sees its drift computed from captured traffic, with the worst feature's
/// histogram.
#[test]
fn a_person_opens_a_model_whose_drift_comes_from_captured_traffic() {
    use crate::tmux::{launch, Tmux};
    let t = Tmux::start(120, 40);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (8)", "the pipeline view");
    t.keys(&["/", "recommendation", "Enter"]);
    t.wait_for("pipeline (1/8) /recommendation", "the filtered list");
    t.keys(&["Enter"]);
    t.wait_for_all(
        &[
            // Early on a published metric and the capture tie: either decides.
            "captured traffic",
            "PSI",
            "5000 baseline · 3000 captured in 24 h",
            "basket_value",
            "(default PSI)",
            "basket_value: baseline",
        ],
        "the drift panel with what it rests on and a histogram",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt after quitting");
}

#[tokio::test]
async fn a_baseline_that_cannot_be_read_is_one_line_naming_it() {
    let Place {
        moto,
        client,
        bucket,
        endpoint,
    } = place("nobase").await;
    seed_fraud(&client, &bucket, &endpoint).await;
    // Model Monitor statistics cut off mid-write, and a baseline that is not there.
    put(
        &client,
        &bucket,
        "stats/statistics.json",
        "{\"version\": 0, \"features\": [".into(),
    )
    .await;
    let config = parse_config(&format!(
        "[[models]]\nname = \"cut\"\nbaseline = \"s3://{bucket}/stats/statistics.json\"\n\n\
             [[models]]\nname = \"gone\"\nbaseline = \"s3://{bucket}/nothing/here.csv\"\n"
    ));
    let targets: Vec<EndpointTarget> = ["cut", "gone"]
        .map(|m| target(m, &endpoint, &format!("s3://{bucket}/datacapture")))
        .into();
    let (_tx, rx) = tokio::sync::watch::channel(targets);
    let mut s3 = S3Source::new(&moto, &ApiCalls::default(), &config.mappings, rx, 5);
    let update = s3.fetch().await;
    for (model, says) in [
        ("cut", "statistics.json: unreadable (EOF"),
        ("gone", "no such object"),
    ] {
        let d = computed(&update, model);
        let problem = d.problem.clone().unwrap_or_default();
        assert!(
            problem.contains(says) && !problem.contains('\n'),
            "{model}: {d:?}"
        );
        assert!(d.features.is_empty());
    }
}
