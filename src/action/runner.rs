//! Runs one confirmed action as a task of its own. Everything that keeps a call from
//! going out wrongly is checked here, where it is sent, whatever the screen did:
//! read-only, the audit log, the typed name of a protected target, the account of
//! the credentials, and that the target has not changed since the dialog read it.
//! Then the audit line, the call (once), a read back when its outcome is unknown,
//! and polling until the resource settles; each step reported to the app.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::audit::{AuditLog, Phase, Record};
use super::aws::AwsExecutor;
use super::demo::DemoExecutor;
use super::guard::{required_name, Guard};
use super::{Actor, Confirmed, Observation, Plan, Prepared, Progress, Request, SendError, Step};
use crate::model::update::Update;

/// How often progress is read, and for how long at most.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub every: Duration,
    pub timeout: Duration,
}

/// A plan read longer ago than this is compared with its resource before sending.
const FRESH_FOR: SignedDuration = SignedDuration::from_secs(10);
/// After a send whose outcome is unknown, how long the read back may take to show
/// the change before the call is taken as not applied.
const UNKNOWN_FOR: Duration = Duration::from_secs(60);

/// Performs actions: on AWS, or on the demo's simulated fleet.
// One per scope, made once at start: the AWS variant's size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Executor {
    Aws(AwsExecutor),
    Demo(DemoExecutor),
}

impl Executor {
    /// Every choice the request offers, planned from what its target is now.
    pub async fn prepare(
        &self,
        req: &Request,
        audit: Option<&AuditLog>,
    ) -> Result<Prepared, String> {
        // The audit log's word on the endpoint's previous config, read here so that the
        // planners stay pure. It only orders targets the fresh read found.
        let endpoint = req.model.endpoint.as_ref().map(|e| e.name.as_str());
        let recorded = audit
            .zip(endpoint)
            .and_then(|(log, ep)| log.config_before_last_deploy(ep));
        match self {
            Executor::Aws(e) => e.prepare(req, recorded.as_deref()).await,
            Executor::Demo(e) => e.prepare(req, recorded.as_deref()),
        }
    }

    /// Makes the call once; what it started (an execution ARN, a run id).
    pub async fn execute(&self, plan: &Plan) -> Result<Option<String>, SendError> {
        match self {
            Executor::Aws(e) => e.execute(plan).await,
            Executor::Demo(e) => e.execute(plan),
        }
    }

    /// The plan's resource now.
    pub async fn observe(&self, plan: &Plan, started: Option<&str>) -> Result<Observation, String> {
        match self {
            Executor::Aws(e) => e.look_back(&plan.call, started).await,
            Executor::Demo(e) => e.observe(plan, started),
        }
    }

    /// Who the credentials are, asked now.
    pub async fn actor(&self) -> Result<Actor, String> {
        match self {
            Executor::Aws(e) => e.actor().await,
            Executor::Demo(_) => Ok(DemoExecutor::actor()),
        }
    }

    fn guard(&self) -> &Guard {
        match self {
            Executor::Aws(e) => e.guard(),
            Executor::Demo(e) => e.guard(),
        }
    }
}

/// What the sending side holds, apart from the executor: the audit log (or why it
/// is not open), read-only, and how progress is watched.
#[derive(Clone)]
pub struct Gate {
    pub audit: Result<AuditLog, String>,
    pub read_only: bool,
    pub polling: Polling,
}

/// Reports one action's steps to the app and writes its audit lines.
struct Reporter<'a> {
    confirmed: &'a Confirmed,
    updates: mpsc::Sender<Update>,
}

