//! The recorded past on screen: the fleet as it was at a moment, every view drawn
//! from it and the header saying so, while the live sources keep answering behind it
//! (their facts wait in `sources` and are joined again on the way back). Actions are
//! refused in the past: what they would act on is not what is there now.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::state::App;
use crate::model::changes::Change;
use crate::model::{Fleet, Loadable, ModelHealth};

/// How far one press of `<` or `>` moves.
pub const STEP: SignedDuration = SignedDuration::from_mins(5);

#[derive(Debug, Clone)]
pub struct Past {
    /// When the fleet shown was recorded.
    pub at: Timestamp,
    /// The live state to return to; None when the session started in the past
    /// (`--at`) and has no live sources.
    live: Option<Live>,
}

#[derive(Debug, Clone)]
struct Live {
    fleet: Loadable<Fleet>,
    health: BTreeMap<String, ModelHealth>,
    changes: Vec<Change>,
}

impl App {
    /// The moment shown, when it is the past.
    pub fn past(&self) -> Option<Timestamp> {
        self.past.as_ref().map(|p| p.at)
    }

    /// The wall clock, whatever moment is shown.
    pub fn live_now(&self) -> Timestamp {
        self.now
    }

    /// Where `<` (`back`) or `>` goes from what is shown: None for live.
    pub(super) fn scrub_target(&self, back: bool) -> Option<Timestamp> {
        let from = self.past().unwrap_or(self.now);
        match back {
            true => Some(from - STEP),
            false => Some(from + STEP).filter(|t| *t < self.now - STEP / 2),
        }
    }

    /// Shows `fleet` as recorded at `at`, judged as of then.
    pub fn show_past(&mut self, at: Timestamp, fleet: Fleet) {
        let live = match self.past.take() {
            Some(p) => p.live,
            None if self.live_sources() => Some(Live {
                fleet: std::mem::replace(&mut self.fleet, Loadable::Loading),
                health: std::mem::take(&mut self.health),
                changes: std::mem::take(&mut self.changes),
            }),
            None => None,
        };
        self.health = super::state::judge(&fleet, &self.rules, at);
        self.fleet = Loadable::Ready { data: fleet, at };
        self.past = Some(Past { at, live });
        self.rebuild_changes();
        self.refresh_rows();
    }

    /// Back to the live fleet, joined again from what the sources said meanwhile.
    pub fn go_live(&mut self) {
        let Some(past) = self.past.take() else {
            return;
        };
        match past.live {
            Some(live) => {
                self.fleet = live.fleet;
                self.health = live.health;
                self.changes = live.changes;
                self.rederive(self.now, &[]);
                self.rebuild_changes();
            }
            // Started in the past: there is no live fleet to go back to.
            None => {
                self.past = Some(past);
                self.status = Some("started with --at: no live fleet (restart without it)".into());
                return;
            }
        }
        self.status = Some("live again".into());
        self.refresh_rows();
    }

    /// Whether any source has answered: a session started with `--at` has none.
    fn live_sources(&self) -> bool {
        !self.sources.is_empty()
    }
}
