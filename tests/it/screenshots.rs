//! `screenshots/*.svg` are real frames of the demo, made by this test. It fails when
//! they no longer match what the views draw; `UPDATE_SCREENSHOTS=1 cargo test` renews them.

use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mlopsdash::app::View;
use mlopsdash::config::Theme;
use mlopsdash::testing::{demo_app, render};
use mlopsdash::ui::svg;

fn check(name: &str, app: &mlopsdash::app::App, w: u16, h: u16) {
    let theme = Theme::load("dark").unwrap();
    let image = svg::render(render(app, &theme, w, h).backend().buffer());
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("screenshots")
        .join(format!("{name}.svg"));
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, image).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == image,
        "{} is out of date: run `UPDATE_SCREENSHOTS=1 cargo test screenshots` and look at it",
        path.display()
    );
}

#[test]
fn screenshots_match_the_views() {
    let app = demo_app(5, 120);
    check("pipeline", &app, 120, 30);
    let mut outside = app.clone();
    outside.open_model("fraud-scoring".into());
    check("pipelines", &outside, 140, 45);
    let mut detail = app.clone();
    detail.open_model("demand-forecasting".into());
    check("detail", &detail, 140, 45);
    let mut alarms = app.clone();
    alarms.show(View::Alarms);
    check("alarms", &alarms, 120, 14);
    let mut models = app.clone();
    models.show(View::Models);
    check("models", &models, 150, 12);
    let mut traces = app.clone();
    traces.show(View::Traces);
    traces.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    check("waterfall", &traces, 140, 12);
    let mut cost = app.clone();
    cost.show(View::Cost);
    check("cost", &cost, 120, 30);
    let rollback = mlopsdash::testing::with_dialog(app, "recommendation-engine", 'B');
    check("rollback", &rollback, 120, 30);
    let mut ecs = demo_app(6, 120);
    ecs.open_model("upsell-api".into());
    check("ecs", &ecs, 140, 45);
    let mut changes = demo_app(6, 120);
    changes.show(View::Changes);
    check("changes", &changes, 140, 24);
    let mut deploy = demo_app(6, 120);
    deploy.open_model("recommendation-engine".into());
    check("deploy", &deploy, 160, 48);
    let mut kserve = demo_app(8, 120);
    kserve.open_model("credit-risk".into());
    check("kserve", &kserve, 140, 45);
}
