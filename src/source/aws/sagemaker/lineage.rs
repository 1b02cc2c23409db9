//! Exact lineage: which package version and training job an endpoint's model came
//! from. A SageMaker model's container names its package (`ModelPackageName`) or only
//! its artifact (`ModelDataUrl`); the artifact URL is the same string in the package
//! version's inference specification and in the training job's output. Package
//! versions never change; a SageMaker model cannot change either, but a name can be
//! deleted and created again (Terraform replaces a model so), so a model learned
//! before the endpoint or config that serves it last changed is described again.
//! What is known is remembered across sessions.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use aws_sdk_sagemaker::types::{
    ContainerDefinition, ModelPackageSortBy, ModelPackageType, SortOrder,
};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::registry::Versions;
use crate::aws::errors::{describe, is_not_found};
use crate::model::identity::Normaliser;
use crate::model::runs::job_named_in;
use crate::source::aws::fan_out::{fan_out, lock};
use crate::source::pages::Pages;
use crate::source::turns::Turns;

/// Versions per group whose artifacts are indexed: the newest are what endpoints serve.
const INDEXED_VERSIONS: usize = 20;
/// Package groups looked at when indexing artifacts.
const INDEXED_GROUPS: usize = 1000;
/// The account's newest package versions looked at for artifacts served outside
/// SageMaker (two pages).
const NEWEST_VERSIONS: usize = 200;
/// An unresolved artifact sends the registry to be indexed again only this often
/// (in refreshes): a team without a registry must not pay for a listing each time.
const INDEX_EVERY: u64 = 10;

/// What a SageMaker model serves, from DescribeModel: every container's package and
/// artifact, in order (`PrimaryContainer`, then `Containers`). An inference
/// pipeline (preprocessing, model, postprocessing) may hold the model in any of
/// them; CloudFormation and the SDK's pipeline models list them in `Containers`,
/// and AWS may then return an empty `PrimaryContainer` beside the list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServedModel {
    pub containers: Vec<Contained>,
    /// When it was described.
    pub learned: Timestamp,
}

/// One container of a model: where it stands, and what it names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contained {
    /// "PrimaryContainer", or "container 2 of 3 (xgboost)".
    pub place: String,
    pub package_arn: Option<String>,
    /// `ModelDataUrl` (or the uncompressed `ModelDataSource` URI).
    pub artifact: Option<String>,
}

impl ServedModel {
    /// The first container that names a package.
    fn package(&self) -> Option<&Contained> {
        self.containers.iter().find(|c| c.package_arn.is_some())
    }

    /// Artifacts of containers naming no package, in order.
    fn artifacts(&self) -> impl Iterator<Item = (&Contained, &String)> {
        self.containers
            .iter()
            .filter_map(|c| Some((c, c.artifact.as_ref()?)))
    }
}

/// One model package version, from DescribeModelPackage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Package {
    group: String,
    version: u32,
    artifact: Option<String>,
    /// When it was registered: of two versions with one artifact, the newer is the one.
    #[serde(default)]
    created: Option<Timestamp>,
}

impl Package {
    /// Which of two versions holding one artifact is the one: the newer, then
    /// (registered the same instant) the greater ARN, whatever order they were
    /// described in.
    fn newer(&self, arn: &str, than: (&Package, &str)) -> bool {
        (self.created, self.version, arn) > (than.0.created, than.0.version, than.1)
    }
}

/// How a model was linked to its package version.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// The model's container names the package.
    PackageName,
    /// The model's artifact URL is the package version's.
    Artifact(String),
}

/// The model package version a model serves.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageRef {
    pub group: String,
    pub version: u32,
    pub arn: String,
    pub via: Via,
    /// Which of the model's containers matched ("PrimaryContainer", "container 2
    /// of 3 (xgboost)").
    pub container: String,
}

impl PackageRef {
    /// What matched, for the identity shown to the user.
    pub fn evidence(&self, model: &str) -> String {
        match &self.via {
            Via::PackageName => format!(
                "model {model}'s {} names package {}/{} (ModelPackageName)",
                self.container, self.group, self.version
            ),
            Via::Artifact(url) => format!(
                "model {model}'s {} ModelDataUrl {url} is package {}/{}'s",
                self.container, self.group, self.version
            ),
        }
    }
}

