//! CloudWatch (ministack), S3 and SageMaker Pipelines (moto) through the real
//! `snapshot --json` binary: seeded values must come back on the right rows.

use crate::aws::{ministack_url, moto_url, row, snapshot_json};
use crate::seed::{
    alarm_firing, cloudwatch, put, s3, sdk, seed_endpoint, seed_registered_model, unique,
};

#[test]
fn endpoint_metrics_business_metrics_and_alarms_land_on_their_model() {
    let endpoint = unique("cw-rec");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        seed_endpoint(&moto, &endpoint, &[("blue", 0.9, 2), ("green", 0.1, 1)]).await;
        let cw = cloudwatch(&sdk(&ministack_url()).await);
        let sm = "AWS/SageMaker";
        let blue = [("EndpointName", endpoint.as_str()), ("VariantName", "blue")];
        let green = [
            ("EndpointName", endpoint.as_str()),
            ("VariantName", "green"),
        ];
        put(&cw, sm, "Invocations", &blue, &[900.0]).await;
        put(&cw, sm, "Invocations", &green, &[100.0]).await;
        put(&cw, sm, "Invocation5XXErrors", &blue, &[0.0]).await;
        put(&cw, sm, "Invocation5XXErrors", &green, &[30.0]).await;
        // Microseconds, as SageMaker reports them.
        put(&cw, sm, "ModelLatency", &blue, &[120_000.0]).await;
        put(&cw, sm, "ModelLatency", &green, &[250_000.0]).await;
        put(
            &cw,
            "/aws/sagemaker/Endpoints",
            "CPUUtilization",
            &blue,
            &[41.5],
        )
        .await;
        let by_model = [("ModelName", endpoint.as_str())];
        // A fraction, as libraries return it: 2.1%.
        put(&cw, "MLOps/Models", "CTR", &by_model, &[0.021]).await;
        let name = format!("{endpoint}-5xx");
        let metric = (sm, "Invocation5XXErrors");
        let reason = "Threshold Crossed: 1 datapoint [30.0] was greater than 10.0";
        alarm_firing(&cw, &name, metric, &green, 10.0, reason).await;
        // Another alarm on it that pages the on-call topic.
        cw.put_metric_alarm()
            .alarm_name(format!("{endpoint}-latency"))
            .namespace(sm)
            .metric_name("ModelLatency")
            .set_dimensions(Some(crate::seed::dims(&blue)))
            .statistic(aws_sdk_cloudwatch::types::Statistic::Average)
            .period(60)
            .evaluation_periods(1)
            .threshold(500_000.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanThreshold,
            )
            .alarm_actions("arn:aws:sns:us-east-1:123456789012:ml-oncall")
            .send()
            .await
            .unwrap();
    });

    let (_, v) = snapshot_json(&moto_url(), &ministack_url(), "/dev/null");
    assert_eq!(v["errors"], serde_json::json!([]), "{v:#}");
    let rec = row(&v, &endpoint);
    let metrics = &rec["metrics"];
    assert_eq!(metrics["Invocations"], 1000.0, "variants add up");
    assert_eq!(metrics["Invocation5XXErrors"], 30.0);
    assert_eq!(metrics["5xxRate"], 3.0);
    assert_eq!(metrics["ModelLatency.p99"], 250.0, "worst variant, in ms");
    assert_eq!(metrics["CPUUtilization"], 41.5);
    assert!(
        (metrics["CTR"].as_f64().unwrap() - 2.1).abs() < 1e-9,
        "{metrics}"
    );
    assert_eq!(rec["quality"]["CTR"]["scale"], "fraction");
    assert_eq!(rec["quality"]["CTR"]["raw"], 0.021);
    // A CTR says it is a recommender; 2.1% is below the 2.5% crit line.
    assert_eq!(rec["kind"], "recommendation");
    assert_eq!(rec["stages"]["quality"]["health"], "crit");
    assert_eq!(rec["stages"]["endpoint"]["health"], "warn");
    assert_eq!(rec["stages"]["endpoint"]["summary"], "5xx 3.0%");

    let alarm = v["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == format!("{endpoint}-5xx"))
        .unwrap();
    assert_eq!(alarm["state"], "Alarm");
    assert_eq!(alarm["model"], endpoint.as_str());
    // It has no AlarmActions: it watches while no one is told.
    assert_eq!(alarm["notifies"], serde_json::json!([]), "{alarm:#}");
    let paging = v["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == format!("{endpoint}-latency"))
        .unwrap();
    assert_eq!(
        paging["notifies"],
        serde_json::json!(["arn:aws:sns:us-east-1:123456789012:ml-oncall"])
    );
    assert!(alarm["reason"]
        .as_str()
        .unwrap()
        .starts_with("Threshold Crossed"));

    // Batched: every query of the refresh in as few requests as 500-query batches allow.
    let calls = &v["api_calls"];
    let metrics_requested = calls["CloudWatch:GetMetricData/metrics"].as_u64().unwrap();
    let requests = calls["CloudWatch:GetMetricData"].as_u64().unwrap();
    // What exists of the two variants (blue: Invocations, 5xx, ModelLatency as p50
    // and p99, CPU; green: the same but CPU) and the CTR, at least; other tests'
    // endpoints share the emulator.
    assert!(metrics_requested >= 10, "{metrics_requested}");
    assert_eq!(requests, metrics_requested.div_ceil(500));
    // The CTR's unit, asked once.
    assert!(calls["CloudWatch:GetMetricStatistics"].as_u64().unwrap() >= 1);
}

#[test]
fn configured_models_map_pipeline_registry_data_and_metrics() {
    let name = unique("demand-fc");
    let bucket = unique("raw").to_lowercase();
    let pipeline = format!("{name}-train");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let endpoint = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        let group = format!("{name}-group");
        let endpoint = seed_registered_model(
            &moto,
            &group,
            &["Approved", "PendingManualApproval"],
            1,
            &[],
        )
        .await;
        let sm = aws_sdk_sagemaker::Client::new(&moto);
        sm.create_pipeline()
            .pipeline_name(&pipeline)
            .role_arn("arn:aws:iam::123456789012:role/sagemaker")
            .pipeline_definition(r#"{"Version":"2020-12-01","Steps":[]}"#)
            .client_request_token(unique("token"))
            .send()
            .await
            .unwrap();
        sm.start_pipeline_execution()
            .pipeline_name(&pipeline)
            .pipeline_execution_display_name("retrain-nightly")
            .client_request_token(unique("token"))
            .send()
            .await
            .unwrap();
        let s3 = s3(&moto);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
        for key in ["sales/2026/11/a.csv", "sales/2026/11/b.csv", "other/x.csv"] {
            s3.put_object()
                .bucket(&bucket)
                .key(key)
                .body(b"id,qty\n1,2\n".to_vec().into())
                .send()
                .await
                .unwrap();
        }
        let cw = cloudwatch(&sdk(&ministack_url()).await);
        put(
            &cw,
            "Team/Forecasts",
            "WeeklyMAPE",
            &[("Model", name.as_str())],
            &[7.5],
        )
        .await;
        endpoint
    });
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        config.path(),
        format!(
            r#"[aws]
discover = false

[[models]]
name = "{name}"
kind = "forecasting"
endpoint = "{endpoint}"
pipeline = "{pipeline}"
model_package_group = "{name}-group"
data = "s3://{bucket}/sales/"
[[models.metrics]]
namespace = "Team/Forecasts"
name = "WeeklyMAPE"
key = "MAPE"
dimensions = {{ Model = "{name}" }}
scale = "percent"
"#
        ),
    )
    .unwrap();

    let (code, v) = snapshot_json(
        &moto_url(),
        &ministack_url(),
        config.path().to_str().unwrap(),
    );
    assert_eq!(v["errors"], serde_json::json!([]), "{v:#}");
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![name.as_str()],
        "discover = false: only what config names"
    );
    let m = row(&v, &name);
    assert_eq!(m["kind"], "forecasting");
    assert_eq!(m["endpoint"]["name"], endpoint.as_str());
    assert_eq!(m["training"]["name"], "retrain-nightly");
    assert_eq!(m["training"]["status"], "Completed");
    let versions = &m["registry"]["versions"];
    assert_eq!(versions[0]["approval"], "PendingManualApproval");
    assert_eq!(versions[1]["deployed"], true);
    assert_eq!(m["data"]["location"], format!("s3://{bucket}/sales/"));
    assert!(m["data"]["newest_object"].is_string());
    assert_eq!(m["stages"]["data"]["health"], "ok");
    assert_eq!(m["metrics"]["MAPE"], 7.5);
    assert_eq!(m["quality"]["MAPE"]["scale"], "percent", "config says so");
    assert_eq!(m["stages"]["quality"]["health"], "ok");
    assert_eq!(m["identity"]["by"], "config");
    assert_eq!(code, Some(1), "the pending version warns");

    // One model, one variant without traffic yet: ListMetrics says none of its
    // endpoint metrics exist, so only the business metric is asked for (billed).
    let calls = &v["api_calls"];
    assert_eq!(calls["CloudWatch:GetMetricData/metrics"], 1);
    assert_eq!(calls["CloudWatch:GetMetricData"], 1);
    // The custom namespace, Model Monitor's two and the endpoints' two, once each.
    assert_eq!(calls["CloudWatch:ListMetrics"], 5);
    // Config gives the business metric's scale: its unit is not asked.
    assert!(
        calls.get("CloudWatch:GetMetricStatistics").is_none(),
        "{calls}"
    );
    assert_eq!(calls["S3:ListObjectsV2"], 1);
    // The recent jobs, 100 a page and at most 300, whatever other tests left in moto.
    let jobs = rt.block_on(async {
        let sm = aws_sdk_sagemaker::Client::new(&sdk(&moto_url()).await);
        let mut pages = sm.list_training_jobs().into_paginator().send();
        let mut n = 0u64;
        while let Some(page) = pages.next().await {
            n += page.unwrap().training_job_summaries().len() as u64;
        }
        n
    });
    let pages = jobs.clamp(1, 300).div_ceil(100);
    let listed = calls["SageMaker:ListTrainingJobs"].as_u64().unwrap();
    // Jobs other tests create after the snapshot may add a page here, not there.
    let fewest = pages.saturating_sub(1).max(1);
    assert!(
        (fewest..=pages).contains(&listed),
        "{listed} pages for {jobs} jobs"
    );
    assert_eq!(calls["SageMaker:ListPipelineExecutions"], 1);
    assert!(
        calls.get("SageMaker:ListPipelines").is_none(),
        "config names the pipeline"
    );
}

