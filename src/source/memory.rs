//! What a session leaves for the next, per account and region: each source's newest
//! facts, drawn at once when the dashboard starts again (marked stale, with their
//! age) while the first refresh runs, and the SageMaker descriptions that never
//! change. Kept under the platform cache dir; a file that cannot be read is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::disk::JsonFile;
use super::{SourceId, Update};
use crate::model::Fleet;

/// Bumped when the shape changes: an older file is then ignored, never misread.
const FORMAT: u32 = 1;
/// Five hundred models with three hours of charts are tens of megabytes.
const MAX_BYTES: u64 = 64 << 20;
/// Facts are written at most this often: a large fleet's are megabytes.
const WRITE_EVERY: Duration = Duration::from_secs(30);

/// The sources whose facts are remembered (Cost Explorer keeps its own cache).
fn remembered(source: SourceId) -> bool {
    matches!(
        source,
        SourceId::SageMaker | SourceId::CloudWatch | SourceId::S3 | SourceId::XRay
    )
}

/// The files of one account and region.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryDir(PathBuf);

impl MemoryDir {
    pub fn new(cache: &Path, account: &str, region: &str) -> MemoryDir {
        MemoryDir(cache.join(file_safe(account)).join(file_safe(region)))
    }

    /// The SageMaker source's descriptions.
    pub fn descriptions(&self) -> PathBuf {
        self.0.join("sagemaker.json")
    }

    /// Drift baselines and summaries of captured files read.
    pub fn captures(&self) -> PathBuf {
        self.0.join("capture.json")
    }

    /// The units team metrics are published with.
    pub fn units(&self) -> PathBuf {
        self.0.join("units.json")
    }

    fn facts(&self) -> JsonFile {
        JsonFile::new(self.0.join("fleet.json"), MAX_BYTES).versioned(FORMAT)
    }
}

/// Only what a file name can hold: an account id and a region name are.
fn file_safe(part: &str) -> String {
    let safe: String = part
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || c == '-' {
            true => c,
            false => '_',
        })
        .collect();
    match safe.is_empty() {
        true => "_".into(),
        false => safe,
    }
}

#[derive(Default, Serialize, Deserialize)]
struct Saved {
    parts: BTreeMap<SourceId, Part>,
}

#[derive(Serialize, Deserialize)]
struct Part {
    at: Timestamp,
    fleet: Fleet,
}

