//! Drift from an endpoint's captured traffic, for every account (Model Monitor is
//! closed to new customers; Data Capture is not). SageMaker writes
//! `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`, so keys sort by
//! time: one listing per variant from the window's first hour finds the files.
//! Each file is read once and kept as a tiny summary in the baseline's bins; the
//! bytes read per refresh are bounded, newest files first.

mod parse;
pub(crate) mod reference;

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::aws::errors::describe;
use crate::config::{DriftConfig, S3Location};
use crate::model::captured::{CapturedDrift, DriftSample, FeatureDrift};
use reference::{Columns, FileSummary, Reference};

/// What to read for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub model: String,
    /// Where Data Capture writes (its `DestinationS3Uri`).
    pub capture: S3Location,
    pub endpoint: String,
    pub variants: Vec<String>,
    /// Config's baseline: a statistics.json or a training-data sample.
    pub baseline: Option<S3Location>,
    /// The serving model's training channel, when SageMaker trained it.
    pub training_data: Option<S3Location>,
    /// When the endpoint last changed: the capture after it is the reference of
    /// last resort.
    pub deployed: Option<Timestamp>,
    /// Config's names for captured CSV columns.
    pub features: Vec<String>,
}

impl Target {
    /// "s3://bucket/prefix/endpoint/variant/": one variant's hours.
    fn variant_prefix(&self, variant: &str) -> S3Location {
        let endpoint = self.endpoint_prefix();
        S3Location {
            prefix: format!("{}{variant}/", endpoint.prefix),
            ..endpoint
        }
    }

    /// "s3://bucket/prefix/endpoint/".
    fn endpoint_prefix(&self) -> S3Location {
        let base = self.capture.prefix.trim_end_matches('/');
        let prefix = match base.is_empty() {
            true => format!("{}/", self.endpoint),
            false => format!("{base}/{}/", self.endpoint),
        };
        S3Location {
            bucket: self.capture.bucket.clone(),
            prefix,
        }
    }
}

/// One model's baseline and the summaries of the files read so far: kept for the
/// session and on disk for the next.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Watch {
    /// What the baseline was made from (an S3 URL, or the capture window); a
    /// different wish makes it again.
    made_from: Option<String>,
    baseline: Baseline,
    /// The capture window the baseline was cut from, whose files are not current.
    reference_end: Option<Timestamp>,
    /// A training channel that cannot be a baseline (no header), and why: not read
    /// again, the capture after the deploy is used instead.
    declined: Option<(String, String)>,
    /// File key → its hour and summary.
    files: BTreeMap<String, (Timestamp, FileSummary)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
enum Baseline {
    #[default]
    None,
    Made(Reference),
    /// Nothing to compare with yet, and why (unknown, not a problem).
    Waiting(String),
    /// The baseline could not be read, and why: tried again next refresh.
    Failed(String),
}

/// One captured file listed: key, size, the hour its path names.
struct Listed {
    key: String,
    size: u64,
    hour: Timestamp,
}

/// What a refresh found, and whether anything worth keeping on disk changed.
pub struct Refreshed {
    pub drift: CapturedDrift,
    pub changed: bool,
}