impl Reporter<'_> {
    async fn step(&self, step: Step) {
        let plan = &self.confirmed.plan;
        // Server errors may name a URL: never with its user-info.
        let hide = |t: &str| crate::model::secret::redact_urls(t);
        let step = match step {
            Step::Running(t) => Step::Running(hide(&t)),
            Step::Succeeded(t) => Step::Succeeded(hide(&t)),
            Step::Failed(t) => Step::Failed(hide(&t)),
            Step::TimedOut(t) => Step::TimedOut(hide(&t)),
        };
        let progress = Progress {
            kind: plan.kind,
            model: plan.model.clone(),
            resource: plan.call.resource(),
            step,
            at: Timestamp::now(),
        };
        let _ = self.updates.send(Update::Action(progress)).await;
    }

    fn record(&self, phase: Phase, result: Option<String>) -> Record {
        let c = self.confirmed;
        Record::new(phase, &c.plan, &c.actor, result, Timestamp::now())
    }
}

/// Refuses `confirmed` before anything is sent: an audit line (when the log can take
/// one) and the reason to the app. Also where the event loop refuses an action with
/// no executor for its scope.
pub async fn refuse(
    audit: &Result<AuditLog, String>,
    confirmed: &Confirmed,
    why: &str,
    updates: mpsc::Sender<Update>,
) {
    let report = Reporter { confirmed, updates };
    let why = format!("refused, nothing was sent: {why}");
    let logged = match audit {
        Ok(log) => log.append(&report.record(Phase::Refused, Some(why.clone()))),
        Err(e) => Err(e.clone()),
    };
    if let Err(e) = logged {
        tracing::warn!("{why} (and not audited: {e})");
    }
    report.step(Step::Failed(why)).await;
}

/// Checks, audit line, call, read back, poll: the whole life of one confirmed action.
pub async fn run(
    executor: Executor,
    gate: Gate,
    confirmed: Confirmed,
    updates: mpsc::Sender<Update>,
) {
    if let Err(why) = checked(&executor, &gate, &confirmed).await {
        return refuse(&gate.audit, &confirmed, &why, updates).await;
    }
    let report = Reporter {
        confirmed: &confirmed,
        updates: updates.clone(),
    };
    // Nothing is sent to AWS unless the audit log has the line on disk.
    let log = match &gate.audit {
        Ok(log) => log,
        Err(e) => return refuse(&gate.audit, &confirmed, e, updates).await,
    };
    if let Err(e) = log.append(&report.record(Phase::Confirmed, None)) {
        report
            .step(Step::Failed(format!("blocked, nothing was sent: {e}")))
            .await;
        return;
    }
    let plan = &confirmed.plan;
    report
        .step(Step::Running(format!("calling {}", plan.call.operation())))
        .await;
    let finish = |step: Step| {
        let written = log.append(&report.record(phase_of(&step), Some(step.text().to_string())));
        match written {
            Ok(()) => step,
            Err(e) => match step {
                Step::Succeeded(s) => Step::Succeeded(format!("{s} ({e})")),
                Step::Failed(s) | Step::Running(s) => Step::Failed(format!("{s} ({e})")),
                Step::TimedOut(s) => Step::TimedOut(format!("{s} ({e})")),
            },
        }
    };
    let started = match executor.execute(plan).await {
        Ok(started) => started,
        Err(SendError::Refused(e)) => return report.step(finish(Step::Failed(e))).await,
        Err(SendError::Unknown(e)) => {
            match read_back(&executor, &report, &gate.polling, &e).await {
                Ok(()) => None,
                Err(step) => return report.step(finish(step)).await,
            }
        }
    };
    let step = follow(&executor, &report, &gate.polling, started.as_deref()).await;
    report.step(finish(step)).await;
}

