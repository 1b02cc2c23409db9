//! Drift computed from captured traffic, for the one demo model whose team has no
//! Model Monitor: recommendation-engine. The samples are quantiles of known
//! distributions (no randomness), so the figures are the same on every run: the
//! basket value creeps up a few minutes in, enough to warn; the rest stays put.

use jiff::Timestamp;

use super::Simulator;
use crate::model::captured::{CapturedDrift, DriftSample, FeatureDrift};
use crate::model::distribution::{Bins, Method};

pub const CAPTURED_MODEL: &str = "recommendation-engine";
const BASELINE_RECORDS: usize = 5_000;
const CURRENT_RECORDS: usize = 3_000;
/// Seconds until the basket value's shift is whole.
const CREEP_SECS: f64 = 120.0;

impl Simulator {
    pub(super) fn captured(&self, now: Timestamp) -> CapturedDrift {
        let creep = (now.duration_since(self.started).as_secs_f64() / CREEP_SECS).clamp(0.0, 1.0);
        let numeric = |name: &str, centre: f64, scale: f64, shift: f64| {
            let mut baseline = logistic(BASELINE_RECORDS, centre, scale, 0.0);
            let current = logistic(CURRENT_RECORDS, centre, scale, shift);
            let bins = Bins::numeric(&mut baseline);
            compare(name, &bins, &texts(&baseline), &texts(&current))
        };
        let channel = |web: usize, app: usize, email: usize| {
            let mut v = vec!["web"; web];
            v.extend(vec!["app"; app]);
            v.extend(vec!["email"; email]);
            v
        };
        let (b_channel, c_channel) = (channel(2750, 1750, 500), channel(1560, 1140, 300));
        let bins = Bins::categorical(b_channel.iter().copied());
        let as_owned = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let features = [
            numeric("basket_value", 42.0, 8.0, 5.0 * creep),
            numeric("session_secs", 300.0, 60.0, 0.0),
            compare(
                "channel",
                &bins,
                &as_owned(&b_channel),
                &as_owned(&c_channel),
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        CapturedDrift {
            method: Method::Psi,
            features,
            prediction: numeric("prediction", 0.30, 0.05, 0.012 * creep),
            sample: DriftSample {
                baseline: BASELINE_RECORDS as u64,
                current: CURRENT_RECORDS as u64,
                skipped: 3,
                window_hours: 24,
            },
            baseline: format!("training data s3://retail-ml-train/{CAPTURED_MODEL}/train.csv"),
            capture: format!("s3://retail-ml-capture/datacapture/{CAPTURED_MODEL}-prod/"),
            problem: None,
            waiting: None,
            unread_files: 0,
        }
        .sorted()
    }
}

/// `n` evenly spaced quantiles of a logistic distribution, moved by `shift`.
fn logistic(n: usize, centre: f64, scale: f64, shift: f64) -> Vec<f64> {
    (0..n)
        .map(|i| {
            let p = (i as f64 + 0.5) / n as f64;
            centre + shift + scale * (p / (1.0 - p)).ln()
        })
        .collect()
}

fn texts(values: &[f64]) -> Vec<String> {
    values.iter().map(|v| format!("{v:.3}")).collect()
}

fn compare(
    name: &str,
    bins: &Bins,
    baseline: &[String],
    current: &[String],
) -> Option<FeatureDrift> {
    let (b, _) = bins.count(baseline.iter().map(String::as_str));
    let (c, _) = bins.count(current.iter().map(String::as_str));
    FeatureDrift::compare(name, bins, &b, &c, Method::Psi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basket_value_creeps_past_the_warn_level_and_the_rest_stays() {
        let start: Timestamp = "2026-11-22T03:00:00Z".parse().unwrap();
        let sim = Simulator::new(42, start, 4);
        let psi = |secs: i64, feature: &str| {
            let d = sim.captured(start + jiff::SignedDuration::from_secs(secs));
            d.features
                .iter()
                .find(|f| f.name == feature)
                .unwrap()
                .statistic
        };
        assert!(psi(0, "basket_value") < 0.01);
        let crept = psi(600, "basket_value");
        assert!((0.1..0.2).contains(&crept), "{crept}");
        assert!(psi(600, "session_secs") < 0.01);
        assert!(psi(600, "channel") < 0.1);
    }
}