impl Watch {
    pub async fn refresh(
        &mut self,
        reading: &Reading<'_>,
        settings: &DriftConfig,
        now: Timestamp,
    ) -> Refreshed {
        let (client, target, max_pages) = (reading.client, reading.target, reading.max_pages);
        let mut budget = settings.max_bytes;
        let mut changed = self
            .ensure_reference(reading, settings, now, &mut budget)
            .await;
        let window = SignedDuration::from_hours(settings.window_hours as i64);
        let mut from = now - window;
        if let Some(end) = self.reference_end.filter(|end| *end > from) {
            from = end;
        }
        let mut problems: Vec<String> = Vec::new();
        let mut listed: Vec<Listed> = Vec::new();
        for variant in variants(target) {
            let at = target.variant_prefix(&variant);
            match list(client, &at, from, None, max_pages).await {
                Ok(files) => listed.extend(files),
                Err(why) => problems.push(why),
            }
        }
        // Files of hours gone from the window are forgotten.
        let first_hour = hour_of(from);
        let before = self.files.len();
        self.files.retain(|_, (hour, _)| *hour >= first_hour);
        changed |= self.files.len() != before;
        let mut unread = 0;
        if let Baseline::Made(reference) = &self.baseline {
            listed.retain(|f| !self.files.contains_key(&f.key));
            listed.sort_by(|a, b| b.hour.cmp(&a.hour).then(b.key.cmp(&a.key)));
            for file in &listed {
                if budget == 0 || (file.size > budget && budget < settings.max_bytes) {
                    unread += 1;
                    continue;
                }
                let loc = S3Location {
                    bucket: target.capture.bucket.clone(),
                    prefix: file.key.clone(),
                };
                match read(client, &loc, file.size, budget).await {
                    Ok(text) => {
                        budget = budget.saturating_sub(file.size.min(budget));
                        let summary = reference.summarise(text.lines(), &target.features);
                        self.files.insert(file.key.clone(), (file.hour, summary));
                        changed = true;
                    }
                    Err(why) => problems.push(why),
                }
            }
        }
        Refreshed {
            drift: self.drift(target, settings, unread, problems),
            changed,
        }
    }

    /// Makes the baseline when none was made from what is wanted now; true when
    /// it changed. Config's baseline first, then the training channel, then the
    /// capture after the deploy. The endpoint's outputs are compared with its
    /// outputs after the deploy whatever the features' baseline (a training sample
    /// holds no predictions).
    async fn ensure_reference(
        &mut self,
        read: &Reading<'_>,
        settings: &DriftConfig,
        now: Timestamp,
        budget: &mut u64,
    ) -> bool {
        let (client, target) = (read.client, read.target);
        let window = SignedDuration::from_hours(settings.window_hours as i64);
        let after_deploy = target
            .deployed
            .map(|d| (d, reference_window(d, now, window)));
        let outputs = after_deploy.and_then(|(d, end)| Some((d, end?)));
        let objects = [
            target
                .baseline
                .as_ref()
                .map(|at| (at.to_string(), at, false)),
            target
                .training_data
                .as_ref()
                .map(|at| (format!("training {at}"), at, true)),
        ];
        for (name, at, may_decline) in objects.into_iter().flatten() {
            let wish = match outputs {
                Some((d, _)) => format!("{name} + outputs since {d}"),
                None => name.clone(),
            };
            if self.made_from.as_deref() == Some(&wish)
                && matches!(self.baseline, Baseline::Made(_))
            {
                return false;
            }
            if self.declined.as_ref().is_some_and(|(d, _)| *d == name) {
                continue;
            }
            match object_reference(client, at, budget).await {
                Ok(r) => {
                    let r = read.with_outputs(r, outputs, budget).await;
                    return self.replace(wish, Baseline::Made(r), outputs.map(|(_, end)| end));
                }
                // A channel that is not a CSV with a header (SageMaker's built-in
                // algorithms take none) gives way to the capture.
                Err(why) if may_decline => self.declined = Some((name, why)),
                Err(why) => return self.replace(wish, Baseline::Failed(why), None),
            }
        }
        let Some((deployed, end)) = after_deploy else {
            let why = "the endpoint's deploy time is unknown: name a baseline in config";
            return self.replace("no deploy time".into(), Baseline::Waiting(why.into()), None);
        };
        let wish = format!("capture since {deployed}");
        if self.made_from.as_deref() == Some(&wish) && matches!(self.baseline, Baseline::Made(_)) {
            return false;
        }
        let Some(end) = end else {
            let ready = deployed + SignedDuration::from_hours(2);
            let why = format!("the baseline (the capture after the deploy) is ready at {ready}");
            return self.replace(wish, Baseline::Waiting(why), None);
        };
        let baseline = match read.capture(deployed, end, budget).await {
            Ok(r) => Baseline::Made(r),
            Err(why) => Baseline::Waiting(why),
        };
        self.replace(wish, baseline, Some(end))
    }

