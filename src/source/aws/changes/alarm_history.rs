//! CloudWatch alarm history items read as changes: "Alarm updated from OK to ALARM",
//! with the reason from its `HistoryData` JSON when that parses.

use aws_sdk_cloudwatch::types::AlarmHistoryItem;
use jiff::Timestamp;

use crate::model::changes::{Change, ChangeKind, ChangeSource};

/// The item as a change, and the key it is kept once by; None without a name or time.
pub fn change_of(item: &AlarmHistoryItem) -> Option<(String, Change)> {
    let name = item.alarm_name()?;
    let time = Timestamp::from_second(item.timestamp()?.secs()).ok()?;
    let summary = item.history_summary().unwrap_or("state changed");
    let reason = item.history_data().and_then(reason);
    let what = match reason {
        Some(r) => format!("{name}: {summary} ({r})"),
        None => format!("{name}: {summary}"),
    };
    let change = Change::new(time, name, ChangeKind::Alarm, what).from(ChangeSource::AlarmHistory);
    Some((format!("{name}@{}", time.as_second()), change))
}

/// `newState.stateReason` of the history data, shortened to its first sentence.
fn reason(data: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    let text = v.get("newState")?.get("stateReason")?.as_str()?;
    let first = text.split(" (").next().unwrap_or(text);
    Some(first.chars().take(120).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::DateTime;

    #[test]
    fn a_state_update_reads_with_its_reason_and_bad_data_is_left_out() {
        let item = |data: &str| {
            AlarmHistoryItem::builder()
                .alarm_name("rec-prod-p99")
                .timestamp(DateTime::from_secs(1_800_000_000))
                .history_summary("Alarm updated from OK to ALARM")
                .history_data(data)
                .build()
        };
        let data = r#"{"version":"1.0","oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM",
            "stateReason":"Threshold Crossed: 3 datapoints were greater than the threshold (250.0). (minimum 3)"}}"#;
        let (id, c) = change_of(&item(data)).unwrap();
        assert_eq!(id, "rec-prod-p99@1800000000");
        assert_eq!(c.resource, "rec-prod-p99");
        assert_eq!(
            c.what,
            "rec-prod-p99: Alarm updated from OK to ALARM (Threshold Crossed: 3 datapoints were greater than the threshold)"
        );
        let (_, c) = change_of(&item("{not json")).unwrap();
        assert_eq!(c.what, "rec-prod-p99: Alarm updated from OK to ALARM");
        assert!(change_of(&AlarmHistoryItem::builder().alarm_name("x").build()).is_none());
    }
}
