//! The event loop: drain every waiting update and key, then draw at most ~60 times a
//! second and only when something changed. The UI never awaits I/O.

use std::time::{Duration, Instant};

use anyhow::Result;
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::{FutureExt, StreamExt};
use jiff::Timestamp;
use ratatui::DefaultTerminal;
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc;

use super::audit_writer::AuditWriter;
use super::executor::Executors;
use crate::action::{runner, AuditLog, Gate, Polling, Progress, Step};
use crate::app::{App, Effect};
use crate::config::Theme;
use crate::model::update::Update;
use crate::source::RefreshSenders;
use crate::ui;

const MIN_FRAME: Duration = Duration::from_millis(16);
/// Ages on screen ("data 12s ago") move on once a second even when nothing else does.
const AGE_TICK: Duration = Duration::from_secs(1);

/// Restores the terminal however the loop ends: return, error or panic unwinding.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// What actions need from the loop: who performs them, where they are logged, how
/// they are watched, and where their steps are reported.
#[derive(Clone)]
pub struct ActionRuntime {
    /// By scope (account label × region).
    pub executors: Executors,
    /// Why not when the log could not be opened (every action is then refused).
    pub audit: Result<AuditLog, String>,
    /// `--read-only` or `[actions] read_only`: refused where the call is sent too.
    pub read_only: bool,
    pub polling: Polling,
    pub updates: mpsc::Sender<Update>,
}

/// How long reading an action's target may take before it is given up.
const PREPARE_DEADLINE: Duration = Duration::from_secs(60);

/// The loop's links to the tasks around it.
pub struct Links {
    pub refresh: RefreshSenders,
    pub actions: ActionRuntime,
    pub audit: AuditWriter,
    pub recorder: super::Recorder,
    /// Where `E` writes incident reports, and the theme its screen is drawn in.
    pub exports: std::path::PathBuf,
    pub theme: Theme,
}

/// Takes over the terminal and runs until the user quits or a signal arrives.
pub async fn run(
    mut app: App,
    theme: Theme,
    updates: mpsc::Receiver<Update>,
    links: Links,
) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal: run it in one (stdin and stdout are not a TTY)"
        );
    }
    // Catch SIGTERM/SIGHUP before taking the terminal: one arriving during start-up
    // must still end in a restored terminal, not the signal's default kill.
    let terminated = super::signals::any_of(&[SignalKind::terminate(), SignalKind::hangup()])?;
    // try_init also installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::try_init()
        .map_err(|e| anyhow::anyhow!("could not take over the terminal: {e}"))?;
    let _guard = TerminalGuard;
    keep_the_terminal_on_background_panics();
    event_loop(&mut terminal, &mut app, &theme, updates, links, terminated).await
}

async fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    theme: &Theme,
    mut updates: mpsc::Receiver<Update>,
    mut links: Links,
    mut terminated: mpsc::UnboundedReceiver<()>,
) -> Result<()> {
    let mut keys = EventStream::new();
    let mut ticker = tokio::time::interval(AGE_TICK);
    // A pass draws only when something changed: an update, a key, a resize, or the
    // clock moving what the screen shows. Idle means no frame and no bytes.
    let mut changed = true;
    let mut shown_clock: [String; 3] = Default::default();
    loop {
        app.set_now(Timestamp::now());
        let clock = ui::clock_texts(app);
        if changed || clock != shown_clock {
            app.set_page(usize::from(terminal.size()?.height.saturating_sub(8)));
            terminal.draw(|frame| ui::draw(frame, app, theme))?;
            shown_clock = clock;
            changed = false;
            // A dialog now on screen takes keys from a moment on; keys already
            // queued were typed before the user could read it.
            let shown = ui::fits(terminal.size()?);
            if shown && app.arm_dialog(Timestamp::now()) {
                while let Some(Some(_)) = keys.next().now_or_never() {}
            }
        }
        let drawn = Instant::now();
        panic_if_asked_by_test();
        tokio::select! {
            Some(update) = updates.recv() => {
                on_update(app, update, &mut links);
                changed = true;
            }
            Some(ev) = keys.next() => {
                on_terminal_event(app, ev?, &mut links);
                changed = true;
            }
            _ = ticker.tick() => {}
            _ = terminated.recv() => app.quit(),
        }
        if !app.quitting() {
            // Let a burst arrive, then take all of it before the next frame.
            if let Some(wait) = MIN_FRAME.checked_sub(drawn.elapsed()) {
                tokio::time::sleep(wait).await;
            }
            while let Ok(update) = updates.try_recv() {
                on_update(app, update, &mut links);
                changed = true;
            }
            while let Some(Some(ev)) = keys.next().now_or_never() {
                on_terminal_event(app, ev?, &mut links);
                changed = true;
            }
        }
        if app.quitting() {
            return Ok(());
        }
        // Whose metrics matter most: the model on screen and those in trouble.
        // Only an update or a key can change that.
        if changed {
            links.refresh.publish_attention(app.attention());
        }
    }
}