    fn replace(
        &mut self,
        wish: String,
        baseline: Baseline,
        reference_end: Option<Timestamp>,
    ) -> bool {
        let changed = self.made_from.as_deref() != Some(&wish) || self.baseline != baseline;
        if changed {
            self.files.clear();
        }
        self.made_from = Some(wish);
        self.baseline = baseline;
        self.reference_end = reference_end;
        changed
    }

    /// The figures the summaries in the window make.
    fn drift(
        &self,
        target: &Target,
        settings: &DriftConfig,
        unread: u64,
        mut problems: Vec<String>,
    ) -> CapturedDrift {
        let method = settings.method;
        let capture = target.endpoint_prefix().to_string();
        let window_hours = u32::try_from(settings.window_hours).unwrap_or(u32::MAX);
        let reference = match &self.baseline {
            Baseline::Made(r) => r,
            other => {
                let (waiting, failed) = match other {
                    Baseline::Waiting(why) => (Some(why.clone()), None),
                    Baseline::Failed(why) => (None, Some(why.clone())),
                    _ => (Some("no baseline yet".to_string()), None),
                };
                problems.extend(failed);
                return CapturedDrift {
                    method,
                    features: Vec::new(),
                    prediction: None,
                    sample: DriftSample {
                        window_hours,
                        ..DriftSample::default()
                    },
                    baseline: String::new(),
                    capture,
                    problem: None,
                    waiting,
                    unread_files: unread,
                }
                .with_problems(problems);
            }
        };
        let mut current: Vec<Vec<u64>> = reference
            .features
            .iter()
            .map(|f| vec![0; f.counts.len()])
            .collect();
        let mut predicted = reference
            .prediction
            .as_ref()
            .map_or_else(Vec::new, |p| vec![0; p.counts.len()]);
        let mut sample = DriftSample {
            baseline: reference.records,
            window_hours,
            ..DriftSample::default()
        };
        let mut mismatched = 0;
        for (_, s) in self.files.values() {
            sample.current += s.records;
            sample.skipped += s.skipped;
            mismatched += s.mismatched;
            add(&mut current, &s.counts);
            add(
                std::slice::from_mut(&mut predicted),
                std::slice::from_ref(&s.prediction),
            );
        }
        sample.skipped += mismatched;
        if mismatched > 0 {
            let columns = reference.features.len();
            problems.push(format!(
                "{mismatched} captured rows do not have the baseline's {columns} columns: \
                 name them with features = [...] under [[models]]"
            ));
        }
        let features: Vec<FeatureDrift> = reference
            .features
            .iter()
            .zip(&current)
            .filter_map(|(f, c)| FeatureDrift::compare(&f.name, &f.bins, &f.counts, c, method))
            .collect();
        let prediction = reference
            .prediction
            .as_ref()
            .and_then(|p| FeatureDrift::compare(&p.name, &p.bins, &p.counts, &predicted, method));
        let waiting = (sample.current == 0)
            .then(|| format!("no captured requests in the last {window_hours} h"));
        CapturedDrift {
            method,
            features,
            prediction,
            sample,
            baseline: match self.declined.as_ref().filter(|_| {
                self.made_from
                    .as_ref()
                    .is_some_and(|m| m.starts_with("capture"))
            }) {
                Some((_, why)) => format!("{} (not the training channel: {why})", reference.from),
                None => reference.from.clone(),
            },
            capture,
            problem: None,
            waiting,
            unread_files: unread,
        }
        .sorted()
        .with_problems(problems)
    }
}

fn add(into: &mut [Vec<u64>], from: &[Vec<u64>]) {
    for (into, from) in into.iter_mut().zip(from) {
        for (a, b) in into.iter_mut().zip(from) {
            *a += b;
        }
    }
}

/// The variants to read: those the endpoint has, else SageMaker's default name.
fn variants(target: &Target) -> Vec<String> {
    match target.variants.is_empty() {
        true => vec!["AllTraffic".into()],
        false => target.variants.clone(),
    }
}

