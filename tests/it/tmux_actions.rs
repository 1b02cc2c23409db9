//! Actions as a person takes them on `--demo`: the rollback that fixes the latency
//! incident, a cancel, `--read-only`, a protected endpoint, a crash mid-dialog; and
//! an approval on the AWS API (moto).

use crate::tmux::{launch, Tmux};

/// The phases in the audit log, in order.
fn audit_phases(t: &Tmux) -> Vec<String> {
    let path = t.home().join(".local/share/mlopsdash/audit.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            format!(
                "{} {}",
                v["action"].as_str().unwrap(),
                v["phase"].as_str().unwrap()
            )
        })
        .collect()
}

/// Waits (bounded) for the audit log to hold `n` lines: the UI writes them before
/// drawing, the runner task just after.
fn audit_after(t: &Tmux, n: usize) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let phases = audit_phases(t);
        if phases.len() >= n || std::time::Instant::now() > deadline {
            return phases;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn open_model(t: &Tmux, name: &str) {
    t.keys(&["/", name, "Enter"]);
    t.wait_for("pipeline (1/8)", "the filtered pipeline");
}

#[test]
fn a_person_rolls_back_the_bad_deploy_after_cancelling_once() {
    let t = Tmux::start(150, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for(
        "recommendation-engine ENDPOINT ok→crit",
        "the latency incident (15 s in)",
    );
    open_model(&t, "recommendation");
    t.keys(&["B"]);
    t.wait_for_all(
        &[
            "Roll back recommendation-engine · confirm",
            "v6 Approved · created",
            "model recommendation-engine-model-v6",
            "sagemaker:UpdateEndpoint",
            "serving recommendation-engine-prod-config-v7",
            "y/enter confirm",
        ],
        "the rollback dialog with the target and the exact call",
    );
    t.keys(&["Escape"]);
    t.wait_for("rollback cancelled: nothing was done", "the cancel message");
    assert_eq!(
        audit_after(&t, 2),
        ["rollback requested", "rollback cancelled"]
    );
    t.wait_for("✖ 5xx", "the endpoint still failing after the cancel");

    t.keys(&["B"]);
    t.wait_for("y/enter confirm", "the dialog again");
    // A second y lands on the closed dialog: the action fires once.
    t.keys(&["y", "y"]);
    t.wait_for_all(
        &[
            "rollback succeeded",
            "✔ InService",
            "✔ recommendation-engine",
        ],
        "the endpoint updated and the row green",
    );
    assert_eq!(
        audit_after(&t, 5),
        [
            "rollback requested",
            "rollback cancelled",
            "rollback requested",
            "rollback confirmed",
            "rollback succeeded"
        ]
    );
    t.keys(&[":", "events", "Enter"]);
    t.wait_for_all(
        &[
            "rollback confirmed",
            "rollback succeeded",
            "rollback cancelled",
        ],
        "the actions in the events view",
    );
    t.keys(&["q"]);
    t.assert_clean_shell("the rollback");
}

#[test]
fn a_person_rolls_the_crashing_ecs_service_back_in_the_demo() {
    let t = Tmux::start(160, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for(
        "upsell-api ENDPOINT ok→crit",
        "the bad task definition's 5xx (20 s in)",
    );
    open_model(&t, "upsell");
    t.keys(&["Enter"]);
    t.wait_for_all(
        &["✖ task of upsell-api:8 stopped", "● upsell-api:8"],
        "the stopped tasks and the revision serving",
    );
    t.keys(&["B"]);
    t.wait_for_all(
        &[
            "ecs:UpdateService",
            "taskDefinition: \"upsell-api:7\"",
            "serving upsell-api:8",
        ],
        "the rollback dialog with the exact call",
    );
    t.keys(&["y"]);
    t.wait_for_all(
        &[
            "rollback of ECS service web-prod/upsell-api succeeded: upsell-api:7",
            "2/2 tasks",
            "● upsell-api:7",
        ],
        "the service back on the previous revision",
    );
    assert_eq!(
        audit_after(&t, 3),
        [
            "rollback requested",
            "rollback confirmed",
            "rollback succeeded"
        ]
    );
    t.keys(&["q"]);
    t.assert_clean_shell("the ECS rollback");
}

#[test]
fn read_only_refuses_every_action_key() {
    let t = Tmux::start(150, 40);
    launch(&t, "--demo --config /dev/null --read-only");
    t.wait_for("pipeline (8)", "the pipeline view");
    for (key, action) in [
        ("B", "rollback"),
        ("R", "retrain"),
        ("a", "approve"),
        ("s", "stop"),
    ] {
        t.keys(&[key]);
        t.wait_for(
            &format!("read-only: {action} is disabled"),
            "the read-only refusal",
        );
    }
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt");
    // The config file's switch does the same.
    let config = t.home().join("read-only.toml");
    std::fs::write(&config, "[actions]\nread_only = true\n").unwrap();
    launch(&t, &format!("--demo --config {}", config.display()));
    t.wait_for("pipeline (8)", "the pipeline view");
    t.keys(&["B"]);
    t.wait_for("read-only: rollback is disabled", "the config's refusal");
    assert!(audit_phases(&t).is_empty());
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt");
}

#[test]
fn a_protected_endpoint_refuses_a_wrong_name_and_a_crash_keeps_the_request() {
    let t = Tmux::start(150, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (8)", "the pipeline view");
    open_model(&t, "demand");
    t.keys(&["B"]);
    t.wait_for(
        "demand-forecasting-prod is protected (tagged env=prod)",
        "the protected endpoint's prompt",
    );
    t.keys(&["demand-forecasting-staging", "Enter"]);
    t.wait_for(
        "is not demand-forecasting-prod: nothing was done",
        "the wrong-name refusal",
    );
    assert_eq!(
        audit_after(&t, 2),
        ["rollback requested", "rollback cancelled"]
    );

    // The dialog is open again when the process dies: its request is on disk.
    t.keys(&["B"]);
    t.wait_for("type its name", "the dialog again");
    t.signal_dashboard("KILL");
    assert_eq!(
        audit_after(&t, 3),
        [
            "rollback requested",
            "rollback cancelled",
            "rollback requested"
        ]
    );
}

#[test]
fn a_canary_is_rolled_back_by_shifting_its_traffic_in_the_demo() {
    let t = Tmux::start(150, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (8)", "the pipeline view");
    open_model(&t, "churn");
    t.keys(&["Enter"]);
    t.wait_for(
        "canary · weight 0.10",
        "the canary variant in the detail view",
    );
    t.keys(&["B"]);
    t.wait_for_all(
        &[
            "all traffic to variant stable",
            "sagemaker:UpdateEndpointWeightsAndCapacities",
            "churn-detection-prod is protected",
        ],
        "the traffic-shift rollback, protected",
    );
    t.keys(&["churn-detection-prod", "Enter"]);
    t.wait_for("rollback succeeded", "the shift confirmed");
    t.wait_for_all(
        &["stable · weight 1.00", "canary · weight 0.00"],
        "the weights after the shift",
    );
    assert_eq!(
        audit_after(&t, 3),
        [
            "rollback requested",
            "rollback confirmed",
            "rollback succeeded"
        ]
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt");
}

#[test]
fn retrain_then_approve_the_new_version_in_the_demo() {
    let t = Tmux::start(150, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("pipeline (8)", "the pipeline view");
    open_model(&t, "churn");
    t.keys(&["R"]);
    t.wait_for_all(
        &[
            "sagemaker:StartPipelineExecution",
            "churn-detection-retrain",
            "PipelineParameters",
            // Its endpoint is tagged env=prod: every action on the model asks.
            "churn-detection is protected (tagged env=prod)",
        ],
        "the retrain dialog naming the pipeline and its parameters",
    );
    t.keys(&["churn-detection", "Enter"]);
    t.wait_for("Executing · Training", "the execution's progress");
    // A second retrain while one runs is refused.
    t.keys(&["R"]);
    t.wait_for(
        "retrain of churn-detection is already running",
        "the in-flight guard",
    );
    t.keys(&["a"]);
    t.wait_for_all(
        &["Approve churn-detection", "v4 · Pending", "type its name"],
        "the approve dialog",
    );
    t.keys(&["churn-detection", "Enter"]);
    // The retrain may register v5 and end meanwhile, taking the status line and the
    // registry cell: the audit log says the approval went through.
    let audit = t.home().join(".local/share/mlopsdash/audit.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&audit)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains(r#""phase":"succeeded""#) && l.contains(r#""action":"approve""#))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no approval in the audit log"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    t.keys(&["q"]);
    t.wait_for("READY$", "the shell prompt");
}

/// The same keys on a real AWS API (moto): the approval lands in the registry, and the
/// audit log names the caller STS returned.
/// A package group on moto with v1 approved and serving and v2 pending, and the
/// dashboard on it filtered to its row: (the tmux, the group, the runtime).
pub(crate) fn dashboard_with_a_pending_version(
    name: &str,
) -> (Tmux, String, tokio::runtime::Runtime) {
    use crate::aws::{ministack_url, moto_url};
    use crate::seed::{sdk, seed_registered_model, unique};
    let url = moto_url();
    let group = unique(name);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let endpoint = rt.block_on(async {
        seed_registered_model(
            &sdk(&url).await,
            &group,
            &["Approved", "PendingManualApproval"],
            1,
            &[],
        )
        .await
    });
    let t = Tmux::start(160, 40);
    t.export_test_credentials(&format!("AWS_ENDPOINT_URL_CLOUDWATCH={}", ministack_url()));
    launch(
        &t,
        &format!("--region us-east-1 --endpoint-url {url} --config /dev/null"),
    );
    // Keys typed before the dashboard owns the terminal would reach it line-buffered.
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    t.keys(&["/", &endpoint, "Enter"]);
    t.wait_for("v2 pend", "the pending version in the row");
    (t, group, rt)
}

#[test]
fn a_person_approves_a_pending_version_on_aws() {
    use crate::aws::moto_url;
    use crate::seed::sdk;
    let url = moto_url();
    let (t, group, rt) = dashboard_with_a_pending_version("tmux-approve");
    t.press_until("a", "sagemaker:UpdateModelPackage");
    t.wait_for_all(
        &[
            "sagemaker:UpdateModelPackage",
            "account 123456789012 · region us-east-1",
            "ModelApprovalStatus: \"Approved\"",
        ],
        "the approval dialog with the exact call",
    );
    t.keys(&["y"]);
    // The status line, not the event list: other tests' models crowd that on moto.
    t.wait_for(
        "succeeded: now Approved",
        "the approval confirmed by reading it back",
    );
    t.wait_for("v2 appr", "the row after the refresh");
    let approvals = rt.block_on(async {
        let sm = aws_sdk_sagemaker::Client::new(&sdk(&url).await);
        let listed = sm
            .list_model_packages()
            .model_package_group_name(&group)
            .send()
            .await
            .unwrap();
        listed
            .model_package_summary_list()
            .iter()
            .map(|p| p.model_approval_status().map(|s| s.as_str().to_string()))
            .collect::<Vec<_>>()
    });
    assert!(
        approvals.iter().all(|a| a.as_deref() == Some("Approved")),
        "{approvals:?}"
    );
    assert_eq!(
        audit_after(&t, 3),
        [
            "approve requested",
            "approve confirmed",
            "approve succeeded"
        ]
    );
    let log = std::fs::read_to_string(t.home().join(".local/share/mlopsdash/audit.jsonl")).unwrap();
    assert!(
        log.lines()
            .all(|l| l.contains("\"caller\":\"arn:aws:sts::123456789012:")),
        "{log}"
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt after quitting");
}

#[test]
fn a_person_drops_the_failing_kserve_canary_in_the_demo() {
    let t = Tmux::start(160, 45);
    launch(&t, "--demo --config /dev/null");
    t.wait_for("credit-risk ENDPOINT ok→crit", "the canary's 5xx (25 s in)");
    open_model(&t, "credit-risk");
    t.keys(&["Enter"]);
    t.wait_for_all(
        &["credit-risk-predictor-00007 canary", "✖ canary 5xx"],
        "the traffic split and the canary's own error rate",
    );
    t.keys(&["B"]);
    t.wait_for_all(
        &[
            "kubernetes:patch inferenceservices",
            "PATCH /apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices/credit-risk",
            "\"canaryTrafficPercent\":0",
            "application/merge-patch+json",
            "\"resourceVersion\":\"48170\"",
        ],
        "the rollback dialog with the exact PATCH",
    );
    t.keys(&["y"]);
    t.wait_for(
        "rollback of InferenceService serving/credit-risk succeeded",
        "the read-back",
    );
    // The split on screen moved: the previous revision takes it all, no canary left.
    t.wait_until("all traffic back on the previous revision", |screen| {
        screen
            .lines()
            .any(|l| l.contains("credit-risk-predictor-00006") && l.contains("100%"))
            && !screen.contains("00007 canary")
    });
    assert_eq!(
        audit_after(&t, 3),
        [
            "rollback requested",
            "rollback confirmed",
            "rollback succeeded"
        ]
    );
    t.keys(&["q"]);
    t.assert_clean_shell("the KServe rollback");
}
