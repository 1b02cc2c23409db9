//! The JSON snapshot: from the app's state to the schema's own types (`schema`).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::schema::*;
use super::Gathered;

mod drift;
use crate::app::{App, Place};
use crate::model::captured::FeatureDrift;
use crate::model::dags::DagRole;
use crate::model::ecs::EcsService;
use crate::model::facts::{DataSource, ModelFacts};
use crate::model::k8s::Workload;
use crate::model::metrics::names;
use crate::model::quality::{self, Trend};
use crate::model::scope::ScopeIx;
use crate::model::stages::error_rates;
use crate::model::{AlarmState, Direction, Health, ModelHealth, Rules, Stage};
use drift::drift;

/// A health as the schema spells it.
pub fn health(h: Health) -> HealthOut {
    match h {
        Health::Ok => HealthOut::Ok,
        Health::Unknown => HealthOut::Unknown,
        Health::Warn => HealthOut::Warn,
        Health::Crit => HealthOut::Crit,
    }
}

fn alarm_state(s: AlarmState) -> &'static str {
    match s {
        AlarmState::Alarm => "Alarm",
        AlarmState::InsufficientData => "InsufficientData",
        AlarmState::Ok => "Ok",
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Above => "above",
        Direction::Below => "below",
    }
}

fn trend(t: Trend) -> &'static str {
    match t {
        Trend::Up => "up",
        Trend::Down => "down",
        Trend::Flat => "flat",
    }
}

fn stages(h: &ModelHealth) -> StagesOut {
    let out = |s: Stage| {
        let st = h.stage(s);
        StageOut {
            health: health(st.health),
            summary: st.summary.clone(),
        }
    };
    StagesOut {
        data: out(Stage::Data),
        training: out(Stage::Training),
        registry: out(Stage::Registry),
        endpoint: out(Stage::Endpoint),
        drift: out(Stage::Drift),
        quality: out(Stage::Quality),
    }
}

/// Every scope with its errors and request count.
fn scopes(app: &App) -> Vec<ScopeOut> {
    let context = app.context();
    context
        .scopes
        .iter()
        .enumerate()
        .map(|(ix, s)| {
            let ix = ScopeIx::try_from(ix).unwrap_or(ScopeIx::MAX);
            let failed = app
                .source_problems()
                .filter(|(feed, _)| feed.scope == ix)
                .map(|(feed, why)| format!("{}: {why}", feed.source.label()));
            let unknown = s.problem.iter().map(|why| format!("sts: {why}"));
            ScopeOut {
                account: s.account.clone(),
                region: s.region.clone(),
                label: s.label.clone(),
                errors: unknown.chain(failed).collect(),
                requests: app.calls_by_scope().get(&ix).map_or(0, |calls| {
                    calls
                        .iter()
                        .filter(|(op, _)| crate::model::pricing::counts_requests(op))
                        .map(|(_, n)| n)
                        .sum()
                }),
            }
        })
        .collect()
}

/// Where a model row is served: its scope, and its pair's.
fn model_scopes(app: &App, m: &ModelFacts) -> Vec<ModelScopeOut> {
    let paired = m.scope.replica.is_some();
    let one = |ix: ScopeIx, role: &'static str| {
        let s = app.context().scope(ix)?;
        Some(ModelScopeOut {
            account: s.account.clone(),
            region: s.region.clone(),
            role: paired.then_some(role),
        })
    };
    one(m.scope.index, "primary")
        .into_iter()
        .chain(
            m.scope
                .replica
                .as_ref()
                .and_then(|r| one(r.scope.index, "secondary")),
        )
        .collect()
}

