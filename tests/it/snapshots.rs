//! Rendered frames of every view (ratatui TestBackend + insta), fixed seed and time.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mlopsdash::app::{App, InputMode, View};
use mlopsdash::config::Theme;
use mlopsdash::source::{SourceId, Update};
use mlopsdash::testing::{demo_app, render};

/// Two minutes in: every scripted incident has happened.
const AFTER_INCIDENTS: i64 = 120;

fn mono() -> Theme {
    Theme::load("mono").unwrap()
}

/// The frame's characters, row after row.
fn screen_text(app: &App, w: u16, h: u16) -> String {
    let terminal = render(app, &mono(), w, h);
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for (i, cell) in buffer.content().iter().enumerate() {
        if i > 0 && i % usize::from(w) == 0 {
            text.push('\n');
        }
        text.push_str(cell.symbol());
    }
    text
}

fn snap(name: &str, app: &App, w: u16, h: u16) {
    let terminal = render(app, &mono(), w, h);
    insta::assert_snapshot!(name, terminal.backend());
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_str(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn detail(name: &str) -> App {
    detail_among(4, name)
}

/// `name`'s detail in a demo of `models` models (the fifth runs on MLflow and Airflow).
fn detail_among(models: usize, name: &str) -> App {
    let mut app = demo_app(models, AFTER_INCIDENTS);
    app.open_model(name.into());
    assert_eq!(app.view(), View::Detail);
    app
}

#[test]
fn pipeline_80x24() {
    snap("pipeline_80x24", &demo_app(4, AFTER_INCIDENTS), 80, 24);
}

#[test]
fn pipeline_160x48() {
    snap("pipeline_160x48", &demo_app(5, AFTER_INCIDENTS), 160, 48);
}

#[test]
fn detail_of_a_model_on_mlflow_and_airflow() {
    let app = detail_among(5, "fraud-scoring");
    snap("detail_fraud_160x48", &app, 160, 48);
    snap("detail_fraud_80x24", &app, 80, 24);
}

#[test]
fn detail_of_a_model_on_ecs_with_a_lambda_etl() {
    let app = detail_among(6, "upsell-api");
    snap("detail_ecs_160x48", &app, 160, 48);
    snap("detail_ecs_80x24", &app, 80, 24);
    let text = screen_text(&app, 160, 48);
    for shown in [
        "✖ task of upsell-api:8 stopped",
        "Essential container in task exited (flask, exit code 1)",
        "web-prod/upsell-api (ACTIVE)",
        "● upsell-api:8",
        "↺ upsell-api:7",
        "10.0.3.18:8080 unhealthy",
    ] {
        assert!(text.contains(shown), "{shown} not in:\n{text}");
    }
}

#[test]
fn pipeline_at_start_before_incidents() {
    snap("pipeline_at_start", &demo_app(4, 0), 120, 12);
}

#[test]
fn detail_with_mape_breach_80x24() {
    snap("detail_demand_80x24", &detail("demand-forecasting"), 80, 24);
}

#[test]
fn detail_with_mape_breach_160x48() {
    snap(
        "detail_demand_160x48",
        &detail("demand-forecasting"),
        160,
        48,
    );
}

#[test]
fn detail_with_failed_training_and_spike_120x40() {
    snap(
        "detail_recommendation_120x40",
        &detail("recommendation-engine"),
        120,
        40,
    );
}

#[test]
fn models_view() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    app.show(View::Models);
    snap("models_120x16", &app, 120, 16);
}

#[test]
fn alarms_view_lists_firing_first() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    press(&mut app, KeyCode::Char(':'));
    type_str(&mut app, "alarms");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Alarms);
    snap("alarms_120x16", &app, 120, 16);
}

#[test]
fn events_view() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    app.show(View::Events);
    snap("events_120x16", &app, 120, 16);
}

