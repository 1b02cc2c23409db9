//! Which model a resource belongs to (a `[[models]]` entry names it, or one of its
//! tags does) and the row it joins: every source that finds resources by config or
//! tag (ECS, Lambda, Step Functions, Airflow) joins them the same way.

use crate::model::facts::ModelFacts;
use crate::model::identity::{Identity, JoinedBy};

/// The model a resource belongs to, and what says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub model: String,
    pub by: JoinedBy,
    pub evidence: String,
}

impl Owner {
    pub fn config(model: &str, field: &str, value: &str) -> Owner {
        Owner {
            model: model.to_string(),
            by: JoinedBy::Config,
            evidence: format!("[[models]] {field} = \"{value}\""),
        }
    }

    /// The first of `keys` among the resource's tags names its model; keys match in
    /// any case (Terraform modules write `Model`), as they do on endpoints.
    pub fn tagged<'a>(
        tags: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
        keys: &[String],
    ) -> Option<Owner> {
        keys.iter().find_map(|key| {
            let (k, v) = tags
                .clone()
                .into_iter()
                .find(|(k, v)| k.eq_ignore_ascii_case(key) && !v.trim().is_empty())?;
            Some(Owner {
                model: v.trim().to_string(),
                by: JoinedBy::Tag,
                evidence: format!("tag {k}={v}"),
            })
        })
    }
}

/// The row of `owner.model` among `rows` (added when new), with `what` joined to
/// its identity.
pub fn row_of<'a>(
    rows: &'a mut Vec<ModelFacts>,
    owner: &Owner,
    what: String,
) -> &'a mut ModelFacts {
    let at = match rows.iter().position(|r| r.name == owner.model) {
        Some(i) => i,
        None => {
            rows.push(ModelFacts::named(&owner.model));
            rows.len() - 1
        }
    };
    let (by, evidence) = (owner.by, owner.evidence.clone());
    let row = &mut rows[at];
    match row.identity.as_mut() {
        Some(i) => i.join(what, by, evidence),
        None => row.identity = Some(Identity::new(by, evidence.clone()).with(what, by, evidence)),
    }
    row
}
