//! When a model's Lambda functions last ran cleanly and last failed: AWS/Lambda by
//! the hour in one GetMetricData for all of them (looking back further for rarer
//! schedules), and after a failure, once, the last error lines of its log.

use super::*;

impl LambdaSource {
    /// What the hourly metrics say of each function, asked at most every five minutes.
    pub(super) async fn ran(&mut self, owned: &[Function]) -> Result<HashMap<String, Ran>, String> {
        if let Some((at, ran)) = &self.ran {
            let covers = owned.iter().all(|f| ran.contains_key(&f.name));
            if at.elapsed() < METRICS_EVERY && covers {
                return Ok(ran.clone());
            }
        }
        if owned.is_empty() {
            return Ok(HashMap::new());
        }
        const METRICS: [(&str, &str); 4] = [
            ("Invocations", "Sum"),
            ("Errors", "Sum"),
            ("Throttles", "Sum"),
            ("Duration", "Maximum"),
        ];
        let queries: Vec<_> = owned
            .iter()
            .flat_map(|f| METRICS.iter().map(move |m| (f, m)))
            .enumerate()
            .map(|(i, (f, (metric, stat)))| {
                let q = MetricQuery {
                    key: metric.to_string(),
                    namespace: "AWS/Lambda".into(),
                    name: metric.to_string(),
                    dimensions: BTreeMap::from([("FunctionName".to_string(), f.name.clone())]),
                    stat: stat.to_string(),
                    scale: None,
                };
                data_query_every(i, &q, PERIOD)
            })
            .collect();
        let end = Timestamp::now();
        let answers = get_between(
            &self.cloudwatch,
            &self.calls,
            queries,
            end - lookback(owned, end),
            end,
        )
        .await?;
        let series = |i: usize| answers.get(&i).cloned().unwrap_or_default();
        let day_start = end - SignedDuration::from_hours(24);
        let sum = |points: &[(Timestamp, f64)]| -> f64 {
            points
                .iter()
                .filter(|(t, _)| *t >= day_start)
                .map(|(_, v)| v)
                .sum()
        };
        let ran: HashMap<String, Ran> = owned
            .iter()
            .enumerate()
            .map(|(n, f)| {
                let at = n * METRICS.len();
                let (invocations, errors) = (series(at), series(at + 1));
                let (throttles, duration) = (series(at + 2), series(at + 3));
                let (success, failure) = runs(&invocations, &errors);
                let max_duration_ms = duration
                    .iter()
                    .filter(|(t, _)| *t >= day_start)
                    .map(|(_, v)| *v)
                    .reduce(f64::max);
                let day = EtlDay {
                    invocations: sum(&invocations),
                    errors: sum(&errors),
                    throttles: sum(&throttles),
                    max_duration_ms,
                };
                (
                    f.name.clone(),
                    Ran {
                        success,
                        failure,
                        day: Some(day),
                    },
                )
            })
            .collect();
        self.ran = Some((Instant::now(), ran.clone()));
        Ok(ran)
    }

    /// The last error lines logged in the hour of the newest failure, read once per failure.
    /// A log that cannot be read leaves the lines out, not the rest.
    pub(super) async fn log_tail(&self, f: &Function, failure: Option<Timestamp>) -> Vec<String> {
        let Some(failure) = failure else {
            return Vec::new();
        };
        if let Some((read_for, lines)) = lock(&self.logs_read).get(&f.name) {
            if *read_for == failure {
                return lines.clone();
            }
        }
        let end = failure + SignedDuration::from_secs(i64::from(PERIOD));
        let answer = self
            .logs
            .filter_log_events()
            .log_group_name(format!("/aws/lambda/{}", f.name))
            .start_time(failure.as_millisecond())
            .end_time(end.as_millisecond())
            .limit(LOG_EVENTS)
            .send()
            .await;
        let lines = match answer {
            Ok(a) => log_tail(a.events().iter().filter_map(|e| e.message())),
            Err(e) => {
                tracing::warn!("{}", describe("logs:FilterLogEvents", &e));
                return Vec::new();
            }
        };
        lock(&self.logs_read).insert(f.name.clone(), (failure, lines.clone()));
        lines
    }
}

/// Eight days, or two of the rarest schedule's periods: a monthly ETL's last run
/// must still be in view.
pub(super) fn lookback(owned: &[Function], now: Timestamp) -> SignedDuration {
    let gaps = owned
        .iter()
        .filter_map(|f| f.schedule.as_ref()?.period_after(now));
    gaps.map(|gap| gap * 2)
        .fold(LOOKBACK, SignedDuration::max)
        .min(LONGEST_LOOKBACK)
}
