//! Cost Explorer against moto, in an account of its own (moto queues cost results
//! per account, and other tests' snapshots ask Cost Explorer too).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sagemaker::config::Credentials;
use mlopsdash::source::aws::cost::CostSource;
use mlopsdash::source::aws::ApiCalls;
use mlopsdash::source::{Source, Update};

use crate::aws::moto_url;
use crate::seed::sdk;

/// Credentials moto files under a fresh account: assume a role there.
async fn account_of_its_own() -> (String, SdkConfig) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let account = format!("{:012}", 100_000_000_000u64 + u64::from(nanos));
    let sts = aws_sdk_sts::Client::new(&sdk(&moto_url()).await);
    let creds = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/cost-reader"))
        .role_session_name("tests")
        .send()
        .await
        .unwrap()
        .credentials
        .unwrap();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_string()),
            None,
            "assumed",
        ))
        .endpoint_url(moto_url())
        .load()
        .await;
    (account, config)
}

fn month_day(day: i8) -> String {
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    today.with().day(day).build().unwrap().to_string()
}

/// A member account of the payer the test's account plays.
const MEMBER: &str = "222222222222";

/// Queues Cost Explorer answers in the order the source asks: by service and linked
/// account (these credentials are a payer's: a member account spends too), by day,
/// by the model tag.
fn queue_results(account: &str) {
    let period = serde_json::json!({"Start": month_day(1), "End": month_day(2)});
    let amount = |v: &str| serde_json::json!({"UnblendedCost": {"Amount": v, "Unit": "USD"}});
    let group = |key: &str, v: &str| serde_json::json!({"Keys": [key], "Metrics": amount(v)});
    let pair = |service: &str, account: &str, v: &str| serde_json::json!({"Keys": [service, account], "Metrics": amount(v)});
    let body = serde_json::json!({
        "account_id": account,
        "results": [
            {"ResultsByTime": [{"TimePeriod": period, "Total": {}, "Estimated": true, "Groups": [
                pair("Amazon SageMaker", account, "700.00"),
                pair("Amazon SageMaker", MEMBER, "112.40"),
                pair("Amazon Relational Database Service", account, "120.10"),
                pair("Tax", account, "0"),
            ]}]},
            {"ResultsByTime": [
                {"TimePeriod": period, "Total": amount("500.25"), "Groups": [], "Estimated": false},
                {"TimePeriod": {"Start": month_day(2), "End": month_day(3)}, "Total": amount("432.25"), "Groups": [], "Estimated": true},
            ]},
            {"ResultsByTime": [{"TimePeriod": period, "Total": {}, "Estimated": true, "Groups": [
                group("model$demand-forecasting", "300.00"),
                group("model$", "512.40"),
            ]}]},
        ]
    });
    let url = format!("{}/moto-api/static/ce/cost-and-usage-results", moto_url());
    let status = std::process::Command::new("curl")
        .args([
            "-sf",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-d",
        ])
        .arg(body.to_string())
        .arg(url)
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn month_to_date_by_service_day_and_model_then_cached_on_disk() {
    let (account, config) = account_of_its_own().await;
    queue_results(&account);
    let cache = tempfile::tempdir().unwrap();
    let calls = ApiCalls::default();
    let (force_tx, force_rx) = tokio::sync::watch::channel(0);
    let source = || {
        CostSource::new(&config, &calls, Some("model".into()), 60, force_rx.clone())
            .cache_in(cache.path().to_path_buf())
            .for_account(account.clone())
    };
    let mut first = source();
    let Update::Fleet { fleet, .. } = first.fetch().await else {
        panic!("cost failed")
    };
    let cost = fleet.cost.unwrap();
    assert_eq!(cost.month_to_date, 932.5);
    assert_eq!(cost.currency, "USD");
    let services: Vec<(&str, f64)> = cost
        .by_service
        .iter()
        .map(|(s, v)| (s.as_str(), *v))
        .collect();
    assert_eq!(
        services,
        vec![
            ("Amazon SageMaker", 812.4),
            ("Amazon Relational Database Service", 120.1)
        ],
        "largest first, zero lines dropped"
    );
    let by_account: Vec<(&str, f64)> = cost
        .by_account
        .iter()
        .map(|(a, v)| (a.as_str(), (v * 100.0).round() / 100.0))
        .collect();
    let mut expected = vec![(account.as_str(), 820.1), (MEMBER, 112.4)];
    expected.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(by_account, expected, "a payer sees its members' spend");
    assert_eq!(cost.daily.len(), 2);
    assert_eq!(cost.by_model.get("demand-forecasting"), Some(&300.0));
    assert_eq!(cost.by_model.len(), 1, "untagged spend is not a model");
    assert_eq!(
        cost.forecast, None,
        "moto has no GetCostForecast: no forecast, no error"
    );
    let asked = calls.counts()["Cost Explorer:GetCostAndUsage"];
    assert_eq!(asked, 3);

    // Within the hour: the same source, and a new one (next session), ask nothing.
    assert!(matches!(first.fetch().await, Update::Fleet { .. }));
    let Update::Fleet { fleet, .. } = source().fetch().await else {
        panic!("cached cost failed")
    };
    assert_eq!(fleet.cost.unwrap().month_to_date, 932.5);
    assert_eq!(calls.counts()["Cost Explorer:GetCostAndUsage"], asked);
    assert!(cache.path().join(format!("cost-{account}.json")).exists());

    // A confirmed refresh asks again.
    force_tx.send_modify(|n| *n += 1);
    assert!(matches!(first.fetch().await, Update::Fleet { .. }));
    assert_eq!(calls.counts()["Cost Explorer:GetCostAndUsage"], asked + 3);
}
