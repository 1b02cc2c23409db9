//! Which model each endpoint serves, as a row: config first, then a tag on the
//! endpoint, then exact lineage (the package group of what it serves), then the
//! endpoint's own name with affixes stripped. Pure: works on what was described.

use std::collections::{BTreeMap, HashSet};

use super::lineage::PackageRef;
use crate::config::ModelMapping;
use crate::model::identity::{Identity, JoinedBy, Normaliser};

/// One model row to build, and what it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub mapping: Option<ModelMapping>,
    pub endpoint: Option<String>,
    pub identity: Identity,
}

/// What is known of one endpoint when rows are resolved.
pub struct Seen<'a> {
    pub tags: &'a [(String, String)],
    /// The first variant's model and the package version lineage links it to.
    pub model: Option<&'a str>,
    pub package: Option<PackageRef>,
}

pub struct Resolver<'a> {
    pub mappings: &'a [ModelMapping],
    /// Rows for endpoints config does not name.
    pub discover: bool,
    /// Tag keys whose value names the model.
    pub tag_keys: &'a [String],
    pub names: &'a Normaliser,
}

/// The name an endpoint's own evidence gives its model, how, and what matched.
struct Candidate {
    name: String,
    by: JoinedBy,
    evidence: String,
}

impl Resolver<'_> {
    /// Configured models first, then (when discovering) every endpoint none claims.
    pub fn rows(&self, endpoints: &BTreeMap<String, Seen>) -> Vec<Row> {
        let candidates: BTreeMap<&str, Candidate> = endpoints
            .iter()
            .map(|(e, seen)| (e.as_str(), self.candidate(e, seen)))
            .collect();
        let mut claimed: HashSet<&str> = HashSet::new();
        let mut rows: Vec<Row> = Vec::new();
        for m in self.mappings {
            let mut identity = Identity::new(
                JoinedBy::Config,
                format!("[[models]] name = \"{}\"", m.name),
            );
            let endpoint = match &m.endpoint {
                Some(e) => {
                    identity.join(
                        format!("endpoint {e}"),
                        JoinedBy::Config,
                        "endpoint in config",
                    );
                    Some(e.clone())
                }
                None => {
                    let key = self.names.key(&m.name);
                    let found = candidates.iter().find(|(e, c)| {
                        !claimed.contains(**e) && (**e == m.name || self.names.key(&c.name) == key)
                    });
                    found.map(|(e, c)| {
                        identity.join(format!("endpoint {e}"), c.by, c.evidence.clone());
                        e.to_string()
                    })
                }
            };
            if let Some(e) = &endpoint {
                if let Some((k, _)) = candidates.get_key_value(e.as_str()) {
                    claimed.insert(k);
                }
            }
            rows.push(Row {
                name: m.name.clone(),
                mapping: Some(m.clone()),
                endpoint,
                identity,
            });
        }
        if !self.discover {
            return rows;
        }
        let mut unclaimed: Vec<(&str, &Candidate)> = candidates
            .iter()
            .filter(|(e, _)| !claimed.contains(**e))
            .map(|(e, c)| (*e, c))
            .collect();
        // Best evidence first; among equals the production endpoint keeps the name.
        unclaimed.sort_by_key(|(e, c)| (c.by, !is_production(e), e.to_string()));
        let mut taken: HashSet<String> = rows.iter().map(|r| self.names.key(&r.name)).collect();
        for (endpoint, c) in unclaimed {
            let (name, identity) = match taken.insert(self.names.key(&c.name)) {
                true => (
                    c.name.clone(),
                    Identity::new(c.by, c.evidence.clone()).with(
                        format!("endpoint {endpoint}"),
                        c.by,
                        c.evidence.clone(),
                    ),
                ),
                // Another endpoint already is that model: this one keeps its own name
                // rather than hide behind it.
                false => {
                    let why = format!(
                        "endpoint {endpoint}: {} is already another endpoint's row",
                        c.name
                    );
                    (
                        endpoint.to_string(),
                        Identity::new(JoinedBy::Name, why.clone()).with(
                            format!("endpoint {endpoint}"),
                            JoinedBy::Name,
                            why,
                        ),
                    )
                }
            };
            rows.push(Row {
                name,
                mapping: None,
                endpoint: Some(endpoint.to_string()),
                identity,
            });
        }
        rows
    }

    fn candidate(&self, endpoint: &str, seen: &Seen) -> Candidate {
        let tagged = seen.tags.iter().find(|(k, v)| {
            !v.is_empty() && self.tag_keys.iter().any(|t| t.eq_ignore_ascii_case(k))
        });
        if let Some((k, v)) = tagged {
            return Candidate {
                name: v.clone(),
                by: JoinedBy::Tag,
                evidence: format!("tag {k}={v} on endpoint {endpoint}"),
            };
        }
        if let (Some(p), Some(model)) = (&seen.package, seen.model) {
            return Candidate {
                name: self.names.strip(&p.group).to_string(),
                by: JoinedBy::Lineage,
                evidence: format!("endpoint {endpoint} serves {}", p.evidence(model)),
            };
        }
        Candidate {
            name: self.names.strip(endpoint).to_string(),
            by: JoinedBy::Name,
            evidence: format!("endpoint name {endpoint}, affixes stripped"),
        }
    }
}

