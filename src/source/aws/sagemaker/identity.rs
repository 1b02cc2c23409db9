//! Which model each endpoint serves, as a row: config first, then a tag on the
//! endpoint, then exact lineage (the package group of what it serves), then the
//! endpoint's own name with affixes stripped. Pure: works on what was described.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::lineage::PackageRef;
use crate::config::ModelMapping;
use crate::model::identity::{environment_of, environment_word, Identity, JoinedBy, Normaliser};

/// The tag SageMaker Projects put on what their templates create.
const PROJECT_TAG: &str = "sagemaker:project-name";

/// One model row to build, and what it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub mapping: Option<ModelMapping>,
    pub endpoint: Option<String>,
    pub identity: Identity,
    /// The environment its endpoint's name says (`staging`, `prod`, …).
    pub environment: Option<String>,
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
                environment: endpoint
                    .as_deref()
                    .and_then(environment_of)
                    .map(str::to_string),
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
        // Each model's rows, by the environments they hold.
        let mut taken: HashMap<String, HashSet<Option<&str>>> = HashMap::new();
        for r in &rows {
            let env = r.endpoint.as_deref().and_then(environment_of);
            taken
                .entry(self.names.key(&r.name))
                .or_default()
                .insert(env);
        }
        for (endpoint, c) in unclaimed {
            let env = environment_of(endpoint);
            let held = taken.entry(self.names.key(&c.name)).or_default();
            let first = held.is_empty();
            let (name, identity) = match (first, env) {
                (true, _) => (
                    c.name.clone(),
                    Identity::new(c.by, c.evidence.clone()).with(
                        format!("endpoint {endpoint}"),
                        c.by,
                        c.evidence.clone(),
                    ),
                ),
                // The same model in another environment (staging beside prod): a row
                // of its own beside it, saying which.
                (false, Some(env)) if !held.contains(&Some(env)) => (
                    format!("{} · {env}", c.name),
                    Identity::new(c.by, c.evidence.clone()).with(
                        format!("endpoint {endpoint}"),
                        c.by,
                        format!(
                            "{} ({env}, beside the model's other environments)",
                            c.evidence
                        ),
                    ),
                ),
                // Another endpoint already is that model: this one keeps its own name
                // rather than hide behind it.
                (false, _) => {
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
            held.insert(env);
            rows.push(Row {
                name,
                mapping: None,
                endpoint: Some(endpoint.to_string()),
                identity,
                environment: env.map(str::to_string),
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
        // A SageMaker project's endpoints carry its name: the model's.
        let project = seen
            .tags
            .iter()
            .find(|(k, v)| !v.is_empty() && k.eq_ignore_ascii_case(PROJECT_TAG));
        if let Some((k, v)) = project {
            return Candidate {
                name: self.names.strip(v).to_string(),
                by: JoinedBy::Tag,
                evidence: format!("tag {k}={v} on endpoint {endpoint} (a SageMaker project)"),
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
    endpoint
        .split(['-', '_', '.'])
        .any(|t| environment_word(t) == Some("prod"))
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
    fn two_environments_of_one_model_are_two_rows_and_prod_keeps_the_name() {
        let endpoints = BTreeMap::from([
            ("churn-dev".to_string(), seen(&[], None)),
            ("churn-prod".to_string(), seen(&[], None)),
            // Two endpoints of one model in one environment: the second keeps its own.
            ("churn-prod-2".to_string(), seen(&[], None)),
        ]);
        let rows = resolve(&[], &endpoints);
        assert_eq!(
            rows,
            vec![
                ("churn".into(), Some("churn-prod".into()), JoinedBy::Name),
                (
                    "churn-prod-2".into(),
                    Some("churn-prod-2".into()),
                    JoinedBy::Name
                ),
                (
                    "churn · dev".into(),
                    Some("churn-dev".into()),
                    JoinedBy::Name
                ),
            ]
        );
    }

    #[test]
    fn a_sagemaker_projects_endpoints_are_its_model_in_each_environment() {
        let project = |id: &str| {
            vec![
                ("sagemaker:project-name".to_string(), "churn".to_string()),
                ("sagemaker:project-id".to_string(), id.to_string()),
            ]
        };
        let (prod, staging) = (project("p-9x8kq2lmn0ab"), project("p-9x8kq2lmn0ab"));
        let endpoints = BTreeMap::from([
            (
                "churn-staging".to_string(),
                seen(&staging, Some("churn-p-9x8kq2lmn0ab")),
            ),
            (
                "churn-prod".to_string(),
                seen(&prod, Some("churn-p-9x8kq2lmn0ab")),
            ),
            // Without the tag, the package group's project id is shed by name.
            (
                "ranker-prod".to_string(),
                seen(&[], Some("ranker-p-0a1b2c3d4e5f")),
            ),
        ]);
        let rows = resolve(&[], &endpoints);
        assert_eq!(
            rows,
            vec![
                ("churn".into(), Some("churn-prod".into()), JoinedBy::Tag),
                (
                    "churn · staging".into(),
                    Some("churn-staging".into()),
                    JoinedBy::Tag
                ),
                (
                    "ranker".into(),
                    Some("ranker-prod".into()),
                    JoinedBy::Lineage
                ),
            ]
        );
    }
}
