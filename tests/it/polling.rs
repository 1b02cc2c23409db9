//! The CloudWatch source against ministack over a simulated hour, paced by a daily
//! budget: the metrics it asks for (counted by the request interceptor) are what
//! its own published pace predicts, and an alarm turning to ALARM brings its
//! model's metrics at the next fast refresh.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mlopsdash::model::identity::Normaliser;
use mlopsdash::model::polling::{Attention, Spending, Watch};
use mlopsdash::model::pricing::METRICS_REQUESTED;
use mlopsdash::source::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
use mlopsdash::source::aws::targets::EndpointTarget;
use mlopsdash::source::aws::ApiCalls;
use mlopsdash::source::Update;

use crate::aws::ministack_url;
use crate::seed::{alarm_firing, cloudwatch, endpoint_target, put, sdk, unique};

/// The fleet view's series per single-variant endpoint off screen.
const FLEET_SERIES: u64 = 4;

fn spending(update: &Update) -> Spending {
    match update {
        Update::Fleet { fleet, .. } => *fleet.spending.clone().expect("spending reported"),
        other => panic!("cloudwatch failed: {other:?}"),
    }
}

fn tier(s: &Spending, watch: Watch) -> (usize, Option<u64>) {
    let t = s.tiers.iter().find(|t| t.watch == watch).unwrap();
    (t.models, t.every_seconds)
}

#[tokio::test]
async fn a_simulated_hour_asks_for_what_the_pace_says_and_an_alarm_is_seen_at_once() {
    let run = unique("paced");
    let endpoints: Vec<EndpointTarget> = (0..20)
        .map(|i| endpoint_target(&format!("{run}-m{i:02}"), &format!("{run}-ep{i:02}")))
        .collect();
    // Every endpoint has traffic: the fleet view's four series exist for each
    // (ListMetrics says so; a metric never published is not asked for).
    let cw = cloudwatch(&sdk(&ministack_url()).await);
    for t in &endpoints {
        let variant = [
            ("EndpointName", t.endpoint.as_str()),
            ("VariantName", "AllTraffic"),
        ];
        for metric in [
            "Invocations",
            "Invocation4XXErrors",
            "Invocation5XXErrors",
            "ModelLatency",
        ] {
            put(&cw, "AWS/SageMaker", metric, &variant, &[1.0]).await;
        }
    }

    let calls = ApiCalls::default();
    let (_targets_tx, targets) = tokio::sync::watch::channel(endpoints.clone());
    let (_attention_tx, attention) = tokio::sync::watch::channel(Attention::default());
    let (_forced_tx, forced) = tokio::sync::watch::channel(0);
    let custom = CustomMetrics {
        namespace: "MLOps/Models".into(),
        dimension: "ModelName".into(),
        discover: false,
    };
    let mut source = CloudWatchSource::new(
        &sdk(&ministack_url()).await,
        &calls,
        targets,
        Vec::new(),
        custom,
    )
    .budgeted(
        0.10,
        Duration::from_secs(60),
        (attention, Normaliser::default()),
        forced,
    );
    let metrics = || calls.counts().get(METRICS_REQUESTED).copied().unwrap_or(0);

    // An hour, one refresh a minute, as the dashboard runs it, from 01:00 UTC today
    // (the budget holds over any 24 hours, so the hour paces the same whenever the
    // session starts).
    let today = Timestamp::now().as_second().div_euclid(86_400) * 86_400;
    let start = Timestamp::from_second(today + 3600).unwrap();
    let mut predicted = 0;
    // When the healthy were last asked about: due again one pace later, at the
    // pace the source reports for that refresh.
    let mut fetched: Option<Timestamp> = None;
    let due = |fetched: Option<Timestamp>, now: Timestamp, every: Option<u64>| {
        fetched.is_none_or(|at| at + SignedDuration::from_secs(every.unwrap() as i64) <= now)
    };
    let mut last = None;
    for minute in 0..60 {
        let now = start + SignedDuration::from_mins(minute);
        let before = metrics();
        let update = source.fetch_at(now).await;
        let s = spending(&update);
        let (healthy, every) = tier(&s, Watch::Healthy);
        assert_eq!(healthy, 20);
        let asked = metrics() - before;
        if due(fetched, now, every) {
            predicted += 20 * FLEET_SERIES;
            assert_eq!(asked, 20 * FLEET_SERIES, "minute {minute}: all 20 are due");
            fetched = Some(now);
        } else {
            assert_eq!(asked, 0, "minute {minute}: nobody is due");
        }
        assert!(s.projected_per_day <= 0.10 + 1e-9, "{s:?}");
        last = Some(s);
    }
    assert_eq!(metrics(), predicted);
    let last = last.unwrap();
    // 80 metrics every 10 minutes would be $0.115 a day: the budget slows them.
    assert!(tier(&last, Watch::Healthy).1.unwrap() > 600, "{last:?}");
    assert!(last.slowed.as_deref().unwrap().contains("healthy every"));
    // What an unpaced hour would have asked: 8 series each, every minute.
    assert!(metrics() * 20 < 60 * 20 * 8, "{}", metrics());

    // An alarm on the third endpoint: its model's metrics come at the next refresh.
    let third = [
        ("EndpointName", endpoints[2].endpoint.as_str()),
        ("VariantName", "AllTraffic"),
    ];
    let alarm = format!("{run}-5xx");
    let metric = ("AWS/SageMaker", "Invocation5XXErrors");
    alarm_firing(&cw, &alarm, metric, &third, 10.0, "Threshold Crossed").await;
    // Then every minute while it is in ALARM; the healthy rest at their pace.
    for minute in 60..63 {
        let now = start + SignedDuration::from_mins(minute);
        let before = metrics();
        let s = spending(&source.fetch_at(now).await);
        assert_eq!(tier(&s, Watch::Incident), (1, Some(60)), "{s:?}");
        let (healthy, every) = tier(&s, Watch::Healthy);
        assert_eq!(healthy, 19);
        let mut expected = FLEET_SERIES;
        if due(fetched, now, every) {
            expected += 19 * FLEET_SERIES;
            fetched = Some(now);
        }
        assert_eq!(metrics() - before, expected, "minute {minute}");
    }
}

