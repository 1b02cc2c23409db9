//! Which registered model package version an artifact served outside SageMaker is
//! (a KServe predictor's `storageUri`), matched as an endpoint's `ModelDataUrl` is
//! (lineage's index of artifacts, fed from the account's newest versions), and the
//! group's versions listed for the row, the ones served marked deployed. Package
//! versions never change: each is described once a session; a URI no version has
//! sends the registry to be looked at again only every few refreshes.

use std::collections::{BTreeMap, HashSet};

use aws_sdk_sagemaker::Client;

use super::lineage::{Lineage, PackageAt};
use super::registry::Versions;
use crate::aws::ApiCalls;
use crate::model::facts::ModelVersion;
use crate::source::aws::fan_out::fan_out;

/// A served artifact's package version, and its group's versions (newest first).
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub package: PackageAt,
    pub versions: Vec<ModelVersion>,
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
        }
    }

    /// The package version each of `served` (artifact URIs) is, when one is, or why
    /// it could not be known. Only S3 URIs are looked for (SageMaker's artifacts
    /// are in S3): `gs://`, `pvc://` and `hf://` cost nothing. A group's versions
    /// are listed once, every served one marked deployed.
    pub async fn find(&mut self, served: &[String]) -> Vec<Result<Option<Registered>, String>> {
        let artifacts: Vec<String> = served.iter().filter(|a| in_s3(a)).cloned().collect();
        if artifacts.is_empty() {
            return served.iter().map(|_| Ok(None)).collect();
        }
        let client = &self.client;
        match self.lineage.index_artifacts(client, &artifacts).await {
            Ok(true) => self.unindexed = None,
            Ok(false) => {}
            Err(why) => self.unindexed = Some(why),
        }
        let found: Vec<Option<PackageAt>> = served
            .iter()
            .map(|a| self.lineage.package_at(a).filter(|_| in_s3(a)))
            .collect();
        let mut groups: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for p in found.iter().flatten() {
            groups
                .entry(p.group.clone())
                .or_default()
                .insert(p.arn.clone());
        }
        let versions = Versions::default();
        let listed = fan_out(&groups, self.in_flight, |(group, deployed)| {
            let versions = &versions;
            async move {
                (
                    group.as_str(),
                    versions.of_group(client, group, deployed).await,
                )
            }
        })
        .await;
        let listed: BTreeMap<&str, Result<Vec<ModelVersion>, String>> =
            listed.into_iter().collect();
        served
            .iter()
            .zip(found)
            .map(|(artifact, package)| match package {
                Some(package) => match listed.get(package.group.as_str()) {
                    Some(Ok(versions)) => Ok(Some(Registered {
                        package,
                        versions: versions.clone(),
                    })),
                    Some(Err(why)) => Err(why.clone()),
                    None => Ok(None),
                },
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
