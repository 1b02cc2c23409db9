//! Models served on Kubernetes, through the real binary: a local HTTPS API server
//! answering in the Kubernetes and KServe references' shapes (paged two objects at
//! a time), reached with the EKS token an `aws eks get-token` kubeconfig entry asks
//! for; metrics from a real Prometheus behind basic auth, backfilled with KServe's
//! and the FastAPI instrumentator's series.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::aws::{ministack_url, moto_url};
use crate::kube::{openmetrics, prometheus, KubeServer, PROM_PASSWORD, PROM_USER};

/// `snapshot --json` with `config` against an empty moto region and the cluster.
fn snapshot(home: &Path, config: &str, env: &[(&str, &str)]) -> Output {
    let path = home.join("config.toml");
    std::fs::write(&path, config).unwrap();
    let mut c = crate::binary::aws_binary(home, &ministack_url(), &ministack_url());
    c.args([
        "snapshot",
        "--json",
        "--endpoint-url",
        &moto_url(),
        "--region",
        "af-south-1",
    ])
    .args(["--config", &path.display().to_string()])
    .env_remove("KUBECONFIG")
    .env_remove("PROMETHEUS_TOKEN");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn row<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}: {json:#}"))
}

#[test]
fn kserve_canaries_and_labelled_deployments_are_rows_with_prometheus_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let kube = KubeServer::start(dir.path());
    let prom_dir = dir.path().join("prometheus");
    let now = jiff::Timestamp::now().as_second();
    let prom = prometheus(&prom_dir, &openmetrics(now), true);
    let config = format!(
        "[kubernetes]\nkubeconfig = \"{}\"\n\n[prometheus]\nurl = \"{}\"\n\n[prometheus.model_metrics]\nMAPE = \"model_mape\"\n\n[[models]]\nname = \"recommendation-engine\"\n\n[[models]]\nname = \"pricing\"\nkind = \"forecasting\"\n",
        kube.kubeconfig("ml-test").display(),
        prom.url
    );
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = snapshot(
        &home,
        &config,
        &[
            ("PROMETHEUS_USERNAME", PROM_USER),
            ("PROMETHEUS_PASSWORD", PROM_PASSWORD),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {said}"));

    // The canary: KServe's split, its previous revision and artifact; the canary's
    // own 5xx (30% of its 10%) is what turns the row red, not the endpoint's 3%.
    let fraud = row(&json, "fraud-detection");
    let ep = &fraud["endpoint"];
    assert_eq!(ep["kind"], "kserve", "{said}");
    assert_eq!(ep["ready"], true);
    assert_eq!(ep["url"], "http://fraud-detector.serving.example.com");
    assert_eq!(
        ep["traffic"][0]["revision"],
        "fraud-detector-predictor-00007"
    );
    assert_eq!(ep["traffic"][0]["percent"], 10);
    assert_eq!(ep["traffic"][1]["percent"], 90);
    assert_eq!(ep["previous_revision"], "fraud-detector-predictor-00006");
    assert_eq!(
        ep["storage_uri"],
        "s3://ml-models/fraud-detection/v7/model.bst"
    );
    assert_eq!(fraud["identity"]["pieces"][0]["by"], "tag", "{fraud:#}");
    assert_eq!(fraud["metrics"]["source"], "prometheus");
    let per_minute = fraud["metrics"]["Invocations"].as_f64().unwrap();
    assert!(
        (per_minute - 600.0).abs() < 1.0,
        "10 a second: {per_minute}"
    );
    let rate = fraud["metrics"]["5xxRate"].as_f64().unwrap();
    assert!((rate - 3.0).abs() < 0.1, "{rate}");
    let canary = fraud["metrics"]["Canary5xxRate"].as_f64().unwrap();
    assert!((canary - 30.0).abs() < 0.5, "{canary}");
    let p99 = fraud["metrics"]["ModelLatency.p99"].as_f64().unwrap();
    assert!(
        p99 > 10.0 && p99 <= 50.0,
        "milliseconds as Knative records them: {p99}"
    );
    assert_eq!(fraud["stages"]["endpoint"]["health"], "crit", "{fraud:#}");
    assert!(fraud["stages"]["endpoint"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("canary 5xx 30"));

    // An InferenceService no label names is its own model; its failed revision says why.
    let churn = row(&json, "churn-sklearn");
    assert_eq!(churn["endpoint"]["ready"], false);
    assert_eq!(churn["stages"]["endpoint"]["health"], "crit");
    assert!(churn["stages"]["endpoint"]["summary"]
        .as_str()
        .unwrap()
        .contains("RevisionFailed"));

    // A FastAPI Deployment labelled model=pricing, in a mesh: replicas, pods, Istio's
    // series taken over the instrumentator's (not both), and the team's MAPE gauge.
    let pricing = row(&json, "pricing");
    let ep = &pricing["endpoint"];
    assert_eq!(ep["kind"], "deployment");
    assert_eq!(ep["replicas"]["ready"], 3);
    assert_eq!(ep["replicas"]["desired"], 3);
    assert_eq!(ep["pods"]["restarts"], 3);
    assert_eq!(ep["pods"]["last_termination"], "OOMKilled");
    let per_minute = pricing["metrics"]["Invocations"].as_f64().unwrap();
    assert!(
        (per_minute - 381.8).abs() < 1.0,
        "Istio's 6.363 a second, not the app's 3 pods × 2.02 (363.6) nor both: {per_minute}"
    );
    let p99 = pricing["metrics"]["ModelLatency.p99"].as_f64().unwrap();
    assert!(p99 > 100.0 && p99 <= 250.0, "milliseconds: {p99}");
    assert_eq!(pricing["metrics"]["MAPE"], 7.5);

    // app.kubernetes.io/name joins a model config names; a stuck rollout is crit;
    // outside the mesh its latency is the instrumentator's, seconds made milliseconds.
    let recs = row(&json, "recommendation-engine");
    let p99 = recs["metrics"]["ModelLatency.p99"].as_f64().unwrap();
    assert!(
        p99 > 100.0 && p99 <= 250.0,
        "seconds made milliseconds: {p99}"
    );
    assert_eq!(recs["endpoint"]["rollout"], "ProgressDeadlineExceeded");
    assert_eq!(recs["endpoint"]["pods"]["waiting"], "CrashLoopBackOff");
    assert_eq!(recs["stages"]["endpoint"]["health"], "crit");

    // Not models: an ingress controller, and KServe's own Deployment.
    let names: Vec<&str> = json["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");

    // Lists were paged: the server gives two objects a page.
    let requests = kube.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("deployments?") && r.contains("continue=")),
        "{requests:?}"
    );
    let counted = json["api_calls"].to_string();
    assert!(counted.contains("Kubernetes:ListDeployments"), "{counted}");
    assert!(counted.contains("Prometheus:QueryRange"), "{counted}");
}

