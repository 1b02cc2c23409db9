//! Teams that train in Airflow and register in MLflow, SageMaker only serving: rows
//! made whole by a real `mlflow server` and a real `airflow standalone` (started and
//! seeded by tests/scripts/pipelines.sh), through `snapshot --json`, in tmux, and
//! the actions read back from the servers.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::types::{
    ContainerDefinition, ProductionVariant, ProductionVariantInstanceType,
};
use serde_json::{json, Value};

use crate::aws::{ministack_url, moto_url, row, snapshot_json_env};
use crate::seed::sdk;
use crate::tmux::Tmux;

pub fn mlflow_url() -> String {
    std::env::var("MLOPSDASH_TEST_MLFLOW_URL")
        .expect("MLOPSDASH_TEST_MLFLOW_URL is not set: run the tests with tests/scripts/test")
}

pub fn airflow_url() -> String {
    std::env::var("MLOPSDASH_TEST_AIRFLOW_URL")
        .expect("MLOPSDASH_TEST_AIRFLOW_URL is not set: run the tests with tests/scripts/test")
}

/// The admin password airflow standalone generated.
fn airflow_password() -> String {
    let path = std::env::var("MLOPSDASH_TEST_AIRFLOW_PASSWORDS").unwrap();
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["admin"].as_str().unwrap().to_string()
}