/// A package version found by its artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAt {
    pub arn: String,
    pub group: String,
    pub version: u32,
    /// The version's own artifact URL.
    pub artifact: String,
}

#[derive(Default)]
pub struct Lineage {
    /// Shared by the describes in flight.
    known: Mutex<Known>,
    /// Requests in flight at once.
    in_flight: usize,
    /// The models and packages being described now.
    turns: Turns,
    refreshes: u64,
    indexed_at: Option<u64>,
    /// The last index due found every served model matched: the groups are not
    /// listed ahead again until one is not.
    groups_unwanted: bool,
}

/// What lineage has learned: kept for the session, remembered for the next.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Known {
    models: HashMap<String, ServedModel>,
    packages: HashMap<String, Package>,
    /// Package ARN by artifact URL, for models whose container names no package.
    by_artifact: HashMap<String, String>,
    /// Packages a model names that no longer exist: not asked for again.
    absent: HashSet<String>,
}

impl Known {
    fn found(&self, artifact: &str, arn: &str) -> Option<PackageAt> {
        let p = self.packages.get(arn)?;
        Some(PackageAt {
            arn: arn.to_string(),
            group: p.group.clone(),
            version: p.version,
            artifact: artifact.to_string(),
        })
    }
}

impl Lineage {
    pub fn new(in_flight: usize) -> Lineage {
        Lineage {
            in_flight,
            ..Lineage::default()
        }
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        lock(&self.known)
    }

    /// What has been learned so far, to be remembered.
    pub fn remembered(&self) -> Known {
        self.known().clone()
    }

    /// Starts from what a past session learned (before the first refresh).
    pub fn recall(&self, past: Known) {
        *self.known() = past;
    }

    /// Descriptions held: what a save would be made of.
    pub fn len(&self) -> usize {
        let known = self.known();
        known.models.len() + known.packages.len() + known.absent.len()
    }

    /// Describes each model (and the package its container names) when it is first
    /// seen or was learned before `valid_after` (what serves it changed since),
    /// several at once. A model that could not be described is left for the next
    /// refresh and named in the answer with why.
    pub async fn learn(
        &self,
        client: &Client,
        models: &[(String, Timestamp)],
    ) -> Vec<(String, String)> {
        let failed = fan_out(
            self.unlearned(models),
            self.in_flight,
            |(model, valid_after)| async move {
                self.learn_one(client, model, *valid_after)
                    .await
                    .err()
                    .map(|why| (model.clone(), why))
            },
        )
        .await;
        failed.into_iter().flatten().collect()
    }

