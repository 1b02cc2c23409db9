//! App state and key handling, driven the way the event loop drives them.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::SignedDuration;

use super::{App, Effect, InputMode, View};
use crate::model::update::{SourceId, Update};
use crate::model::{Health, Loadable, Stage};
use crate::testing::{aws_app, demo_app, demo_start, split_fleet};

fn press(app: &mut App, code: KeyCode) -> Effect {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

#[test]
fn updates_derive_health_and_log_each_change_once() {
    let app = demo_app(4, 120);
    let mape_events: Vec<_> = app
        .events
        .iter()
        .filter(|e| e.model == "demand-forecasting" && e.stage == Some(Stage::Quality))
        .map(|e| (e.from, e.to))
        .collect();
    // Newest first: ok→warn as MAPE passes 10%, then warn→crit past 15%.
    assert_eq!(
        mape_events,
        vec![(Health::Warn, Health::Crit), (Health::Ok, Health::Warn)]
    );
    assert_eq!(app.health["demand-forecasting"].overall, Health::Crit);
}

#[test]
fn a_failed_refresh_keeps_the_data_but_marks_it_stale() {
    let mut app = demo_app(4, 10);
    app.apply(Update::Failed {
        source: SourceId::Demo,
        why: "timeout".into(),
        at: app.now,
    });
    assert!(app.fleet.is_stale());
    assert_eq!(app.rows.len(), 4);
    let mut fresh = App::new(
        app.context.clone(),
        app.rules.clone(),
        app.keymap.clone(),
        app.now,
    );
    fresh.apply(Update::Failed {
        source: SourceId::Demo,
        why: "denied".into(),
        at: app.now,
    });
    assert_eq!(
        fresh.fleet,
        Loadable::Failed {
            why: "demo: denied".into()
        }
    );
}

#[test]
fn the_cursor_follows_its_model_when_rows_re_sort() {
    let mut app = demo_app(4, 0);
    press(&mut app, KeyCode::Char('G'));
    let chosen = app.selected.clone().unwrap();
    // Later incidents move rows around; the cursor stays on the same model.
    let at = demo_start() + SignedDuration::from_secs(120);
    let fleet = crate::testing::simulator(42, demo_start(), 4).fleet_at(at);
    app.apply(Update::Fleet {
        source: SourceId::Demo,
        fleet,
        at,
    });
    assert_eq!(app.rows[app.cursor].name, chosen);
}

#[test]
fn enter_opens_the_model_and_back_returns_where_it_came_from() {
    let mut app = demo_app(4, 120);
    app.show(View::Alarms);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Detail);
    assert_eq!(
        app.detail.as_deref(),
        Some("demand-forecasting"),
        "firing alarms come first"
    );
    press(&mut app, KeyCode::Char(']'));
    assert_ne!(app.detail.as_deref(), Some("demand-forecasting"));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Alarms);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Pipeline);
}

#[test]
fn refresh_key_asks_the_loop_to_refresh() {
    let mut app = demo_app(4, 0);
    assert_eq!(press(&mut app, KeyCode::Char('r')), Effect::Refresh);
    assert!(app.refreshing);
    assert_eq!(press(&mut app, KeyCode::Char('j')), Effect::None);
    assert!(app.refreshing, "moving does not hide a pending refresh");
    let at = demo_start();
    let fleet = crate::testing::simulator(42, at, 4).fleet_at(at);
    app.apply(Update::Fleet {
        source: SourceId::Demo,
        fleet,
        at,
    });
    assert!(!app.refreshing, "the answer clears it");
}

#[test]
fn filter_typing_is_not_taken_as_commands() {
    let mut app = demo_app(4, 0);
    press(&mut app, KeyCode::Char('/'));
    typed(&mut app, "q");
    assert!(!app.quit, "q while filtering is text");
    assert_eq!(app.input, InputMode::Filter);
    assert!(app.rows.is_empty(), "no model has a q in its name");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.rows.len(), 4);
    assert_eq!(app.input, InputMode::Normal);
}

