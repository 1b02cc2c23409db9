//! Before and after a change: each metric's mean over the same length of time on
//! either side of it, and only what moved enough to matter, worded as an on-call
//! engineer reads it (`p99 ×4.8, 5xx 0.1% → 6.5%, CTR −18%`).

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use super::facts::ModelFacts;
use super::format;
use super::metrics::{names, rate_percent, Series};

/// The shortest window either side: fewer minutes are one noisy point.
const SHORTEST: SignedDuration = SignedDuration::from_mins(5);
/// The longest: older than an hour before a deploy says little about it.
const LONGEST: SignedDuration = SignedDuration::from_mins(60);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delta {
    pub metric: String,
    pub before: f64,
    pub after: f64,
}

impl Delta {
    /// How it reads: latency as a factor, rates as from → to, the rest as a change
    /// in percent of where it was.
    pub fn words(&self) -> String {
        let name = format::short_name(&self.metric);
        match self.metric.as_str() {
            names::LATENCY_P99 | names::LATENCY_P50 => {
                format!("{name} ×{:.1}", self.after / self.before)
            }
            names::RATE_5XX | names::RATE_4XX => format!(
                "{name} {} → {}",
                format::value(&self.metric, self.before),
                format::value(&self.metric, self.after)
            ),
            _ => {
                let change = 100.0 * (self.after - self.before) / self.before.abs();
                let sign = if change < 0.0 { "−" } else { "+" };
                format!("{name} {sign}{:.0}%", change.abs())
            }
        }
    }

    /// Whether it moved enough to name: latency by half again, an error rate by a
    /// percentage point, anything else by a tenth.
    fn meaningful(&self) -> bool {
        let (b, a) = (self.before, self.after);
        match self.metric.as_str() {
            names::LATENCY_P99 | names::LATENCY_P50 => {
                b > 0.0 && (a / b >= 1.5 || a / b <= 1.0 / 1.5)
            }
            names::RATE_5XX | names::RATE_4XX => (a - b).abs() >= 1.0,
            _ => b != 0.0 && ((a - b) / b).abs() >= 0.1,
        }
    }
}

/// What moved meaningfully across `at` among latency, error rates and the model's
/// business metrics (`business`), over equal windows: as long as `now - at` allows,
/// between 5 and 60 minutes. Empty when either side has no point yet.
pub fn around(m: &ModelFacts, business: &[String], at: Timestamp, now: Timestamp) -> Vec<Delta> {
    let window = now.duration_since(at).clamp(SHORTEST, LONGEST);
    let series = |name: &str| m.metrics.get(name).cloned();
    let rate = |errors: &str| {
        let inv = m.metrics.get(names::INVOCATIONS)?;
        Some(rate_percent(m.metrics.get(errors)?, inv))
    };
    let candidates: Vec<(String, Option<Series>)> = [
        (names::LATENCY_P99.to_string(), series(names::LATENCY_P99)),
        (names::RATE_5XX.to_string(), rate(names::ERRORS_5XX)),
        (names::RATE_4XX.to_string(), rate(names::ERRORS_4XX)),
    ]
    .into_iter()
    .chain(business.iter().map(|b| (b.clone(), series(b))))
    .collect();
    candidates
        .into_iter()
        .filter_map(|(metric, s)| {
            let s = s?;
            // Times come from outside (CloudTrail, a state document): never overflow.
            let before = mean(&s, at.checked_sub(window).ok()?, at, false)?;
            let after = mean(&s, at, at.checked_add(window).ok()?, true)?;
            let d = Delta {
                metric,
                before,
                after,
            };
            d.meaningful().then_some(d)
        })
        .collect()
}

/// The mean of the points from `from` to `to` (`to` itself included or not).
fn mean(s: &Series, from: Timestamp, to: Timestamp, inclusive: bool) -> Option<f64> {
    let inside = s
        .points
        .iter()
        .filter(|(t, v)| *t >= from && (*t < to || (inclusive && *t == to)) && v.is_finite());
    let (sum, n) = inside.fold((0.0, 0u32), |(sum, n), (_, v)| (sum + v, n + 1));
    (n > 0).then(|| sum / f64::from(n))
}

/// The deltas in one line, or None when nothing moved.
pub fn words(deltas: &[Delta]) -> Option<String> {
    (!deltas.is_empty()).then(|| {
        deltas
            .iter()
            .map(Delta::words)
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(mins: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + mins * 60).unwrap()
    }

    fn series(before: f64, after: f64) -> Series {
        Series::new(
            (-30..=30)
                .map(|i| (at(i), if i < 0 { before } else { after }))
                .collect(),
        )
    }

    fn model() -> ModelFacts {
        let mut m = ModelFacts::named("rec");
        m.metrics
            .insert(names::LATENCY_P99.into(), series(50.0, 240.0));
        m.metrics
            .insert(names::INVOCATIONS.into(), series(1000.0, 1000.0));
        m.metrics
            .insert(names::ERRORS_5XX.into(), series(1.0, 65.0));
        m.metrics.insert(names::ERRORS_4XX.into(), series(2.0, 2.0));
        m.metrics.insert(names::CTR.into(), series(0.05, 0.041));
        m.metrics.insert(names::MAPE.into(), series(10.0, 10.5));
        m
    }

    #[test]
    fn what_moved_reads_as_on_call_says_it() {
        let d = around(
            &model(),
            &[names::CTR.into(), names::MAPE.into()],
            at(0),
            at(20),
        );
        assert_eq!(
            words(&d).as_deref(),
            Some("p99 ×4.8, 5xx 0.1% → 6.5%, CTR −18%")
        );
    }

    #[test]
    fn equal_windows_and_nothing_before_a_first_point() {
        // 20 minutes after: the 20 minutes before count, not the half hour.
        let mut m = model();
        let mut p = series(50.0, 240.0);
        p.points[0].1 = 100_000.0;
        m.metrics.insert(names::LATENCY_P99.into(), p);
        let d = around(&m, &[], at(0), at(20));
        assert_eq!(d[0].before, 50.0);
        assert!(around(&m, &[], at(31), at(40)).is_empty());
        assert!(around(&m, &[], at(-40), at(-35)).is_empty());
    }
}
