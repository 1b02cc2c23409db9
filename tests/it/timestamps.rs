//! Any time a document or a server may carry — from year -9999 to 9999, a deploy at
//! the start of time, a metric point in the far future — never panics the detail
//! view, `snapshot --json` or an export: every timestamp of a real fleet is replaced
//! by arbitrary ones, and all three are made from it.

use jiff::Timestamp;
use mlopsdash::app::View;
use mlopsdash::config::Theme;
use mlopsdash::model::update::{SourceId, Update};
use mlopsdash::model::Fleet;
use proptest::prelude::*;

/// Every string of `v` that reads as a time, replaced by the next of `times`.
fn retime(v: &mut serde_json::Value, times: &mut impl Iterator<Item = Timestamp>) {
    use serde_json::Value;
    match v {
        Value::String(s) if s.parse::<Timestamp>().is_ok() => {
            if let Some(t) = times.next() {
                *s = t.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| retime(i, times)),
        Value::Object(map) => map.values_mut().for_each(|i| retime(i, times)),
        _ => {}
    }
}

fn any_time() -> impl Strategy<Value = Timestamp> {
    let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    prop_oneof![
        (min..=max).prop_map(|s| Timestamp::from_second(s).unwrap()),
        Just(Timestamp::MIN),
        Just(Timestamp::MAX),
        (-100_000i64..100_000).prop_map(|s| Timestamp::from_second(1_795_143_600 + s).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn arbitrary_times_never_panic_the_detail_view_the_snapshot_or_an_export(
        times in proptest::collection::vec(any_time(), 64),
        now in any_time(),
        at in any_time(),
    ) {
        let mut app = mlopsdash::testing::demo_app(6, 120);
        let real = app.fleet().data().cloned().unwrap_or_default();
        let mut v = serde_json::to_value(&real).unwrap();
        let mut cycle = times.iter().copied().cycle();
        retime(&mut v, &mut cycle);
        let fleet: Fleet = serde_json::from_value(v).unwrap();
        let names: Vec<String> = fleet.models.iter().map(|m| m.name.clone()).collect();
        app.apply(Update::Fleet { source: SourceId::Demo, fleet, at });
        app.set_now(now);
        let theme = Theme::load("dark").unwrap();
        for name in &names {
            app.open_model(name.clone());
            prop_assert_eq!(app.view(), View::Detail);
            mlopsdash::testing::render(&app, &theme, 160, 48);
            mlopsdash::testing::render(&app, &theme, 80, 24);
        }
        let gathered = mlopsdash::snapshot::Gathered { app: app.clone(), errors: Vec::new() };
        let snap = mlopsdash::snapshot::Snapshot::new(&gathered, Default::default());
        serde_json::to_string(&snap).unwrap();
        mlopsdash::snapshot::render_text(&snap);
        if let Some(first) = names.first() {
            let report = mlopsdash::run::export::Report::of(&app, first, Some(at), &theme);
            prop_assert!(report.is_some());
        }
    }
}
