//! Model Monitor's `constraint_violations.json`, read from S3: untrusted input. Any
//! malformed, truncated, oversized or unexpected document is a one-line error for
//! that model, never a panic.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use serde::Deserialize;

use crate::model::facts::Violation;

/// Larger reports are refused unread: a real one lists at most a few hundred features.
pub const MAX_REPORT_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Deserialize)]
struct Document {
    violations: Vec<Entry>,
}

/// Fields the prebuilt container writes; bring-your-own containers may leave some out.
#[derive(Deserialize)]
struct Entry {
    feature_name: Option<String>,
    constraint_check_type: Option<String>,
    description: Option<String>,
}

/// The violations the report lists, or what is wrong with it.
pub fn parse_violations(bytes: &[u8]) -> Result<Vec<Violation>, String> {
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let doc: Document = serde_json::from_slice(bytes).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "truncated",
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Data => "not a violations report",
            serde_json::error::Category::Io => "unreadable",
        };
        format!("constraint_violations.json is {what} ({e})")
    })?;
    Ok(doc
        .violations
        .into_iter()
        .map(|v| Violation {
            feature: v.feature_name.unwrap_or_else(|| "(dataset)".into()),
            check: v
                .constraint_check_type
                .unwrap_or_else(|| "unknown_check".into()),
            description: v.description.unwrap_or_default(),
        })
        .collect())
}

pub fn too_large(bytes: u64) -> String {
    format!(
        "constraint_violations.json is {} MiB, over the {} MiB a report may be; not read",
        bytes / (1024 * 1024),
        MAX_REPORT_BYTES / (1024 * 1024)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const REAL: &str = r#"{
        "violations": [
            {"feature_name": "basket_size", "constraint_check_type": "baseline_drift_check",
             "description": "Baseline drift distance: 0.32 exceeds threshold: 0.1"},
            {"feature_name": "region", "constraint_check_type": "categorical_values_check",
             "description": "Data type match requirement is not met."}
        ]
    }"#;

    #[test]
    fn a_real_report_lists_features_and_checks() {
        let v = parse_violations(REAL.as_bytes()).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].feature, "basket_size");
        assert_eq!(v[0].check, "baseline_drift_check");
        assert!(v[0].description.starts_with("Baseline drift distance"));
    }

    #[test]
    fn an_empty_report_has_no_violations() {
        assert_eq!(parse_violations(br#"{"violations": []}"#).unwrap(), vec![]);
    }

    #[test]
    fn bad_reports_say_what_is_wrong() {
        let cut = &REAL.as_bytes()[..40];
        assert!(parse_violations(cut).unwrap_err().contains("is truncated"));
        assert!(parse_violations(b"<html>")
            .unwrap_err()
            .contains("not valid JSON"));
        let other = parse_violations(br#"{"features": []}"#).unwrap_err();
        assert!(other.contains("not a violations report"), "{other}");
        let wrong = parse_violations(br#"{"violations": [{"feature_name": 3}]}"#).unwrap_err();
        assert!(wrong.contains("not a violations report"), "{wrong}");
        let huge = vec![b' '; MAX_REPORT_BYTES as usize + 1];
        assert!(parse_violations(&huge)
            .unwrap_err()
            .contains("over the 4 MiB"));
        let deep = "[".repeat(100_000);
        assert!(parse_violations(deep.as_bytes()).is_err());
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_result_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            // Whatever it is, a refusal is one line the footer can show.
            if let Err(e) = parse_violations(&bytes) {
                prop_assert!(!e.is_empty() && !e.contains('\n'), "{:?}", e);
            }
        }

        #[test]
        fn any_prefix_of_a_real_report_gives_a_result(cut in 0..REAL.len()) {
            // Every cut short of the whole report is refused, in one line.
            let r = parse_violations(&REAL.as_bytes()[..cut]);
            let e = r.err();
            prop_assert!(e.as_ref().is_some_and(|e| !e.contains('\n')), "cut at {}: {:?}", cut, e);
        }

        #[test]
        fn generated_reports_round_trip(features in proptest::collection::vec("[a-z_]{1,12}", 0..20)) {
            let entries: Vec<String> = features
                .iter()
                .map(|f| format!(r#"{{"feature_name":"{f}","constraint_check_type":"baseline_drift_check","description":"d"}}"#))
                .collect();
            let doc = format!(r#"{{"violations":[{}]}}"#, entries.join(","));
            let parsed = parse_violations(doc.as_bytes()).unwrap();
            let names: Vec<String> = parsed.into_iter().map(|v| v.feature).collect();
            prop_assert_eq!(names, features);
        }
    }
}
