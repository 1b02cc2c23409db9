//! Action keys as state: a key only asks for plans; the plans open one dialog (pick
//! a target, read the exact call, type the name if protected); only a confirm in that
//! dialog produces `Effect::Execute`, once (gitui's confirm-as-state).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use jiff::Timestamp;

use super::dialog::Dialog;
use super::effect::Effect;
use super::state::{App, InputMode, Place, View};
use crate::action::{
    Actor, Confirmed, Kind, Phase, Prepared, Progress, Record, Request, Shown, Step,
};
use crate::model::events::Event;
use crate::model::scope::ScopeKey;
use crate::model::Health;

/// How long after a dialog appears keys are still taken as typed ahead.
const TYPED_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_millis(150);

impl App {
    /// Who the screen says acts on `model`: the caller of the account and region
    /// the model is in. Only for lines written before a fresh read named the actor
    /// (a cancelled dialog is logged with the dialog's own).
    pub fn actor(&self, model: &str) -> Actor {
        let unknown = || "unknown (STS has not answered)".to_string();
        let ix = self.scope_of(model);
        match (&self.context.place, self.context.scope(ix)) {
            (Place::Demo { .. }, _) => crate::action::DemoExecutor::actor(),
            (Place::Aws { .. }, Some(scope)) => Actor {
                caller: scope.caller.clone().unwrap_or_else(unknown),
                account: scope.account.clone().unwrap_or_else(unknown),
                region: scope.region.clone(),
                label: scope.label.clone(),
            },
            (Place::Aws { region }, None) => Actor {
                caller: self.context.caller.clone().unwrap_or_else(unknown),
                account: self.context.account.clone().unwrap_or_else(unknown),
                region: region.clone(),
                label: None,
            },
        }
    }

    /// Which credentials act on `model`: its scope's label and region (never the
    /// scope's place in a list, which another state may order differently).
    pub fn scope_key_of(&self, model: &str) -> ScopeKey {
        let ix = self.scope_of(model);
        match (&self.context.place, self.context.scope(ix)) {
            (_, Some(scope)) => scope.key(),
            (Place::Aws { region }, None) => ScopeKey {
                label: None,
                region: region.clone(),
            },
            (Place::Demo { .. }, None) => ScopeKey::default(),
        }
    }

    /// The scope a model row's facts came from (its primary's, for a pair).
    pub fn scope_of(&self, model: &str) -> crate::model::scope::ScopeIx {
        self.fleet
            .data()
            .and_then(|f| f.model(model))
            .map_or(0, |m| m.scope.index)
    }

    /// The model an action key acts on: the selected row, or the detail view's model.
    fn action_target(&self) -> Option<String> {
        match self.view {
            View::Pipeline | View::Models => self.selected.clone(),
            View::Detail => self.detail.clone(),
            _ => None,
        }
    }