/// Passes every update from the sources to the app. Once `dir` is known (the
/// account answered), sends what the last session knew for each source that has not
/// answered yet, and from then on keeps each source's newest facts there.
pub async fn record(
    mut from_sources: mpsc::Receiver<Update>,
    to_app: mpsc::Sender<Update>,
    mut dir: watch::Receiver<Option<MemoryDir>>,
) {
    let mut file: Option<JsonFile> = None;
    let mut saved = Saved::default();
    // Sources that answered this session (in part or not), and those whose whole
    // answer came.
    let mut answered: BTreeSet<SourceId> = BTreeSet::new();
    let mut fresh: BTreeSet<SourceId> = BTreeSet::new();
    let mut due: Option<Instant> = None;
    let mut written: Option<Instant> = None;
    // False once no account can come (nothing to remember, only to pass on).
    let mut listening = true;
    loop {
        tokio::select! {
            changed = dir.changed(), if listening && file.is_none() => {
                if changed.is_err() {
                    listening = false;
                    continue;
                }
                let Some(known) = dir.borrow_and_update().clone() else {
                    continue;
                };
                let facts = known.facts();
                for (source, part) in past(&facts) {
                    if answered.contains(&source) {
                        continue;
                    }
                    let update = Update::Remembered {
                        source,
                        fleet: part.fleet.clone(),
                        at: part.at,
                    };
                    if to_app.send(update).await.is_err() {
                        return;
                    }
                    saved.parts.insert(source, part);
                }
                file = Some(facts);
            }
            // Nothing is written before the account is known.
            () = sleep_until(due), if due.is_some() && file.is_some() => {
                if let Some(f) = &file {
                    f.save(&saved);
                    written = Some(Instant::now());
                }
                due = None;
            }
            update = from_sources.recv() => {
                let Some(update) = update else { return };
                match &update {
                    Update::Fleet { source, fleet, at } => {
                        answered.insert(*source);
                        // Not a first look: only whole answers are kept.
                        let first = fresh.insert(*source);
                        if remembered(*source) {
                            let part = Part { at: *at, fleet: fleet.clone() };
                            saved.parts.insert(*source, part);
                            // A source's first facts at once (a short session leaves
                            // them too), then at most every WRITE_EVERY.
                            let next = match first {
                                true => Instant::now(),
                                false => written.map_or(Instant::now(), |w| w + WRITE_EVERY),
                            };
                            due = Some(due.map_or(next, |d| d.min(next)));
                        }
                    }
                    Update::Partial { source, .. } | Update::Failed { source, .. } => {
                        answered.insert(*source);
                    }
                    _ => {}
                }
                if to_app.send(update).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The facts a past session left (none when unreadable or of another version).
fn past(file: &JsonFile) -> BTreeMap<SourceId, Part> {
    file.load::<Saved>().map(|s| s.parts).unwrap_or_default()
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The account's directory once the account is known, waiting at most `wait` for it.
pub async fn dir_within(
    mut dir: watch::Receiver<Option<MemoryDir>>,
    wait: Duration,
) -> Option<MemoryDir> {
    let known = tokio::time::timeout(wait, dir.wait_for(Option::is_some)).await;
    known.ok()?.ok()?.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::demo::Simulator;

    fn demo_fleet() -> Fleet {
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        Simulator::new(7, at, 6).fleet_at(at)
    }

    #[test]
    fn a_whole_fleet_comes_back_as_it_was_saved() {
        let dir = tempfile::tempdir().unwrap();
        let file = MemoryDir::new(dir.path(), "123456789012", "us-east-1").facts();
        let fleet = demo_fleet();
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let mut saved = Saved::default();
        saved.parts.insert(
            SourceId::SageMaker,
            Part {
                at,
                fleet: fleet.clone(),
            },
        );
        file.save(&saved);
        let back = past(&file);
        let part = back.get(&SourceId::SageMaker).expect("read back");
        assert_eq!((part.at, &part.fleet), (at, &fleet));
    }

    #[test]
    fn names_from_aws_cannot_leave_the_cache_dir() {
        let dir = MemoryDir::new(Path::new("/c"), "../../etc", "");
        assert_eq!(
            dir.descriptions(),
            Path::new("/c/______etc/_/sagemaker.json")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_session_is_shown_only_where_this_one_has_not_answered() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = MemoryDir::new(tmp.path(), "123456789012", "eu-west-1");
        let old = Timestamp::from_second(1_800_000_000).unwrap();
        let mut saved = Saved::default();
        for source in [SourceId::SageMaker, SourceId::CloudWatch] {
            let part = Part {
                at: old,
                fleet: demo_fleet(),
            };
            saved.parts.insert(source, part);
        }
        dir.facts().save(&saved);

        let (to_recorder, from_sources) = mpsc::channel(8);
        let (to_app, mut app) = mpsc::channel(8);
        let (dir_tx, dir_rx) = watch::channel(None);
        tokio::spawn(record(from_sources, to_app, dir_rx));
        // CloudWatch answers before the account is known; SageMaker does not.
        let now = Timestamp::from_second(1_800_000_600).unwrap();
        let live = Update::Fleet {
            source: SourceId::CloudWatch,
            fleet: Fleet::default(),
            at: now,
        };
        to_recorder.send(live).await.unwrap();
        assert!(matches!(app.recv().await, Some(Update::Fleet { .. })));
        dir_tx.send_replace(Some(dir.clone()));
        match app.recv().await {
            Some(Update::Remembered { source, at, fleet }) => {
                assert_eq!((source, at), (SourceId::SageMaker, old));
                // Six models and the DR pair's secondary.
                assert_eq!(fleet.models.len(), 7);
            }
            other => panic!("expected SageMaker's memory, got {other:?}"),
        }
        // This session's facts are written at once, and kept with the memory of
        // the sources that have not answered.
        let sagemaker = Update::Fleet {
            source: SourceId::SageMaker,
            fleet: Fleet::default(),
            at: now,
        };
        to_recorder.send(sagemaker).await.unwrap();
        assert!(matches!(app.recv().await, Some(Update::Fleet { .. })));
        tokio::time::sleep(Duration::from_millis(10)).await;
        let written = past(&dir.facts());
        assert_eq!(written.get(&SourceId::SageMaker).map(|p| p.at), Some(now));
        assert!(written.values().all(|p| p.fleet.models.is_empty()));
    }
}
