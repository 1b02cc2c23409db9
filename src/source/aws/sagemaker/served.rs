//! What each variant of a described endpoint serves, through lineage: the package
//! version behind it, the one the registry marks deployed, the one its config
//! history starts from. The source's refresh and an action's fresh look read it the
//! same way.

use std::collections::HashSet;

use super::endpoint::Described;
use super::lineage::{Lineage, PackageRef};
use crate::model::facts::EndpointFacts;

/// Each variant's name and the package version its model serves, when known.
pub(super) struct Served(Vec<(String, Option<PackageRef>)>);

impl Served {
    pub(super) fn of(described: Option<&Described>, lineage: &Lineage) -> Served {
        Served(
            described
                .into_iter()
                .flat_map(|d| &d.variant_models)
                .map(|(v, m)| (v.clone(), lineage.package_of(m)))
                .collect(),
        )
    }

    /// The first variant's package that is known.
    pub(super) fn first(&self) -> Option<&PackageRef> {
        self.0.iter().find_map(|(_, p)| p.as_ref())
    }

    /// Every package a variant serves: what the registry marks deployed.
    pub(super) fn deployed(&self) -> HashSet<String> {
        self.0
            .iter()
            .filter_map(|(_, p)| p.as_ref().map(|p| p.arn.clone()))
            .collect()
    }

    /// Each variant's version on `endpoint`, and the current config's.
    pub(super) fn mark(&self, endpoint: &mut EndpointFacts) {
        for v in &mut endpoint.variants {
            v.model_version = self
                .0
                .iter()
                .find(|(name, _)| *name == v.name)
                .and_then(|(_, p)| p.as_ref().map(|p| p.version));
        }
        if let Some(current) = endpoint.config_history.first_mut() {
            current.model_version = self.first().map(|p| p.version);
        }
    }
}
