//! Which registered model package version an artifact served outside SageMaker is
//! (a KServe predictor's `storageUri`), matched as an endpoint's `ModelDataUrl` is
//! (lineage's index of artifacts, fed from the account's newest versions), and the
//! group's versions listed for the row, the ones served marked deployed. Package
//! versions never change: each is described once a session; a URI no version has
//! sends the registry to be looked at again only every few refreshes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use aws_sdk_sagemaker::Client;

use super::lineage::Lineage;
pub use super::lineage::PackageAt;
use super::registry::Versions;
use crate::aws::ApiCalls;
use crate::model::facts::ModelVersion;
use crate::source::aws::fan_out::fan_out;

/// A served artifact's package version, and its group's versions (newest first,
/// this one marked deployed), or why they could not be listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub package: PackageAt,
    pub versions: Result<Vec<ModelVersion>, String>,
}

impl Registered {
    /// What matched, for the identity shown to the user.
    pub fn evidence(&self, served: &str) -> String {
        let p = &self.package;
        match served.trim_end_matches('/') == p.artifact.trim_end_matches('/') {
            true => format!(
                "it serves {served}, package {}/{}'s artifact",
                p.group, p.version
            ),
            false => format!(
                "it serves {served}, the folder of package {}/{}'s artifact {}",
                p.group, p.version, p.artifact
            ),
        }
    }
}

pub struct ServedElsewhere {
    client: Client,
    lineage: Lineage,
    in_flight: usize,
    /// Why the registry could not be indexed last time it was due: said on the
    /// rows it leaves unknown until an index goes through.
    unindexed: Option<String>,
    /// URIs looked for before: a new one is looked for at once.
    tried: HashSet<String>,
}

impl ServedElsewhere {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls, in_flight: usize) -> ServedElsewhere {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        ServedElsewhere {
            client: Client::from_conf(config),
            lineage: Lineage::new(in_flight.max(1)),
            in_flight: in_flight.max(1),
            unindexed: None,
            tried: HashSet::new(),
        }
    }

    /// The package version each of `served` (artifact URIs) is, when one is, or why
    /// it could not be known. Only S3 URIs are looked for (SageMaker's artifacts
    /// are in S3): `gs://`, `pvc://` and `hf://` cost nothing. A group's versions
    /// are listed once a call.
    pub async fn find(&mut self, served: &[String]) -> Vec<Result<Option<Registered>, String>> {
        let artifacts: Vec<String> = served.iter().filter(|a| in_s3(a)).cloned().collect();
        if artifacts.is_empty() {
            return served.iter().map(|_| Ok(None)).collect();
        }
        let untried = artifacts.iter().any(|a| !self.tried.contains(a));
        let client = &self.client;
        match self
            .lineage
            .index_artifacts(client, &artifacts, untried)
            .await
        {
            Ok(true) => self.unindexed = None,
            Ok(false) => {}
            Err(why) => self.unindexed = Some(why),
        }
        // What the cluster serves now: a URI gone and back is new again.
        self.tried = artifacts.into_iter().collect();
        let found: Vec<Option<PackageAt>> = served
            .iter()
            .map(|a| self.lineage.package_at(a).filter(|_| in_s3(a)))
            .collect();
        // Each group listed once; each workload marks its own version in it.
        let groups: BTreeSet<String> = found.iter().flatten().map(|p| p.group.clone()).collect();
        let (versions, none) = (Versions::default(), HashSet::new());
        let listed = fan_out(&groups, self.in_flight, |g| {
            versions.of_group(client, g, &none)
        });
        let listed: BTreeMap<&String, Result<Vec<ModelVersion>, String>> =
            groups.iter().zip(listed.await).collect();
        served
            .iter()
            .zip(found)
            .map(|(artifact, package)| match package {
                Some(package) => {
                    let versions = listed.get(&package.group).cloned();
                    let versions = versions.unwrap_or_else(|| Ok(Vec::new())).map(|vs| {
                        let served = |v: &ModelVersion| v.arn.as_deref() == Some(&package.arn);
                        vs.into_iter()
                            .map(|v| ModelVersion {
                                deployed: served(&v),
                                ..v
                            })
                            .collect()
                    });
                    Ok(Some(Registered { package, versions }))
                }
                None => match (&self.unindexed, in_s3(artifact)) {
                    (Some(why), true) => Err(why.clone()),
                    _ => Ok(None),
                },
            })
            .collect()
    }
}

/// An S3 object or folder: where SageMaker keeps artifacts.
fn in_s3(uri: &str) -> bool {
    uri.starts_with("s3://")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::retry::RetryConfig;
    use aws_config::{BehaviorVersion, Region};
    use aws_credential_types::Credentials;

    /// A registry nobody answers (a closed loopback port), asked once per request.
    fn unreachable() -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(RetryConfig::disabled())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "a", "b", None, None, "test",
                )),
            )
            .build()
    }

    #[tokio::test]
    async fn a_registry_that_cannot_be_asked_says_so_for_s3_uris_until_it_can() {
        let mut e = ServedElsewhere::new(&unreachable(), &ApiCalls::default(), 2);
        let served = vec![
            "s3://m/churn/v3/model.tar.gz".to_string(),
            "hf://org/churn".into(),
        ];
        let first = e.find(&served).await;
        let why = first[0]
            .as_ref()
            .expect_err("an S3 URI the registry could not be asked about");
        assert!(why.contains("ListModelPackages"), "{why}");
        assert_eq!(first[1], Ok(None), "never looked for in SageMaker");
        // The next refresh is not due to ask again: still unknown, not empty.
        let again = e.find(&served).await;
        assert!(again[0].is_err(), "{again:?}");
    }
}
