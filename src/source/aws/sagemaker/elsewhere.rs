//! Which registered model package version an artifact served outside SageMaker is
//! (a KServe predictor's `storageUri`), matched as an endpoint's `ModelDataUrl` is
//! (lineage's index of artifacts, fed from the account's newest versions), and the
//! group's versions listed for the row, the ones served marked deployed. Package
//! versions never change: each is described once a session; a URI no version has
//! sends the registry to be looked at again only every few refreshes.

use std::collections::{BTreeSet, HashSet};

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
        self.tried.extend(artifacts);
        let found: Vec<Option<PackageAt>> = served
            .iter()
            .map(|a| self.lineage.package_at(a).filter(|_| in_s3(a)))
            .collect();
        // Each group listed once (`Versions` keeps the listing), then each
        // workload's own version marked from it.
        let versions = Versions::default();
        let groups: BTreeSet<&str> = found.iter().flatten().map(|p| p.group.as_str()).collect();
        let none = HashSet::new();
        fan_out(&groups, self.in_flight, |g| {
            versions.of_group(client, g, &none)
        })
        .await;
        let mut out = Vec::with_capacity(served.len());
        for (artifact, package) in served.iter().zip(found) {
            out.push(match package {
                Some(package) => {
                    let deployed = HashSet::from([package.arn.clone()]);
                    let listed = versions.of_group(client, &package.group, &deployed).await;
                    Ok(Some(Registered {
                        package,
                        versions: listed,
                    }))
                }
                None => match (&self.unindexed, in_s3(artifact)) {
                    (Some(why), true) => Err(why.clone()),
                    _ => Ok(None),
                },
            });
        }
        out
    }
}

/// An S3 object or folder: where SageMaker keeps artifacts.
fn in_s3(uri: &str) -> bool {
    uri.starts_with("s3://")
}
