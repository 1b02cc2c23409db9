//! The recorded past without the live sources: `--at TIME` on the dashboard and on
//! `snapshot`, and the headless `export`. No AWS call is made: the place's past is
//! found on disk (the demo's by its seed, an account's by the region, the account
//! written last).

use std::path::PathBuf;

use jiff::Timestamp;

use crate::app::{App, Context, Place};
use crate::config::{HistoryConfig, KeyMap};
use crate::model::Rules;
use crate::source::history::{self, History};

/// Where the place's past is kept, and the account it belongs to (AWS).
pub fn past_dir(
    config: &HistoryConfig,
    place: &Place,
) -> Result<(PathBuf, Option<String>), String> {
    let found = match place {
        Place::Demo { seed } => {
            history::dir_for(config, "demo", &format!("seed-{seed}")).map(|d| (d, None))
        }
        Place::Aws { region } => {
            history::latest_account(config, region).map(|(account, d)| (d, Some(account)))
        }
    };
    found.filter(|(d, _)| d.is_dir()).ok_or_else(|| {
        "no recorded history for this place yet: run the dashboard first ([history] enabled)"
            .to_string()
    })
}

/// An app showing the fleet as recorded at `at` (or the record just before).
pub fn recorded_app(
    mut context: Context,
    rules: Rules,
    keymap: KeyMap,
    config: &HistoryConfig,
    at: Timestamp,
) -> Result<App, String> {
    let (dir, account) = past_dir(config, &context.place)?;
    context.account = account;
    let store = History::read_only(&dir, config).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (when, fleet) = store.fleet_at(at).ok_or_else(|| {
        let times = store.times();
        match (times.first(), times.last()) {
            (Some(a), Some(b)) => format!(
                "nothing recorded at or before {at} in {}: it holds {a} to {b}",
                dir.display()
            ),
            _ => format!("nothing recorded in {}", dir.display()),
        }
    })?;
    let mut app = App::new(context, rules, keymap, when);
    app.show_past(when, fleet);
    Ok(app)
}

/// An app showing a collector's state as the past it is (`--from … --at`): joined
/// and judged as of when it was written, actions refused, no live fleet behind it.
pub fn collected_app(
    context: Context,
    rules: Rules,
    keymap: KeyMap,
    state: &crate::model::collected::Collected,
) -> App {
    let when = state.written_at;
    let mut joined = App::new(context.clone(), rules.clone(), keymap.clone(), when);
    joined.apply(crate::model::update::Update::Collected(Ok(Box::new(
        state.clone(),
    ))));
    let fleet = joined.fleet().data().cloned().unwrap_or_default();
    let mut app = App::new(context, rules, keymap, when);
    app.show_past(when, fleet);
    app
}
