//! The critical path of a refresh: each fetch waits for what it needs and nothing
//! more. Metrics need endpoint and variant names, not lineage (DescribeModel and
//! after), unless lineage may still rename the row.

use std::time::Duration;

use mlopsdash::config::Config;
use mlopsdash::source::aws::targets::EndpointTarget;
use mlopsdash::source::aws::{ApiCalls, SageMakerSource};
use mlopsdash::source::Source;

use crate::aws::moto_url;
use crate::proxy::{Faults, Proxy, Timeline};
use crate::seed::{sdk, seed_endpoint, tag_endpoint, unique};

/// SageMaker behind a proxy that answers the DescribeModel of `endpoint`'s model 2 s
/// late, publishing its targets; the targets as first published, whether that
/// DescribeModel had been answered then, and the traced targets after.
async fn targets_under_slow_lineage(
    endpoint: &str,
    config: &str,
) -> (Vec<EndpointTarget>, bool, Vec<EndpointTarget>) {
    let timeline = Timeline::default();
    // seed_endpoint's model; a test's name only: never freed, a few bytes.
    let model: &'static str = Box::leak(format!("{endpoint}-model").into_boxed_str());
    let faults = Faults {
        slow: Some((model, Duration::from_secs(2))),
        ..Faults::default()
    };
    let proxy = Proxy::timed(&moto_url(), faults, timeline.clone()).await;
    let config = Config::parse(std::path::Path::new("c.toml"), config).unwrap();
    let (tx, mut found) = tokio::sync::watch::channel(Vec::new());
    let discover = config.aws.discover;
    let mut sagemaker = SageMakerSource::new(&sdk(&proxy.url).await, &ApiCalls::default())
        .mapped(config.mappings.clone(), discover)
        .publish_targets(tx);
    let refresh = tokio::spawn(async move { sagemaker.fetch().await });
    found.changed().await.unwrap();
    let first = found.borrow_and_update().clone();
    let lineage_then = timeline.answered("DescribeModel (slowed)") > 0;
    let traced = found
        .wait_for(|t| !t.is_empty() && t.iter().all(|t| t.traced))
        .await
        .unwrap()
        .clone();
    refresh.await.unwrap();
    (first, lineage_then, traced)
}

#[tokio::test]
async fn endpoints_config_names_are_watched_before_lineage_answers() {
    let endpoint = unique("cp-named-prod");
    seed_endpoint(
        &sdk(&moto_url()).await,
        &endpoint,
        &[("blue", 0.5, 1), ("green", 0.5, 1)],
    )
    .await;
    let config = format!(
        "[aws]\ndiscover = false\n[[models]]\nname = \"churn\"\nendpoint = \"{endpoint}\"\n"
    );
    let (first, lineage_then, traced) = targets_under_slow_lineage(&endpoint, &config).await;
    assert!(!lineage_then, "published before DescribeModel answered");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].model, "churn");
    assert_eq!(first[0].variants, ["blue", "green"]);
    assert!(!first[0].traced, "lineage has not been asked yet");
    assert!(traced[0].traced);
}

#[tokio::test]
async fn a_row_lineage_may_rename_waits_for_lineage() {
    // Discovered, named by a tag: a name lineage could still change (another
    // endpoint's package group) is not handed to CloudWatch before lineage answers.
    let endpoint = unique("svc-cp");
    let model = unique("cp-tagged");
    let moto = sdk(&moto_url()).await;
    seed_endpoint(&moto, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
    tag_endpoint(&moto, &endpoint, "model", &model).await;
    let (first, lineage_then, _) =
        targets_under_slow_lineage(&endpoint, "[aws]\ndiscover = true\n").await;
    assert!(lineage_then, "first published after lineage");
    let ours = first.iter().find(|t| t.endpoint == endpoint).unwrap();
    assert_eq!(ours.model, model);
    assert!(first.iter().all(|t| t.traced));
}
