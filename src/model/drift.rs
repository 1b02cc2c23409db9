//! The DRIFT stage: one judgement over every way drift reaches the dashboard —
//! Model Monitor's reports and runs, the team's published drift metrics, and drift
//! computed from the endpoint's captured traffic — with the source that decided.

use jiff::Timestamp;
use serde::Serialize;

use super::captured::{CapturedDrift, FeatureDrift};
use super::cell::StageStatus;
use super::facts::ModelFacts;
use super::format;
use super::health::Health;
use super::metrics::{names, Series};
use super::rules::{Rules, Threshold};

/// Where a drift figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftSource {
    ModelMonitor,
    Metric,
    DataCapture,
}

impl DriftSource {
    /// In words, for the drift panel's title.
    pub fn title(self) -> &'static str {
        match self {
            DriftSource::ModelMonitor => "Model Monitor",
            DriftSource::Metric => "a published metric",
            DriftSource::DataCapture => "captured traffic",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DriftSource::ModelMonitor => "model-monitor",
            DriftSource::Metric => "metric",
            DriftSource::DataCapture => "data-capture",
        }
    }
}

/// The DRIFT cell.
pub fn judge(m: &ModelFacts, rules: &Rules, now: Timestamp) -> StageStatus {
    let waiting = m.drift.captured.as_ref().and_then(|c| c.waiting.as_ref());
    match (worst(checks(m, rules, now)), waiting) {
        (Some((s, _)), _) => s,
        // Nothing judged yet, but something will be: say so, still unknown.
        (None, Some(_)) => StageStatus::new(Health::Unknown, "capture: waiting").brief("wait"),
        (None, None) => StageStatus::unknown(),
    }
}

/// The source of the check that decided the DRIFT cell; None when nothing did.
pub fn decided_by(m: &ModelFacts, rules: &Rules, now: Timestamp) -> Option<DriftSource> {
    worst(checks(m, rules, now)).map(|(_, source)| source)
}

/// The worst check; on a tie the first.
fn worst(checks: Vec<(StageStatus, DriftSource)>) -> Option<(StageStatus, DriftSource)> {
    checks.into_iter().rev().max_by_key(|(c, _)| c.health)
}

/// Every drift check in order of precedence on a tie: violated features, the team's
/// score, features' drift metrics, captured traffic, then problems.
fn checks(m: &ModelFacts, rules: &Rules, now: Timestamp) -> Vec<(StageStatus, DriftSource)> {
    use DriftSource::{DataCapture, Metric, ModelMonitor};
    let d = &m.drift;
    let mut checks: Vec<(StageStatus, DriftSource)> = Vec::new();
    let count = d.violations.len();
    let violations = d.report_time.map(|_| {
        let h = rules.drift_violations.evaluate(Some(count as f64));
        (StageStatus::new(h, format!("{count} feat")), ModelMonitor)
    });
    if count > 0 {
        checks.extend(violations.clone());
    }
    if let Some((_, v)) = m.metrics.get(names::DRIFT_SCORE).and_then(Series::latest) {
        let h = rules
            .threshold(&m.name, names::DRIFT_SCORE)
            .map_or(Health::Ok, |t| t.evaluate(Some(v)));
        checks.push((StageStatus::new(h, format!("{v:.2}")), Metric));
    }
    // A clean report speaks only when no score does.
    if count == 0 {
        checks.extend(violations);
    }
    for (key, series) in &m.metrics {
        let Some(feature) = key.strip_prefix(names::FEATURE_DRIFT_PREFIX) else {
            continue;
        };
        let Some((_, v)) = series.latest() else {
            continue;
        };
        let h = rules
            .threshold(&m.name, key)
            .or_else(|| rules.threshold(&m.name, names::FEATURE_DRIFT))
            .map_or(Health::Ok, |t| t.evaluate(Some(v)));
        let status = StageStatus::new(h, format!("{feature} {v:.2}")).brief(format!("{v:.2}"));
        checks.push((status, Metric));
    }
    if let Some(c) = &d.captured {
        checks.extend(
            captured(c, rules, &m.name)
                .into_iter()
                .map(|s| (s, DataCapture)),
        );
    }
    if let Some(run) = &d.monitoring {
        let ago = format::age_since(run.scheduled, now);
        // A schedule that has not run for a day checks nothing: as bad as a failure.
        let idle = now.duration_since(run.scheduled) > super::quality::STALE_AFTER;
        if run.status == "Failed" {
            let s = StageStatus::new(Health::Warn, format!("mon failed {ago}")).brief("mon ✖");
            checks.push((s, ModelMonitor));
        } else if idle {
            let s = StageStatus::new(Health::Warn, format!("mon idle {ago}")).brief("mon ?");
            checks.push((s, ModelMonitor));
        }
    }
    if d.report_problem.is_some() {
        let s = StageStatus::new(Health::Warn, "bad report").brief("report?");
        checks.push((s, ModelMonitor));
    }
    checks
}

