//! Health rules as data: thresholds per metric with per-model overrides, loaded from config.

use std::collections::BTreeMap;

use super::distribution::Method;

use serde::{Deserialize, Serialize};

use super::facts::ModelKind;
use super::health::Health;
use super::identity::Normaliser;
use super::metrics::names;

/// Which side of a threshold is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Bad when the value rises above the threshold (MAPE, error rates, latency).
    #[default]
    Above,
    /// Bad when the value falls below the threshold (silhouette, CTR, AUC).
    Below,
}

/// Warn and crit levels for one metric. A missing level never fires.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub warn: Option<f64>,
    pub crit: Option<f64>,
    #[serde(default)]
    pub direction: Direction,
}

impl Threshold {
    pub const fn above(warn: f64, crit: f64) -> Threshold {
        Threshold {
            warn: Some(warn),
            crit: Some(crit),
            direction: Direction::Above,
        }
    }

    pub const fn below(warn: f64, crit: f64) -> Threshold {
        Threshold {
            warn: Some(warn),
            crit: Some(crit),
            direction: Direction::Below,
        }
    }

    /// Judges one value; no value (or NaN) is `Unknown`.
    pub fn evaluate(&self, value: Option<f64>) -> Health {
        let Some(v) = value.filter(|v| !v.is_nan()) else {
            return Health::Unknown;
        };
        let breached = |level: Option<f64>| match (level, self.direction) {
            (Some(l), Direction::Above) => v > l,
            (Some(l), Direction::Below) => v < l,
            (None, _) => false,
        };
        if breached(self.crit) {
            Health::Crit
        } else if breached(self.warn) {
            Health::Warn
        } else {
            Health::Ok
        }
    }

    /// The level drawn as the "crit" line on charts, else the warn one.
    pub fn line(&self) -> Option<f64> {
        self.crit.or(self.warn)
    }
}

/// Every threshold the dashboard judges by. `Default` holds the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Default threshold per metric name.
    pub metrics: BTreeMap<String, Threshold>,
    /// Overrides per model name, then metric name.
    pub per_model: BTreeMap<String, BTreeMap<String, Threshold>>,
    /// Age of the newest raw-data object, in hours.
    pub data_age_hours: Threshold,
    /// Number of features with drift violations in the latest report.
    pub drift_violations: Threshold,
    /// Quality metrics per model name when config names them; else by kind.
    pub quality_metrics: BTreeMap<String, Vec<String>>,
    /// Kinds config gives models, over what the source says (or could not tell).
    pub kinds: BTreeMap<String, ModelKind>,
    /// How names of one model from different sources are recognised as one.
    pub names: Normaliser,
}

