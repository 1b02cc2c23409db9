//! Which MLflow version an endpoint serves: the one whose artifact its model's data
//! URL is (exact), else the champion alias or Production stage the MLflow source
//! marked. Pure.

use super::facts::{ModelFacts, ModelVersion, RegistrySource};
use super::identity::JoinedBy;

/// The MLflow version (its index in `registry`) whose artifact `artifact` is: under
/// its location, or naming its run.
pub fn version_serving(registry: &[ModelVersion], artifact: &str) -> Option<usize> {
    registry.iter().position(|v| {
        v.source == RegistrySource::Mlflow
            && v.mlflow.as_ref().is_some_and(|f| {
                let by_location = f
                    .artifact
                    .as_deref()
                    .map(|a| a.trim_end_matches('/'))
                    .is_some_and(|a| !a.is_empty() && is_under(artifact, a));
                let by_run = f
                    .run_id
                    .as_deref()
                    .is_some_and(|r| r.len() >= 16 && artifact.contains(r));
                by_location || by_run
            })
    })
}

/// `path` is `location` or inside it: `…/fraud/7` holds `…/fraud/7/model.bst`, not
/// `…/fraud/70/model.bst`.
fn is_under(path: &str, location: &str) -> bool {
    path.strip_prefix(location)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Marks the MLflow version the row's endpoint serves by artifact, when one matches.
pub fn mark_served(m: &mut ModelFacts) {
    let Some(artifact) = m.endpoint.as_ref().and_then(|e| e.artifact.clone()) else {
        return;
    };
    let Some(at) = version_serving(&m.registry, &artifact) else {
        return;
    };
    for (i, v) in m.registry.iter_mut().enumerate() {
        v.deployed = i == at;
    }
    let version = m.registry.get(at).map(|v| v.version).unwrap_or_default();
    if let Some(identity) = m.identity.as_mut() {
        identity.join(
            format!("MLflow version v{version}"),
            JoinedBy::Lineage,
            format!("the endpoint serves {artifact}, its artifact"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Approval, EndpointFacts, MlflowVersion, ModelVersion};

    fn version(v: u32, artifact: &str, champion: bool) -> ModelVersion {
        ModelVersion {
            version: v,
            approval: Approval::Approved,
            created: jiff::Timestamp::UNIX_EPOCH,
            deployed: champion,
            arn: None,
            source: RegistrySource::Mlflow,
            mlflow: Some(Box::new(MlflowVersion {
                artifact: Some(artifact.into()),
                ..MlflowVersion::default()
            })),
        }
    }

    fn endpoint(artifact: Option<&str>) -> EndpointFacts {
        EndpointFacts {
            ecs: None,
            k8s: None,
            name: "e".into(),
            status: "InService".into(),
            failure_reason: None,
            config_name: "c".into(),
            variants: vec![],
            config_history: vec![],
            artifact: artifact.map(str::to_string),
            protected: None,
        }
    }

    #[test]
    fn a_sibling_location_is_not_the_served_one() {
        let registry = [
            version(7, "s3://ml/fraud/7", false),
            version(70, "s3://ml/fraud/70/", false),
        ];
        assert_eq!(
            version_serving(&registry, "s3://ml/fraud/70/model.bst"),
            Some(1)
        );
        assert_eq!(
            version_serving(&registry, "s3://ml/fraud/7/model.bst"),
            Some(0)
        );
        assert_eq!(version_serving(&registry, "s3://ml/fraud/7"), Some(0));
        assert_eq!(
            version_serving(&registry, "s3://ml/fraud/700/model.bst"),
            None
        );
    }

    #[test]
    fn the_served_artifact_beats_the_champion_alias() {
        let mut m = ModelFacts::named("churn");
        m.registry = vec![
            version(2, "s3://a/churn/v2/model.tar.gz", true),
            version(1, "s3://a/churn/v1/", false),
        ];
        m.endpoint = Some(endpoint(Some("s3://a/churn/v1/model.tar.gz")));
        mark_served(&mut m);
        let deployed: Vec<u32> = m
            .registry
            .iter()
            .filter(|v| v.deployed)
            .map(|v| v.version)
            .collect();
        assert_eq!(deployed, vec![1]);

        // Or by its run id inside the served path (an artifact copied elsewhere).
        let mut by_run = ModelFacts::named("churn");
        let mut v3 = version(3, "mlflow-artifacts:/3/abc/artifacts/model", false);
        v3.mlflow.as_mut().unwrap().run_id = Some("0123456789abcdef0123".into());
        by_run.registry = vec![v3, version(2, "s3://a/churn/v2/", true)];
        by_run.endpoint = Some(endpoint(Some(
            "s3://serving/churn/0123456789abcdef0123/model.tar.gz",
        )));
        mark_served(&mut by_run);
        let deployed: Vec<u32> = by_run
            .registry
            .iter()
            .filter(|v| v.deployed)
            .map(|v| v.version)
            .collect();
        assert_eq!(deployed, vec![3]);

        // Nothing matches: the champion stays the deployed one.
        let mut m2 = ModelFacts::named("churn");
        m2.registry = vec![version(2, "s3://a/churn/v2/", true)];
        m2.endpoint = Some(endpoint(Some("s3://elsewhere/model.tar.gz")));
        mark_served(&mut m2);
        assert!(m2.registry[0].deployed);
    }
}
