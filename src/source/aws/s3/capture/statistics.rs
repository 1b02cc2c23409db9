//! Model Monitor's `statistics.json` as a baseline: teams that had Model Monitor
//! keep the baseline its suggestion job made. Numeric features come as KLL
//! buckets, string features as categorical buckets.

use serde::Deserialize;

use super::reference::{Feature, Reference};
use crate::model::distribution::{Bins, DECILES, MAX_CATEGORIES};

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
    let kept = buckets.len().min(MAX_CATEGORIES);
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
    let mut cuts: Vec<f64> = (1..DECILES)
        .map(|i| at_share(i as f64 / DECILES as f64))
        .collect();
    cuts.dedup();
    let bins = Bins::Numeric { cuts: cuts.clone() };
    let mut shares = vec![0.0; bins.bin_count()];
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
