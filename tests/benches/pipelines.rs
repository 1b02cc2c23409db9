//! Requests and wall time of one MLflow and one Airflow refresh against the real
//! servers tests/scripts/pipelines.sh starts and seeds (3 registered models, 5 DAGs,
//! 4 of them a model's), through a loopback proxy adding a network round trip (60 ms
//! a request: a tracking server or MWAA in another VPC; set
//! MLOPSDASH_BENCH_LATENCY_MS). The first refresh reads everything; the second finds
//! the versions, experiments, curves and failed-task logs it already has. Run with
//! `cargo test --bench pipelines -- --bench` after sourcing tests/scripts/emulators.sh
//! and tests/scripts/pipelines.sh; under `cargo test` it is a smoke run without latency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use mlopsdash::aws::ApiCalls;
use mlopsdash::config::{ModelMapping, TrackingUri};
use mlopsdash::source::pipelines::airflow::transport::{Credentials, Transport};
use mlopsdash::source::pipelines::airflow::{AirflowClient, AirflowSettings, AirflowSource};
use mlopsdash::source::pipelines::mlflow::{MlflowSettings, MlflowSource};
use mlopsdash::source::pipelines::{mlflow_api, MlflowCredentials};

#[path = "../common/proxy.rs"]
mod proxy;

use proxy::{Faults, Proxy};

fn main() {
    let (Ok(mlflow), Ok(airflow), Ok(passwords)) = (
        std::env::var("MLOPSDASH_TEST_MLFLOW_URL"),
        std::env::var("MLOPSDASH_TEST_AIRFLOW_URL"),
        std::env::var("MLOPSDASH_TEST_AIRFLOW_PASSWORDS"),
    ) else {
        println!("pipelines: skipped (tests/scripts/pipelines.sh starts the servers it needs)");
        return;
    };
    let seeded = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pipelines/seeded");
    let deadline = Instant::now() + Duration::from_secs(420);
    while !seeded.exists() {
        assert!(
            Instant::now() < deadline,
            "MLflow and Airflow were not seeded in 7 minutes"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let bench = std::env::args().any(|a| a == "--bench");
    let latency_ms: u64 = proxy::bench_latency_ms(bench);
    let password: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(passwords).unwrap()).unwrap();
    let password = password["admin"].as_str().unwrap().to_string();
    println!("pipelines: {latency_ms} ms added to every request");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let faults = Faults {
            latency: Duration::from_millis(latency_ms),
            ..Faults::default()
        };
        let (mlflow_proxy, airflow_proxy) = (
            Proxy::start(&mlflow, faults).await,
            Proxy::start(&airflow, faults).await,
        );
        let calls = ApiCalls::default();
        let uri = TrackingUri::parse(&mlflow_proxy.url).unwrap();
        let none = MlflowCredentials {
            user: None,
            password: None,
            token: None,
        };
        let mappings = vec![ModelMapping {
            name: "weekly-demand".into(),
            mlflow_model: Some("DemandForecaster".into()),
            mlflow_experiment: Some("demand-forecasting".into()),
            etl_dag: Some("ingest_sales_daily".into()),
            training_dag: Some("demand_retrain".into()),
            ..ModelMapping::default()
        }];
        let mlflow = MlflowSource::new(
            mlflow_api(&uri, none, None, &calls),
            MlflowSettings {
                mappings: mappings.clone(),
                runs: 5,
                in_flight: 16,
                ..MlflowSettings::default()
            },
        );
        let credentials = Credentials {
            user: Some("admin".into()),
            password: Some(password),
            token: None,
        };
        let airflow = AirflowSource::new(
            AirflowClient {
                transport: Transport::http(&airflow_proxy.url, None, credentials, &calls),
            },
            AirflowSettings {
                mappings,
                tag_prefix: "model:".into(),
                runs: 10,
                log_lines: 8,
                in_flight: 16,
            },
        );
        for refresh in ["first", "second"] {
            let before = (mlflow_proxy.requests(), airflow_proxy.requests());
            let started = Instant::now();
            let (m, a) = tokio::join!(mlflow.gather(), airflow.gather());
            let took = started.elapsed();
            let (m, a) = (m.unwrap(), a.unwrap());
            println!(
                "pipelines: {refresh} refresh: {} MLflow rows with {} requests, {} Airflow rows \
                 with {} requests, {:.0} ms",
                m.models.len(),
                mlflow_proxy.requests() - before.0,
                a.models.len(),
                airflow_proxy.requests() - before.1,
                took.as_secs_f64() * 1000.0
            );
        }
    });
}
