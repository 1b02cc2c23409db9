//! The states in S3: put a state then the pointer (a PUT replaces an object
//! whole, so a reader sees the old pointer or the new one, never half), read the
//! pointer conditionally (ETag / If-None-Match: an unchanged pointer is a 304 and
//! no body), and drop states past the retention.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use jiff::{SignedDuration, Timestamp};

use super::doc::{self, Pointer, MAX_POINTER, MAX_STORED};
use super::location::Location;
use crate::aws::errors::describe;
use crate::source::aws::s3::object::{client, read_bounded};
use crate::source::aws::ApiCalls;
use crate::source::pages::Pages;

/// At most this many listing pages (1,000 keys each) when pruning or looking back.
const LIST_PAGES: usize = 20;

#[derive(Clone)]
pub struct Store {
    client: Client,
    pub location: Location,
    /// To build a client for the bucket's own region (`locate`).
    sdk: aws_config::SdkConfig,
    calls: ApiCalls,
}

/// What the pointer said: a new one (with its ETag), or the same as last time.
pub enum Latest {
    Changed {
        pointer: Pointer,
        etag: Option<String>,
    },
    Unchanged,
}

impl Store {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls, location: Location) -> Store {
        Store {
            client: client(sdk, calls, None),
            location,
            sdk: sdk.clone(),
            calls: calls.clone(),
        }
    }

    /// The same store talking to the bucket's own region, which S3 names on any
    /// answer from another region: the team's bucket need not be where the fleet is.
    /// One HEAD of the pointer (allowed by s3:GetObject).
    pub async fn locate(self) -> Store {
        let answer = self
            .client
            .head_object()
            .bucket(&self.location.bucket)
            .key(self.location.latest())
            .send()
            .await;
        let named = answer.err().and_then(|e| {
            let r = e.raw_response()?;
            Some(r.headers().get("x-amz-bucket-region")?.to_string())
        });
        let here = self.sdk.region().map(|r| r.to_string());
        match named {
            Some(region) if Some(&region) != here.as_ref() => Store {
                client: client(&self.sdk, &self.calls, Some(region)),
                ..self
            },
            _ => self,
        }
    }

    /// Writes a state, then points `latest.json` at it.
    pub async fn put(&self, at: Timestamp, state: Vec<u8>) -> Result<Pointer, String> {
        let key = self.location.state_key(at);
        let bytes = state.len() as u64;
        self.client
            .put_object()
            .bucket(&self.location.bucket)
            .key(&key)
            .content_type("application/gzip")
            .body(ByteStream::from(state))
            .send()
            .await
            .map_err(|e| describe("s3:PutObject", &e))?;
        let pointer = Pointer {
            schema: doc::CURRENT,
            key,
            written_at: at,
            bytes,
        };
        self.client
            .put_object()
            .bucket(&self.location.bucket)
            .key(self.location.latest())
            .content_type("application/json")
            .cache_control("no-cache")
            .body(ByteStream::from(doc::encode_pointer(&pointer)))
            .send()
            .await
            .map_err(|e| describe("s3:PutObject", &e))?;
        Ok(pointer)
    }

    /// The pointer, unless its ETag is still `known`.
    pub async fn latest(&self, known: Option<&str>) -> Result<Latest, String> {
        let answer = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(self.location.latest())
            .set_if_none_match(known.map(str::to_string))
            .send()
            .await;
        let out = match answer {
            Ok(out) => out,
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 304) => {
                return Ok(Latest::Unchanged);
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Err(format!(
                    "no state at {} yet: is `mlopsdash collect --to {}` running?",
                    self.location.url(),
                    self.location.url()
                ));
            }
            Err(e) => return Err(describe("s3:GetObject", &e)),
        };
        let etag = out.e_tag().map(str::to_string);
        let bytes = read_bounded(out, MAX_POINTER, |n| doc::too_large(n, MAX_POINTER))
            .await
            .map_err(|why| format!("latest.json: {why}"))?;
        let pointer = doc::decode_pointer(&bytes, &self.location.states())
            .map_err(|why| format!("latest.json: {why}"))?;
        Ok(Latest::Changed { pointer, etag })
    }

    /// The state under `key`, read whole (bounded) and decoded.
    pub async fn state(&self, key: &str) -> Result<crate::model::collected::Collected, String> {
        let out = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| describe("s3:GetObject", &e))?;
        let bytes = read_bounded(out, MAX_STORED, |n| doc::too_large(n, MAX_STORED))
            .await
            .map_err(|why| format!("{key}: {why}"))?;
        doc::decode(&bytes, Timestamp::now()).map_err(|why| format!("{key}: {why}"))
    }

    /// The key of the newest state written at or before `at` (that day's or the
    /// day before's), by the time its key spells.
    pub async fn key_at(&self, at: Timestamp) -> Result<String, String> {
        let wanted = self.location.state_key(at);
        let day_before = at.checked_sub(SignedDuration::from_hours(24)).unwrap_or(at);
        for day in [at, day_before] {
            let key = self.location.state_key(day);
            let folder = key.rsplit_once('/').map_or(key.as_str(), |(f, _)| f);
            let listed = self.list(&format!("{folder}/")).await?;
            let best = listed
                .into_iter()
                .map(|(key, _)| key)
                .filter(|k| k.as_str() <= wanted.as_str())
                .max();
            if let Some(key) = best {
                return Ok(key);
            }
        }
        Err(format!(
            "no state written at or within a day before {at} under {}",
            self.location.states()
        ))
    }

    /// Deletes states written before `keep` ago; how many.
    pub async fn prune(&self, keep: SignedDuration, now: Timestamp) -> Result<usize, String> {
        let cutoff = now - keep;
        let old: Vec<String> = self
            .list(&self.location.states())
            .await?
            .into_iter()
            // The time its key spells (a copy keeps it), else when S3 last wrote it.
            .filter(|(key, written)| {
                let at = self.location.time_of(key).or(*written);
                at.is_some_and(|w| w < cutoff)
            })
            .map(|(key, _)| key)
            .collect();
        for batch in old.chunks(1000) {
            let objects = batch
                .iter()
                .filter_map(|k| {
                    aws_sdk_s3::types::ObjectIdentifier::builder()
                        .key(k)
                        .build()
                        .ok()
                })
                .collect();
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| e.to_string())?;
            self.client
                .delete_objects()
                .bucket(&self.location.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| describe("s3:DeleteObject", &e))?;
        }
        Ok(old.len())
    }
}

impl Store {
    /// Every key under `prefix` with when it was last written (at most
    /// `LIST_PAGES` pages of 1,000).
    async fn list(&self, prefix: &str) -> Result<Vec<(String, Option<Timestamp>)>, String> {
        let mut found = Vec::new();
        let mut token = None;
        let mut pages = Pages::capped("s3:ListBucket", LIST_PAGES);
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(&self.location.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(|e| describe("s3:ListBucket", &e))?;
            for o in page.contents() {
                let written = o
                    .last_modified()
                    .and_then(|t| Timestamp::from_second(t.secs()).ok());
                if let Some(key) = o.key() {
                    found.push((key.to_string(), written));
                }
            }
            token = pages.next(page.next_continuation_token())?;
            if token.is_none() {
                break;
            }
        }
        Ok(found)
    }
}
