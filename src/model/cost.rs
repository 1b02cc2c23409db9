//! What the account costs this month, as Cost Explorer reports it.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSummary {
    pub currency: String,
    /// Unblended cost from the first of the month through today.
    pub month_to_date: f64,
    /// The whole month's expected cost: what has been spent plus the forecast rest.
    pub forecast: Option<Forecast>,
    /// Month to date per AWS service, largest first.
    pub by_service: Vec<(String, f64)>,
    /// Each day of the month so far.
    pub daily: Vec<(Date, f64)>,
    /// Month to date per value of the cost-allocation tag naming the model.
    pub by_model: BTreeMap<String, f64>,
    /// When Cost Explorer answered (a cached answer keeps its time).
    pub as_of: Timestamp,
    /// Month to date per linked account: every member account when the credentials
    /// are a payer's (management account), else the account itself.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub by_account: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub mean: f64,
    /// The 80% prediction interval, when Cost Explorer gives one.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

/// Two accounts' spend as one. A payer account's answer already holds its linked
/// accounts': when one answer's accounts include the other's, it alone is kept
/// (adding them would count the member twice); otherwise they add up.
pub fn combine(a: CostSummary, b: CostSummary) -> CostSummary {
    let covers = |big: &CostSummary, small: &CostSummary| {
        !small.by_account.is_empty()
            && small
                .by_account
                .keys()
                .all(|k| big.by_account.contains_key(k))
    };
    if covers(&a, &b) {
        return a;
    }
    if covers(&b, &a) {
        return b;
    }
    let add = |x: &mut BTreeMap<String, f64>, y: &BTreeMap<String, f64>| {
        for (k, v) in y {
            *x.entry(k.clone()).or_default() += v;
        }
    };
    let mut out = a;
    out.month_to_date += b.month_to_date;
    out.forecast = match (out.forecast, b.forecast) {
        (Some(x), Some(y)) => Some(Forecast {
            mean: x.mean + y.mean,
            lower: x.lower.zip(y.lower).map(|(p, q)| p + q),
            upper: x.upper.zip(y.upper).map(|(p, q)| p + q),
        }),
        _ => None,
    };
    let mut services: BTreeMap<String, f64> = out.by_service.drain(..).collect();
    add(&mut services, &b.by_service.into_iter().collect());
    out.by_service = services.into_iter().collect();
    out.by_service.sort_by(|x, y| y.1.total_cmp(&x.1));
    let mut days: BTreeMap<Date, f64> = out.daily.drain(..).collect();
    add_days(&mut days, &b.daily);
    out.daily = days.into_iter().collect();
    add(&mut out.by_model, &b.by_model);
    add(&mut out.by_account, &b.by_account);
    out.as_of = out.as_of.min(b.as_of);
    out
}

fn add_days(days: &mut BTreeMap<Date, f64>, more: &[(Date, f64)]) {
    for (d, v) in more {
        *days.entry(*d).or_default() += v;
    }
}

impl CostSummary {
    /// A model's average daily cost this month, when its resources are tagged.
    pub fn model_daily(&self, model: &str) -> Option<f64> {
        let spent = self.by_model.get(model)?;
        Some(spent / self.daily.len().max(1) as f64)
    }
}

#[cfg(test)]
mod combine_tests {
    use super::*;

    fn spend(accounts: &[(&str, f64)]) -> CostSummary {
        let total = accounts.iter().map(|(_, v)| v).sum();
        CostSummary {
            currency: "USD".into(),
            month_to_date: total,
            forecast: Some(Forecast {
                mean: total * 2.0,
                lower: None,
                upper: None,
            }),
            by_service: vec![("Amazon SageMaker".into(), total)],
            daily: vec![("2026-12-01".parse().unwrap(), total)],
            by_model: BTreeMap::new(),
            as_of: Timestamp::UNIX_EPOCH,
            by_account: accounts.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    #[test]
    fn two_accounts_add_up_and_a_payer_is_not_counted_twice() {
        let both = combine(spend(&[("111", 10.0)]), spend(&[("222", 5.0)]));
        assert_eq!(both.month_to_date, 15.0);
        assert_eq!(both.forecast.unwrap().mean, 30.0);
        assert_eq!(both.by_service, vec![("Amazon SageMaker".into(), 15.0)]);
        assert_eq!(both.daily[0].1, 15.0);
        assert_eq!(both.by_account.len(), 2);
        // The payer's answer holds the member's: it alone stands, whichever came first.
        let payer = spend(&[("111", 10.0), ("222", 5.0)]);
        let member = spend(&[("222", 5.0)]);
        assert_eq!(combine(member.clone(), payer.clone()).month_to_date, 15.0);
        assert_eq!(combine(payer, member).month_to_date, 15.0);
    }
}
