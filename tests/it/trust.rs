//! An action a viewer takes on a collector's state it cannot trust. A collector
//! writes the fleet of two accounts to S3 (moto); the state is then altered the way
//! anyone who may write the prefix could: a newer endpoint config that does not
//! exist is put first in the model's history, the model's protection removed, and
//! the two accounts swapped in order. A viewer with its own config (the model
//! protected) presses B, a and R: the dialog says what AWS says now, asks for the
//! name, names the account the call goes to, and the call lands there.

use std::io::Read;

use crate::aws::{ministack_url, moto_url};
use crate::scopes_seed::assumed;
use crate::seed::{sdk, seed_registered_model, unique};
use crate::tmux::{launch, Tmux};

const DEV_ROLE: &str = "arn:aws:iam::444444444444:role/mlopsdash-read";

/// A model whose endpoint went from config v1 to v2 (v3 waits for approval), tagged
/// env=prod: what the prod account runs.
async fn seed_prod(aws: &aws_config::SdkConfig, group: &str) {
    use aws_sdk_sagemaker::types::*;
    let sm = aws_sdk_sagemaker::Client::new(aws);
    let approvals = ["Approved", "Approved", "PendingManualApproval"];
    let arns = crate::seed::seed_versions(aws, group, &approvals).await;
    let endpoint = format!("{group}-prod");
    for v in [1, 2] {
        let model = format!("{group}-v{v}");
        sm.create_model()
            .model_name(&model)
            .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
            .primary_container(
                ContainerDefinition::builder()
                    .model_package_name(&arns[v - 1])
                    .build(),
            )
            .send()
            .await
            .unwrap();
        sm.create_endpoint_config()
            .endpoint_config_name(format!("{endpoint}-config-v{v}"))
            .production_variants(
                ProductionVariant::builder()
                    .variant_name("AllTraffic")
                    .model_name(&model)
                    .initial_instance_count(1)
                    .instance_type(ProductionVariantInstanceType::MlM5Large)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        // Configs created in one second would tie: v2 is the newer.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    sm.create_endpoint()
        .endpoint_name(&endpoint)
        .endpoint_config_name(format!("{endpoint}-config-v2"))
        .send()
        .await
        .unwrap();
    // Tagged as production: the collector's facts say it is protected.
    crate::seed::tag_endpoint(aws, &endpoint, "env", "prod").await;
}

fn s3_get(rt: &tokio::runtime::Runtime, bucket: &str, key: &str) -> Vec<u8> {
    rt.block_on(async { crate::seed::get_object(&sdk(&moto_url()).await, bucket, key).await })
}

fn s3_put(rt: &tokio::runtime::Runtime, bucket: &str, key: &str, body: Vec<u8>) {
    rt.block_on(async {
        crate::seed::put_object(&sdk(&moto_url()).await, bucket, key, body).await
    });
}

/// The state as the collector wrote it, then altered: the planted config, the
/// protection gone, the accounts in the other order (every feed, model and alarm
/// renumbered with them, as a collector with its accounts listed the other way
/// round would write it).
fn alter(state: &mut serde_json::Value, model: &str) {
    let endpoint = format!("{model}-prod");
    let scopes = state["scopes"].as_array_mut().unwrap();
    assert_eq!(scopes.len(), 2, "{scopes:?}");
    scopes.swap(0, 1);
    let swap = |v: &mut serde_json::Value| {
        let ix = v.as_u64().unwrap_or(0);
        *v = serde_json::json!(1 - ix);
    };
    let mut found = false;
    for feed in state["feeds"].as_array_mut().unwrap() {
        swap(&mut feed["scope"]);
        for a in feed["fleet"]["alarms"].as_array_mut().into_iter().flatten() {
            swap(&mut a["scope"]);
        }
        for m in feed["fleet"]["models"].as_array_mut().into_iter().flatten() {
            swap(&mut m["scope"]["index"]);
            if m["name"] != model {
                continue;
            }
            let Some(ep) = m["endpoint"].as_object_mut() else {
                continue;
            };
            found = true;
            ep.remove("protected");
            let history = ep["config_history"].as_array_mut().unwrap();
            history.insert(
                0,
                serde_json::json!({
                    "name": format!("{endpoint}-config-v9"),
                    "created": jiff::Timestamp::now().to_string(),
                    "model": format!("{model}-v9"),
                    "model_version": 9,
                }),
            );
        }
    }
    assert!(found, "the model's endpoint is in the state");
}

#[test]
fn a_viewer_acts_on_what_aws_says_with_its_own_protection_in_the_right_account() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let model = unique("trust-rec");
    let other = unique("trust-dev");
    let bucket = unique("trust-state");
    rt.block_on(async {
        let prod = sdk(&moto_url()).await;
        seed_prod(&prod, &model).await;
        // The job retrain clones, named for the model.
        crate::seed::seed_training_job(&prod, &format!("{model}-train")).await;
        let dev = assumed(&prod, DEV_ROLE).await;
        seed_registered_model(&dev, &other, &["Approved"], 1, &[]).await;
        crate::seed::s3(&prod)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
    });
    let accounts = format!(
        "[[accounts]]\nlabel = \"prod\"\n\n[[accounts]]\nlabel = \"dev\"\nrole_arn = \"{DEV_ROLE}\"\n"
    );
    let home = tempfile::tempdir().unwrap();
    // The collector sees the endpoint's tag: the altered state drops what it says.
    let collector = home.path().join("collector.toml");
    std::fs::write(
        &collector,
        format!("[aws]\nrefresh_seconds = 10\n\n{accounts}"),
    )
    .unwrap();
    let out = crate::binary::aws_binary(home.path(), &ministack_url(), &ministack_url())
        .args(["--region", "us-east-1", "--endpoint-url", &moto_url()])
        .args(["--config", &collector.display().to_string()])
        .args([
            "collect",
            "--to",
            &format!("s3://{bucket}/trust/"),
            "--count",
            "1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pointer: serde_json::Value =
        serde_json::from_slice(&s3_get(&rt, &bucket, "trust/latest.json")).unwrap();
    let key = pointer["key"].as_str().unwrap().to_string();

    // The viewer's own config: its accounts, and the model protected. It opens on
    // the state as the collector wrote it.
    let viewer = home.path().join("viewer.toml");
    std::fs::write(
        &viewer,
        format!("{accounts}\n[[models]]\nname = \"{model}\"\nprotected = true\n"),
    )
    .unwrap();
    let t = Tmux::start(200, 50);
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL={} AWS_ENDPOINT_URL_CLOUDWATCH={} AWS_ENDPOINT_URL_CLOUDTRAIL={}",
        moto_url(),
        ministack_url(),
        ministack_url()
    ));
    launch(
        &t,
        &format!("--from s3://{bucket}/trust/ --config {}", viewer.display()),
    );
    t.wait_for("⇣ collector", "the viewer's header");
    t.keys(&["/", &model, "Enter"]);
    t.wait_for("(1/", "the model's row");

    // The next state, altered: planted config, no protection, the accounts swapped
    // (and seventeen problems, to see it arrive).
    let mut json = String::new();
    flate2::read::GzDecoder::new(&s3_get(&rt, &bucket, &key)[..])
        .read_to_string(&mut json)
        .unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&json).unwrap();
    alter(&mut state, &model);
    let written: jiff::Timestamp = state["written_at"].as_str().unwrap().parse().unwrap();
    let later = written + jiff::SignedDuration::from_secs(1);
    state["written_at"] = serde_json::json!(later.to_string());
    state["collector"]["errors"] = serde_json::json!(vec!["planted"; 17]);
    let next = key.replace(".json.gz", "-next.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, state.to_string().as_bytes()).unwrap();
    s3_put(&rt, &bucket, &next, gz.finish().unwrap());
    let pointer = serde_json::json!({
        "schema": {"major": 1, "minor": 0},
        "key": next,
        "written_at": later.to_string(),
        "bytes": 0,
    });
    s3_put(
        &rt,
        &bucket,
        "trust/latest.json",
        pointer.to_string().into_bytes(),
    );
    t.keys(&["r"]);
    t.wait_for("17 problems", "the altered state on screen");

    // Roll back: AWS's configs, AWS's "now", the name asked, the right account.
    t.keys(&["B"]);
    let dialog = t.wait_for_all(
        &[
            &format!("serving {model}-prod-config-v2"),
            &format!("{model}-prod-config-v1"),
            "1 choice:",
            "the collector's state differs from AWS now",
            &format!("{model}-prod is protected (protected in config)"),
            "type its name",
            "account prod (123456789012)",
        ],
        "the rollback dialog planned from AWS",
    );
    assert!(
        !dialog.contains(&format!("serving {model}-prod-config-v9")),
        "{dialog}"
    );
    t.keys(&["Escape"]);
    t.wait_for("rollback cancelled", "the rollback cancelled");

    // Approve: the name typed, the call sent to prod, where the version now is.
    t.keys(&["a"]);
    t.wait_for_all(
        &[
            "sagemaker:UpdateModelPackage",
            "type its name",
            "account prod (123456789012)",
        ],
        "the approval dialog",
    );
    t.keys(&[&model, "Enter"]);
    t.wait_for("succeeded: now Approved", "the approval read back");
    let approved = rt.block_on(async {
        let sm = aws_sdk_sagemaker::Client::new(&sdk(&moto_url()).await);
        let listed = sm
            .list_model_packages()
            .model_package_group_name(&model)
            .send()
            .await
            .unwrap();
        listed
            .model_package_summary_list()
            .iter()
            .filter(|p| p.model_approval_status().map(|s| s.as_str()) == Some("Approved"))
            .count()
    });
    assert_eq!(approved, 3, "v3 approved in the prod account");

    // Retrain: protected too.
    t.keys(&["R"]);
    t.wait_for_all(
        &["sagemaker:CreateTrainingJob", "type its name"],
        "the retrain dialog asking for the name",
    );
    t.keys(&["Escape"]);
    t.wait_for("retrain cancelled", "the retrain cancelled");
    t.keys(&["q"]);
    t.assert_clean_shell("quit");

    let audit =
        std::fs::read_to_string(t.home().join(".local/share/mlopsdash/audit.jsonl")).unwrap();
    let sent: Vec<serde_json::Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|r: &serde_json::Value| r["phase"] == "succeeded")
        .collect();
    assert_eq!(sent.len(), 1, "{audit}");
    assert_eq!(sent[0]["account"], "123456789012");
    assert_eq!(sent[0]["label"], "prod");
}