/// The demo's bad deploys and user-visible changes, newest first, with who made them;
/// the filter narrows them to one model.
#[test]
fn changes_view_lists_deploys_with_their_author() {
    let mut app = demo_app(6, AFTER_INCIDENTS);
    app.show(View::Changes);
    let text = screen_text(&app, 140, 24);
    assert!(text.contains("by ci-deploy-role (cloudtrail)"), "{text}");
    snap("changes_140x24", &app, 140, 24);
    press(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "recommendation");
    press(&mut app, KeyCode::Enter);
    assert!(app
        .listed_changes()
        .iter()
        .all(|c| c.model.as_deref() == Some("recommendation-engine")));
    snap("changes_filtered_100x16", &app, 100, 16);
}

/// The bad deploy's marker on every chart, what moved since it, and the model's
/// changes panel.
#[test]
fn detail_of_a_bad_deploy_160x48() {
    snap(
        "detail_recommendation_160x48",
        &detail("recommendation-engine"),
        160,
        48,
    );
}

#[test]
fn help_overlay_lists_the_bindings() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    press(&mut app, KeyCode::Char('?'));
    snap("help_120x30", &app, 120, 30);
    // Too tall for 80x24: two columns, nothing cut off.
    snap("help_80x24", &app, 80, 24);
}

#[test]
fn filter_narrows_rows_and_shows_what_is_typed() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    press(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "seg");
    assert_eq!(app.input(), &InputMode::Filter);
    assert_eq!(app.rows().len(), 1);
    snap("filter_80x12", &app, 80, 12);
}

#[test]
fn stale_data_is_never_drawn_green() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    app.apply(Update::Failed {
        source: SourceId::Demo,
        why: "connection refused".into(),
        at: app.now(),
    });
    let text = format!("{}", render(&app, &mono(), 120, 12).backend());
    assert!(!text.contains('✔'), "stale frame still shows ✔:\n{text}");
    snap("stale_120x12", &app, 120, 12);
}

#[test]
fn loading_before_first_data() {
    let app = App::new(
        mlopsdash::app::Context::new(mlopsdash::app::Place::Demo { seed: 42 }),
        Default::default(),
        Default::default(),
        mlopsdash::testing::demo_start(),
    );
    snap("loading_80x10", &app, 80, 10);
}

#[test]
fn tiny_terminals_do_not_panic_and_say_what_to_do() {
    let app = detail("demand-forecasting");
    for (w, h) in [(20, 5), (1, 1), (39, 9), (40, 10), (45, 12), (80, 10)] {
        for view in [
            View::Pipeline,
            View::Detail,
            View::Models,
            View::Alarms,
            View::Events,
        ] {
            let mut app = app.clone();
            app.show(view);
            app.handle_key(KeyEvent::from(KeyCode::Char('?')));
            assert!(app.help());
            let text = screen_text(&app, w, h);
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if w < 40 || h < 10 {
                // As much of the one line as fits, nothing else.
                let said = format!(
                    "mlopsdash needs at least 40x10 (now {w}x{h}); enlarge the terminal, q quits"
                );
                assert!(
                    !words.is_empty() && said.replace(' ', "").starts_with(&words.replace(' ', "")),
                    "{w}x{h} {view:?}: {words:?}"
                );
            } else {
                assert!(text.contains("mlopsdash"), "{w}x{h} {view:?}: {text}");
                assert!(!text.contains("needs at least"), "{w}x{h} {view:?}");
            }
        }
    }
    snap("tiny_20x5", &app, 20, 5);
}

#[test]
fn large_fleet_renders_worst_first() {
    let app = demo_app(1000, 0);
    assert_eq!(app.rows().len(), 1000);
    assert_eq!(app.rows()[0].name, "churn-detection");
    let text = screen_text(&app, 200, 60);
    assert!(text.contains("pipeline (1000)"), "{text}");
    let first_row = text
        .lines()
        .find(|l| l.contains("demand-forecasting") || l.contains("churn-detection"));
    assert!(
        first_row.is_some_and(|l| l.contains("churn-detection")),
        "{text}"
    );
}

