//! The baseline captured traffic is compared with: each feature's bins and the
//! baseline's counts in them. Made from a Model Monitor `statistics.json`, a CSV
//! (with a header) or JSON-lines sample of the training data, or a window of the
//! capture itself; then every captured file is summarised against it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::parse::{self, Captured, Fields};
use crate::model::distribution::Bins;

/// A feature's bins and the baseline's counts in them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    pub bins: Bins,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Where it came from, in the user's words ("Model Monitor statistics s3://…").
    pub from: String,
    /// In column order: captured CSV columns are matched to these by position.
    pub features: Vec<Feature>,
    /// The endpoint's output, when the baseline holds it (a capture window).
    pub prediction: Option<Feature>,
    pub records: u64,
    pub skipped: u64,
}

/// What one captured file held, in the reference's bins: a few hundred bytes
/// however large the file, kept so a file is never read twice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileSummary {
    pub records: u64,
    /// Lines that were not readable records.
    pub skipped: u64,
    /// Rows whose columns did not match the baseline's.
    pub mismatched: u64,
    /// Per reference feature, counts per bin.
    pub counts: Vec<Vec<u64>>,
    pub prediction: Vec<u64>,
}

/// Values gathered column by column, to cut bins from.
#[derive(Debug, Default)]
pub struct Columns {
    names: Vec<String>,
    values: Vec<Vec<String>>,
    predictions: Vec<String>,
    records: u64,
    skipped: u64,
}

impl Columns {
    /// Rows of a sample whose first row names the columns.
    pub fn with_header(names: Vec<String>) -> Columns {
        Columns {
            values: vec![Vec::new(); names.len()],
            names,
            ..Columns::default()
        }
    }

    pub fn skip(&mut self, n: u64) {
        self.skipped += n;
    }

    /// A row by position; its columns are named by `names`, else by the header,
    /// else `_c0`, `_c1`, … (Model Monitor's names for headerless CSV).
    pub fn push_positional(&mut self, row: Vec<String>, names: &[String]) {
        let names: Vec<String> = match names.len() == row.len() {
            true => names.to_vec(),
            false if self.names.len() == row.len() => self.names.clone(),
            false => (0..row.len()).map(|i| format!("_c{i}")).collect(),
        };
        self.push_named(names.into_iter().zip(row).collect());
    }

    pub fn push_named(&mut self, fields: Vec<(String, String)>) {
        self.records += 1;
        for (name, value) in fields {
            let at = match self.names.iter().position(|n| *n == name) {
                Some(at) => at,
                None => {
                    self.names.push(name);
                    self.values.push(Vec::new());
                    self.names.len() - 1
                }
            };
            self.values[at].push(value);
        }
    }

    /// A captured record's rows and predictions.
    pub fn push_captured(&mut self, captured: Captured, names: &[String]) {
        for row in captured.rows {
            match row {
                Fields::Positional(values) => self.push_positional(values, names),
                Fields::Named(fields) => self.push_named(fields),
            }
        }
        self.predictions.extend(captured.predictions);
    }

    pub fn records(&self) -> u64 {
        self.records
    }

    /// The reference these values make; None when no column has a value.
    pub fn into_reference(self, from: String) -> Option<Reference> {
        let features: Vec<Feature> = self
            .names
            .into_iter()
            .zip(self.values)
            .filter_map(|(name, values)| feature(name, &values))
            .collect();
        if features.is_empty() {
            return None;
        }
        Some(Reference {
            from,
            features,
            prediction: feature("prediction".into(), &self.predictions),
            records: self.records,
            skipped: self.skipped,
        })
    }
}

fn feature(name: String, values: &[String]) -> Option<Feature> {
    let bins = Bins::of_sample(values.iter().map(String::as_str))?;
    let (counts, _) = bins.count(values.iter().map(String::as_str));
    Some(Feature { name, bins, counts })
}

/// A training-data sample: JSON lines when it starts with `{`, else CSV whose first
/// line names the columns. A CSV whose first line is all numbers has no header: an
/// error, since its columns could not be matched to the captured ones.
pub fn sample(text: &str, from: String) -> Result<Reference, String> {
    let mut columns = match text.trim_start().starts_with('{') {
        true => {
            let mut columns = Columns::default();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                match serde_json::from_str::<serde_json::Map<String, Value>>(line) {
                    Ok(o) => columns.push_named(
                        o.into_iter()
                            .filter_map(|(k, v)| Some((k, parse::scalar(&v)?)))
                            .collect(),
                    ),
                    Err(_) => columns.skip(1),
                }
            }
            columns
        }
        false => {
            // The whole sample: its size is bounded by the bytes read.
            let mut rows = parse::csv_rows(text, usize::MAX).into_iter();
            let header = rows.next().unwrap_or_default();
            if header.is_empty() || header.iter().all(|h| h.parse::<f64>().is_ok()) {
                return Err(format!("{from}: the CSV has no header naming its columns"));
            }
            let mut columns = Columns::with_header(header.clone());
            for row in rows {
                match row.len() == header.len() {
                    true => columns.push_positional(row, &header),
                    false => columns.skip(1),
                }
            }
            columns
        }
    };
    columns.predictions.clear();
    columns
        .into_reference(from.clone())
        .ok_or_else(|| format!("{from}: no rows to compare with"))
}

