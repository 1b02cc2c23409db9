//! Each quality metric of a model judged: latest value against its threshold, which
//! way it is heading, and since when it has been out of bounds.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::facts::ModelFacts;
use super::format;
use super::health::Health;
use super::metrics::{names, Series};
use super::rules::{Rules, Threshold};
use super::units::Published;

/// A value this old says nothing about now: shown, but judged unknown.
pub const STALE_AFTER: SignedDuration = SignedDuration::from_hours(26);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Up,
    Down,
    Flat,
}

impl Trend {
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Flat => "→",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Judged {
    pub metric: String,
    /// As shown: in percent for ratio metrics.
    pub value: Option<f64>,
    /// Shown in percent (a ratio metric, or one config scales).
    pub percent: bool,
    /// How the team's published number was read, when the team publishes it.
    pub published: Option<Published>,
    pub at: Option<Timestamp>,
    pub threshold: Option<Threshold>,
    pub health: Health,
    /// The latest value is older than `STALE_AFTER`.
    pub stale: bool,
    /// The start of the current run of out-of-bounds values.
    pub breached_since: Option<Timestamp>,
    pub trend: Option<Trend>,
}

/// The model's quality metrics (most important first), then every other metric the
/// team publishes for it, each judged at `now`. A metric without a threshold keeps
/// its value and trend, with health unknown.
pub fn judge(m: &ModelFacts, rules: &Rules, now: Timestamp) -> Vec<Judged> {
    let mut metrics = rules.quality_metrics(&m.name, m.kind);
    for key in m.published.keys() {
        if !metrics.contains(key) && !key.starts_with(names::FEATURE_DRIFT_PREFIX) {
            metrics.push(key.clone());
        }
    }
    metrics
        .into_iter()
        .map(|metric| {
            let series = m.metrics.get(&metric).cloned().unwrap_or_default();
            let threshold = rules.threshold(&m.name, &metric);
            let published = m.published.get(&metric).cloned();
            let mut j = judge_one(metric, &series, threshold, now);
            j.percent = published
                .as_ref()
                .map_or(format::unit(&j.metric) == "%", |p| p.scale.is_percent());
            j.published = published;
            j
        })
        .collect()
}

pub fn judge_one(
    metric: String,
    series: &Series,
    threshold: Option<Threshold>,
    now: Timestamp,
) -> Judged {
    let latest = series.latest();
    let stale = latest.is_some_and(|(t, _)| now.duration_since(t) > STALE_AFTER);
    let health = match (latest, threshold) {
        (None, _) => Health::Unknown,
        (Some(_), _) if stale => Health::Unknown,
        (Some((_, v)), Some(t)) => t.evaluate(Some(v)),
        // Shown, never judged green: nobody said what good is.
        (Some(_), None) => Health::Unknown,
    };
    Judged {
        percent: format::unit(&metric) == "%",
        published: None,
        value: latest.map(|(_, v)| v),
        at: latest.map(|(t, _)| t),
        breached_since: threshold.and_then(|t| breached_since(series, &t)),
        trend: trend(series),
        metric,
        threshold,
        health,
        stale,
    }
}

/// The metric a quality cell shows: the worst of those with a threshold; on a tie
/// the first named (most important) one. A metric without a threshold is shown only
/// when nothing with one has a value. Metrics without a value are not shown.
pub fn shown(judged: &[Judged]) -> Option<&Judged> {
    let valued = || judged.iter().filter(|j| j.value.is_some());
    valued()
        .filter(|j| j.threshold.is_some())
        .rev()
        .max_by_key(|j| j.health)
        .or_else(|| valued().next())
}

/// When the values started being out of bounds, if the latest one is.
pub fn breached_since(series: &Series, threshold: &Threshold) -> Option<Timestamp> {
    let breached = |v: f64| threshold.evaluate(Some(v)) > Health::Ok;
    series
        .points
        .iter()
        .rev()
        .take_while(|(_, v)| breached(*v))
        .last()
        .map(|(t, _)| *t)
}

/// The latest value against the one half an hour before (else the oldest): flat
/// within 2%.
pub fn trend(series: &Series) -> Option<Trend> {
    let (t_last, last) = series.latest()?;
    let before = series
        .points
        .iter()
        .rev()
        .find(|(t, _)| t_last.duration_since(*t) >= SignedDuration::from_mins(30))
        .or(series.points.first())
        .map(|(_, v)| *v)?;
    let scale = before.abs().max(last.abs()).max(f64::EPSILON);
    Some(match (last - before) / scale {
        d if d > 0.02 => Trend::Up,
        d if d < -0.02 => Trend::Down,
        _ => Trend::Flat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + min * 60).unwrap()
    }

    fn series(values: &[f64]) -> Series {
        Series::new(
            values
                .iter()
                .enumerate()
                .map(|(i, v)| (at(i as i64 * 10), *v))
                .collect(),
        )
    }

    #[test]
    fn breach_runs_from_the_first_bad_point_of_the_current_run() {
        let mape = Threshold::above(10.0, 15.0);
        let s = series(&[9.0, 12.0, 8.0, 11.0, 16.0, 18.2]);
        assert_eq!(breached_since(&s, &mape), Some(at(30)));
        assert_eq!(breached_since(&series(&[12.0, 9.0]), &mape), None);
    }

    #[test]
    fn below_thresholds_breach_downwards() {
        let ctr = Threshold::below(3.0, 2.5);
        let j = judge_one("CTR".into(), &series(&[3.4, 2.9, 2.1]), Some(ctr), at(20));
        assert_eq!(j.health, Health::Crit);
        assert_eq!(j.breached_since, Some(at(10)));
        assert_eq!(j.trend, Some(Trend::Down));
    }

    #[test]
    fn missing_is_unknown_and_old_is_stale_not_green() {
        let mape = Some(Threshold::above(10.0, 15.0));
        let none = judge_one("MAPE".into(), &Series::default(), mape, at(0));
        assert_eq!((none.health, none.stale), (Health::Unknown, false));
        let old = judge_one("MAPE".into(), &series(&[8.0]), mape, at(27 * 60));
        assert_eq!(
            (old.health, old.stale, old.value),
            (Health::Unknown, true, Some(8.0))
        );
    }

    #[test]
    fn trend_compares_with_half_an_hour_before() {
        assert_eq!(trend(&series(&[5.0, 5.0, 5.0, 5.05])), Some(Trend::Flat));
        assert_eq!(trend(&series(&[5.0, 9.0, 9.0, 6.0])), Some(Trend::Up));
        assert_eq!(trend(&series(&[1.0])), Some(Trend::Flat));
        assert_eq!(trend(&Series::default()), None);
    }
}
