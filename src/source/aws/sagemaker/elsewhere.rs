//! Which registered model package version an artifact served outside SageMaker is
//! (a KServe predictor's `storageUri`): the registry is indexed the way lineage
//! indexes it for an endpoint's `ModelDataUrl`, and the group's versions are listed
//! for the row, the one served marked deployed. Package versions never change: each
//! is described once a session; a URI no version has sends the registry to be
//! indexed again only every few refreshes.

use std::collections::HashSet;

use aws_sdk_sagemaker::Client;

use super::lineage::{Lineage, PackageAt};
use super::registry::Versions;
use crate::aws::ApiCalls;
use crate::model::facts::ModelVersion;
use crate::model::identity::Normaliser;
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
        match served.trim_end_matches('/') == p.artifact {
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
    names: Normaliser,
    in_flight: usize,
}

/// One artifact a workload serves, and the names its model goes by (hints for
/// which package groups to look in first).
pub struct Served {
    pub artifact: String,
    pub names: Vec<String>,
}

impl ServedElsewhere {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        in_flight: usize,
        names: Normaliser,
    ) -> ServedElsewhere {
        let config = aws_sdk_sagemaker::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        ServedElsewhere {
            client: Client::from_conf(config),
            lineage: Lineage::new(in_flight.max(1)),
            names,
            in_flight: in_flight.max(1),
        }
    }

    /// Each of `served`'s package version, when one has its artifact. Only S3 URIs
    /// are looked for (SageMaker's artifacts are in S3): `gs://`, `pvc://` and
    /// `hf://` cost nothing.
    pub async fn find(&mut self, served: &[Served]) -> Result<Vec<Option<Registered>>, String> {
        let in_s3: Vec<&Served> = served
            .iter()
            .filter(|s| s.artifact.starts_with("s3://"))
            .collect();
        if in_s3.is_empty() {
            return Ok(vec![None; served.len()]);
        }
        let artifacts: Vec<String> = in_s3.iter().map(|s| s.artifact.clone()).collect();
        let hints: Vec<String> = in_s3.iter().flat_map(|s| s.names.clone()).collect();
        let versions = Versions::default();
        let client = &self.client;
        self.lineage
            .index_artifacts(client, &artifacts, &versions, (&self.names, &hints))
            .await?;
        let lineage = &self.lineage;
        let found = fan_out(served, self.in_flight, |s| {
            let versions = &versions;
            async move {
                let Some(package) = lineage.package_at(&s.artifact) else {
                    return Ok(None);
                };
                let deployed = HashSet::from([package.arn.clone()]);
                let versions = versions.of_group(client, &package.group, &deployed).await?;
                Ok(Some(Registered { package, versions }))
            }
        })
        .await;
        found.into_iter().collect()
    }
}