#[test]
fn stats_view_counts_requests_and_prices_them() {
    let mut app = demo_app(4, 0);
    app.apply(Update::ApiCalls(
        [
            ("SageMaker:ListEndpoints".to_string(), 12),
            ("SageMaker:DescribeEndpoint".to_string(), 40),
            ("STS:GetCallerIdentity".to_string(), 1),
            ("Cost Explorer:GetCostAndUsage".to_string(), 3),
            ("CloudWatch:GetMetricData".to_string(), 2),
            ("CloudWatch:GetMetricData/metrics".to_string(), 900),
        ]
        .into(),
    ));
    press(&mut app, KeyCode::Char(':'));
    type_str(&mut app, "stats");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Stats);
    let text = format!("{}", render(&app, &mono(), 100, 12).backend());
    assert!(
        text.contains("58 AWS requests this session · est. $0.0390"),
        "{text}"
    );
    snap("stats_100x12", &app, 100, 12);
}

#[test]
fn the_header_and_stats_say_what_polling_costs_and_when_it_slowed() {
    use mlopsdash::model::polling::{Spending, Tier, Watch};
    let (sagemaker, mut cloudwatch, at) = mlopsdash::testing::split_fleet(AFTER_INCIDENTS);
    let tier = |watch, models, metrics, every: Option<u64>, per_day| Tier {
        watch,
        models,
        metrics,
        every_seconds: every,
        per_day,
    };
    cloudwatch.spending = Some(Box::new(Spending {
        budget_per_day: 0.25,
        spent_last_24h: 0.0421,
        projected_per_day: 0.2412,
        tiers: vec![
            tier(Watch::Focused, 1, 10, Some(60), 0.144),
            tier(Watch::Incident, 1, 6, Some(60), 0.0864),
            tier(Watch::Healthy, 2, 12, Some(1_320), 0.0079),
        ],
        slowed: Some("metrics slowed to stay within $0.25 in any 24 h: healthy every 22m".into()),
    }));
    let mut app = mlopsdash::testing::aws_app(at);
    for (source, fleet) in [
        (SourceId::SageMaker, sagemaker),
        (SourceId::CloudWatch, cloudwatch),
    ] {
        app.apply(Update::Fleet { source, fleet, at });
    }
    app.apply(Update::ApiCalls(
        [
            ("CloudWatch:DescribeAlarms".to_string(), 240),
            ("CloudWatch:GetMetricData".to_string(), 30),
            ("CloudWatch:GetMetricData/metrics".to_string(), 3_900),
        ]
        .into(),
    ));
    let header = format!("{}", render(&app, &mono(), 160, 12).backend());
    assert!(
        header.contains("⚠ API last 24 h $0.042 · ~$0.24/day of $0.25 slowed"),
        "{header}"
    );
    app.show(View::Stats);
    snap("stats_polling_160x16", &app, 160, 16);
}

#[test]
fn a_failing_source_greys_only_its_own_stages() {
    let (sagemaker, cloudwatch, at) = mlopsdash::testing::split_fleet(AFTER_INCIDENTS);
    let mut app = mlopsdash::testing::aws_app(at);
    for (source, fleet) in [
        (SourceId::SageMaker, sagemaker),
        (SourceId::CloudWatch, cloudwatch),
    ] {
        app.apply(Update::Fleet { source, fleet, at });
    }
    app.apply(Update::Failed {
        source: SourceId::CloudWatch,
        why: "throttled by AWS on cloudwatch:GetMetricData; backing off".into(),
        at,
    });
    snap("cloudwatch_failed_120x12", &app, 120, 12);
}

#[test]
fn cost_view() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    app.show(View::Cost);
    snap("cost_120x30", &app, 120, 30);
}

#[test]
fn traces_view_and_a_waterfall() {
    let mut app = demo_app(4, AFTER_INCIDENTS);
    app.show(View::Traces);
    snap("traces_140x24", &app, 140, 24);
    app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!(app.view(), View::Trace);
    snap("waterfall_140x12", &app, 140, 12);
}

