//! Metric series and the names the sources agree on.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Names of the metrics the health rules and views know about. Sources store series
/// under these keys; a team's own metrics keep their own names.
pub mod names {
    pub const INVOCATIONS: &str = "Invocations";
    pub const ERRORS_4XX: &str = "Invocation4XXErrors";
    pub const ERRORS_5XX: &str = "Invocation5XXErrors";
    pub const LATENCY_P50: &str = "ModelLatency.p50";
    pub const LATENCY_P99: &str = "ModelLatency.p99";
    pub const OVERHEAD_LATENCY: &str = "OverheadLatency";
    pub const CPU: &str = "CPUUtilization";
    pub const MEMORY: &str = "MemoryUtilization";
    /// A load balancer's unhealthy targets (ECS services).
    pub const UNHEALTHY_HOSTS: &str = "UnHealthyHostCount";
    pub const DRIFT_SCORE: &str = "DriftScore";
    /// Model Monitor publishes one drift metric per feature under this prefix.
    pub const FEATURE_DRIFT_PREFIX: &str = "feature_baseline_drift_";
    /// The threshold per-feature drift metrics use unless a feature has its own.
    pub const FEATURE_DRIFT: &str = "FeatureDrift";
    pub const MAPE: &str = "MAPE";
    pub const RMSE: &str = "RMSE";
    pub const SILHOUETTE: &str = "Silhouette";
    pub const CTR: &str = "CTR";
    pub const CONVERSION: &str = "ConversionRate";
    pub const AUC: &str = "AUC";
    pub const ACCURACY: &str = "Accuracy";
    pub const F1: &str = "F1";
    pub const PRECISION: &str = "Precision";
    pub const RECALL: &str = "Recall";
    /// Derived from 5xx and invocations; also the key its threshold lives under.
    pub const RATE_5XX: &str = "5xxRate";
    pub const RATE_4XX: &str = "4xxRate";
    /// A KServe canary revision's own 5xx rate, judged by the 5xx threshold.
    pub const CANARY_RATE_5XX: &str = "Canary5xxRate";
}

/// Minutes of history the sources fetch and the charts show.
pub const WINDOW_MINUTES: i64 = 180;

/// Values of one metric over time, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub points: Vec<(Timestamp, f64)>,
}

impl Series {
    pub fn new(points: Vec<(Timestamp, f64)>) -> Series {
        Series { points }
    }

    pub fn latest(&self) -> Option<(Timestamp, f64)> {
        self.points.last().copied()
    }

    pub fn values(&self) -> impl Iterator<Item = f64> + '_ {
        self.points.iter().map(|(_, v)| *v)
    }
}

/// Errors as a percentage of invocations, point by point over matching timestamps.
pub fn rate_percent(errors: &Series, invocations: &Series) -> Series {
    let points = errors
        .points
        .iter()
        .filter_map(|(t, e)| {
            let inv = invocations
                .points
                .iter()
                .find(|(ti, _)| ti == t)
                .map(|(_, v)| *v)?;
            (inv > 0.0).then_some((*t, 100.0 * e / inv))
        })
        .collect();
    Series { points }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: i64) -> Timestamp {
        Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn rate_matches_points_by_time_and_skips_zero_traffic() {
        let errors = Series::new(vec![(ts(0), 2.0), (ts(60), 5.0), (ts(120), 1.0)]);
        let inv = Series::new(vec![(ts(0), 100.0), (ts(60), 0.0), (ts(120), 50.0)]);
        let rate = rate_percent(&errors, &inv);
        assert_eq!(rate.points, vec![(ts(0), 2.0), (ts(120), 2.0)]);
    }
}
