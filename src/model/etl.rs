//! A model's data loaded by a scheduled Lambda function, as facts: its schedule
//! (an EventBridge rule or an EventBridge Scheduler schedule), its last good and
//! last failed runs, its dead-letter queue and its log's last errors; when its next
//! run was due and whether it is late or failed. Pure.

use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::dags::LATE_AFTER;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LambdaEtl {
    pub function: String,
    pub schedule: Option<EtlSchedule>,
    /// The start of the newest hour in which it ran without an error (AWS/Lambda
    /// counts by the hour).
    pub last_success: Option<Timestamp>,
    /// The start of the newest hour in which it failed.
    pub last_failure: Option<Timestamp>,
    /// Its dead-letter queue's name, from DeadLetterConfig or the async OnFailure.
    pub dlq: Option<String>,
    /// Messages waiting in it (ApproximateNumberOfMessagesVisible).
    pub dlq_depth: Option<u64>,
    /// The last error lines of its log, oldest first (bounded).
    pub log_tail: Vec<String>,
    /// Its last 24 hours in AWS/Lambda's numbers, when they were read.
    #[serde(default)]
    pub day: Option<EtlDay>,
}

/// AWS/Lambda over the last 24 hours.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EtlDay {
    pub invocations: f64,
    pub errors: f64,
    pub throttles: f64,
    /// The longest run, in milliseconds (Duration's unit).
    pub max_duration_ms: Option<f64>,
}

/// What invokes the function on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EtlSchedule {
    /// "rate(1 hour)", "cron(0 2 * * ? *)", as AWS has it.
    pub expression: String,
    /// The schedule's time zone (Scheduler), else UTC.
    pub timezone: Option<String>,
    /// "rule NAME" or "schedule GROUP/NAME".
    pub by: String,
    pub enabled: bool,
}

impl EtlSchedule {
    /// The time between the two runs due after `t` (None for one-off or unreadable
    /// schedules).
    pub fn period_after(&self, t: Timestamp) -> Option<SignedDuration> {
        let first = self.next_after(t)?;
        let second = self.next_after(first)?;
        Some(second.duration_since(first))
    }

    /// When the first run after `t` was due; None for one-off (`at(…)`) or
    /// expressions that cannot be read.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let e = self.expression.trim();
        if let Some(rate) = e.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            return t.checked_add(rate_of(rate)?).ok();
        }
        let cron = e.strip_prefix("cron(")?.strip_suffix(')')?;
        // AWS's six fields end with the year; croner reads a year only after seconds.
        let pattern = croner::parser::CronParser::builder()
            .alternative_weekdays(true)
            .sloppy_ranges(true)
            .build()
            .parse(&format!("0 {cron}"))
            .ok()?;
        let zone = match &self.timezone {
            Some(name) => jiff::tz::TimeZone::get(name).ok()?,
            None => jiff::tz::TimeZone::UTC,
        };
        let next = pattern
            .find_next_occurrence(&t.to_zoned(zone), false)
            .ok()?;
        Some(next.timestamp())
    }
}

/// "5 minutes", "1 hour", "2 days" as a duration.
fn rate_of(rate: &str) -> Option<SignedDuration> {
    let (n, unit) = rate.trim().split_once(' ')?;
    let n = i64::from_str(n).ok().filter(|n| *n > 0)?;
    let secs = match unit.trim().trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        _ => return None,
    };
    Some(SignedDuration::from_secs(n.checked_mul(secs)?))
}

impl LambdaEtl {
    /// How long past its due time the run after the last success is, when the
    /// schedule is on and that run did not succeed.
    pub fn late_by(&self, now: Timestamp) -> Option<SignedDuration> {
        let schedule = self.schedule.as_ref().filter(|s| s.enabled)?;
        let due = schedule.next_after(self.last_success?)?;
        let late = now.duration_since(due);
        (late > LATE_AFTER).then_some(late)
    }

    /// Whether its newest run failed (no success since).
    pub fn failed(&self) -> bool {
        match (self.last_failure, self.last_success) {
            (Some(f), Some(s)) => f > s,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn schedule(expression: &str) -> EtlSchedule {
        EtlSchedule {
            expression: expression.into(),
            timezone: None,
            by: "rule r".into(),
            enabled: true,
        }
    }

    pub fn etl() -> LambdaEtl {
        LambdaEtl {
            function: "sales-etl".into(),
            schedule: Some(schedule("rate(1 hour)")),
            last_success: Some(at("2026-12-01T10:00:00Z")),
            last_failure: None,
            dlq: None,
            dlq_depth: Some(0),
            log_tail: vec![],
            day: None,
        }
    }

    #[test]
    fn rates_and_aws_crons_say_when_the_next_run_was_due() {
        let t = at("2026-12-01T10:17:00Z");
        assert_eq!(
            schedule("rate(15 minutes)").next_after(t),
            Some(at("2026-12-01T10:32:00Z"))
        );
        assert_eq!(
            schedule("rate(1 day)").next_after(t),
            Some(at("2026-12-02T10:17:00Z"))
        );
        // AWS cron: minutes hours day-of-month month day-of-week year, `?` and 1=SUN.
        assert_eq!(
            schedule("cron(0 2 * * ? *)").next_after(t),
            Some(at("2026-12-02T02:00:00Z"))
        );
        assert_eq!(
            schedule("cron(0/15 * * * ? *)").next_after(t),
            Some(at("2026-12-01T10:30:00Z"))
        );
        // 2026-12-01 is a Tuesday; 2 is Monday in AWS's numbering.
        assert_eq!(
            schedule("cron(0 6 ? * 2 *)").next_after(t),
            Some(at("2026-12-07T06:00:00Z"))
        );
        let mut berlin = schedule("cron(0 2 * * ? *)");
        assert_eq!(
            schedule("cron(0 3 1 * ? *)").period_after(t),
            Some(SignedDuration::from_hours(31 * 24))
        );
        berlin.timezone = Some("Europe/Berlin".into());
        assert_eq!(berlin.next_after(t), Some(at("2026-12-02T01:00:00Z")));
        for bad in [
            "rate(0 hours)",
            "rate(1 fortnight)",
            "cron(nonsense)",
            "at(2026-12-01T00:00:00)",
        ] {
            assert_eq!(schedule(bad).next_after(t), None, "{bad}");
        }
    }

    #[test]
    fn a_missed_run_is_late_after_the_grace_and_never_when_the_schedule_is_off() {
        let e = etl();
        assert_eq!(e.late_by(at("2026-12-01T11:10:00Z")), None);
        assert_eq!(
            e.late_by(at("2026-12-01T11:40:00Z")),
            Some(SignedDuration::from_mins(40))
        );
        let mut off = etl();
        off.schedule.as_mut().unwrap().enabled = false;
        assert_eq!(off.late_by(at("2026-12-01T15:00:00Z")), None);
    }
}
