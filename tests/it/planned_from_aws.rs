//! Whatever the facts on screen say — a collector's state altered by anyone who may
//! write its prefix, a stale cache — a rollback's choices, their protection and the
//! account they are sent to are what AWS answers the acting credentials now. SageMaker
//! is the SDK's mock here (shaped as AWS answers); the shown facts are arbitrary.

use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemaker::operation::describe_model::DescribeModelOutput;
use aws_sdk_sagemaker::operation::describe_model_package::DescribeModelPackageOutput;
use aws_sdk_sagemaker::operation::list_endpoint_configs::ListEndpointConfigsOutput;
use aws_sdk_sagemaker::operation::list_model_packages::ListModelPackagesOutput;
use aws_sdk_sagemaker::operation::list_tags::ListTagsOutput;
use aws_sdk_sagemaker::primitives::DateTime;
use aws_sdk_sagemaker::types::*;
use aws_sdk_sagemaker::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use jiff::Timestamp;
use mlopsdash::action::{AwsExecutor, Call, Executor, Guard, Kind, Request, Shown};
use mlopsdash::config::ModelMapping;
use mlopsdash::model::facts::{Approval, EndpointConfigRef, EndpointFacts, ModelVersion, Variant};
use mlopsdash::model::ModelFacts;
use proptest::prelude::*;

const ACCOUNT: &str = "123456789012";

fn arn(kind: &str, name: &str) -> String {
    format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:{kind}/{name}")
}

/// rec-prod serves config v2 (package version 2); v1 is the config before it.
fn rules() -> Vec<Rule> {
    let t = |s: i64| DateTime::from_secs(1_800_000_000 + s);
    let config = |v: i64| {
        move || {
            DescribeEndpointConfigOutput::builder()
                .endpoint_config_name(format!("rec-config-v{v}"))
                .creation_time(t(v * 100))
                .production_variants(
                    ProductionVariant::builder()
                        .variant_name("AllTraffic")
                        .model_name(format!("rec-v{v}"))
                        .initial_variant_weight(1.0)
                        .build(),
                )
                .build()
        }
    };
    let model = |v: i64| {
        move || {
            DescribeModelOutput::builder()
                .model_name(format!("rec-v{v}"))
                .primary_container(
                    ContainerDefinition::builder()
                        .model_package_name(arn("model-package", &format!("rec/{v}")))
                        .build(),
                )
                .build()
        }
    };
    let package = |v: i64| {
        move || {
            DescribeModelPackageOutput::builder()
                .model_package_group_name("rec")
                .model_package_version(v as i32)
                .model_package_arn(arn("model-package", &format!("rec/{v}")))
                .model_approval_status(ModelApprovalStatus::Approved)
                .build()
        }
    };
    vec![
        mock!(Client::describe_endpoint).then_output(move || {
            DescribeEndpointOutput::builder()
                .endpoint_name("rec-prod")
                .endpoint_arn(arn("endpoint", "rec-prod"))
                .endpoint_config_name("rec-config-v2")
                .endpoint_status(EndpointStatus::InService)
                .last_modified_time(t(500))
                .production_variants(
                    ProductionVariantSummary::builder()
                        .variant_name("AllTraffic")
                        .current_weight(1.0)
                        .current_instance_count(1)
                        .build(),
                )
                .build()
        }),
        mock!(Client::describe_endpoint_config)
            .match_requests(|r| r.endpoint_config_name() == Some("rec-config-v2"))
            .then_output(config(2)),
        mock!(Client::describe_endpoint_config)
            .match_requests(|r| r.endpoint_config_name() == Some("rec-config-v1"))
            .then_output(config(1)),
        mock!(Client::list_tags).then_output(|| ListTagsOutput::builder().build()),
        mock!(Client::describe_model)
            .match_requests(|r| r.model_name() == Some("rec-v2"))
            .then_output(model(2)),
        mock!(Client::describe_model)
            .match_requests(|r| r.model_name() == Some("rec-v1"))
            .then_output(model(1)),
        mock!(Client::describe_model_package)
            .match_requests(|r| r.model_package_name().is_some_and(|n| n.ends_with("/2")))
            .then_output(package(2)),
        mock!(Client::describe_model_package)
            .match_requests(|r| r.model_package_name().is_some_and(|n| n.ends_with("/1")))
            .then_output(package(1)),
        mock!(Client::list_endpoint_configs).then_output(move || {
            let summary = |v: i64| {
                EndpointConfigSummary::builder()
                    .endpoint_config_name(format!("rec-config-v{v}"))
                    .endpoint_config_arn(arn("endpoint-config", &format!("rec-config-v{v}")))
                    .creation_time(t(v * 100))
                    .build()
            };
            ListEndpointConfigsOutput::builder()
                .endpoint_configs(summary(2))
                .endpoint_configs(summary(1))
                .build()
        }),
        mock!(Client::list_model_packages).then_output(move || {
            let summary = |v: i32| {
                ModelPackageSummary::builder()
                    .model_package_group_name("rec")
                    .model_package_version(v)
                    .model_package_arn(arn("model-package", &format!("rec/{v}")))
                    .creation_time(t(i64::from(v)))
                    .model_package_status(ModelPackageStatus::Completed)
                    .model_approval_status(ModelApprovalStatus::Approved)
                    .build()
            };
            ListModelPackagesOutput::builder()
                .model_package_summary_list(summary(2))
                .model_package_summary_list(summary(1))
                .build()
        }),
    ]
}

