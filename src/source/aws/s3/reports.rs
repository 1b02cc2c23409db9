//! The newest Model Monitor report under a model's report prefix. Model Monitor
//! writes `<prefix>/<endpoint>/<schedule>/yyyy/mm/dd/hh/constraint_violations.json`,
//! so keys sort by time: after the first listing only keys after the newest one seen
//! are listed (StartAfter), and a report is downloaded once.

use aws_sdk_s3::Client;
use jiff::Timestamp;

use super::report::{parse_violations, too_large, MAX_REPORT_BYTES};
use crate::aws::errors::describe;
use crate::config::S3Location;
use crate::model::facts::DriftFacts;

const REPORT_FILE: &str = "constraint_violations.json";

/// What one model's report prefix has shown so far.
#[derive(Debug, Default)]
pub struct Watch {
    /// The newest report key seen; listings start after it.
    newest_key: Option<String>,
    drift: DriftFacts,
}

impl Watch {
    /// Looks for a newer report and reads it; the drift facts of the newest one.
    /// A listing or reading failure is this model's problem, not the source's.
    pub async fn refresh(
        &mut self,
        client: &Client,
        at: &S3Location,
        max_pages: u32,
    ) -> DriftFacts {
        match self.newer_report(client, at, max_pages).await {
            Ok(None) => {}
            Ok(Some((key, size, modified))) => {
                self.newest_key = Some(key.clone());
                self.drift = read(client, at, &key, size, modified).await;
            }
            Err(why) => {
                self.drift.report_problem = Some(why);
            }
        }
        self.drift.clone()
    }

    /// The newest report key after the last one seen, its size and time.
    async fn newer_report(
        &self,
        client: &Client,
        at: &S3Location,
        max_pages: u32,
    ) -> Result<Option<(String, i64, Timestamp)>, String> {
        let mut pages = client
            .list_objects_v2()
            .bucket(&at.bucket)
            .prefix(&at.prefix)
            .set_start_after(self.newest_key.clone())
            .into_paginator()
            .send();
        let mut newest: Option<(String, i64, Timestamp)> = None;
        let mut listed = 0;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| format!("{at}: {}", describe("s3:ListBucket", &e)))?;
            for o in page.contents() {
                let Some(key) = o.key().filter(|k| k.ends_with(REPORT_FILE)) else {
                    continue;
                };
                let modified = o
                    .last_modified()
                    .and_then(|t| Timestamp::from_second(t.secs()).ok())
                    .unwrap_or(Timestamp::UNIX_EPOCH);
                if newest.as_ref().is_none_or(|(k, _, _)| key > k.as_str()) {
                    newest = Some((key.to_string(), o.size().unwrap_or(0), modified));
                }
            }
            listed += 1;
            if listed >= max_pages {
                break;
            }
        }
        Ok(newest)
    }
}

async fn read(
    client: &Client,
    at: &S3Location,
    key: &str,
    size: i64,
    modified: Timestamp,
) -> DriftFacts {
    let location = format!("s3://{}/{key}", at.bucket);
    let mut drift = DriftFacts {
        report: Some(location.clone()),
        report_time: Some(modified),
        ..DriftFacts::default()
    };
    let parsed = match u64::try_from(size).unwrap_or(0) {
        size if size > MAX_REPORT_BYTES => Err(too_large(size)),
        _ => download(client, &at.bucket, key)
            .await
            .and_then(|b| parse_violations(&b)),
    };
    match parsed {
        Ok(violations) => drift.violations = violations,
        Err(why) => {
            drift.report_time = None;
            drift.report_problem = Some(format!("{location}: {why}"));
        }
    }
    drift
}

async fn download(client: &Client, bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    let out = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| describe("s3:GetObject", &e))?;
    super::object::read_bounded(out, MAX_REPORT_BYTES, too_large)
        .await
        .map_err(|why| format!("s3://{bucket}/{key}: {why}"))
}
