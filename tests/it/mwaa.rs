//! Amazon MWAA: Airflow reached through InvokeRestApi, answered by the SDK's mocks in
//! AWS's shapes (no emulator serves MWAA). An Airflow 2 environment, so the v1 API's
//! field names; its own health from GetEnvironment.

use aws_sdk_mwaa::operation::get_environment::GetEnvironmentOutput;
use aws_sdk_mwaa::operation::invoke_rest_api::{InvokeRestApiError, InvokeRestApiOutput};
use aws_sdk_mwaa::types::error::RestApiClientException;
use aws_sdk_mwaa::types::{Environment, EnvironmentStatus};
use aws_sdk_mwaa::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use serde_json::{json, Value};

use mlopsdash::model::facts::{RunSource, RunStatus};
use mlopsdash::source::pipelines::airflow::transport::{document, value, Transport};
use mlopsdash::source::pipelines::airflow::{AirflowClient, AirflowSettings, AirflowSource};

const FAILED_RUN: &str = "scheduled__2026-12-01T02:00:00+00:00";

fn environment(status: EnvironmentStatus) -> Rule {
    mock!(Client::get_environment).then_output(move || {
        GetEnvironmentOutput::builder()
            .environment(
                Environment::builder()
                    .name("payments-prod")
                    .status(status.clone())
                    .airflow_version("2.10.3")
                    .build(),
            )
            .build()
    })
}

/// Airflow's answer at `path` (and, when given, with `state` in the query).
fn answers(path: &'static str, state: Option<&'static str>, body: Value) -> Rule {
    mock!(Client::invoke_rest_api)
        .match_requests(move |r| {
            let query = r.query_parameters().map(value).unwrap_or(Value::Null);
            r.path() == Some(path) && query["state"].as_str() == state
        })
        .then_output(move || {
            InvokeRestApiOutput::builder()
                .rest_api_status_code(200)
                .rest_api_response(document(&body))
                .build()
        })
}

fn rules() -> Vec<Rule> {
    vec![
        answers(
            "/dags",
            None,
            json!({"dags": [
                {"dag_id": "fraud_train", "is_paused": false,
                 "tags": [{"name": "model:fraud"}, {"name": "training"}],
                 "schedule_interval": {"__type": "CronExpression", "value": "0 2 * * *"},
                 "next_dagrun_create_after": "2099-01-01T02:00:00+00:00"},
                {"dag_id": "reports_mailer", "is_paused": false, "tags": []},
                {"dag_id": "fraud_train_old", "is_paused": true, "is_active": false,
                 "tags": [{"name": "model:fraud"}, {"name": "training"}]}
            ], "total_entries": 3}),
        ),
        answers(
            "/dags/fraud_train/dagRuns",
            Some("success"),
            json!({"dag_runs": [{"dag_run_id": "scheduled__2026-11-28T02:00:00+00:00",
                "state": "success", "execution_date": "2026-11-28T02:00:00+00:00",
                "start_date": "2026-11-29T02:00:05+00:00", "end_date": "2026-11-29T02:31:00+00:00"}]}),
        ),
        answers(
            "/dags/fraud_train/dagRuns",
            None,
            json!({"dag_runs": [{"dag_run_id": FAILED_RUN, "state": "failed",
                "execution_date": "2026-11-30T02:00:00+00:00",
                "start_date": "2026-12-01T02:00:04+00:00", "end_date": "2026-12-01T02:04:10+00:00"}]}),
        ),
        answers(
            "/dags/fraud_train/dagRuns/scheduled__2026-12-01T02%3A00%3A00%2B00%3A00/taskInstances",
            Some("failed"),
            json!({"task_instances": [{"task_id": "fit", "try_number": 2, "state": "failed"}]}),
        ),
        answers(
            "/dags/fraud_train/dagRuns/scheduled__2026-12-01T02%3A00%3A00%2B00%3A00/taskInstances/fit/logs/2",
            None,
            json!({"content": "[2026-12-01, 02:04:01 UTC] {taskinstance.py:3311} ERROR - Task failed with exception\nTraceback (most recent call last):\n  File \"train.py\", line 40\nKeyError: 'amount_usd'\n[2026-12-01, 02:04:02 UTC] {local_task_job_runner.py:266} INFO - Task exited with return code 1\n", "continuation_token": null}),
        ),
    ]
}

fn source(rules: &[Rule]) -> AirflowSource {
    let refs: Vec<&Rule> = rules.iter().collect();
    let client = mock_client!(aws_sdk_mwaa, RuleMode::MatchAny, refs.as_slice());
    let transport = Transport::mwaa(client, "payments-prod");
    AirflowSource::new(
        AirflowClient { transport },
        AirflowSettings {
            tag_prefix: "model:".into(),
            runs: 10,
            log_lines: 8,
            ..AirflowSettings::default()
        },
    )
}

