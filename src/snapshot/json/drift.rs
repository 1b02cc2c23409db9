//! A model's DRIFT in the snapshot: Model Monitor's violations, Data Capture's
//! features, the quality metric against its baseline, whichever decided the cell.

use super::*;

pub(super) fn drift(
    m: &ModelFacts,
    drift_health: Health,
    rules: &Rules,
    now: Timestamp,
) -> DriftOut {
    let d = &m.drift;
    let latest = |s: &crate::model::metrics::Series| s.latest().map(|(_, v)| v);
    let failed_run = d.monitoring.as_ref().and_then(|r| r.failure());
    let captured = d.captured.as_ref();
    let computed = |f: &FeatureDrift| {
        let c = captured?;
        let (h, threshold) = crate::model::drift::judge_feature(c, rules, &m.name, f);
        let t = threshold.as_ref().map(|(t, _)| *t);
        Some(FeatureDriftOut {
            feature: f.name.clone(),
            statistic: f.statistic,
            health: health(h),
            warn: t.and_then(|t| t.warn),
            crit: t.and_then(|t| t.crit),
            threshold_from: threshold.map(|(_, from)| from),
            bins: f.labels.clone(),
            baseline: f.baseline.clone(),
            current: f.current.clone(),
        })
    };
    let mut features: BTreeMap<String, f64> = m
        .metrics
        .iter()
        .filter_map(|(k, s)| {
            let feature = k.strip_prefix(names::FEATURE_DRIFT_PREFIX)?;
            Some((feature.to_string(), latest(s)?))
        })
        .collect();
    for f in captured.iter().flat_map(|c| &c.features) {
        features.entry(f.name.clone()).or_insert(f.statistic);
    }
    DriftOut {
        health: health(drift_health),
        source: crate::model::drift::decided_by(m, rules, now).map(|s| s.label()),
        method: captured.map(|c| c.method.label()),
        violations: d
            .violations
            .iter()
            .map(|v| ViolationOut {
                feature: v.feature.clone(),
                check: v.check.clone(),
                description: v.description.clone(),
            })
            .collect(),
        score: m.metrics.get(names::DRIFT_SCORE).and_then(latest),
        features,
        computed: captured
            .iter()
            .flat_map(|c| &c.features)
            .filter_map(computed)
            .collect(),
        sample: captured.map(|c| SampleOut {
            baseline: c.sample.baseline,
            current: c.sample.current,
            skipped: c.sample.skipped,
            window_hours: c.sample.window_hours,
            unread_files: c.unread_files,
        }),
        prediction: captured
            .and_then(|c| c.prediction.as_ref())
            .and_then(computed),
        baseline: captured
            .map(|c| c.baseline.clone())
            .filter(|b| !b.is_empty()),
        capture: captured.map(|c| c.capture.clone()),
        waiting: captured.and_then(|c| c.waiting.clone()),
        report: d.report.clone(),
        report_time: d.report_time,
        problem: d
            .report_problem
            .clone()
            .or(failed_run)
            .or_else(|| captured.and_then(|c| c.problem.clone())),
        monitoring: d.monitoring.as_ref().map(|r| MonitoringOut {
            schedule: r.schedule.clone(),
            status: r.status.clone(),
            failure_reason: r.failure_reason.clone(),
            scheduled: r.scheduled,
        }),
    }
}
