//! Several accounts and regions in one dashboard, against moto: moto serves any
//! account a role is assumed into, and every region. One model deployed in two
//! regions of one account (a version behind in the secondary) with its data bucket
//! replicated and Route 53 failover records; another model in both regions on the
//! same version; the same model name in a second account (an assumed role); and a
//! third account whose role cannot be assumed (no base credentials for it).

use crate::aws::{moto_url, row, snapshot_json_with};
use crate::scopes_seed::{assumed, failover_records, in_region, replicated_bucket};
use crate::seed::{sdk, seed_registered_model, unique};
use crate::tmux::{launch, Tmux};

const DEV_ROLE: &str = "arn:aws:iam::222222222222:role/mlopsdash-read";

struct Fleet {
    lagging: String,
    level: String,
    config: tempfile::NamedTempFile,
    /// moto behind a proxy that refuses the stage account's role; kept running.
    proxy: crate::proxy::Proxy,
    rt: tokio::runtime::Runtime,
}

const STAGE_ACCOUNT: &str = "333333333333";

fn seed_fleet() -> Fleet {
    let url = moto_url();
    let lagging = unique("dr-churn");
    let level = unique("dr-fraud");
    let bucket = unique("dr-raw");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let east = sdk(&url).await;
        let west = in_region(&east, "us-west-2");
        let approvals = ["Approved", "Approved"];
        // The primary serves v2, the secondary still v1.
        seed_registered_model(&east, &lagging, &approvals, 2, &[]).await;
        seed_registered_model(&west, &lagging, &approvals, 1, &[]).await;
        seed_registered_model(&east, &level, &approvals, 2, &[]).await;
        seed_registered_model(&west, &level, &approvals, 2, &[]).await;
        replicated_bucket(&east, &bucket).await;
        // S3 says the rule runs 25 minutes behind.
        let cw = crate::seed::cloudwatch(&sdk(&crate::aws::ministack_url()).await);
        let dr = format!("{bucket}-dr");
        let rule = [
            ("SourceBucket", bucket.as_str()),
            ("DestinationBucket", dr.as_str()),
            ("RuleId", "to-us-west-2"),
        ];
        crate::seed::put(&cw, "AWS/S3", "ReplicationLatency", &rule, &[1500.0]).await;
        crate::seed::put(
            &cw,
            "AWS/S3",
            "OperationsPendingReplication",
            &rule,
            &[340.0],
        )
        .await;
        failover_records(&east, &lagging).await;
        // The same name in the dev account, assumed into.
        let dev = assumed(&east, DEV_ROLE).await;
        // Its v2 waits for approval there.
        let pending = ["Approved", "PendingManualApproval"];
        seed_registered_model(&dev, &lagging, &pending, 1, &[]).await;
    });
    let proxy = rt.block_on(crate::proxy::Proxy::start(
        &url,
        crate::proxy::Faults {
            denied: Some(STAGE_ACCOUNT),
            ..Default::default()
        },
    ));
    let mut config = tempfile::NamedTempFile::new().unwrap();
    let text = format!(
        r#"
[aws]
regions = ["us-east-1", "us-west-2"]

[[accounts]]
label = "prod"
colour = "red"
protected = true

[[accounts]]
label = "dev"
role_arn = "{DEV_ROLE}"
regions = ["us-east-1"]

[[accounts]]
label = "stage"
role_arn = "arn:aws:iam::{STAGE_ACCOUNT}:role/mlopsdash-read"
regions = ["us-east-1"]

[[models]]
name = "{lagging}"
endpoint = "{lagging}-prod"
data = "s3://{bucket}/raw/"

[[models]]
name = "{level}"
endpoint = "{level}-prod"
"#
    );
    std::io::Write::write_all(&mut config, text.as_bytes()).unwrap();
    Fleet {
        lagging,
        level,
        config,
        proxy,
        rt,
    }
}

