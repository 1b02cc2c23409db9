//! Every number in config within the range it means something in: no interval of
//! zero, no duration that overflows, no limit that asks AWS for the impossible. An
//! out-of-range value is named at its `file:line:col`.

use std::path::Path;

use super::{Config, ConfigError};

/// One bounded setting: its table, key, inclusive range, and value.
struct Bound {
    table: &'static str,
    key: &'static str,
    min: u64,
    max: u64,
    value: Option<u64>,
}

const DAY_SECONDS: u64 = 86_400;

fn bounds(c: &Config) -> Vec<Bound> {
    let b = |table, key, min, max, value: Option<u64>| Bound {
        table,
        key,
        min,
        max,
        value,
    };
    let n = |v: usize| Some(u64::try_from(v).unwrap_or(u64::MAX));
    let aws = &c.aws;
    vec![
        b("demo", "tick_seconds", 1, 3_600, Some(c.demo.tick_seconds)),
        b("general", "log_days", 1, 365, Some(c.general.log_days)),
        // Data Capture keeps what the bucket's lifecycle keeps; a month is plenty.
        b(
            "drift",
            "window_hours",
            1,
            720,
            Some(u64::from(c.drift.window_hours)),
        ),
        b(
            "drift",
            "max_bytes",
            65_536,
            1 << 30,
            Some(c.drift.max_bytes),
        ),
        b("demo", "models", 1, 10_000, n(c.demo.models)),
        // CloudTrail itself keeps 90 days; a local record longer than that is a disk.
        b("history", "days", 1, 90, Some(u64::from(c.history.days))),
        b(
            "history",
            "every_seconds",
            10,
            3_600,
            Some(c.history.every_seconds),
        ),
        b("history", "max_mb", 1, 100_000, Some(c.history.max_mb)),
        b("mlflow", "runs", 1, 100, c.mlflow.runs),
        b("airflow", "runs", 1, 100, c.airflow.runs),
        b("airflow", "log_lines", 1, 200, c.airflow.log_lines),
        b(
            "aws",
            "refresh_seconds",
            1,
            DAY_SECONDS,
            Some(aws.refresh_seconds),
        ),
        b(
            "aws",
            "sagemaker_seconds",
            1,
            DAY_SECONDS,
            aws.sagemaker_seconds,
        ),
        b(
            "aws",
            "cloudwatch_seconds",
            1,
            DAY_SECONDS,
            aws.cloudwatch_seconds,
        ),
        b("aws", "s3_seconds", 1, DAY_SECONDS, aws.s3_seconds),
        b(
            "aws",
            "s3_max_pages",
            1,
            1_000,
            Some(u64::from(aws.s3_max_pages)),
        ),
        // Cost Explorer's cache: up to a week.
        b(
            "aws",
            "cost_refresh_minutes",
            1,
            10_080,
            Some(aws.cost_refresh_minutes),
        ),
        // X-Ray answers for at most 24 hours at a time.
        b(
            "aws",
            "xray_window_minutes",
            1,
            1_440,
            Some(aws.xray_window_minutes),
        ),
        b("aws", "xray_max_traces", 1, 1_000, n(aws.xray_max_traces)),
        b("aws", "max_in_flight", 1, 64, n(aws.max_in_flight)),
        b(
            "aws",
            "connect_timeout_seconds",
            1,
            60,
            Some(aws.connect_timeout_seconds),
        ),
        b(
            "aws",
            "attempt_timeout_seconds",
            1,
            300,
            Some(aws.attempt_timeout_seconds),
        ),
        b(
            "aws",
            "operation_timeout_seconds",
            1,
            900,
            Some(aws.operation_timeout_seconds),
        ),
        b(
            "actions",
            "poll_seconds",
            1,
            3_600,
            Some(c.actions.poll_seconds),
        ),
        b(
            "actions",
            "timeout_minutes",
            1,
            1_440,
            Some(c.actions.timeout_minutes),
        ),
    ]
}

/// Settings in dollars: (table, key, min, max, value). NaN and infinities are out.
fn dollar_bounds(c: &Config) -> [(&'static str, &'static str, f64, f64, f64); 1] {
    [(
        "aws",
        "daily_budget_usd",
        0.0,
        1_000.0,
        c.aws.daily_budget_usd,
    )]
}

/// The first setting out of its range, at its line and column.
pub fn check(config: &Config, path: &Path, text: &str) -> Result<(), ConfigError> {
    let whole = bounds(config).into_iter().filter_map(|b| {
        let value = b.value?;
        let message = format!(
            "{}.{} = {value} is out of range: it must be {} to {}",
            b.table, b.key, b.min, b.max
        );
        (!(b.min..=b.max).contains(&value)).then_some((b.table, b.key, message))
    });
    let dollars = dollar_bounds(config)
        .into_iter()
        .filter_map(|(table, key, min, max, value)| {
            let message = format!(
                "{table}.{key} = {value} is out of range: it must be {min} to {max} (dollars)"
            );
            (!(min..=max).contains(&value)).then_some((table, key, message))
        });
    if let Some((table, key, message)) = whole.chain(dollars).next() {
        return Err(match key_offset(text, table, key) {
            Some(at) => ConfigError::at(path, text, at, message),
            None => ConfigError::file(path, message),
        });
    }
    Ok(())
}

/// Where `key = …` is written under `[table]` (or as `table.key = …`).
fn key_offset(text: &str, table: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(header) = trimmed.strip_prefix('[') {
            current = header
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
        } else if let Some((name, _)) = trimmed.split_once('=') {
            let name = name.trim();
            let dotted = format!("{table}.{key}");
            if (current == table && name == key) || (current.is_empty() && name == dotted) {
                return Some(offset + indent);
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match Config::parse(Path::new("c.toml"), text) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn out_of_range_numbers_are_named_at_their_line_and_column() {
        let e = error("[aws]\nregion_hint = 1\n");
        assert!(e.contains("unknown field"), "{e}");
        let e = error("[aws]\ndiscover = true\n  refresh_seconds = 0\n");
        assert!(e.starts_with("c.toml:3:3:"), "{e}");
        assert!(e.contains("aws.refresh_seconds = 0"), "{e}");
        let e = error("[actions]\ntimeout_minutes = 18446744073709551615\n");
        assert!(e.starts_with("c.toml:2:1:"), "{e}");
        assert!(e.contains("1 to 1440"), "{e}");
        let e = error("aws.max_in_flight = 1000\n");
        assert!(e.starts_with("c.toml:1:1:"), "{e}");
        let e = error("[aws]\nxray_window_minutes = 100000\n");
        assert!(e.contains("xray_window_minutes"), "{e}");
        assert_eq!(
            error("[aws]\nrefresh_seconds = 86400\nmax_in_flight = 64\n"),
            ""
        );
        let e = error("[aws]\ndaily_budget_usd = nan\n");
        assert!(e.starts_with("c.toml:2:1:") && e.contains("dollars"), "{e}");
        assert!(error("[aws]\ndaily_budget_usd = -1.0\n").contains("0 to 1000"));
        assert_eq!(error("[aws]\ndaily_budget_usd = 0.25\n"), "");
    }

    #[test]
    fn every_default_is_within_its_bounds() {
        let c = Config::defaults();
        for b in bounds(&c) {
            if let Some(v) = b.value {
                assert!((b.min..=b.max).contains(&v), "{}.{}", b.table, b.key);
            }
        }
        for (table, key, min, max, v) in dollar_bounds(&c) {
            assert!((min..=max).contains(&v), "{table}.{key}");
        }
    }
}
