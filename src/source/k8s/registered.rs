//! Workloads joined to SageMaker's model registry by what they serve: a
//! predictor's `storageUri` that is a registered package version's artifact. Config
//! and labels name a model first; an InferenceService nothing else names takes its
//! package group's name, as an endpoint does (exact lineage before a bare name).

use crate::model::facts::{ModelFacts, StaleFacts};
use crate::model::identity::JoinedBy;
use crate::model::k8s::Workload;
use crate::model::stage::Stage;
use crate::source::aws::sagemaker::elsewhere::{Registered, ServedElsewhere};
use crate::source::owner::Owner;
use crate::source::SourceId;

/// A workload, the model it belongs to, and the package version it serves (or why
/// the registry could not say).
pub type Joined = (Owner, Workload, Result<Option<Registered>, String>);

/// `read` with each workload's package version, owners named by it where only a
/// name did.
pub async fn join(
    elsewhere: Option<&mut ServedElsewhere>,
    read: Vec<(Owner, Workload)>,
) -> Vec<Joined> {
    let served: Vec<String> = read
        .iter()
        .map(|(_, w)| w.storage_uri.clone().unwrap_or_default())
        .collect();
    let found = match elsewhere {
        Some(e) => e.find(&served).await,
        None => Vec::new(),
    };
    let mut found = found.into_iter();
    read.into_iter()
        .map(|(owner, w)| {
            let registered = found.next().unwrap_or(Ok(None));
            let owner = match &registered {
                Ok(Some(r)) if owner.by == JoinedBy::Name => Owner {
                    model: r.package.group.clone(),
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
    match registered {
        Ok(Some(r)) => {
            if let Some(identity) = row.identity.as_mut() {
                let group = format!("package group {}", r.package.group);
                identity.join(group, JoinedBy::Lineage, r.evidence(served));
            }
            if row.registry.is_empty() {
                row.registry = r.versions;
            }
        }
        Ok(None) => {}
        Err(why) => {
            let stale = StaleFacts::new(SourceId::SageMaker, &[Stage::Registry], why, None);
            if !row.stale.contains(&stale) {
                row.stale.push(stale);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::WorkloadKind;

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
        let joined = join(None, vec![(owner.clone(), serving("s3://m/churn"))]).await;
        assert_eq!(joined.len(), 1);
        assert_eq!(joined[0].0, owner);
        assert_eq!(joined[0].2, Ok(None));
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