impl Snapshot {
    pub fn new(g: &Gathered, api_calls: BTreeMap<String, u64>) -> Snapshot {
        let app = &g.app;
        let fleet = app.fleet().data();
        let models: Vec<ModelOut> = app
            .rows()
            .iter()
            .filter_map(|row| {
                let m = fleet?.models.get(row.index)?;
                let mut out = model(m, app.health().get(&m.name)?, app.rules(), app.now());
                out.scopes = model_scopes(app, m);
                out.failover = m.scope.failover.as_deref().cloned();
                out.environment.clone_from(&m.environment);
                out.promotion = fleet
                    .and_then(|f| crate::model::environments::production_of(f, m))
                    .map(|prod| crate::model::environments::promotion(m, prod));
                out.last_change = app.last_change(&m.name).map(|(c, moved)| LastChangeOut {
                    change: c.clone(),
                    deltas: moved
                        .into_iter()
                        .map(|d| {
                            (
                                d.metric,
                                DeltaOut {
                                    before: d.before,
                                    after: d.after,
                                },
                            )
                        })
                        .collect(),
                });
                Some(out)
            })
            .collect();
        Snapshot {
            generated_at: app.now(),
            recorded_at: app.past(),
            source: match (&app.context().collector, &app.context().place) {
                (Some(_), _) => "collector",
                (None, Place::Demo { .. }) => "demo",
                (None, Place::Aws { .. }) => "aws",
            },
            collector: app.context().collector.as_ref().map(|c| CollectorOut {
                written_at: c.written_at,
                region: c.collector.region.clone(),
                account: c.collector.account.clone(),
                errors: c
                    .collector
                    .errors
                    .iter()
                    .cloned()
                    .chain(c.problem.clone())
                    .collect(),
                location: c.location.clone(),
            }),
            region: app.context().region().map(str::to_string),
            account: app.context().account.clone(),
            health: health(Health::worst(
                app.rows()
                    .iter()
                    .map(|r| r.health)
                    .filter(|h| *h != Health::Unknown),
            )),
            alarms: fleet
                .map(|f| {
                    f.alarms
                        .iter()
                        .map(|a| AlarmOut {
                            name: a.name.clone(),
                            state: alarm_state(a.state),
                            reason: a.reason.clone(),
                            since: a.since,
                            model: a.model.clone(),
                            notifies: a.notifies.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            errors: g
                .errors
                .iter()
                .map(|(source, message)| ErrorOut {
                    source: source.clone(),
                    message: message.clone(),
                })
                .collect(),
            spending: app
                .fleet()
                .data()
                .and_then(|f| f.spending.as_deref().cloned()),
            models,
            api_calls,
            changes: app.changes().iter().take(CHANGES).cloned().collect(),
            scopes: scopes(app),
            traces: app.traces().map(|t| TracesOut {
                window_minutes: t.window_minutes,
                services: t
                    .services
                    .iter()
                    .map(|s| ServiceOut {
                        name: s.name.clone(),
                        kind: s.kind.clone(),
                        requests: s.requests,
                        error_rate: s.error_rate,
                        fault_rate: s.fault_rate,
                        throttle_rate: s.throttle_rate,
                        avg_ms: s.avg_ms,
                        p99_ms: s.p99_ms,
                        calls: s.calls.clone(),
                        model: s.model.clone(),
                    })
                    .collect(),
                worst: t
                    .traces
                    .iter()
                    .map(|tr| TraceOut {
                        id: tr.id.clone(),
                        duration_ms: tr.duration_ms,
                        http_status: tr.http_status,
                        fault: tr.fault,
                        error: tr.error,
                        entry: tr.entry.clone(),
                        culprit: tr.culprit().map(|s| s.name.clone()),
                    })
                    .collect(),
                problem: t.problem.clone(),
            }),
            cost: fleet.and_then(|f| f.cost.as_ref()).map(|c| CostOut {
                currency: c.currency.clone(),
                month_to_date: c.month_to_date,
                forecast: c.forecast.map(|f| f.mean),
                forecast_interval: c.forecast.and_then(|f| Some([f.lower?, f.upper?])),
                by_service: c.by_service.iter().cloned().collect(),
                by_model: c.by_model.clone(),
                by_account: c.by_account.clone(),
                as_of: c.as_of,
            }),
        }
    }
}

fn model(m: &ModelFacts, h: &crate::model::ModelHealth, rules: &Rules, now: Timestamp) -> ModelOut {
    ModelOut {
        name: m.name.clone(),
        identity: m.identity.as_ref().map(|i| IdentityOut {
            by: i.by.label(),
            evidence: i.evidence.clone(),
            pieces: i
                .pieces
                .iter()
                .map(|p| PieceOut {
                    what: p.what.clone(),
                    by: p.by.label(),
                    evidence: p.evidence.clone(),
                })
                .collect(),
        }),
        kind: m.kind.label(),
        health: health(h.overall),
        stages: stages(h),
        endpoint: m.endpoint.as_ref().map(|e| EndpointOut {
            kind: e.kind().label(),
            ecs: e.ecs.as_deref().map(ecs),
            k8s: e.k8s.as_deref().map(workload),
            name: e.name.clone(),
            status: e.status.clone(),
            config: e.config_name.clone(),
            variants: e
                .variants
                .iter()
                .map(|v| VariantOut {
                    name: v.name.clone(),
                    weight: v.weight,
                    instances: v.instances,
                    model_version: v.model_version,
                })
                .collect(),
            history: e
                .config_history
                .iter()
                .map(|c| ConfigOut {
                    config: c.name.clone(),
                    created: c.created,
                    model: c.model.clone(),
                    model_version: c.model_version,
                    evidence: c.evidence.as_ref().map(|(_, e)| e.clone()),
                })
                .collect(),
        }),
        training: m.training.first().map(|t| TrainingOut {
            name: t.name.clone(),
            status: t.status.label(),
            failure_reason: t.failure_reason.clone(),
            serving: m
                .training
                .iter()
                .find(|r| r.serving)
                .map(|r| r.name.clone()),
            source: t.source.label(),
            started: t.started,
            ended: t.ended,
            failed_task: t.detail.failed_task.clone(),
            failed_state: t.detail.failed_state.clone(),
            log_tail: t.detail.log_tail.clone(),
            metrics: t.detail.metrics.iter().cloned().collect(),
        }),
        registry: RegistryOut {
            source: m.registry.first().map(|v| v.source.label()),
            versions: m
                .registry
                .iter()
                .map(|v| VersionOut {
                    version: v.version,
                    approval: v.approval.aws_name(),
                    deployed: v.deployed,
                    aliases: v.aliases().to_vec(),
                    stage: v.mlflow.as_ref().and_then(|f| f.stage.clone()),
                })
                .collect(),
        },
        data: m.data.as_ref().map(|d| DataOut {
            location: d.location.clone(),
            newest_object: d.newest_object,
            source: d.source.label(),
            dag: (d.source == DataSource::Airflow)
                .then(|| m.dags.iter().find(|g| g.role == DagRole::Etl))
                .flatten()
                .map(|g| DagOut {
                    dag_id: g.dag_id.clone(),
                    paused: g.paused,
                    schedule: g.schedule.clone(),
                    next_due: g.next_due,
                    late_minutes: g.late_by(now).map(|l| l.as_secs() / 60),
                    last_run_state: g.runs.first().map(|r| r.state.clone()),
                    failed_task: g.failed().and_then(|r| r.failed_task.clone()),
                }),
            lambda: d.lambda.as_deref().map(|l| LambdaOut {
                function: l.function.clone(),
                last_success: l.last_success,
                last_failure: l.last_failure,
                dlq: l.dlq.clone(),
                dlq_depth: l.dlq_depth,
                schedule: l.schedule.as_ref().map(|s| s.expression.clone()),
                scheduled_by: l.schedule.as_ref().map(|s| s.by.clone()),
                late_minutes: l.late_by(now).map(|d| d.as_secs() / 60),
                log_tail: l.log_tail.clone(),
            }),
        }),
        metrics: MetricsOut {
            values: m
                .metrics
                .iter()
                .map(|(name, s)| (name.to_string(), s))
                .chain(error_rates(m).iter().map(|(name, s)| (name.to_string(), s)))
                .filter_map(|(name, s)| Some((name, s.latest()?.1)))
                .collect(),
            source: m.metrics_source.map(|s| s.label()),
        },
        drift: drift(m, h.stage(Stage::Drift).health, rules, now),
        quality: quality::judge(m, rules, now)
            .into_iter()
            .map(|j| {
                let scale = j.published.as_ref().map(|p| p.scale);
                let out = QualityOut {
                    value: j.value,
                    raw: j.value.zip(scale).map(|(v, s)| s.raw(v)),
                    scale: scale.map(|s| s.label()),
                    threshold: j.threshold.and_then(|t| t.line()),
                    direction: j.threshold.map(|t| direction(t.direction)),
                    health: health(j.health),
                    stale: j.stale,
                    breached_since: j.breached_since,
                    trend: j.trend.map(trend),
                };
                (j.metric, out)
            })
            .collect(),
        metrics_at: m.metrics_at,
        last_change: None,
        scopes: Vec::new(),
        failover: None,
        environment: None,
        promotion: None,
    }
}

fn workload(w: &Workload) -> WorkloadOut {
    let unread = w.unread.iter().any(|p| p == crate::model::k8s::PODS);
    let known = |v| (!unread).then_some(v);
    WorkloadOut {
        cluster: w.cluster.clone(),
        namespace: w.namespace.clone(),
        ready: w.ready,
        reason: w.reason.clone(),
        url: w.url.clone(),
        traffic: w
            .traffic
            .iter()
            .map(|t| TrafficOut {
                revision: t.revision.clone(),
                percent: t.percent,
                latest: t.latest,
            })
            .collect(),
        previous_revision: w.previous_revision.clone(),
        storage_uri: w.storage_uri.clone(),
        image: w.image.clone(),
        replicas: w.replicas,
        rollout: w.rollout.clone(),
        pods: PodsOut {
            count: known(w.pods.count),
            restarts: known(w.pods.restarts),
            waiting: w.pods.waiting.clone(),
            last_termination: w.pods.last_termination.clone(),
        },
    }
}

fn ecs(s: &EcsService) -> EcsOut {
    let primary = s.primary();
    EcsOut {
        service: s.id(),
        running: s.running,
        desired: s.desired,
        task_definition: s.task_definition.clone(),
        image: s.image.clone(),
        previous_task_definition: s.previous.clone(),
        rollout: primary.and_then(|d| d.rollout.clone()),
        rollout_reason: primary.and_then(|d| d.reason.clone()),
        targets_unhealthy: s.targets_unhealthy(),
        stopped_tasks: s
            .stopped
            .iter()
            .map(|t| StoppedOut {
                task_definition: t.task_definition.clone(),
                stopped_at: t.stopped_at,
                reason: t.reason.clone(),
                exit_code: t.exit_code,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests;
