//! What changed, read from AWS's own records: ministack records every call as a
//! CloudTrail event once recording is switched on, and keeps alarm history. Two
//! services, one named by config and one found by its tag, are deployed by a CI key
//! and scaled; an alarm fires. `snapshot --json` lists each change once, joined to
//! its model, with who made it, and names the deploy as the model's last change.

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use serde_json::Value;

use crate::aws::{ministack_url, moto_url, row, snapshot_json_env};
use crate::seed::{sdk, unique};
use crate::services_seed::{seed, Seeded};

/// The access key the "CI" deploys with: ministack records it as the caller.
const CI_KEY: &str = "AKIACIDEPLOY";

async fn as_ci(url: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(CI_KEY, "secret", None, None, "ci"))
        .endpoint_url(url)
        .load()
        .await
}

/// The CI rolls the config-named service back to :1, scales the tagged one, and an
/// alarm goes off.
async fn change(s: &Seeded, alarm: &str) {
    let url = ministack_url();
    reqwest::Client::new()
        .post(format!("{url}/_ministack/config"))
        .json(&serde_json::json!({"cloudtrail._recording_enabled": "true"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let ecs = aws_sdk_ecs::Client::new(&as_ci(&url).await);
    ecs.update_service()
        .cluster(&s.cluster)
        .service(&s.service)
        .task_definition(format!("{}:1", s.family))
        .send()
        .await
        .unwrap();
    ecs.update_service()
        .cluster(&s.cluster)
        .service(&s.tagged_service)
        .desired_count(3)
        .send()
        .await
        .unwrap();
    let cw = aws_sdk_cloudwatch::Client::new(&sdk(&url).await);
    cw.put_metric_alarm()
        .alarm_name(alarm)
        .namespace("AWS/ApplicationELB")
        .metric_name("HTTPCode_Target_5XX_Count")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(10.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.set_alarm_state()
        .alarm_name(alarm)
        .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
        .state_reason("Threshold Crossed: 1 datapoint was greater than the threshold (10.0).")
        .send()
        .await
        .unwrap();
}

fn snapshot(s: &Seeded) -> Value {
    let mut config = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(
        &mut config,
        format!(
            "[[models]]\nname = \"{}\"\necs_service = \"{}/{}\"\n",
            s.model, s.cluster, s.service
        )
        .as_bytes(),
    )
    .unwrap();
    let url = ministack_url();
    let env = [
        ("AWS_ENDPOINT_URL_ECS", url.as_str()),
        ("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", url.as_str()),
        ("AWS_ENDPOINT_URL_CLOUDTRAIL", url.as_str()),
    ];
    let (_, json) = snapshot_json_env(
        &moto_url(),
        &url,
        config.path().to_str().unwrap(),
        &["--fail-on", "never"],
        &env,
    );
    json
}

fn find<'a>(changes: &'a [Value], what: &str) -> Vec<&'a Value> {
    changes.iter().filter(|c| c["what"] == what).collect()
}

#[test]
fn cloudtrail_and_alarm_history_name_what_changed_who_did_it_and_whose_model() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(seed(&ministack_url()));
    let alarm = unique("pricing-5xx");
    rt.block_on(change(&s, &alarm));
    let json = snapshot(&s);
    let changes = json["changes"].as_array().unwrap();

    let deploy = format!(
        "UpdateService {}/{} (task definition {}:1)",
        s.cluster, s.service, s.family
    );
    let found = find(changes, &deploy);
    assert_eq!(found.len(), 1, "{changes:#?}");
    let d = found[0];
    assert_eq!(d["kind"], "deploy");
    assert_eq!(d["source"], "cloudtrail");
    assert_eq!(d["who"], CI_KEY);
    assert_eq!(d["model"], s.model.as_str());

    // Scaling is configuration, not a deploy; joined by the service's tag.
    let scale = format!(
        "UpdateService {}/{} (desired 3)",
        s.cluster, s.tagged_service
    );
    let found = find(changes, &scale);
    assert_eq!(found.len(), 1, "{changes:#?}");
    assert_eq!(found[0]["kind"], "config");
    assert_eq!(found[0]["model"], s.tagged.as_str());

    let fired: Vec<&Value> = changes
        .iter()
        .filter(|c| {
            c["source"] == "alarm-history" && c["what"].as_str().unwrap().starts_with(&alarm)
        })
        .collect();
    assert_eq!(fired.len(), 1, "{changes:#?}");
    assert_eq!(fired[0]["kind"], "alarm");
    assert!(
        fired[0]["what"].as_str().unwrap().contains("to ALARM"),
        "{:#}",
        fired[0]
    );

    // Newest first, and the deploy is the model's last change.
    let times: Vec<&str> = changes
        .iter()
        .map(|c| c["time"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    let m = row(&json, &s.model);
    assert_eq!(
        m["last_change"]["what"],
        deploy.as_str(),
        "{:#}",
        m["last_change"]
    );
    assert!(m["last_change"]["deltas"].is_object());

    // One lookup per watched call, each one page: bounded, whatever the trail holds.
    assert_eq!(
        json["api_calls"]["CloudTrail:LookupEvents"], 8,
        "{:#}",
        json["api_calls"]
    );
    assert_eq!(json["api_calls"]["CloudWatch:DescribeAlarmHistory"], 1);
}

/// What the dashboard itself sees change on AWS (moto): another engineer approves a
/// pending version outside mlopsdash; after a refresh `:changes` lists the approval
/// as observed, beside the endpoint config the facts date.
#[test]
fn an_approval_made_elsewhere_is_seen_changing_between_refreshes() {
    let url = moto_url();
    let (t, group, rt) = crate::tmux_actions::dashboard_with_a_pending_version("seen-approve");
    rt.block_on(async {
        let sm = aws_sdk_sagemaker::Client::new(&sdk(&url).await);
        let listed = sm
            .list_model_packages()
            .model_package_group_name(&group)
            .send()
            .await
            .unwrap();
        let pending = listed
            .model_package_summary_list()
            .iter()
            .find(|p| p.model_package_version() == Some(2))
            .and_then(|p| p.model_package_arn())
            .unwrap()
            .to_string();
        sm.update_model_package()
            .model_package_arn(pending)
            .model_approval_status(aws_sdk_sagemaker::types::ModelApprovalStatus::Approved)
            .send()
            .await
            .unwrap();
    });
    t.keys(&["r"]);
    t.wait_for("v2 appr", "the row after the refresh");
    t.keys(&[":", "changes", "Enter"]);
    t.wait_for_all(
        &[
            "v2 PendingManualApproval → Approved  (observed)",
            "approval",
        ],
        "the approval seen changing",
    );
    let screen = t.wait_for("v2 registered", "the versions the facts date");
    assert!(screen.contains("changes ("), "{screen}");
    t.keys(&["q"]);
    t.assert_clean_shell("the approval seen");
}
