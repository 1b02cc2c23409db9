//! Real SDK calls against moto on 127.0.0.1, started by tests/scripts/test, which exports
//! MLOPSDASH_TEST_MOTO_URL. Tests isolate themselves by unique names, not resets, so
//! they can run in parallel.

use mlopsdash::source::aws::SageMakerSource;
use mlopsdash::source::{Source, Update};

use crate::seed::{cloudwatch, put, sdk, seed_endpoint, seed_registered_model, unique};

pub fn moto_url() -> String {
    std::env::var("MLOPSDASH_TEST_MOTO_URL").expect(
        "MLOPSDASH_TEST_MOTO_URL is not set: run the tests with tests/scripts/test, which starts moto",
    )
}

/// CloudWatch's emulator: moto does not speak its current protocol (RPC v2 CBOR).
pub fn ministack_url() -> String {
    std::env::var("MLOPSDASH_TEST_MINISTACK_URL").expect(
        "MLOPSDASH_TEST_MINISTACK_URL is not set: run the tests with tests/scripts/test, which starts ministack",
    )
}

#[tokio::test]
async fn every_endpoint_becomes_a_model_row_with_its_variants() {
    let sdk = sdk(&moto_url()).await;
    let (blue_green, single) = (unique("bluegreen"), unique("single"));
    seed_endpoint(&sdk, &blue_green, &[("blue", 0.9, 2), ("green", 0.1, 1)]).await;
    seed_endpoint(&sdk, &single, &[("AllTraffic", 1.0, 3)]).await;

    let Update::Fleet { fleet, .. } = SageMakerSource::new(&sdk, &Default::default())
        .fetch()
        .await
    else {
        panic!("fetch failed");
    };
    let row = fleet
        .model(&blue_green)
        .expect("blue/green endpoint listed");
    let ep = row.endpoint.as_ref().unwrap();
    assert_eq!(ep.status, "InService");
    assert_eq!(ep.config_name, format!("{blue_green}-config-v1"));
    let variants: Vec<(&str, f64, u32)> = ep
        .variants
        .iter()
        .map(|v| (v.name.as_str(), v.weight, v.instances))
        .collect();
    assert_eq!(variants.len(), 2);
    assert_eq!(variants[0].0, "blue");
    assert!((variants[0].1 - 0.9).abs() < 1e-6, "{variants:?}");
    assert_eq!(variants[0].2, 2);
    assert_eq!((variants[1].0, variants[1].2), ("green", 1));

    let row = fleet
        .model(&single)
        .expect("single-variant endpoint listed");
    let v = &row.endpoint.as_ref().unwrap().variants;
    assert_eq!(
        (v[0].name.as_str(), v[0].weight, v[0].instances),
        ("AllTraffic", 1.0, 3)
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_fails_with_a_message_not_a_panic() {
    // Nothing listens on the discard port.
    let sdk = sdk("http://127.0.0.1:9").await;
    match SageMakerSource::new(&sdk, &Default::default())
        .fetch()
        .await
    {
        Update::Failed { why, .. } => assert_eq!(
            why,
            "cannot reach AWS for sagemaker:ListEndpoints (network or --endpoint-url); will retry"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn the_caller_identity_comes_from_sts() {
    let sdk = sdk(&moto_url()).await;
    let (account, arn) = mlopsdash::source::aws::identify(&sdk, &Default::default())
        .await
        .unwrap();
    assert_eq!(account, "123456789012");
    assert!(arn.starts_with("arn:aws:sts::123456789012:"), "{arn}");
}

#[test]
fn a_person_sees_their_account_and_endpoints_in_the_dashboard() {
    let url = moto_url();
    let endpoint = unique("tmux-demand");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        seed_endpoint(&sdk(&url).await, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
        // The business metric the team publishes: a CTR under the crit line.
        let cw = cloudwatch(&sdk(&ministack_url()).await);
        let by_model = [("ModelName", endpoint.as_str())];
        put(&cw, "MLOps/Models", "CTR", &by_model, &[2.1]).await;
    });
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    // The instance-metadata service is never probed from tests.
    let cloudwatch = ministack_url();
    let base = format!(
        "AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL_CLOUDWATCH={cloudwatch} \
         {bin} --region us-east-1 --endpoint-url {url} --config /dev/null"
    );
    let t = crate::tmux::Tmux::start(160, 30);

    // No credentials at all: one line that says what to do, in the header.
    t.keys(&[&base, "Enter"]);
    t.wait_for_all(
        &["no AWS credentials", "aws sso login"],
        "the missing-credentials message",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");

    t.keys(&[
        &format!("AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test {base}"),
        "Enter",
    ]);
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    // Other tests share the emulator: find ours as a person would, by filtering.
    t.keys(&["/", &endpoint, "Enter"]);
    t.wait_for_all(
        &[
            "(1/",
            &endpoint,
            "123456789012 · us-east-1",
            "InService",
            "CTR 2.1%",
        ],
        "the seeded endpoint alone in the list, in service, its CTR from CloudWatch",
    );
    // What the session has cost so far, counted from the real SDK calls.
    t.keys(&[":", "stats", "Enter"]);
    t.wait_for_all(
        &["AWS requests this session", "CloudWatch:GetMetricData"],
        "the :stats view",
    );
    // Operations sort by name: SageMaker's are further down, as a person scrolls.
    t.keys(&["G"]);
    t.wait_for_all(
        &["SageMaker:ListEndpoints", "STS:GetCallerIdentity"],
        "the end of the :stats list",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt after quitting");
}

/// The real `snapshot --json` binary against the emulators (SageMaker, S3 and STS at
/// `endpoint_url`, CloudWatch at `cloudwatch_url`): exit code and parsed output.
/// The snapshot's row named `name`.
pub fn row<'a>(v: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {:#}", v["models"]))
}

pub fn snapshot_json(
    endpoint_url: &str,
    cloudwatch_url: &str,
    config: &str,
) -> (Option<i32>, serde_json::Value) {
    snapshot_json_with(endpoint_url, cloudwatch_url, config, &[])
}

/// `snapshot_json` with more arguments (e.g. `--fail-on never`).
pub fn snapshot_json_with(
    endpoint_url: &str,
    cloudwatch_url: &str,
    config: &str,
    more: &[&str],
) -> (Option<i32>, serde_json::Value) {
    snapshot_json_env(endpoint_url, cloudwatch_url, config, more, &[])
}

/// `snapshot_json_with` and more environment (e.g. AIRFLOW_USERNAME).
pub fn snapshot_json_env(
    endpoint_url: &str,
    cloudwatch_url: &str,
    config: &str,
    more: &[&str],
    env: &[(&str, &str)],
) -> (Option<i32>, serde_json::Value) {
    let home = tempfile::tempdir().unwrap();
    // moto has no LookupEvents; ministack records CloudTrail events.
    let out = crate::binary::aws_binary(home.path(), cloudwatch_url, &ministack_url())
        .args([
            "snapshot",
            "--json",
            "--endpoint-url",
            endpoint_url,
            "--config",
            config,
        ])
        // Tests of several regions name them in config.
        .args(match config_names_regions(config) {
            true => &[][..],
            false => &["--region", "us-east-1"][..],
        })
        .args(more)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

/// Whether the config file lists regions (`[aws] regions`).
fn config_names_regions(config: &str) -> bool {
    std::fs::read_to_string(config).is_ok_and(|t| t.contains("regions = ["))
}

#[test]
fn snapshot_json_reports_the_seeded_endpoints_from_moto() {
    let url = moto_url();
    let endpoint = unique("snap-canary");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        seed_endpoint(
            &sdk(&url).await,
            &endpoint,
            &[("stable", 0.75, 2), ("canary", 0.25, 1)],
        )
        .await
    });
    let (code, v) = snapshot_json(&url, &ministack_url(), "/dev/null");
    assert_eq!(v["source"], "aws");
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["account"], "123456789012");
    assert_eq!(v["errors"], serde_json::json!([]));
    let row = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == endpoint.as_str())
        .unwrap();
    assert_eq!(row["endpoint"]["status"], "InService");
    assert_eq!(row["endpoint"]["config"], format!("{endpoint}-config-v1"));
    assert_eq!(row["endpoint"]["variants"][0]["name"], "stable");
    assert_eq!(row["endpoint"]["variants"][0]["weight"], 0.75);
    assert_eq!(row["endpoint"]["variants"][1]["instances"], 1);
    assert_eq!(row["stages"]["endpoint"]["health"], "ok");
    // Other tests share the emulator, so the fleet's health varies; the rule does not.
    let expected = match v["health"].as_str().unwrap() {
        "crit" => 2,
        "warn" => 1,
        _ => 0,
    };
    assert_eq!(
        code,
        Some(expected),
        "exit code follows the reported health"
    );
    // One list, then a describe of each endpoint and its config, and of each older
    // config in the histories once; one identity call. (Rows without an endpoint
    // come from business metrics other tests put in CloudWatch.)
    let with_endpoint: Vec<&serde_json::Value> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["endpoint"].is_null())
        .collect();
    let older: std::collections::BTreeSet<&str> = with_endpoint
        .iter()
        .flat_map(|m| m["endpoint"]["history"].as_array().unwrap()[1..].iter())
        .map(|c| c["config"].as_str().unwrap())
        .collect();
    let endpoints = with_endpoint.len() as u64;
    assert_eq!(
        v["api_calls"]["SageMaker:ListEndpoints"],
        endpoints.div_ceil(100),
        "pages of 100"
    );
    assert_eq!(v["api_calls"]["SageMaker:DescribeEndpoint"], endpoints);
    // Every config in a history was described, and no config twice: the older ones
    // an endpoint's lineage looked at and turned down count too, once each.
    let described = v["api_calls"]["SageMaker:DescribeEndpointConfig"]
        .as_u64()
        .unwrap();
    let in_region = rt.block_on(async {
        let sm = aws_sdk_sagemaker::Client::new(&sdk(&moto_url()).await);
        let mut pages = sm.list_endpoint_configs().into_paginator().send();
        let mut n = 0u64;
        while let Some(page) = pages.next().await {
            n += page.unwrap().endpoint_configs().len() as u64;
        }
        n
    });
    assert!(
        (endpoints + older.len() as u64..=in_region).contains(&described),
        "{described} described, {endpoints} endpoints, {} older, {in_region} in the region",
        older.len()
    );
    assert_eq!(v["api_calls"]["STS:GetCallerIdentity"], 1);
}

#[test]
fn snapshot_with_nothing_listening_exits_3_and_lists_the_errors() {
    let dead = "http://127.0.0.1:9";
    let (code, v) = snapshot_json(dead, dead, "/dev/null");
    assert_eq!(code, Some(3));
    let sources: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        vec![
            "sts",
            "sagemaker",
            "cloudwatch",
            "cost",
            "xray",
            "ecs",
            "lambda",
            "stepfunctions",
            "failover"
        ]
    );
    assert!(v["errors"][1]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot reach AWS for sagemaker:ListEndpoints"));
    assert_eq!(v["models"], serde_json::json!([]));
}

#[test]
fn snapshot_blind_to_cloudwatch_exits_4_unless_told_never_to_fail() {
    let url = moto_url();
    let endpoint = unique("half-blind");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        seed_endpoint(&sdk(&url).await, &endpoint, &[("AllTraffic", 1.0, 1)]).await
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let text = format!("[aws]\ndiscover = false\n[[models]]\nname = \"{endpoint}\"\n");
    std::fs::write(&config, text).unwrap();
    let config = config.to_str().unwrap();
    // CloudWatch answers nothing: the endpoint is there, its metrics are not.
    let dead = "http://127.0.0.1:9";
    let (code, v) = snapshot_json(&url, dead, config);
    assert_eq!(row(&v, &endpoint)["endpoint"]["status"], "InService");
    let failed: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(failed, vec!["cloudwatch"], "{:#}", v["errors"]);
    assert_ne!(v["health"], "warn");
    assert_ne!(v["health"], "crit");
    assert_eq!(code, Some(4), "not ok while blind to CloudWatch");
    let (code, _) = snapshot_json_with(&url, dead, config, &["--fail-on", "never"]);
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn endpoints_join_their_registry_versions_and_training_jobs() {
    let sdk = sdk(&moto_url()).await;
    let group = unique("fraud");
    let endpoint = seed_registered_model(
        &sdk,
        &group,
        &["Approved", "Rejected", "Approved", "PendingManualApproval"],
        3,
        &["train-a", "train-b"],
    )
    .await;

    let Update::Fleet { fleet, .. } = SageMakerSource::new(&sdk, &Default::default())
        .fetch()
        .await
    else {
        panic!("fetch failed");
    };
    // The row is the model (its package group, by lineage), not its endpoint.
    let row = fleet.model(&group).expect("endpoint listed as its model");
    assert_eq!(row.endpoint.as_ref().unwrap().name, endpoint);
    assert_eq!(
        row.identity.as_ref().unwrap().by,
        mlopsdash::model::identity::JoinedBy::Lineage
    );
    assert_eq!(
        row.endpoint.as_ref().unwrap().variants[0].model_version,
        Some(3)
    );
    use mlopsdash::model::facts::Approval::*;
    let versions: Vec<_> = row
        .registry
        .iter()
        .map(|v| (v.version, v.approval, v.deployed))
        .collect();
    assert_eq!(
        versions,
        vec![
            (4, PendingManualApproval, false),
            (3, Approved, true),
            (2, Rejected, false),
            (1, Approved, false)
        ]
    );
    let names: Vec<&str> = row.training.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.contains(&format!("{group}-train-a").as_str()),
        "{names:?}"
    );
    assert!(row
        .training
        .iter()
        .all(|r| r.status == mlopsdash::model::facts::RunStatus::Completed));
    // The newest job is described for its final metric (moto reports train:progress).
    assert_eq!(
        row.training[0].objective,
        Some(("train:progress".to_string(), 100.0))
    );
    let current = &row.endpoint.as_ref().unwrap().config_history[0];
    assert_eq!(current.model_version, Some(3));
    assert_eq!(
        current.model.as_deref(),
        Some(format!("{group}-model").as_str())
    );

    let health = mlopsdash::model::assess(row, &Default::default(), jiff::Timestamp::now());
    assert_eq!(
        health.stage(mlopsdash::model::Stage::Registry).summary,
        "v4 pend"
    );
    assert_eq!(
        health.stage(mlopsdash::model::Stage::Registry).health,
        mlopsdash::model::Health::Warn
    );
}

#[tokio::test]
async fn a_second_refresh_describes_only_what_changed() {
    let sdk = sdk(&moto_url()).await;
    let endpoint = unique("cached");
    seed_endpoint(&sdk, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
    let calls = mlopsdash::source::aws::ApiCalls::default();
    // Only our endpoint: other tests add and change theirs on the same emulator.
    let ours = mlopsdash::config::ModelMapping {
        name: endpoint.clone(),
        endpoint: Some(endpoint),
        ..Default::default()
    };
    let mut source = SageMakerSource::new(&sdk, &calls).mapped(vec![ours], false);
    let Update::Fleet { fleet, .. } = source.fetch().await else {
        panic!("first fetch failed")
    };
    let first = calls.counts();
    assert_eq!(
        first["SageMaker:DescribeEndpoint"],
        fleet.models.len() as u64
    );

    let Update::Fleet { .. } = source.fetch().await else {
        panic!("second fetch failed")
    };
    let second = calls.counts();
    // Listing again is the whole cost of an unchanged fleet (pages of 100).
    assert_eq!(
        second["SageMaker:ListEndpoints"],
        2 * first["SageMaker:ListEndpoints"]
    );
    assert_eq!(
        second["SageMaker:DescribeEndpoint"], first["SageMaker:DescribeEndpoint"],
        "nothing changed, nothing described"
    );
    assert_eq!(
        second["SageMaker:DescribeEndpointConfig"],
        first["SageMaker:DescribeEndpointConfig"]
    );
}

/// Endpoints keep serving a model deleted after deploy: the row stays, unlinked,
/// and the rest of the refresh is not lost.
#[tokio::test]
async fn an_endpoint_whose_model_was_deleted_still_has_its_row() {
    let sdk = sdk(&moto_url()).await;
    let endpoint = unique("orphan");
    seed_endpoint(&sdk, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
    aws_sdk_sagemaker::Client::new(&sdk)
        .delete_model()
        .model_name(format!("{endpoint}-model"))
        .send()
        .await
        .unwrap();
    let update = SageMakerSource::new(&sdk, &Default::default())
        .fetch()
        .await;
    let Update::Fleet { fleet, .. } = update else {
        panic!("the refresh failed: {update:?}");
    };
    let row = fleet.model(&endpoint).expect("the endpoint keeps its row");
    assert_eq!(row.endpoint.as_ref().unwrap().status, "InService");
    assert_eq!(
        row.endpoint.as_ref().unwrap().variants[0].model_version,
        None
    );
}
