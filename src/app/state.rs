//! The app state and how updates change it. Pure: no I/O, no async, no terminal.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use jiff::Timestamp;

use super::dialog::Actions;
pub use super::mode::InputMode;
use super::rows::Row;
pub use super::view::View;
use crate::config::KeyMap;
pub use crate::model::context::{Context, Place};
use crate::model::events::{self, Event};
use crate::model::merge::merge;
use crate::model::scope::{Feed, ScopeIx};
use crate::model::stages::assess_with_alarms;
use crate::model::update::Update;
use crate::model::{Fleet, Loadable, ModelHealth, Rules, Stage};

/// "90s", "4m", "2h": how long a source has been silent.
pub(super) fn brief(secs: i64) -> String {
    match secs {
        ..120 => format!("{secs}s"),
        120..7200 => format!("{}m", secs / 60),
        _ => format!("{}h", secs / 3600),
    }
}

/// Every model of `fleet` judged as of `at`, each with the alarms on it.
pub(super) fn judge(fleet: &Fleet, rules: &Rules, at: Timestamp) -> BTreeMap<String, ModelHealth> {
    fleet
        .models
        .iter()
        .map(|m| {
            let alarms: Vec<_> = fleet
                .alarms
                .iter()
                .filter(|a| a.model.as_deref() == Some(&m.name))
                .cloned()
                .collect();
            let mut health = assess_with_alarms(m, &alarms, rules, at);
            crate::model::failover::warn_on_drift(m, &mut health);
            (m.name.clone(), health)
        })
        .collect()
}

/// How many events the app remembers.
const EVENT_LOG: usize = 500;

/// Why a source's facts are drawn stale before its first answer this session.
pub const REMEMBERED: &str = "from the last session, refreshing";

#[derive(Debug, Clone)]
pub struct App {
    pub(super) context: Context,
    pub(super) rules: Rules,
    pub(super) keymap: KeyMap,
    /// What each source of each scope last reported (or why it could not).
    pub(super) sources: BTreeMap<Feed, Loadable<Fleet>>,
    /// All sources' facts joined by model name; stale when any source is.
    pub(super) fleet: Loadable<Fleet>,
    /// Derived from `fleet` and `rules` on every update.
    pub(super) health: BTreeMap<String, ModelHealth>,
    /// The models the pipeline and models views list: filtered, worst first.
    pub(super) rows: Vec<Row>,
    pub(super) events: VecDeque<Event>,
    /// Changes this session saw itself; the timeline joins them with the sources'.
    pub(super) seen: super::changes::Seen,
    /// Every change joined to its model, newest first (`rebuild_changes`).
    pub(super) changes: Vec<crate::model::changes::Change>,
    /// Set while the screen shows the recorded past instead of the live fleet.
    pub(super) past: Option<super::past::Past>,
    /// Stages a source's partial answer has not filled yet, by source.
    pub(super) pending: BTreeMap<Feed, Vec<Stage>>,
    /// Sources drawn from a past session's facts, until their first answer.
    pub(super) remembered: BTreeSet<Feed>,
    pub(super) view: View,
    /// Where Back goes from the detail view.
    pub(super) parent: View,
    /// The model the detail view shows.
    pub(super) detail: Option<String>,
    /// The trace the waterfall view shows.
    pub(super) trace: Option<String>,
    /// Cursor in the current list, and the model it is on (so it follows re-sorting).
    pub(super) cursor: usize,
    pub(super) selected: Option<String>,
    pub(super) filter: String,
    pub(super) input: InputMode,
    pub(super) help: bool,
    /// A one-line message for the user, e.g. an unknown command.
    pub(super) status: Option<String>,
    /// The user asked for a refresh that has not answered yet.
    pub(super) refreshing: bool,
    /// AWS requests made this session, keyed "Service:Operation" (empty in the demo).
    pub(super) api_calls: std::collections::BTreeMap<String, u64>,
    /// The same, per scope.
    pub(super) calls_by_scope: BTreeMap<ScopeIx, BTreeMap<String, u64>>,
    /// The time the UI renders ages against; set by the event loop, fixed in tests.
    pub(super) now: Timestamp,
    /// Rows a page-up/down moves; set by the event loop from the terminal size.
    pub(super) page: usize,
    /// Action keys: read-only, in flight, audit lines to write.
    pub(super) actions: Actions,
    pub(super) quit: bool,
}

