//! Drift from an endpoint's captured traffic, for every account (Model Monitor is
//! closed to new customers; Data Capture is not). SageMaker writes
//! `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl`, so keys sort by
//! time: one listing per variant from the window's first hour finds the files.
//! Each file is read once and kept as a tiny summary in the baseline's bins; the
//! bytes read per refresh are bounded, newest files first.

mod objects;
mod parse;
pub(crate) mod reference;
mod statistics;

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::config::{DriftConfig, S3Location};
use crate::model::captured::{CapturedDrift, DriftSample, FeatureDrift};
pub use objects::Reading;
use objects::{hour_of, list, object_reference, read, Listed};
use reference::{FileSummary, Reference};

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

    /// "s3://bucket/prefix/endpoint/". A location given at the endpoint's own folder
    /// (what the S3 console shows) rather than the capture destination above it is
    /// taken as that folder.
    fn endpoint_prefix(&self) -> S3Location {
        let given = self.capture.prefix.trim_end_matches('/');
        let at_endpoint = given
            .rsplit('/')
            .next()
            .is_some_and(|last| last == self.endpoint);
        let base = match at_endpoint {
            true => given.rsplit_once('/').map_or("", |(parent, _)| parent),
            false => given,
        };
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
        let window = settings.window();
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
                        // What was read, not what the listing said (it may be old).
                        let read = file.size.max(text.len() as u64);
                        budget = budget.saturating_sub(read.min(budget));
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
        let window = settings.window();
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
            Ok(mut r) => {
                // Reached with a training channel only when it was declined: say why.
                if let (Some(_), Some((_, why))) = (&target.training_data, &self.declined) {
                    r.from = format!("{} (not the training channel: {why})", r.from);
                }
                Baseline::Made(r)
            }
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
        let window_hours = settings.window_hours;
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
                    capture,
                    waiting,
                    unread_files: unread,
                    ..CapturedDrift::empty(method, window_hours)
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
        // Where it looked, and the layout it expects: a wrong path is visible.
        let waiting = (sample.current == 0).then(|| {
            format!(
                "no captured requests in the last {window_hours} h under {capture} \
                 (expected <destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl)"
            )
        });
        CapturedDrift {
            method,
            features,
            prediction,
            sample,
            baseline: reference.from.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_at_the_endpoints_folder_is_the_destination_above_it() {
        let target = |prefix: &str| Target {
            model: "churn".into(),
            capture: S3Location {
                bucket: "ml-capture".into(),
                prefix: prefix.into(),
            },
            endpoint: "churn-prod".into(),
            variants: vec!["AllTraffic".into()],
            baseline: None,
            training_data: None,
            deployed: None,
            features: Vec::new(),
        };
        for given in [
            "datacapture/",
            "datacapture",
            "datacapture/churn-prod/",
            "datacapture/churn-prod",
        ] {
            assert_eq!(
                target(given).variant_prefix("AllTraffic").to_string(),
                "s3://ml-capture/datacapture/churn-prod/AllTraffic/",
                "{given}"
            );
        }
        assert_eq!(
            target("churn-prod/").endpoint_prefix().to_string(),
            "s3://ml-capture/churn-prod/"
        );
        assert_eq!(
            target("").endpoint_prefix().to_string(),
            "s3://ml-capture/churn-prod/"
        );
    }
}
