//! The fleet's recorded past, per account and region: each refresh's joined facts
//! (at most one record a minute), deflated, in an append-only log bounded in days and
//! bytes (`log.rs`). A record carries only the metric points newer than the record
//! before it in the same session, so a day of minutes is not a day of three-hour
//! series; reading a moment back joins the points of the records before it.

mod log;

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

pub use log::{is_busy, Bounds};
use log::{Entry, Log};

use crate::config::HistoryConfig;
use crate::model::metrics::WINDOW_MINUTES;
use crate::model::Fleet;

/// A record's facts, inflated, are at most this large (a defence against a
/// corrupt or hostile file, not a limit a fleet meets).
const MAX_INFLATED: u64 = 256 * 1024 * 1024;
/// The shape of a record; another version's records are skipped, never misread.
const FORMAT: u32 = 1;
/// Prune after this many appends (and at open).
const PRUNE_EVERY: u32 = 30;

#[derive(Serialize, Deserialize)]
struct Recorded {
    format: u32,
    /// Whether its series are whole (the first record of a session) or only the
    /// points since the record before.
    whole: bool,
    fleet: Fleet,
}

pub struct History {
    log: Log,
    bounds: Bounds,
    /// At most one record this often: the scrub's resolution, and what a day costs.
    every: SignedDuration,
    /// This session's last record: the next one carries only newer points.
    last: Option<Timestamp>,
    appended: u32,
}

/// How often a record is taken at most.
pub fn every(config: &HistoryConfig) -> SignedDuration {
    SignedDuration::from_secs(i64::try_from(config.every_seconds).unwrap_or(60))
}

fn base(config: &HistoryConfig) -> Option<PathBuf> {
    match &config.dir {
        Some(d) => Some(d.clone()),
        None => Some(crate::config::paths::data_dir()?.join("history")),
    }
}

fn safe(s: &str) -> String {
    s.replace(['/', '\\', '.'], "_")
}

/// `<history dir>/<account>/<region>`: one past per place.
pub fn dir_for(config: &HistoryConfig, account: &str, region: &str) -> Option<PathBuf> {
    Some(base(config)?.join(safe(account)).join(safe(region)))
}

/// The account whose past in `region` was written last, without asking AWS who we
/// are (`--at` makes no call): the account, and its history dir.
pub fn latest_account(config: &HistoryConfig, region: &str) -> Option<(String, PathBuf)> {
    let entries = std::fs::read_dir(base(config)?).ok()?;
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let account = e.file_name().to_str()?.to_string();
            let dir = e.path().join(safe(region));
            let written = std::fs::metadata(&dir).ok()?.modified().ok()?;
            (account != "demo").then_some((written, account, dir))
        })
        .max()
        .map(|(_, account, dir)| (account, dir))
}

impl History {
    /// Opens `dir` to record into (pruning it); an error `is_busy` when another
    /// process records there.
    pub fn open(dir: &Path, config: &HistoryConfig) -> io::Result<History> {
        let mut history = History::with(Log::open(dir)?, config);
        history.log.prune(history.bounds, Timestamp::now())?;
        Ok(history)
    }

    /// Opens `dir` to read the records as they are now, whoever records there.
    pub fn read_only(dir: &Path, config: &HistoryConfig) -> io::Result<History> {
        Ok(History::with(Log::read_only(dir)?, config))
    }

    fn with(log: Log, config: &HistoryConfig) -> History {
        History {
            log,
            bounds: Bounds {
                days: config.days,
                max_bytes: config.max_mb.saturating_mul(1024 * 1024),
            },
            every: every(config),
            last: None,
            appended: 0,
        }
    }

    /// Records `fleet` as it was at `at`, unless the last record is too recent. Taken
    /// by value: its series are cut to what is new in place, not in a copy.
    pub fn record(&mut self, at: Timestamp, mut fleet: Fleet) -> io::Result<bool> {
        if self.last.is_some_and(|t| at.duration_since(t) < self.every) {
            return Ok(false);
        }
        if let Some(since) = self.last {
            for m in &mut fleet.models {
                for s in m.metrics.values_mut() {
                    s.points.retain(|(t, _)| *t > since);
                }
            }
        }
        let record = Recorded {
            format: FORMAT,
            whole: self.last.is_none(),
            fleet,
        };
        let mut deflate = DeflateEncoder::new(Vec::new(), Compression::fast());
        serde_json::to_writer(&mut deflate, &record).map_err(io::Error::other)?;
        let payload = deflate.finish()?;
        self.log.append(at, &payload)?;
        self.last = Some(at);
        self.appended += 1;
        if self.appended.is_multiple_of(PRUNE_EVERY) {
            self.log.prune(self.bounds, at)?;
        }
        Ok(true)
    }