/// Sources and actions run on the runtime's worker threads, where a panic is caught
/// and reported as that task's failure (`source::drive`): it must not take the
/// terminal back from a dashboard that goes on. Only the UI thread's panic does.
fn keep_the_terminal_on_background_panics() {
    let restore_and_print = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("tokio-runtime-worker"));
        match worker {
            true => tracing::error!("panic in a background task: {info}"),
            false => restore_and_print(info),
        }
    }));
}

/// Debug builds only: lets the tmux tests prove a panic leaves a usable terminal.
#[cfg(debug_assertions)]
#[allow(clippy::panic)]
fn panic_if_asked_by_test() {
    if std::env::var_os("MLOPSDASH_TEST_PANIC").is_some() {
        panic!("test panic after the first frame");
    }
}

#[cfg(not(debug_assertions))]
fn panic_if_asked_by_test() {}

fn on_update(app: &mut App, update: Update, links: &mut Links) {
    // A finished action changed AWS: look again now rather than at the next interval.
    let settled = match &update {
        Update::Action(p) if p.step.is_done() => Some(app.scope_key_of(&p.model)),
        _ => None,
    };
    app.apply(update);
    links.audit.write(app.take_audit_lines());
    links.recorder.offer(app);
    if let Some(scope) = settled {
        links.refresh.all.send_modify(|n| *n += 1);
        links
            .refresh
            .acted
            .send_modify(|(n, s)| (*n, *s) = (*n + 1, scope));
    }
}

/// Why an action in `scope` cannot run here.
fn no_executor(scope: &crate::model::scope::ScopeKey) -> String {
    format!(
        "no credentials for {} in this session (its account is not in [[accounts]])",
        scope.name()
    )
}

fn on_terminal_event(app: &mut App, ev: Event, links: &mut Links) {
    if let Event::Key(key) = ev {
        if key.kind != KeyEventKind::Press || !app.takes_key_at(Timestamp::now()) {
            return;
        }
        let effect = app.handle_key(key);
        // Requested/cancelled lines go to the writer before anything else happens.
        links.audit.write(app.take_audit_lines());
        let actions = &links.actions;
        match effect {
            Effect::Refresh => links.refresh.all.send_modify(|n| *n += 1),
            Effect::RefreshCost => links.refresh.cost.send_modify(|n| *n += 1),
            Effect::Prepare(req) => {
                let a = actions.clone();
                let (kind, model) = (req.kind, req.model.name.clone());
                let planned = move |plans| Update::Planned { kind, model, plans };
                let on_panic = planned.clone();
                let task = async move {
                    let plans = match a.executors.of(&req.scope) {
                        Some(executor) => tokio::time::timeout(
                            PREPARE_DEADLINE,
                            executor.prepare(&req, a.audit.as_ref().ok()),
                        )
                        .await
                        .unwrap_or_else(|_| {
                            Err(format!(
                                "reading the target took longer than {} s",
                                PREPARE_DEADLINE.as_secs()
                            ))
                        }),
                        None => Err(no_executor(&req.scope)),
                    };
                    let _ = a.updates.send(planned(plans)).await;
                };
                super::guarded::spawn(task, actions.updates.clone(), move |why| {
                    on_panic(Err(format!("reading the target failed: {why}")))
                });
            }
            Effect::Execute(confirmed) => {
                let a = actions.clone();
                let gate = Gate {
                    audit: a.audit.clone(),
                    read_only: a.read_only,
                    polling: a.polling,
                };
                // Every earlier line (this action's "requested") is on disk first.
                let earlier = links.audit.barrier();
                let progress = Progress {
                    kind: confirmed.plan.kind,
                    model: confirmed.plan.model.clone(),
                    resource: confirmed.plan.call.resource(),
                    step: Step::Failed(String::new()),
                    at: Timestamp::now(),
                };
                let task = async move {
                    let _ = earlier.await;
                    match a.executors.of(&confirmed.scope).cloned() {
                        Some(executor) => runner::run(executor, gate, *confirmed, a.updates).await,
                        None => {
                            let why = no_executor(&confirmed.scope);
                            runner::refuse(&gate.audit, &confirmed, &why, a.updates).await
                        }
                    }
                };
                super::guarded::spawn(task, actions.updates.clone(), move |why| {
                    Update::Action(Progress {
                        step: Step::Failed(format!("the action's task failed: {why}")),
                        ..progress
                    })
                });
            }
            Effect::Recall(at) => links.recorder.recall(app, at),
            Effect::Export(model) => {
                let report = super::export::Report::of(app, &model, None, &links.theme);
                let (dir, updates) = (links.exports.clone(), actions.updates.clone());
                let audit = actions.audit.clone().ok();
                tokio::task::spawn_blocking(move || {
                    let written = report
                        .map(|r| r.write(&dir, audit.as_ref()))
                        .unwrap_or_else(|| Err(format!("no model named {model}")));
                    let _ = updates.blocking_send(Update::Exported(written));
                });
            }
            Effect::None => {}
        }
    }
}
