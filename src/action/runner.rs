//! Runs one confirmed action as a task of its own: audit line, the call, then polling
//! until the resource settles or the timeout, each step reported to the app.

use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::audit::{AuditLog, Phase, Record};
use super::aws::AwsExecutor;
use super::demo::DemoExecutor;
use super::{Confirmed, Plan, Progress, Request, Step};
use crate::model::update::Update;

/// How often progress is read, and for how long at most.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    pub every: Duration,
    pub timeout: Duration,
}

/// Performs actions: on AWS, or on the demo's simulated fleet.
#[derive(Clone)]
pub enum Executor {
    Aws(AwsExecutor),
    Demo(DemoExecutor),
}

impl Executor {
    /// Every choice the request offers, planned down to the call.
    pub async fn prepare(
        &self,
        req: &Request,
        audit: Option<&AuditLog>,
    ) -> Result<Vec<Plan>, String> {
        // The audit log's word on the endpoint's previous config, read here so that the
        // planners stay pure.
        let endpoint = req.model.endpoint.as_ref().map(|e| e.name.as_str());
        let recorded = audit
            .zip(endpoint)
            .and_then(|(log, ep)| log.config_before_last_deploy(ep));
        match self {
            Executor::Aws(e) => e.prepare(req, recorded.as_deref()).await,
            Executor::Demo(e) => e.prepare(req, recorded.as_deref()),
        }
    }

    /// Makes the call; returns what identifies what it started (an execution ARN).
    pub async fn execute(&self, plan: &Plan) -> Result<Option<String>, String> {
        match self {
            Executor::Aws(e) => e.execute(plan).await,
            Executor::Demo(e) => e.execute(plan),
        }
    }

    pub async fn progress(&self, plan: &Plan, started: Option<&str>) -> Result<Step, String> {
        match self {
            Executor::Aws(e) => e.progress(plan, started).await,
            Executor::Demo(e) => e.progress(plan, started),
        }
    }
}

/// Confirmed → audit line → call → poll → audit line, reporting every step.
pub async fn run(
    executor: Executor,
    audit: Result<AuditLog, String>,
    confirmed: Confirmed,
    updates: mpsc::Sender<Update>,
    polling: Polling,
) {
    let Confirmed { plan, actor, .. } = confirmed;
    let send = |step: Step| {
        let progress = Progress {
            kind: plan.kind,
            model: plan.model.clone(),
            resource: plan.call.resource(),
            step,
            at: Timestamp::now(),
        };
        let updates = updates.clone();
        async move {
            let _ = updates.send(Update::Action(progress)).await;
        }
    };
    // Nothing is sent to AWS unless the audit log has the line on disk.
    let written = audit.and_then(|log| {
        log.append(&Record::new(
            Phase::Confirmed,
            &plan,
            &actor,
            None,
            Timestamp::now(),
        ))
        .map(|()| log)
    });
    let log = match written {
        Ok(log) => log,
        Err(e) => {
            send(Step::Failed(format!("blocked, nothing was called: {e}"))).await;
            return;
        }
    };
    send(Step::Running(format!("calling {}", plan.call.operation()))).await;
    let finish = |step: Step| {
        let record = Record::new(
            phase_of(&step),
            &plan,
            &actor,
            Some(step.text().to_string()),
            Timestamp::now(),
        );
        match log.append(&record) {
            Ok(()) => step,
            Err(e) => match step {
                Step::Succeeded(s) => Step::Succeeded(format!("{s} ({e})")),
                Step::Failed(s) | Step::Running(s) => Step::Failed(format!("{s} ({e})")),
                Step::TimedOut(s) => Step::TimedOut(format!("{s} ({e})")),
            },
        }
    };
    let started = match executor.execute(&plan).await {
        Ok(started) => started,
        Err(e) => {
            send(finish(Step::Failed(e))).await;
            return;
        }
    };
    let deadline = tokio::time::Instant::now() + polling.timeout;
    let mut last = String::new();
    loop {
        let step = match executor.progress(&plan, started.as_deref()).await {
            Ok(step) => step,
            // The call went through; a failed read is not a failed action.
            Err(e) => Step::Running(format!("could not read progress: {e}")),
        };
        if step.is_done() {
            send(finish(step)).await;
            return;
        }
        if step.text() != last {
            last = step.text().to_string();
            send(step).await;
        }
        if tokio::time::Instant::now() >= deadline {
            let waited = polling.timeout.as_secs() / 60;
            let step = Step::TimedOut(format!(
                "still {last} after {waited} min; no longer watched"
            ));
            send(finish(step)).await;
            return;
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