/// The fixture's cluster with its storageUris in `bucket`.
fn cluster_serving_from(dir: &Path, bucket: &str) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = std::fs::read_to_string(root.join("tests/fixtures/k8s/cluster.json")).unwrap();
    let path = dir.join("cluster.json");
    std::fs::write(
        &path,
        fixture.replace("s3://ml-models/", &format!("s3://{bucket}/")),
    )
    .unwrap();
    path
}

#[test]
fn a_storage_uri_joins_the_sagemaker_package_version_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::seed::unique("reg");
    let bucket = format!("ml-models-{run}");
    let (fraud, churn) = (
        format!("fraud-models-{run}"),
        format!("churn-classifier-{run}"),
    );
    // Registered in the region the snapshot reads: two teams' groups, and a decoy
    // whose artifact sits deeper in churn's folder (a folder holds its own files).
    let fraud_v3 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let sdk = crate::seed::sdk(&moto_url())
            .await
            .into_builder()
            .region(aws_config::Region::new("af-south-1"))
            .build();
        let sm = aws_sdk_sagemaker::Client::new(&sdk);
        for group in [&fraud, &churn, &format!("decoy-{run}")] {
            let g = sm
                .create_model_package_group()
                .model_package_group_name(group);
            g.send().await.unwrap();
        }
        let mut arns = Vec::new();
        for (group, path, approval) in [
            (
                format!("decoy-{run}"),
                "churn/v3/archive/model.tar.gz",
                "Approved",
            ),
            (fraud.clone(), "fraud-detection/v6/model.bst", "Approved"),
            (fraud.clone(), "fraud-detection/v7/model.bst", "Rejected"),
            // The same artifact registered again: the group's newest is the one.
            (
                fraud.clone(),
                "fraud-detection/v7/model.bst",
                "PendingManualApproval",
            ),
            (churn.clone(), "churn/v3/model.tar.gz", "Approved"),
        ] {
            let artifact = format!("s3://{bucket}/{path}");
            arns.push(crate::seed::seed_package(&sdk, &group, &artifact, approval).await);
        }
        arns.swap_remove(3)
    });
    let kube = KubeServer::start_with(dir.path(), &cluster_serving_from(dir.path(), &bucket), 2);
    let config = format!(
        "[kubernetes]\nkubeconfig = \"{}\"\n",
        kube.kubeconfig("ml-test").display()
    );
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = snapshot(&home, &config, &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {said}"));
    let pieces = |row: &Value| row["identity"]["pieces"].as_array().unwrap().clone();

    // Labelled model=fraud-detection, it keeps that name; its storageUri is the
    // artifact of fraud-models' versions 2 and 3: 3, the newest, is marked deployed.
    let row_fraud = row(&json, "fraud-detection");
    assert_eq!(
        row_fraud["registry"]["source"], "sagemaker",
        "{row_fraud:#}"
    );
    let versions = row_fraud["registry"]["versions"].as_array().unwrap();
    let deployed: Vec<&Value> = versions.iter().filter(|v| v["deployed"] == true).collect();
    assert_eq!(versions.len(), 3, "{versions:?}");
    assert_eq!(deployed.len(), 1, "{versions:?}");
    assert_eq!(deployed[0]["version"], 3, "{versions:?}");
    assert_eq!(deployed[0]["approval"], "PendingManualApproval");
    assert!(fraud_v3.ends_with("/3"), "{fraud_v3}");
    let by_lineage = pieces(row_fraud)
        .into_iter()
        .find(|p| p["what"] == format!("package group {fraud}"))
        .unwrap_or_else(|| panic!("{row_fraud:#}"));
    assert_eq!(by_lineage["by"], "lineage");
    assert!(by_lineage["evidence"]
        .as_str()
        .unwrap()
        .contains(&format!("package {fraud}/3's artifact")));

    // No label: the InferenceService is named by the group its folder's artifact is
    // registered in (not by the decoy deeper in churn/v3/archive), its own name an alias.
    assert!(
        !json["models"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "churn-sklearn"),
        "{said}"
    );
    let churn_row = mlopsdash::model::identity::Normaliser::default().strip(&churn);
    let row_churn = row(&json, churn_row);
    assert_eq!(row_churn["endpoint"]["kind"], "kserve");
    assert_eq!(row_churn["endpoint"]["name"], "churn-sklearn");
    assert_eq!(row_churn["identity"]["by"], "lineage", "{row_churn:#}");
    assert!(row_churn["identity"]["evidence"]
        .as_str()
        .unwrap()
        .contains("the folder of package"));
    assert_eq!(row_churn["registry"]["versions"][0]["deployed"], true);
    let counted = json["api_calls"].to_string();
    assert!(counted.contains("DescribeModelPackage"), "{counted}");
}

