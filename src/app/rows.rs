//! The rows of the pipeline and models views: filtered by name, worst first.

use std::collections::BTreeMap;

use crate::model::{Fleet, Health, ModelHealth};

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// Index into `Fleet::models`.
    pub index: usize,
    pub health: Health,
}

/// Case-insensitive substring filter on the model's name and the names it goes by
/// (endpoint, package group): red rows first, then by name.
pub fn build(fleet: &Fleet, health: &BTreeMap<String, ModelHealth>, filter: &str) -> Vec<Row> {
    let needle = filter.to_lowercase();
    let mut rows: Vec<Row> = fleet
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            std::iter::once(&m.name)
                .chain(&m.aliases)
                .any(|n| n.to_lowercase().contains(&needle))
        })
        .map(|(index, m)| Row {
            name: m.name.clone(),
            index,
            health: health.get(&m.name).map_or(Health::Unknown, |h| h.overall),
        })
        .collect();
    rows.sort_by(|a, b| b.health.cmp(&a.health).then_with(|| a.name.cmp(&b.name)));
    rows
}
