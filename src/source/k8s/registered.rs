//! Workloads joined to SageMaker's model registry by what they serve: a
//! predictor's `storageUri` that is a registered package version's artifact. Config
//! and labels name a model first; an InferenceService nothing else names takes its
//! package group's name, as an endpoint does (exact lineage before a bare name).

use crate::model::facts::{ModelFacts, StaleFacts};
use crate::model::identity::{JoinedBy, Normaliser};
use crate::model::k8s::Workload;
use crate::model::stage::Stage;
use crate::source::aws::sagemaker::elsewhere::{Registered, ServedElsewhere};
use crate::source::owner::Owner;
use crate::source::SourceId;

/// A workload, the model it belongs to, and the package version it serves (or why
/// the registry could not say).
pub type Joined = (Owner, Workload, Result<Option<Registered>, String>);

/// `read` with each workload's package version, owners named by its group (affixes
/// stripped, as an endpoint's) where only a name did and no other workload goes
/// by that name: two InferenceServices of one group stay two rows.
pub async fn join(
    elsewhere: Option<&mut ServedElsewhere>,
    read: Vec<(Owner, Workload)>,
    names: &Normaliser,
) -> Vec<Joined> {
    let served: Vec<String> = read
        .iter()
        .map(|(_, w)| w.storage_uri.clone().unwrap_or_default())
        .collect();
    let mut found = match elsewhere {
        Some(e) => e.find(&served).await,
        None => Vec::new(),
    };
    found.resize_with(read.len(), || Ok(None));
    named_by_group(read, found, names)
}

/// Each workload with what the registry found for it (`found`, in `read`'s
/// order), renamed where its group names it.
fn named_by_group(
    read: Vec<(Owner, Workload)>,
    found: Vec<Result<Option<Registered>, String>>,
    names: &Normaliser,
) -> Vec<Joined> {
    let renamed: Vec<Option<String>> = read
        .iter()
        .zip(&found)
        .map(|((owner, _), registered)| match registered {
            Ok(Some(r)) if owner.by == JoinedBy::Name => {
                Some(names.strip(&r.package.group).to_string())
            }
            _ => None,
        })
        .collect();
    let taken = |i: usize, name: &str| {
        read.iter()
            .zip(&renamed)
            .enumerate()
            .any(|(j, ((o, _), r))| {
                j != i && (r.as_deref() == Some(name) || (r.is_none() && o.model == name))
            })
    };
    let keep: Vec<bool> = renamed
        .iter()
        .enumerate()
        .map(|(i, r)| r.as_deref().is_some_and(|name| !taken(i, name)))
        .collect();
    read.into_iter()
        .zip(found)
        .zip(renamed.into_iter().zip(keep))
        .map(|(((owner, w), registered), (renamed, keep))| {
            let owner = match (&registered, renamed) {
                (Ok(Some(r)), Some(model)) if keep => Owner {
                    model,
                    by: JoinedBy::Lineage,
                    evidence: r.evidence(w.storage_uri.as_deref().unwrap_or_default()),
                },
                _ => owner,
            };
            (owner, w, registered)
        })
        .collect()
}

