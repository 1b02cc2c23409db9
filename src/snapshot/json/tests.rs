use super::*;
use crate::testing::demo_app;

#[test]
fn keys_are_the_documented_ones() {
    let g = Gathered {
        app: demo_app(4, 120),
        errors: vec![("s3".into(), "denied".into())],
    };
    let v = serde_json::to_value(Snapshot::new(&g, BTreeMap::new())).unwrap();
    for key in [
        "generated_at",
        "source",
        "region",
        "account",
        "health",
        "models",
        "alarms",
        "errors",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    let m = &v["models"][0];
    for key in [
        "name", "health", "stages", "endpoint", "training", "registry", "metrics",
    ] {
        assert!(m.get(key).is_some(), "model is missing {key}");
    }
    for stage in [
        "data", "training", "registry", "endpoint", "drift", "quality",
    ] {
        assert!(m["stages"][stage]["health"].is_string(), "stage {stage}");
    }
    assert_eq!(v["errors"][0]["source"], "s3");
    let demand = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "demand-forecasting")
        .unwrap();
    assert_eq!(demand["stages"]["quality"]["health"], "crit");
    assert_eq!(demand["metrics"]["MAPE"], 18.2);
    assert_eq!(demand["registry"]["versions"][0]["approval"], "Approved");
    assert_eq!(demand["endpoint"]["variants"][0]["weight"], 1.0);
    let churn = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "churn-detection")
        .unwrap();
    assert_eq!(churn["training"]["status"], "Failed");
    assert_eq!(
        v["alarms"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["state"] == "Alarm")
            .count(),
        2
    );
}
