//! The rows of the pipeline and models views: filtered by name, worst first.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::environments::base;
use crate::model::scope::Scope;
use crate::model::{Fleet, Health, ModelFacts, ModelHealth};

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    /// What the model column shows: the name, and the environment when the model
    /// runs in several ("churn · prod" beside "churn · staging").
    pub label: String,
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
    // Once per build, not per row: a thousand rows are a million comparisons.
    let environments = environments_by_model(fleet);
    let rows: Vec<Row> = fleet
        .models
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            needle.is_empty()
                || std::iter::once(&m.name)
                    .chain(&m.aliases)
                    .chain(&place(m))
                    .any(|n| n.to_lowercase().contains(&needle))
        })
        .map(|(index, m)| Row {
            name: m.name.clone(),
            label: label(m, &environments),
            index,
            health: health.get(&m.name).map_or(Health::Unknown, |h| h.overall),
            scope: m.scope.index,
        })
        .collect();
    // Red first, a model's environments side by side (production first), then by name.
    let mut worst: BTreeMap<&str, Health> = BTreeMap::new();
    for r in &rows {
        let w = worst.entry(base(&r.name)).or_insert(r.health);
        *w = (*w).max(r.health);
    }
    let group = |r: &Row| worst.get(base(&r.name)).copied().unwrap_or(r.health);
    let mut sorted = rows.clone();
    sorted.sort_by(|a, b| {
        group(b)
            .cmp(&group(a))
            .then_with(|| base(&a.name).cmp(base(&b.name)))
            .then_with(|| env_rank(fleet, a).cmp(&env_rank(fleet, b)))
            .then_with(|| a.name.cmp(&b.name))
    });
    sorted
}

/// Production first among a model's environments.
fn env_rank(fleet: &Fleet, r: &Row) -> u8 {
    match fleet
        .models
        .get(r.index)
        .and_then(|m| m.environment.as_deref())
    {
        Some("prod") => 0,
        None => 1,
        Some(_) => 2,
    }
}

/// The environments each model's rows are in, by the model's name without them.
fn environments_by_model(fleet: &Fleet) -> HashMap<&str, HashSet<Option<&str>>> {
    let mut out: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
    for m in &fleet.models {
        out.entry(base(&m.name))
            .or_default()
            .insert(m.environment.as_deref());
    }
    out
}

/// The model column's text: a model in several environments says which each row is.
fn label(m: &ModelFacts, environments: &HashMap<&str, HashSet<Option<&str>>>) -> String {
    // Its own environment is one of them: another means a sibling row.
    let siblings = environments
        .get(base(&m.name))
        .is_some_and(|envs| envs.len() > 1);
    match &m.environment {
        Some(env) if siblings && !m.name.ends_with(env.as_str()) => {
            format!("{} · {env}", m.name)
        }
        _ => m.name.clone(),
    }
}