/// The captured traffic's checks: each compared feature (worst first), then the
/// prediction; a problem with nothing compared warns, never reads green.
fn captured(c: &CapturedDrift, rules: &Rules, model: &str) -> Vec<StageStatus> {
    let mut checks: Vec<StageStatus> = c
        .features
        .iter()
        .chain(&c.prediction)
        .map(|f| {
            let (h, _) = judge_feature(c, rules, model, f);
            let v = f.statistic;
            StageStatus::new(h, format!("{} {v:.2}", f.name)).brief(format!("{v:.2}"))
        })
        .collect();
    if checks.is_empty() && c.problem.is_some() {
        checks.push(StageStatus::new(Health::Warn, "capture?").brief("cap?"));
    }
    checks
}

/// One compared feature's health, and the threshold that judged it with where
/// it was set (None: no threshold applies, the feature is shown but ok).
pub fn judge_feature(
    c: &CapturedDrift,
    rules: &Rules,
    model: &str,
    f: &FeatureDrift,
) -> (Health, Option<(Threshold, String)>) {
    let threshold = feature_threshold(c, rules, model, &f.name);
    let h = threshold
        .as_ref()
        .map_or(Health::Ok, |(t, _)| t.evaluate(Some(f.statistic)));
    (h, threshold)
}

/// The threshold one compared feature is judged by, and where it was set: the
/// feature's own (`feature_baseline_drift_<feature>`), else the method's.
pub fn feature_threshold(
    c: &CapturedDrift,
    rules: &Rules,
    model: &str,
    feature: &str,
) -> Option<(Threshold, String)> {
    let own = format!("{}{feature}", names::FEATURE_DRIFT_PREFIX);
    rules
        .threshold_origin(model, &own)
        .or_else(|| rules.threshold_origin(model, c.method.metric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::captured::DriftSample;
    use crate::model::distribution::{Bins, Method};

    fn captured(stats: &[(&str, f64)]) -> CapturedDrift {
        let bins = Bins::Numeric { cuts: vec![1.0] };
        CapturedDrift {
            method: Method::Psi,
            features: stats
                .iter()
                .map(|(name, s)| FeatureDrift {
                    name: name.to_string(),
                    statistic: *s,
                    labels: bins.labels(),
                    baseline: vec![5, 5],
                    current: vec![5, 5],
                })
                .collect(),
            prediction: None,
            sample: DriftSample::default(),
            baseline: "b".into(),
            capture: "c".into(),
            problem: None,
            waiting: None,
            unread_files: 0,
        }
        .sorted()
    }

    fn model_with(c: CapturedDrift) -> ModelFacts {
        let mut m = ModelFacts::named("churn");
        m.drift.captured = Some(c);
        m
    }

    #[test]
    fn the_worst_captured_feature_decides_against_psis_conventional_levels() {
        let now = Timestamp::UNIX_EPOCH;
        let m = model_with(captured(&[("tenure", 0.02), ("amount", 0.31)]));
        let rules = Rules::default();
        let s = judge(&m, &rules, now);
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Crit, "amount 0.31")
        );
        assert_eq!(decided_by(&m, &rules, now), Some(DriftSource::DataCapture));
        let m = model_with(captured(&[("amount", 0.12)]));
        assert_eq!(judge(&m, &rules, now).health, Health::Warn);
    }

    #[test]
    fn a_features_own_threshold_wins_and_says_where_it_was_set() {
        let mut rules = Rules::default();
        let key = format!("{}amount", names::FEATURE_DRIFT_PREFIX);
        rules
            .per_model
            .entry("churn".into())
            .or_default()
            .insert(key.clone(), Threshold::above(0.5, 1.0));
        let c = captured(&[("amount", 0.31), ("tenure", 0.3)]);
        let (t, from) = feature_threshold(&c, &rules, "churn", "amount").unwrap();
        assert_eq!(t.warn, Some(0.5));
        assert_eq!(from, format!("[[models]] churn: thresholds.{key}"));
        let (_, from) = feature_threshold(&c, &rules, "churn", "tenure").unwrap();
        assert_eq!(from, "default PSI");
        rules
            .metrics
            .insert("PSI".into(), Threshold::above(0.2, 0.4));
        let (_, from) = feature_threshold(&c, &rules, "churn", "tenure").unwrap();
        assert_eq!(from, "[health.metrics] PSI");
        let s = judge(&model_with(c), &rules, Timestamp::UNIX_EPOCH);
        assert_eq!(
            (s.health, s.summary.as_str()),
            (Health::Warn, "tenure 0.30")
        );
    }

    #[test]
    fn nothing_compared_is_unknown_when_waiting_and_a_warning_when_broken() {
        let now = Timestamp::UNIX_EPOCH;
        let rules = Rules::default();
        let mut c = captured(&[]);
        c.waiting = Some("no captured requests in the last 24 h".into());
        let s = judge(&model_with(c.clone()), &rules, now);
        assert_eq!((s.health, s.brief.as_str()), (Health::Unknown, "wait"));
        c.problem = Some("s3://b/train.csv: AccessDenied (s3:GetObject)".into());
        assert_eq!(judge(&model_with(c), &rules, now).health, Health::Warn);
    }
}
