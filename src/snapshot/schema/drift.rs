//! The DRIFT stage in the snapshot's JSON: the figure that decided it, the features
//! that moved, the monitoring runs and their violations, the business metric.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use super::HealthOut;

#[derive(Debug, Serialize)]
pub struct DriftOut {
    pub health: HealthOut,
    /// Where the figure that decided the cell came from: "model-monitor",
    /// "metric" or "data-capture"; null when nothing decided.
    pub source: Option<&'static str>,
    /// How captured traffic was compared ("psi", "js"), when it was.
    pub method: Option<&'static str>,
    pub violations: Vec<ViolationOut>,
    /// The team's DriftScore, latest value.
    pub score: Option<f64>,
    /// Per feature: Model Monitor's drift metric's latest value, or the statistic
    /// computed from captured traffic.
    pub features: BTreeMap<String, f64>,
    /// Per feature computed from captured traffic: the statistic, its threshold
    /// and where that was set, and both histograms.
    pub computed: Vec<FeatureDriftOut>,
    /// What the computed figures rest on.
    pub sample: Option<SampleOut>,
    /// The endpoint's output compared the same way.
    pub prediction: Option<FeatureDriftOut>,
    /// Where the baseline and the captured traffic are.
    pub baseline: Option<String>,
    pub capture: Option<String>,
    /// What the computed figure waits for (no traffic, the baseline window).
    pub waiting: Option<String>,
    pub report: Option<String>,
    pub report_time: Option<Timestamp>,
    /// Why drift cannot be judged fully: an unreadable report, a failed monitoring run.
    pub problem: Option<String>,
    pub monitoring: Option<MonitoringOut>,
}

#[derive(Debug, Serialize)]
pub struct FeatureDriftOut {
    pub feature: String,
    pub statistic: f64,
    pub health: HealthOut,
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    /// Where the threshold was set ("default PSI", "[health.metrics] PSI", …).
    pub threshold_from: Option<String>,
    pub bins: Vec<String>,
    pub baseline: Vec<u64>,
    pub current: Vec<u64>,
}

#[derive(Debug, Serialize)]
pub struct SampleOut {
    pub baseline: u64,
    pub current: u64,
    pub skipped: u64,
    pub window_hours: u32,
    pub unread_files: u64,
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
    /// "above" or "below": which side of the threshold is bad.
    pub direction: Option<&'static str>,
    pub health: HealthOut,
    pub stale: bool,
    pub breached_since: Option<Timestamp>,
    /// "up", "down" or "flat".
    pub trend: Option<&'static str>,
}
