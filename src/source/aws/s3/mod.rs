//! S3: raw-data freshness, the newest object's age under each model's configured
//! prefix (ListObjectsV2, paged, at most `max_pages` pages of 1,000 keys), the
//! newest Model Monitor report under its report prefix, and drift computed from the
//! endpoints' captured traffic.

pub(crate) mod capture;
pub mod object;
mod report;
mod reports;

use std::collections::HashMap;
use std::path::PathBuf;

use aws_sdk_s3::Client;
use jiff::Timestamp;

use super::fan_out::{fan_out, DEFAULT_IN_FLIGHT};
use super::targets::TargetsReceiver;
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::{DriftConfig, ModelMapping, S3Location};
use crate::model::captured::CapturedDrift;
use crate::model::facts::{DataFacts, ModelFacts, StaleFacts};
use crate::model::{Fleet, Stage};
use crate::source::disk::JsonFile;
use crate::source::{report, Source, SourceId, Update};

pub struct S3Source {
    client: Client,
    /// Models whose config names a raw-data location.
    watched: Vec<(String, S3Location)>,
    /// Models whose config names where their monitoring reports are; the others'
    /// come with the targets, from their monitoring schedules.
    reports: Vec<(String, S3Location)>,
    targets: TargetsReceiver,
    /// What each model's report location has shown so far.
    seen: HashMap<String, reports::Watch>,
    max_pages: u32,
    /// Prefixes listed at once.
    in_flight: usize,
    /// Config's Data Capture settings per model (location, baseline, column names).
    captures: Vec<ModelMapping>,
    drift: DriftConfig,
    /// Each model's baseline and summaries of the captured files read.
    watches: HashMap<String, capture::Watch>,
    /// Where the watches are kept for the next session.
    memory: Option<JsonFile>,
}

/// Bumped when the shape of the kept watches changes.
const CAPTURE_FORMAT: u32 = 1;
/// A summary is a few hundred bytes: thousands of files per model fit.
const CAPTURE_MAX_BYTES: u64 = 16 << 20;

