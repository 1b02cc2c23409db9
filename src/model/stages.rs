//! From facts and rules to each stage's health and a short fact for its cell.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::facts::{
    Alarm, AlarmState, Approval, MlflowVersion, ModelFacts, RunSource, RunStatus, TrainingRun,
};
use super::format;
use super::health::Health;
use super::metrics::{names, rate_percent, Series};
use super::rules::Rules;

pub use super::stage::Stage;

pub use super::cell::StageStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelHealth {
    pub overall: Health,
    /// In `Stage::ALL` order: one per stage, by construction.
    pub stages: [StageStatus; 6],
}

impl ModelHealth {
    pub fn stage(&self, stage: Stage) -> &StageStatus {
        let [data, training, registry, endpoint, drift, quality] = &self.stages;
        match stage {
            Stage::Data => data,
            Stage::Training => training,
            Stage::Registry => registry,
            Stage::Endpoint => endpoint,
            Stage::Drift => drift,
            Stage::Quality => quality,
        }
    }
}

/// Judges every stage of one model from its facts alone (no alarms).
pub fn assess(m: &ModelFacts, rules: &Rules, now: Timestamp) -> ModelHealth {
    assess_with_alarms(m, &[], rules, now)
}

/// Judges every stage of one model. A row's health is the worst of its stages,
/// except that `Unknown` stages (nothing configured to look at) do not hide a green row.
/// A firing alarm of the model makes the stage its metric belongs to at least warn.
pub fn assess_with_alarms(
    m: &ModelFacts,
    alarms: &[Alarm],
    rules: &Rules,
    now: Timestamp,
) -> ModelHealth {
    let stages: [StageStatus; 6] = Stage::ALL.map(|s| {
        let status = match s {
            Stage::Data => super::freshness::judge(m, rules, now),
            Stage::Training => training(m, now),
            Stage::Registry => registry(m),
            Stage::Endpoint => endpoint(m, rules),
            Stage::Drift => super::drift::judge(m, rules, now),
            Stage::Quality => quality(m, rules, now),
        };
        with_alarms(status, s, &m.name, alarms)
    });
    let known = stages
        .iter()
        .map(|s| s.health)
        .filter(|h| *h != Health::Unknown);
    let overall = Health::worst(known);
    ModelHealth { overall, stages }
}

/// An alarm in ALARM on the stage's metric: at least a warning, and when it is what
/// made the cell bad, the cell names it.
fn with_alarms(status: StageStatus, stage: Stage, model: &str, alarms: &[Alarm]) -> StageStatus {
    let firing = alarms.iter().find(|a| {
        a.state == AlarmState::Alarm && a.stage == Some(stage) && a.model.as_deref() == Some(model)
    });
    match firing {
        Some(a) if status.health < Health::Warn => StageStatus {
            in_progress: status.in_progress,
            ..StageStatus::new(Health::Warn, format!("alarm {}", a.name)).brief("alarm")
        },
        _ => status,
    }
}

fn training(m: &ModelFacts, now: Timestamp) -> StageStatus {
    let Some(run) = m.training.first() else {
        return StageStatus::unknown();
    };
    let status = training_status(run, now);
    // Runs outside SageMaker name who ran them.
    match run.source {
        RunSource::Airflow | RunSource::Mlflow | RunSource::StepFunctions => StageStatus {
            summary: format!("{} ({})", status.summary, run.source.label()),
            ..status
        },
        RunSource::SageMaker | RunSource::Pipeline => status,
    }
}

fn training_status(run: &TrainingRun, now: Timestamp) -> StageStatus {
    match run.status {
        RunStatus::Completed => {
            let ended = run.ended.unwrap_or(run.started);
            StageStatus::new(Health::Ok, format!("{} ago", format::age_since(ended, now))).brief(
                format!("{} ago", format::age_brief(now.duration_since(ended))),
            )
        }
        RunStatus::InProgress => StageStatus::new(
            Health::Ok,
            format!(
                "{} {}",
                run.secondary_status.as_deref().unwrap_or("run"),
                format::age_since(run.started, now)
            ),
        )
        .brief("running")
        .busy(),
        RunStatus::Failed => match run
            .detail
            .failed_task
            .as_ref()
            .or(run.detail.failed_state.as_ref())
        {
            Some(task) => StageStatus::new(Health::Crit, format!("Failed {task}")).brief("Failed"),
            None => StageStatus::new(Health::Crit, "Failed"),
        },
        RunStatus::Stopping => StageStatus::new(Health::Warn, "Stopping").busy(),
        RunStatus::Stopped => StageStatus::new(Health::Warn, "Stopped"),
    }
}

fn registry(m: &ModelFacts) -> StageStatus {
    let Some(latest) = m.registry.first() else {
        return StageStatus::unknown();
    };
    if let Some(mlflow) = &latest.mlflow {
        return mlflow_registry(latest.version, mlflow);
    }
    let summary = format!("v{} {}", latest.version, latest.approval.short());
    match latest.approval {
        Approval::Approved | Approval::Rejected => {
            StageStatus::new(Health::Ok, summary).brief(format!("v{}", latest.version))
        }
        Approval::PendingManualApproval => StageStatus::new(Health::Warn, summary).busy(),
    }
}

