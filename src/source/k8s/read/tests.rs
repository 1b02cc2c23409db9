use super::*;

fn cluster() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/k8s/cluster.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn named<'a>(all: &'a Value, kind: &str, name: &str) -> &'a Value {
    all[kind]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap()
}

#[test]
fn an_inference_service_in_canary_says_its_split_its_previous_revision_and_artifact() {
    let all = cluster();
    let w = inference_service(named(&all, "inferenceservices", "fraud-detector"), "ml").unwrap();
    assert_eq!((w.namespace.as_str(), w.ready), ("serving", Some(true)));
    assert_eq!(
        w.url.as_deref(),
        Some("http://fraud-detector.serving.example.com")
    );
    assert_eq!(
        w.traffic,
        vec![
            Traffic {
                revision: "fraud-detector-predictor-00007".into(),
                percent: 10,
                latest: true
            },
            Traffic {
                revision: "fraud-detector-predictor-00006".into(),
                percent: 90,
                latest: false
            },
        ]
    );
    assert_eq!(w.canary_percent, Some(10));
    assert_eq!(
        w.previous_revision.as_deref(),
        Some("fraud-detector-predictor-00006")
    );
    assert_eq!(
        w.storage_uri.as_deref(),
        Some("s3://ml-models/fraud-detection/v7/model.bst")
    );
    assert_eq!(w.resource_version.as_deref(), Some("52301"));
}

#[test]
fn the_older_framework_form_and_a_failed_revision_are_read() {
    let all = cluster();
    let w = inference_service(named(&all, "inferenceservices", "churn-sklearn"), "ml").unwrap();
    assert_eq!(w.storage_uri.as_deref(), Some("s3://ml-models/churn/v3"));
    assert_eq!(w.ready, Some(false));
    assert!(w
        .reason
        .as_deref()
        .unwrap()
        .starts_with("RevisionFailed: Revision"));
}

#[test]
fn deployments_say_replicas_rollout_revision_and_image() {
    let all = cluster();
    let ok = deployment(named(&all, "deployments", "pricing-api"), "ml").unwrap();
    assert_eq!(
        ok.replicas,
        Some(Replicas {
            ready: 3,
            desired: 3
        })
    );
    assert_eq!(ok.rollout.as_deref(), Some("NewReplicaSetAvailable"));
    assert_eq!(ok.revision, Some(3));
    assert!(ok.image.as_deref().unwrap().ends_with("pricing-api:1.4.0"));
    assert_eq!(
        pod_selector(named(&all, "deployments", "pricing-api")).as_deref(),
        Some("app=pricing-api")
    );
    let stuck = deployment(named(&all, "deployments", "recsys-api"), "ml").unwrap();
    assert_eq!(stuck.rollout.as_deref(), Some("ProgressDeadlineExceeded"));
    assert_eq!(stuck.ready, Some(false));
    let mut rolling = named(&all, "deployments", "pricing-api").clone();
    rolling["metadata"]["generation"] = 6.into();
    assert_eq!(
        deployment(&rolling, "ml").unwrap().rollout.as_deref(),
        Some("ReplicaSetUpdated")
    );
}

#[test]
fn pods_sum_restarts_and_keep_the_newest_bad_termination() {
    let all = cluster();
    let of = |prefix: &str| -> Vec<Value> {
        all["pods"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"]["name"].as_str().unwrap().starts_with(prefix))
            .cloned()
            .collect()
    };
    let (p, ready) = pods(&of("pricing-api"));
    assert_eq!((p.count, ready, p.restarts), (3, 3, 3));
    assert_eq!(p.last_termination.as_deref(), Some("OOMKilled"));
    assert_eq!(p.waiting, None);
    let (p, ready) = pods(&of("recsys-api"));
    assert_eq!((ready, p.restarts), (0, 23));
    assert_eq!(p.waiting.as_deref(), Some("CrashLoopBackOff"));
    assert_eq!(p.last_termination.as_deref(), Some("Error (exit 1)"));
    // Nothing a pod leaves out is a panic.
    assert_eq!(pods(&[serde_json::json!({"status": 7})]).0.count, 1);
    assert!(deployment(&serde_json::json!({}), "ml").is_none());
}
