//! Which unit a team's metric was published with. GetMetricData answers numbers
//! without units; GetMetricStatistics gives each datapoint's unit. One request per
//! metric, once per session (a few in flight), tells a percentage from a fraction.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{StandardUnit, Statistic};
use aws_sdk_cloudwatch::Client;
use jiff::{SignedDuration, Timestamp};

use crate::aws::errors::describe;
use crate::config::MetricQuery;
use crate::model::metrics::WINDOW_MINUTES;
use crate::source::aws::fan_out::fan_out;

/// Unit probes in flight at once.
const PROBES_IN_FLIGHT: usize = 4;

/// The unit each metric was seen published with, by query.
#[derive(Debug, Default)]
pub struct Units(BTreeMap<MetricQuery, String>);

impl Units {
    /// The queries whose unit is not known yet.
    pub fn unprobed<'a>(
        &self,
        queries: impl IntoIterator<Item = &'a MetricQuery>,
    ) -> Vec<MetricQuery> {
        let mut out: Vec<MetricQuery> = queries
            .into_iter()
            .filter(|q| !self.0.contains_key(*q))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Records the unit a metric's datapoints carry. A metric with no datapoints in
    /// the window says nothing yet and is asked again next time.
    pub fn record(&mut self, query: MetricQuery, unit: Option<String>) {
        if let Some(unit) = unit {
            self.0.insert(query, unit);
        }
    }

    pub fn unit(&self, query: &MetricQuery) -> Option<&str> {
        self.0.get(query).map(String::as_str)
    }

    /// Asks for the units of `queries` over the window ending at `end`.
    pub async fn probe(
        &mut self,
        client: &Client,
        queries: Vec<MetricQuery>,
        end: Timestamp,
    ) -> Result<(), String> {
        let answers = fan_out(queries, PROBES_IN_FLIGHT, |q| async move {
            let unit = unit_of(client, &q, end).await;
            (q, unit)
        })
        .await;
        for (q, unit) in answers {
            self.record(q, unit?);
        }
        Ok(())
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
        let mut units = Units::default();
        let all = [q("MAPE"), q("CTR"), q("MAPE"), q("F1")];
        assert_eq!(units.unprobed(&all).len(), 3);
        units.record(q("MAPE"), Some("Percent".into()));
        units.record(q("CTR"), Some("None".into()));
        units.record(q("F1"), None);
        assert_eq!(
            units.unprobed(&all),
            vec![q("F1")],
            "no datapoints yet: ask again"
        );
        assert_eq!(units.unit(&q("MAPE")), Some("Percent"));
        assert_eq!(units.unit(&q("CTR")), Some("None"));
    }
}