#[test]
fn stages_wait_for_their_sources() {
    let (_, cloudwatch, at) = mlopsdash::testing::split_fleet(AFTER_INCIDENTS);
    let mut app = mlopsdash::testing::aws_app(at);
    app.apply(Update::Fleet {
        source: SourceId::CloudWatch,
        fleet: cloudwatch,
        at,
    });
    snap("cloudwatch_first_120x10", &app, 120, 10);
}

#[test]
fn detail_of_models_on_kubernetes() {
    let app = detail_among(8, "credit-risk");
    snap("detail_kserve_160x48", &app, 160, 48);
    snap("detail_kserve_80x24", &app, 80, 24);
    let text = screen_text(&app, 160, 48);
    for shown in [
        "ml-eks serving/credit-risk (Ready)",
        "● credit-risk-predictor-00007 canary",
        "● credit-risk-predictor-00006",
        "canary 5xx 30.0%",
        "2/2 ready",
    ] {
        assert!(text.contains(shown), "{shown} not in:\n{text}");
    }
    let app = detail_among(8, "dynamic-pricing");
    snap("detail_deployment_160x48", &app, 160, 48);
    let text = screen_text(&app, 160, 48);
    for shown in [
        "ml-eks apps/dynamic-pricing (Available)",
        "● revision 4",
        "3/3 ready · 3 pods, 2 restarts",
        "⚠ 2 restarts in apps/dynamic-pricing's pods, the last OOMKilled",
    ] {
        assert!(text.contains(shown), "{shown} not in:\n{text}");
    }
}

#[test]
fn kserve_rollback_dialog_shows_the_exact_patch() {
    let app = action_dialog_among(8, "credit-risk", 'B');
    snap("kserve_rollback_dialog_120x40", &app, 120, 40);
}

fn action_dialog(model: &str, key: char) -> App {
    action_dialog_among(4, model, key)
}

fn action_dialog_among(models: usize, model: &str, key: char) -> App {
    let app = mlopsdash::testing::with_dialog(demo_app(models, AFTER_INCIDENTS), model, key);
    assert!(
        matches!(app.input(), InputMode::Confirm(_)),
        "{:?}",
        app.status()
    );
    app
}

#[test]
fn rollback_dialog_shows_the_exact_call() {
    let app = action_dialog("recommendation-engine", 'B');
    snap("rollback_dialog_120x40", &app, 120, 40);
    snap("rollback_dialog_80x24", &app, 80, 24);
}

#[test]
fn on_a_short_screen_the_other_choices_shrink_before_the_call() {
    let app = action_dialog("recommendation-engine", 'B');
    let text = screen_text(&app, 80, 20);
    // The choice not selected is one line; the exact call and the prompt stay whole.
    assert!(text.contains("model recommendation-engine-mo…"), "{text}");
    // A little taller: only the other choice shrinks, the selected stays whole to
    // what joined it.
    let taller = screen_text(&app, 80, 24);
    assert!(
        taller.contains("model recommendation-engine-mo…"),
        "{taller}"
    );
    assert!(taller.contains("recommendation-engine-group"), "{taller}");
    assert!(!text.contains("more lines"), "{text}");
    for whole in [
        "sagemaker:UpdateEndpoint",
        "EndpointConfigName: \"recommendation-engine-prod-config-v6\"",
        "y/enter confirm",
    ] {
        assert!(text.contains(whole), "{whole}: {text}");
    }
}

#[test]
fn a_protected_endpoint_asks_for_its_name() {
    let mut app = action_dialog("demand-forecasting", 'B');
    type_str(&mut app, "demand-fore");
    snap("rollback_dialog_protected_100x30", &app, 100, 30);
}

#[test]
fn retrain_through_airflow_shows_the_request_and_its_conf() {
    let app = action_dialog_among(5, "fraud-scoring", 'R');
    snap("retrain_dag_dialog_100x30", &app, 100, 30);
}

