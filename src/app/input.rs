//! Keys to state changes. Returns what the event loop must do outside the state.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::command::{self, Command};
pub use super::effect::Effect;
use super::state::{App, InputMode, View};
use crate::action::Kind;
use crate::config::KeyAction;

impl App {
    pub fn handle_key(&mut self, key: KeyEvent) -> Effect {
        self.status = None;
        match self.input.clone() {
            InputMode::Filter => {
                self.edit_filter(key);
                Effect::None
            }
            InputMode::Command(line) => {
                self.edit_command(line, key);
                Effect::None
            }
            InputMode::ConfirmCostRefresh => {
                self.input = InputMode::Normal;
                if key.code == KeyCode::Char('y') {
                    self.status = Some("asking Cost Explorer…".into());
                    return Effect::RefreshCost;
                }
                self.status = Some("cost refresh cancelled: nothing was asked".into());
                Effect::None
            }
            InputMode::Reading { kind, model } => self.reading(kind, model, key),
            InputMode::Confirm(dialog) => self.edit_dialog(*dialog, key),
            InputMode::Normal => match self.keymap.action(&key) {
                Some(action) => self.act(action),
                None => Effect::None,
            },
        }
    }

    fn act(&mut self, action: KeyAction) -> Effect {
        if self.help {
            // The help overlay swallows keys; these close it.
            if matches!(action, KeyAction::Help | KeyAction::Back | KeyAction::Quit) {
                self.help = false;
            }
            return Effect::None;
        }
        let acting = matches!(
            action,
            KeyAction::Rollback
                | KeyAction::Retrain
                | KeyAction::Approve
                | KeyAction::Reject
                | KeyAction::Stop
        );
        if acting && self.past.is_some() {
            self.status = Some("this is the recorded past: esc returns to live to act".into());
            return Effect::None;
        }
        match action {
            KeyAction::Down => self.move_cursor(1),
            KeyAction::Up => self.move_cursor(-1),
            KeyAction::PageDown => self.move_cursor(self.page as isize),
            KeyAction::PageUp => self.move_cursor(-(self.page as isize)),
            KeyAction::Top => self.move_cursor(isize::MIN / 2),
            KeyAction::Bottom => self.move_cursor(isize::MAX / 2),
            KeyAction::Open => self.open_selected(),
            KeyAction::Back if self.past.is_some() => self.go_live(),
            KeyAction::Back => self.back(),
            KeyAction::ScrubBack | KeyAction::ScrubForward => {
                match self.scrub_target(action == KeyAction::ScrubBack) {
                    Some(at) => return Effect::Recall(at),
                    None => self.go_live(),
                }
            }
            KeyAction::Export => {
                let model = self.selected_model();
                match model {
                    Some(name) => return Effect::Export(name),
                    None => self.status = Some("no model selected to export".into()),
                }
            }
            KeyAction::NextModel => self.step_model(1),
            KeyAction::PrevModel => self.step_model(-1),
            KeyAction::Filter => self.input = InputMode::Filter,
            KeyAction::Command => self.input = InputMode::Command(String::new()),
            KeyAction::Help => self.help = true,
            // Cost Explorer bills each request: ask first (the demo's is free).
            KeyAction::Refresh if self.view == View::Cost && self.context.region().is_some() => {
                self.input = InputMode::ConfirmCostRefresh;
            }
            KeyAction::Refresh => {
                self.refreshing = true;
                return Effect::Refresh;
            }
            KeyAction::Rollback => return self.request_action(Kind::Rollback),
            KeyAction::Retrain => return self.request_action(Kind::Retrain),
            KeyAction::Approve => return self.request_action(Kind::Approve),
            KeyAction::Reject => return self.request_action(Kind::Reject),
            KeyAction::Stop => return self.request_action(Kind::Stop),
            KeyAction::Quit => self.quit = true,
        }
        Effect::None
    }

    fn move_cursor(&mut self, by: isize) {
        let len = self.list_len();
        if len == 0 {
            return;
        }
        let target = (self.cursor as isize)
            .saturating_add(by)
            .clamp(0, len as isize - 1);
        self.cursor = target as usize;
        self.clamp_cursor();
    }