#[test]
fn refusals_name_what_to_grant_or_set() {
    let dir = tempfile::tempdir().unwrap();
    let kube = KubeServer::start(dir.path());
    let prom = prometheus(&dir.path().join("prometheus"), "# EOF\n", true);
    let config = format!(
        "[kubernetes]\nkubeconfig = \"{}\"\nnamespaces = [\"restricted\"]\n\n[prometheus]\nurl = \"{}\"\n\n[prometheus.model_metrics]\nMAPE = \"model_mape\"\n",
        kube.kubeconfig("ml-test").display(),
        prom.url
    );
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let out = snapshot(&home, &config, &[]);
    let said = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("forbidden to list inferenceservices in namespace restricted; grant list on inferenceservices.serving.kserve.io"),
        "{said}"
    );
    assert!(
        said.contains("401") && said.contains("PROMETHEUS_TOKEN"),
        "{said}"
    );
}

mod rollback {
    use mlopsdash::action::{
        runner, AuditLog, AwsExecutor, Call, Confirmed, Executor, Gate, Kind, Polling, Request,
        Step,
    };
    use mlopsdash::config::KubernetesConfig;
    use mlopsdash::model::ModelFacts;
    use mlopsdash::source::aws::ApiCalls;
    use mlopsdash::source::k8s::connect::ClusterSpec;
    use mlopsdash::source::k8s::{KubeSettings, KubeSource};
    use mlopsdash::source::serving::ServingSetup;
    use mlopsdash::source::{Source, Update};

    use crate::aws::moto_url;
    use crate::kube::KubeServer;

