//! Comparing two samples of one feature: bins cut at the baseline's deciles (numbers)
//! or its most frequent categories, and how far apart the two histograms are —
//! the Population Stability Index or the Jensen–Shannon distance.

use serde::{Deserialize, Serialize};

/// Numeric features are cut at the baseline's deciles: ten bins.
pub const DECILES: usize = 10;
/// A categorical feature keeps this many of the baseline's categories; the rest
/// share one bin.
pub const MAX_CATEGORIES: usize = 20;
/// The bin of categories the baseline did not keep.
pub const OTHER: &str = "(other)";
/// Added to every bin's count before shares are taken, so an empty bin never
/// divides by zero or takes the logarithm of zero (Jeffreys' half-count).
pub const SMOOTHING: f64 = 0.5;

/// How one feature's values fall into bins, decided by the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Bins {
    /// Ascending cut points: bin i holds values above `cuts[i-1]` up to `cuts[i]`;
    /// the last bin everything above the last cut.
    Numeric { cuts: Vec<f64> },
    /// The baseline's categories, most frequent first; then one bin for the rest.
    Categorical { categories: Vec<String> },
}

impl Bins {
    /// Bins for a baseline sample: numeric when every present value is a finite
    /// number, else categorical. None for a sample with no values.
    pub fn of_sample<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Bins> {
        let values: Vec<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
        if values.is_empty() {
            return None;
        }
        let numbers: Option<Vec<f64>> = values.iter().map(|v| number(v)).collect();
        Some(match numbers {
            Some(mut numbers) => Bins::numeric(&mut numbers),
            None => Bins::categorical(values),
        })
    }

    /// Cut at the deciles, each an observed value (the order statistic below the
    /// decile's position, numpy's "lower"), so a feature of few distinct values
    /// gets bins of those values; equal cuts merge.
    pub fn numeric(values: &mut [f64]) -> Bins {
        values.sort_by(f64::total_cmp);
        let mut cuts: Vec<f64> = (1..DECILES)
            .filter_map(|i| quantile(values, i as f64 / DECILES as f64))
            .collect();
        cuts.dedup();
        Bins::Numeric { cuts }
    }

    /// The most frequent categories (ties by name), at most `MAX_CATEGORIES`.
    pub fn categorical<'a>(values: impl IntoIterator<Item = &'a str>) -> Bins {
        let mut counts: std::collections::BTreeMap<&str, u64> = Default::default();
        for v in values {
            *counts.entry(v).or_default() += 1;
        }
        let mut by_count: Vec<(&str, u64)> = counts.into_iter().collect();
        by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        Bins::Categorical {
            categories: by_count
                .into_iter()
                .take(MAX_CATEGORIES)
                .map(|(c, _)| c.to_string())
                .collect(),
        }
    }

    /// How many bins: the cuts' or categories' and one more.
    pub fn bin_count(&self) -> usize {
        match self {
            Bins::Numeric { cuts } => cuts.len() + 1,
            Bins::Categorical { categories } => categories.len() + 1,
        }
    }

    /// The bin of `value`; None when it cannot be placed (a numeric feature's value
    /// that is not a number, or missing).
    pub fn index(&self, value: &str) -> Option<usize> {
        match self {
            Bins::Numeric { cuts } => {
                let v = number(value)?;
                Some(cuts.partition_point(|c| *c < v))
            }
            Bins::Categorical { categories } => Some(
                categories
                    .iter()
                    .position(|c| c == value)
                    .unwrap_or(categories.len()),
            ),
        }
    }

    /// A short label per bin: "≤ 3.2", "> 9.1", a category, "(other)".
    pub fn labels(&self) -> Vec<String> {
        match self {
            Bins::Numeric { cuts } => {
                let mut labels: Vec<String> =
                    cuts.iter().map(|c| format!("≤{}", short(*c))).collect();
                labels.push(match cuts.last() {
                    Some(c) => format!(">{}", short(*c)),
                    None => "all".into(),
                });
                labels
            }
            Bins::Categorical { categories } => {
                let mut labels = categories.clone();
                labels.push(OTHER.into());
                labels
            }
        }
    }

    /// How many of `values` fall into each bin, and how many could not be placed.
    pub fn count<'a>(&self, values: impl IntoIterator<Item = &'a str>) -> (Vec<u64>, u64) {
        let mut counts = vec![0; self.bin_count()];
        let mut unplaced = 0;
        for v in values {
            match self.index(v) {
                Some(i) => counts[i] += 1,
                None => unplaced += 1,
            }
        }
        (counts, unplaced)
    }
}

/// A finite number, or None.
fn number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The q-quantile of sorted values: the value at or below position q·(n−1).
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    sorted.get((q * last as f64).floor() as usize).copied()
}

fn short(v: f64) -> String {
    if v.abs() >= 1000.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Each bin's share of the whole, smoothed (see `SMOOTHING`).
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: f64 =
        counts.iter().map(|c| *c as f64).sum::<f64>() + SMOOTHING * counts.len() as f64;
    counts
        .iter()
        .map(|c| (*c as f64 + SMOOTHING) / total)
        .collect()
}