/// What the event loop and the keys set.
impl App {
    /// The event loop's clock tick; tests fix it. Facts that have grown old turn
    /// stale here, even when their source has gone silent.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
        self.age_sources();
    }

    /// A source that has not answered for three of its intervals is stale: its
    /// facts are never drawn as fresh however it failed (a hung connection, a dead
    /// task).
    fn age_sources(&mut self) {
        // A viewer's sources are the collector's: its age says how old they are.
        if self.context.collector.is_some() {
            if self.age_collector() {
                self.refresh_rows();
            }
            return;
        }
        let mut aged = false;
        let feeds: Vec<Feed> = self.sources.keys().copied().collect();
        for feed in feeds {
            let Some(every) = self.context.intervals.get(&feed.source) else {
                continue;
            };
            let Some(Loadable::Ready { at, .. }) = self.sources.get(&feed) else {
                continue;
            };
            let silent = self.now.duration_since(*at).as_secs();
            let limit = i64::try_from(every.as_secs().saturating_mul(3)).unwrap_or(i64::MAX);
            if silent <= limit {
                continue;
            }
            let why = format!(
                "no answer for {} (it asks every {}); still trying",
                brief(silent),
                brief(i64::try_from(every.as_secs()).unwrap_or(i64::MAX))
            );
            if let Some(last) = self.sources.remove(&feed) {
                self.sources.insert(feed, last.fail(why));
                aged = true;
            }
        }
        if aged {
            self.rederive(self.now, &[]);
            self.refresh_rows();
        }
    }

    /// Rows a page-up/down moves, from the terminal's height.
    pub fn set_page(&mut self, rows: usize) {
        self.page = rows.max(1);
    }

    /// A termination signal: leave like `q` does.
    pub fn quit(&mut self) {
        self.quit = true;
    }

    /// How actions may run this session: `--read-only`, or blocked because the
    /// audit log cannot be opened.
    pub fn restrict_actions(&mut self, read_only: bool, blocked: Option<String>) {
        self.actions.read_only = read_only;
        self.actions.blocked = blocked;
    }

    /// Something to say on the status line until the next key (a warning at start).
    pub fn notify(&mut self, line: String) {
        self.status = Some(line);
    }

    /// Audit lines waiting to be written, handed to the writer.
    pub fn take_audit_lines(&mut self) -> Vec<crate::action::Record> {
        std::mem::take(&mut self.actions.outbox)
    }
}

impl App {
    pub fn new(context: Context, rules: Rules, keymap: KeyMap, now: Timestamp) -> App {
        App {
            context,
            rules,
            keymap,
            sources: BTreeMap::new(),
            fleet: Loadable::Loading,
            health: BTreeMap::new(),
            rows: Vec::new(),
            events: VecDeque::new(),
            seen: Default::default(),
            changes: Vec::new(),
            past: None,
            pending: BTreeMap::new(),
            remembered: BTreeSet::new(),
            view: View::Pipeline,
            parent: View::Pipeline,
            detail: None,
            trace: None,
            cursor: 0,
            selected: None,
            filter: String::new(),
            input: InputMode::Normal,
            help: false,
            status: None,
            refreshing: false,
            api_calls: BTreeMap::new(),
            calls_by_scope: BTreeMap::new(),
            now,
            page: 10,
            actions: Default::default(),
            quit: false,
        }
    }

    /// Applies one update from a source: new facts, re-derived health, new events.
    pub fn apply(&mut self, update: Update) {
        self.apply_in(0, update);
    }

    /// `apply` for an update from the sources of the `scope`-th account and region.
    fn apply_in(&mut self, scope: ScopeIx, update: Update) {
        if matches!(
            update,
            Update::Fleet { .. } | Update::Failed { .. } | Update::Collected(_)
        ) {
            self.refreshing = false;
        }
        // What the timeline is built from: facts, and the actions' steps.
        let timeline = !matches!(
            update,
            Update::Identity(_)
                | Update::ApiCalls(_)
                | Update::Recalled(_)
                | Update::Exported(_)
                | Update::CollectedUnchanged
        );
        // Request counts (every 2 s) change no row.
        let rows_unchanged = matches!(update, Update::ApiCalls(_) | Update::CollectedUnchanged);
        match update {
            Update::Keyed { scope, update } => {
                // Where that account and region is in the list now, if anywhere.
                let Some(ix) = self.context.scopes.iter().position(|s| s.key() == scope) else {
                    tracing::info!("an update for {} dropped: no such scope now", scope.name());
                    return;
                };
                let scope = ScopeIx::try_from(ix).unwrap_or(ScopeIx::MAX);
                return self.apply_in(0, Update::Scoped { scope, update });
            }
            Update::Scoped { scope, mut update } => {
                // Facts say which account and region they are from before they join.
                if let Update::Fleet { fleet, .. }
                | Update::Partial { fleet, .. }
                | Update::Remembered { fleet, .. } = update.as_mut()
                {
                    crate::model::scope::mark(fleet, scope);
                }
                return self.apply_in(scope, *update);
            }
            Update::Fleet { source, fleet, at } => {
                let feed = Feed::new(source, scope);
                let first = self.sources.get(&feed).and_then(Loadable::data).is_none()
                    || self.remembered.remove(&feed);
                let filled = self.pending.remove(&feed).unwrap_or_default();
                self.sources
                    .insert(feed, Loadable::Ready { data: fleet, at });
                // A source's first answer fills stages that were unknown: not news.
                let quiet = if first { source.feeds() } else { &filled };
                let before = self.rederive(at, quiet);
                // A source's first answer is what is, not what changed.
                if !first {
                    self.observe(before.data(), at);
                }
            }
            Update::Partial {
                source,
                fleet,
                at,
                pending,
            } => {
                let feed = Feed::new(source, scope);
                // Only a first answer comes in part: it never replaces a whole one.
                if self.sources.get(&feed).and_then(Loadable::data).is_none() {
                    self.sources
                        .insert(feed, Loadable::Ready { data: fleet, at });
                    self.pending.insert(feed, pending);
                    self.rederive(at, source.feeds());
                }
            }
            Update::Remembered { source, fleet, at } => {
                let feed = Feed::new(source, scope);
                // Only until the source's first answer this session.
                if self.sources.get(&feed).and_then(Loadable::data).is_none() {
                    let why = REMEMBERED.to_string();
                    self.sources.insert(
                        feed,
                        Loadable::Stale {
                            data: fleet,
                            at,
                            why,
                        },
                    );
                    self.remembered.insert(feed);
                    self.rederive(at, source.feeds());
                }
            }
            Update::Identity(who) => self.context.identified(scope, who),
            Update::Collected(state) => self.collected(state),
            Update::CollectedUnchanged => self.collected_unchanged(),
            Update::Planned { kind, model, plans } => self.planned(kind, model, plans),
            Update::Action(progress) => self.progressed(progress),
            Update::AuditFailed(why) => self.audit_failed(why),
            Update::Recalled(Ok((at, fleet))) => self.show_past(at, fleet),
            Update::Recalled(Err(why)) => self.status = Some(why),
            Update::Exported(Ok(path)) => {
                self.status = Some(format!("incident report written: {path}"));
            }
            Update::Exported(Err(why)) => {
                self.status = Some(format!("incident report not written: {why}"));
            }
            Update::ApiCalls(counts) => self.counted(scope, counts),
            Update::Failed { source, why, at } => {
                let feed = Feed::new(source, scope);
                self.pending.remove(&feed);
                let last = self.sources.remove(&feed).unwrap_or(Loadable::Loading);
                self.sources.insert(feed, last.fail(why));
                self.rederive(at, &[]);
            }
        }
        if timeline {
            self.rebuild_changes();
        }
        if !rows_unchanged {
            self.refresh_rows();
        }
    }