impl Default for Rules {
    fn default() -> Rules {
        let metrics = [
            (names::MAPE, Threshold::above(10.0, 15.0)),
            (names::SILHOUETTE, Threshold::below(0.6, 0.5)),
            (names::CTR, Threshold::below(3.0, 2.5)),
            (names::CONVERSION, Threshold::below(1.0, 0.5)),
            (names::AUC, Threshold::below(0.8, 0.7)),
            // Ratios are judged in percent, whatever scale they were published in.
            (names::ACCURACY, Threshold::below(80.0, 70.0)),
            (names::F1, Threshold::below(70.0, 60.0)),
            (names::PRECISION, Threshold::below(70.0, 60.0)),
            (names::RECALL, Threshold::below(70.0, 60.0)),
            (names::RATE_5XX, Threshold::above(1.0, 5.0)),
            (names::RATE_4XX, Threshold::above(5.0, 10.0)),
            (names::LATENCY_P99, Threshold::above(500.0, 1000.0)),
            (names::DRIFT_SCORE, Threshold::above(0.1, 0.2)),
            (names::FEATURE_DRIFT, Threshold::above(0.1, 0.2)),
            // The conventional PSI levels: below 0.1 stable, above 0.25 shifted.
            (Method::Psi.metric(), Threshold::above(0.1, 0.25)),
            (Method::Js.metric(), Threshold::above(0.1, 0.2)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Rules {
            metrics,
            per_model: BTreeMap::new(),
            data_age_hours: Threshold::above(26.0, 50.0),
            drift_violations: Threshold::above(0.0, 4.0),
            quality_metrics: BTreeMap::new(),
            kinds: BTreeMap::new(),
            names: Normaliser::default(),
        }
    }
}

impl Rules {
    /// The threshold for `metric` on `model`: the model's override, else the default.
    pub fn threshold(&self, model: &str, metric: &str) -> Option<Threshold> {
        self.per_model
            .get(model)
            .and_then(|m| m.get(metric))
            .or_else(|| self.metrics.get(metric))
            .copied()
    }

    /// The threshold for `metric` on `model` and where it was set, in the words of
    /// config: the model's own, `[health.metrics]`, or the built-in default.
    pub fn threshold_origin(&self, model: &str, metric: &str) -> Option<(Threshold, String)> {
        if let Some(t) = self.per_model.get(model).and_then(|m| m.get(metric)) {
            return Some((*t, format!("[[models]] {model}: thresholds.{metric}")));
        }
        let t = *self.metrics.get(metric)?;
        let built_in = Rules::default().metrics.get(metric) == Some(&t);
        let origin = match built_in {
            true => format!("default {metric}"),
            false => format!("[health.metrics] {metric}"),
        };
        Some((t, origin))
    }

    /// The business metrics that judge a model's quality, most important first.
    pub fn quality_metrics(&self, model: &str, kind: ModelKind) -> Vec<String> {
        if let Some(named) = self.quality_metrics.get(model) {
            return named.clone();
        }
        let by_kind: &[&str] = match self.kinds.get(model).copied().unwrap_or(kind) {
            ModelKind::Forecasting => &[names::MAPE, names::RMSE],
            ModelKind::Segmentation => &[names::SILHOUETTE],
            ModelKind::Recommendation => &[names::CTR, names::CONVERSION],
            ModelKind::Classification => &[
                names::AUC,
                names::ACCURACY,
                names::F1,
                names::PRECISION,
                names::RECALL,
            ],
            ModelKind::Other => &[],
        };
        by_kind.iter().map(|s| s.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn above_thresholds_fire_strictly_above() {
        let mape = Threshold::above(10.0, 15.0);
        assert_eq!(mape.evaluate(Some(9.9)), Health::Ok);
        assert_eq!(mape.evaluate(Some(10.0)), Health::Ok);
        assert_eq!(mape.evaluate(Some(12.0)), Health::Warn);
        assert_eq!(mape.evaluate(Some(18.2)), Health::Crit);
    }

    #[test]
    fn below_thresholds_fire_below() {
        let silhouette = Threshold::below(0.6, 0.5);
        assert_eq!(silhouette.evaluate(Some(0.7)), Health::Ok);
        assert_eq!(silhouette.evaluate(Some(0.55)), Health::Warn);
        assert_eq!(silhouette.evaluate(Some(0.49)), Health::Crit);
    }

    #[test]
    fn missing_or_nan_value_is_unknown() {
        let t = Threshold::above(1.0, 5.0);
        assert_eq!(t.evaluate(None), Health::Unknown);
        assert_eq!(t.evaluate(Some(f64::NAN)), Health::Unknown);
    }

    #[test]
    fn a_missing_level_never_fires() {
        let only_crit = Threshold {
            warn: None,
            crit: Some(5.0),
            direction: Direction::Above,
        };
        assert_eq!(only_crit.evaluate(Some(4.0)), Health::Ok);
        assert_eq!(only_crit.evaluate(Some(6.0)), Health::Crit);
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let r = Rules::default();
        assert_eq!(r.threshold("x", "MAPE"), Some(Threshold::above(10.0, 15.0)));
        assert_eq!(r.threshold("x", "CTR"), Some(Threshold::below(3.0, 2.5)));
        assert_eq!(
            r.threshold("x", "5xxRate"),
            Some(Threshold::above(1.0, 5.0))
        );
        assert_eq!(r.data_age_hours, Threshold::above(26.0, 50.0));
        assert_eq!(r.threshold("x", "RMSE"), None);
    }

    #[test]
    fn per_model_override_wins() {
        let mut r = Rules::default();
        r.per_model.insert(
            "m".into(),
            [("MAPE".to_string(), Threshold::above(5.0, 8.0))].into(),
        );
        assert_eq!(r.threshold("m", "MAPE"), Some(Threshold::above(5.0, 8.0)));
        assert_eq!(
            r.threshold("other", "MAPE"),
            Some(Threshold::above(10.0, 15.0))
        );
    }

    #[test]
    fn quality_metrics_follow_kind_unless_named() {
        let mut r = Rules::default();
        assert_eq!(
            r.quality_metrics("a", ModelKind::Forecasting),
            vec!["MAPE", "RMSE"]
        );
        r.kinds.insert("a".into(), ModelKind::Segmentation);
        assert_eq!(r.quality_metrics("a", ModelKind::Other), vec!["Silhouette"]);
        r.quality_metrics.insert("a".into(), vec!["WAPE".into()]);
        assert_eq!(r.quality_metrics("a", ModelKind::Forecasting), vec!["WAPE"]);
    }
}
