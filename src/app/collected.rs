//! A viewer's facts: the states a collector writes to S3. Each state replaces what
//! every source of every scope reported, unless the viewer has fresher facts of its
//! own (it looked again after an action); a collector that stopped writing turns
//! everything stale by age.

use jiff::Timestamp;

use super::state::{App, Place};
use crate::model::collected::{Collected, Collector, CollectorView, FeedState};
use crate::model::scope::{Scope, ScopeIx};
use crate::model::{Loadable, Stage};

/// How many recent events a state carries and a viewer takes in when it opens.
const EVENTS_TAKEN: usize = 200;

impl App {
    /// The collector's newest state, or why it could not be read.
    pub(super) fn collected(&mut self, state: Result<Box<Collected>, String>) {
        let state = match state {
            Ok(state) => state,
            Err(why) => return self.collector_unreadable(why),
        };
        let view = self
            .context
            .collector
            .get_or_insert_with(CollectorView::default);
        // After a failed read the state is shown again, even the same one.
        let recovering = view.problem.take().is_some();
        if !recovering && view.written_at.is_some_and(|w| w >= state.written_at) {
            // The pointer still names the state already shown.
            self.age_collector();
            return;
        }
        let first = view.written_at.is_none();
        view.written_at = Some(state.written_at);
        view.collector = state.collector.clone();
        let Collected {
            written_at,
            scopes,
            intervals,
            feeds,
            events,
            ..
        } = *state;
        let before: Vec<_> = self.context.scopes.iter().map(Scope::key).collect();
        self.adopt_scopes(scopes);
        let after: Vec<_> = self.context.scopes.iter().map(Scope::key).collect();
        self.context.intervals = intervals
            .into_iter()
            .map(|(source, secs)| (source, std::time::Duration::from_secs(secs)))
            .collect();
        // A scope's number is its place in this state's list: facts kept under a
        // number that now names another account or region (the collector's list
        // reordered) are not that scope's, and a feed the state no longer carries
        // is gone.
        let same_scope = |ix: ScopeIx| {
            let ix = usize::from(ix);
            before.get(ix).is_some() && before.get(ix) == after.get(ix)
        };
        let carried: std::collections::BTreeSet<_> = feeds.iter().map(FeedState::feed).collect();
        self.sources
            .retain(|feed, _| carried.contains(feed) && same_scope(feed.scope));
        for f in &feeds {
            let feed = f.feed();
            let newer_here = matches!(
                self.sources.get(&feed),
                Some(Loadable::Ready { at, .. }) if f.at.is_none_or(|theirs| *at > theirs)
            );
            if !newer_here {
                self.sources.insert(feed, f.loadable());
            }
        }
        if first {
            self.events.extend(events.into_iter().take(EVENTS_TAKEN));
        }
        // What the collector's first state shows is what is, not what changed.
        let quiet: &[Stage] = if first { &Stage::ALL } else { &[] };
        let before = self.rederive(written_at, quiet);
        if !first {
            self.observe(before.data(), written_at);
        }
        self.age_collector();
    }

    /// A refresh the user asked for found no newer state: say so rather than wait.
    pub(super) fn collected_unchanged(&mut self) {
        if !std::mem::take(&mut self.refreshing) {
            return;
        }
        let Some(view) = &self.context.collector else {
            return;
        };
        let written = view.written_at.map_or("?".into(), |w| {
            crate::model::format::age(self.now.duration_since(w))
        });
        self.status = Some(format!(
            "no newer state yet: the collector wrote {written} ago and writes every {}s",
            view.collector.every_seconds
        ));
    }

    /// The collector's accounts and regions, with who this viewer is in each where
    /// the viewer's own STS already answered for the same account and region.
    fn adopt_scopes(&mut self, scopes: Vec<Scope>) {
        let mine = std::mem::take(&mut self.context.scopes);
        self.context.scopes = scopes
            .into_iter()
            .map(|theirs| {
                let own = mine
                    .iter()
                    .find(|m| m.label == theirs.label && m.region == theirs.region);
                Scope {
                    // Actions are the viewer's: never the collector's caller.
                    caller: own.and_then(|m| m.caller.clone()),
                    account: theirs.account.or_else(|| own?.account.clone()),
                    ..theirs
                }
            })
            .collect();
    }

    /// The newest state could not be read: what is shown stays, marked with why.
    fn collector_unreadable(&mut self, why: String) {
        let view = self
            .context
            .collector
            .get_or_insert_with(CollectorView::default);
        let why = format!("collector's state at {} unreadable: {why}", view.location);
        view.problem = Some(why.clone());
        self.fail_every_source(&why);
    }

    /// A collector silent past three of its writes: every fact turns stale, saying
    /// so. Whether anything changed.
    pub(super) fn age_collector(&mut self) -> bool {
        let Some(view) = &self.context.collector else {
            return false;
        };
        let Some(written) = view.written_at else {
            return false;
        };
        let age = self.now.duration_since(written).as_secs();
        if age <= view.stale_after() {
            return false;
        }
        let why = format!(
            "the collector's last state is {} old (it writes every {}s): is `mlopsdash collect` still running?",
            super::state::brief(age),
            view.collector.every_seconds
        );
        self.fail_every_source(&why)
    }

    fn fail_every_source(&mut self, why: &str) -> bool {
        let mut changed = false;
        for state in self.sources.values_mut() {
            let already = matches!(state, Loadable::Stale { why: w, .. } | Loadable::Failed { why: w } if w == why);
            if !already {
                let last = std::mem::replace(state, Loadable::Loading);
                *state = last.fail(why.to_string());
                changed = true;
            }
        }
        if changed {
            self.rederive(self.now, &[]);
        }
        changed
    }

    /// This app's state as a collector writes it: every source's answer per scope,
    /// the recent events, who wrote it, and that it writes every `every`.
    pub fn collected_state(&self, every: std::time::Duration) -> Collected {
        let context = &self.context;
        let collector = Collector {
            version: env!("CARGO_PKG_VERSION").to_string(),
            region: context.region().map(str::to_string),
            account: context.account.clone(),
            demo_seed: match context.place {
                Place::Demo { seed } => Some(seed),
                Place::Aws { .. } => None,
            },
            every_seconds: every.as_secs(),
            errors: self.problem_lines(),
        };
        Collected {
            written_at: self.now(),
            collector,
            scopes: context.scopes.clone(),
            intervals: context
                .intervals
                .iter()
                .map(|(source, d)| (*source, d.as_secs()))
                .collect(),
            feeds: self
                .sources
                .iter()
                .filter_map(|(feed, state)| FeedState::of(*feed, state))
                .collect(),
            events: self.events.iter().take(EVENTS_TAKEN).cloned().collect(),
        }
    }

    /// Whether the facts come from a collector (`--from`), not from this process.
    pub fn from_collector(&self) -> bool {
        self.context.collector.is_some()
    }

    /// When the collector wrote the state on screen.
    pub fn collected_at(&self) -> Option<Timestamp> {
        self.context.collector.as_ref()?.written_at
    }
}
