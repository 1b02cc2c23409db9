//! The endpoints of one refresh: listed, each new or changed one described (several
//! at once, a failed one keeping its last description), the models they serve
//! linked to the registry, the monitoring schedules beside them, and what CloudWatch
//! and S3 should watch handed over as soon as the rows are known.

use std::collections::HashMap;

use aws_sdk_sagemaker::types::EndpointSummary;
use aws_sdk_sagemaker::Client;
use jiff::Timestamp;

use super::endpoint::{self, Described};
use super::identity::Row;
use super::{monitoring, registry, SageMakerSource, PAGE};
use crate::aws::errors::describe;
use crate::source::aws::fan_out::fan_out;
use crate::source::aws::targets::EndpointTarget;
use crate::source::pages::Pages;

/// What one refresh learned of the endpoints before the rows are built.
pub(super) struct Learned {
    /// Endpoints whose describes failed, with why.
    pub(super) problems: HashMap<String, String>,
    pub(super) monitoring: HashMap<String, monitoring::Monitoring>,
    /// Package versions listed so far, shared with the registry column.
    pub(super) versions: registry::Versions,
}

/// A description and the endpoint's LastModifiedTime it was made at.
pub(super) type Stamped = (i64, Described);

impl SageMakerSource {
    /// The endpoints and what they serve: ListEndpoints, each new or changed endpoint
    /// described, its models' lineage, the registry indexed when needed, and the
    /// monitoring schedules (listed region-wide meanwhile).
    pub(super) async fn learn_endpoints(&mut self, client: &Client) -> Result<Learned, String> {
        let (summaries, groups) =
            tokio::join!(list_endpoints(client), self.lineage.groups_if_due(client));
        let summaries = summaries?;
        let watched: Vec<&str> = summaries
            .iter()
            .filter_map(EndpointSummary::endpoint_name)
            .filter(|name| self.discover || self.is_named(name))
            .collect();
        let mut schedules = std::mem::take(&mut self.schedules);
        let (mut problems, monitoring) = tokio::join!(
            self.describe_changed(&summaries),
            schedules.by_endpoint(client, &watched),
        );
        self.schedules = schedules;
        // Each served model, with when what serves it last changed: a model learned
        // before then may be another one of the same name.
        let mut served: Vec<(String, Timestamp)> = self
            .described
            .values()
            .flat_map(|(modified, d)| {
                let changed = Timestamp::from_second(*modified).unwrap_or_default();
                d.models().map(move |m| (m.to_string(), changed))
            })
            .collect();
        // The latest change of each model's endpoints counts.
        served.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        served.dedup_by(|later, first| later.0 == first.0);
        // The critical path: metrics need endpoint and variant names only. When
        // lineage cannot rename a row, CloudWatch starts now, beside it: lineage has
        // nothing to learn, or config names every row's endpoint and nothing was
        // handed over yet (later, the names would come back untraced for nothing).
        let settled = self.lineage.settled(&served);
        let early = settled || (self.rows_named_by_config() && self.nothing_published());
        if early {
            let rows = self.rows();
            self.publish_targets_of(&rows, &monitoring, settled);
            self.send_first_look(&rows);
        }
        let unlinked: HashMap<String, String> = self
            .lineage
            .learn(client, &served)
            .await
            .into_iter()
            .collect();
        let served: Vec<String> = served.into_iter().map(|(m, _)| m).collect();
        for (endpoint, (_, d)) in &self.described {
            if let Some(why) = d.models().find_map(|m| unlinked.get(m)) {
                problems
                    .entry(endpoint.clone())
                    .or_insert_with(|| why.clone());
            }
        }
        let versions = registry::Versions::default();
        let names = &self.recognition.names;
        // The jobs that wrote what serves are described beside the registry's index
        // (their rows read them from memory): the two chains run side by side.
        let artifacts: Vec<String> = served
            .iter()
            .filter_map(|m| self.lineage.artifact_of(m))
            .collect();
        let (lineage, jobs) = (&mut self.lineage, &self.job_details);
        let (indexed, _) = tokio::join!(
            lineage.index_if_needed(client, &served, &versions, (names, groups)),
            fan_out(&artifacts, self.in_flight, |a| jobs.serving(client, a)),
        );
        if let Err(why) = indexed {
            // Lineage by artifact waits for the next try; names still join rows.
            tracing::warn!("registry not indexed: {why}");
        }
        // Traced: S3 starts now, beside the rows' registries and histories.
        let rows = self.rows();
        self.publish_targets_of(&rows, &monitoring, true);
        if !early {
            self.send_first_look(&rows);
        }
        Ok(Learned {
            problems,
            monitoring,
            versions,
        })
    }

    /// Config names every row's endpoint and nothing else is discovered: lineage
    /// cannot change which rows there are, what they are called or their endpoints.
    fn rows_named_by_config(&self) -> bool {
        !self.discover && self.mappings.iter().all(|m| m.endpoint.is_some())
    }

