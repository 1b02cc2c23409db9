//! Drift and quality from real-format Model Monitor reports in S3 (moto) and drift
//! and quality metrics in CloudWatch (ministack), through `snapshot --json`.

use std::str::FromStr;

use crate::aws::{ministack_url, moto_url, snapshot_json};
use crate::seed::{cloudwatch, put, put_series, s3, sdk, seed_endpoint, unique};

const REPORT: &str = r#"{
  "violations": [
    {"feature_name": "basket_size", "constraint_check_type": "baseline_drift_check",
     "description": "Baseline drift distance: 0.32 exceeds threshold: 0.1"},
    {"feature_name": "region", "constraint_check_type": "categorical_values_check",
     "description": "Unknown values ratio 0.08 exceeds threshold 0.05"}
  ]
}"#;

const OLDER_REPORT: &str = r#"{"violations": [
  {"feature_name": "age", "constraint_check_type": "completeness_check", "description": "x"}
]}"#;

#[test]
fn reports_and_metrics_decide_drift_and_quality_per_model() {
    let (good, broken) = (unique("drift-good"), unique("drift-bad"));
    let bucket = unique("monitor").to_lowercase();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        seed_endpoint(&moto, &good, &[("AllTraffic", 1.0, 1)]).await;
        seed_endpoint(&moto, &broken, &[("AllTraffic", 1.0, 1)]).await;
        let s3 = s3(&moto);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        // Model Monitor's layout: <prefix>/<endpoint>/<schedule>/yyyy/mm/dd/hh/.
        let objects = [
            (
                format!("reports/{good}/hourly/2026/11/22/10/constraint_violations.json"),
                OLDER_REPORT,
            ),
            (
                format!("reports/{good}/hourly/2026/11/22/11/constraint_violations.json"),
                REPORT,
            ),
            (
                format!("reports/{good}/hourly/2026/11/22/11/statistics.json"),
                "{}",
            ),
            // Cut off mid-write.
            (
                format!("reports/{broken}/hourly/2026/11/22/11/constraint_violations.json"),
                &REPORT[..60],
            ),
            (format!("raw/{broken}/part-0.csv"), "id\n1\n"),
        ];
        for (key, body) in objects {
            s3.put_object()
                .bucket(&bucket)
                .key(key)
                .body(body.as_bytes().to_vec().into())
                .send()
                .await
                .unwrap();
        }
        let cw = cloudwatch(&sdk(&ministack_url()).await);
        let monitor = [
            ("Endpoint", good.as_str()),
            ("MonitoringSchedule", "hourly"),
        ];
        put(
            &cw,
            "aws/sagemaker/Endpoints/data-metrics",
            "feature_baseline_drift_basket_size",
            &monitor,
            &[0.32],
        )
        .await;
        put(
            &cw,
            "aws/sagemaker/Endpoints/model-metrics",
            "rmse",
            &monitor,
            &[41.0],
        )
        .await;
        // MAPE climbs out of bounds 20 minutes ago (warn above 10%, crit above 15%),
        // published as fractions the way scikit-learn returns them.
        let mape = [(40, 0.08), (30, 0.095), (20, 0.12), (10, 0.16), (3, 0.182)];
        put_series(
            &cw,
            "MLOps/Models",
            "MAPE",
            &[("ModelName", good.as_str())],
            &mape,
        )
        .await;
    });
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        format!(
            "[aws]\ndiscover = false\n\n\
             [[models]]\nname = \"{good}\"\nkind = \"forecasting\"\n\
             monitoring_reports = \"s3://{bucket}/reports/{good}/\"\n\n\
             [[models]]\nname = \"{broken}\"\n\
             monitoring_reports = \"s3://{bucket}/reports/{broken}/\"\n\
             data = \"s3://{bucket}/raw/{broken}/\"\n"
        ),
    )
    .unwrap();

    let (_, v) = snapshot_json(
        &moto_url(),
        &ministack_url(),
        config.path().to_str().unwrap(),
    );
    assert_eq!(v["errors"], serde_json::json!([]), "{v:#}");
    let model = |name: &str| {
        v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };

    let g = model(&good);
    let drift = &g["drift"];
    let features: Vec<&str> = drift["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["feature"].as_str().unwrap())
        .collect();
    assert_eq!(features, vec!["basket_size", "region"], "the newest report");
    assert_eq!(drift["violations"][1]["check"], "categorical_values_check");
    assert!(drift["report"]
        .as_str()
        .unwrap()
        .ends_with("/11/constraint_violations.json"));
    assert!(drift["report_time"].is_string());
    assert_eq!(drift["features"]["basket_size"], 0.32);
    // 2 violated features warn; a feature drifting 0.32 (> 0.2) is crit.
    assert_eq!(drift["health"], "crit");
    assert_eq!(g["stages"]["drift"]["summary"], "basket_size 0.32");

    let q = &g["quality"]["MAPE"];
    assert!((q["value"].as_f64().unwrap() - 18.2).abs() < 1e-9, "{q}");
    assert_eq!(
        (q["threshold"].as_f64(), q["direction"].as_str()),
        (Some(15.0), Some("above"))
    );
    assert_eq!(q["health"], "crit");
    assert_eq!(q["trend"], "up");
    let since = jiff::Timestamp::from_str(q["breached_since"].as_str().unwrap()).unwrap();
    let ago = jiff::Timestamp::now().duration_since(since).as_secs();
    assert!((20 * 60..22 * 60).contains(&ago), "breached {ago}s ago");
    assert_eq!(g["quality"]["RMSE"]["value"], 41.0, "Model Monitor's rmse");

    let b = model(&broken);
    let problem = b["drift"]["problem"].as_str().unwrap();
    assert!(
        problem.contains("constraint_violations.json is truncated"),
        "{problem}"
    );
    assert_eq!(b["drift"]["health"], "warn");
    assert_eq!(
        b["stages"]["data"]["health"], "ok",
        "the other stages still arrive"
    );
    assert_eq!(b["endpoint"]["status"], "InService");
}
