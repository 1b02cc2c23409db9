//! The few lines of a failed task's log that say why: Airflow 3's structured events
//! (level, event, the exception's type and value) or Airflow 2's text. Pure.

use serde_json::Value;

/// The last error lines of a log, oldest first, at most `max` and each one bounded;
/// the last lines of all when none looks like an error.
pub fn error_lines(content: &Value, max: usize) -> Vec<String> {
    let lines = lines(content);
    let errors: Vec<&(bool, String)> = lines.iter().filter(|(error, _)| *error).collect();
    let chosen: Vec<&(bool, String)> = match errors.is_empty() {
        true => lines.iter().collect(),
        false => errors,
    };
    let skip = chosen.len().saturating_sub(max);
    chosen
        .into_iter()
        .skip(skip)
        .map(|(_, l)| bounded(l))
        .collect()
}

/// The line that best says why: the last exception ("ValueError: …"), else the
/// last error line.
pub fn reason(tail: &[String]) -> Option<String> {
    tail.iter()
        .rev()
        .find(|l| looks_like_exception(l))
        .or_else(|| tail.last())
        .cloned()
}

fn looks_like_exception(line: &str) -> bool {
    line.split_once(": ")
        .is_some_and(|(head, _)| head.ends_with("Error") || head.ends_with("Exception"))
}

fn bounded(line: &str) -> String {
    const MAX: usize = 300;
    match line.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// Every line, marked when it is an error.
fn lines(content: &Value) -> Vec<(bool, String)> {
    match content {
        Value::Array(items) => items.iter().flat_map(event).collect(),
        Value::String(text) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| (text_is_error(l), l.trim().to_string()))
            .collect(),
        _ => Vec::new(),
    }
}

/// One structured event: its message, then the exceptions it carries.
fn event(item: &Value) -> Vec<(bool, String)> {
    if let Some(text) = item.as_str() {
        return lines(&Value::String(text.to_string()));
    }
    let level = item["level"].as_str().unwrap_or_default();
    let error = matches!(level, "error" | "critical" | "fatal" | "exception");
    let mut out = Vec::new();
    if let Some(e) = item["event"].as_str().filter(|e| !e.starts_with("::")) {
        out.push((error, e.to_string()));
    }
    for detail in item["error_detail"].as_array().into_iter().flatten() {
        if let (Some(kind), Some(what)) =
            (detail["exc_type"].as_str(), detail["exc_value"].as_str())
        {
            out.push((true, format!("{kind}: {what}")));
        }
    }
    out
}

fn text_is_error(line: &str) -> bool {
    line.contains("ERROR") || line.contains("CRITICAL") || looks_like_exception(line.trim())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn structured_events_give_the_exception() {
        let log = json!([
            {"event": "::group::Pre Execute", "level": "info"},
            {"event": "Filling up the DagBag", "level": "info"},
            {"event": "Task failed with exception", "level": "error",
             "error_detail": [{"exc_type": "ValueError", "exc_value": "feature 'tenure' is 34% null"}]},
            {"event": "reading s3://x/", "level": "info"}
        ]);
        let tail = error_lines(&log, 8);
        assert_eq!(
            tail,
            vec![
                "Task failed with exception",
                "ValueError: feature 'tenure' is 34% null"
            ]
        );
        assert_eq!(
            reason(&tail).as_deref(),
            Some("ValueError: feature 'tenure' is 34% null")
        );
    }

    #[test]
    fn text_logs_keep_their_last_error_lines_bounded() {
        let mut text = String::from("[2026] INFO - start\n");
        for i in 0..20 {
            text.push_str(&format!("[2026] ERROR - step {i} failed\n"));
        }
        text.push_str(&format!("KeyError: '{}'\n", "k".repeat(400)));
        let tail = error_lines(&Value::String(text), 3);
        assert_eq!(tail.len(), 3);
        assert_eq!(tail[0], "[2026] ERROR - step 18 failed");
        assert!(tail[2].starts_with("KeyError: 'kkk") && tail[2].chars().count() == 301);
        assert!(reason(&tail).unwrap().starts_with("KeyError"));
    }

    #[test]
    fn a_log_without_errors_gives_its_last_lines_and_garbage_gives_none() {
        let tail = error_lines(&json!("a\nb\nc\n"), 2);
        assert_eq!(tail, vec!["b", "c"]);
        assert!(error_lines(&json!({"weird": 1}), 5).is_empty());
        assert_eq!(reason(&[]), None);
    }
}
