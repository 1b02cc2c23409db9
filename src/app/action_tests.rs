//! Action keys: the double-fire and in-flight guards, read-only, protected endpoints.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, InputMode};
use crate::action::{plan, Kind, Phase, Progress, Step};
use crate::testing::{demo_app, prepared};

fn press(app: &mut App, code: KeyCode) -> Effect {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn select(app: &mut App, model: &str) {
    press(app, KeyCode::Char('/'));
    for c in model.chars() {
        press(app, KeyCode::Char(c));
    }
    press(app, KeyCode::Enter);
    assert_eq!(app.selected.as_deref(), Some(model));
}

/// Presses the rollback key and answers with the plans the planner makes.
fn open_rollback(app: &mut App) {
    let Effect::Prepare(req) = press(app, KeyCode::Char('B')) else {
        panic!("no prepare: {:?}", app.status);
    };
    let plans = prepared(plan::rollbacks(&req, None));
    app.apply(crate::model::update::Update::Planned {
        kind: Kind::Rollback,
        model: req.model.name.clone(),
        plans,
    });
    assert!(
        matches!(app.input, InputMode::Confirm(_)),
        "{:?}",
        app.status
    );
    app.arm_dialog(app.now());
}

fn phases(app: &App) -> Vec<Phase> {
    app.actions.outbox.iter().map(|r| r.phase).collect()
}

#[test]
fn a_key_pressed_twice_fires_the_action_once() {
    let mut app = demo_app(4, 60);
    select(&mut app, "recommendation-engine");
    let Effect::Prepare(req) = press(&mut app, KeyCode::Char('B')) else {
        panic!("no prepare: {:?}", app.status);
    };
    // The target is being read: a second press asks for nothing more.
    assert!(matches!(press(&mut app, KeyCode::Char('B')), Effect::None));
    app.apply(crate::model::update::Update::Planned {
        kind: Kind::Rollback,
        model: req.model.name.clone(),
        plans: prepared(plan::rollbacks(&req, None)),
    });
    assert!(matches!(app.input, InputMode::Confirm(_)));
    // A y typed while the dialog was opening, before it was drawn, answers nothing.
    assert!(matches!(press(&mut app, KeyCode::Char('y')), Effect::None));
    assert!(matches!(app.input, InputMode::Confirm(_)));
    // Drawn now: a key right after is still taken as typed ahead, a moment later not.
    let drawn = app.now();
    assert!(!app.takes_key_at(drawn));
    app.arm_dialog(drawn);
    assert!(!app.takes_key_at(drawn + jiff::SignedDuration::from_millis(100)));
    assert!(app.takes_key_at(drawn + jiff::SignedDuration::from_millis(200)));
    assert!(matches!(
        press(&mut app, KeyCode::Char('y')),
        Effect::Execute(_)
    ));
    // The dialog closed with the first y: the second and Enter confirm nothing.
    assert!(matches!(press(&mut app, KeyCode::Char('y')), Effect::None));
    assert!(matches!(press(&mut app, KeyCode::Enter), Effect::None));
    assert_eq!(phases(&app), [Phase::Requested]);
}

#[test]
fn an_action_in_flight_on_a_resource_blocks_a_second_one() {
    let mut app = demo_app(4, 60);
    select(&mut app, "recommendation-engine");
    open_rollback(&mut app);
    press(&mut app, KeyCode::Char('y'));
    let busy = press(&mut app, KeyCode::Char('B'));
    assert!(matches!(busy, Effect::None));
    assert!(app
        .status
        .as_deref()
        .unwrap_or_default()
        .contains("already running"));
    // Once it ends, the key works again.
    app.apply(crate::model::update::Update::Action(Progress {
        kind: Kind::Rollback,
        model: "recommendation-engine".into(),
        resource: "recommendation-engine-prod".into(),
        step: Step::Succeeded("InService".into()),
        at: app.now,
    }));
    assert!(app.actions.running.is_empty());
    assert!(matches!(
        press(&mut app, KeyCode::Char('B')),
        Effect::Prepare(_)
    ));
}

#[test]
fn read_only_refuses_before_anything_is_planned() {
    let mut app = demo_app(4, 60);
    app.actions.read_only = true;
    select(&mut app, "recommendation-engine");
    assert!(matches!(press(&mut app, KeyCode::Char('B')), Effect::None));
    assert!(app
        .status
        .as_deref()
        .unwrap_or_default()
        .starts_with("read-only"));
    assert!(app.actions.outbox.is_empty());
}

#[test]
fn a_protected_endpoint_needs_its_exact_name() {
    let mut app = demo_app(4, 60);
    select(&mut app, "demand-forecasting");
    open_rollback(&mut app);
    // Letters go to the name field: y is not a yes here.
    for c in "demand-forecasting-prodx".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(matches!(press(&mut app, KeyCode::Enter), Effect::None));
    assert_eq!(phases(&app), [Phase::Requested, Phase::Cancelled]);
    open_rollback(&mut app);
    for c in "demand-forecasting-prod".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(matches!(
        press(&mut app, KeyCode::Enter),
        Effect::Execute(_)
    ));
}

#[test]
fn plans_for_a_read_the_user_cancelled_are_dropped() {
    let mut app = demo_app(4, 60);
    select(&mut app, "recommendation-engine");
    let Effect::Prepare(req) = press(&mut app, KeyCode::Char('B')) else {
        panic!("no prepare: {:?}", app.status);
    };
    // While the target is read, keys wait; esc gives up on it.
    assert!(matches!(press(&mut app, KeyCode::Char('j')), Effect::None));
    assert!(matches!(app.input, InputMode::Reading { .. }));
    press(&mut app, KeyCode::Esc);
    app.apply(crate::model::update::Update::Planned {
        kind: Kind::Rollback,
        model: "recommendation-engine".into(),
        plans: prepared(plan::rollbacks(&req, None)),
    });
    assert_eq!(
        app.input,
        InputMode::Normal,
        "no dialog for a read given up"
    );
    // Plans nobody asked for open nothing either.
    app.apply(crate::model::update::Update::Planned {
        kind: Kind::Rollback,
        model: "churn-detection".into(),
        plans: prepared(plan::rollbacks(&req, None)),
    });
    assert_eq!(app.input, InputMode::Normal);
    // A read that failed says why, and nothing opens.
    let Effect::Prepare(_) = press(&mut app, KeyCode::Char('B')) else {
        panic!("no prepare: {:?}", app.status);
    };
    app.apply(crate::model::update::Update::Planned {
        kind: Kind::Rollback,
        model: "recommendation-engine".into(),
        plans: Err("sagemaker:DescribeEndpoint failed: throttled".into()),
    });
    assert_eq!(app.input, InputMode::Normal);
    assert_eq!(
        app.status.as_deref(),
        Some("rollback of recommendation-engine refused: sagemaker:DescribeEndpoint failed: throttled")
    );
    open_rollback(&mut app);
}
