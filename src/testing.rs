//! Fixed-seed, fixed-time demo state for snapshot tests, screenshots and benchmarks.

use jiff::{SignedDuration, Timestamp};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::app::{App, Context, Place};
use crate::config::{KeyMap, Theme};
use crate::model::update::Caller;
use crate::model::{Fleet, Rules};
use crate::source::demo::Simulator;
use crate::source::{SourceId, Update};

/// When the fixture's demo starts: a fixed instant, so frames never change by date.
/// A plan that makes `call` and nothing else: for tests of executors.
pub fn plan_of(call: crate::model::action::Call) -> crate::model::action::Plan {
    crate::model::action::Plan::new(crate::model::action::Kind::Rollback, "m", call)
}

/// Who the tests' executors act as: moto's account.
pub fn test_actor() -> crate::model::action::Actor {
    crate::model::action::Actor {
        caller: "arn:aws:iam::123456789012:user/oncall".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        label: None,
    }
}

/// The demo's simulator, for tests of layers that may not name the sources.
pub fn simulator(seed: u64, started: Timestamp, models: usize) -> Simulator {
    Simulator::new(seed, started, models)
}

pub fn demo_start() -> Timestamp {
    Timestamp::from_second(1_795_143_600).unwrap_or(Timestamp::UNIX_EPOCH) // 2026-11-20T03:00:00Z
}

/// The demo app as a user sees it `secs` after start with `models` models: it has
/// seen the fleet at start and every 10 s since (the first 3 min), so the event log
/// is filled in.
pub fn demo_app(models: usize, secs: i64) -> App {
    let start = demo_start();
    let sim = Simulator::new(42, start, models);
    let mut context = Context::new(Place::Demo { seed: 42 });
    context.scopes = sim.scopes();
    let mut app = App::new(context, Rules::default(), KeyMap::default(), start);
    for t in (0..=secs.min(180)).step_by(10).chain([secs]) {
        let at = start + SignedDuration::from_secs(t);
        app.apply(Update::Fleet {
            source: SourceId::Demo,
            fleet: sim.fleet_at(at),
            at,
        });
        app.set_now(at);
    }
    app
}

/// The demo fleet `secs` after start, split the way the AWS sources see it:
/// SageMaker's part (endpoints, training, registry, data) and CloudWatch's (metrics,
/// alarms).
pub fn split_fleet(secs: i64) -> (Fleet, Fleet, Timestamp) {
    let at = demo_start() + SignedDuration::from_secs(secs);
    let whole = Simulator::new(42, demo_start(), 4).fleet_at(at);
    let mut sagemaker = whole.clone();
    let mut cloudwatch = whole;
    for m in &mut sagemaker.models {
        m.metrics.clear();
        m.metrics_at = None;
    }
    sagemaker.alarms.clear();
    for m in &mut cloudwatch.models {
        m.training.clear();
        m.registry.clear();
        m.endpoint = None;
        m.data = None;
    }
    (sagemaker, cloudwatch, at)
}

/// An empty app for an AWS account in us-east-1.
pub fn aws_app(now: Timestamp) -> App {
    let mut app = App::new(
        Context::new(Place::Aws {
            region: "us-east-1".into(),
        }),
        Rules::default(),
        KeyMap::default(),
        now,
    );
    app.apply(Update::Identity(Ok(Caller {
        account: "123456789012".into(),
        arn: "arn:aws:iam::123456789012:role/on-call".into(),
    })));
    app
}

/// A viewer (`--from`) `secs` after the collector wrote: the collector an AWS app
/// that saw the demo fleet's SageMaker and CloudWatch parts 2 minutes in.
pub fn viewer_app(secs: i64) -> App {
    let (sagemaker, cloudwatch, at) = split_fleet(120);
    let mut collector = aws_app(at);
    for (source, fleet) in [
        (SourceId::SageMaker, sagemaker),
        (SourceId::CloudWatch, cloudwatch),
    ] {
        collector.apply(Update::Fleet { source, fleet, at });
    }
    let state = collector.collected_state(std::time::Duration::from_secs(60));
    let context = Context::collected("s3://team-ml/oncall/".into(), &state);
    let now = at + SignedDuration::from_secs(secs);
    let mut viewer = App::new(context, Rules::default(), KeyMap::default(), now);
    viewer.apply(Update::Collected(Ok(Box::new(state))));
    viewer.set_now(now);
    viewer
}

/// Draws `app` into an off-screen terminal of the given size.
pub fn render(app: &App, theme: &Theme, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let _ = terminal.draw(|f| crate::ui::draw(f, app, theme));
    terminal
}

/// `app` with `key` pressed on `model` and the action dialog open on what the
/// demo executor offers (the audit log recorded nothing before).
pub fn with_dialog(mut app: App, model: &str, key: char) -> App {
    use crate::action::DemoExecutor;
    use crate::app::Effect;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    app.open_model(model.into());
    let pressed = app.handle_key(KeyEvent::new(KeyCode::Char(key), KeyModifiers::NONE));
    // A key that plans nothing leaves the app as it is: the caller's assert says why.
    let Effect::Prepare(req) = pressed else {
        return app;
    };
    // The demo executor plans from the simulated fleet at the key's moment (the app's clock).
    let executor = DemoExecutor::new(Simulator::new(42, demo_start(), 8));
    let plans = executor.prepare(&req, None);
    app.apply(Update::Planned {
        kind: req.kind,
        model: model.into(),
        plans,
    });
    // As the event loop does once it has drawn the dialog.
    app.arm_dialog(app.now());
    app
}

/// Plans as an executor's fresh read would hand them to the app: the demo's actor,
/// read now.
pub fn prepared(
    plans: Result<Vec<crate::model::action::Plan>, String>,
) -> Result<crate::model::action::Prepared, String> {
    plans.map(|plans| crate::model::action::Prepared {
        plans,
        actor: crate::action::DemoExecutor::actor(),
        scope: Default::default(),
        differs: None,
        read_at: jiff::Timestamp::now(),
    })
}

/// Summarises captured lines against a baseline CSV sample (with a header), as the
/// S3 source does for each file read: for the capture benchmark. The records counted.
pub fn summarise_capture(baseline_csv: &str, lines: &str) -> u64 {
    use crate::source::aws::s3::capture::reference;
    match reference::sample(baseline_csv, "bench".into()) {
        Ok(r) => r.summarise(lines.lines(), &[]).records,
        Err(_) => 0,
    }
}