/// The start of `t`'s hour.
fn hour_of(t: Timestamp) -> Timestamp {
    let secs = t.as_second();
    Timestamp::from_second(secs - secs.rem_euclid(3600)).unwrap_or(t)
}

/// "yyyy/mm/dd/hh" of `t` in UTC, as Data Capture names its folders.
fn hour_path(t: Timestamp) -> String {
    t.strftime("%Y/%m/%d/%H").to_string()
}

/// The hour a key's `yyyy/mm/dd/hh/` after `prefix` names.
fn hour_in(key: &str, prefix: &str) -> Option<Timestamp> {
    let rest = key.strip_prefix(prefix)?;
    let mut parts = rest.splitn(5, '/');
    let (y, m, d, h) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    parts.next()?;
    let checked = jiff::civil::DateTime::new(
        y.parse().ok()?,
        m.parse().ok()?,
        d.parse().ok()?,
        h.parse().ok()?,
        0,
        0,
        0,
    )
    .ok()?;
    checked
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Captured files under `at` from `from`'s hour (up to `to`'s, when given): one
/// paged listing that starts at the hour, since keys sort by time.
async fn list(
    client: &Client,
    at: &S3Location,
    from: Timestamp,
    to: Option<Timestamp>,
    max_pages: u32,
) -> Result<Vec<Listed>, String> {
    let start_after = format!("{}{}", at.prefix, hour_path(hour_of(from)));
    let mut pages = client
        .list_objects_v2()
        .bucket(&at.bucket)
        .prefix(&at.prefix)
        .start_after(start_after)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    let mut listed = 0;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("{at}: {}", describe("s3:ListBucket", &e)))?;
        for o in page.contents() {
            let Some(key) = o.key() else { continue };
            let Some(hour) = hour_in(key, &at.prefix) else {
                continue;
            };
            if to.is_some_and(|to| hour >= to) {
                return Ok(found);
            }
            found.push(Listed {
                key: key.to_string(),
                size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                hour,
            });
        }
        listed += 1;
        if listed >= max_pages {
            break;
        }
    }
    Ok(found)
}

/// An object's text, at most `limit` bytes of it (a ranged GET); a line cut off at
/// the limit is dropped.
async fn read(client: &Client, at: &S3Location, size: u64, limit: u64) -> Result<String, String> {
    let mut get = client.get_object().bucket(&at.bucket).key(&at.prefix);
    let cut = size > limit;
    if cut {
        get = get.range(format!("bytes=0-{}", limit.saturating_sub(1)));
    }
    let object = get
        .send()
        .await
        .map_err(|e| format!("{at}: {}", describe("s3:GetObject", &e)))?;
    let bytes = object
        .body
        .collect()
        .await
        .map_err(|e| format!("{at}: reading failed: {e}"))?
        .into_bytes();
    let bytes = &bytes[..bytes
        .len()
        .min(usize::try_from(limit).unwrap_or(usize::MAX))];
    let text = String::from_utf8_lossy(bytes);
    Ok(match cut {
        true => text
            .rsplit_once('\n')
            .map_or("", |(whole, _)| whole)
            .to_string(),
        false => text.into_owned(),
    })
}

/// A baseline object: Model Monitor statistics when it reads as them, else a
/// training-data sample (CSV with a header, or JSON lines), bounded by `budget`.
async fn object_reference(
    client: &Client,
    at: &S3Location,
    budget: &mut u64,
) -> Result<Reference, String> {
    let (key, size) = first_object(client, at).await?;
    let object = S3Location {
        bucket: at.bucket.clone(),
        prefix: key,
    };
    let text = read(client, &object, size, *budget).await?;
    *budget = budget.saturating_sub(size.min(*budget));
    let from = object.to_string();
    let statistics = || reference::statistics(&text, format!("Model Monitor statistics {from}"));
    // Model Monitor names its file so; a JSON sample is JSON lines.
    if object.prefix.ends_with("statistics.json") {
        return statistics();
    }
    if text.trim_start().starts_with('{') {
        if let Ok(stats) = statistics() {
            return Ok(stats);
        }
    }
    reference::sample(&text, format!("training data {from}"))
}

