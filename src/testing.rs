//! Fixed-seed, fixed-time demo state for snapshot tests, screenshots and benchmarks.

use jiff::{SignedDuration, Timestamp};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use crate::app::{App, Context, Place};
use crate::config::{KeyMap, Theme};
use crate::model::Rules;
use crate::source::demo::Simulator;
use crate::source::{SourceId, Update};

/// When the fixture's demo starts: a fixed instant, so frames never change by date.
pub fn demo_start() -> Timestamp {
    Timestamp::from_second(1_795_143_600).unwrap_or(Timestamp::UNIX_EPOCH) // 2026-11-20T03:00:00Z
}

/// The demo app as a user sees it `secs` after start with `models` models: it has
/// seen the fleet at start and every 10 s since (the first 3 min), so the event log
/// is filled in.
pub fn demo_app(models: usize, secs: i64) -> App {
    let start = demo_start();
    let sim = Simulator::new(42, start, models);
    let mut app = App::new(
        Context::new(Place::Demo { seed: 42 }),
        Rules::default(),
        KeyMap::default(),
        start,
    );
    for t in (0..=secs.min(180)).step_by(10).chain([secs]) {
        let at = start + SignedDuration::from_secs(t);
        app.apply(Update::Fleet {
            source: SourceId::Demo,
            fleet: sim.fleet_at(at),
            at,
        });
        app.now = at;
    }
    app
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
