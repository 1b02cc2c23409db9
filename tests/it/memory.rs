//! The real binary started twice on one account: the second start draws the first
//! session's fleet at once, marked as the last session's, while its first refresh
//! runs slowly behind a proxy, and describes only the endpoints again (models,
//! packages and configs were remembered).

use std::time::Duration;

use crate::aws::{ministack_url, moto_url};
use crate::proxy::{Faults, Proxy};
use crate::seed::{sdk, seed_convention, unique, Convention};
use crate::tmux::{launch, Tmux};

#[test]
fn a_second_start_draws_the_last_fleet_at_once_and_describes_only_what_can_change() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    // Two conventions: lineage by artifact URL, and by package name on blue/green.
    let (artifact, bluegreen) = (unique("remembered"), unique("kept"));
    let seeded = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        [
            seed_convention(&moto, &artifact, Convention::ArtifactOnly).await,
            seed_convention(&moto, &bluegreen, Convention::PipelineBlueGreen).await,
        ]
    });
    let proxy = rt.block_on(Proxy::start(&moto_url(), Faults::default()));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let mut text = String::from("[aws]\ndiscover = false\nrefresh_seconds = 30\n");
    for s in &seeded {
        text.push_str(&format!(
            "[[models]]\nname = \"{}\"\nendpoint = \"{}\"\n",
            s.model, s.endpoint
        ));
    }
    std::fs::write(&config, text).unwrap();

    let t = Tmux::start(160, 30);
    // SageMaker through the proxy; STS, CloudWatch and the rest straight.
    let (moto, cloudwatch) = (moto_url(), ministack_url());
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL={moto} AWS_ENDPOINT_URL_SAGEMAKER={} \
         AWS_ENDPOINT_URL_CLOUDWATCH={cloudwatch}",
        proxy.url
    ));
    let args = format!("--region us-east-1 --config {}", config.display());
    launch(&t, &args);
    let rows = [artifact.as_str(), bluegreen.as_str(), "v2"];
    t.wait_for_all(&rows, "both rows with the version they serve");
    t.wait_until("a fresh first session", |s| {
        s.contains("data ") && !s.contains("STALE")
    });
    let kept = t.home().join(".cache/mlopsdash/123456789012/us-east-1");
    wait_for_file(&kept.join("fleet.json"), &bluegreen);
    let descriptions = std::fs::read_to_string(kept.join("sagemaker.json")).unwrap();
    assert!(
        descriptions.contains(&format!("{bluegreen}-green"))
            && descriptions.contains(&format!("{}-config-v1", seeded[0].endpoint)),
        "models and configs remembered: {descriptions:.400}"
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");

    // Every SageMaker answer now takes seconds: what shows first is the memory.
    proxy.set(Faults {
        latency: Duration::from_secs(3),
        ..Faults::default()
    });
    launch(&t, &args);
    let first = t.wait_for_all(
        &[
            artifact.as_str(),
            bluegreen.as_str(),
            "from the last session",
        ],
        "the last session's rows, marked",
    );
    assert!(first.contains("STALE"), "{first}");
    t.wait_until("the live refresh replaces the memory", |s| {
        s.contains(artifact.as_str()) && s.contains("data ") && !s.contains("STALE")
    });
    t.keys(&[":stats", "Enter"]);
    let stats = t.wait_for("SageMaker:DescribeEndpoint", "the requests this session");
    // (Training jobs are remembered once finished; one the emulator still reports
    // running is rightly asked about again, so they are not counted here.)
    for remembered in [
        "DescribeModel ",
        "DescribeModelPackage",
        "DescribeEndpointConfig",
    ] {
        assert!(
            !stats.contains(remembered),
            "{remembered} asked again: {stats}"
        );
    }
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");
}

/// Waits (bounded) until the file at `path` holds `text`.
fn wait_for_file(path: &std::path::Path, text: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(path).is_ok_and(|s| s.contains(text)) {
        assert!(
            std::time::Instant::now() < deadline,
            "{} never held {text}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
