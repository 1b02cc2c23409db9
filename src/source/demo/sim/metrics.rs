//! Each model's metric series over the window.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::super::profiles::{Incident, Profile, DRIFTED_FEATURES, MAPE_BREACH, MAPE_RAMP_SECS};
use super::*;
use crate::model::metrics::{names, Series};

impl Simulator {
    pub(super) fn metrics(
        &self,
        idx: u64,
        p: &Profile,
        now: Timestamp,
    ) -> BTreeMap<String, Series> {
        let times = Simulator::times(now);
        let spike = |t: Timestamp| self.spike(p, t);
        let series = |metric: u64, f: &dyn Fn(f64, Timestamp) -> f64| {
            Series::new(
                times
                    .iter()
                    .map(|&(m, t)| (t, f(self.noise(idx, metric, m), t)))
                    .collect(),
            )
        };
        let invocations = |n: f64, t: Timestamp| {
            let day = (t.as_second().rem_euclid(86_400)) as f64 / 86_400.0;
            let daily = 1.0 + 0.3 * (2.0 * std::f64::consts::PI * (day - 0.3)).sin();
            (p.invocations_per_min * daily * (1.0 + 0.05 * n)).round()
        };
        let mut out = BTreeMap::new();
        out.insert(names::INVOCATIONS.into(), series(0, &invocations));
        out.insert(
            names::ERRORS_4XX.into(),
            series(1, &|n, t| {
                (invocations(0.0, t) * 0.003 * (1.0 + 0.5 * n)).round()
            }),
        );
        out.insert(
            names::ERRORS_5XX.into(),
            series(2, &|n, t| {
                // The spike stays well inside crit (6.8–9.2%) so it never flickers.
                let (rate, spread) = if spike(t) { (0.08, 0.15) } else { (0.001, 0.3) };
                (invocations(0.0, t) * rate * (1.0 + spread * n)).round()
            }),
        );
        let factor = |t: Timestamp, f: f64| if spike(t) { f } else { 1.0 };
        out.insert(
            names::LATENCY_P50.into(),
            series(3, &|n, t| {
                p.latency_p50_ms * (1.0 + 0.1 * n) * factor(t, 3.0)
            }),
        );
        out.insert(
            names::LATENCY_P99.into(),
            series(4, &|n, t| {
                p.latency_p99_ms * (1.0 + 0.15 * n) * factor(t, 5.2)
            }),
        );
        // The team whose drift comes from captured traffic publishes no score.
        if p.name != super::capture::CAPTURED_MODEL {
            out.insert(
                names::DRIFT_SCORE.into(),
                series(5, &|n, t| {
                    let drifted = self.active(&p.name, Incident::DriftViolations, t)
                        && self.retrained(&p.name, t).is_none();
                    let level = if drifted { 0.16 } else { p.drift_score };
                    level + 0.01 * n
                }),
            );
        }
        // Model Monitor's distance per drifting feature, while the drift lasts.
        if self
            .incident_start(&p.name, Incident::DriftViolations)
            .is_some()
        {
            for (k, (feature, _)) in DRIFTED_FEATURES.iter().enumerate() {
                out.insert(
                    format!("{}{feature}", names::FEATURE_DRIFT_PREFIX),
                    series(20 + k as u64, &|n, t| {
                        let drifted = self.active(&p.name, Incident::DriftViolations, t)
                            && self.retrained(&p.name, t).is_none();
                        (if drifted { 0.16 } else { 0.03 }) + 0.01 * n
                    }),
                );
            }
        }
        for (k, &(name, base, jitter)) in p.quality.iter().enumerate() {
            let breach = self
                .incident_start(&p.name, Incident::MapeBreach)
                .filter(|_| name == names::MAPE);
            out.insert(
                name.into(),
                series(10 + k as u64, &|n, t| {
                    let up = breach.map_or(0.0, |start| {
                        (t.duration_since(start).as_secs_f64() / MAPE_RAMP_SECS).clamp(0.0, 1.0)
                    });
                    let ramp = up * (1.0 - self.recovery(&p.name, t));
                    let normal = base + jitter * n;
                    normal + (MAPE_BREACH - normal) * ramp
                }),
            );
        }
        out
    }
}
