//! The JSON snapshot: its own types, so internal refactors never change the keys
//! scripts rely on. README documents every key.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::Gathered;
use crate::app::Place;
use crate::model::facts::{Approval, ModelFacts, RunStatus};
use crate::model::metrics::names;
use crate::model::quality::{self, Trend};
use crate::model::stages::error_rates;
use crate::model::{AlarmState, Direction, Health, Rules, Stage};

#[derive(Debug, Serialize)]
pub struct Snapshot {
    pub generated_at: Timestamp,
    /// "demo" or "aws".
    pub source: &'static str,
    pub region: Option<String>,
    pub account: Option<String>,
    pub health: Health,
    pub models: Vec<ModelOut>,
    pub alarms: Vec<AlarmOut>,
    pub errors: Vec<ErrorOut>,
    /// AWS requests this snapshot made, keyed "Service:Operation".
    pub api_calls: BTreeMap<String, u64>,
    pub cost: Option<CostOut>,
    pub traces: Option<TracesOut>,
}

#[derive(Debug, Serialize)]
pub struct TracesOut {
    pub window_minutes: i64,
    /// Worst first, each with request count, 4xx/5xx/429 rates (%), latency (ms).
    pub services: Vec<crate::model::traces::ServiceNode>,
    /// Faulty first, then slowest; the worst few with their slowest span.
    pub worst: Vec<TraceOut>,
    pub problem: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct TraceOut {
    pub id: String,
    pub duration_ms: f64,
    pub http_status: Option<u16>,
    pub fault: bool,
    pub error: bool,
    pub entry: Option<String>,
    /// The span with the most time of its own, when the trace was fetched in full.
    pub culprit: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct CostOut {
    pub currency: String,
    pub month_to_date: f64,
    /// The whole month's expected cost.
    pub forecast: Option<f64>,
    /// The forecast's 80% interval, [lower, upper].
    pub forecast_interval: Option<[f64; 2]>,
    pub by_service: BTreeMap<String, f64>,
    pub by_model: BTreeMap<String, f64>,
    /// When Cost Explorer answered (cached answers keep their time).
    pub as_of: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct ModelOut {
    pub name: String,
    /// How the name was found: config, tag, lineage or name, and what matched.
    pub identity: Option<IdentityOut>,
    pub kind: &'static str,
    pub health: Health,
    pub stages: BTreeMap<Stage, StageOut>,
    pub endpoint: Option<EndpointOut>,
    pub training: Option<TrainingOut>,
    pub registry: RegistryOut,
    /// Raw-data freshness, when config names a location.
    pub data: Option<DataOut>,
    /// Latest value of each metric, and of the error rates derived from them.
    pub metrics: BTreeMap<String, f64>,
    pub drift: DriftOut,
    /// Each quality metric judged against its threshold.
    pub quality: BTreeMap<String, QualityOut>,
}

#[derive(Debug, Serialize)]
pub struct IdentityOut {
    pub by: &'static str,
    pub evidence: String,
    /// Each piece joined to the model (endpoint, package group, jobs, metrics) and how.
    pub pieces: Vec<PieceOut>,
}

#[derive(Debug, Serialize)]
pub struct PieceOut {
    pub what: String,
    pub by: &'static str,
    pub evidence: String,
}

#[derive(Debug, Serialize)]
pub struct DriftOut {
    pub health: Health,
    pub violations: Vec<ViolationOut>,
    /// The team's DriftScore, latest value.
    pub score: Option<f64>,
    /// Model Monitor's per-feature drift metrics, latest values.
    pub features: BTreeMap<String, f64>,
    pub report: Option<String>,
    pub report_time: Option<Timestamp>,
    /// Why drift cannot be judged fully: an unreadable report, a failed monitoring run.
    pub problem: Option<String>,
    pub monitoring: Option<MonitoringOut>,
}

#[derive(Debug, Serialize)]
pub struct ViolationOut {
    pub feature: String,
    pub check: String,
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct MonitoringOut {
    pub schedule: String,
    pub status: String,
    pub failure_reason: Option<String>,
    pub scheduled: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct QualityOut {
    /// In percent for ratio metrics (see `scale`).
    pub value: Option<f64>,
    /// As published, when the team publishes it.
    pub raw: Option<f64>,
    /// "fraction" (0–1, shown ×100), "percent" or "plain", when the team publishes it.
    pub scale: Option<&'static str>,
    /// The crit level, else the warn one.
    pub threshold: Option<f64>,
    pub direction: Option<Direction>,
    pub health: Health,
    pub stale: bool,
    pub breached_since: Option<Timestamp>,
    pub trend: Option<Trend>,
}

#[derive(Debug, Serialize)]
pub struct DataOut {
    pub location: String,
    pub newest_object: Option<Timestamp>,
}

#[derive(Debug, Serialize)]
pub struct StageOut {
    pub health: Health,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct EndpointOut {
    pub name: String,
    pub status: String,
    pub config: String,
    pub variants: Vec<VariantOut>,
    /// The current config and older ones named like it, newest first.
    pub history: Vec<ConfigOut>,
}

#[derive(Debug, Serialize)]
pub struct ConfigOut {
    pub config: String,
    pub created: Timestamp,
    pub model: Option<String>,
    pub model_version: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct VariantOut {
    pub name: String,
    pub weight: f64,
    pub instances: u32,
    /// The package version it serves, when lineage finds it.
    pub model_version: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct TrainingOut {
    pub name: String,
    pub status: RunStatus,
    pub failure_reason: Option<String>,
    /// The job that wrote what the endpoint serves, when lineage finds it.
    pub serving: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RegistryOut {
    pub versions: Vec<VersionOut>,
}

#[derive(Debug, Serialize)]
pub struct VersionOut {
    pub version: u32,
    pub approval: Approval,
    pub deployed: bool,
}

#[derive(Debug, Serialize)]
pub struct AlarmOut {
    pub name: String,
    pub state: AlarmState,
    pub reason: String,
    pub since: Timestamp,
    pub model: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ErrorOut {
    pub source: String,
    pub message: String,
}

impl Snapshot {
    pub fn new(g: &Gathered, api_calls: BTreeMap<String, u64>) -> Snapshot {
        let app = &g.app;
        let fleet = app.fleet.data();
        let models: Vec<ModelOut> = app
            .rows
            .iter()
            .filter_map(|row| {
                let m = fleet?.models.get(row.index)?;
                Some(model(m, app.health.get(&m.name)?, &app.rules, app.now))
            })
            .collect();
        Snapshot {
            generated_at: app.now,
            source: match app.context.place {
                Place::Demo { .. } => "demo",
                Place::Aws { .. } => "aws",
            },
            region: app.context.region().map(str::to_string),
            account: app.context.account.clone(),
            health: Health::worst(
                models
                    .iter()
                    .map(|m| m.health)
                    .filter(|h| *h != Health::Unknown),
            ),
            alarms: fleet
                .map(|f| {
                    f.alarms
                        .iter()
                        .map(|a| AlarmOut {
                            name: a.name.clone(),
                            state: a.state,
                            reason: a.reason.clone(),
                            since: a.since,
                            model: a.model.clone(),
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
            models,
            api_calls,
            traces: app.traces().map(|t| TracesOut {
                window_minutes: t.window_minutes,
                services: t.services.clone(),
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
        health: h.overall,
        stages: Stage::ALL
            .iter()
            .map(|&s| {
                let st = h.stage(s);
                (
                    s,
                    StageOut {
                        health: st.health,
                        summary: st.summary.clone(),
                    },
                )
            })
            .collect(),
        endpoint: m.endpoint.as_ref().map(|e| EndpointOut {
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
                })
                .collect(),
        }),
        training: m.training.first().map(|t| TrainingOut {
            name: t.name.clone(),
            status: t.status,
            failure_reason: t.failure_reason.clone(),
            serving: m
                .training
                .iter()
                .find(|r| r.serving)
                .map(|r| r.name.clone()),
        }),
        registry: RegistryOut {
            versions: m
                .registry
                .iter()
                .map(|v| VersionOut {
                    version: v.version,
                    approval: v.approval,
                    deployed: v.deployed,
                })
                .collect(),
        },
        data: m.data.as_ref().map(|d| DataOut {
            location: d.location.clone(),
            newest_object: d.newest_object,
        }),
        metrics: m
            .metrics
            .iter()
            .map(|(name, s)| (name.to_string(), s))
            .chain(error_rates(m).iter().map(|(name, s)| (name.to_string(), s)))
            .filter_map(|(name, s)| Some((name, s.latest()?.1)))
            .collect(),
        drift: drift(m, h.stage(Stage::Drift).health),
        quality: quality::judge(m, rules, now)
            .into_iter()
            .map(|j| {
                let scale = j.published.as_ref().map(|p| p.scale);
                let out = QualityOut {
                    value: j.value,
                    raw: j.value.zip(scale).map(|(v, s)| s.raw(v)),
                    scale: scale.map(|s| s.label()),
                    threshold: j.threshold.and_then(|t| t.line()),
                    direction: j.threshold.map(|t| t.direction),
                    health: j.health,
                    stale: j.stale,
                    breached_since: j.breached_since,
                    trend: j.trend,
                };
                (j.metric, out)
            })
            .collect(),
    }
}

fn drift(m: &ModelFacts, health: Health) -> DriftOut {
    let d = &m.drift;
    let latest = |s: &crate::model::metrics::Series| s.latest().map(|(_, v)| v);
    let failed_run = d.monitoring.as_ref().and_then(|r| r.failure());
    DriftOut {
        health,
        violations: d
            .violations
            .iter()
            .map(|v| ViolationOut {
                feature: v.feature.clone(),
                check: v.check.clone(),
                description: v.description.clone(),
            })
            .collect(),
        score: m.metrics.get(names::DRIFT_SCORE).and_then(latest),
        features: m
            .metrics
            .iter()
            .filter_map(|(k, s)| {
                let feature = k.strip_prefix(names::FEATURE_DRIFT_PREFIX)?;
                Some((feature.to_string(), latest(s)?))
            })
            .collect(),
        report: d.report.clone(),
        report_time: d.report_time,
        problem: d.report_problem.clone().or(failed_run),
        monitoring: d.monitoring.as_ref().map(|r| MonitoringOut {
            schedule: r.schedule.clone(),
            status: r.status.clone(),
            failure_reason: r.failure_reason.clone(),
            scheduled: r.scheduled,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_app;

    #[test]
    fn keys_are_the_documented_ones() {
        let g = Gathered {
            app: demo_app(4, 120),
            errors: vec![("s3".into(), "denied".into())],
        };
        let v = serde_json::to_value(Snapshot::new(&g, BTreeMap::new())).unwrap();
        for key in [
            "generated_at",
            "source",
            "region",
            "account",
            "health",
            "models",
            "alarms",
            "errors",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        let m = &v["models"][0];
        for key in [
            "name", "health", "stages", "endpoint", "training", "registry", "metrics",
        ] {
            assert!(m.get(key).is_some(), "model is missing {key}");
        }
        for stage in [
            "data", "training", "registry", "endpoint", "drift", "quality",
        ] {
            assert!(m["stages"][stage]["health"].is_string(), "stage {stage}");
        }
        assert_eq!(v["errors"][0]["source"], "s3");
        let demand = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "demand-forecasting")
            .unwrap();
        assert_eq!(demand["stages"]["quality"]["health"], "crit");
        assert_eq!(demand["metrics"]["MAPE"], 18.2);
        assert_eq!(demand["registry"]["versions"][0]["approval"], "Approved");
        assert_eq!(demand["endpoint"]["variants"][0]["weight"], 1.0);
        let churn = v["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "churn-detection")
            .unwrap();
        assert_eq!(churn["training"]["status"], "Failed");
        assert_eq!(
            v["alarms"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["state"] == "Alarm")
                .count(),
            2
        );
    }
}
