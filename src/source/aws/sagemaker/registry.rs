//! Model package versions of a group, newest first, with the deployed one marked.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use aws_sdk_sagemaker::types::{ModelPackageSortBy, SortOrder};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::timestamp;
use crate::aws::errors::describe;
use crate::aws::status::approval_of;
use crate::model::facts::ModelVersion;
use crate::source::aws::fan_out::lock;
use crate::source::pages::Pages;

/// Versions listed this refresh, by group: endpoints sharing a group list it once.
#[derive(Default)]
pub struct Versions(Mutex<HashMap<String, Vec<(String, ModelVersion)>>>);

impl Versions {
    /// The group's versions with every one a variant serves (`deployed`) marked.
    pub async fn of_group(
        &self,
        client: &Client,
        group: &str,
        deployed: &HashSet<String>,
    ) -> Result<Vec<ModelVersion>, String> {
        Ok(self
            .listed(client, group)
            .await?
            .iter()
            .map(|(arn, v)| ModelVersion {
                deployed: deployed.contains(arn),
                ..v.clone()
            })
            .collect())
    }

    /// The ARNs of the group's versions, newest first.
    pub async fn arns(&self, client: &Client, group: &str) -> Result<Vec<String>, String> {
        let listed = self.listed(client, group).await?;
        Ok(listed.iter().map(|(arn, _)| arn.clone()).collect())
    }

    async fn listed(
        &self,
        client: &Client,
        group: &str,
    ) -> Result<Vec<(String, ModelVersion)>, String> {
        if let Some(known) = lock(&self.0).get(group) {
            return Ok(known.clone());
        }
        let listed = list(client, group).await?;
        lock(&self.0).insert(group.to_string(), listed.clone());
        Ok(listed)
    }
}

async fn list(client: &Client, group: &str) -> Result<Vec<(String, ModelVersion)>, String> {
    const OP: &str = "sagemaker:ListModelPackages";
    let mut pages = client
        .list_model_packages()
        .max_results(super::PAGE)
        .model_package_group_name(group)
        .sort_by(ModelPackageSortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .into_paginator()
        .send();
    // Newest first: the versions beyond a couple of thousand are history.
    let mut bound = Pages::new(OP, 20);
    let mut summaries = Vec::new();
    while let Some(page) = pages.next().await {
        if bound.count().is_err() {
            break;
        }
        let page = page.map_err(|e| describe(OP, &e))?;
        summaries.extend(page.model_package_summary_list().iter().cloned());
    }
    let mut versions: Vec<(String, ModelVersion)> = summaries
        .iter()
        .map(|s| {
            let approval = approval_of(s.model_approval_status());
            let version = ModelVersion {
                version: s
                    .model_package_version()
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0),
                approval,
                created: s
                    .creation_time()
                    .and_then(timestamp)
                    .unwrap_or(Timestamp::UNIX_EPOCH),
                deployed: false,
                source: crate::model::facts::RegistrySource::SageMaker,
                mlflow: None,
                arn: s.model_package_arn().map(str::to_string),
            };
            (
                s.model_package_arn().unwrap_or_default().to_string(),
                version,
            )
        })
        .collect();
    versions.sort_by_key(|(_, v)| std::cmp::Reverse(v.version));
    Ok(versions)
}