impl Reference {
    /// Summarises one captured file's lines against this reference. `names` are
    /// config's names for captured CSV columns (else the reference's, by position).
    pub fn summarise<'a>(
        &self,
        lines: impl IntoIterator<Item = &'a str>,
        names: &[String],
    ) -> FileSummary {
        let mut s = FileSummary {
            counts: self
                .features
                .iter()
                .map(|f| vec![0; f.bins.bin_count()])
                .collect(),
            prediction: self
                .prediction
                .as_ref()
                .map_or_else(Vec::new, |p| vec![0; p.bins.bin_count()]),
            ..FileSummary::default()
        };
        let own: Vec<String>;
        let names = match names.is_empty() {
            false => names,
            true => {
                own = self.features.iter().map(|f| f.name.clone()).collect();
                &own
            }
        };
        // Where each feature is in a positional row, worked out once per file.
        let columns: Vec<Option<usize>> = self
            .features
            .iter()
            .map(|f| names.iter().position(|n| *n == f.name))
            .collect();
        for line in lines.into_iter().filter(|l| !l.trim().is_empty()) {
            let Some(captured) = parse::record(line) else {
                s.skipped += 1;
                continue;
            };
            for row in captured.rows {
                let value_of = |at: usize| -> Option<&str> {
                    let f = &self.features[at];
                    match &row {
                        Fields::Named(fields) => fields
                            .iter()
                            .find(|(n, _)| *n == f.name)
                            .map(|(_, v)| v.as_str()),
                        Fields::Positional(values) => {
                            columns[at].and_then(|i| values.get(i)).map(String::as_str)
                        }
                    }
                };
                if matches!(&row, Fields::Positional(v) if v.len() != names.len()) {
                    s.mismatched += 1;
                    continue;
                }
                s.records += 1;
                for (at, counts) in s.counts.iter_mut().enumerate() {
                    if let Some(i) = value_of(at).and_then(|v| self.features[at].bins.index(v)) {
                        counts[i] += 1;
                    }
                }
            }
            if let Some(p) = &self.prediction {
                for value in &captured.predictions {
                    if let Some(i) = p.bins.index(value) {
                        s.prediction[i] += 1;
                    }
                }
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_sample_names_its_columns_and_cuts_bins() {
        let mut text = String::from("amount,region\n");
        for i in 0..100 {
            text.push_str(&format!("{i},{}\n", if i % 2 == 0 { "us" } else { "eu" }));
        }
        let r = sample(&text, "s3://b/train.csv".into()).unwrap();
        assert_eq!(r.records, 100);
        let names: Vec<&str> = r.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["amount", "region"]);
        assert_eq!(r.features[0].counts.iter().sum::<u64>(), 100);
        assert!(matches!(r.features[1].bins, Bins::Categorical { .. }));
    }

    #[test]
    fn a_headerless_csv_is_an_error_naming_it() {
        let e = sample("1,2\n3,4\n", "s3://b/train.csv".into()).unwrap_err();
        assert!(e.contains("no header"), "{e}");
    }

    #[test]
    fn captured_files_are_summarised_in_the_references_bins() {
        let r = sample("amount,region\n1,us\n2,us\n3,eu\n4,eu\n", "s".into()).unwrap();
        let line = |data: &str| {
            serde_json::json!({"captureData": {"endpointInput": {
                "data": data, "encoding": "CSV", "observedContentType": "text/csv"}}})
            .to_string()
        };
        let lines = [
            line("1,us"),
            line("4,eu\n4,eu"),
            line("1,2,3"),
            "garbage".into(),
        ];
        let s = r.summarise(lines.iter().map(String::as_str), &[]);
        assert_eq!((s.records, s.skipped, s.mismatched), (3, 1, 1));
        // eu and us tie in the baseline: by name, eu first.
        assert_eq!(s.counts[1], [2, 1, 0]);
    }

    #[test]
    fn config_names_captured_columns_in_their_own_order() {
        let r = sample("amount,region\n1,us\n2,us\n3,eu\n4,eu\n", "s".into()).unwrap();
        let line = serde_json::json!({"captureData": {"endpointInput": {
            "data": "eu,4", "encoding": "CSV", "observedContentType": "text/csv"}}})
        .to_string();
        let names = ["region".to_string(), "amount".to_string()];
        let s = r.summarise([line.as_str()], &names);
        assert_eq!((s.records, s.mismatched), (1, 0));
        assert_eq!(s.counts[1], [1, 0, 0], "eu is the region");
        assert_eq!(s.counts[0].iter().sum::<u64>(), 1, "4 is the amount");
    }
}