    /// The cluster's rows as the Kubernetes source reads them, and an executor
    /// that acts on it (its SageMaker side on moto, unused).
    async fn cluster(kube: &KubeServer) -> (Vec<ModelFacts>, Executor) {
        let sdk = crate::seed::sdk(&moto_url()).await;
        let calls = ApiCalls::default();
        let setup = ServingSetup {
            clusters: vec![ClusterSpec::Context(KubernetesConfig {
                kubeconfig: Some(kube.kubeconfig("ml-test").display().to_string()),
                ..KubernetesConfig::default()
            })],
            kube: KubeSettings {
                tag_keys: vec!["model".into()],
                in_flight: 4,
                ..KubeSettings::default()
            },
            prometheus: None,
            sdk: Some(sdk.clone()),
            calls: calls.clone(),
        };
        let (mut sources, _) = setup.sources();
        let source: &mut KubeSource = &mut sources[0];
        let Update::Fleet { fleet, .. } = source.fetch().await else {
            panic!("the Kubernetes source failed");
        };
        let executor = AwsExecutor::new(&sdk, &calls)
            .with_kube(mlopsdash::action::KubeExecutor::new(setup.clone()));
        (fleet.models, Executor::Aws(executor))
    }

    async fn roll_back(
        executor: &Executor,
        model: &ModelFacts,
        dir: &std::path::Path,
    ) -> (Call, Vec<Step>, String) {
        roll_back_with(executor, model, dir, || {}).await
    }

    /// The same, `between` the confirmation and the send.
    async fn roll_back_with(
        executor: &Executor,
        model: &ModelFacts,
        dir: &std::path::Path,
        between: impl FnOnce(),
    ) -> (Call, Vec<Step>, String) {
        let request = Request {
            kind: Kind::Rollback,
            model: model.clone(),
            alarms: vec![],
            at: jiff::Timestamp::now(),
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };
        let prepared = executor.prepare(&request, None).await.unwrap();
        let plan = prepared.plans[0].clone();
        let call = plan.call.clone();
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let confirmed = Confirmed {
            plan,
            actor: prepared.actor,
            scope: Default::default(),
            typed: String::new(),
            read_at: prepared.read_at,
        };
        between();
        let gate = Gate {
            audit: AuditLog::open(&dir.join("audit.jsonl")),
            read_only: false,
            polling: Polling {
                every: std::time::Duration::from_millis(50),
                timeout: std::time::Duration::from_secs(20),
            },
        };
        runner::run(executor.clone(), gate, confirmed, tx).await;
        let mut steps = Vec::new();
        while let Ok(Update::Action(p)) = rx.try_recv() {
            steps.push(p.step);
        }
        let audit = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
        (call, steps, audit)
    }

