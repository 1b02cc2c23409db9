//! A Lambda ETL's metrics and log read as facts: when it last ran cleanly and last
//! failed (hour by hour from AWS/Lambda Invocations and Errors), its dead-letter
//! queue by ARN, its log's error lines. Pure.

use jiff::Timestamp;

/// Log lines kept of the newest failure.
pub const LOG_LINES: usize = 8;

/// (last success, last failure): the start of the newest period with more
/// invocations than errors, and of the newest period with errors. Periods are
/// matched by time; a period without an Errors point had none.
pub fn runs(
    invocations: &[(Timestamp, f64)],
    errors: &[(Timestamp, f64)],
) -> (Option<Timestamp>, Option<Timestamp>) {
    let errors_at = |t: Timestamp| {
        errors
            .iter()
            .find(|(e, _)| *e == t)
            .map_or(0.0, |(_, v)| *v)
    };
    let success = invocations
        .iter()
        .filter(|(t, n)| *n > errors_at(*t))
        .map(|(t, _)| *t)
        .max();
    let failure = errors
        .iter()
        .filter(|(_, n)| *n > 0.0)
        .map(|(t, _)| *t)
        .max();
    (success, failure)
}

/// A queue's name and account from its ARN, "arn:aws:sqs:REGION:ACCOUNT:NAME";
/// None for other targets (an SNS topic has no depth).
pub fn queue_of(arn: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "sqs", _, account, name] => Some((name.to_string(), account.to_string())),
        _ => None,
    }
}

/// What marks a log line as an error: Python's and Node's logging, tracebacks,
/// Lambda's own timeout line.
const ERROR_MARKS: [&str; 5] = ["ERROR", "Error", "Exception", "Traceback", "Task timed out"];

/// The last error messages, oldest first: each one's first line, trimmed.
pub fn log_tail<'a>(messages: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let lines: Vec<String> = messages
        .into_iter()
        .filter(|m| ERROR_MARKS.iter().any(|mark| m.contains(mark)))
        .filter_map(|m| m.lines().find(|l| !l.trim().is_empty()))
        .map(|l| l.trim().chars().take(200).collect())
        .collect();
    let skip = lines.len().saturating_sub(LOG_LINES);
    lines.into_iter().skip(skip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hour: i64) -> Timestamp {
        Timestamp::from_second(1_790_000_000 - 1_790_000_000 % 3600 + hour * 3600).unwrap()
    }

    #[test]
    fn the_last_clean_hour_and_the_last_failed_hour() {
        let inv = [(h(0), 1.0), (h(1), 1.0), (h(2), 2.0), (h(3), 1.0)];
        let err = [(h(1), 1.0), (h(2), 1.0), (h(3), 1.0)];
        // Hour 2 ran twice and failed once: still a success.
        assert_eq!(runs(&inv, &err), (Some(h(2)), Some(h(3))));
        assert_eq!(runs(&inv, &[]), (Some(h(3)), None));
        assert_eq!(runs(&[], &[]), (None, None));
    }

    #[test]
    fn only_sqs_queues_have_a_depth() {
        assert_eq!(
            queue_of("arn:aws:sqs:us-east-1:123456789012:sales-etl-dlq"),
            Some(("sales-etl-dlq".into(), "123456789012".into()))
        );
        assert_eq!(queue_of("arn:aws:sns:us-east-1:123456789012:alerts"), None);
    }

    #[test]
    fn the_log_tail_keeps_the_last_first_lines() {
        let mut many: Vec<String> = (0..12).map(|i| format!("ERROR {i}\n  at x")).collect();
        many.push("START RequestId: 1".into());
        let tail = log_tail(many.iter().map(String::as_str));
        assert_eq!(tail.len(), LOG_LINES);
        assert_eq!(tail.last().map(String::as_str), Some("ERROR 11"));
    }
}
