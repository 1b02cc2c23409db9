//! Failure paths moto cannot produce, from the SDK's own mocks with AWS's error
//! shapes: the real source code must turn them into one line that says what to do.

use aws_sdk_sagemaker::error::ErrorMetadata;
use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsError;
use aws_sdk_sagemaker::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use mlopsdash::source::aws::SageMakerSource;
use mlopsdash::source::{Source, Update};

fn list_endpoints_fails_with(code: &'static str, message: &'static str) -> aws_smithy_mocks::Rule {
    mock!(Client::list_endpoints).then_error(move || {
        ListEndpointsError::generic(ErrorMetadata::builder().code(code).message(message).build())
    })
}

async fn failure_of(rule: aws_smithy_mocks::Rule) -> String {
    use aws_sdk_sagemaker::operation::list_endpoint_configs::ListEndpointConfigsOutput;
    use aws_sdk_sagemaker::operation::list_model_package_groups::ListModelPackageGroupsOutput;
    use aws_sdk_sagemaker::operation::list_pipelines::ListPipelinesOutput;
    use aws_sdk_sagemaker::operation::list_training_jobs::ListTrainingJobsOutput;
    // The other region-wide listings are asked at the same time and answer.
    let others = [
        mock!(Client::list_model_package_groups)
            .then_output(|| ListModelPackageGroupsOutput::builder().build()),
        mock!(Client::list_training_jobs).then_output(|| ListTrainingJobsOutput::builder().build()),
        mock!(Client::list_endpoint_configs)
            .then_output(|| ListEndpointConfigsOutput::builder().build()),
        mock!(Client::list_pipelines).then_output(|| ListPipelinesOutput::builder().build()),
    ];
    let client = mock_client!(
        aws_sdk_sagemaker,
        RuleMode::MatchAny,
        [&rule, &others[0], &others[1], &others[2], &others[3]]
    );
    match SageMakerSource::from_client(client).fetch().await {
        Update::Failed { why, .. } => why,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn access_denied_names_the_missing_iam_action() {
    let rule = list_endpoints_fails_with(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/oncall/me is not authorized to perform: \
         sagemaker:ListEndpoints because no identity-based policy allows it",
    );
    assert_eq!(
        failure_of(rule).await,
        "AccessDenied: the IAM policy lacks sagemaker:ListEndpoints; add it to this role"
    );
}

#[tokio::test]
async fn throttling_says_it_backs_off() {
    let rule = list_endpoints_fails_with("ThrottlingException", "Rate exceeded");
    assert_eq!(
        failure_of(rule).await,
        "throttled by AWS on sagemaker:ListEndpoints; backing off"
    );
}

#[tokio::test]
async fn expired_credentials_say_how_to_refresh_them() {
    let rule = list_endpoints_fails_with(
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
    let why = failure_of(rule).await;
    assert!(
        why.starts_with("AWS credentials expired") && why.contains("aws sso login"),
        "{why}"
    );
}

mod cloudwatch {
    use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
    use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
    use aws_sdk_cloudwatch::operation::list_metrics::{ListMetricsError, ListMetricsOutput};
    use aws_sdk_cloudwatch::primitives::DateTime;
    use aws_sdk_cloudwatch::types::MetricDataResult;
    use aws_sdk_cloudwatch::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::source::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
    use mlopsdash::source::aws::targets::EndpointTarget;
    use mlopsdash::source::aws::{ApiCalls, METRICS_REQUESTED};
    use mlopsdash::source::{Source, Update};

    /// 63 single-variant endpoints: 504 queries, one more than a request may carry.
    fn targets() -> tokio::sync::watch::Receiver<Vec<EndpointTarget>> {
        let endpoints = (0..63)
            .map(|i| crate::seed::endpoint_target(&format!("m{i:02}"), &format!("ep{i:02}")))
            .collect();
        tokio::sync::watch::channel(endpoints).1
    }

    fn source(client: Client, calls: &ApiCalls) -> CloudWatchSource {
        let custom = CustomMetrics {
            namespace: "MLOps/Models".into(),
            dimension: "ModelName".into(),
            discover: true,
        };
        CloudWatchSource::from_client(client, calls.clone(), targets(), Vec::new(), custom)
    }

    /// ListMetrics finds nothing in the custom namespace nor Model Monitor's two.
    fn no_metrics_listed() -> aws_smithy_mocks::Rule {
        mock!(Client::list_metrics)
            .match_requests(|r| !endpoint_namespace(r.namespace()))
            .sequence()
            .output(|| ListMetricsOutput::builder().build())
            .times(3)
            .build()
    }

    /// Which endpoint metrics exist cannot be listed: every one is asked for.
    fn endpoint_metrics_unlisted() -> aws_smithy_mocks::Rule {
        mock!(Client::list_metrics)
            .match_requests(|r| endpoint_namespace(r.namespace()))
            .sequence()
            .error(|| {
                ListMetricsError::generic(
                    aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                        .code("InternalFailure")
                        .build(),
                )
            })
            .times(2)
            .build()
    }

    fn endpoint_namespace(namespace: Option<&str>) -> bool {
        matches!(
            namespace,
            Some("AWS/SageMaker" | "/aws/sagemaker/Endpoints")
        )
    }

    /// Query q0 is m00's Invocations: one point per page.
    fn page(at: i64, value: f64, token: Option<&str>) -> GetMetricDataOutput {
        GetMetricDataOutput::builder()
            .metric_data_results(
                MetricDataResult::builder()
                    .id("q0")
                    .timestamps(DateTime::from_secs(at))
                    .values(value)
                    .build(),
            )
            .set_next_token(token.map(str::to_string))
            .build()
    }

    #[tokio::test]
    async fn get_metric_data_batches_500_queries_and_follows_next_token() {
        let list = no_metrics_listed();
        let unlisted = endpoint_metrics_unlisted();
        let first = mock!(Client::get_metric_data)
            .match_requests(|r| r.metric_data_queries().len() == 500 && r.next_token().is_none())
            .then_output(|| page(1_800_000_000, 40.0, Some("page-2")));
        let second = mock!(Client::get_metric_data)
            .match_requests(|r| {
                r.metric_data_queries().len() == 500 && r.next_token() == Some("page-2")
            })
            .then_output(|| page(1_800_000_060, 60.0, None));
        let rest = mock!(Client::get_metric_data)
            .match_requests(|r| {
                r.metric_data_queries().len() == 4
                    && r.metric_data_queries()[0].id() == Some("q500")
            })
            .then_output(|| GetMetricDataOutput::builder().build());
        let alarms =
            mock!(Client::describe_alarms).then_output(|| DescribeAlarmsOutput::builder().build());
        let client = mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            [&list, &unlisted, &alarms, &first, &second, &rest]
        );
        let calls = ApiCalls::default();
        // Every metric of 63 endpoints, as a snapshot asks: 504 queries.
        let mut all = source(client, &calls).every_metric();
        let Update::Fleet { fleet, .. } = all.fetch().await else {
            panic!("expected metrics");
        };
        let m00 = fleet.model("m00").unwrap();
        let values: Vec<f64> = m00.metrics["Invocations"].values().collect();
        assert_eq!(values, vec![40.0, 60.0], "both pages, oldest first");
        assert_eq!(fleet.models.len(), 63);
        // Billed per metric requested: each page asks for its 500 again.
        assert_eq!(calls.counts()[METRICS_REQUESTED], 500 + 500 + 4);
        assert_eq!(rest.num_calls(), 1);
    }

    #[tokio::test]
    async fn access_denied_on_metrics_names_the_action() {
        let list = no_metrics_listed();
        let denied = mock!(Client::get_metric_data).then_error(|| {
            GetMetricDataError::generic(
                aws_sdk_cloudwatch::error::ErrorMetadata::builder()
                    .code("AccessDenied")
                    .message("not authorized to perform: cloudwatch:GetMetricData")
                    .build(),
            )
        });
        // Alarms are asked first (they say who is in trouble), and answer.
        let alarms =
            mock!(Client::describe_alarms).then_output(|| DescribeAlarmsOutput::builder().build());
        let unlisted = endpoint_metrics_unlisted();
        let client = mock_client!(
            aws_sdk_cloudwatch,
            RuleMode::MatchAny,
            [&list, &unlisted, &denied, &alarms]
        );
        match source(client, &ApiCalls::default()).fetch().await {
            Update::Failed { why, .. } => assert_eq!(
                why,
                "AccessDenied: the IAM policy lacks cloudwatch:GetMetricData; add it to this role"
            ),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}

mod monitoring {
    use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
    use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
    use aws_sdk_sagemaker::operation::describe_model::DescribeModelOutput;
    use aws_sdk_sagemaker::operation::describe_monitoring_schedule::DescribeMonitoringScheduleOutput;
    use aws_sdk_sagemaker::operation::list_endpoint_configs::ListEndpointConfigsOutput;
    use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsOutput;
    use aws_sdk_sagemaker::operation::list_model_package_groups::ListModelPackageGroupsOutput;
    use aws_sdk_sagemaker::operation::list_monitoring_schedules::ListMonitoringSchedulesOutput;
    use aws_sdk_sagemaker::operation::list_pipelines::ListPipelinesOutput;
    use aws_sdk_sagemaker::operation::list_training_jobs::ListTrainingJobsOutput;
    use aws_sdk_sagemaker::primitives::DateTime;
    use aws_sdk_sagemaker::types::*;
    use aws_sdk_sagemaker::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::source::aws::SageMakerSource;
    use mlopsdash::source::{Source, Update};

    /// One endpoint with a data-quality schedule whose newest run failed, shaped like
    /// AWS's ListMonitoringSchedules / DescribeMonitoringSchedule documentation.
    #[tokio::test]
    async fn a_failed_monitoring_run_and_its_report_location_reach_the_model() {
        let created = DateTime::from_secs(1_800_000_000);
        let rules = [
            mock!(Client::list_endpoints).then_output(move || {
                ListEndpointsOutput::builder()
                    .endpoints(
                        EndpointSummary::builder()
                            .endpoint_name("churn")
                            .endpoint_arn("arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn")
                            .creation_time(created)
                            .last_modified_time(created)
                            .endpoint_status(EndpointStatus::InService)
                            .build(),
                    )
                    .build()
            }),
            mock!(Client::describe_endpoint).then_output(|| {
                DescribeEndpointOutput::builder()
                    .endpoint_name("churn")
                    .endpoint_config_name("churn-config-v1")
                    .endpoint_status(EndpointStatus::InService)
                    .build()
            }),
            mock!(Client::describe_endpoint_config).then_output(move || {
                DescribeEndpointConfigOutput::builder()
                    .endpoint_config_name("churn-config-v1")
                    .creation_time(created)
                    .build()
            }),
            mock!(Client::describe_model).then_output(|| DescribeModelOutput::builder().build()),
            mock!(Client::list_training_jobs)
                .then_output(|| ListTrainingJobsOutput::builder().build()),
            mock!(Client::list_endpoint_configs)
                .then_output(|| ListEndpointConfigsOutput::builder().build()),
            mock!(Client::list_pipelines).then_output(|| ListPipelinesOutput::builder().build()),
            mock!(Client::list_model_package_groups)
                .then_output(|| ListModelPackageGroupsOutput::builder().build()),
            mock!(Client::list_monitoring_schedules).then_output(move || {
                ListMonitoringSchedulesOutput::builder()
                    .monitoring_schedule_summaries(
                        MonitoringScheduleSummary::builder()
                            .monitoring_schedule_name("churn-data-quality")
                            .monitoring_schedule_arn("arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/churn-data-quality")
                            .creation_time(created)
                            .last_modified_time(created)
                            .monitoring_schedule_status(ScheduleStatus::Scheduled)
                            .endpoint_name("churn")
                            .monitoring_type(MonitoringType::DataQuality)
                            .build(),
                    )
                    .build()
            }),
            mock!(Client::describe_monitoring_schedule)
                .match_requests(|r| r.monitoring_schedule_name() == Some("churn-data-quality"))
                .then_output(move || {
                    let output = MonitoringOutput::builder()
                        .s3_output(
                            MonitoringS3Output::builder()
                                .s3_uri("s3://monitoring-bucket/reports/churn/churn-data-quality")
                                .local_path("/opt/ml/processing/output")
                                .build(),
                        )
                        .build();
                    let job = MonitoringJobDefinition::builder()
                        .monitoring_output_config(
                            MonitoringOutputConfig::builder().monitoring_outputs(output).build(),
                        )
                        .build();
                    DescribeMonitoringScheduleOutput::builder()
                        .monitoring_schedule_name("churn-data-quality")
                        .monitoring_schedule_status(ScheduleStatus::Scheduled)
                        .monitoring_schedule_config(
                            MonitoringScheduleConfig::builder()
                                .monitoring_job_definition(job)
                                .build(),
                        )
                        .last_monitoring_execution_summary(
                            MonitoringExecutionSummary::builder()
                                .monitoring_schedule_name("churn-data-quality")
                                .scheduled_time(created)
                                .creation_time(created)
                                .last_modified_time(created)
                                .monitoring_execution_status(ExecutionStatus::Failed)
                                .failure_reason("AlgorithmError: no data captured in the last hour")
                                .build(),
                        )
                        .build()
                }),
        ];
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, &rules);
        let Update::Fleet { fleet, .. } = SageMakerSource::from_client(client).fetch().await else {
            panic!("expected the fleet");
        };
        let drift = &fleet.model("churn").unwrap().drift;
        let run = drift.monitoring.as_ref().unwrap();
        assert_eq!(run.status, "Failed");
        assert_eq!(
            run.failure_reason.as_deref(),
            Some("AlgorithmError: no data captured in the last hour")
        );
        assert_eq!(
            drift.reports_at.as_deref(),
            Some("s3://monitoring-bucket/reports/churn/churn-data-quality")
        );
        let health = mlopsdash::model::assess(
            fleet.model("churn").unwrap(),
            &Default::default(),
            jiff::Timestamp::from_second(1_800_000_000 + 3 * 3600).unwrap(),
        );
        let s = health.stage(mlopsdash::model::Stage::Drift);
        assert_eq!(s.summary, "mon failed 3h");
    }
}

mod cost {
    use aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageOutput;
    use aws_sdk_costexplorer::operation::get_cost_forecast::GetCostForecastOutput;
    use aws_sdk_costexplorer::types::{DateInterval, ForecastResult, MetricValue, ResultByTime};
    use aws_sdk_costexplorer::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::source::aws::cost::CostSource;
    use mlopsdash::source::{Source, Update};

    /// GetCostForecast as AWS documents it (moto lacks it): the rest of the month's
    /// mean and 80% interval, added to what was spent before today.
    #[tokio::test]
    async fn the_forecast_adds_the_rest_of_the_month_to_what_was_spent() {
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .date();
        let yesterday = today.yesterday().unwrap();
        let day = move |date: jiff::civil::Date, amount: &str| {
            ResultByTime::builder()
                .time_period(
                    DateInterval::builder()
                        .start(date.to_string())
                        .end(date.tomorrow().unwrap().to_string())
                        .build()
                        .unwrap(),
                )
                .total(
                    "UnblendedCost",
                    MetricValue::builder().amount(amount).unit("USD").build(),
                )
                .build()
        };
        let usage = mock!(Client::get_cost_and_usage).then_output(move || {
            GetCostAndUsageOutput::builder()
                .results_by_time(day(yesterday, "100.0"))
                .results_by_time(day(today, "40.0"))
                .build()
        });
        let forecast = mock!(Client::get_cost_forecast)
            .match_requests(|r| r.prediction_interval_level() == Some(80))
            .then_output(|| {
                let value = |v: &str| MetricValue::builder().amount(v).unit("USD").build();
                GetCostForecastOutput::builder()
                    .total(value("900.0"))
                    .forecast_results_by_time(
                        ForecastResult::builder()
                            .mean_value("900.0")
                            .prediction_interval_lower_bound("800.0")
                            .prediction_interval_upper_bound("1000.0")
                            .build(),
                    )
                    .build()
            });
        let client = mock_client!(
            aws_sdk_costexplorer,
            RuleMode::MatchAny,
            [&usage, &forecast]
        );
        let cache = tempfile::tempdir().unwrap();
        let (_, force) = tokio::sync::watch::channel(0);
        let mut source = CostSource::from_client(client, force).cache_in(cache.path().into());
        let Update::Fleet { fleet, .. } = source.fetch().await else {
            panic!("cost failed")
        };
        let cost = fleet.cost.unwrap();
        // On the first of the month "yesterday" is last month's: not this month's spend.
        let before = if yesterday.month() == today.month() {
            100.0
        } else {
            0.0
        };
        let f = cost.forecast.unwrap();
        assert_eq!(f.mean, before + 900.0);
        assert_eq!(
            (f.lower, f.upper),
            (Some(before + 800.0), Some(before + 1000.0))
        );
    }
}

/// A 503 without an AWS body (a load balancer's) is said in plain words, and a
/// failing Cost Explorer, billed per request, is asked again only after a backoff.
mod plain_503 {
    use aws_sdk_costexplorer::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use mlopsdash::source::aws::cost::CostSource;
    use mlopsdash::source::{Source, Update};

    #[tokio::test]
    async fn a_bare_503_is_named_and_cost_explorer_backs_off() {
        let unavailable = mock!(Client::get_cost_and_usage).then_http_response(|| {
            HttpResponse::new(StatusCode::try_from(503).unwrap(), SdkBody::from(""))
        });
        let client = mock_client!(aws_sdk_costexplorer, RuleMode::MatchAny, [&unavailable]);
        let cache = tempfile::tempdir().unwrap();
        let (_, force) = tokio::sync::watch::channel(0);
        let mut source = CostSource::from_client(client, force).cache_in(cache.path().into());
        let why = |u: Update| match u {
            Update::Failed { why, .. } => why,
            other => panic!("expected a failure, got {other:?}"),
        };
        let first = why(source.fetch().await);
        assert_eq!(
            first,
            "AWS answered 503 Service Unavailable on ce:GetCostAndUsage; will retry"
        );
        let asked = unavailable.num_calls();
        assert!(asked >= 1);
        // The next check comes before the backoff is over: no billed request.
        let second = why(source.fetch().await);
        assert!(
            second.starts_with(&first) && second.contains("next try at"),
            "{second}"
        );
        assert_eq!(unavailable.num_calls(), asked);
    }
}

/// A refresh where one endpoint's describe fails: the others' new facts stand, the
/// failing one keeps its last good facts, marked stale with why.
mod partial {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use aws_sdk_sagemaker::error::ErrorMetadata;
    use aws_sdk_sagemaker::operation::describe_endpoint::{
        DescribeEndpointError, DescribeEndpointOutput,
    };
    use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
    use aws_sdk_sagemaker::operation::list_endpoint_configs::ListEndpointConfigsOutput;
    use aws_sdk_sagemaker::operation::list_endpoints::ListEndpointsOutput;
    use aws_sdk_sagemaker::operation::list_model_package_groups::ListModelPackageGroupsOutput;
    use aws_sdk_sagemaker::operation::list_monitoring_schedules::ListMonitoringSchedulesOutput;
    use aws_sdk_sagemaker::operation::list_pipelines::ListPipelinesOutput;
    use aws_sdk_sagemaker::operation::list_training_jobs::ListTrainingJobsOutput;
    use aws_sdk_sagemaker::primitives::DateTime;
    use aws_sdk_sagemaker::types::{EndpointStatus, EndpointSummary};
    use aws_sdk_sagemaker::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use mlopsdash::model::Stage;
    use mlopsdash::source::aws::SageMakerSource;
    use mlopsdash::source::{Source, Update};

    /// A region with nothing else in it: no configs beyond the endpoints', no
    /// training jobs, pipelines or monitoring schedules.
    fn empty_region() -> [aws_smithy_mocks::Rule; 6] {
        [
            mock!(Client::list_model_package_groups)
                .then_output(|| ListModelPackageGroupsOutput::builder().build()),
            mock!(Client::describe_endpoint_config)
                .then_output(|| DescribeEndpointConfigOutput::builder().build()),
            mock!(Client::list_training_jobs)
                .then_output(|| ListTrainingJobsOutput::builder().build()),
            mock!(Client::list_endpoint_configs)
                .then_output(|| ListEndpointConfigsOutput::builder().build()),
            mock!(Client::list_pipelines).then_output(|| ListPipelinesOutput::builder().build()),
            mock!(Client::list_monitoring_schedules)
                .then_output(|| ListMonitoringSchedulesOutput::builder().build()),
        ]
    }

    #[tokio::test]
    async fn one_failed_describe_keeps_the_rest_and_its_own_old_facts_marked() {
        let second = Arc::new(AtomicBool::new(false));
        let modified = {
            let second = second.clone();
            move || {
                DateTime::from_secs(if second.load(Ordering::SeqCst) {
                    2_000
                } else {
                    1_000
                })
            }
        };
        let listed = modified.clone();
        let (status_of_a, b_fails) = (second.clone(), second.clone());
        let summary = move |name: &str| {
            EndpointSummary::builder()
                .endpoint_name(name)
                .endpoint_arn(format!(
                    "arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}"
                ))
                .creation_time(DateTime::from_secs(1))
                .last_modified_time(listed())
                .endpoint_status(EndpointStatus::InService)
                .build()
        };
        let rules = [
            mock!(Client::list_endpoints).then_output(move || {
                ListEndpointsOutput::builder()
                    .endpoints(summary("fraud-scoring"))
                    .endpoints(summary("churn-prod"))
                    .build()
            }),
            mock!(Client::describe_endpoint)
                .match_requests(|r| r.endpoint_name() == Some("fraud-scoring"))
                .then_output(move || {
                    let status = match status_of_a.load(Ordering::SeqCst) {
                        true => EndpointStatus::Updating,
                        false => EndpointStatus::InService,
                    };
                    DescribeEndpointOutput::builder()
                        .endpoint_name("fraud-scoring")
                        .endpoint_config_name("fraud-config")
                        .endpoint_status(status)
                        .build()
                }),
            mock!(Client::describe_endpoint)
                .match_requests(move |r| {
                    r.endpoint_name() == Some("churn-prod") && b_fails.load(Ordering::SeqCst)
                })
                .then_error(|| {
                    DescribeEndpointError::generic(
                        ErrorMetadata::builder()
                            .code("ThrottlingException")
                            .message("Rate exceeded")
                            .build(),
                    )
                }),
            mock!(Client::describe_endpoint).then_output(|| {
                DescribeEndpointOutput::builder()
                    .endpoint_name("churn-prod")
                    .endpoint_config_name("churn-config")
                    .endpoint_status(EndpointStatus::InService)
                    .build()
            }),
        ];
        let rules: Vec<_> = rules.into_iter().chain(empty_region()).collect();
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, &rules);
        let mut source = SageMakerSource::from_client(client);
        let fleet = |u: Update| match u {
            Update::Fleet { fleet, .. } => fleet,
            other => panic!("expected the fleet, got {other:?}"),
        };
        let first = fleet(source.fetch().await);
        assert!(first.models.iter().all(|m| m.stale.is_empty()), "{first:?}");
        second.store(true, Ordering::SeqCst);
        let then = fleet(source.fetch().await);
        let fraud = then.model("fraud-scoring").expect("fraud row");
        assert_eq!(fraud.endpoint.as_ref().unwrap().status, "Updating");
        assert!(fraud.stale.is_empty());
        let churn = then.model("churn").expect("churn row stays");
        assert_eq!(churn.endpoint.as_ref().unwrap().status, "InService");
        let stale = churn.stale.first().expect("marked stale");
        assert!(
            stale.why.contains("sagemaker:DescribeEndpoint"),
            "{}",
            stale.why
        );
        assert!(stale.since.is_some());
        assert!(churn.is_stale_at(Stage::Endpoint) && !churn.is_stale_at(Stage::Quality));
    }

    /// An endpoint that fails without a new LastModifiedTime is still seen at the
    /// next refresh: a listed status unlike the described one means describe again.
    #[tokio::test]
    async fn a_status_change_alone_is_described_at_the_next_refresh() {
        let failed = Arc::new(AtomicBool::new(false));
        let status = {
            let failed = failed.clone();
            move || match failed.load(Ordering::SeqCst) {
                true => EndpointStatus::Failed,
                false => EndpointStatus::InService,
            }
        };
        let listed = status.clone();
        let described = status.clone();
        let describe = mock!(Client::describe_endpoint).then_output(move || {
            DescribeEndpointOutput::builder()
                .endpoint_name("fraud-scoring")
                .endpoint_config_name("fraud-config")
                .endpoint_status(described())
                .build()
        });
        let rules = [
            mock!(Client::list_endpoints).then_output(move || {
                let summary = EndpointSummary::builder()
                    .endpoint_name("fraud-scoring")
                    .endpoint_arn("arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-scoring")
                    .creation_time(DateTime::from_secs(1))
                    .last_modified_time(DateTime::from_secs(1_000))
                    .endpoint_status(listed())
                    .build();
                ListEndpointsOutput::builder().endpoints(summary).build()
            }),
            describe.clone(),
        ];
        let rules: Vec<_> = rules.into_iter().chain(empty_region()).collect();
        let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, &rules);
        let mut source = SageMakerSource::from_client(client);
        let status_of = |u: Update| match u {
            Update::Fleet { fleet, .. } => fleet
                .model("fraud-scoring")
                .and_then(|m| m.endpoint.clone())
                .map(|e| e.status)
                .unwrap_or_default(),
            other => panic!("expected the fleet, got {other:?}"),
        };
        assert_eq!(status_of(source.fetch().await), "InService");
        assert_eq!(status_of(source.fetch().await), "InService");
        assert_eq!(describe.num_calls(), 1, "unchanged: not described again");
        failed.store(true, Ordering::SeqCst);
        assert_eq!(status_of(source.fetch().await), "Failed");
        assert_eq!(describe.num_calls(), 2);
    }
}