#[test]
fn unknown_commands_say_what_to_type() {
    let mut app = demo_app(4, 0);
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "pods");
    press(&mut app, KeyCode::Enter);
    assert!(app
        .status
        .as_deref()
        .unwrap()
        .starts_with("unknown command :pods (try :pipeline"));
    press(&mut app, KeyCode::Char(':'));
    typed(&mut app, "model nope");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.status.as_deref(), Some("no model named nope"));
    assert_eq!(app.view, View::Pipeline);
}

#[test]
fn help_swallows_keys_until_closed() {
    let mut app = demo_app(4, 0);
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.cursor, 0);
    press(&mut app, KeyCode::Char('q'));
    assert!(!app.help && !app.quit, "q closes help first");
    press(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn sources_join_by_model_and_a_failing_one_greys_only_its_stages() {
    let (sagemaker, cloudwatch, at) = split_fleet(120);
    let mut app = aws_app(demo_start());
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker,
        at,
    });
    assert_eq!(
        app.health["demand-forecasting"]
            .stage(Stage::Quality)
            .health,
        Health::Unknown
    );
    app.apply(Update::Fleet {
        source: SourceId::CloudWatch,
        fleet: cloudwatch,
        at,
    });
    assert_eq!(app.rows.len(), 4, "one row per model, not per source");
    assert_eq!(
        app.health["demand-forecasting"]
            .stage(Stage::Quality)
            .health,
        Health::Crit
    );
    assert!(
        app.events.iter().all(|e| e.stage != Some(Stage::Quality)),
        "a source's first answer fills unknown stages silently"
    );
    assert!(Stage::ALL.iter().all(|s| !app.stage_is_stale(*s)));

    app.apply(Update::Failed {
        source: SourceId::CloudWatch,
        why: "throttled by AWS on cloudwatch:GetMetricData; backing off".into(),
        at,
    });
    let stale: Vec<Stage> = Stage::ALL
        .into_iter()
        .filter(|s| app.stage_is_stale(*s))
        .collect();
    assert_eq!(stale, vec![Stage::Endpoint, Stage::Drift, Stage::Quality]);
    assert!(!app.all_stale());
    assert_eq!(
        app.health["demand-forecasting"]
            .stage(Stage::Quality)
            .health,
        Health::Crit,
        "last known facts stay"
    );
    match &app.fleet {
        Loadable::Stale { why, .. } => assert!(why.starts_with("cloudwatch: throttled"), "{why}"),
        other => panic!("expected stale, got {other:?}"),
    }
}

#[test]
fn a_source_failing_before_its_first_answer_leaves_the_others_shown() {
    let (sagemaker, _, at) = split_fleet(0);
    let mut app = aws_app(demo_start());
    app.apply(Update::Failed {
        source: SourceId::S3,
        why: "AccessDenied: the IAM policy lacks s3:ListBucket; add it to this role".into(),
        at,
    });
    assert!(matches!(app.fleet, Loadable::Failed { .. }));
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker,
        at,
    });
    assert_eq!(app.rows.len(), 4);
    assert!(app.stage_is_stale(Stage::Data));
    assert!(!app.stage_is_stale(Stage::Training));
}

#[test]
fn refreshing_cost_on_aws_asks_first_and_a_no_asks_nothing() {
    let (sagemaker, _, at) = split_fleet(0);
    let mut app = aws_app(demo_start());
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker,
        at,
    });
    app.show(View::Cost);
    assert_eq!(press(&mut app, KeyCode::Char('r')), Effect::None);
    assert_eq!(app.input, InputMode::ConfirmCostRefresh);
    assert_eq!(press(&mut app, KeyCode::Char('n')), Effect::None);
    assert_eq!(app.input, InputMode::Normal);
    assert!(app.status.as_deref().unwrap().contains("nothing was asked"));
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(press(&mut app, KeyCode::Char('y')), Effect::RefreshCost);
    // Elsewhere, and in the demo, r is the free refresh it always was.
    app.show(View::Pipeline);
    assert_eq!(press(&mut app, KeyCode::Char('r')), Effect::Refresh);
    let mut demo = demo_app(4, 0);
    demo.show(View::Cost);
    assert_eq!(press(&mut demo, KeyCode::Char('r')), Effect::Refresh);
}

