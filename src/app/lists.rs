//! The lists the views show: the model rows (filtered, worst first, the cursor
//! following its model), and how long the current list is.

use super::rows;
use super::state::{App, View};

impl App {
    /// Recomputes the listed rows after facts or the filter changed, keeping the
    /// cursor on the same model.
    pub fn refresh_rows(&mut self) {
        self.rows = match self.fleet.data() {
            Some(fleet) => rows::build(fleet, &self.health, &self.filter, &self.context.scopes),
            None => Vec::new(),
        };
        if matches!(self.view, View::Pipeline | View::Models) {
            if let Some(name) = &self.selected {
                if let Some(i) = self.rows.iter().position(|r| &r.name == name) {
                    self.cursor = i;
                }
            }
        }
        self.clamp_cursor();
    }

    /// Number of entries in the current list view.
    pub fn list_len(&self) -> usize {
        match self.view {
            View::Pipeline | View::Models => self.rows.len(),
            View::Alarms => self.fleet.data().map_or(0, |f| f.alarms.len()),
            View::Events => self.events.len(),
            View::Changes => self.listed_changes().len(),
            View::Stats => self.api_calls.len(),
            View::Traces => self.traces().map_or(0, |t| t.traces.len()),
            View::Trace => 0,
            View::Cost => self
                .fleet
                .data()
                .and_then(|f| f.cost.as_ref())
                .map_or(0, |c| c.by_service.len()),
            View::Detail => 0,
        }
    }

    pub fn clamp_cursor(&mut self) {
        self.cursor = self.cursor.min(self.list_len().saturating_sub(1));
        if matches!(self.view, View::Pipeline | View::Models) {
            self.selected = self.rows.get(self.cursor).map(|r| r.name.clone());
        }
    }

    /// X-Ray's service map and traces, when a source has them.
    pub fn traces(&self) -> Option<&crate::model::traces::TraceFacts> {
        self.fleet.data()?.traces.as_deref()
    }

    /// Alarms in the order the alarms view lists them: firing first.
    pub fn sorted_alarms(&self) -> Vec<&crate::model::Alarm> {
        let mut alarms: Vec<_> = self
            .fleet
            .data()
            .map(|f| f.alarms.iter().collect())
            .unwrap_or_default();
        alarms.sort_by_key(|a| (a.state != crate::model::AlarmState::Alarm, a.name.clone()));
        alarms
    }
}