    /// The fleet at `at`, or (when nothing is that old) the oldest record, if it is
    /// older than `from`: a step back from the newest minutes still lands somewhere.
    pub fn fleet_before(&self, at: Timestamp, from: Timestamp) -> Option<(Timestamp, Fleet)> {
        self.fleet_at(at).or_else(|| {
            let oldest = *self.times().first()?;
            (oldest < from).then(|| self.fleet_at(oldest)).flatten()
        })
    }

    /// When each record was taken, oldest first.
    pub fn times(&self) -> Vec<Timestamp> {
        self.log.entries().iter().map(|e| e.at).collect()
    }

    /// The fleet as recorded at or before `at`, with its charts' points joined from
    /// the records before it; None when nothing was recorded by then.
    pub fn fleet_at(&self, at: Timestamp) -> Option<(Timestamp, Fleet)> {
        let entries = self.log.entries();
        let newest = entries.iter().rposition(|e| e.at <= at)?;
        // A damaged record is skipped for the one before it.
        let (index, mut recorded) = (0..=newest)
            .rev()
            .find_map(|i| Some((i, self.load(&entries[i])?)))?;
        let when = entries[index].at;
        let window_start = when
            .saturating_sub(SignedDuration::from_mins(WINDOW_MINUTES))
            .unwrap_or(when);
        let mut whole = recorded.whole;
        for e in entries[..index].iter().rev() {
            if whole || e.at < window_start {
                break;
            }
            let Some(before) = self.load(e) else {
                break;
            };
            whole = before.whole;
            prepend_points(&mut recorded.fleet, &before.fleet, window_start);
        }
        Some((when, recorded.fleet))
    }

    fn load(&self, e: &Entry) -> Option<Recorded> {
        let bytes = self.log.read(e).ok()?;
        let mut json = Vec::new();
        DeflateDecoder::new(&bytes[..])
            .take(MAX_INFLATED)
            .read_to_end(&mut json)
            .ok()?;
        let r: Recorded = serde_json::from_slice(&json)
            .map_err(|why| tracing::warn!("history record at {} unreadable: {why}", e.at))
            .ok()?;
        (r.format == FORMAT).then_some(r)
    }

    /// Bytes on disk.
    pub fn size(&self) -> u64 {
        self.log.size().unwrap_or(0)
    }
}

/// Puts `before`'s points (newer than `from`) ahead of `fleet`'s, model by model and
/// metric by metric.
fn prepend_points(fleet: &mut Fleet, before: &Fleet, from: Timestamp) {
    for m in &mut fleet.models {
        let Some(old) = before.models.iter().find(|o| o.name == m.name) else {
            continue;
        };
        for (name, series) in &mut m.metrics {
            let Some(earlier) = old.metrics.get(name) else {
                continue;
            };
            let first = series.points.first().map(|p| p.0);
            let mut points: Vec<_> = earlier
                .points
                .iter()
                .filter(|(t, _)| *t > from && first.is_none_or(|f| *t < f))
                .copied()
                .collect();
            points.append(&mut series.points);
            series.points = points;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::ModelFacts;
    use crate::model::metrics::Series;

    fn at(mins: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + mins * 60).unwrap()
    }

    /// A fleet at minute `now` with one point a minute over the last three hours.
    fn fleet(now: i64) -> Fleet {
        let mut m = ModelFacts::named("rec");
        let points = (now - 179..=now).map(|i| (at(i), i as f64)).collect();
        m.metrics.insert("p99".into(), Series::new(points));
        Fleet {
            models: vec![m],
            ..Fleet::default()
        }
    }

    fn config(dir: &Path) -> HistoryConfig {
        HistoryConfig {
            dir: Some(dir.to_path_buf()),
            ..HistoryConfig::default()
        }
    }

    #[test]
    fn a_moment_back_has_its_whole_window_of_points_from_small_records() {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(dir.path(), &config(dir.path())).unwrap();
        for minute in 0..240 {
            h.record(at(minute), fleet(minute)).unwrap();
        }
        // Less than a minute later: not recorded.
        assert!(!h
            .record(at(239) + SignedDuration::from_secs(30), fleet(239))
            .unwrap());
        let (when, f) = h.fleet_at(at(200) + SignedDuration::from_secs(30)).unwrap();
        assert_eq!(when, at(200));
        let points = &f.models[0].metrics["p99"].points;
        assert_eq!(points.len(), 180, "{:?}", points.first());
        assert_eq!(points.first().unwrap().0, at(21));
        assert_eq!(points.last().unwrap(), &(at(200), 200.0));
        assert!(h.fleet_at(at(-1)).is_none());
        // Reopened (a new session), the past reads the same.
        drop(h);
        let h = History::open(dir.path(), &config(dir.path())).unwrap();
        assert_eq!(h.times().len(), 240);
        let (_, again) = h.fleet_at(at(200)).unwrap();
        assert_eq!(again, f);
        // Incremental records are small: far less than 240 whole windows.
        assert!(h.size() < 240 * 2_000, "{} bytes", h.size());
    }
}