/// Everything checked where the call is sent, before the audit line.
async fn checked(executor: &Executor, gate: &Gate, confirmed: &Confirmed) -> Result<(), String> {
    let plan = &confirmed.plan;
    if gate.read_only {
        return Err("read-only (--read-only or [actions] read_only)".into());
    }
    if let Some((name, why)) = required_name(executor.guard(), plan) {
        if confirmed.typed != name {
            return Err(format!(
                "{name} is protected ({why}) and its name was not typed"
            ));
        }
    }
    let actor = executor
        .actor()
        .await
        .map_err(|e| format!("who the credentials are could not be confirmed: {e}"))?;
    if actor.account != confirmed.actor.account {
        return Err(format!(
            "the credentials are account {} now, not {} as the dialog said",
            actor.account, confirmed.actor.account
        ));
    }
    // The demo's fleet is in no account: its ARNs are made up.
    let simulated = matches!(executor, Executor::Demo(_));
    let named = plan.call.arn().and_then(crate::aws::arn::account_of);
    if let Some(target) = named
        .or(plan.account.as_deref())
        .filter(|a| *a != actor.account && !simulated)
    {
        return Err(format!(
            "{} is in account {target}, the credentials are account {}",
            plan.call.resource(),
            actor.account
        ));
    }
    let read = Timestamp::now().duration_since(confirmed.read_at);
    if let (Some(was), true) = (&plan.observed, read > FRESH_FOR) {
        let now = executor.observe(plan, None).await.map_err(|e| {
            format!(
                "{} could not be read again before sending: {e}",
                plan.call.resource()
            )
        })?;
        if now.now != *was {
            return Err(format!(
                "{} changed since the dialog read it ({was} → {}); press the key again",
                plan.call.resource(),
                now.now
            ));
        }
    }
    Ok(())
}

/// After a send whose outcome is unknown: reads the resource back until it shows
/// the change (Ok: sent) or the window passes (Err: the step to end with). The
/// resource stays busy meanwhile.
async fn read_back(
    executor: &Executor,
    report: &Reporter<'_>,
    polling: &Polling,
    error: &str,
) -> Result<(), Step> {
    let window = UNKNOWN_FOR.min(polling.timeout);
    let deadline = tokio::time::Instant::now() + window;
    let mut last = String::new();
    loop {
        let seen = executor.observe(&report.confirmed.plan, None).await;
        let said = match &seen {
            Ok(o) if o.applied => {
                report
                    .step(Step::Running(format!("sent (read back shows {})", o.now)))
                    .await;
                return Ok(());
            }
            Ok(o) => format!("read back shows {}", o.now),
            Err(e) => format!("could not read back: {e}"),
        };
        if said != last {
            report
                .step(Step::Running(format!("outcome unknown — {said}")))
                .await;
            last = said.clone();
        }
        if tokio::time::Instant::now() >= deadline {
            let waited = window.as_secs();
            return Err(match seen {
                Ok(_) => Step::Failed(format!("not applied: {error}; {said} after {waited} s")),
                Err(_) => Step::TimedOut(format!(
                    "outcome unknown: {error}; {said} for {waited} s: check it in the console"
                )),
            });
        }
        tokio::time::sleep(polling.every).await;
    }
}

/// Polls the resource until it settles or the timeout: the last step.
async fn follow(
    executor: &Executor,
    report: &Reporter<'_>,
    polling: &Polling,
    started: Option<&str>,
) -> Step {
    let deadline = tokio::time::Instant::now() + polling.timeout;
    let mut last = String::new();
    loop {
        let step = match executor.observe(&report.confirmed.plan, started).await {
            Ok(o) => o.step,
            // The call went through; a failed read is not a failed action.
            Err(e) => Step::Running(format!("could not read progress: {e}")),
        };
        if step.is_done() {
            return step;
        }
        if step.text() != last {
            last = step.text().to_string();
            report.step(step).await;
        }
        if tokio::time::Instant::now() >= deadline {
            let waited = polling.timeout.as_secs() / 60;
            return Step::TimedOut(format!(
                "still {last} after {waited} min; no longer watched"
            ));
        }
        tokio::time::sleep(polling.every).await;
    }
}

/// The audit phase a last step ends an action in.
fn phase_of(step: &Step) -> Phase {
    match step {
        Step::Running(_) | Step::Succeeded(_) => Phase::Succeeded,
        Step::Failed(_) => Phase::Failed,
        Step::TimedOut(_) => Phase::TimedOut,
    }
}