    /// Joins the sources' facts again and re-judges every model; health changes become
    /// events, except on the `quiet` stages. Returns the fleet it replaced.
    pub(super) fn rederive(&mut self, at: Timestamp, quiet: &[Stage]) -> Loadable<Fleet> {
        // The past on screen stays; the sources' facts are joined on the way back.
        if self.past.is_some() {
            return Loadable::Loading;
        }
        let merged = self.merged();
        let before = std::mem::replace(&mut self.fleet, merged);
        let Some(fleet) = self.fleet.data() else {
            return before;
        };
        let health = judge(fleet, &self.rules, at);
        for (name, after) in &health {
            let found = events::changes(name, self.health.get(name), after, at);
            for e in found {
                if !e.stage.is_some_and(|s| quiet.contains(&s)) {
                    self.push_event(e);
                }
            }
        }
        self.health = health;
        before
    }

    /// Every source's data joined; stale (with each failing source's reason) when any
    /// source failed, as old as the oldest answer. Models seen in two regions of one
    /// account become one row with its pair.
    fn merged(&self) -> Loadable<Fleet> {
        let problems = self.problem_lines();
        let oldest = self
            .sources
            .values()
            .filter_map(|l| match l {
                Loadable::Ready { at, .. } | Loadable::Stale { at, .. } => Some(*at),
                Loadable::Loading | Loadable::Failed { .. } => None,
            })
            .min();
        let Some(at) = oldest else {
            return match problems.is_empty() {
                true => Loadable::Loading,
                false => Loadable::Failed {
                    why: problems.join("; "),
                },
            };
        };
        let mut data = merge(
            self.sources.values().filter_map(Loadable::data),
            &self.rules.names,
        );
        let scopes = &self.context.scopes;
        crate::model::failover::pair(&mut data, scopes, self.now);
        crate::model::scope::qualify(&mut data, scopes);
        match problems.is_empty() {
            true => Loadable::Ready { data, at },
            false => Loadable::Stale {
                data,
                at,
                why: problems.join("; "),
            },
        }
    }

    /// AWS requests of one scope: the totals are the sum over scopes.
    fn counted(&mut self, scope: ScopeIx, counts: BTreeMap<String, u64>) {
        self.calls_by_scope.insert(scope, counts);
        let mut total: BTreeMap<String, u64> = BTreeMap::new();
        for counts in self.calls_by_scope.values() {
            for (op, n) in counts {
                *total.entry(op.clone()).or_default() += n;
            }
        }
        self.api_calls = total;
    }

    /// AWS requests per scope, for `:stats`.
    pub fn calls_by_scope(&self) -> &BTreeMap<ScopeIx, BTreeMap<String, u64>> {
        &self.calls_by_scope
    }

    pub(super) fn push_event(&mut self, e: Event) {
        self.observe_action(&e);
        self.events.push_front(e);
        self.events.truncate(EVENT_LOG);
    }
}
