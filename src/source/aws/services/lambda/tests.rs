use super::ran::lookback;
use super::*;
use crate::model::identity::JoinedBy;

fn function(expression: &str) -> Function {
    Function {
        name: "etl".into(),
        dlq: None,
        owner: Owner {
            model: "m".into(),
            by: JoinedBy::Tag,
            evidence: "tag model=m".into(),
        },
        schedule: Some(EtlSchedule {
            expression: expression.into(),
            timezone: None,
            by: "rule r".into(),
            enabled: true,
        }),
    }
}

#[test]
fn rarer_schedules_look_back_two_periods_within_what_cloudwatch_keeps() {
    let now: Timestamp = "2026-12-01T10:17:00Z".parse().unwrap();
    let days = |d: i64| SignedDuration::from_hours(d * 24);
    assert_eq!(lookback(&[function("rate(1 hour)")], now), days(8));
    let weekly = [function("rate(1 hour)"), function("rate(7 days)")];
    assert_eq!(lookback(&weekly, now), days(14));
    assert_eq!(lookback(&[function("cron(0 3 1 * ? *)")], now), days(62));
    assert_eq!(lookback(&[function("rate(90 days)")], now), days(62));
}
