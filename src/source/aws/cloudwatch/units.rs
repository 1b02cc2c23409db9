//! Which unit a team's metric was published with. GetMetricData answers numbers
//! without units; GetMetricStatistics gives each datapoint's unit. One request per
//! metric, all in one wave beside the first GetMetricData, tells a percentage from a
//! fraction; what was learned is kept on disk, so a restart asks again only after a
//! day (a publisher may change its unit).

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{StandardUnit, Statistic};
use aws_sdk_cloudwatch::Client;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::aws::errors::describe;
use crate::config::MetricQuery;
use crate::model::metrics::WINDOW_MINUTES;
use crate::source::aws::fan_out::fan_out;
use crate::source::disk::JsonFile;

/// Unit probes in flight at once: GetMetricStatistics allows 400 a second.
const PROBES_IN_FLIGHT: usize = 32;
/// A unit learned this long ago is asked again.
const KEPT_FOR: SignedDuration = SignedDuration::from_hours(24);
/// Bumped when the shape changes: an older file is then ignored, never misread.
const FORMAT: u32 = 1;
/// Ten thousand metrics' units are about a megabyte.
const MAX_BYTES: u64 = 4 << 20;

/// One published metric, whatever statistic is asked of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
struct Published {
    namespace: String,
    name: String,
    dimensions: BTreeMap<String, String>,
}

impl Published {
    fn of(q: &MetricQuery) -> Published {
        Published {
            namespace: q.namespace.clone(),
            name: q.name.clone(),
            dimensions: q.dimensions.clone(),
        }
    }
}

/// A unit and when it was learned.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Learned {
    metric: Published,
    unit: String,
    at: Timestamp,
}

/// The unit each metric was seen published with, and the file they are kept in.
#[derive(Debug, Default)]
pub struct Units {
    known: BTreeMap<Published, Learned>,
    memory: Option<JsonFile>,
}

impl Units {
    /// Starts from the units a past session learned, kept in `path`, and keeps
    /// new ones there.
    pub fn remembering(&mut self, path: PathBuf) {
        let file = JsonFile::new(path, MAX_BYTES).versioned(FORMAT);
        if let Some(past) = file.load::<Vec<Learned>>() {
            self.known
                .extend(past.into_iter().map(|l| (l.metric.clone(), l)));
        }
        self.memory = Some(file);
    }

    /// The queries whose unit is not known yet, or was learned too long ago; one
    /// whose scale config gives needs none.
    pub fn unprobed<'a>(
        &self,
        queries: impl IntoIterator<Item = &'a MetricQuery>,
        now: Timestamp,
    ) -> Vec<MetricQuery> {
        let mut out: Vec<MetricQuery> = queries
            .into_iter()
            .filter(|q| q.scale.is_none())
            .filter(|q| {
                self.known
                    .get(&Published::of(q))
                    .is_none_or(|l| now.duration_since(l.at) > KEPT_FOR)
            })
            .cloned()
            .collect();
        // One probe per series, whatever its keys and statistics.
        out.sort_by_key(Published::of);
        out.dedup_by(|a, b| Published::of(a) == Published::of(b));
        out
    }

    /// Records the unit a metric's datapoints carry. A metric with no datapoints in
    /// the window says nothing yet and is asked again next time.
    fn record(&mut self, query: &MetricQuery, unit: Option<String>, now: Timestamp) {
        if let Some(unit) = unit {
            let metric = Published::of(query);
            let learned = Learned {
                metric: metric.clone(),
                unit,
                at: now,
            };
            self.known.insert(metric, learned);
        }
    }

    pub fn unit(&self, query: &MetricQuery) -> Option<&str> {
        self.known
            .get(&Published::of(query))
            .map(|l| l.unit.as_str())
    }

    /// Asks for the units of `queries` over the window ending at `end`, and keeps
    /// what was learned on disk.
    pub async fn probe(
        &mut self,
        client: &Client,
        queries: Vec<MetricQuery>,
        end: Timestamp,
    ) -> Result<(), String> {
        if queries.is_empty() {
            return Ok(());
        }
        let answers = fan_out(queries, PROBES_IN_FLIGHT, |q| async move {
            let unit = unit_of(client, &q, end).await;
            (q, unit)
        })
        .await;
        let mut failed = None;
        for (q, unit) in answers {
            match unit {
                Ok(unit) => self.record(&q, unit, end),
                Err(why) => failed = Some(why),
            }
        }
        self.save(end);
        failed.map_or(Ok(()), Err)
    }

    /// Writes what is known, leaving out what would be asked again anyway.
    fn save(&self, now: Timestamp) {
        if let Some(file) = &self.memory {
            let fresh: Vec<&Learned> = self
                .known
                .values()
                .filter(|l| now.duration_since(l.at) <= KEPT_FOR)
                .collect();
            file.save(&fresh);
        }
    }
}

