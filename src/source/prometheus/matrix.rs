//! A `query_range` answer (`resultType: matrix`) read defensively: bounded series
//! and points, values as Prometheus writes them (strings, "NaN", "+Inf"), and
//! `stats.samples.totalQueryableSamples` where the server says it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use crate::model::metrics::Series;

/// Series read from one answer at most; points per series at most (a window of
/// three hours at one a minute is 181).
const MAX_SERIES: usize = 10_000;
const MAX_POINTS: usize = 2_000;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Default)]
pub struct Answer {
    pub series: Vec<(Labels, Vec<(Timestamp, f64)>)>,
    /// Samples the query processed (what AMP bills); the points returned when the
    /// server does not say.
    pub samples: u64,
}

/// How series of one workload (its revisions, its pods) make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Requests and errors add up.
    Sum,
    /// Latency: the slowest revision's.
    Max,
}

/// The matrix in `value`, or what is wrong with it.
pub fn read(value: &Value) -> Result<Answer, String> {
    if value["status"] != "success" {
        let why = value["error"].as_str().unwrap_or("no error given");
        return Err(format!(
            "the query failed: {}",
            why.chars().take(200).collect::<String>()
        ));
    }
    let data = &value["data"];
    if data["resultType"] != "matrix" {
        return Err("the answer is not a matrix; is this Prometheus's query_range?".into());
    }
    let result = data["result"]
        .as_array()
        .ok_or("the answer has no result")?;
    if result.len() > MAX_SERIES {
        return Err(format!(
            "the query matched more than {MAX_SERIES} series; narrow its template"
        ));
    }
    let mut answer = Answer::default();
    let mut returned = 0u64;
    for s in result {
        let labels: Labels = s["metric"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let points: Vec<(Timestamp, f64)> = s["values"]
            .as_array()
            .into_iter()
            .flatten()
            .take(MAX_POINTS)
            .filter_map(point)
            .collect();
        returned += points.len() as u64;
        answer.series.push((labels, points));
    }
    answer.samples = data["stats"]["samples"]["totalQueryableSamples"]
        .as_u64()
        .unwrap_or(returned);
    Ok(answer)
}

/// `[1733560000.123, "0.25"]`; None for anything else or a value that is not finite.
fn point(p: &Value) -> Option<(Timestamp, f64)> {
    let t = p.get(0)?.as_f64()?;
    let v: f64 = p.get(1)?.as_str()?.parse().ok()?;
    let at = Timestamp::from_millisecond((t * 1000.0).round() as i64).ok()?;
    v.is_finite().then_some((at, v))
}

impl Answer {
    /// One workload's series, its revisions combined, scaled; read through the
    /// first convention of `preferred` that has it (a series without `via`, from a
    /// template of the user's, is taken as it is).
    pub fn workload(
        &self,
        (namespace, name): (&str, &str),
        preferred: &[&str],
        how: Combine,
        scale: f64,
    ) -> Series {
        let mine = |l: &Labels| {
            l.get("namespace").map(String::as_str) == Some(namespace)
                && l.get("workload").map(String::as_str) == Some(name)
        };
        let via = preferred.iter().copied().find(|v| {
            self.series
                .iter()
                .any(|(l, _)| mine(l) && l.get("via").map(String::as_str) == Some(v))
        });
        self.combined(
            |l| mine(l) && l.get("via").map(String::as_str) == via,
            how,
            scale,
        )
    }

    /// One revision's series (KServe's canary).
    pub fn revision(&self, revision: &str, how: Combine, scale: f64) -> Series {
        self.combined(
            |l| l.get("revision").map(String::as_str) == Some(revision),
            how,
            scale,
        )
    }

    fn combined(&self, keep: impl Fn(&Labels) -> bool, how: Combine, scale: f64) -> Series {
        let mut at: BTreeMap<Timestamp, f64> = BTreeMap::new();
        for (_, points) in self.series.iter().filter(|(l, _)| keep(l)) {
            for (t, v) in points {
                let v = v * scale;
                at.entry(*t)
                    .and_modify(|old| match how {
                        Combine::Sum => *old += v,
                        Combine::Max => *old = old.max(v),
                    })
                    .or_insert(v);
            }
        }
        Series::new(at.into_iter().collect())
    }

    /// Series by the value of `label` (the team's gauges, by model).
    pub fn by_label(&self, label: &str) -> Vec<(String, Series)> {
        self.series
            .iter()
            .filter_map(|(l, points)| Some((l.get(label)?.clone(), Series::new(points.clone()))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn series_combine_per_workload_and_revision_and_bad_values_drop() {
        let answer = read(&json!({
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {"metric": {"namespace": "serving", "workload": "fraud", "revision": "fraud-predictor-00002"},
                     "values": [[1733560000, "0.5"], [1733560060, "NaN"]]},
                    {"metric": {"namespace": "serving", "workload": "fraud", "revision": "fraud-predictor-00001"},
                     "values": [[1733560000, "1.5"], [1733560060, "2"], ["x", "1"], [1733560120]]},
                    {"metric": {"namespace": "other", "workload": "fraud"}, "values": [[1733560000, "9"]]}
                ],
                "stats": {"samples": {"totalQueryableSamples": 4242}}
            }
        }))
        .unwrap();
        assert_eq!(answer.samples, 4242);
        let fraud = ("serving", "fraud");
        let sum = answer.workload(fraud, &[], Combine::Sum, 60.0);
        assert_eq!(sum.values().collect::<Vec<_>>(), vec![120.0, 120.0]);
        let max = answer.workload(fraud, &[], Combine::Max, 1.0);
        assert_eq!(max.values().collect::<Vec<_>>(), vec![1.5, 2.0]);
        let canary = answer.revision("fraud-predictor-00002", Combine::Sum, 1.0);
        assert_eq!(canary.values().collect::<Vec<_>>(), vec![0.5]);
        let failed =
            read(&json!({"status": "error", "errorType": "bad_data", "error": "parse error"}));
        assert!(failed.unwrap_err().contains("parse error"));
        assert!(read(
            &json!({"status": "success", "data": {"resultType": "vector", "result": []}})
        )
        .is_err());
    }
}