    #[tokio::test]
    async fn a_change_between_the_read_and_the_send_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let kube = KubeServer::start(dir.path());
        let (rows, executor) = cluster(&kube).await;
        for (model, refusal) in [("fraud-detection", "409"), ("pricing", "422")] {
            let row = rows.iter().find(|m| m.name == model).unwrap();
            let someone_else =
                || std::fs::write(dir.path().join("changed-since-read"), "").unwrap();
            let (_, steps, _) = roll_back_with(&executor, row, dir.path(), someone_else).await;
            let Some(Step::Failed(why)) = steps.last() else {
                panic!("{model}: {steps:?}");
            };
            assert!(why.contains(refusal), "{model}: {why}");
        }
        let sent = kube.patches();
        assert_eq!(sent.len(), 2, "each sent once, not retried: {sent:?}");
        let audit = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap();
        assert!(!audit.contains("\"succeeded\""), "{audit}");
    }

    #[tokio::test]
    async fn b_drops_the_kserve_canary_and_undoes_the_deployment_with_the_patch_shown() {
        let dir = tempfile::tempdir().unwrap();
        let kube = KubeServer::start(dir.path());
        let (rows, executor) = cluster(&kube).await;
        let row = |name: &str| rows.iter().find(|m| m.name == name).unwrap().clone();

        let (call, steps, audit) = roll_back(&executor, &row("fraud-detection"), dir.path()).await;
        let args = call.arguments();
        assert_eq!(
            args["request"],
            "PATCH /apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices/fraud-detector"
        );
        assert_eq!(args["body"]["metadata"]["resourceVersion"], "52301");
        assert!(
            matches!(steps.last(), Some(Step::Succeeded(_))),
            "{steps:?}"
        );
        let patches = kube.patches();
        assert_eq!(patches.len(), 1, "sent once: {patches:?}");
        assert_eq!(
            patches[0]["body"], args["body"],
            "what was shown is what was sent"
        );
        assert_eq!(patches[0]["content_type"], "application/merge-patch+json");
        let phases: Vec<String> = audit
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["phase"].to_string())
            .collect();
        assert_eq!(phases, ["\"confirmed\"", "\"succeeded\""], "{audit}");
        assert!(
            audit.contains("canaryTrafficPercent"),
            "the audit records the patch: {audit}"
        );

        let (call, steps, _) = roll_back(&executor, &row("pricing"), dir.path()).await;
        let Call::PatchDeployment(undo) = &call else {
            panic!("{call:?}");
        };
        assert_eq!((undo.from_revision, undo.to_revision), (3, 2));
        assert!(undo.image().unwrap().ends_with("pricing-api:1.3.2"));
        assert!(
            matches!(steps.last(), Some(Step::Succeeded(_))),
            "{steps:?}"
        );
        let patches = kube.patches();
        assert_eq!(patches.len(), 2);
        assert_eq!(patches[1]["body"], call.arguments()["body"]);
        assert_eq!(patches[1]["content_type"], "application/json-patch+json");

        // Pressed again on the row as it was shown: the fresh read sees no canary, so
        // nothing is planned and nothing is sent twice.
        let request = Request {
            kind: Kind::Rollback,
            model: row("fraud-detection"),
            alarms: vec![],
            at: jiff::Timestamp::now(),
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };
        let refused = executor.prepare(&request, None).await.unwrap_err();
        assert!(refused.contains("no canary takes traffic"), "{refused}");
        assert_eq!(kube.patches().len(), 2);

        // The rows name the current context; someone switching it (`kubectl config
        // use-context`) turns the next B away rather than sending it elsewhere.
        let pricing = row("pricing");
        let workload = pricing
            .endpoint
            .as_ref()
            .and_then(|e| e.k8s.as_ref())
            .unwrap();
        assert_eq!(workload.cluster, "ml-test");
        kube.kubeconfig("ml-staging");
        let request = Request {
            model: pricing,
            ..request
        };
        let refused = executor.prepare(&request, None).await.unwrap_err();
        assert!(
            refused.contains("current context is now ml-staging"),
            "{refused}"
        );
        assert_eq!(kube.patches().len(), 2);
    }
}

/// `[[eks]]`: DescribeCluster (answered here in the EKS API reference's shape, as
/// no emulator gives a cluster whose endpoint is ours) names the API server and its
/// CA; the token is minted from the session's credentials.
#[tokio::test(flavor = "multi_thread")]
async fn an_eks_cluster_is_found_by_describe_cluster() {
    use base64::Engine;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let dir = tempfile::tempdir().unwrap();
    let kube = KubeServer::start(dir.path());
    let ca = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let eks = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/clusters/ml-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "cluster": {
                "name": "ml-test",
                "arn": "arn:aws:eks:us-east-1:123456789012:cluster/ml-test",
                "version": "1.31",
                "endpoint": kube.url(),
                "status": "ACTIVE",
                "certificateAuthority": {
                    "data": base64::engine::general_purpose::STANDARD.encode(&ca)
                },
            }
        })))
        .expect(1)
        .mount(&eks)
        .await;
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // The first token is refused as an expired one is: a fresh one is minted.
    std::fs::write(dir.path().join("expire-next-eks-token"), "").unwrap();
    let config =
        "[[eks]]\ncluster = \"ml-test\"\nregion = \"us-east-1\"\nnamespaces = [\"serving\"]\n";
    let eks_url = eks.uri();
    let out = tokio::task::spawn_blocking(move || {
        snapshot(&home, config, &[("AWS_ENDPOINT_URL_EKS", &eks_url)])
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {said}"));
    let fraud = row(&json, "fraud-detection");
    assert_eq!(fraud["endpoint"]["cluster"], "ml-test", "{said}");
    assert_eq!(fraud["endpoint"]["namespace"], "serving");
    assert_eq!(json["api_calls"]["EKS:DescribeCluster"], 1, "{said}");
    let requests = kube.requests();
    assert!(
        requests.iter().any(|r| r == "refused an expired EKS token"),
        "{requests:?}"
    );
    // Only the namespace config names was read.
    assert!(requests
        .iter()
        .any(|r| r.contains("/namespaces/serving/deployments?")));
    assert!(kube
        .requests()
        .iter()
        .all(|r| !r.contains("/deployments?") || r.contains("/namespaces/serving/")));
}