fn executor() -> Executor {
    let rules = rules();
    let client = mock_client!(aws_sdk_sagemaker, RuleMode::MatchAny, rules.iter());
    let protected = ModelMapping {
        name: "rec".into(),
        protected: true,
        ..Default::default()
    };
    let actor = mlopsdash::testing::test_actor();
    let scope = mlopsdash::model::scope::ScopeKey {
        label: None,
        region: actor.region.clone(),
    };
    Executor::Aws(AwsExecutor::from_client(client, actor).in_scope(
        scope,
        Guard::new(std::slice::from_ref(&protected), &[], None),
        &[protected],
    ))
}

/// What a screen could say of rec-prod: any config names, times, versions,
/// weights, status and protection.
fn shown() -> impl Strategy<Value = ModelFacts> {
    let config = (
        "[a-z0-9-]{1,20}",
        0i64..4_000_000_000,
        proptest::option::of(0u32..20),
    )
        .prop_map(|(name, secs, version)| EndpointConfigRef {
            name,
            created: Timestamp::from_second(secs).unwrap(),
            model: None,
            model_version: version,
            evidence: None,
        });
    let variant = (
        "[A-Za-z]{1,10}",
        0.0f64..1.0,
        proptest::option::of(0u32..20),
    )
        .prop_map(|(name, weight, model_version)| Variant {
            name,
            weight,
            instances: 1,
            model_version,
        });
    (
        proptest::collection::vec(config, 0..6),
        proptest::collection::vec(variant, 0..3),
        proptest::option::of("[a-z ]{0,20}"),
        "[A-Za-z]{0,12}",
        proptest::collection::vec(0u32..20, 0..4),
    )
        .prop_map(|(history, variants, protected, status, versions)| {
            let mut m = ModelFacts::named("rec");
            m.endpoint = Some(EndpointFacts {
                name: "rec-prod".into(),
                status,
                config_name: history.first().map(|c| c.name.clone()).unwrap_or_default(),
                config_history: history,
                variants,
                protected,
                ..EndpointFacts::default()
            });
            m.registry = versions
                .into_iter()
                .map(|v| ModelVersion {
                    version: v,
                    approval: Approval::Rejected,
                    created: Timestamp::UNIX_EPOCH,
                    deployed: false,
                    source: mlopsdash::model::facts::RegistrySource::SageMaker,
                    mlflow: None,
                    arn: Some(arn("model-package", &format!("elsewhere/{v}"))),
                })
                .collect();
            m
        })
}

fn request(model: ModelFacts, account: Option<String>) -> Request {
    Request {
        kind: Kind::Rollback,
        model,
        alarms: vec!["planted-alarm".into()],
        at: Timestamp::UNIX_EPOCH,
        scope: Default::default(),
        account,
        shown: Shown::Collector,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn no_shown_facts_change_a_rollbacks_target_protection_or_account(
        model in shown(),
        account in proptest::option::of(prop_oneof![Just(ACCOUNT.to_string()), "[0-9]{12}"]),
    ) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let exec = executor();
        let prepared = rt.block_on(exec.prepare(&request(model, account.clone()), None));
        match (prepared, account.as_deref()) {
            (Err(why), Some(other)) if other != ACCOUNT => {
                prop_assert!(why.contains(other) && why.contains(ACCOUNT), "{}", why);
            }
            (Err(why), _) => prop_assert!(false, "refused: {}", why),
            (Ok(p), Some(other)) if other != ACCOUNT => {
                prop_assert!(false, "planned for account {} shown as {}: {:?}", ACCOUNT, other, p);
            }
            (Ok(p), _) => {
                prop_assert_eq!(p.actor.account.as_str(), ACCOUNT);
                prop_assert_eq!(p.plans.len(), 1);
                let plan = &p.plans[0];
                prop_assert_eq!(&plan.call, &Call::UpdateEndpoint {
                    endpoint: "rec-prod".into(),
                    config: "rec-config-v1".into(),
                    // Guardrails are CloudWatch's answer, never the screen's.
                    guardrail_alarms: vec![],
                });
                prop_assert_eq!(plan.previous.as_str(), "serving rec-config-v2 (v2 Approved) · InService");
                prop_assert_eq!(plan.account.as_deref(), Some(ACCOUNT));
                prop_assert_eq!(
                    plan.protected.clone(),
                    Some(("rec-prod".to_string(), "protected in config".to_string()))
                );
            }
        }
    }
}