/// The unit of the metric's datapoints over the window: Percent if any was
/// published so, else the first one's.
async fn unit_of(
    client: &Client,
    q: &MetricQuery,
    end: Timestamp,
) -> Result<Option<String>, String> {
    let start = end - SignedDuration::from_mins(WINDOW_MINUTES);
    let period = i32::try_from(WINDOW_MINUTES * 60).unwrap_or(3600);
    let out = client
        .get_metric_statistics()
        .namespace(&q.namespace)
        .metric_name(&q.name)
        .set_dimensions(Some(super::data::dimensions(q)))
        .start_time(DateTime::from_secs(start.as_second()))
        .end_time(DateTime::from_secs(end.as_second()))
        .period(period)
        .statistics(Statistic::SampleCount)
        .send()
        .await
        .map_err(|e| describe("cloudwatch:GetMetricStatistics", &e))?;
    let units: Vec<&StandardUnit> = out.datapoints().iter().filter_map(|d| d.unit()).collect();
    let percent = units.iter().any(|u| **u == StandardUnit::Percent);
    Ok(match percent {
        true => Some("Percent".to_string()),
        false => units.first().map(|u| u.as_str().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str) -> MetricQuery {
        MetricQuery {
            key: name.into(),
            namespace: "MLOps/Models".into(),
            name: name.into(),
            dimensions: BTreeMap::from([("ModelName".into(), "m".into())]),
            stat: "Average".into(),
            scale: None,
        }
    }

    #[test]
    fn each_metric_is_probed_until_its_unit_is_known() {
        let now = Timestamp::now();
        let mut units = Units::default();
        let all = [q("MAPE"), q("CTR"), q("MAPE"), q("F1")];
        assert_eq!(units.unprobed(&all, now).len(), 3);
        units.record(&q("MAPE"), Some("Percent".into()), now);
        units.record(&q("CTR"), Some("None".into()), now);
        units.record(&q("F1"), None, now);
        assert_eq!(
            units.unprobed(&all, now),
            vec![q("F1")],
            "no datapoints yet: ask again"
        );
        assert_eq!(units.unit(&q("MAPE")), Some("Percent"));
        assert_eq!(units.unit(&q("CTR")), Some("None"));
        let p90 = MetricQuery {
            stat: "p90".into(),
            ..q("MAPE")
        };
        assert_eq!(units.unit(&p90), Some("Percent"), "one unit per series");
    }

    #[test]
    fn a_restart_knows_what_a_past_session_learned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("units.json");
        let now = Timestamp::now();
        let mut first = Units::default();
        first.remembering(path.clone());
        first.record(&q("MAPE"), Some("Percent".into()), now);
        first.save(now);
        let mut restart = Units::default();
        restart.remembering(path);
        assert_eq!(restart.unit(&q("MAPE")), Some("Percent"));
        assert!(restart.unprobed(&[q("MAPE")], now).is_empty());
    }

    #[test]
    fn a_unit_is_asked_again_after_a_day() {
        let now = Timestamp::now();
        let mut units = Units::default();
        units.record(&q("MAPE"), Some("Percent".into()), now);
        let hours = |n: i64| now + SignedDuration::from_hours(n);
        assert!(units.unprobed(&[q("MAPE")], hours(23)).is_empty());
        assert_eq!(units.unprobed(&[q("MAPE")], hours(25)), vec![q("MAPE")]);
        let p90 = MetricQuery {
            key: "MAPE_p90".into(),
            stat: "p90".into(),
            ..q("MAPE")
        };
        assert_eq!(
            units.unprobed(&[q("MAPE"), p90], hours(25)).len(),
            1,
            "one probe per series"
        );
    }
}