    /// No endpoint has been handed to CloudWatch and S3 yet.
    fn nothing_published(&self) -> bool {
        self.targets.as_ref().is_some_and(|t| t.borrow().is_empty())
    }

    /// Tells CloudWatch and S3 what to watch as soon as the rows are known, while
    /// the rows' registries and jobs are still being asked for. Only a change wakes
    /// them.
    pub(super) fn publish_targets_of(
        &self,
        rows: &[Row],
        monitoring: &HashMap<String, monitoring::Monitoring>,
        traced: bool,
    ) {
        let Some(targets) = &self.targets else {
            return;
        };
        let mut fresh: Vec<EndpointTarget> = rows
            .iter()
            .filter_map(|r| {
                let endpoint = r.endpoint.as_ref()?;
                let stamped = self.described.get(endpoint);
                let described = stamped.map(|(_, d)| d);
                Some(EndpointTarget {
                    changed: stamped.and_then(|(at, _)| Timestamp::from_second(*at).ok()),
                    model: r.name.clone(),
                    endpoint: endpoint.clone(),
                    variants: described
                        .map(|d| d.endpoint.variants.iter().map(|v| v.name.clone()).collect())
                        .unwrap_or_default(),
                    reports: monitoring.get(endpoint).and_then(|m| m.reports.clone()),
                    capture: described
                        .and_then(|d| d.capture.as_deref())
                        .and_then(crate::config::parse_s3),
                    artifact: described
                        .and_then(|d| d.endpoint.artifact.as_deref())
                        .and_then(crate::config::parse_s3),
                    training_data: described
                        .and_then(|d| d.first_model())
                        .and_then(|m| self.lineage.artifact_of(m))
                        .and_then(|a| self.job_details.training_data(&a))
                        .as_deref()
                        .and_then(crate::config::parse_s3),
                    traced,
                })
            })
            .collect();
        fresh.sort_by(|a, b| a.model.cmp(&b.model));
        targets.send_if_modified(|old| {
            let changed = *old != fresh;
            if changed {
                *old = fresh;
            }
            changed
        });
    }

    /// Describes the endpoints that are new or changed since the last refresh,
    /// several at once. One that fails keeps its last description (or, never
    /// described, what ListEndpoints said) and is named in the answer with why.
    async fn describe_changed(&mut self, summaries: &[EndpointSummary]) -> HashMap<String, String> {
        let mut old = std::mem::take(&mut self.described);
        let wanted: Vec<(&EndpointSummary, &str, i64, Option<Stamped>)> = summaries
            .iter()
            .filter_map(|s| {
                let name = s.endpoint_name()?;
                if !self.discover && !self.is_named(name) {
                    return None;
                }
                let modified = s.last_modified_time().map_or(0, |t| t.secs());
                Some((s, name, modified, old.remove(name)))
            })
            .collect();
        let (client, configs) = (&self.client, &self.configs);
        let described = fan_out(
            wanted,
            self.in_flight,
            |(summary, name, modified, kept)| async move {
                // Unchanged, and in the state it was described in: nothing to ask.
                let listed = summary.endpoint_status().map(|s| s.as_str());
                let fresh = match kept {
                    Some((at, d))
                        if at == modified && listed == Some(d.endpoint.status.as_str()) =>
                    {
                        return (name, (at, d), None)
                    }
                    kept => (
                        endpoint::describe_endpoint(client, configs, name).await,
                        kept,
                    ),
                };
                match fresh {
                    (Ok(d), _) => (name, (modified, d), None),
                    // The old description is kept under its old time: asked again next refresh.
                    (Err(why), Some(kept)) => (name, kept, Some(why)),
                    (Err(why), None) => {
                        (name, (i64::MIN, endpoint::listed(summary, &why)), Some(why))
                    }
                }
            },
        )
        .await;
        let mut problems = HashMap::new();
        for (name, entry, problem) in described {
            if let Some(why) = problem {
                problems.insert(name.to_string(), why);
            }
            self.described.insert(name.to_string(), entry);
        }
        problems
    }

    /// Whether config names `endpoint` (as a model's endpoint, or as a model's name).
    pub(super) fn is_named(&self, endpoint: &str) -> bool {
        let names = &self.recognition.names;
        self.mappings.iter().any(|m| match &m.endpoint {
            Some(e) => e == endpoint,
            None => m.name == endpoint || names.key(&m.name) == names.key(endpoint),
        })
    }
}

/// Endpoints listed at most: 100 pages of 100.
const MAX_PAGES: usize = 100;

async fn list_endpoints(client: &Client) -> Result<Vec<EndpointSummary>, String> {
    const OP: &str = "sagemaker:ListEndpoints";
    let mut pages = client
        .list_endpoints()
        .max_results(PAGE)
        .into_paginator()
        .send();
    let mut bound = Pages::new(OP, MAX_PAGES);
    let mut endpoints = Vec::new();
    while let Some(page) = pages.next().await {
        bound.count()?;
        let page = page.map_err(|e| describe(OP, &e))?;
        endpoints.extend(page.endpoints().iter().cloned());
    }
    Ok(endpoints)
}