impl S3Source {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        mappings: &[ModelMapping],
        targets: TargetsReceiver,
        max_pages: u32,
    ) -> S3Source {
        S3Source {
            client: object::client(sdk, calls, None),
            watched: mappings
                .iter()
                .filter_map(|m| Some((m.name.clone(), m.data.clone()?)))
                .collect(),
            reports: mappings
                .iter()
                .filter_map(|m| Some((m.name.clone(), m.monitoring_reports.clone()?)))
                .collect(),
            targets,
            seen: HashMap::new(),
            max_pages: max_pages.max(1),
            in_flight: DEFAULT_IN_FLIGHT,
            captures: mappings
                .iter()
                .filter(|m| {
                    m.data_capture.is_some() || m.baseline.is_some() || !m.features.is_empty()
                })
                .cloned()
                .collect(),
            drift: DriftConfig::default(),
            watches: HashMap::new(),
            memory: None,
        }
    }

    /// Drift from captured traffic computed with these settings.
    pub fn drift(mut self, drift: DriftConfig) -> S3Source {
        self.drift = drift;
        self
    }

    /// Starts from the baselines and file summaries a past session kept in `path`,
    /// and keeps them there: a restart reads no captured file twice.
    pub fn remembering(mut self, path: PathBuf) -> S3Source {
        self.recall_file(path);
        self
    }

    fn recall_file(&mut self, path: PathBuf) {
        let file = JsonFile::new(path, CAPTURE_MAX_BYTES).versioned(CAPTURE_FORMAT);
        if let Some(past) = file.load::<HashMap<String, capture::Watch>>() {
            self.watches = past;
        }
        self.memory = Some(file);
    }

    /// What to read captured traffic of: every endpoint with capture on, and the
    /// models config names a capture location for.
    fn capture_targets(&self, targets: &[super::targets::EndpointTarget]) -> Vec<capture::Target> {
        let mut found: Vec<capture::Target> = Vec::new();
        for t in targets {
            let config = self.captures.iter().find(|m| m.name == t.model);
            let Some(at) = config
                .and_then(|m| m.data_capture.clone())
                .or_else(|| t.capture.clone())
            else {
                continue;
            };
            found.push(capture::Target {
                model: t.model.clone(),
                capture: at,
                endpoint: t.endpoint.clone(),
                variants: t.variants.clone(),
                baseline: config.and_then(|m| m.baseline.clone()),
                training_data: t.training_data.clone(),
                deployed: t.changed,
                features: config.map(|m| m.features.clone()).unwrap_or_default(),
            });
        }
        for m in &self.captures {
            let (Some(at), Some(endpoint)) = (&m.data_capture, &m.endpoint) else {
                continue;
            };
            if found.iter().any(|t| t.model == m.name) {
                continue;
            }
            found.push(capture::Target {
                model: m.name.clone(),
                capture: at.clone(),
                endpoint: endpoint.clone(),
                variants: Vec::new(),
                baseline: m.baseline.clone(),
                training_data: None,
                deployed: None,
                features: m.features.clone(),
            });
        }
        found
    }

    /// Models config asks drift of (a baseline, column names) whose endpoint has
    /// Data Capture off and no `data_capture` in config: said, not silently
    /// skipped.
    fn capture_off(
        &self,
        targets: &[super::targets::EndpointTarget],
    ) -> Vec<(String, CapturedDrift)> {
        targets
            .iter()
            .filter(|t| t.capture.is_none())
            .filter(|t| {
                self.captures
                    .iter()
                    .any(|m| m.name == t.model && m.data_capture.is_none())
            })
            .map(|t| {
                let why = format!(
                    "Data Capture is off on {} (its endpoint config has no DataCaptureConfig): \
                     enable it, or name where it writes with data_capture under [[models]]",
                    t.endpoint
                );
                let off = CapturedDrift::empty(self.drift.method, self.drift.window_hours);
                (t.model.clone(), off.with_problems(vec![why]))
            })
            .collect()
    }

    /// Every captured model's drift, models at once (bounded); kept on disk when
    /// something new was read.
    async fn captured(&mut self, targets: Vec<capture::Target>) -> Vec<(String, CapturedDrift)> {
        let now = Timestamp::now();
        let watches: Vec<(capture::Target, capture::Watch)> = targets
            .into_iter()
            .map(|t| {
                let w = self.watches.remove(&t.model).unwrap_or_default();
                (t, w)
            })
            .collect();
        let (client, drift, max_pages) = (&self.client, &self.drift, self.max_pages);
        let refreshed = fan_out(watches, self.in_flight, |(t, mut w)| async move {
            let read = capture::Reading {
                client,
                target: &t,
                max_pages,
            };
            let r = w.refresh(&read, drift, now).await;
            (t, w, r)
        })
        .await;
        let mut changed = false;
        let mut found = Vec::new();
        // Models no longer captured are forgotten, but only once the rows are
        // known: before SageMaker's first answer there are none, and what a past
        // session kept must survive that.
        if !refreshed.is_empty() {
            changed |= !self.watches.is_empty();
            self.watches.clear();
        }
        for (t, w, r) in refreshed {
            changed |= r.changed;
            found.push((t.model.clone(), r.drift));
            self.watches.insert(t.model, w);
        }
        if let (true, Some(file)) = (changed, &self.memory) {
            file.save(&self.watches);
        }
        found
    }

    /// At most `n` prefixes listed at once.
    pub fn in_flight(mut self, n: usize) -> S3Source {
        self.in_flight = n.max(1);
        self
    }

    /// The newest object's time under `at`, or None when the prefix is empty.
    async fn newest(&self, at: &S3Location) -> Result<Option<Timestamp>, String> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&at.bucket)
            .prefix(&at.prefix)
            .into_paginator()
            .send();
        let mut newest: Option<Timestamp> = None;
        let mut listed = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| format!("{at}: {}", describe("s3:ListBucket", &e)))?;
            let times = page
                .contents()
                .iter()
                .filter_map(|o| Timestamp::from_second(o.last_modified()?.secs()).ok());
            newest = newest.into_iter().chain(times).max();
            listed += 1;
            if listed >= self.max_pages {
                break;
            }
        }
        Ok(newest)
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        // Every prefix listed at once (bounded); one that fails costs its own row's
        // DATA cell, marked with why, not the others'.
        let this = &*self;
        let listed = fan_out(&self.watched, self.in_flight, |(name, at)| async move {
            (name, at, this.newest(at).await)
        })
        .await;
        let mut models: Vec<ModelFacts> = Vec::new();
        for (name, at, newest) in listed {
            let mut m = ModelFacts::named(name);
            match newest {
                Ok(newest_object) => {
                    m.data = Some(DataFacts {
                        lambda: None,
                        location: at.to_string(),
                        newest_object,
                        source: crate::model::facts::DataSource::S3,
                    })
                }
                Err(why) => m
                    .stale
                    .push(StaleFacts::new(SourceId::S3, &[Stage::Data], why, None)),
            }
            models.push(m);
        }
        let mut reports = self.reports.clone();
        let targets = self.targets.borrow_and_update().clone();
        for t in targets.iter() {
            if let Some(at) = t
                .reports
                .clone()
                .filter(|_| !reports.iter().any(|(m, _)| *m == t.model))
            {
                reports.push((t.model.clone(), at));
            }
        }
        for (name, at) in &reports {
            let watch = self.seen.entry(name.clone()).or_default();
            let drift = watch.refresh(&self.client, at, self.max_pages).await;
            match models.iter_mut().find(|m| &m.name == name) {
                Some(m) => m.drift = drift,
                None => {
                    let mut m = ModelFacts::named(name);
                    m.drift = drift;
                    models.push(m);
                }
            }
        }
        let mut captured = self.captured(self.capture_targets(&targets)).await;
        captured.extend(self.capture_off(&targets));
        for (name, drift) in captured {
            match models.iter_mut().find(|m| m.name == name) {
                Some(m) => m.drift.captured = Some(drift),
                None => {
                    let mut m = ModelFacts::named(&name);
                    m.drift.captured = Some(drift);
                    models.push(m);
                }
            }
        }
        Ok(Fleet {
            models,
            ..Fleet::default()
        })
    }
}

impl Source for S3Source {
    fn id(&self) -> SourceId {
        SourceId::S3
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::S3, self.gather().await)
    }

    fn recall(&mut self, past: &crate::source::memory::MemoryDir) {
        self.recall_file(past.captures());
    }
}