    /// The model the cursor is on (or the detail view shows), in any view that lists
    /// models or things of one model.
    pub fn selected_model(&self) -> Option<String> {
        match self.view {
            View::Pipeline | View::Models => self.rows.get(self.cursor).map(|r| r.name.clone()),
            View::Alarms => self
                .sorted_alarms()
                .get(self.cursor)
                .and_then(|a| a.model.clone()),
            View::Events => self.events.get(self.cursor).map(|e| e.model.clone()),
            View::Changes => self
                .listed_changes()
                .get(self.cursor)
                .and_then(|c| c.model.clone()),
            View::Detail => self.detail.clone(),
            View::Traces | View::Stats | View::Cost | View::Trace => None,
        }
    }

    fn open_selected(&mut self) {
        let model = match self.view {
            View::Traces => {
                self.trace = self
                    .traces()
                    .and_then(|t| t.traces.get(self.cursor))
                    .map(|t| t.id.clone());
                if self.trace.is_some() {
                    self.parent = View::Traces;
                    self.view = View::Trace;
                }
                None
            }
            View::Detail => None,
            _ => self.selected_model(),
        };
        if let Some(name) = model {
            self.open_model(name);
        }
    }

    pub fn open_model(&mut self, name: String) {
        let known = self.fleet.data().is_some_and(|f| f.model(&name).is_some());
        if !known {
            self.status = Some(format!("no model named {name}"));
            return;
        }
        if self.view != View::Detail {
            self.parent = self.view;
        }
        self.detail = Some(name);
        self.view = View::Detail;
    }

    fn back(&mut self) {
        if matches!(self.view, View::Detail | View::Trace) {
            self.show(self.parent);
        } else if !self.filter.is_empty() {
            self.filter.clear();
            self.refresh_rows();
        } else if self.view != View::Pipeline {
            self.show(View::Pipeline);
        }
    }

    pub fn show(&mut self, view: View) {
        self.view = view;
        self.cursor = 0;
        if matches!(view, View::Pipeline | View::Models) {
            self.refresh_rows();
        }
        self.clamp_cursor();
    }

    /// `]`/`[` in the detail view walk the rows as the pipeline lists them.
    fn step_model(&mut self, by: isize) {
        if self.view != View::Detail || self.rows.is_empty() {
            return;
        }
        let here = self
            .detail
            .as_ref()
            .and_then(|d| self.rows.iter().position(|r| &r.name == d))
            .unwrap_or(0) as isize;
        let next = (here + by).rem_euclid(self.rows.len() as isize) as usize;
        self.detail = Some(self.rows[next].name.clone());
    }

    fn edit_filter(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.filter.clear();
                self.input = InputMode::Normal;
            }
            KeyCode::Enter => self.input = InputMode::Normal,
            KeyCode::Backspace => {
                self.filter.pop();
            }
            // As in a shell: ctrl-u clears the line and keeps editing.
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.clear();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.push(c)
            }
            _ => return,
        }
        // The change timeline filters by model too; every other view by the rows.
        if !matches!(self.view, View::Pipeline | View::Models | View::Changes) {
            self.view = View::Pipeline;
        }
        self.cursor = 0;
        self.refresh_rows();
    }

    fn edit_command(&mut self, mut line: String, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.input = InputMode::Normal;
                return;
            }
            KeyCode::Enter => {
                self.input = InputMode::Normal;
                self.run_command(&line);
                return;
            }
            KeyCode::Tab => line = command::complete(&line),
            KeyCode::Backspace if line.is_empty() => {
                self.input = InputMode::Normal;
                return;
            }
            KeyCode::Backspace => {
                line.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => line.push(c),
            _ => {}
        }
        self.input = InputMode::Command(line);
    }

    fn run_command(&mut self, line: &str) {
        match command::parse(line) {
            Ok(Command::Show(view)) => self.show(view),
            Ok(Command::Open(name)) => self.open_model(name),
            Ok(Command::Help) => self.help = true,
            Ok(Command::Quit) => self.quit = true,
            Err(msg) if msg.is_empty() => {}
            Err(msg) => self.status = Some(msg),
        }
    }
}
