//! S3: raw-data freshness, the newest object's age under each model's configured
//! prefix (ListObjectsV2, paged, at most `max_pages` pages of 1,000 keys), and the
//! newest Model Monitor report under its report prefix.

mod report;
mod reports;

use std::collections::HashMap;

use aws_sdk_s3::Client;
use jiff::Timestamp;

use super::fan_out::{fan_out, DEFAULT_IN_FLIGHT};
use super::targets::TargetsReceiver;
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::config::{ModelMapping, S3Location};
use crate::model::facts::{DataFacts, ModelFacts, StaleFacts};
use crate::model::{Fleet, Stage};
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
}

impl S3Source {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        mappings: &[ModelMapping],
        targets: TargetsReceiver,
        max_pages: u32,
    ) -> S3Source {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .interceptor(calls.clone())
            // Emulators and VPC endpoints answer on one host, not bucket subdomains.
            .force_path_style(true)
            .build();
        S3Source {
            client: Client::from_conf(config),
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
        }
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
                        location: at.to_string(),
                        newest_object,
                    })
                }
                Err(why) => m.stale.push(StaleFacts {
                    source: SourceId::S3,
                    stages: vec![Stage::Data],
                    since: None,
                    why,
                }),
            }
            models.push(m);
        }
        let mut reports = self.reports.clone();
        for t in self.targets.borrow_and_update().iter() {
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
}
