//! SageMaker Data Capture records: one JSON object per line, the request and the
//! response each with its body as CSV text, JSON text or base64
//! (`captureData.endpointInput` / `endpointOutput`: `data`, `encoding`,
//! `observedContentType`). Anything else is a skipped record, never a panic.

use serde::Deserialize;
use serde_json::Value;

/// Rows one record can hold at most (a batch request); the rest are ignored.
const MAX_ROWS: usize = 1_000;

/// One row of a request's features: by position (CSV, JSON arrays) or by name
/// (JSON objects).
#[derive(Debug, Clone, PartialEq)]
pub enum Fields {
    Positional(Vec<String>),
    Named(Vec<(String, String)>),
}

/// What one captured record held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captured {
    pub rows: Vec<Fields>,
    /// The first value of each of the response's predictions.
    pub predictions: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    capture_data: CaptureData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CaptureData {
    endpoint_input: Option<Body>,
    endpoint_output: Option<Body>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    data: String,
    #[serde(default)]
    encoding: String,
    #[serde(default)]
    observed_content_type: String,
}

/// One line of a capture file; None when it is not a record that can be read.
pub fn record(line: &str) -> Option<Captured> {
    let record: Record = serde_json::from_str(line).ok()?;
    let input = record.capture_data.endpoint_input?;
    let rows = rows(&decode(&input)?);
    if rows.is_empty() {
        return None;
    }
    let predictions = record
        .capture_data
        .endpoint_output
        .and_then(|o| decode(&o))
        .map(|body| predictions(&body))
        .unwrap_or_default();
    Some(Captured { rows, predictions })
}

/// A body as CSV or JSON text.
enum Text {
    Csv(String),
    Json(Value),
}

fn decode(body: &Body) -> Option<Text> {
    let text = match body.encoding.to_ascii_uppercase().as_str() {
        "BASE64" => String::from_utf8(aws_smithy_types::base64::decode(&body.data).ok()?).ok()?,
        _ => body.data.clone(),
    };
    let json_typed =
        body.observed_content_type.contains("json") || body.encoding.eq_ignore_ascii_case("JSON");
    let csv_typed = body.observed_content_type.contains("csv");
    match (json_typed, csv_typed) {
        (true, _) => serde_json::from_str(&text).ok().map(Text::Json),
        (false, true) => Some(Text::Csv(text)),
        // Untyped: JSON when it parses as a structure, else CSV.
        (false, false) => match serde_json::from_str::<Value>(&text) {
            Ok(v @ (Value::Object(_) | Value::Array(_))) => Some(Text::Json(v)),
            _ => Some(Text::Csv(text)),
        },
    }
}

/// CSV lines (no header: captured requests have none) or JSON rows.
fn rows(text: &Text) -> Vec<Fields> {
    match text {
        Text::Csv(csv) => csv_rows(csv, MAX_ROWS)
            .into_iter()
            .map(Fields::Positional)
            .collect(),
        Text::Json(v) => json_rows(v),
    }
}

/// The records of CSV text, at most `limit`; unreadable lines dropped. Without a
/// quote, a record is a line and a field what lies between commas (RFC 4180);
/// quoted text goes through the csv crate, whose reader is costly to set up per
/// request body.
pub fn csv_rows(text: &str, limit: usize) -> Vec<Vec<String>> {
    if !text.contains('"') {
        return text
            .lines()
            .map(|l| {
                l.split(',')
                    .map(|f| f.trim().to_string())
                    .collect::<Vec<String>>()
            })
            .filter(|f| is_row(f))
            .take(limit)
            .collect();
    }
    let mut rows = by_the_csv_crate(text);
    rows.truncate(limit);
    rows
}

/// CSV text as the csv crate reads it (quotes, escapes), headerless and trimmed.
fn by_the_csv_crate(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect::<Vec<String>>())
        .filter(|f| is_row(f))
        .collect()
}

/// A blank line reads as one empty field: not a row.
fn is_row(fields: &[String]) -> bool {
    !(fields.len() == 1 && fields[0].is_empty())
}

/// JSON requests as the common serving stacks shape them: `{"instances": [...]}`
/// (TensorFlow Serving, SageMaker's JSON lines), `{"inputs": ...}`, a list of rows,
/// one row as an object or a list of values.
fn json_rows(v: &Value) -> Vec<Fields> {
    match v {
        Value::Object(o) => {
            for key in ["instances", "inputs", "data", "features"] {
                if let Some(inner @ (Value::Array(_) | Value::Object(_))) = o.get(key) {
                    return json_rows(inner);
                }
            }
            vec![Fields::Named(
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)))
                    .collect(),
            )]
        }
        Value::Array(items) if items.iter().all(|i| scalar(i).is_some()) => {
            vec![Fields::Positional(
                items.iter().filter_map(scalar).collect(),
            )]
        }
        Value::Array(items) => items
            .iter()
            .take(MAX_ROWS)
            .flat_map(|i| match i {
                Value::Array(_) | Value::Object(_) => json_rows(i),
                _ => Vec::new(),
            })
            .collect(),
        other => scalar(other)
            .map(|s| vec![Fields::Positional(vec![s])])
            .unwrap_or_default(),
    }
}

