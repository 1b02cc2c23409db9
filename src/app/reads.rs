//! What the views read of the app state: the derived facts and the UI's own state,
//! read-only outside the app.

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use super::dialog::Actions;
use super::rows::Row;
use super::state::{App, Context, InputMode, View};
use crate::config::KeyMap;
use crate::model::events::Event;
use crate::model::scope::Feed;
use crate::model::{Fleet, Loadable, ModelHealth, Rules};

/// Derived state, read-only outside the app: only updates change it.
impl App {
    /// What each source of each scope last reported (or why it could not).
    pub fn sources(&self) -> &BTreeMap<Feed, Loadable<Fleet>> {
        &self.sources
    }

    /// All sources' facts joined by model; stale when any source is.
    pub fn fleet(&self) -> &Loadable<Fleet> {
        &self.fleet
    }

    /// Each model's health, by name.
    pub fn health(&self) -> &BTreeMap<String, ModelHealth> {
        &self.health
    }

    /// The rows the pipeline and models views list: filtered, worst first.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// State changes and actions, newest first.
    pub fn events(&self) -> &VecDeque<Event> {
        &self.events
    }
}

/// UI state, read by the views; changed only through updates and key handling.
impl App {
    pub fn context(&self) -> &Context {
        &self.context
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    pub fn view(&self) -> View {
        self.view
    }

    /// The model the detail view shows.
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// What the screen asks the sources to watch closely: the model open in the
    /// detail view, and every model whose health is warn or crit, each by the keys
    /// of all its names (see `Attention`).
    pub fn attention(&self) -> crate::model::polling::Attention {
        let keys = |name: &str| -> Vec<String> {
            let names = &self.rules.names;
            let model = self.fleet.data().and_then(|f| f.model(name));
            let aliases = model.into_iter().flat_map(|m| m.aliases.iter());
            std::iter::once(name)
                .chain(aliases.map(String::as_str))
                .map(|n| names.key(n))
                .collect()
        };
        let open = self.detail.as_deref().filter(|_| self.view == View::Detail);
        crate::model::polling::Attention {
            focused: open.into_iter().flat_map(keys).collect(),
            troubled: self
                .health
                .iter()
                .filter(|(_, h)| h.overall >= crate::model::Health::Warn)
                .flat_map(|(name, _)| keys(name))
                .collect(),
        }
    }

    /// The trace the waterfall view shows.
    pub fn trace(&self) -> Option<&str> {
        self.trace.as_deref()
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn input(&self) -> &InputMode {
        &self.input
    }

    pub fn help(&self) -> bool {
        self.help
    }

    /// A one-line message for the user, e.g. an unknown command.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// The user asked for a refresh that has not answered yet.
    pub fn refreshing(&self) -> bool {
        self.refreshing
    }

    /// AWS requests made this session, keyed "Service:Operation".
    pub fn api_calls(&self) -> &BTreeMap<String, u64> {
        &self.api_calls
    }

    /// The time the screen is as of: the moment shown when it is the past.
    pub fn now(&self) -> Timestamp {
        self.past().unwrap_or(self.now)
    }

    pub fn actions(&self) -> &Actions {
        &self.actions
    }

    pub fn quitting(&self) -> bool {
        self.quit
    }
}
