//! Model package versions of a group, newest first, with the deployed one marked.

use std::collections::HashMap;

use aws_sdk_sagemaker::types::{ModelApprovalStatus, ModelPackageSortBy, SortOrder};
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::super::errors::describe;
use super::super::timestamp;
use super::endpoint::PackageRef;
use crate::model::facts::{Approval, ModelVersion};

/// Versions listed this refresh, by group: endpoints sharing a group list it once.
#[derive(Default)]
pub struct Versions(HashMap<String, Vec<(String, ModelVersion)>>);

impl Versions {
    /// The group's versions with the one the endpoint serves (`deployed`) marked.
    pub async fn of_group(
        &mut self,
        client: &Client,
        group: &str,
        deployed: Option<&PackageRef>,
    ) -> Result<Vec<ModelVersion>, String> {
        if !self.0.contains_key(group) {
            let listed = list(client, group).await?;
            self.0.insert(group.to_string(), listed);
        }
        let listed = self.0.get(group).map(Vec::as_slice).unwrap_or_default();
        Ok(listed
            .iter()
            .map(|(arn, v)| ModelVersion {
                deployed: deployed.is_some_and(|d| *arn == d.arn),
                ..v.clone()
            })
            .collect())
    }
}

async fn list(client: &Client, group: &str) -> Result<Vec<(String, ModelVersion)>, String> {
    let summaries: Vec<_> = client
        .list_model_packages()
        .max_results(super::PAGE)
        .model_package_group_name(group)
        .sort_by(ModelPackageSortBy::CreationTime)
        .sort_order(SortOrder::Descending)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| describe("sagemaker:ListModelPackages", &e))?;
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

/// A package's approval status as the registry column shows it.
pub fn approval_of(s: Option<&ModelApprovalStatus>) -> Approval {
    match s {
        Some(ModelApprovalStatus::Approved) => Approval::Approved,
        Some(ModelApprovalStatus::Rejected) => Approval::Rejected,
        _ => Approval::PendingManualApproval,
    }
}
