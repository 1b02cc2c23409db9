//! Rendering cost of the pipeline view for fleets of 10, 100 and 1,000 models into a
//! 200x60 buffer: the work done on every frame. For comparison over time; no asserts.
#![allow(clippy::expect_used)]

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use mlopsdash::config::Theme;
use mlopsdash::testing::demo_app;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn pipeline(c: &mut Criterion) {
    let theme = Theme::load("dark").expect("built-in theme");
    let mut group = c.benchmark_group("render_pipeline_200x60");
    for models in [10, 100, 1000] {
        let app = demo_app(models, 120);
        let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
        group.bench_with_input(BenchmarkId::from_parameter(models), &app, |b, app| {
            b.iter(|| {
                terminal
                    .draw(|f| mlopsdash::ui::draw(f, app, &theme))
                    .expect("draw");
            })
        });
    }
    group.finish();
}

fn detail(c: &mut Criterion) {
    let theme = Theme::load("dark").expect("built-in theme");
    let mut app = demo_app(4, 120);
    app.open_model("demand-forecasting".into());
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    c.bench_function("render_detail_200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| mlopsdash::ui::draw(f, &app, &theme))
                .expect("draw");
        })
    });
}

fn apply_update(c: &mut Criterion) {
    use mlopsdash::source::demo::Simulator;
    use mlopsdash::source::{SourceId, Update};
    let start = mlopsdash::testing::demo_start();
    let mut group = c.benchmark_group("simulate_and_apply");
    for models in [10, 100, 1000] {
        let sim = Simulator::new(42, start, models);
        let mut app = demo_app(models, 0);
        group.bench_with_input(BenchmarkId::from_parameter(models), &models, |b, _| {
            b.iter(|| {
                let at = start + jiff::SignedDuration::from_secs(60);
                app.apply(Update::Fleet {
                    source: SourceId::Demo,
                    fleet: sim.fleet_at(at),
                    at,
                });
            })
        });
    }
    group.finish();
}

criterion_group!(benches, pipeline, detail, apply_update);
criterion_main!(benches);