    /// The models `learn` would describe.
    fn unlearned<'a>(&self, models: &'a [(String, Timestamp)]) -> Vec<&'a (String, Timestamp)> {
        let known = self.known();
        models
            .iter()
            .filter(|(m, valid_after)| known.models.get(m).is_none_or(|s| s.learned < *valid_after))
            .collect()
    }

    /// Whether this refresh's `learn` and `index_if_needed` would learn nothing:
    /// every served model is known and none waits for an index due now.
    pub fn settled(&self, models: &[(String, Timestamp)]) -> bool {
        let names: Vec<String> = models.iter().map(|(m, _)| m.clone()).collect();
        self.unlearned(models).is_empty()
            && (!self.index_due() || self.unmatched(&names).is_empty())
    }

    /// The registry's groups, listed ahead (beside the endpoints' listing) when
    /// this refresh may index: a free request that saves the index a round trip.
    pub async fn groups_if_due(&self, client: &Client) -> Option<Result<Vec<String>, String>> {
        match self.index_due() && !self.groups_unwanted {
            true => Some(groups(client).await),
            false => None,
        }
    }

    /// Whether the next `index_if_needed` may index.
    fn index_due(&self) -> bool {
        self.indexed_at
            .is_none_or(|at| self.refreshes + 1 >= at + INDEX_EVERY)
    }

    async fn learn_one(
        &self,
        client: &Client,
        model: &str,
        valid_after: Timestamp,
    ) -> Result<(), String> {
        let _turn = self.turns.take(model).await;
        // Another endpoint's refresh may have learned it while this one waited.
        let learned_since = |k: &Known| {
            k.models
                .get(model)
                .is_some_and(|s| s.learned >= valid_after)
        };
        if learned_since(&self.known()) {
            return Ok(());
        }
        let learned = Timestamp::now();
        let served = match client.describe_model().model_name(model).send().await {
            Ok(d) => served_by(d.primary_container(), d.containers()),
            // Endpoints keep serving models deleted after deploy: nothing to
            // link, and no reason to lose the rest of the refresh.
            Err(e) if is_not_found(&e) => ServedModel::default(),
            Err(e) => return Err(describe("sagemaker:DescribeModel", &e)),
        };
        for arn in served
            .containers
            .iter()
            .filter_map(|c| c.package_arn.as_ref())
        {
            self.package(client, arn).await?;
        }
        let served = ServedModel { learned, ..served };
        self.known().models.insert(model.to_string(), served);
        Ok(())
    }

    /// Indexes the registry's artifacts when some served model is linked to no
    /// package yet (at most every few refreshes): ListModelPackageGroups, then the
    /// groups named like an unmatched model or its job first, each group's newest
    /// versions (listed through `versions`, shared with the registry column)
    /// described once, until every served artifact is matched. `listed`: the groups
    /// `groups_if_due` listed ahead.
    pub async fn index_if_needed(
        &mut self,
        client: &Client,
        models: &[String],
        versions: &Versions,
        (names, listed): (&Normaliser, Option<Result<Vec<String>, String>>),
    ) -> Result<(), String> {
        let due = self.index_due();
        self.refreshes += 1;
        if due {
            self.groups_unwanted = self.unmatched(models).is_empty();
        }
        if !due || self.groups_unwanted {
            return Ok(());
        }
        self.indexed_at = Some(self.refreshes);
        // What the unmatched models are likely called in the registry.
        let hints: HashSet<String> = self
            .unmatched(models)
            .into_iter()
            .flat_map(|m| {
                let job = self
                    .artifact_of(m)
                    .and_then(|a| job_named_in(&a).map(|j| names.key(j)));
                std::iter::once(names.key(m)).chain(job)
            })
            .collect();
        let mut groups = match listed {
            Some(listed) => listed?,
            None => groups(client).await?,
        };
        groups.sort_by_key(|g| !hints.contains(&names.key(g)));
        // A handful of groups at a time, most likely first, until all are matched.
        let this = &*self;
        for batch in groups.chunks(this.in_flight.max(1)) {
            if this.unmatched(models).is_empty() {
                break;
            }
            let indexed = fan_out(batch, this.in_flight, |group| async move {
                let arns = versions.arns(client, group).await?;
                let newest = arns.iter().take(INDEXED_VERSIONS);
                let described = fan_out(newest, this.in_flight, |arn| this.package(client, arn));
                described.await.into_iter().collect::<Result<(), String>>()
            })
            .await;
            indexed.into_iter().collect::<Result<(), String>>()?;
        }
        Ok(())
    }

    /// Indexes the registry when one of `artifacts` (served outside SageMaker: a
    /// KServe storageUri) is no package version's yet, at once for a URI not looked
    /// for before (`untried`: a rollout to a new version), else at most every few
    /// calls, and says whether it did: the account's newest versions, whatever their group
    /// (ListModelPackages across groups, newest first), each described once, until
    /// every artifact is matched. An artifact in no registry costs a page or two
    /// every few refreshes, not every version of every group.
    pub async fn index_artifacts(
        &mut self,
        client: &Client,
        artifacts: &[String],
        untried: bool,
    ) -> Result<bool, String> {
        let matched = |l: &Lineage| artifacts.iter().all(|a| l.package_at(a).is_some());
        let due = self.index_due() || untried;
        self.refreshes += 1;
        if !due || matched(self) {
            return Ok(false);
        }
        self.indexed_at = Some(self.refreshes);
        let newest = newest_versions(client).await?;
        for batch in newest.chunks(self.in_flight.max(1)) {
            if matched(self) {
                break;
            }
            let described = fan_out(batch, self.in_flight, |arn| self.package(client, arn)).await;
            described.into_iter().collect::<Result<(), String>>()?;
        }
        Ok(true)
    }

    /// The package version whose artifact is `uri` itself (a trailing `/` aside).
    fn exactly(&self, uri: &str) -> Option<PackageAt> {
        let known = self.known();
        let uri = uri.trim_end_matches('/');
        let slashed = format!("{uri}/");
        let (artifact, arn) = known
            .by_artifact
            .get_key_value(uri)
            .or_else(|| known.by_artifact.get_key_value(slashed.as_str()))?;
        known.found(artifact, arn)
    }

    /// The package version whose artifact `uri` is: the same URL (a trailing `/`
    /// aside), else the one indexed version whose artifact is a file right in the
    /// folder `uri` names (a KServe storageUri may name the folder `model.tar.gz`
    /// is in). Two in one folder match neither; a bucket alone is no folder.
    pub fn package_at(&self, uri: &str) -> Option<PackageAt> {
        if let Some(exact) = self.exactly(uri) {
            return Some(exact);
        }
        let folder = uri.trim_end_matches('/');
        let in_bucket = folder
            .strip_prefix("s3://")
            .is_some_and(|path| path.split('/').filter(|p| !p.is_empty()).count() >= 2);
        if !in_bucket {
            return None;
        }
        let known = self.known();
        let mut inside = known.by_artifact.iter().filter(|(url, _)| {
            url.strip_prefix(folder)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|file| !file.is_empty() && !file.contains('/'))
        });
        match (inside.next(), inside.next()) {
            (Some((artifact, arn)), None) => known.found(artifact, arn),
            _ => None,
        }
    }

    /// The served models that name an artifact but no package lineage has matched.
    fn unmatched<'a>(&self, models: &'a [String]) -> Vec<&'a String> {
        models
            .iter()
            .filter(|m| {
                // One lock at a time: package_of takes it again.
                let by_artifact_only = self
                    .known()
                    .models
                    .get(*m)
                    .is_some_and(|s| s.package().is_none() && s.artifacts().next().is_some());
                by_artifact_only && self.package_of(m).is_none()
            })
            .collect()
    }

    /// The package version `model` serves, when lineage links one.
    pub fn package_of(&self, model: &str) -> Option<PackageRef> {
        let known = self.known();
        let served = known.models.get(model)?;
        // A container naming its package first; else the first artifact a package
        // version has, in whichever container it is.
        let (arn, via, container) = match served.package() {
            Some(c) => (c.package_arn.as_ref()?, Via::PackageName, c),
            None => served.artifacts().find_map(|(c, url)| {
                Some((known.by_artifact.get(url)?, Via::Artifact(url.clone()), c))
            })?,
        };
        let p = known.packages.get(arn)?;
        Some(PackageRef {
            group: p.group.clone(),
            version: p.version,
            arn: arn.clone(),
            via,
            container: container.place.clone(),
        })
    }

    /// The artifact `model` serves: the matched container's own, else its package
    /// version's, else the first container's that has one.
    pub fn artifact_of(&self, model: &str) -> Option<String> {
        let matched = self.package_of(model);
        let known = self.known();
        let served = known.models.get(model)?;
        let own = |place: &str| {
            let c = served.containers.iter().find(|c| c.place == place)?;
            c.artifact.clone()
        };
        match matched {
            Some(p) => own(&p.container).or_else(|| known.packages.get(&p.arn)?.artifact.clone()),
            None => served.artifacts().next().map(|(_, url)| url.clone()),
        }
    }

    async fn package(&self, client: &Client, arn: &str) -> Result<(), String> {
        let _turn = self.turns.take(arn).await;
        {
            let known = self.known();
            if known.packages.contains_key(arn) || known.absent.contains(arn) {
                return Ok(());
            }
        }
        let p = match client
            .describe_model_package()
            .model_package_name(arn)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if is_not_found(&e) => {
                self.known().absent.insert(arn.to_string());
                return Ok(());
            }
            Err(e) => return Err(describe("sagemaker:DescribeModelPackage", &e)),
        };
        let artifact = p
            .inference_specification()
            .and_then(|s| s.containers().first())
            .and_then(|c| {
                c.model_data_url().map(str::to_string).or_else(|| {
                    let uri = c.model_data_source()?.s3_data_source()?.s3_uri()?;
                    Some(uri.to_string())
                })
            });
        let Some(group) = p.model_package_group_name() else {
            return Ok(());
        };
        let arn = p.model_package_arn().unwrap_or(arn).to_string();
        let mut known = self.known();
        let package = Package {
            group: group.to_string(),
            version: p
                .model_package_version()
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            artifact: artifact.clone(),
            created: p.creation_time().and_then(super::super::timestamp),
        };
        if let Some(url) = &artifact {
            let held = known.by_artifact.get(url).and_then(|held| {
                let h = known.packages.get(held)?;
                Some((h, held.as_str()))
            });
            if held.is_none_or(|held| package.newer(&arn, held)) {
                known.by_artifact.insert(url.clone(), arn.clone());
            }
        }
        known.packages.insert(arn, package);
        Ok(())
    }
}