#[test]
fn older_endpoint_configs_named_alike_are_the_rollback_history() {
    use aws_sdk_sagemaker::types::{ProductionVariant, ProductionVariantInstanceType};
    let endpoint = unique("hist");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        // The model and "-config-v1"; then v2 a second later, and the endpoint on v2.
        seed_endpoint(&moto, &format!("{endpoint}-old"), &[("AllTraffic", 1.0, 1)]).await;
        let sm = aws_sdk_sagemaker::Client::new(&moto);
        for version in ["v1", "v2"] {
            sm.create_endpoint_config()
                .endpoint_config_name(format!("{endpoint}-config-{version}"))
                .production_variants(
                    ProductionVariant::builder()
                        .variant_name("AllTraffic")
                        .model_name(format!("{endpoint}-old-model"))
                        .initial_instance_count(1)
                        .instance_type(ProductionVariantInstanceType::MlM5Large)
                        .build(),
                )
                .send()
                .await
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        }
        sm.create_endpoint()
            .endpoint_name(&endpoint)
            .endpoint_config_name(format!("{endpoint}-config-v2"))
            .send()
            .await
            .unwrap();
    });
    let (_, v) = snapshot_json(&moto_url(), &ministack_url(), "/dev/null");
    let history: Vec<&str> = row(&v, &endpoint)["endpoint"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["config"].as_str().unwrap())
        .collect();
    let (v1, v2) = (
        format!("{endpoint}-config-v1"),
        format!("{endpoint}-config-v2"),
    );
    assert_eq!(history, vec![v2.as_str(), v1.as_str()]);
}

