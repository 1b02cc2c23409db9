//! Data Capture's objects in S3: the files of an hour range listed in one paged
//! listing (keys sort by time), objects read within a byte bound, and the
//! captured traffic or a baseline object made into a reference.

use aws_sdk_s3::Client;
use jiff::Timestamp;

use super::parse;
use super::reference::{self, Columns, Reference};
use super::{variants, Target};
use crate::aws::errors::describe;
use crate::config::S3Location;

/// One captured file listed: key, size, the hour its path names.
pub(super) struct Listed {
    pub key: String,
    pub size: u64,
    pub hour: Timestamp,
}

/// The start of `t`'s hour.
pub(super) fn hour_of(t: Timestamp) -> Timestamp {
    let hour = jiff::TimestampRound::new()
        .smallest(jiff::Unit::Hour)
        .mode(jiff::RoundMode::Trunc);
    t.round(hour).unwrap_or(t)
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
pub(super) async fn list(
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
pub(super) async fn read(
    client: &Client,
    at: &S3Location,
    size: u64,
    limit: u64,
) -> Result<String, String> {
    let mut get = client.get_object().bucket(&at.bucket).key(&at.prefix);
    let cut = size > limit;
    if cut {
        get = get.range(format!("bytes=0-{}", limit.saturating_sub(1)));
    }
    let object = get
        .send()
        .await
        .map_err(|e| format!("{at}: {}", describe("s3:GetObject", &e)))?;
    // Never more than the limit, whatever the listing said or the range did.
    let (bytes, more) = super::super::object::read_prefix(object, limit)
        .await
        .map_err(|e| format!("{at}: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(match cut || more {
        true => text
            .rsplit_once('\n')
            .map_or("", |(whole, _)| whole)
            .to_string(),
        false => text.into_owned(),
    })
}

/// A baseline object: Model Monitor statistics when it reads as them, else a
/// training-data sample (CSV with a header, or JSON lines), bounded by `budget`.
pub(super) async fn object_reference(
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
    let statistics =
        || super::statistics::statistics(&text, format!("Model Monitor statistics {from}"));
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
    pub(super) async fn capture(
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
    pub(super) async fn with_outputs(
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