#[test]
fn one_reason_failing_every_source_is_one_line() {
    let mut app = aws_app(demo_start());
    let why = "no AWS credentials: run `aws sso login --profile X`";
    for source in [SourceId::SageMaker, SourceId::CloudWatch, SourceId::S3] {
        app.apply(Update::Failed {
            source,
            why: why.into(),
            at: demo_start(),
        });
    }
    app.apply(Update::Failed {
        source: SourceId::Cost,
        why: "throttled".into(),
        at: demo_start(),
    });
    assert_eq!(
        app.problem_lines(),
        vec![
            format!("sagemaker, cloudwatch, s3: {why}"),
            "cost: throttled".to_string()
        ]
    );
}

#[test]
fn stages_whose_sources_have_not_answered_are_loading_not_unknown() {
    let (_, cloudwatch, at) = split_fleet(0);
    let mut app = aws_app(demo_start());
    assert!(app.stage_is_loading(Stage::Training));
    app.apply(Update::Fleet {
        source: SourceId::CloudWatch,
        fleet: cloudwatch,
        at,
    });
    assert!(
        app.stage_is_loading(Stage::Training),
        "SageMaker has not answered"
    );
    assert!(!app.stage_is_loading(Stage::Quality));
    assert!(
        app.stage_is_loading(Stage::Endpoint),
        "its status comes from SageMaker"
    );
    app.apply(Update::Failed {
        source: SourceId::SageMaker,
        why: "denied".into(),
        at,
    });
    assert!(
        !app.stage_is_loading(Stage::Training),
        "failed is not loading"
    );
}

#[test]
fn facts_older_than_three_intervals_turn_stale_by_age() {
    let (sagemaker, cloudwatch, at) = split_fleet(120);
    let mut app = aws_app(at);
    app.context.intervals = [
        (SourceId::SageMaker, std::time::Duration::from_secs(60)),
        (SourceId::CloudWatch, std::time::Duration::from_secs(60)),
    ]
    .into();
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker,
        at,
    });
    app.apply(Update::Fleet {
        source: SourceId::CloudWatch,
        fleet: cloudwatch.clone(),
        at,
    });
    app.set_now(at + SignedDuration::from_secs(180));
    assert!(
        Stage::ALL.iter().all(|s| !app.stage_is_stale(*s)),
        "3 intervals is still fresh"
    );
    // CloudWatch answers again; SageMaker has gone silent (a hung connection).
    let later = at + SignedDuration::from_secs(200);
    app.apply(Update::Fleet {
        source: SourceId::CloudWatch,
        fleet: cloudwatch,
        at: later,
    });
    app.set_now(later);
    assert!(app.stage_is_stale(Stage::Training));
    assert!(!app.stage_is_stale(Stage::Quality));
    let lines = app.problem_lines().join("\n");
    assert!(
        lines.contains("sagemaker: no answer for 3m (it asks every 60s)"),
        "{lines}"
    );
    assert_eq!(app.rows.len(), 4, "old facts stay on screen, marked");
}