#[test]
fn cloudwatch_unreachable_still_delivers_the_sagemaker_facts() {
    let endpoint = unique("cw-down");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        seed_endpoint(
            &sdk(&moto_url()).await,
            &endpoint,
            &[("AllTraffic", 1.0, 1)],
        )
        .await
    });
    let (code, v) = snapshot_json(&moto_url(), "http://127.0.0.1:9", "/dev/null");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["source"], "cloudwatch");
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot reach AWS for cloudwatch:ListMetrics"));
    assert_eq!(row(&v, &endpoint)["endpoint"]["status"], "InService");
    assert_ne!(code, Some(3), "something was gathered");
}

/// CloudFormation's names (`EndpointConfig-<random>`, `Model-<random>`) say nothing:
/// the history is what served an older version of the same package group, never
/// another model's config or one another endpoint serves.
#[test]
fn generated_config_names_are_joined_by_what_they_served() {
    use aws_sdk_sagemaker::types::{
        ContainerDefinition, ProductionVariant, ProductionVariantInstanceType,
    };
    let group = unique("cfn-churn");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (current, older, other) = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        let sm = aws_sdk_sagemaker::Client::new(&moto);
        let arns = crate::seed::seed_versions(&moto, &group, &["Approved", "Approved"]).await;
        let random = |n: usize| format!("{}{n}", group.replace('-', "").to_uppercase());
        let config = |model: String, name: String| {
            let sm = sm.clone();
            async move {
                sm.create_model()
                    .model_name(&model)
                    .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
                    .primary_container(
                        ContainerDefinition::builder()
                            .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1")
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                sm.create_endpoint_config()
                    .endpoint_config_name(&name)
                    .production_variants(
                        ProductionVariant::builder()
                            .variant_name("AllTraffic")
                            .model_name(&model)
                            .initial_instance_count(1)
                            .instance_type(ProductionVariantInstanceType::MlM5Large)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
                name
            }
        };
        // v1's config, then another model's (served by its own endpoint), then v2's.
        let model_of = |arn: &str, n: usize| {
            let sm = sm.clone();
            let arn = arn.to_string();
            async move {
                let name = format!("Model-{}", random(n));
                sm.create_model()
                    .model_name(&name)
                    .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
                    .primary_container(
                        ContainerDefinition::builder()
                            .model_package_name(arn)
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
                name
            }
        };
        let m1 = model_of(&arns[0], 1).await;
        let older = format!("EndpointConfig-{}", random(11));
        create_config(&sm, &older, &m1).await;
        let other = config(
            format!("Model-{}", random(3)),
            format!("EndpointConfig-{}", random(13)),
        )
        .await;
        sm.create_endpoint()
            .endpoint_name(format!("{group}-other"))
            .endpoint_config_name(&other)
            .send()
            .await
            .unwrap();
        let m2 = model_of(&arns[1], 2).await;
        let current = format!("EndpointConfig-{}", random(12));
        create_config(&sm, &current, &m2).await;
        sm.create_endpoint()
            .endpoint_name(format!("{group}-svc"))
            .endpoint_config_name(&current)
            .send()
            .await
            .unwrap();
        (current, older, other)
    });
    let (_, v) = snapshot_json(&moto_url(), &ministack_url(), "/dev/null");
    let row = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["endpoint"]["name"] == format!("{group}-svc"))
        .unwrap();
    let history: Vec<(&str, Option<&str>)> = row["endpoint"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["config"].as_str().unwrap(), c["evidence"].as_str()))
        .collect();
    let said = format!("served v1 of the same package group {group}");
    assert_eq!(
        history,
        vec![
            (current.as_str(), None),
            (older.as_str(), Some(said.as_str()))
        ],
        "never {other}"
    );
}

async fn create_config(sm: &aws_sdk_sagemaker::Client, name: &str, model: &str) {
    use aws_sdk_sagemaker::types::{ProductionVariant, ProductionVariantInstanceType};
    sm.create_endpoint_config()
        .endpoint_config_name(name)
        .production_variants(
            ProductionVariant::builder()
                .variant_name("AllTraffic")
                .model_name(model)
                .initial_instance_count(1)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .build(),
        )
        .send()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
}