    /// An action key: plans are asked for, nothing else happens yet.
    pub(super) fn request_action(&mut self, kind: Kind) -> Effect {
        if self.actions.read_only {
            self.status = Some(format!(
                "read-only: {} is disabled (--read-only or [actions] read_only); nothing was done",
                kind.label()
            ));
            return Effect::None;
        }
        if let Some(why) = &self.actions.blocked {
            self.status = Some(format!("actions are off: {why}"));
            return Effect::None;
        }
        let Some(name) = self.action_target() else {
            self.status = Some(format!(
                "{}: select a model first (pipeline, models or model view)",
                kind.label()
            ));
            return Effect::None;
        };
        // What the screen shows only names the row: the executor reads the target
        // again. The runs a retrain clones or a stop offers are the row's, read
        // again one by one: they must be this session's, listed in full.
        let needs_runs = matches!(kind, Kind::Retrain | Kind::Stop);
        let remembered = self
            .remembered
            .iter()
            .any(|f| f.source == crate::model::update::SourceId::SageMaker);
        if needs_runs && remembered {
            self.status = Some(format!(
                "{}: the runs shown are the last session's; try again once they are refreshed",
                kind.label()
            ));
            return Effect::None;
        }
        if needs_runs && !self.pending.is_empty() {
            self.status = Some(format!(
                "{}: the fleet's training and registry are still loading; try again in a moment",
                kind.label()
            ));
            return Effect::None;
        }
        if let Some(p) = self
            .actions
            .running
            .values()
            .find(|p| p.model == name && p.kind == kind)
        {
            self.status = Some(format!(
                "{} of {name} is already running on {}: {}",
                kind.label(),
                p.resource,
                p.step.text()
            ));
            return Effect::None;
        }
        let Some(model) = self.fleet.data().and_then(|f| f.model(&name)).cloned() else {
            return Effect::None;
        };
        // Guardrails watch alarms that are quiet now: one already firing would roll
        // the deploy straight back.
        let alarms = self
            .fleet
            .data()
            .map(|f| {
                f.alarms
                    .iter()
                    .filter(|a| a.model.as_deref() == Some(name.as_str()))
                    .filter(|a| a.state != crate::model::AlarmState::Alarm)
                    .map(|a| a.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let scope = self.scope_key_of(&name);
        let ix = self.scope_of(&name);
        let account = self.context.scope(ix).and_then(|s| s.account.clone());
        let shown = match (&self.context.collector, self.remembered.is_empty()) {
            (Some(_), _) => Shown::Collector,
            (None, false) => Shown::Remembered,
            (None, true) => Shown::Live,
        };
        self.input = InputMode::Reading {
            kind,
            model: name.clone(),
        };
        Effect::Prepare(Box::new(Request {
            kind,
            model,
            alarms,
            at: self.now,
            scope,
            account: account.filter(|_| matches!(self.context.place, Place::Aws { .. })),
            shown,
        }))
    }

    /// Keys while the target is being read: esc cancels, the rest wait.
    pub(super) fn reading(&mut self, kind: Kind, model: String, key: KeyEvent) -> Effect {
        let cancel = key.code == KeyCode::Esc
            || (key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL));
        match cancel {
            true => {
                self.input = InputMode::Normal;
                self.status = Some(format!(
                    "{} of {model} cancelled: nothing was done",
                    kind.label()
                ));
            }
            false => self.input = InputMode::Reading { kind, model },
        }
        Effect::None
    }

    /// The dialog has been drawn at `at`: keys answer it from a moment later. Keys
    /// queued before are the event loop's to drop.
    pub fn arm_dialog(&mut self, at: Timestamp) -> bool {
        match &mut self.input {
            InputMode::Confirm(d) if d.armed.is_none() => {
                d.armed = Some(at);
                true
            }
            _ => false,
        }
    }

    /// Whether a key pressed at `at` may answer what is open: not while a dialog is
    /// unseen or just appeared (a key typed ahead, still in the terminal's buffer,
    /// must not confirm a call nobody read).
    pub fn takes_key_at(&self, at: Timestamp) -> bool {
        match &self.input {
            InputMode::Confirm(d) => d
                .armed
                .is_some_and(|armed| at.duration_since(armed) >= TYPED_AHEAD),
            _ => true,
        }
    }

    /// The plans for a key pressed earlier, from a fresh read: open the dialog
    /// (unless the user cancelled while it was read).
    pub(super) fn planned(&mut self, kind: Kind, model: String, plans: Result<Prepared, String>) {
        let waiting = InputMode::Reading {
            kind,
            model: model.clone(),
        };
        if self.input != waiting {
            return;
        }
        self.input = InputMode::Normal;
        self.status = None;
        match plans {
            Err(why) => {
                self.status = Some(format!("{} of {model} refused: {why}", kind.label()));
            }
            Ok(prepared) => {
                let Some(dialog) = Dialog::open(kind, prepared) else {
                    self.status = Some(format!("{}: nothing to do for {model}", kind.label()));
                    return;
                };
                self.log(Phase::Requested, &dialog, None);
                self.input = InputMode::Confirm(Box::new(dialog));
            }
        }
    }

    /// Keys while the dialog is open (none until it has been drawn).
    pub(super) fn edit_dialog(&mut self, mut d: Dialog, key: KeyEvent) -> Effect {
        if d.armed.is_none() {
            self.input = InputMode::Confirm(Box::new(d));
            return Effect::None;
        }
        let protected = d.plan().protected.is_some();
        match key.code {
            KeyCode::Esc => return self.cancel(&d, "cancelled"),
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return self.cancel(&d, "cancelled")
            }
            KeyCode::Down => d.down(),
            KeyCode::Up => d.up(),
            KeyCode::Char('j') if !protected => d.down(),
            KeyCode::Char('k') if !protected => d.up(),
            KeyCode::Char('n') if !protected => return self.cancel(&d, "cancelled"),
            KeyCode::Char('y') | KeyCode::Enter if !protected => return self.confirm(d),
            KeyCode::Enter => {
                let (name, _) = d.plan().protected.clone().unwrap_or_default();
                if d.typed == name {
                    return self.confirm(d);
                }
                let why = format!("typed name {:?} is not {name}", d.typed);
                return self.cancel(&d, &why);
            }
            KeyCode::Backspace => {
                d.typed.pop();
            }
            KeyCode::Char(c) if protected && !key.modifiers.contains(KeyModifiers::CONTROL) => {
                d.typed.push(c)
            }
            _ => {}
        }
        self.input = InputMode::Confirm(Box::new(d));
        Effect::None
    }

    fn cancel(&mut self, d: &Dialog, why: &str) -> Effect {
        self.input = InputMode::Normal;
        self.log(Phase::Cancelled, d, Some(why.to_string()));
        self.status = Some(format!("{} {why}: nothing was done", d.kind.label()));
        Effect::None
    }

    /// The one place an action is let go: the dialog closes first, so a second key
    /// press has nothing to confirm; a resource with an action under way refuses.
    fn confirm(&mut self, d: Dialog) -> Effect {
        self.input = InputMode::Normal;
        let plan = d.plan().clone();
        let resource = plan.call.resource();
        if let Some(p) = self.actions.running.get(&resource) {
            self.status = Some(format!(
                "{} is busy with {} ({}): nothing was done",
                resource,
                p.kind.label(),
                p.step.text()
            ));
            return Effect::None;
        }
        self.actions.running.insert(
            resource.clone(),
            Progress {
                kind: plan.kind,
                model: plan.model.clone(),
                resource,
                step: Step::Running("confirmed".into()),
                at: self.now,
            },
        );
        self.status = Some(format!(
            "{} of {}: calling {}…",
            plan.kind.label(),
            plan.model,
            plan.call.operation()
        ));
        self.push_event(Event::action(
            self.now,
            &plan.model,
            format!("{} confirmed", plan.kind.label()),
            format!("{} {}", plan.call.operation(), plan.call.resource()),
            Health::Unknown,
        ));
        Effect::Execute(Box::new(Confirmed {
            plan,
            actor: d.actor,
            scope: d.scope,
            typed: d.typed,
            read_at: d.read_at,
        }))
    }

    /// A step of a running action: progress stays on screen; the end is an event.
    pub(super) fn progressed(&mut self, p: Progress) {
        if !p.step.is_done() {
            self.actions.running.insert(p.resource.clone(), p);
            return;
        }
        self.actions.running.remove(&p.resource);
        let (word, health) = match &p.step {
            Step::Succeeded(_) => ("succeeded", Health::Ok),
            Step::Failed(_) => ("failed", Health::Crit),
            Step::TimedOut(_) | Step::Running(_) => ("timed out", Health::Warn),
        };
        self.status = Some(format!(
            "{} of {} {word}: {}",
            p.kind.label(),
            p.resource,
            p.step.text()
        ));
        self.push_event(Event::action(
            p.at,
            &p.model,
            format!("{} {word}", p.kind.label()),
            format!("{}: {}", p.resource, p.step.text()),
            health,
        ));
    }

    /// The audit log could not take a line: an open dialog closes, nothing runs.
    pub fn audit_failed(&mut self, why: String) {
        if matches!(self.input, InputMode::Confirm(_)) {
            self.input = InputMode::Normal;
        }
        self.status = Some(format!("action blocked: {why}"));
    }

    fn log(&mut self, phase: Phase, d: &Dialog, result: Option<String>) {
        let plan = d.plan();
        let record = Record::new(phase, plan, &d.actor, result.clone(), self.now);
        self.actions.outbox.push(record);
        let health = match phase {
            Phase::Cancelled => Health::Unknown,
            _ => Health::Warn,
        };
        self.push_event(Event::action(
            self.now,
            &plan.model,
            format!("{} {}", plan.kind.label(), phase.label()),
            result.unwrap_or_else(|| format!("{} {}", plan.call.operation(), plan.call.resource())),
            health,
        ));
    }
}
