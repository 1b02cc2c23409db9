//! How MLflow's and Airflow's clients authenticate, against a stub HTTP server
//! (wiremock) where the real servers cannot show it: Airflow 2's `/api/v1` found by
//! asking and answered with basic auth, Airflow 3's JWT asked again when it expires,
//! MLflow's bearer token and its refusal said with what to set.

use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use mlopsdash::aws::ApiCalls;
use mlopsdash::config::{AirflowRest, TrackingUri};
use mlopsdash::source::pipelines::airflow::transport::{Credentials, Transport};
use mlopsdash::source::pipelines::airflow::{AirflowClient, AirflowSettings, AirflowSource};
use mlopsdash::source::pipelines::{mlflow_api, MlflowCredentials};

fn airflow(url: &str, credentials: Credentials, calls: &ApiCalls) -> AirflowSource {
    AirflowSource::new(
        AirflowClient {
            transport: Transport::http(url, None, credentials, calls),
        },
        AirflowSettings {
            tag_prefix: "model:".into(),
            runs: 10,
            log_lines: 8,
            ..AirflowSettings::default()
        },
    )
}

/// `GET path` answers `status` with an empty JSON object (health probes).
async fn answers(server: &MockServer, path_: &str, status: u16) {
    Mock::given(method("GET"))
        .and(path(path_))
        .respond_with(ResponseTemplate::new(status).set_body_json(json!({})))
        .mount(server)
        .await;
}

fn login(user: &str, password: &str) -> Credentials {
    Credentials {
        user: Some(user.into()),
        password: Some(password.into()),
        token: None,
    }
}

#[tokio::test]
async fn airflow_2_is_found_by_asking_and_read_with_basic_auth() {
    let server = MockServer::start().await;
    answers(&server, "/api/v2/monitor/health", 404).await;
    answers(&server, "/api/v1/health", 200).await;
    // admin:secret, base64.
    let basic = "Basic YWRtaW46c2VjcmV0";
    Mock::given(method("GET"))
        .and(path("/api/v1/dags"))
        .and(header("authorization", basic))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "dags": [{"dag_id": "fraud_etl", "is_paused": false, "is_active": true,
                      "tags": [{"name": "model:fraud"}, {"name": "etl"}]}],
            "total_entries": 1
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dags/fraud_etl/dagRuns"))
        .and(header("authorization", basic))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "dag_runs": [{"dag_run_id": "scheduled__2026-12-01T00:00:00+00:00", "state": "success",
                          "execution_date": "2026-12-01T00:00:00+00:00",
                          "start_date": "2026-12-02T00:00:03+00:00",
                          "end_date": "2026-12-02T00:09:00+00:00"}]
        })))
        .mount(&server)
        .await;
    let calls = ApiCalls::default();
    let source = airflow(&server.uri(), login("admin", "secret"), &calls);
    let fleet = source.gather().await.unwrap();
    let data = fleet.model("fraud").unwrap().data.clone().unwrap();
    assert_eq!(
        data.newest_object.unwrap().to_string(),
        "2026-12-02T00:09:00Z"
    );
    let client = AirflowClient {
        transport: Transport::http(&server.uri(), None, login("admin", "secret"), &calls),
    };
    assert_eq!(client.transport.version().await.unwrap(), AirflowRest::V1);
    // Airflow 2's trigger body has no logical_date.
    assert_eq!(
        client.trigger_body(&json!({})).await.unwrap(),
        json!({"conf": {}})
    );
}

#[tokio::test]
async fn airflow_3_asks_for_a_new_token_when_the_old_one_is_refused() {
    let server = MockServer::start().await;
    answers(&server, "/api/v2/monitor/health", 200).await;
    // The first token has expired by the time it is used; the second one works.
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .and(body_json(json!({"username": "admin", "password": "pw"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"access_token": "old"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"access_token": "new"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/dags"))
        .and(header("authorization", "Bearer old"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"detail": "Token expired"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/dags"))
        .and(header("authorization", "Bearer new"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"dags": [], "total_entries": 0})),
        )
        .mount(&server)
        .await;
    let calls = ApiCalls::default();
    let fleet = airflow(&server.uri(), login("admin", "pw"), &calls)
        .gather()
        .await
        .unwrap();
    assert!(fleet.models.is_empty());
    assert_eq!(calls.counts()["Airflow:CreateToken"], 2);
}

#[tokio::test]
async fn an_airflow_login_refused_says_what_to_set() {
    let server = MockServer::start().await;
    answers(&server, "/api/v2/monitor/health", 200).await;
    Mock::given(method("POST"))
        .and(path("/auth/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid credentials"})),
        )
        .mount(&server)
        .await;
    let why = airflow(&server.uri(), login("admin", "wrong"), &ApiCalls::default())
        .gather()
        .await
        .unwrap_err();
    assert_eq!(
        why,
        format!(
            "Airflow at {} GET /dags: POST /auth/token: 401 Unauthorized: Invalid credentials; \
             set AIRFLOW_USERNAME and AIRFLOW_PASSWORD (or AIRFLOW_TOKEN) for a user that may \
             read DAGs",
            server.uri()
        )
    );
}

#[tokio::test]
async fn mlflow_sends_its_token_as_a_bearer_and_a_refusal_names_the_variables() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/mlflow/registered-models/search"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"registered_models": []})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/2.0/mlflow/registered-models/search"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}),
        ))
        .mount(&server)
        .await;
    let uri = TrackingUri::parse(&server.uri()).unwrap();
    let calls = ApiCalls::default();
    let token = MlflowCredentials {
        user: None,
        password: None,
        token: Some("tok".into()),
    };
    let api = mlflow_api(&uri, token, None, &calls).unwrap();
    assert!(api.registered_models().await.unwrap().is_empty());
    let nobody = MlflowCredentials {
        user: None,
        password: None,
        token: None,
    };
    let why = mlflow_api(&uri, nobody, None, &calls)
        .unwrap()
        .registered_models()
        .await
        .unwrap_err();
    assert_eq!(
        why,
        format!(
            "MLflow at {} GET registered-models/search: 401 Unauthorized: You are not \
             authenticated.; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or \
             MLFLOW_TRACKING_TOKEN",
            server.uri()
        )
    );
}