#[test]
fn an_ecs_rollback_shows_update_service_with_the_previous_revision() {
    let app = action_dialog_among(6, "upsell-api", 'B');
    snap("rollback_ecs_dialog_100x30", &app, 100, 30);
    let text = screen_text(&app, 100, 30);
    assert!(text.contains("ecs:UpdateService"), "{text}");
    assert!(text.contains("taskDefinition: \"upsell-api:7\""), "{text}");
}

#[test]
fn promote_through_mlflow_moves_the_champion_alias() {
    let app = action_dialog_among(5, "fraud-scoring", 'a');
    snap("promote_alias_dialog_100x30", &app, 100, 30);
}

#[test]
fn approve_dialog_lists_the_versions() {
    snap(
        "approve_dialog_100x30",
        &action_dialog("churn-detection", 'a'),
        100,
        30,
    );
}

/// Times in the snapshot move with the clock: every RFC 3339 string becomes "[time]".
fn redact_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if s.parse::<jiff::Timestamp>().is_ok() => {
            *s = "[time]".into();
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_times),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_times),
        _ => {}
    }
}

/// The JSON contract scripts rely on, pinned: any change of key or shape shows here.
#[test]
fn snapshot_json_of_the_demo() {
    use mlopsdash::snapshot::{Gathered, Snapshot};
    let g = Gathered {
        app: demo_app(4, AFTER_INCIDENTS),
        errors: vec![],
    };
    let snap = Snapshot::new(&g, Default::default());
    let mut v = serde_json::to_value(&snap).unwrap();
    redact_times(&mut v);
    insta::assert_snapshot!(
        "snapshot_json_demo",
        serde_json::to_string_pretty(&v).unwrap()
    );
}

#[test]
fn viewer_of_a_collector_140x24() {
    let app = mlopsdash::testing::viewer_app(20);
    let text = screen_text(&app, 140, 24);
    assert!(text.contains("⇣ collector 20s ago"), "{text}");
    snap("viewer_140x24", &app, 140, 24);
}

#[test]
fn viewer_of_a_collector_that_stopped_140x24() {
    let app = mlopsdash::testing::viewer_app(600);
    let text = screen_text(&app, 140, 24);
    assert!(text.contains("✖ ⇣ collector 10m ago · stopped?"), "{text}");
    snap("viewer_stopped_140x24", &app, 140, 24);
}

#[test]
fn paced_metrics_say_how_old_they_are() {
    let (sagemaker, cloudwatch, at) = mlopsdash::testing::split_fleet(AFTER_INCIDENTS);
    let (paced, fresh) = (
        cloudwatch.models[0].name.clone(),
        cloudwatch.models[1].name.clone(),
    );
    let screen = |fresh_at: Option<jiff::Timestamp>| {
        let mut cloudwatch = cloudwatch.clone();
        cloudwatch.models[0].metrics_at = Some(at - jiff::SignedDuration::from_mins(25));
        cloudwatch.models[1].metrics_at = fresh_at;
        let mut app = mlopsdash::testing::aws_app(at);
        for (source, fleet) in [
            (SourceId::SageMaker, sagemaker.clone()),
            (SourceId::CloudWatch, cloudwatch),
        ] {
            app.apply(Update::Fleet { source, fleet, at });
        }
        screen_text(&app, 200, 12)
    };
    let line_of = |screen: &str, model: &str| {
        screen
            .lines()
            .find(|l| l.contains(model))
            .unwrap_or_else(|| panic!("no row of {model}:\n{screen}"))
            .to_string()
    };
    let shown = screen(Some(at - jiff::SignedDuration::from_mins(2)));
    // The endpoint and quality cells, each with its series' age.
    assert_eq!(
        line_of(&shown, &paced).matches(" 25m").count(),
        2,
        "{shown}"
    );
    // Two minutes is within the closest pace: the row is as if no age were known.
    assert_eq!(
        line_of(&shown, &fresh),
        line_of(&screen(None), &fresh),
        "{shown}"
    );
}
