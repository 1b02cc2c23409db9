//! Short human forms of ages and metric values, shared by summaries and views.

use jiff::{SignedDuration, Timestamp};

use super::metrics::names;
use super::units::is_ratio;

/// "12s", "41m", "3h", "2d 4h": the two largest units, for narrow cells.
pub fn age(d: SignedDuration) -> String {
    let s = d.as_secs().max(0);
    let (days, hours, mins) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// The largest unit only: "3h", "2d", for columns of a few characters.
pub fn age_brief(d: SignedDuration) -> String {
    age(d).split(' ').next().unwrap_or_default().to_string()
}

pub fn age_since(then: Timestamp, now: Timestamp) -> String {
    age(now.duration_since(then))
}

/// The unit a metric is shown in, by name: ratios in percent (see `units`).
pub fn unit(metric: &str) -> &'static str {
    match metric {
        names::RATE_5XX | names::RATE_4XX | names::CANARY_RATE_5XX => "%",
        names::LATENCY_P50 | names::LATENCY_P99 => "ms",
        m if is_ratio(m) => "%",
        _ => "",
    }
}

/// A metric value with its unit and a sensible precision.
pub fn value(metric: &str, v: f64) -> String {
    match unit(metric) {
        "ms" => format!("{v:.0}ms"),
        u => value_as(v, u == "%"),
    }
}

/// A value in percent ("18.3%") or as a plain number ("0.93", "1234").
pub fn value_as(v: f64, percent: bool) -> String {
    match percent {
        true => format!("{v:.1}%"),
        false if v.abs() >= 100.0 => format!("{v:.0}"),
        false => format!("{v:.2}"),
    }
}

/// Short label for a metric in narrow cells.
pub fn short_name(metric: &str) -> &str {
    match metric {
        names::CONVERSION => "CVR",
        names::SILHOUETTE => "silh",
        names::LATENCY_P99 => "p99",
        names::LATENCY_P50 => "p50",
        names::RATE_5XX => "5xx",
        names::CANARY_RATE_5XX => "canary 5xx",
        names::RATE_4XX => "4xx",
        names::DRIFT_SCORE => "drift",
        names::ACCURACY => "Acc",
        names::PRECISION => "Prec",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_use_two_largest_units() {
        assert_eq!(age(SignedDuration::from_secs(12)), "12s");
        assert_eq!(age(SignedDuration::from_secs(41 * 60)), "41m");
        assert_eq!(age(SignedDuration::from_secs(3 * 3600)), "3h");
        assert_eq!(age(SignedDuration::from_secs(3 * 3600 + 120)), "3h 2m");
        assert_eq!(
            age(SignedDuration::from_secs(2 * 86_400 + 4 * 3600)),
            "2d 4h"
        );
        assert_eq!(age(SignedDuration::from_secs(-5)), "0s");
        assert_eq!(
            age_brief(SignedDuration::from_secs(2 * 86_400 + 4 * 3600)),
            "2d"
        );
    }

    #[test]
    fn values_carry_units() {
        assert_eq!(value("MAPE", 18.24), "18.2%");
        assert_eq!(value("ModelLatency.p99", 912.4), "912ms");
        assert_eq!(value("Silhouette", 0.684), "0.68");
        assert_eq!(value("Invocations", 1234.0), "1234");
    }
}
