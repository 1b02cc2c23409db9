//! The real binary through a fault-injecting proxy in front of moto: throttling in
//! each protocol's shape, bare 503s and held answers on 30 % of requests, then none,
//! then a black hole. Every endpoint's facts must appear and stay, the account must
//! be known, and a silent service must turn stale by its timeout while CloudWatch
//! (not behind the proxy) stays fresh.

use std::time::Duration;

use crate::aws::{ministack_url, moto_url};
use crate::proxy::{Faults, Proxy};
use crate::seed::{sdk, seed_endpoint, unique};
use crate::tmux::{launch, Tmux};

#[test]
fn a_person_keeps_every_endpoint_through_faults_and_sees_a_silent_service_go_stale() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let prefix = unique("faulty");
    let names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|s| format!("{prefix}-{s}"))
        .collect();
    rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        for name in &names {
            seed_endpoint(&moto, name, &[("AllTraffic", 1.0, 1)]).await;
        }
    });
    let faulty = Faults {
        latency: Duration::from_millis(10),
        throttled: 0.15,
        unavailable: 0.1,
        held: 0.05,
        ..Faults::default()
    };
    // The proxy's tasks run on the runtime's workers while the test drives tmux.
    let proxy = rt.block_on(Proxy::start(&moto_url(), faulty));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let mut text = String::from(
        "[aws]\ndiscover = false\nrefresh_seconds = 5\nconnect_timeout_seconds = 1\n\
         attempt_timeout_seconds = 3\noperation_timeout_seconds = 10\n",
    );
    for name in &names {
        text.push_str(&format!(
            "[[models]]\nname = \"{name}\"\nendpoint = \"{name}\"\n"
        ));
    }
    std::fs::write(&config, text).unwrap();

    let t = Tmux::start(160, 30);
    // SageMaker, S3 and STS through the proxy; CloudWatch, Cost Explorer and X-Ray
    // straight to the emulators.
    let (moto, cloudwatch) = (moto_url(), ministack_url());
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL_CLOUDWATCH={cloudwatch} AWS_ENDPOINT_URL_COST_EXPLORER={moto} \
         AWS_ENDPOINT_URL_XRAY={moto}"
    ));
    launch(
        &t,
        &format!(
            "--region us-east-1 --endpoint-url {} --config {}",
            proxy.url,
            config.display()
        ),
    );
    let all: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .chain(["123456789012 · us-east-1", "InService"])
        .collect();
    t.wait_for_all(&all, "every endpoint and the account, under faults");
    // Several refreshes under faults: every row stays, fresh or marked. A refresh
    // asks for every endpoint again, so each round waits for that many requests.
    for _ in 0..3 {
        let before = proxy.requests();
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        while proxy.requests() < before + names.len() as u64 {
            assert!(
                std::time::Instant::now() < deadline,
                "no refresh under faults: {} requests",
                proxy.requests()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        t.wait_for_all(&all, "every endpoint still shown");
    }
    assert!(
        proxy.requests() > 20,
        "the faults were met: {}",
        proxy.requests()
    );

    proxy.set(Faults::default());
    t.wait_until("every source fresh once the faults stop", |screen| {
        screen.contains("data ")
            && !screen.contains("STALE")
            && names.iter().all(|n| screen.contains(n.as_str()))
    });

    proxy.set(Faults {
        black_hole: true,
        ..Faults::default()
    });
    let stale = t.wait_until("SageMaker and S3 stale by their timeout", |screen| {
        screen.contains("STALE") && screen.contains("sagemaker")
    });
    let header = stale.lines().next().unwrap_or_default();
    assert!(
        !header.contains("cloudwatch"),
        "CloudWatch stays fresh: {header}"
    );
    assert!(names.iter().all(|n| stale.contains(n.as_str())), "{stale}");
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");
}
