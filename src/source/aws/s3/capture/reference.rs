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

/// Model Monitor's `statistics.json`: numeric features by their KLL buckets,
/// string features by their categorical buckets.
pub fn statistics(text: &str, from: String) -> Result<Reference, String> {
    let doc: Statistics =
        serde_json::from_str(text).map_err(|e| format!("{from}: unreadable ({e})"))?;
    let features: Vec<Feature> = doc
        .features
        .into_iter()
        .filter_map(from_statistics)
        .collect();
    if features.is_empty() {
        return Err(format!("{from}: no feature has a distribution"));
    }
    let records = doc.dataset.map_or(0, |d| d.item_count);
    Ok(Reference {
        from,
        features,
        prediction: None,
        records,
        skipped: 0,
    })
}

#[derive(Deserialize)]
struct Statistics {
    dataset: Option<Dataset>,
    features: Vec<StatFeature>,
}

#[derive(Deserialize)]
struct Dataset {
    item_count: u64,
}

#[derive(Deserialize)]
struct StatFeature {
    name: String,
    numerical_statistics: Option<Numerical>,
    string_statistics: Option<Strings>,
}

#[derive(Deserialize)]
struct Numerical {
    distribution: Option<NumDistribution>,
}

#[derive(Deserialize)]
struct NumDistribution {
    kll: Option<Kll>,
}

#[derive(Deserialize)]
struct Kll {
    buckets: Vec<KllBucket>,
}

#[derive(Deserialize)]
struct KllBucket {
    lower_bound: f64,
    upper_bound: f64,
    count: f64,
}

#[derive(Deserialize)]
struct Strings {
    distribution: Option<StrDistribution>,
}

#[derive(Deserialize)]
struct StrDistribution {
    categorical: Option<Categorical>,
}

#[derive(Deserialize)]
struct Categorical {
    buckets: Vec<CategoryBucket>,
}

#[derive(Deserialize)]
struct CategoryBucket {
    value: String,
    count: f64,
}

fn from_statistics(f: StatFeature) -> Option<Feature> {
    if let Some(kll) = f
        .numerical_statistics
        .and_then(|n| n.distribution?.kll)
        .filter(|k| !k.buckets.is_empty())
    {
        return numeric_from_buckets(f.name, &kll.buckets);
    }
    let buckets = f.string_statistics?.distribution?.categorical?.buckets;
    let mut buckets: Vec<&CategoryBucket> = buckets.iter().filter(|b| b.count > 0.0).collect();
    buckets.sort_by(|a, b| b.count.total_cmp(&a.count).then(a.value.cmp(&b.value)));
    let kept = buckets
        .len()
        .min(crate::model::distribution::MAX_CATEGORIES);
    let categories: Vec<String> = buckets[..kept].iter().map(|b| b.value.clone()).collect();
    let mut counts: Vec<u64> = buckets[..kept].iter().map(|b| b.count as u64).collect();
    counts.push(buckets[kept..].iter().map(|b| b.count as u64).sum());
    (!categories.is_empty()).then_some(Feature {
        name: f.name,
        bins: Bins::Categorical { categories },
        counts,
    })
}

/// Deciles read off the buckets' cumulative counts (uniform within a bucket), and
/// each bucket's count shared among the decile bins it overlaps.
fn numeric_from_buckets(name: String, buckets: &[KllBucket]) -> Option<Feature> {
    let valid: Vec<&KllBucket> = buckets
        .iter()
        .filter(|b| b.count > 0.0 && b.lower_bound.is_finite() && b.upper_bound >= b.lower_bound)
        .collect();
    let total: f64 = valid.iter().map(|b| b.count).sum();
    if total <= 0.0 {
        return None;
    }
    let at_share = |q: f64| -> f64 {
        let target = q * total;
        let mut seen = 0.0;
        for b in &valid {
            if seen + b.count >= target {
                let within = (target - seen) / b.count;
                return b.lower_bound + within * (b.upper_bound - b.lower_bound);
            }
            seen += b.count;
        }
        valid.last().map_or(0.0, |b| b.upper_bound)
    };
    let mut cuts: Vec<f64> = (1..crate::model::distribution::DECILES)
        .map(|i| at_share(i as f64 / crate::model::distribution::DECILES as f64))
        .collect();
    cuts.dedup();
    let bins = Bins::Numeric { cuts: cuts.clone() };
    let mut shares = vec![0.0; bins.len()];
    for b in &valid {
        let width = b.upper_bound - b.lower_bound;
        for (i, share) in shares.iter_mut().enumerate() {
            let lo = if i == 0 {
                f64::NEG_INFINITY
            } else {
                cuts[i - 1]
            };
            let hi = cuts.get(i).copied().unwrap_or(f64::INFINITY);
            let overlap = match width > 0.0 {
                true => (b.upper_bound.min(hi) - b.lower_bound.max(lo)).max(0.0) / width,
                false => f64::from(u8::from(b.lower_bound > lo && b.lower_bound <= hi)),
            };
            *share += overlap * b.count;
        }
    }
    let counts = shares.iter().map(|s| s.round() as u64).collect();
    Some(Feature { name, bins, counts })
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
                .map(|f| vec![0; f.bins.len()])
                .collect(),
            prediction: self
                .prediction
                .as_ref()
                .map_or_else(Vec::new, |p| vec![0; p.bins.len()]),
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
    fn model_monitor_statistics_give_deciles_from_kll_buckets() {
        let text = r#"{"version": 0, "dataset": {"item_count": 1000},
          "features": [
            {"name": "amount", "inferred_type": "Fractional",
             "numerical_statistics": {"distribution": {"kll": {"buckets": [
               {"lower_bound": 0.0, "upper_bound": 50.0, "count": 500},
               {"lower_bound": 50.0, "upper_bound": 100.0, "count": 500}]}}}},
            {"name": "region", "inferred_type": "String",
             "string_statistics": {"distribution": {"categorical": {"buckets": [
               {"value": "us", "count": 700}, {"value": "eu", "count": 300}]}}}}
          ]}"#;
        let r = statistics(text, "stats".into()).unwrap();
        let Bins::Numeric { cuts } = &r.features[0].bins else {
            panic!("numeric expected")
        };
        assert_eq!(cuts.len(), 9);
        assert!(
            (cuts[0] - 10.0).abs() < 1e-9 && (cuts[8] - 90.0).abs() < 1e-9,
            "{cuts:?}"
        );
        assert!(
            r.features[0].counts.iter().all(|c| *c == 100),
            "{:?}",
            r.features[0].counts
        );
        assert_eq!(r.features[1].counts, [700, 300, 0]);
        assert!(statistics("{}", "x".into()).is_err());
        assert!(statistics("[1,", "x".into()).is_err());
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
