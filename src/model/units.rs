//! What a published number means: CloudWatch's own convention decides. A datapoint
//! published with `Unit=Percent` is 0–100; a ratio metric (MAPE, CTR, accuracy, …)
//! published without it is a fraction, as scikit-learn and most libraries return it
//! (0.183 = 18.3 %). Config can say otherwise per metric. Ratios are shown and
//! judged in percent, so thresholds are written in percent.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

use super::metrics::names;

/// How a published value relates to what is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// 0–1, shown ×100 as a percentage.
    Fraction,
    /// Already 0–100.
    Percent,
    /// Not a ratio: shown as published (RMSE, silhouette, AUC).
    Plain,
}

impl Scale {
    pub fn label(self) -> &'static str {
        match self {
            Scale::Fraction => "fraction",
            Scale::Percent => "percent",
            Scale::Plain => "plain",
        }
    }

    /// The shown value of a published one.
    pub fn shown(self, raw: f64) -> f64 {
        match self {
            Scale::Fraction => raw * 100.0,
            Scale::Percent | Scale::Plain => raw,
        }
    }

    /// The published value of a shown one.
    pub fn raw(self, shown: f64) -> f64 {
        match self {
            Scale::Fraction => shown / 100.0,
            Scale::Percent | Scale::Plain => shown,
        }
    }

    pub fn is_percent(self) -> bool {
        self != Scale::Plain
    }
}

/// A metric the team publishes itself, and how its numbers were read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub scale: Scale,
    /// Why that scale: the unit it was published with, the ratio rule, or config.
    pub why: String,
}

/// Ratios that cannot exceed the whole (a fraction of them is at most 1).
const BOUNDED_RATIOS: &[&str] = &[
    names::CTR,
    names::CONVERSION,
    names::ACCURACY,
    names::F1,
    names::PRECISION,
    names::RECALL,
    "ErrorRate",
];

/// Ratios that can exceed 100% (an error of twice the actual value).
const UNBOUNDED_RATIOS: &[&str] = &[names::MAPE, "WAPE", "SMAPE"];

/// Metrics that are ratios by nature: shown in percent.
pub fn is_ratio(metric: &str) -> bool {
    is_bounded_ratio(metric)
        || UNBOUNDED_RATIOS
            .iter()
            .any(|r| r.eq_ignore_ascii_case(metric))
}

fn is_bounded_ratio(metric: &str) -> bool {
    BOUNDED_RATIOS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(metric))
}

/// The scale of `metric`: config first, then the unit it was published with, then
/// the ratio rule. `largest` is the largest value published: a bounded ratio above 1
/// cannot be a fraction, and that is said rather than drawn as 210%.
pub fn scale_of(
    metric: &str,
    unit: Option<&str>,
    configured: Option<Scale>,
    largest: Option<f64>,
) -> Published {
    let (scale, why) = match (configured, unit) {
        (Some(s), _) => (s, format!("config says scale = \"{}\"", s.label())),
        (None, Some("Percent")) => (Scale::Percent, "published with Unit=Percent".to_string()),
        (None, _) if is_bounded_ratio(metric) && largest.is_some_and(|v| v > 1.0) => (
            Scale::Percent,
            format!(
                "{metric} was published without Unit=Percent but above 1, which a fraction \
                 cannot be: read as percent (publish with Unit=Percent or set scale)"
            ),
        ),
        (None, _) if is_ratio(metric) => (
            Scale::Fraction,
            format!(
                "{metric} is a ratio published without Unit=Percent: a fraction (0.183 = 18.3%)"
            ),
        ),
        (None, _) => (Scale::Plain, "not a ratio: shown as published".to_string()),
    };
    Published { scale, why }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_published_decides_then_the_ratio_rule() {
        let scale = |m, unit, largest| scale_of(m, unit, None, largest).scale;
        assert_eq!(scale("MAPE", Some("Percent"), Some(18.3)), Scale::Percent);
        assert_eq!(scale("MAPE", None, Some(0.183)), Scale::Fraction);
        assert_eq!(scale("MAPE", Some("None"), Some(0.183)), Scale::Fraction);
        assert_eq!(scale("ctr", None, Some(0.019)), Scale::Fraction);
        assert_eq!(scale("Accuracy", None, None), Scale::Fraction);
        assert_eq!(scale("RMSE", None, Some(42.0)), Scale::Plain);
        assert_eq!(scale("Silhouette", Some("Percent"), None), Scale::Percent);
        assert_eq!(scale("AUC", None, Some(0.9)), Scale::Plain);
    }

    #[test]
    fn a_bounded_ratio_above_one_is_read_as_percent_and_says_why() {
        let ctr = scale_of("CTR", None, None, Some(2.1));
        assert_eq!(ctr.scale, Scale::Percent);
        assert!(ctr.why.contains("above 1"), "{}", ctr.why);
        // A forecast can be off by more than 100%: MAPE 1.4 is 140%.
        assert_eq!(
            scale_of("MAPE", None, None, Some(1.4)).scale,
            Scale::Fraction
        );
    }

    #[test]
    fn config_overrides_the_unit() {
        let p = scale_of("MAPE", Some("Percent"), Some(Scale::Fraction), Some(18.0));
        assert_eq!(p.scale, Scale::Fraction);
        assert!(p.why.contains("config"), "{}", p.why);
        let lift = scale_of("Lift", None, Some(Scale::Percent), None);
        assert_eq!(lift.scale, Scale::Percent);
    }

    #[test]
    fn fractions_are_shown_in_percent_and_back() {
        assert!((Scale::Fraction.shown(0.183) - 18.3).abs() < 1e-9);
        assert!((Scale::Fraction.raw(18.3) - 0.183).abs() < 1e-9);
        assert_eq!(Scale::Percent.shown(18.3), 18.3);
        assert_eq!(Scale::Plain.raw(0.68), 0.68);
    }
}
