//! One fleet from the parts each source knows, joined by model name: SageMaker knows
//! endpoints and training, CloudWatch metrics and alarms, S3 raw-data freshness.

use std::collections::HashMap;

use super::facts::{Fleet, ModelFacts, ModelKind};

/// Joins `parts` in order; where two parts know the same fact, the earlier one wins.
pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Fleet>) -> Fleet {
    let mut out = Fleet::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    for part in parts {
        for m in &part.models {
            match index.get(&m.name) {
                Some(&i) => join(&mut out.models[i], m),
                None => {
                    index.insert(m.name.clone(), out.models.len());
                    out.models.push(m.clone());
                }
            }
        }
        out.alarms.extend(part.alarms.iter().cloned());
        if out.cost.is_none() {
            out.cost.clone_from(&part.cost);
        }
        if out.traces.is_none() {
            out.traces.clone_from(&part.traces);
        }
    }
    out
}

fn join(into: &mut ModelFacts, from: &ModelFacts) {
    if into.kind == ModelKind::Other {
        into.kind = from.kind;
    }
    if into.data.is_none() {
        into.data.clone_from(&from.data);
    }
    if into.training.is_empty() {
        into.training.clone_from(&from.training);
    }
    if into.registry.is_empty() {
        into.registry.clone_from(&from.registry);
    }
    if into.pipeline.is_none() {
        into.pipeline.clone_from(&from.pipeline);
    }
    if into.endpoint.is_none() {
        into.endpoint.clone_from(&from.endpoint);
    }
    let drift = &mut into.drift;
    if drift.report_time.is_none() && drift.report_problem.is_none() {
        drift.violations.clone_from(&from.drift.violations);
        drift.report_time = from.drift.report_time;
        drift.report.clone_from(&from.drift.report);
        drift.report_problem.clone_from(&from.drift.report_problem);
    }
    if drift.monitoring.is_none() {
        drift.monitoring.clone_from(&from.drift.monitoring);
        drift.reports_at.clone_from(&from.drift.reports_at);
    }
    for (name, series) in &from.metrics {
        into.metrics
            .entry(name.clone())
            .or_insert_with(|| series.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Alarm, AlarmState, DataFacts};
    use crate::model::metrics::Series;
    use jiff::Timestamp;

    fn model(name: &str) -> ModelFacts {
        ModelFacts::named(name)
    }

    #[test]
    fn facts_about_one_model_from_several_sources_join_into_one_row() {
        let at = Timestamp::UNIX_EPOCH;
        let mut from_cloudwatch = model("churn");
        from_cloudwatch.kind = ModelKind::Classification;
        from_cloudwatch
            .metrics
            .insert("AUC".into(), Series::new(vec![(at, 0.9)]));
        let mut from_s3 = model("churn");
        from_s3.data = Some(DataFacts {
            location: "s3://b/raw/".into(),
            newest_object: Some(at),
        });
        let sagemaker = Fleet {
            models: vec![model("churn"), model("demand")],
            ..Fleet::default()
        };
        let cloudwatch = Fleet {
            models: vec![from_cloudwatch, model("batch-only")],
            alarms: vec![Alarm {
                name: "churn-5xx".into(),
                state: AlarmState::Alarm,
                reason: "r".into(),
                since: at,
                model: Some("churn".into()),
            }],
            ..Fleet::default()
        };
        let s3 = Fleet {
            models: vec![from_s3],
            ..Fleet::default()
        };
        let fleet = merge([&sagemaker, &cloudwatch, &s3]);
        let names: Vec<_> = fleet.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["churn", "demand", "batch-only"]);
        let churn = fleet.model("churn").unwrap();
        assert_eq!(churn.kind, ModelKind::Classification);
        assert_eq!(churn.metrics["AUC"].latest(), Some((at, 0.9)));
        assert_eq!(churn.data.as_ref().unwrap().location, "s3://b/raw/");
        assert_eq!(fleet.alarms.len(), 1);
    }
}
