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
        // A recorded time can be anything a file said: no step may overflow.
        match back {
            true => from.checked_sub(STEP).ok(),
            false => from
                .checked_add(STEP)
                .ok()
                .filter(|t| self.now.checked_sub(STEP / 2).is_ok_and(|live| *t < live)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::update::{SourceId, Update};
    use crate::model::Health;
    use crate::testing::{demo_app, demo_start, simulator};

    #[test]
    fn the_past_is_shown_whole_live_answers_wait_and_esc_brings_them_back() {
        let mut app = demo_app(6, 120);
        let sim = simulator(42, demo_start(), 6);
        let live_now = app.now();
        assert_eq!(app.health()["recommendation-engine"].overall, Health::Crit);
        // Five seconds in, before the bad deploy.
        let then = demo_start() + SignedDuration::from_secs(5);
        app.show_past(then, sim.fleet_at(then));
        assert_eq!(app.past(), Some(then));
        assert_eq!(app.now(), then);
        assert_eq!(app.health()["recommendation-engine"].overall, Health::Ok);
        assert!(app.changes().iter().all(|c| c.time <= then));
        // A live answer arrives meanwhile: the past stays on screen.
        let later = live_now + SignedDuration::from_secs(10);
        app.apply(Update::Fleet {
            source: SourceId::Demo,
            fleet: sim.fleet_at(later),
            at: later,
        });
        assert_eq!(app.health()["recommendation-engine"].overall, Health::Ok);
        assert_eq!(app.scrub_target(true), Some(then - STEP));
        // Forward from just before now is live again.
        assert_eq!(app.scrub_target(false), None);
        app.go_live();
        assert_eq!(app.past(), None);
        assert_eq!(app.health()["recommendation-engine"].overall, Health::Crit);
        assert!(app
            .changes()
            .iter()
            .any(|c| c.what.starts_with("UpdateEndpoint")));
    }
}