/// What a model's containers name, the primary first, then the listed ones in
/// order. A container that names neither a package nor an artifact (an empty
/// `PrimaryContainer` beside `Containers`, an image with its model baked in) is
/// kept out.
fn served_by(primary: Option<&ContainerDefinition>, listed: &[ContainerDefinition]) -> ServedModel {
    let n = listed.len();
    let place = |i: usize, c: &ContainerDefinition| match c.container_hostname() {
        Some(host) => format!("container {} of {n} ({host})", i + 1),
        None => format!("container {} of {n}", i + 1),
    };
    let containers = primary
        .map(|c| ("PrimaryContainer".to_string(), c))
        .into_iter()
        .chain(listed.iter().enumerate().map(|(i, c)| (place(i, c), c)))
        .filter_map(|(place, c)| {
            let contained = Contained {
                place,
                package_arn: c.model_package_name().map(str::to_string),
                artifact: c.model_data_url().map(str::to_string).or_else(|| {
                    let uri = c.model_data_source()?.s3_data_source()?.s3_uri()?;
                    Some(uri.to_string())
                }),
            };
            (contained.package_arn.is_some() || contained.artifact.is_some()).then_some(contained)
        })
        .collect();
    ServedModel {
        containers,
        learned: Timestamp::UNIX_EPOCH,
    }
}