/// MLflow's newest version: its alias (or legacy stage), a failed registration warns,
/// a pending one is under way. Versions without an alias await nobody: no warning.
fn mlflow_registry(version: u32, v: &MlflowVersion) -> StageStatus {
    let label = v
        .aliases
        .first()
        .cloned()
        .or_else(|| v.stage.clone())
        .unwrap_or_default();
    let summary = format!("v{version} {label}").trim_end().to_string();
    match v.status.as_str() {
        "FAILED_REGISTRATION" => {
            StageStatus::new(Health::Warn, format!("v{version} failed")).brief("failed")
        }
        "PENDING_REGISTRATION" => {
            StageStatus::new(Health::Ok, format!("v{version} pending")).busy()
        }
        _ => StageStatus::new(Health::Ok, summary).brief(format!("v{version}")),
    }
}

/// Error rates derived from the endpoint's counts.
pub fn error_rates(m: &ModelFacts) -> [(&'static str, Series); 2] {
    let inv = m
        .metrics
        .get(names::INVOCATIONS)
        .cloned()
        .unwrap_or_default();
    let rate = |errors: &str| {
        m.metrics
            .get(errors)
            .map(|e| rate_percent(e, &inv))
            .unwrap_or_default()
    };
    [
        (names::RATE_5XX, rate(names::ERRORS_5XX)),
        (names::RATE_4XX, rate(names::ERRORS_4XX)),
    ]
}

/// The status given to an endpoint that config names but the region does not have.
pub const NOT_FOUND: &str = "NotFound";

fn endpoint(m: &ModelFacts, rules: &Rules) -> StageStatus {
    let Some(ep) = &m.endpoint else {
        return StageStatus::unknown();
    };
    // Updating, Creating, ...: still serving the old model, so its metrics still count
    // (a rollback in flight keeps the row red until it lands).
    let own = match (&ep.ecs, &ep.k8s) {
        (Some(ecs), _) => Some(super::ecs_health::trouble(ecs)),
        (None, Some(w)) => Some(super::k8s_health::trouble(w)),
        (None, None) => None,
    };
    let (busy, own_trouble) = match own {
        Some(trouble) => match trouble {
            Some(t) if t.health == Health::Crit => return t,
            Some(t) => (t.in_progress, Some(t)),
            None => (false, None),
        },
        None => match ep.status.as_str() {
            "InService" => (false, None),
            "Failed" | "OutOfService" | "Deleting" | NOT_FOUND => {
                return StageStatus::new(Health::Crit, ep.status.clone())
            }
            _ => (true, None),
        },
    };
    let [rate5, rate4] = error_rates(m);
    let latency = m
        .metrics
        .get(names::LATENCY_P99)
        .cloned()
        .unwrap_or_default();
    // A KServe canary's own errors, judged by the 5xx threshold: a canary failing
    // on its 10% share hides in the endpoint's overall rate.
    let canary = m
        .metrics
        .get(names::CANARY_RATE_5XX)
        .cloned()
        .unwrap_or_default();
    let checks = [
        (names::CANARY_RATE_5XX, names::RATE_5XX, canary),
        (rate5.0, rate5.0, rate5.1),
        (names::LATENCY_P99, names::LATENCY_P99, latency),
        (rate4.0, rate4.0, rate4.1),
    ];
    // On a tie the first check wins: errors hurt callers more than slowness.
    let worst = checks
        .iter()
        .rev()
        .filter_map(|(name, judged_as, series)| {
            let value = series.latest()?.1;
            let health = rules.threshold(&m.name, judged_as)?.evaluate(Some(value));
            Some((health, *name, value))
        })
        .max_by_key(|(h, _, _)| *h);
    let by_metrics = worst.map_or(Health::Ok, |(h, _, _)| h);
    if busy {
        let under_way =
            own_trouble.unwrap_or_else(|| StageStatus::new(by_metrics, ep.status.clone()).busy());
        return StageStatus {
            health: by_metrics.max(under_way.health),
            ..under_way
        };
    }
    // A service's own trouble (missing tasks, unhealthy targets) speaks unless a
    // metric is worse.
    let trouble_health = own_trouble.as_ref().map_or(Health::Ok, |t| t.health);
    match (worst, own_trouble) {
        (Some((h, name, value)), _) if h > trouble_health => {
            metric_status(h, name, format::value(name, value))
        }
        (_, Some(trouble)) => trouble,
        _ => match (&ep.ecs, &ep.k8s) {
            (Some(ecs), _) => super::ecs_health::up(ecs),
            (None, Some(w)) => super::k8s_health::up(w),
            (None, None) => StageStatus::new(Health::Ok, "InService").brief("up"),
        },
    }
}

/// "MAPE 18.2%", briefly "18.2%": the value is what must survive a narrow column.
fn metric_status(h: Health, metric: &str, text: String) -> StageStatus {
    StageStatus::new(h, format!("{} {text}", format::short_name(metric))).brief(text)
}

fn quality(m: &ModelFacts, rules: &Rules, now: Timestamp) -> StageStatus {
    let judged = super::quality::judge(m, rules, now);
    match super::quality::shown(&judged) {
        Some(j) => {
            let text = format::value_as(j.value.unwrap_or(f64::NAN), j.percent);
            let mut status = metric_status(j.health, &j.metric, text);
            if j.stale {
                status.summary.push_str(" (old)");
            }
            status
        }
        None => StageStatus::unknown(),
    }
}

#[cfg(test)]
mod tests;
