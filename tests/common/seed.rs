//! Seeding the emulators through the Rust SDK, as a team's deploy pipeline and
//! monitoring would: shared by the integration tests and the gather benchmark.
#![allow(dead_code)] // Each includer uses its own part.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_sagemaker::config::Credentials;
use aws_sdk_sagemaker::types::{
    ContainerDefinition, ProductionVariant, ProductionVariantInstanceType,
};

/// moto's and ministack's URLs, when tests/scripts/emulators.sh started them.
pub fn emulator_urls() -> Option<(String, String)> {
    Some((
        std::env::var("MLOPSDASH_TEST_MOTO_URL").ok()?,
        std::env::var("MLOPSDASH_TEST_MINISTACK_URL").ok()?,
    ))
}

pub async fn sdk(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .endpoint_url(endpoint)
        .load()
        .await
}

pub fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{name}-t{}n{nanos}", std::process::id())
}

/// An S3 client in path style: emulators answer on one host, not bucket subdomains.
pub fn s3(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// Creates a model, an endpoint config with the given variants (name, weight,
/// instances) and an endpoint, through the SDK as a team's deploy pipeline would.
pub async fn seed_endpoint(sdk: &SdkConfig, endpoint: &str, variants: &[(&str, f32, i32)]) {
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let model = format!("{endpoint}-model");
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
    let mut config = sm
        .create_endpoint_config()
        .endpoint_config_name(format!("{endpoint}-config-v1"));
    for (name, weight, instances) in variants {
        config = config.production_variants(
            ProductionVariant::builder()
                .variant_name(*name)
                .model_name(&model)
                .initial_instance_count(*instances)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .initial_variant_weight(*weight)
                .build(),
        );
    }
    config.send().await.unwrap();
    sm.create_endpoint()
        .endpoint_name(endpoint)
        .endpoint_config_name(format!("{endpoint}-config-v1"))
        .send()
        .await
        .unwrap();
}

/// A package group with one version per approval given, each of an inference
/// container: their ARNs, oldest first.
pub async fn seed_versions(sdk: &SdkConfig, group: &str, approvals: &[&str]) -> Vec<String> {
    use aws_sdk_sagemaker::types::*;
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    sm.create_model_package_group()
        .model_package_group_name(group)
        .send()
        .await
        .unwrap();
    let mut arns = Vec::new();
    for approval in approvals {
        let spec = InferenceSpecification::builder()
            .containers(
                ModelPackageContainerDefinition::builder()
                    .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1")
                    .build(),
            )
            .supported_content_types("text/csv")
            .supported_response_mime_types("text/csv")
            .build();
        let out = sm
            .create_model_package()
            .model_package_group_name(group)
            .model_approval_status(ModelApprovalStatus::from(*approval))
            .inference_specification(spec)
            .send()
            .await
            .unwrap();
        arns.push(out.model_package_arn().unwrap().to_string());
    }
    arns
}

/// Tags `endpoint` with `key`=`value`, as a team's deploy pipeline would.
pub async fn tag_endpoint(sdk: &SdkConfig, endpoint: &str, key: &str, value: &str) {
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let arn = sm
        .describe_endpoint()
        .endpoint_name(endpoint)
        .send()
        .await
        .unwrap()
        .endpoint_arn()
        .unwrap()
        .to_string();
    sm.add_tags()
        .resource_arn(arn)
        .tags(
            aws_sdk_sagemaker::types::Tag::builder()
                .key(key)
                .value(value)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// An S3 object's bytes, on moto.
pub async fn get_object(sdk: &SdkConfig, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3(sdk)
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

pub async fn put_object(sdk: &SdkConfig, bucket: &str, key: &str, body: Vec<u8>) {
    s3(sdk)
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// A package group with versions (approval per version), a model built from
/// `deployed` (1-based), an endpoint serving it, and training jobs named after the
/// group: what a SageMaker Pipelines team leaves behind.
pub async fn seed_registered_model(
    sdk: &SdkConfig,
    group: &str,
    approvals: &[&str],
    deployed: usize,
    jobs: &[&str],
) -> String {
    use aws_sdk_sagemaker::types::*;
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let arns = seed_versions(sdk, group, approvals).await;
    let model = format!("{group}-model");
    sm.create_model()
        .model_name(&model)
        .execution_role_arn("arn:aws:iam::123456789012:role/sagemaker")
        .primary_container(
            ContainerDefinition::builder()
                .model_package_name(&arns[deployed - 1])
                .build(),
        )
        .send()
        .await
        .unwrap();
    for job in jobs {
        seed_training_job(sdk, &format!("{group}-{job}")).await;
    }
    let endpoint = format!("{group}-prod");
    sm.create_endpoint_config()
        .endpoint_config_name(format!("{endpoint}-config"))
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
    sm.create_endpoint()
        .endpoint_name(&endpoint)
        .endpoint_config_name(format!("{endpoint}-config"))
        .send()
        .await
        .unwrap();
    endpoint
}

/// A CloudWatch client for seeding. ministack drops gzip bodies, and the SDK
/// compresses big PutMetricData requests: compression off.
pub fn cloudwatch(sdk: &SdkConfig) -> aws_sdk_cloudwatch::Client {
    let config = aws_sdk_cloudwatch::config::Builder::from(sdk)
        .disable_request_compression(true)
        .build();
    aws_sdk_cloudwatch::Client::from_conf(config)
}

/// `minutes` ago, on a minute boundary: inside the dashboard's window.
fn minutes_ago(minutes: i64) -> DateTime {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    DateTime::from_secs(now - now % 60 - minutes * 60)
}

pub fn dims(pairs: &[(&str, &str)]) -> Vec<Dimension> {
    pairs
        .iter()
        .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
        .collect()
}

/// Puts each value as one datum of `metric` three minutes ago.
pub async fn put(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    values: &[f64],
) {
    let points: Vec<(i64, f64)> = values.iter().map(|v| (3, *v)).collect();
    put_series(cw, namespace, metric, dimensions, &points).await
}

/// An alarm on `metric` (sum over a minute above `threshold`), set to ALARM with
/// `reason`, as CloudWatch would after a breach.
pub async fn alarm_firing(
    cw: &aws_sdk_cloudwatch::Client,
    name: &str,
    (namespace, metric): (&str, &str),
    dimensions: &[(&str, &str)],
    threshold: f64,
    reason: &str,
) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    cw.put_metric_alarm()
        .alarm_name(name)
        .namespace(namespace)
        .metric_name(metric)
        .set_dimensions(Some(dims(dimensions)))
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(threshold)
        .comparison_operator(ComparisonOperator::GreaterThanThreshold)
        .send()
        .await
        .unwrap();
    cw.set_alarm_state()
        .alarm_name(name)
        .state_value(StateValue::Alarm)
        .state_reason(reason)
        .send()
        .await
        .unwrap();
}

/// Puts (minutes ago, value) points of `metric`.
pub async fn put_series(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    points: &[(i64, f64)],
) {
    let data = points.iter().map(|(ago, v)| {
        MetricDatum::builder()
            .metric_name(metric)
            .set_dimensions(Some(dims(dimensions)))
            .timestamp(minutes_ago(*ago))
            .value(*v)
            .build()
    });
    cw.put_metric_data()
        .namespace(namespace)
        .set_metric_data(Some(data.collect()))
        .send()
        .await
        .unwrap();
}

/// Puts each value as one datum of `metric` three minutes ago, published with `unit`.
pub async fn put_with_unit(
    cw: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    metric: &str,
    dimensions: &[(&str, &str)],
    value: f64,
    unit: aws_sdk_cloudwatch::types::StandardUnit,
) {
    cw.put_metric_data()
        .namespace(namespace)
        .metric_data(
            MetricDatum::builder()
                .metric_name(metric)
                .set_dimensions(Some(dims(dimensions)))
                .timestamp(minutes_ago(3))
                .value(value)
                .unit(unit)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// How a team names and wires its models: none of them the way `seed_registered_model`
/// does, so recognition cannot lean on one convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// `<m>-prod` endpoint, `<m>-group` registry, `<m>-train-vN` jobs, and a SageMaker
    /// model made straight from the training artifact (no ModelPackageName).
    ArtifactOnly,
    /// An endpoint with an unrelated name, tagged `model=<m>`; no registry.
    Tagged,
    /// A `<m>-models` registry fed by pipeline-named jobs, models naming their package
    /// version, and a blue/green endpoint `<m>-endpoint` serving v1 and v2.
    PipelineBlueGreen,
    /// A SageMaker model listed in `Containers` (as CloudFormation and the SageMaker
    /// SDK's pipeline models make them): preprocessing, the model (naming its
    /// package in `<m>-registry`), postprocessing; endpoint `ep-<m>-1`.
    InferencePipeline,
    /// A SageMaker project's template: package group `<m>-p-<id>`, jobs named by its
    /// pipeline, endpoints `<m>-staging` (v2) and `<m>-prod` (v1) tagged with the
    /// project's name and id. `Seeded::endpoint` is prod's.
    Project,
}

/// The id SageMaker gave the seeded projects.
pub const PROJECT_ID: &str = "p-9x8kq2lmn0ab";

/// What `seed_convention` made, for the assertions.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub model: String,
    pub endpoint: String,
    /// The training job that wrote what the endpoint serves (the first variant's).
    pub serving_job: Option<String>,
}

const ROLE: &str = "arn:aws:iam::123456789012:role/sagemaker";
const IMAGE: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1";

/// A training job writing under `s3://models/out/`; returns its artifact URL as
/// SageMaker reports it.
pub async fn seed_training_job(sdk: &SdkConfig, name: &str) -> String {
    seed_training_job_on(sdk, name, None).await
}

/// `seed_training_job` whose "train" channel reads `channel` (an S3 prefix of CSV).
pub async fn seed_training_job_on(sdk: &SdkConfig, name: &str, channel: Option<&str>) -> String {
    use aws_sdk_sagemaker::types::*;
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let channels = channel.map(|uri| {
        let source = S3DataSource::builder()
            .s3_data_type(S3DataType::S3Prefix)
            .s3_uri(uri)
            .build();
        vec![Channel::builder()
            .channel_name("train")
            .data_source(DataSource::builder().s3_data_source(source).build())
            .content_type("text/csv")
            .build()]
    });
    sm.create_training_job()
        .training_job_name(name)
        .set_input_data_config(channels)
        .algorithm_specification(
            AlgorithmSpecification::builder()
                .training_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1")
                .training_input_mode(TrainingInputMode::File)
                .build(),
        )
        .role_arn(ROLE)
        .output_data_config(
            OutputDataConfig::builder()
                .s3_output_path("s3://models/out/")
                .build(),
        )
        .resource_config(
            ResourceConfig::builder()
                .instance_type(TrainingInstanceType::MlM5Large)
                .instance_count(1)
                .volume_size_in_gb(10)
                .build(),
        )
        .stopping_condition(
            StoppingCondition::builder()
                .max_runtime_in_seconds(3600)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let d = sm
        .describe_training_job()
        .training_job_name(name)
        .send()
        .await
        .unwrap();
    d.model_artifacts()
        .and_then(|a| a.s3_model_artifacts())
        .unwrap()
        .to_string()
}

/// A package version whose inference container is `artifact`; returns its ARN.
pub async fn seed_package(sdk: &SdkConfig, group: &str, artifact: &str, approval: &str) -> String {
    use aws_sdk_sagemaker::types::*;
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let spec = InferenceSpecification::builder()
        .containers(
            ModelPackageContainerDefinition::builder()
                .image(IMAGE)
                .model_data_url(artifact)
                .build(),
        )
        .supported_content_types("text/csv")
        .supported_response_mime_types("text/csv")
        .build();
    sm.create_model_package()
        .model_package_group_name(group)
        .model_approval_status(ModelApprovalStatus::from(approval))
        .inference_specification(spec)
        .send()
        .await
        .unwrap()
        .model_package_arn()
        .unwrap()
        .to_string()
}

/// A model whose containers are listed (`Containers`), none of them primary.
async fn seed_listed_model(sdk: &SdkConfig, name: &str, containers: Vec<ContainerDefinition>) {
    aws_sdk_sagemaker::Client::new(sdk)
        .create_model()
        .model_name(name)
        .execution_role_arn(ROLE)
        .set_containers(Some(containers))
        .send()
        .await
        .unwrap();
}

async fn seed_model(sdk: &SdkConfig, name: &str, container: ContainerDefinition) {
    aws_sdk_sagemaker::Client::new(sdk)
        .create_model()
        .model_name(name)
        .execution_role_arn(ROLE)
        .primary_container(container)
        .send()
        .await
        .unwrap();
}

/// An endpoint config and endpoint with `variants` (name, model, weight), tagged.
async fn seed_serving(
    sdk: &SdkConfig,
    endpoint: &str,
    variants: &[(&str, &str, f32)],
    tags: &[(&str, &str)],
) {
    use aws_sdk_sagemaker::types::Tag;
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    let mut config = sm
        .create_endpoint_config()
        .endpoint_config_name(format!("{endpoint}-config-v1"));
    for (variant, model, weight) in variants {
        config = config.production_variants(
            ProductionVariant::builder()
                .variant_name(*variant)
                .model_name(*model)
                .initial_instance_count(1)
                .instance_type(ProductionVariantInstanceType::MlM5Large)
                .initial_variant_weight(*weight)
                .build(),
        );
    }
    config.send().await.unwrap();
    let tags = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect();
    sm.create_endpoint()
        .endpoint_name(endpoint)
        .endpoint_config_name(format!("{endpoint}-config-v1"))
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
}

/// Seeds one model of `model`'s name the way `convention` says.
pub async fn seed_convention(sdk: &SdkConfig, model: &str, convention: Convention) -> Seeded {
    let sm = aws_sdk_sagemaker::Client::new(sdk);
    match convention {
        Convention::ArtifactOnly => {
            let group = format!("{model}-group");
            sm.create_model_package_group()
                .model_package_group_name(&group)
                .send()
                .await
                .unwrap();
            let mut artifacts = Vec::new();
            for v in 1..=2 {
                let job = format!("{model}-train-v{v}");
                let artifact = seed_training_job(sdk, &job).await;
                seed_package(sdk, &group, &artifact, "Approved").await;
                artifacts.push((job, artifact));
            }
            let (job, artifact) = artifacts.pop().unwrap();
            let sm_model = format!("{model}-2026-11-20-10-00-00");
            let container = ContainerDefinition::builder()
                .image(IMAGE)
                .model_data_url(&artifact)
                .build();
            seed_model(sdk, &sm_model, container).await;
            let endpoint = format!("{model}-prod");
            seed_serving(sdk, &endpoint, &[("AllTraffic", &sm_model, 1.0)], &[]).await;
            Seeded {
                model: model.to_string(),
                endpoint,
                serving_job: Some(job),
            }
        }
        Convention::Tagged => {
            let endpoint = format!("svc-{}-01", model.replace('-', ""));
            let sm_model = format!("{endpoint}-model");
            let container = ContainerDefinition::builder().image(IMAGE).build();
            seed_model(sdk, &sm_model, container).await;
            seed_serving(
                sdk,
                &endpoint,
                &[("AllTraffic", &sm_model, 1.0)],
                &[("model", model), ("team", "growth")],
            )
            .await;
            Seeded {
                model: model.to_string(),
                endpoint,
                serving_job: None,
            }
        }
        Convention::PipelineBlueGreen => {
            let group = format!("{model}-models");
            sm.create_model_package_group()
                .model_package_group_name(&group)
                .send()
                .await
                .unwrap();
            let mut served = Vec::new();
            for (v, colour) in [(1, "blue"), (2, "green")] {
                let job = format!("pipelines-{}-TrainModel-{v}", model.replace('-', ""));
                let artifact = seed_training_job(sdk, &job).await;
                let arn = seed_package(sdk, &group, &artifact, "Approved").await;
                let sm_model = format!("{model}-{colour}");
                let container = ContainerDefinition::builder()
                    .model_package_name(arn)
                    .build();
                seed_model(sdk, &sm_model, container).await;
                served.push((job, sm_model));
            }
            let endpoint = format!("{model}-endpoint");
            seed_serving(
                sdk,
                &endpoint,
                &[("blue", &served[0].1, 0.8), ("green", &served[1].1, 0.2)],
                &[],
            )
            .await;
            Seeded {
                model: model.to_string(),
                endpoint,
                serving_job: Some(served[0].0.clone()),
            }
        }
        Convention::InferencePipeline => {
            let group = format!("{model}-registry");
            sm.create_model_package_group()
                .model_package_group_name(&group)
                .send()
                .await
                .unwrap();
            let job = format!("{model}-fit-20261120");
            let artifact = seed_training_job(sdk, &job).await;
            let arn = seed_package(sdk, &group, &artifact, "Approved").await;
            let step = |host: &str| {
                ContainerDefinition::builder()
                    .container_hostname(host)
                    .image(IMAGE)
                    .model_data_url(format!("s3://models/{model}/{host}/model.tar.gz"))
                    .build()
            };
            let containers = vec![
                step("preprocess"),
                ContainerDefinition::builder()
                    .container_hostname("xgboost")
                    .model_package_name(&arn)
                    .build(),
                step("postprocess"),
            ];
            let sm_model = format!("Model-{}", model.replace('-', ""));
            seed_listed_model(sdk, &sm_model, containers).await;
            let endpoint = format!("ep-{}-1", model.replace('-', ""));
            seed_serving(sdk, &endpoint, &[("AllTraffic", &sm_model, 1.0)], &[]).await;
            Seeded {
                model: model.to_string(),
                endpoint,
                serving_job: Some(job),
            }
        }
        Convention::Project => {
            let group = format!("{model}-{PROJECT_ID}");
            sm.create_model_package_group()
                .model_package_group_name(&group)
                .send()
                .await
                .unwrap();
            let tags = [
                ("sagemaker:project-name", model),
                ("sagemaker:project-id", PROJECT_ID),
            ];
            let mut served = Vec::new();
            for v in 1..=2 {
                let job = format!("pipelines-{v}x{}-TrainModel-a1b2c3", model.len());
                let artifact = seed_training_job(sdk, &job).await;
                let arn = seed_package(sdk, &group, &artifact, "Approved").await;
                let sm_model = format!("{group}-model-v{v}");
                let container = ContainerDefinition::builder()
                    .model_package_name(arn)
                    .build();
                seed_model(sdk, &sm_model, container).await;
                served.push((job, sm_model));
            }
            for (env, (_, sm_model)) in [("prod", &served[0]), ("staging", &served[1])] {
                let endpoint = format!("{model}-{env}");
                seed_serving(sdk, &endpoint, &[("AllTraffic", sm_model, 1.0)], &tags).await;
            }
            Seeded {
                model: model.to_string(),
                endpoint: format!("{model}-prod"),
                serving_job: Some(served[0].0.clone()),
            }
        }
    }
}

/// What SageMaker hands CloudWatch and S3 for one endpoint with one variant
/// (`AllTraffic`) and nothing else known: for tests that drive those sources alone.
pub fn endpoint_target(
    model: &str,
    endpoint: &str,
) -> mlopsdash::source::aws::targets::EndpointTarget {
    mlopsdash::source::aws::targets::EndpointTarget::named(model, endpoint)
}