/// The object at `at`, or the first one under it when it is a prefix (a channel).
async fn first_object(client: &Client, at: &S3Location) -> Result<(String, u64), String> {
    let listed = client
        .list_objects_v2()
        .bucket(&at.bucket)
        .prefix(&at.prefix)
        .max_keys(10)
        .send()
        .await
        .map_err(|e| format!("{at}: {}", describe("s3:ListBucket", &e)))?;
    listed
        .contents()
        .iter()
        .filter(|o| o.size().unwrap_or(0) > 0)
        .find_map(|o| {
            Some((
                o.key()?.to_string(),
                o.size().and_then(|s| u64::try_from(s).ok())?,
            ))
        })
        .ok_or_else(|| format!("{at}: no such object"))
}

/// The end of the reference window after a deploy at `deployed`: the first
/// `window`, or the first half of the time since when that is shorter; None while
/// that is under an hour.
fn reference_window(
    deployed: Timestamp,
    now: Timestamp,
    window: SignedDuration,
) -> Option<Timestamp> {
    let half = SignedDuration::from_hours(now.duration_since(deployed).as_hours() / 2);
    let length = window.min(half);
    (length >= SignedDuration::from_hours(1)).then(|| deployed + length)
}

/// What reading one model's captured traffic needs.
pub struct Reading<'a> {
    pub client: &'a Client,
    pub target: &'a Target,
    /// Listing pages per variant at most.
    pub max_pages: u32,
}

impl Reading<'_> {
    /// The capture between `from` and `to` (the hours after the deploy), read
    /// oldest first within `budget`.
    async fn capture(
        &self,
        from: Timestamp,
        to: Timestamp,
        budget: &mut u64,
    ) -> Result<Reference, String> {
        let (client, target) = (self.client, self.target);
        let mut columns = Columns::default();
        for variant in variants(target) {
            let at = target.variant_prefix(&variant);
            for file in list(client, &at, from, Some(to), self.max_pages).await? {
                if *budget == 0 {
                    break;
                }
                let loc = S3Location {
                    bucket: at.bucket.clone(),
                    prefix: file.key,
                };
                let text = read(client, &loc, file.size, *budget).await?;
                *budget = budget.saturating_sub(file.size.min(*budget));
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    match parse::record(line) {
                        Some(captured) => columns.push_captured(captured, &target.features),
                        None => columns.skip(1),
                    }
                }
            }
        }
        let from_text = format!(
            "the capture {} – {} (after the deploy)",
            from.strftime("%Y-%m-%d %H:%M"),
            to.strftime("%Y-%m-%d %H:%M")
        );
        if columns.records() == 0 {
            return Err(format!(
                "no captured requests in {from_text} to compare with"
            ));
        }
        columns
            .into_reference(from_text)
            .ok_or_else(|| "the capture after the deploy has no values to compare with".to_string())
    }

    /// `reference` with the outputs after the deploy as its prediction baseline,
    /// when it has none and they can be read; else as it is.
    async fn with_outputs(
        &self,
        reference: Reference,
        outputs: Option<(Timestamp, Timestamp)>,
        budget: &mut u64,
    ) -> Reference {
        let Some((from, to)) = outputs.filter(|_| reference.prediction.is_none()) else {
            return reference;
        };
        match self.capture(from, to, budget).await {
            Ok(after) => Reference {
                prediction: after.prediction,
                ..reference
            },
            Err(_) => reference,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_from_data_captures_layout() {
        let p = "capture/churn/AllTraffic/";
        let t = hour_in("capture/churn/AllTraffic/2026/11/30/09/12-34-abc.jsonl", p).unwrap();
        assert_eq!(t.to_string(), "2026-11-30T09:00:00Z");
        assert_eq!(hour_path(t), "2026/11/30/09");
        assert!(hour_in("capture/churn/AllTraffic/2026/13/30/09/x.jsonl", p).is_none());
        assert!(hour_in("capture/churn/AllTraffic/readme.txt", p).is_none());
        assert!(hour_in("elsewhere/2026/11/30/09/x.jsonl", p).is_none());
    }
}