/// The registry's part of `row`: the package group's versions and how it joined,
/// or, when the registry could not be asked, that this row's REGISTRY is unknown.
pub fn attach(row: &mut ModelFacts, w: &Workload, registered: Result<Option<Registered>, String>) {
    let served = w.storage_uri.as_deref().unwrap_or_default();
    let unknown = match registered {
        Ok(Some(r)) => {
            if let Some(identity) = row.identity.as_mut() {
                let group = format!("package group {}", r.package.group);
                identity.join(group, JoinedBy::Lineage, r.evidence(served));
            }
            match r.versions {
                Ok(versions) if row.registry.is_empty() => {
                    row.registry = versions;
                    None
                }
                Ok(_) => None,
                Err(why) => Some(why),
            }
        }
        Ok(None) => None,
        Err(why) => Some(why),
    };
    if let Some(why) = unknown {
        let stale = StaleFacts::new(SourceId::SageMaker, &[Stage::Registry], why, None);
        if !row.stale.contains(&stale) {
            row.stale.push(stale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::WorkloadKind;
    use crate::source::aws::sagemaker::elsewhere::PackageAt;

    fn serving(uri: &str) -> Workload {
        Workload {
            storage_uri: Some(uri.into()),
            ..Workload::new(WorkloadKind::Kserve, "ml", "serving", "churn-sklearn")
        }
    }

    #[tokio::test]
    async fn without_a_registry_owners_stand() {
        let owner = Owner {
            model: "churn-sklearn".into(),
            by: JoinedBy::Name,
            evidence: "InferenceService serving/churn-sklearn".into(),
        };
        let joined = join(
            None,
            vec![(owner.clone(), serving("s3://m/churn"))],
            &Normaliser::default(),
        )
        .await;
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].0, owner);
        assert_eq!(joined[0].2, Ok(None));
    }

    fn owner(model: &str, by: JoinedBy) -> Owner {
        Owner {
            model: model.into(),
            by,
            evidence: "e".into(),
        }
    }

    fn registered(group: &str, version: u32, artifact: &str) -> Result<Option<Registered>, String> {
        Ok(Some(Registered {
            package: PackageAt {
                arn: format!("arn:pkg/{group}/{version}"),
                group: group.into(),
                version,
                artifact: artifact.into(),
            },
            versions: Ok(Vec::new()),
        }))
    }

    #[test]
    fn only_a_workload_named_by_nothing_else_takes_its_group_name_and_only_when_free() {
        let names = Normaliser::default();
        let uri = "s3://m/churn/v3/model.tar.gz";
        let named = |read: Vec<(Owner, Workload)>, found| -> Vec<String> {
            named_by_group(read, found, &names)
                .into_iter()
                .map(|(o, _, _)| o.model)
                .collect()
        };
        // Alone: the group's name, affixes stripped as for an endpoint.
        let alone = named(
            vec![(owner("churn-sklearn", JoinedBy::Name), serving(uri))],
            vec![registered("churn-classifier-group", 3, uri)],
        );
        assert_eq!(
            alone,
            vec![names.strip("churn-classifier-group").to_string()]
        );
        assert_ne!(alone[0], "churn-classifier-group", "the affix is shed");
        // A label's name stands.
        let labelled = named(
            vec![(owner("churn", JoinedBy::Tag), serving(uri))],
            vec![registered("churn-classifier-group", 3, uri)],
        );
        assert_eq!(labelled, vec!["churn"]);
        // Two InferenceServices of one group stay two rows, each its own name.
        let two = named(
            vec![
                (owner("churn-prod", JoinedBy::Name), serving(uri)),
                (owner("churn-shadow", JoinedBy::Name), serving(uri)),
            ],
            vec![
                registered("churn-classifier-group", 3, uri),
                registered("churn-classifier-group", 3, uri),
            ],
        );
        assert_eq!(two, vec!["churn-prod", "churn-shadow"]);
        // A group named like another workload's model: not taken from it.
        let taken = named(
            vec![
                (owner("isvc", JoinedBy::Name), serving(uri)),
                (owner(&alone[0], JoinedBy::Tag), serving("s3://elsewhere")),
            ],
            vec![registered("churn-classifier-group", 3, uri), Ok(None)],
        );
        assert_eq!(taken, vec!["isvc".to_string(), alone[0].clone()]);
    }

    #[test]
    fn a_registry_that_could_not_be_asked_leaves_the_row_unknown_not_empty() {
        let why = "sagemaker:ListModelPackageGroups: AccessDenied";
        let mut row = ModelFacts::named("churn");
        for _ in 0..2 {
            // Two workloads of one row: said once.
            attach(&mut row, &serving("s3://m/churn/v3"), Err(why.into()));
        }
        assert_eq!(row.stale.len(), 1);
        assert_eq!(row.stale[0].source, SourceId::SageMaker);
        assert_eq!(row.stale[0].stages, vec![Stage::Registry]);
        assert_eq!(row.stale[0].why, why);
        assert!(row.registry.is_empty());
    }
}