/// A budget spent pauses every metric, never the fast signals: the alarms are asked
/// each refresh, and one turning to ALARM is in the next update.
#[tokio::test]
async fn a_spent_budget_pauses_metrics_but_not_the_alarms() {
    let run = unique("spent");
    let target = endpoint_target(&format!("{run}-m"), &format!("{run}-ep"));
    let cw = cloudwatch(&sdk(&ministack_url()).await);
    let variant = [
        ("EndpointName", target.endpoint.as_str()),
        ("VariantName", "AllTraffic"),
    ];
    put(&cw, "AWS/SageMaker", "Invocations", &variant, &[1.0]).await;

    let calls = ApiCalls::default();
    let (_targets_tx, targets) = tokio::sync::watch::channel(vec![target.clone()]);
    let (_attention_tx, attention) = tokio::sync::watch::channel(Attention::default());
    let (_forced_tx, forced) = tokio::sync::watch::channel(0);
    let custom = CustomMetrics {
        namespace: "MLOps/Models".into(),
        dimension: "ModelName".into(),
        discover: false,
    };
    // A budget smaller than one metric: nothing may be spent on metric data.
    let mut source = CloudWatchSource::new(
        &sdk(&ministack_url()).await,
        &calls,
        targets,
        Vec::new(),
        custom,
    )
    .budgeted(
        1e-9,
        Duration::from_secs(60),
        (attention, Normaliser::default()),
        forced,
    );
    let asked = |op: &str| calls.counts().get(op).copied().unwrap_or(0);
    let start = Timestamp::now();
    let first = source.fetch_at(start).await;
    assert!(spending(&first)
        .slowed
        .as_deref()
        .unwrap()
        .contains("paused"));

    let alarm = format!("{run}-5xx");
    let metric = ("AWS/SageMaker", "Invocation5XXErrors");
    alarm_firing(&cw, &alarm, metric, &variant, 10.0, "Threshold Crossed").await;
    let alarms_before = asked("CloudWatch:DescribeAlarms");
    let next = source.fetch_at(start + SignedDuration::from_mins(1)).await;
    let Update::Fleet { fleet, .. } = &next else {
        panic!("cloudwatch failed: {next:?}")
    };
    let firing = fleet.alarms.iter().find(|a| a.name == alarm);
    assert!(
        firing.is_some_and(|a| a.state == mlopsdash::model::facts::AlarmState::Alarm),
        "{:?}",
        fleet.alarms
    );
    assert!(asked("CloudWatch:DescribeAlarms") > alarms_before);
    assert_eq!(asked(METRICS_REQUESTED), 0, "{:?}", calls.counts());
}

/// The real binary: a model's CPU and memory are asked for only once it is opened
/// (the fleet view does not show them), and then at once, not at the slow pace.
#[test]
fn opening_a_model_brings_its_detail_metrics_at_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let endpoint = unique("opened");
    rt.block_on(async {
        let moto = sdk(&crate::aws::moto_url()).await;
        crate::seed::seed_endpoint(&moto, &endpoint, &[("AllTraffic", 1.0, 1)]).await;
        let cw = cloudwatch(&sdk(&ministack_url()).await);
        let variant = [
            ("EndpointName", endpoint.as_str()),
            ("VariantName", "AllTraffic"),
        ];
        put(&cw, "AWS/SageMaker", "Invocations", &variant, &[120.0]).await;
        let instance = "/aws/sagemaker/Endpoints";
        put(&cw, instance, "CPUUtilization", &variant, &[41.5]).await;
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let text = format!("[aws]\ndiscover = false\n[[models]]\nname = \"{endpoint}\"\n");
    std::fs::write(&config, text).unwrap();
    let t = crate::tmux::Tmux::start(160, 40);
    t.export_test_credentials(&format!(
        "AWS_ENDPOINT_URL={} AWS_ENDPOINT_URL_CLOUDWATCH={}",
        crate::aws::moto_url(),
        ministack_url()
    ));
    crate::tmux::launch(
        &t,
        &format!("--region us-east-1 --config {}", config.display()),
    );
    t.wait_for_all(&[endpoint.as_str(), "InService"], "the row");
    t.keys(&[":", "stats", "Enter"]);
    // Just deployed: watched as closely as an incident for an hour, its fleet
    // series every minute, but not CPU and memory until it is opened.
    t.wait_for(
        "incident: 1 model, every 1m",
        "the row paced as just deployed",
    );
    t.keys(&["Escape"]);
    t.wait_for(endpoint.as_str(), "the pipeline again");
    t.keys(&["Enter"]);
    t.wait_for(
        "CPU / memory %",
        "the CPU chart, asked for when the model opened",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt");
}