#[test]
fn a_first_look_shows_rows_with_the_rest_loading_and_holds_actions() {
    let (sagemaker, _, at) = split_fleet(120);
    let mut app = aws_app(at);
    let mut first_look = sagemaker.clone();
    for m in &mut first_look.models {
        m.training.clear();
        m.registry.clear();
    }
    app.apply(Update::Partial {
        source: SourceId::SageMaker,
        fleet: first_look,
        at,
        pending: vec![Stage::Training, Stage::Registry],
    });
    assert_eq!(app.rows.len(), 4, "the rows show at once");
    assert!(app.stage_is_loading(Stage::Training) && app.stage_is_loading(Stage::Registry));
    press(&mut app, KeyCode::Char('R'));
    assert!(
        app.status().is_some_and(|s| s.contains("still loading")),
        "{:?}",
        app.status()
    );
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker.clone(),
        at,
    });
    assert!(!app.stage_is_loading(Stage::Training));
    assert!(
        app.events.iter().all(|e| e.stage != Some(Stage::Training)),
        "the rest arriving is not news"
    );
    // A later partial never replaces a whole answer.
    app.apply(Update::Partial {
        source: SourceId::SageMaker,
        fleet: crate::model::Fleet::default(),
        at,
        pending: vec![Stage::Training],
    });
    assert_eq!(app.rows.len(), 4);
    assert!(!app.stage_is_loading(Stage::Training));
}

#[test]
fn the_last_sessions_fleet_is_drawn_marked_until_this_one_answers() {
    let (sagemaker, _, at) = split_fleet(120);
    let mut app = aws_app(at);
    let yesterday = at - SignedDuration::from_hours(20);
    let mut old = sagemaker.clone();
    if let Some(ep) = old.models.first_mut().and_then(|m| m.endpoint.as_mut()) {
        ep.status = "Updating".into();
    }
    app.apply(Update::Remembered {
        source: SourceId::SageMaker,
        fleet: old,
        at: yesterday,
    });
    assert_eq!(app.rows.len(), 4, "the rows show at once");
    assert!(
        matches!(app.fleet(), Loadable::Stale { at, .. } if *at == yesterday),
        "never drawn as fresh"
    );
    assert!(app
        .problem_lines()
        .join(" ")
        .contains("from the last session"));
    // Yesterday's facts only pick the row: the executor reads the target afresh,
    // and the dialog names where the row came from.
    let Effect::Prepare(req) = press(&mut app, KeyCode::Char('B')) else {
        panic!("no prepare: {:?}", app.status());
    };
    assert_eq!(req.shown, crate::action::Shown::Remembered);
    press(&mut app, KeyCode::Esc);
    app.apply(Update::Fleet {
        source: SourceId::SageMaker,
        fleet: sagemaker.clone(),
        at,
    });
    assert!(matches!(app.fleet(), Loadable::Ready { .. }));
    assert!(
        app.events.iter().all(|e| e.stage != Some(Stage::Endpoint)),
        "what changed since the last session is not news of this one"
    );
    // A memory arriving after this session's answer changes nothing.
    app.apply(Update::Remembered {
        source: SourceId::SageMaker,
        fleet: crate::model::Fleet::default(),
        at: yesterday,
    });
    assert_eq!(app.rows.len(), 4);
    assert!(matches!(app.fleet(), Loadable::Ready { .. }));
}

#[test]
fn the_screen_tells_the_sources_what_to_watch_closely() {
    let mut app = demo_app(4, 120);
    let names = app.rules().names.clone();
    let attention = app.attention();
    assert!(
        attention.focused.is_empty(),
        "the pipeline shows no one model"
    );
    let troubled: Vec<&String> = app
        .health
        .iter()
        .filter(|(_, h)| h.overall >= Health::Warn)
        .map(|(m, _)| m)
        .collect();
    assert!(!troubled.is_empty(), "the demo has incidents by now");
    for m in troubled {
        assert!(attention.troubled.contains(&names.key(m)), "{m}");
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Detail);
    let open = app.detail().map(str::to_string).unwrap();
    let focused = app.attention().focused;
    assert!(focused.contains(&names.key(&open)), "{focused:?}");
    // Every name the row goes by: CloudWatch may know it by another.
    let endpoint = app
        .fleet()
        .data()
        .and_then(|f| f.model(&open))
        .unwrap()
        .aliases
        .clone();
    assert!(!endpoint.is_empty());
    for alias in &endpoint {
        assert!(
            focused.contains(&names.key(alias)),
            "{alias} in {focused:?}"
        );
    }
    press(&mut app, KeyCode::Esc);
    assert!(app.attention().focused.is_empty(), "closed again");
}