/// The first value of each prediction in a response.
fn predictions(text: &Text) -> Vec<String> {
    match text {
        Text::Csv(csv) => csv_rows(csv, MAX_ROWS)
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect(),
        Text::Json(v) => json_predictions(v),
    }
}

fn json_predictions(v: &Value) -> Vec<String> {
    match v {
        Value::Object(o) => {
            for key in [
                "predictions",
                "prediction",
                "predicted_label",
                "score",
                "scores",
                "outputs",
                "label",
            ] {
                if let Some(inner) = o.get(key) {
                    return json_predictions(inner);
                }
            }
            o.values().find_map(scalar).into_iter().collect()
        }
        Value::Array(items) if items.iter().all(|i| scalar(i).is_some()) => {
            items.iter().take(MAX_ROWS).filter_map(scalar).collect()
        }
        Value::Array(items) => items
            .iter()
            .take(MAX_ROWS)
            .filter_map(|i| json_predictions(i).into_iter().next())
            .collect(),
        other => scalar(other).into_iter().collect(),
    }
}

/// A number, string or boolean as text; None for structures and null.
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(input: &str, encoding: &str, content_type: &str, output: &str) -> String {
        serde_json::json!({
            "captureData": {
                "endpointInput": {"observedContentType": content_type, "mode": "INPUT",
                                  "data": input, "encoding": encoding},
                "endpointOutput": {"observedContentType": "text/csv; charset=utf-8",
                                   "mode": "OUTPUT", "data": output, "encoding": "CSV"}
            },
            "eventMetadata": {"eventId": "e1", "inferenceTime": "2026-11-30T10:00:00Z"},
            "eventVersion": "0"
        })
        .to_string()
    }

    fn positional(values: &[&str]) -> Fields {
        Fields::Positional(values.iter().map(|v| v.to_string()).collect())
    }

    #[test]
    fn csv_inside_json_gives_one_row_per_line() {
        let r = record(&line("1.5,us\n2.5,eu", "CSV", "text/csv", "0.83")).unwrap();
        assert_eq!(
            r.rows,
            [positional(&["1.5", "us"]), positional(&["2.5", "eu"])]
        );
        assert_eq!(r.predictions, ["0.83"]);
    }

    #[test]
    fn base64_bodies_are_decoded() {
        let data = aws_smithy_types::base64::encode("3,7");
        let r = record(&line(&data, "BASE64", "text/csv", "1")).unwrap();
        assert_eq!(r.rows, [positional(&["3", "7"])]);
    }

    #[test]
    fn json_requests_in_the_usual_shapes() {
        let named = r#"{"amount": 12.5, "region": "us", "nested": {"x": 1}}"#;
        let r = record(&line(named, "JSON", "application/json", "0")).unwrap();
        assert_eq!(
            r.rows,
            [Fields::Named(vec![
                ("amount".into(), "12.5".into()),
                ("region".into(), "us".into())
            ])]
        );
        let instances = r#"{"instances": [[1, 2], [3, 4]]}"#;
        let r = record(&line(instances, "JSON", "application/json", "0")).unwrap();
        assert_eq!(r.rows, [positional(&["1", "2"]), positional(&["3", "4"])]);
    }

    #[test]
    fn json_predictions_in_the_usual_shapes() {
        let p = |v: &str| json_predictions(&serde_json::from_str(v).unwrap());
        assert_eq!(
            p(r#"{"predictions": [[0.9, 0.1], [0.2, 0.8]]}"#),
            ["0.9", "0.2"]
        );
        assert_eq!(
            p(r#"{"predicted_label": "churn", "score": 0.7}"#),
            ["churn"]
        );
        assert_eq!(p("0.5"), ["0.5"]);
    }

    #[test]
    fn what_is_not_a_record_is_none() {
        for bad in [
            "",
            "{",
            "[]",
            r#"{"captureData": {}}"#,
            &line("!!not base64!!", "BASE64", "text/csv", "1"),
            &line("", "CSV", "text/csv", "1"),
            &line("{", "JSON", "application/json", "1"),
        ] {
            assert_eq!(record(bad), None, "{bad}");
        }
    }

    #[test]
    fn quoted_csv_fields_keep_their_commas() {
        assert_eq!(
            csv_rows("\"a, b\",c\n1,2", 10),
            [vec!["a, b", "c"], vec!["1", "2"]]
        );
    }

    proptest! {
        #[test]
        fn unquoted_csv_is_split_as_the_csv_crate_reads_it(text in "[a-z0-9., \n-]{0,120}") {
            prop_assert_eq!(csv_rows(&text, usize::MAX), by_the_csv_crate(&text));
        }

        #[test]
        fn any_text_is_a_record_or_none_never_a_panic(text in "\\PC{0,300}") {
            let _ = record(&text);
        }

        #[test]
        fn any_body_in_a_real_envelope_never_panics(
            data in "\\PC{0,200}",
            encoding in prop::sample::select(vec!["CSV", "JSON", "BASE64", "", "weird"]),
            content_type in prop::sample::select(vec!["text/csv", "application/json", ""]),
        ) {
            let _ = record(&line(&data, encoding, content_type, &data));
        }

        #[test]
        fn truncated_lines_are_none_never_a_panic(cut in 0usize..200) {
            let full = line("1,2,3", "CSV", "text/csv", "0.4");
            let cut = cut.min(full.len() - 1);
            prop_assert_eq!(record(&full[..cut]), None);
        }
    }
}