/// Waits (bounded) until the harness has seeded both servers.
fn seeded() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pipelines");
    let deadline = Instant::now() + Duration::from_secs(420);
    while !dir.join("seeded").exists() {
        if let Ok(why) = std::fs::read_to_string(dir.join("failed")) {
            panic!("seeding MLflow and Airflow failed: {why}");
        }
        assert!(
            Instant::now() < deadline,
            "MLflow and Airflow were not seeded in 7 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A config of the two teams: attrition joins by names and tags, weekly-demand by config.
/// weekly-demand's training DAG is `training_dag`: the test that triggers a run
/// triggers its own DAG, so the others' newest run stays MLflow's.
fn config(dir: &Path, training_dag: &str) -> String {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[mlflow]\ntracking_uri = \"{}\"\n[airflow]\nurl = \"{}\"\n\
             [[models]]\nname = \"weekly-demand\"\nmlflow_model = \"DemandForecaster\"\n\
             mlflow_experiment = \"demand-forecasting\"\netl_dag = \"ingest_sales_daily\"\n\
             training_dag = \"{training_dag}\"\n",
            mlflow_url(),
            airflow_url()
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

/// `snapshot --json` of the two teams, with `env` (weekly-demand's training DAG is
/// demand_retrain, which no test triggers).
fn snapshot(env: &[(&str, &str)]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "demand_retrain");
    snapshot_json_env(
        &moto_url(),
        &ministack_url(),
        &config,
        &["--fail-on", "never"],
        env,
    )
    .1
}

/// attrition's SageMaker endpoint, serving MLflow version 1's artifact (not the champion).
async fn seed_attrition_endpoint() {
    let sm = aws_sdk_sagemaker::Client::new(&sdk(&moto_url()).await);
    let (endpoint, model) = ("attrition-prod", "attrition-prod-model");
    if sm
        .describe_endpoint()
        .endpoint_name(endpoint)
        .send()
        .await
        .is_ok()
    {
        return;
    }
    sm.create_model()
        .model_name(model)
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(
            ContainerDefinition::builder()
                .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/attrition:1")
                .model_data_url("s3://ml-artifacts/attrition/v1/model.tar.gz")
                .build(),
        )
        .send()
        .await
        .unwrap();
    sm.create_endpoint_config()
        .endpoint_config_name("attrition-prod-config-v1")
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(model)
                .initial_instance_count(1)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .initial_variant_weight(1.0)
                .build(),
        )
        .send()
        .await
        .unwrap();
    sm.create_endpoint()
        .endpoint_name(endpoint)
        .endpoint_config_name("attrition-prod-config-v1")
        .send()
        .await
        .unwrap();
}

fn versions(r: &Value) -> Vec<(u64, Vec<String>, bool)> {
    r["registry"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let aliases = v["aliases"].as_array().unwrap();
            (
                v["version"].as_u64().unwrap(),
                aliases
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
                v["deployed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn mlflow_and_airflow_make_the_rows_whole() {
    seeded();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(seed_attrition_endpoint());
    let password = airflow_password();
    let v = snapshot(&[
        ("AIRFLOW_USERNAME", "admin"),
        ("AIRFLOW_PASSWORD", &password),
    ]);
    let errors = v["errors"].to_string();
    assert!(
        !errors.contains("mlflow") && !errors.contains("airflow"),
        "{errors}"
    );

    // attrition: named like its registered model (the endpoint's suffix stripped),
    // tagged DAGs, served by SageMaker.
    let attrition = row(&v, "attrition");
    assert_eq!(attrition["training"]["source"], "airflow", "{attrition:#}");
    assert_eq!(attrition["training"]["status"], "Failed");
    assert_eq!(attrition["training"]["failed_task"], "fit");
    assert_eq!(
        attrition["training"]["failure_reason"],
        "ValueError: feature 'tenure' is 34% null in the new extract; refusing to train"
    );
    assert_eq!(attrition["stages"]["training"]["health"], "crit");
    assert_eq!(attrition["registry"]["source"], "mlflow");
    // The endpoint serves v1's artifact: that is the deployed one, not the champion.
    assert_eq!(
        versions(attrition),
        vec![
            (3, vec!["challenger".to_string()], false),
            (2, vec!["champion".to_string()], false),
            (1, vec![], true),
        ]
    );
    assert_eq!(attrition["data"]["source"], "airflow");
    assert_eq!(attrition["data"]["dag"]["dag_id"], "attrition_etl");
    assert_eq!(attrition["data"]["dag"]["last_run_state"], "success");
    assert_eq!(attrition["data"]["dag"]["schedule"], "0 0 * * *");
    assert_eq!(attrition["stages"]["data"]["health"], "ok");

    // demand: config names its registered model, experiment and DAGs.
    let demand = row(&v, "weekly-demand");
    assert_eq!(demand["training"]["source"], "mlflow");
    assert_eq!(demand["training"]["status"], "Completed");
    assert_eq!(demand["training"]["name"], "prophet-weekly");
    assert_eq!(demand["training"]["metrics"]["mape"], 7.9);
    assert_eq!(demand["registry"]["source"], "mlflow");
    let stages: Vec<(u64, &str, bool)> = demand["registry"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["stage"].as_str().unwrap(),
                v["deployed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(stages, vec![(2, "Staging", false), (1, "Production", true)]);
    assert_eq!(demand["data"]["dag"]["dag_id"], "ingest_sales_daily");
    assert_eq!(demand["data"]["dag"]["schedule"], "0 2 * * *");
    // What one refresh asked, counted like AWS's requests: the listings once, a
    // failed run's task and log once, no request per DAG it does not serve.
    let calls = &v["api_calls"];
    for (call, n) in [
        ("MLflow:SearchRegisteredModels", 1),
        ("MLflow:SearchRuns", 4),
        ("Airflow:GetHealth", 1),
        ("Airflow:CreateToken", 1),
        ("Airflow:GetDags", 1),
        ("Airflow:GetTaskInstances", 1),
        ("Airflow:GetLog", 1),
    ] {
        assert_eq!(calls[call], n, "{call}: {calls:#}");
    }
    let identity = demand["identity"].to_string();
    assert!(identity.contains("config mlflow_model"), "{identity}");
    assert!(identity.contains("config etl_dag"), "{identity}");

    // Versions registered from a path have no run (run_id empty or absent): the
    // training stage is the experiment's runs, not a failed runs/get.
    let ledger = row(&v, "ledger-anomaly");
    assert_eq!(
        ledger["training"]["name"], "isolation-forest-nightly",
        "{ledger:#}"
    );
    assert_eq!(ledger["training"]["status"], "Completed");
    assert_eq!(ledger["registry"]["versions"].as_array().unwrap().len(), 2);
    assert_eq!(ledger["stages"]["training"]["health"], "ok", "{ledger:#}");
    // A run read only for the two attrition models, whose versions name one.
    assert_eq!(v["api_calls"]["MLflow:GetRun"], 2, "{:#}", v["api_calls"]);
}

#[test]
fn without_credentials_airflow_says_what_to_set_and_mlflow_still_answers() {
    seeded();
    let v = snapshot(&[]);
    let errors: Vec<&Value> = v["errors"].as_array().unwrap().iter().collect();
    let airflow = errors
        .iter()
        .find(|e| e["source"] == "airflow")
        .unwrap_or_else(|| panic!("no airflow error in {errors:?}"));
    let message = airflow["message"].as_str().unwrap();
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("AIRFLOW_USERNAME"), "{message}");
    assert_eq!(row(&v, "weekly-demand")["registry"]["source"], "mlflow");
}

/// An MLflow POST, straight to the server (test setup).
async fn api_post(path: &str, body: Value) {
    let url = format!("{}/api/2.0/mlflow/{path}", mlflow_url());
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// What an MLflow GET answers, read straight from the server.
fn mlflow_get(path: &str) -> Value {
    let url = format!("{}/api/2.0/mlflow/{path}", mlflow_url());
    blocking_json(reqwest::Client::new().get(url))
}

fn blocking_json(request: reqwest::RequestBuilder) -> Value {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let r = request.send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.json().await.unwrap()
    })
}

#[test]
fn promoting_moves_the_champion_alias_and_rejecting_archives_on_the_server() {
    use mlopsdash::action::{AwsExecutor, Kind, PipelineExecutor, Request, Step};
    use mlopsdash::source::pipelines::{mlflow_api, MlflowCredentials, Pipelines};
    seeded();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (promoted, archived) = rt.block_on(async {
        let calls = mlopsdash::aws::ApiCalls::default();
        let uri = mlopsdash::config::TrackingUri::parse(&mlflow_url()).unwrap();
        let none = MlflowCredentials {
            user: None,
            password: None,
            token: None,
        };
        let api = mlflow_api(&uri, none, None, &calls).unwrap();
        let clients = Pipelines {
            mlflow: Some(Ok(api.clone())),
            airflow: None,
        };
        let source =
            mlopsdash::source::pipelines::mlflow::MlflowSource::new(Ok(api), Default::default());
        let fleet = source.gather().await.unwrap();
        let model = fleet.model("attrition-actions").unwrap().clone();
        let sm = sdk(&moto_url()).await;
        let executor = AwsExecutor::new(&sm, &calls).with_pipelines(PipelineExecutor::new(clients));

        // Every version but the champion is offered (v2 on a fresh server).
        let approve = Request {
            kind: Kind::Approve,
            model: model.clone(),
            alarms: vec![],
            at: jiff::Timestamp::now(),
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };
        let plans = executor.prepare(&approve, None).await.unwrap().plans;
        let plan = &plans[0];
        let args = plan.call.arguments();
        let promoted = args["body"]["version"].as_str().unwrap().to_string();
        assert_eq!(
            args["request"],
            format!(
                "POST {}/api/2.0/mlflow/registered-models/alias",
                mlflow_url()
            )
        );
        assert_eq!(
            args["body"],
            json!({"name": "attrition-actions", "alias": "champion", "version": promoted})
        );
        executor.execute(plan).await.unwrap();
        assert!(matches!(
            executor.look_back(&plan.call, None).await.unwrap().step,
            Step::Succeeded(_)
        ));

        // Rejecting archives through the legacy stage (aliases have no "rejected");
        // v1 is taken out of Archived first, so a second run has one to reject.
        api_post("model-versions/transition-stage", json!({"name": "attrition-actions", "version": "1", "stage": "None", "archive_existing_versions": false})).await;
        let model = source.gather().await.unwrap().model("attrition-actions").unwrap().clone();
        let reject = Request {
            kind: Kind::Reject,
            model,
            alarms: vec![],
            at: jiff::Timestamp::now(),
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };
        let plans = executor.prepare(&reject, None).await.unwrap().plans;
        let plan = &plans[0];
        let archived = plan.call.arguments()["body"]["version"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(plan.call.arguments()["body"]["stage"], "Archived");
        executor.execute(plan).await.unwrap();
        assert!(matches!(
            executor.look_back(&plan.call, None).await.unwrap().step,
            Step::Succeeded(_)
        ));
        (promoted, archived)
    });
    // Read back from MLflow itself.
    let alias = mlflow_get("registered-models/alias?name=attrition-actions&alias=champion");
    assert_eq!(alias["model_version"]["version"], promoted.as_str());
    let v = mlflow_get(&format!(
        "model-versions/get?name=attrition-actions&version={archived}"
    ));
    assert_eq!(v["model_version"]["current_stage"], "Archived");
}

/// The demand team retrains from the dashboard: the confirmation shows the request
/// and the conf, and Airflow holds the run it sent.
#[test]
fn a_person_triggers_the_training_dag_and_airflow_has_the_run() {
    seeded();
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "demand_backfill");
    let t = Tmux::start(200, 50);
    t.export_test_credentials(&format!("AWS_ENDPOINT_URL_CLOUDWATCH={}", ministack_url()));
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    t.keys(&[
        &format!(
            "AIRFLOW_USERNAME=admin AIRFLOW_PASSWORD='{}' {bin} --region us-east-1 \
             --endpoint-url {} --config {config}",
            airflow_password(),
            moto_url()
        ),
        "Enter",
    ]);
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    t.keys(&["/", "weekly-demand", "Enter"]);
    // Its row comes with the MLflow source's first answer.
    t.wait_until("weekly-demand's row, selected", |screen| {
        screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("weekly-demand ") && l.contains("v2 Staging"))
    });
    t.keys(&["Enter"]);
    t.wait_for_all(
        &[
            "registry (mlflow)",
            "Production",
            "prophet-weekly",
            "mlflow",
            "mape by step",
            "training DAG demand_backfill is paused",
        ],
        "weekly-demand's detail: MLflow's registry, runs and curve, Airflow's DAG",
    );
    t.press_until("R", "trigger Airflow DAG demand_backfill");
    t.wait_for_all(
        &[
            "trigger Airflow DAG demand_backfill",
            "airflow:TriggerDagRun",
            "request: \"POST http://127.0.0.1:",
            "\"conf\":{\"model\":\"weekly-demand\"",
            "the DAG is paused",
        ],
        "the confirmation with the exact request",
    );
    t.keys(&["y"]);
    t.wait_for("retrain", "the action under way");
    // The audit log has the request line and the body, written before the call.
    let audit = t.home().join(".local/share/mlopsdash/audit.jsonl");
    let confirmed = audit_line(&audit, "confirmed");
    assert_eq!(confirmed["call"], "airflow:TriggerDagRun");
    assert_eq!(
        confirmed["arguments"]["request"],
        format!("POST {}/api/v2/dags/demand_backfill/dagRuns", airflow_url())
    );
    let run_id = confirmed["arguments"]["body"]["dag_run_id"].clone();
    assert!(run_id.as_str().unwrap().starts_with("mlopsdash__"));
    // Airflow has that run, with the conf the dialog showed.
    let deadline = Instant::now() + Duration::from_secs(30);
    let run = loop {
        let runs = airflow_runs("demand_backfill");
        if let Some(r) = runs.iter().find(|r| r["dag_run_id"] == run_id) {
            break r.clone();
        }
        assert!(Instant::now() < deadline, "no run {run_id} in {runs:?}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        run["conf"],
        json!({"model": "weekly-demand", "triggered_by": "mlopsdash"})
    );
    t.keys(&["q"]);
}

/// The audit log's first line in `phase`, waited for (bounded).
fn audit_line(path: &Path, phase: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let found = text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|v| v["phase"] == phase);
        if let Some(line) = found {
            return line;
        }
        assert!(Instant::now() < deadline, "no {phase} line in {text}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn airflow_runs(dag: &str) -> Vec<Value> {
    let token = blocking_json(
        reqwest::Client::new()
            .post(format!("{}/auth/token", airflow_url()))
            .json(&json!({"username": "admin", "password": airflow_password()})),
    );
    let runs = blocking_json(
        reqwest::Client::new()
            .get(format!(
                "{}/api/v2/dags/{dag}/dagRuns?limit=50",
                airflow_url()
            ))
            .bearer_auth(token["access_token"].as_str().unwrap()),
    );
    runs["dag_runs"].as_array().unwrap().clone()
}

/// MLflow's own variable wins over the config file, as in MLflow's clients; one it
/// cannot use is one line saying so, and the rest of the fleet still comes.
#[test]
fn mlflow_tracking_uri_wins_over_config_and_a_bad_one_is_said() {
    seeded();
    let v = snapshot(&[("MLFLOW_TRACKING_URI", "databricks")]);
    let errors = v["errors"].as_array().unwrap();
    let mlflow = errors.iter().find(|e| e["source"] == "mlflow").unwrap();
    assert_eq!(
        mlflow["message"],
        "MLFLOW_TRACKING_URI=databricks is not an http(s) tracking server or a SageMaker \
         MLflow ARN; unset it or point it at the server"
    );
    assert!(v["models"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["name"] == "weekly-demand"));
}