fn is_production(endpoint: &str) -> bool {
    endpoint.split(['-', '_', '.']).any(|t| {
        matches!(
            t.to_ascii_lowercase().as_str(),
            "prod" | "production" | "live"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::super::lineage::Via;
    use super::*;

    fn seen<'a>(tags: &'a [(String, String)], group: Option<&str>) -> Seen<'a> {
        Seen {
            tags,
            model: Some("m"),
            package: group.map(|g| PackageRef {
                group: g.into(),
                version: 3,
                arn: format!("arn:{g}/3"),
                via: Via::PackageName,
                container: "PrimaryContainer".into(),
            }),
        }
    }

    fn resolve(
        mappings: &[ModelMapping],
        endpoints: &BTreeMap<String, Seen>,
    ) -> Vec<(String, Option<String>, JoinedBy)> {
        let names = Normaliser::default();
        let tag_keys = ["model".to_string(), "mlopsdash:model".to_string()];
        let r = Resolver {
            mappings,
            discover: true,
            tag_keys: &tag_keys,
            names: &names,
        };
        r.rows(endpoints)
            .into_iter()
            .map(|row| (row.name, row.endpoint, row.identity.by))
            .collect()
    }

    #[test]
    fn tag_then_lineage_then_name() {
        let tagged = [("mlopsdash:model".to_string(), "fraud".to_string())];
        let endpoints = BTreeMap::from([
            ("svc-01".to_string(), seen(&tagged, Some("other-group"))),
            (
                "x-endpoint".to_string(),
                seen(&[], Some("demand-forecasting-group")),
            ),
            ("churn-prod".to_string(), seen(&[], None)),
        ]);
        let rows = resolve(&[], &endpoints);
        assert_eq!(
            rows,
            vec![
                ("fraud".into(), Some("svc-01".into()), JoinedBy::Tag),
                (
                    "demand-forecasting".into(),
                    Some("x-endpoint".into()),
                    JoinedBy::Lineage
                ),
                ("churn".into(), Some("churn-prod".into()), JoinedBy::Name),
            ]
        );
    }

    #[test]
    fn config_claims_the_endpoint_named_like_it() {
        let endpoints = BTreeMap::from([
            ("demand-prod".to_string(), seen(&[], None)),
            ("ranker-live".to_string(), seen(&[], None)),
        ]);
        let mapping = ModelMapping {
            name: "demand".into(),
            ..Default::default()
        };
        let rows = resolve(&[mapping], &endpoints);
        assert_eq!(
            rows,
            vec![
                (
                    "demand".into(),
                    Some("demand-prod".into()),
                    JoinedBy::Config
                ),
                ("ranker".into(), Some("ranker-live".into()), JoinedBy::Name),
            ]
        );
    }

    #[test]
    fn two_endpoints_of_one_name_stay_two_rows_and_prod_keeps_the_name() {
        let endpoints = BTreeMap::from([
            ("churn-dev".to_string(), seen(&[], None)),
            ("churn-prod".to_string(), seen(&[], None)),
        ]);
        let rows = resolve(&[], &endpoints);
        assert_eq!(
            rows,
            vec![
                ("churn".into(), Some("churn-prod".into()), JoinedBy::Name),
                ("churn-dev".into(), Some("churn-dev".into()), JoinedBy::Name),
            ]
        );
    }
}
