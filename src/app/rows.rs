//! The rows of the pipeline and models views: filtered by name, worst first.

use std::collections::BTreeMap;

use crate::model::scope::Scope;
use crate::model::{Fleet, Health, ModelFacts, ModelHealth};

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// Index into `Fleet::models`.
    pub index: usize,
    pub health: Health,
    /// The account and region it was found in (its primary's, for a pair).
    pub scope: crate::model::scope::ScopeIx,
}

/// Case-insensitive substring filter on the model's name, the names it goes by
/// (endpoint, package group) and where it runs (account label or id, region, and
/// its pair's region): red rows first, then by name.
pub fn build(
    fleet: &Fleet,
    health: &BTreeMap<String, ModelHealth>,
    filter: &str,
    scopes: &[Scope],
) -> Vec<Row> {
    let needle = filter.to_lowercase();
    let place = |m: &ModelFacts| -> Vec<String> {
        let mut ix = vec![m.scope.index];
        ix.extend(m.scope.replica.as_ref().map(|r| r.scope.index));
        ix.iter()
            .filter_map(|i| scopes.get(usize::from(*i)))
            .flat_map(|s| [s.account_name(), s.region.clone()])
            .collect()
    };
    let mut rows: Vec<Row> = fleet
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            std::iter::once(&m.name)
                .chain(&m.aliases)
                .chain(&place(m))
                .any(|n| n.to_lowercase().contains(&needle))
        })
        .map(|(index, m)| Row {
            name: m.name.clone(),
            index,
            health: health.get(&m.name).map_or(Health::Unknown, |h| h.overall),
            scope: m.scope.index,
        })
        .collect();
    rows.sort_by(|a, b| b.health.cmp(&a.health).then_with(|| a.name.cmp(&b.name)));
    rows
}