#[tokio::test]
async fn an_airflow_2_environment_on_mwaa_gives_the_failed_task_and_its_exception() {
    let mut all = rules();
    all.push(environment(EnvironmentStatus::Available));
    let fleet = source(&all).gather().await.unwrap();
    assert_eq!(
        fleet.models.len(),
        1,
        "only the tagged DAG's model: {:?}",
        fleet.models
    );
    let fraud = fleet.model("fraud").unwrap();
    let run = &fraud.training[0];
    assert_eq!(run.source, RunSource::Airflow);
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.name, FAILED_RUN);
    assert_eq!(run.detail.failed_task.as_deref(), Some("fit"));
    assert_eq!(
        run.failure_reason.as_deref(),
        Some("KeyError: 'amount_usd'")
    );
    let dag = &fraud.dags[0];
    assert_eq!(dag.schedule.as_deref(), Some("0 2 * * *"));
    assert_eq!(
        dag.last_success.map(|t| t.to_string()),
        Some("2026-11-29T02:31:00Z".to_string())
    );
    assert!(fraud.stale.is_empty(), "{:?}", fraud.stale);
}

#[tokio::test]
async fn a_dag_that_stops_answering_keeps_its_last_facts_marked_old() {
    use aws_sdk_mwaa::types::error::RestApiServerException;
    // The runs answer once, then Airflow fails (500) on every later read.
    let flaky = mock!(Client::invoke_rest_api)
        .match_requests(|r| {
            let query = r.query_parameters().map(value).unwrap_or(Value::Null);
            r.path() == Some("/dags/fraud_train/dagRuns") && query["state"].is_null()
        })
        .sequence()
        .output(|| {
            InvokeRestApiOutput::builder()
                .rest_api_status_code(200)
                .rest_api_response(document(&json!({"dag_runs": [{"dag_run_id": "r1",
                    "state": "success", "start_date": "2026-12-01T02:00:04+00:00",
                    "end_date": "2026-12-01T02:30:00+00:00"}]})))
                .build()
        })
        .error(|| {
            InvokeRestApiError::RestApiServerException(
                RestApiServerException::builder()
                    .rest_api_status_code(500)
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let mut all = vec![flaky];
    all.extend(rules());
    all.push(environment(EnvironmentStatus::Available));
    let source = source(&all);
    let first = source.gather().await.unwrap();
    assert!(first.model("fraud").unwrap().stale.is_empty());
    let second = source.gather().await.unwrap();
    let fraud = second.model("fraud").unwrap();
    assert_eq!(
        fraud.training[0].name, "r1",
        "the last good run is still shown"
    );
    let stale = &fraud.stale[0];
    assert!(stale.since.is_some(), "{stale:?}");
    assert_eq!(
        stale.why,
        "Airflow (MWAA payments-prod) GET /dags/fraud_train/dagRuns: Airflow answered 500; will retry"
    );
}

#[tokio::test]
async fn an_unavailable_environment_is_said_on_its_rows() {
    let mut all = rules();
    all.push(environment(EnvironmentStatus::Unavailable));
    let fleet = source(&all).gather().await.unwrap();
    let why: Vec<&str> = fleet
        .model("fraud")
        .unwrap()
        .stale
        .iter()
        .map(|s| s.why.as_str())
        .collect();
    assert_eq!(why, vec!["MWAA environment payments-prod is UNAVAILABLE"]);
}

#[tokio::test]
async fn airflow_refusing_through_mwaa_is_one_line_with_its_status() {
    let refused = mock!(Client::invoke_rest_api).then_error(|| {
        InvokeRestApiError::RestApiClientException(
            RestApiClientException::builder()
                .rest_api_status_code(403)
                .rest_api_response(document(&json!({"detail": "Forbidden", "status": 403})))
                .build(),
        )
    });
    let all = [environment(EnvironmentStatus::Available), refused];
    let why = source(&all).gather().await.unwrap_err();
    assert!(!why.contains('\n'), "{why}");
    assert_eq!(
        why,
        "Airflow (MWAA payments-prod) GET /dags: Airflow answered 403: Forbidden"
    );
}

#[tokio::test]
async fn a_trigger_through_mwaa_is_shown_as_the_invoke_it_is() {
    let all = [environment(EnvironmentStatus::Available)];
    let refs: Vec<&Rule> = all.iter().collect();
    let client = mock_client!(aws_sdk_mwaa, RuleMode::MatchAny, refs.as_slice());
    let airflow = AirflowClient {
        transport: Transport::mwaa(client, "payments-prod"),
    };
    assert_eq!(
        airflow
            .transport
            .request_line("POST", "/dags/fraud_train/dagRuns")
            .await
            .unwrap(),
        "mwaa:InvokeRestApi payments-prod POST /dags/fraud_train/dagRuns"
    );
    // Airflow 2's trigger body: no logical_date field.
    assert_eq!(
        airflow.trigger_body(&json!({"m": 1})).await.unwrap(),
        json!({"conf": {"m": 1}})
    );
}

#[tokio::test]
async fn a_malformed_answer_is_one_line_not_a_panic() {
    let garbage = answers(
        "/dags",
        None,
        json!({"dags": "not a list", "total_entries": "x"}),
    );
    let all = [environment(EnvironmentStatus::Available), garbage];
    let why = source(&all).gather().await.unwrap_err();
    assert!(!why.contains('\n'), "{why}");
    assert!(
        why.starts_with("Airflow dags: unexpected answer ("),
        "{why}"
    );
}
