//! Actions as state: the dialog a key opens and what the app keeps of actions
//! (read-only, in flight, audit lines waiting to be written).

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::action::Record;
use crate::model::action::{Actor, Kind, Plan, Prepared, Progress};
use crate::model::scope::ScopeKey;

/// The action dialog: the choices (never none: `open` refuses an empty list), the
/// highlighted one, the name typed so far, and what the fresh read behind them said.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub kind: Kind,
    first: Plan,
    rest: Vec<Plan>,
    cursor: usize,
    pub typed: String,
    /// Who sends the call, as STS just said.
    pub actor: Actor,
    pub scope: ScopeKey,
    /// How the screen differed from the fresh read.
    pub differs: Option<String>,
    pub read_at: Timestamp,
    /// None until the dialog has been drawn: keys typed before the user could see
    /// it (a y pressed while it opened) are dropped, never taken as an answer.
    pub armed: Option<Timestamp>,
}

impl Dialog {
    /// A dialog on what was prepared, the first choice highlighted; None when there
    /// is nothing to choose.
    pub fn open(kind: Kind, prepared: Prepared) -> Option<Dialog> {
        let mut plans = prepared.plans.into_iter();
        Some(Dialog {
            kind,
            first: plans.next()?,
            rest: plans.collect(),
            cursor: 0,
            typed: String::new(),
            actor: prepared.actor,
            scope: prepared.scope,
            differs: prepared.differs,
            read_at: prepared.read_at,
            armed: None,
        })
    }

    /// The highlighted choice.
    pub fn plan(&self) -> &Plan {
        match self.cursor.checked_sub(1) {
            Some(i) => self.rest.get(i).unwrap_or(&self.first),
            None => &self.first,
        }
    }

    pub fn plans(&self) -> impl Iterator<Item = &Plan> {
        std::iter::once(&self.first).chain(&self.rest)
    }

    /// How many choices (at least one).
    pub fn choices(&self) -> usize {
        1 + self.rest.len()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn down(&mut self) {
        self.cursor = (self.cursor + 1).min(self.rest.len());
    }

    pub fn up(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }
}

#[derive(Debug, Clone, Default)]
pub struct Actions {
    /// `--read-only` or `[actions] read_only`: every action key says no.
    pub read_only: bool,
    /// Why actions cannot run at all (the audit log cannot be opened).
    pub blocked: Option<String>,
    /// Actions under way, by the resource they change.
    pub running: BTreeMap<String, Progress>,
    /// Audit lines for the event loop to write (requested, cancelled).
    pub outbox: Vec<Record>,
}
