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
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    pub mean: f64,
    /// The 80% prediction interval, when Cost Explorer gives one.
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl CostSummary {
    /// A model's average daily cost this month, when its resources are tagged.
    pub fn model_daily(&self, model: &str) -> Option<f64> {
        let spent = self.by_model.get(model)?;
        Some(spent / self.daily.len().max(1) as f64)
    }
}