/// The ARNs of the account's newest versioned packages, whatever their group.
async fn newest_versions(client: &Client) -> Result<Vec<String>, String> {
    const OP: &str = "sagemaker:ListModelPackages";
    let mut pages = client
        .list_model_packages()
        .model_package_type(ModelPackageType::Versioned)
        .sort_by(ModelPackageSortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut bound = Pages::new(OP, NEWEST_VERSIONS / 100);
    let mut arns = Vec::new();
    while arns.len() < NEWEST_VERSIONS {
        let Some(page) = pages.next().await else {
            break;
        };
        if bound.count().is_err() {
            break;
        }
        let page = page.map_err(|e| describe(OP, &e))?;
        let listed = page.model_package_summary_list().iter();
        arns.extend(listed.filter_map(|p| p.model_package_arn().map(str::to_string)));
    }
    arns.truncate(NEWEST_VERSIONS);
    Ok(arns)
}

async fn groups(client: &Client) -> Result<Vec<String>, String> {
    let mut pages = client
        .list_model_package_groups()
        .max_results(super::PAGE)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut bound = Pages::new("sagemaker:ListModelPackageGroups", 2 * INDEXED_GROUPS / 100);
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe("sagemaker:ListModelPackageGroups", &e))?;
        for g in page.model_package_group_summary_list() {
            if let Some(name) = g.model_package_group_name() {
                if seen.insert(name.to_string()) {
                    out.push(name.to_string());
                }
            }
        }
        if out.len() >= INDEXED_GROUPS {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