/// How a feature's drift is measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Population Stability Index: Σ (current − baseline) · ln(current / baseline).
    #[default]
    Psi,
    /// Jensen–Shannon distance (base 2): 0 for equal histograms, 1 for disjoint.
    Js,
}

impl Method {
    /// The name thresholds are set under (`[health.metrics]`, `[models.thresholds]`).
    pub fn metric(self) -> &'static str {
        match self {
            Method::Psi => "PSI",
            Method::Js => "JSDistance",
        }
    }

    /// As the snapshot JSON and the drift panel name it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Psi => "psi",
            Method::Js => "js",
        }
    }

    /// How far apart two histograms over the same bins are.
    pub fn between(self, baseline: &[u64], current: &[u64]) -> f64 {
        let (b, c) = (shares(baseline), shares(current));
        match self {
            Method::Psi => psi(&b, &c),
            Method::Js => js_distance(&b, &c),
        }
    }
}

/// PSI of two smoothed distributions over the same bins.
pub fn psi(baseline: &[f64], current: &[f64]) -> f64 {
    baseline
        .iter()
        .zip(current)
        .map(|(b, c)| (c - b) * (c / b).ln())
        .sum()
}

/// Jensen–Shannon distance of two smoothed distributions, base 2.
pub fn js_distance(baseline: &[f64], current: &[f64]) -> f64 {
    let kl =
        |p: &[f64], m: &[f64]| -> f64 { p.iter().zip(m).map(|(p, m)| p * (p / m).log2()).sum() };
    let mid: Vec<f64> = baseline
        .iter()
        .zip(current)
        .map(|(b, c)| (b + c) / 2.0)
        .collect();
    let divergence = (kl(baseline, &mid) + kl(current, &mid)) / 2.0;
    divergence.max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn deciles_cut_a_uniform_sample_into_equal_bins() {
        let mut values: Vec<f64> = (0..1000).map(f64::from).collect();
        let bins = Bins::numeric(&mut values);
        assert_eq!(bins.bin_count(), 10);
        let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        let (counts, unplaced) = bins.count(texts.iter().map(String::as_str));
        assert_eq!(unplaced, 0);
        assert!(counts.iter().all(|c| *c == 100), "{counts:?}");
    }

    #[test]
    fn a_feature_with_few_values_gets_few_bins() {
        let bins = Bins::of_sample(["1", "1", "1", "2", "2"]).unwrap();
        assert_eq!(
            bins,
            Bins::Numeric {
                cuts: vec![1.0, 2.0]
            }
        );
        assert_eq!(bins.index("1"), Some(0));
        assert_eq!(bins.index("x"), None);
    }

    #[test]
    fn words_make_categories_and_unknown_ones_share_a_bin() {
        let bins = Bins::of_sample(["us", "us", "eu", "apac", ""]).unwrap();
        assert_eq!(bins.labels(), ["us", "apac", "eu", OTHER]);
        assert_eq!(bins.index("latam"), Some(3));
        assert!(Bins::of_sample(["", ""]).is_none());
    }

    #[test]
    fn psi_of_a_known_shift() {
        // Half the mass moves from the first bin to the second.
        let (b, c) = ([100, 100], [50, 150]);
        let expected = {
            let s = |x: f64, n: f64| (x + 0.5) / (n + 1.0);
            let (b1, b2, c1, c2) = (
                s(100.0, 200.0),
                s(100.0, 200.0),
                s(50.0, 200.0),
                s(150.0, 200.0),
            );
            (c1 - b1) * (c1 / b1).ln() + (c2 - b2) * (c2 / b2).ln()
        };
        assert!((Method::Psi.between(&b, &c) - expected).abs() < 1e-12);
    }

    #[test]
    fn disjoint_histograms_are_far_apart_by_either_measure() {
        let (b, c) = ([1000, 0], [0, 1000]);
        assert!(Method::Psi.between(&b, &c) > 5.0);
        assert!(Method::Js.between(&b, &c) > 0.95);
    }

    proptest! {
        #[test]
        fn psi_and_js_are_non_negative_and_zero_for_the_same_sample(
            b in proptest::collection::vec(0u64..10_000, 1..12),
            c in proptest::collection::vec(0u64..10_000, 1..12),
        ) {
            let n = b.len().min(c.len());
            let (b, c) = (&b[..n], &c[..n]);
            for m in [Method::Psi, Method::Js] {
                let d = m.between(b, c);
                prop_assert!(d.is_finite() && d >= -1e-12, "{m:?} {d}");
                prop_assert!(m.between(b, b).abs() < 1e-12);
                // PSI is symmetric in its two inputs; so is JS.
                prop_assert!((d - m.between(c, b)).abs() < 1e-9);
            }
            prop_assert!(Method::Js.between(b, c) <= 1.0 + 1e-12);
        }

        #[test]
        fn every_number_lands_in_a_bin(
            mut baseline in proptest::collection::vec(-1e6f64..1e6, 1..200),
            values in proptest::collection::vec(-2e6f64..2e6, 0..200),
        ) {
            let bins = Bins::numeric(&mut baseline);
            let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let (counts, unplaced) = bins.count(texts.iter().map(String::as_str));
            prop_assert_eq!(unplaced, 0);
            prop_assert_eq!(counts.iter().sum::<u64>(), values.len() as u64);
        }
    }
}