#[test]
fn one_row_per_dr_pair_with_its_readiness_and_each_account_failing_alone() {
    let f = seed_fleet();
    let url = f.proxy.url.clone();
    let config = f.config.path().to_str().unwrap();
    let (_, v) = snapshot_json_with(
        &url,
        &crate::aws::ministack_url(),
        config,
        &["--fail-on", "never"],
    );

    // Four scopes: prod in two regions, dev, stage; only stage failed, and it says why.
    let scopes = v["scopes"].as_array().unwrap();
    let named: Vec<(String, String)> = scopes
        .iter()
        .map(|s| {
            (
                s["label"].as_str().unwrap().into(),
                s["region"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("prod".into(), "us-east-1".into()),
            ("prod".into(), "us-west-2".into()),
            ("dev".into(), "us-east-1".into()),
            ("stage".into(), "us-east-1".into()),
        ]
    );
    assert_eq!(
        scopes[2]["account"], "222222222222",
        "dev is the assumed role's account"
    );
    for s in &scopes[..3] {
        assert!(s["requests"].as_u64().unwrap() > 0, "{s}");
        let errors = s["errors"].to_string();
        assert!(!errors.contains("credentials"), "{s}");
    }
    let stage = scopes[3]["errors"].to_string();
    assert!(
        stage.contains("AccessDenied") || stage.contains("not authorized"),
        "stage names what failed: {stage}"
    );
    assert!(
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["scopes"][0]["region"] != serde_json::Value::Null),
        "every row says where it runs"
    );

    // The lagging pair: one row, both regions, not ready, and why.
    let lagging = row(&v, &f.lagging);
    let places: Vec<(&str, &str)> = lagging["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["region"].as_str().unwrap(), s["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        places,
        [("us-east-1", "primary"), ("us-west-2", "secondary")]
    );
    let failover = &lagging["failover"];
    assert_eq!(failover["ready"], false);
    let reasons = failover["reasons"].to_string();
    assert!(
        reasons.contains("us-west-2 serves v1, us-east-1 v2"),
        "{reasons}"
    );
    assert_eq!(failover["drift"], "us-west-2 serves v1, us-east-1 v2");
    assert_ne!(lagging["health"], "ok", "a drifted secondary warns");
    let data = &failover["replication"][0];
    assert_eq!(data["holds"], "data");
    assert_eq!(data["rules"][0]["enabled"], true);
    assert_eq!(data["rules"][0]["time_control"], true);
    assert_eq!(data["rules"][0]["latency_seconds"], 1500.0);
    assert_eq!(data["rules"][0]["pending_operations"], 340.0);
    assert!(
        reasons.contains("replication is 25 min behind"),
        "{reasons}"
    );
    assert!(data["rules"][0]["destination"]
        .as_str()
        .unwrap()
        .ends_with("-dr"));
    let checks = failover["health_checks"].as_array().unwrap();
    let roles: Vec<&str> = checks.iter().map(|c| c["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["PRIMARY", "SECONDARY"]);
    assert!(checks.iter().all(|c| c["healthy"] == true), "{checks:?}");

    // The level pair is ready.
    let level = row(&v, &f.level);
    assert_eq!(level["failover"]["ready"], true, "{}", level["failover"]);
    assert_eq!(level["scopes"].as_array().unwrap().len(), 2);

    // The dev account's model of the same name is its own row.
    let dev = row(&v, &format!("{}@dev", f.lagging));
    assert_eq!(dev["scopes"][0]["account"], "222222222222");
    assert!(dev["failover"].is_null());
}

#[test]
fn the_dashboard_shows_where_each_row_runs_and_the_pair_in_detail() {
    let f = seed_fleet();
    let t = Tmux::start(200, 40);
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL={} AWS_ENDPOINT_URL_CLOUDWATCH={} AWS_ENDPOINT_URL_CLOUDTRAIL={}",
        f.proxy.url,
        crate::aws::ministack_url(),
        crate::aws::ministack_url()
    ));
    launch(&t, &format!("--config {}", f.config.path().display()));
    t.wait_for_all(
        &[
            "prod us-east-1,us-west-2",
            "dev us-east-1",
            "stage us-east-1 ✖",
            "WHERE",
        ],
        "the header's accounts, the failing one marked",
    );
    t.keys(&["/", &f.lagging, "Enter"]);
    t.wait_for("prod us-east-1⇄us-west-2 ⚠DR", "the pair's row");
    t.keys(&["Enter"]);
    t.wait_for_all(
        &[
            "⇄ DR us-east-1 → us-west-2",
            "secondary not ready",
            "serves v1",
        ],
        "the pair in the detail view",
    );

    // An action on the dev account's row runs with dev's assumed role, and says so.
    // Escape alone: followed at once by a key it would read as alt-key.
    t.keys(&["Escape"]);
    t.wait_for("WHERE", "back on the filtered pipeline");
    t.keys(&["/", "C-u", &format!("{}@dev", f.lagging), "Enter"]);
    t.wait_for("dev us-east-1", "the dev row alone");
    t.press_until("a", "sagemaker:UpdateModelPackage");
    t.wait_for_all(
        &[
            "sagemaker:UpdateModelPackage",
            "account dev (222222222222) · region us-east-1",
        ],
        "the approval dialog naming the account",
    );
    t.keys(&["y"]);
    t.wait_for("succeeded: now Approved", "the approval read back");
    let approved = f.rt.block_on(async {
        let dev = assumed(&sdk(&moto_url()).await, DEV_ROLE).await;
        let listed = aws_sdk_sagemaker::Client::new(&dev)
            .list_model_packages()
            .model_package_group_name(&f.lagging)
            .send()
            .await
            .unwrap();
        listed
            .model_package_summary_list()
            .iter()
            .all(|p| p.model_approval_status().map(|s| s.as_str()) == Some("Approved"))
    });
    assert!(approved, "the dev account's version was approved in dev");
    let audit =
        std::fs::read_to_string(t.home().join(".local/share/mlopsdash/audit.jsonl")).unwrap();
    let last = audit.lines().last().unwrap();
    assert!(
        last.contains(r#""label":"dev""#) && last.contains(r#""account":"222222222222""#),
        "{last}"
    );

    // :stats prices each account and region.
    t.keys(&[":", "stats", "Enter"]);
    t.wait_for_all(
        &["by account and region", "prod us-west-2", "dev us-east-1"],
        "requests per account and region",
    );
    t.keys(&["q"]);
    t.assert_clean_shell("quit");
}
