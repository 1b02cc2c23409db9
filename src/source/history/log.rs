//! An append-only log of timestamped records in hourly segment files, bounded in
//! days and bytes. Each record is framed `[length u32][crc32 u32][time i64][payload]`
//! (little-endian; the checksum covers time and payload), so a write torn by a crash
//! or a disk that filled up is found on the next open: the segment is cut back to its
//! last whole record, and at most that record is lost. One process writes a directory
//! (an advisory lock on `.lock`: two dashboards on one account in two tmux panes);
//! others only read it, and a reader never cuts a tail that may be a write under way.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use std::os::unix::fs::OpenOptionsExt;

use jiff::{SignedDuration, Timestamp};

use crate::config::files;

/// Bytes of framing before each payload.
const HEADER: u64 = 16;
/// A record larger than this is corruption, not a record.
pub const MAX_RECORD: u32 = 32 * 1024 * 1024;
/// The file whose lock says which process writes the directory.
const LOCK: &str = ".lock";

/// Where one record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: Timestamp,
    segment: PathBuf,
    offset: u64,
    len: u32,
    crc: u32,
}

/// How much history is kept.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub days: u32,
    pub max_bytes: u64,
}

pub struct Log {
    dir: PathBuf,
    entries: Vec<Entry>,
    /// Held while this process writes; None for a reader.
    lock: Option<File>,
}

/// Whether `e` says another process writes the directory.
pub fn is_busy(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
}

/// `2026-12-02T14.log`: the hour a record's time falls in, sortable by name.
fn segment_name(at: Timestamp) -> String {
    format!("{}.log", at.strftime("%Y-%m-%dT%H"))
}

impl Log {
    /// Opens (creating) the log in `dir` to write it, reading every segment's record
    /// frames and cutting a torn or corrupt tail off each. An error `is_busy` when
    /// another process writes it.
    pub fn open(dir: &Path) -> io::Result<Log> {
        files::own_dir(dir)?;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(files::FILE_MODE)
            .open(dir.join(LOCK))?;
        lock.try_lock().map_err(|e| match e {
            TryLockError::WouldBlock => io::Error::new(
                io::ErrorKind::WouldBlock,
                "another mlopsdash is recording here",
            ),
            TryLockError::Error(e) => e,
        })?;
        Ok(Log {
            dir: dir.to_path_buf(),
            entries: read_entries(dir, true)?,
            lock: Some(lock),
        })
    }

    /// Opens the log in `dir` to read it only, leaving every file as it is.
    pub fn read_only(dir: &Path) -> io::Result<Log> {
        Ok(Log {
            dir: dir.to_path_buf(),
            entries: read_entries(dir, false)?,
            lock: None,
        })
    }

    fn writable(&self) -> io::Result<()> {
        match self.lock {
            Some(_) => Ok(()),
            None => Err(io::Error::other("history opened to read only")),
        }
    }

    /// Every record, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Appends one record as a single write, then syncs it.
    pub fn append(&mut self, at: Timestamp, payload: &[u8]) -> io::Result<()> {
        self.writable()?;
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|l| *l <= MAX_RECORD)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "record too large"))?;
        let segment = self.dir.join(segment_name(at));
        let mut file = files::append_private(&segment)?;
        let offset = file.seek(SeekFrom::End(0))?;
        let crc = checksum(at, payload);
        let mut frame = Vec::with_capacity(HEADER as usize + payload.len());
        frame.extend_from_slice(&len.to_le_bytes());
        frame.extend_from_slice(&crc.to_le_bytes());
        frame.extend_from_slice(&at.as_second().to_le_bytes());
        frame.extend_from_slice(payload);
        file.write_all(&frame)?;
        file.sync_data()?;
        self.entries.push(Entry {
            at,
            segment,
            offset,
            len,
            crc,
        });
        Ok(())
    }

    /// One record's payload, checked again (the file may have changed since).
    pub fn read(&self, e: &Entry) -> io::Result<Vec<u8>> {
        let mut file = File::open(&e.segment)?;
        file.seek(SeekFrom::Start(e.offset + HEADER))?;
        let mut payload = vec![0; e.len as usize];
        file.read_exact(&mut payload)?;
        match checksum(e.at, &payload) == e.crc {
            true => Ok(payload),
            false => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "record changed on disk",
            )),
        }
    }

    /// Drops whole segments older than `days` before `now`, then the oldest until the
    /// log fits `max_bytes` (the newest segment always stays).
    pub fn prune(&mut self, bounds: Bounds, now: Timestamp) -> io::Result<()> {
        self.writable()?;
        let cutoff = now - SignedDuration::from_hours(24 * i64::from(bounds.days));
        let oldest_kept = segment_name(cutoff);
        let mut segments = self.segments()?;
        let mut total: u64 = segments.iter().map(|(_, size)| size).sum();
        let mut dropped = Vec::new();
        while segments.len() > 1 {
            let (path, size) = &segments[0];
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name >= oldest_kept.as_str() && total <= bounds.max_bytes {
                break;
            }
            fs::remove_file(path)?;
            total -= size;
            dropped.push(path.clone());
            segments.remove(0);
        }
        self.entries.retain(|e| !dropped.contains(&e.segment));
        Ok(())
    }

    /// Every segment and its size, oldest first.
    fn segments(&self) -> io::Result<Vec<(PathBuf, u64)>> {
        let mut out: Vec<(PathBuf, u64)> = fs::read_dir(&self.dir)?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
            .filter_map(|e| Some((e.path(), e.metadata().ok()?.len())))
            .collect();
        out.sort();
        Ok(out)
    }

    /// Bytes on disk.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.segments()?.iter().map(|(_, s)| s).sum())
    }
}

fn checksum(at: Timestamp, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&at.as_second().to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Every segment's whole records, oldest first (`cut`: a torn tail is cut off).
fn read_entries(dir: &Path, cut: bool) -> io::Result<Vec<Entry>> {
    let mut segments: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    segments.sort();
    let mut entries = Vec::new();
    for path in segments {
        entries.extend(scan(&path, cut)?);
    }
    // Records are appended in time order; a clock that went back must not make a
    // scrub jump around.
    entries.sort_by_key(|e| e.at);
    Ok(entries)
}

/// The whole records of one segment. A corrupt record is skipped and the whole
/// ones after it kept; a torn or corrupt tail is cut off the file when `cut` (only
/// the writer may: to a reader it may be a write under way).
fn scan(path: &Path, cut: bool) -> io::Result<Vec<Entry>> {
    let bytes = fs::read(path)?;
    let hour = hour_of(path);
    let mut entries = Vec::new();
    let mut at = 0usize;
    let mut next = 0usize;
    while next < bytes.len() {
        match frame_at(&bytes, next, path) {
            Some(e) => {
                next += HEADER as usize + e.len as usize;
                at = next;
                entries.push(e);
            }
            None => match resync(&bytes, next + 1, path, hour) {
                Some(found) => {
                    tracing::warn!(
                        "history {}: {} corrupt bytes skipped at offset {next}",
                        path.display(),
                        found - next
                    );
                    next = found;
                }
                None => break,
            },
        }
    }
    if cut && at < bytes.len() {
        tracing::warn!(
            "history {}: {} bytes after the last whole record cut off",
            path.display(),
            bytes.len() - at
        );
        OpenOptions::new()
            .write(true)
            .open(path)?
            .set_len(at as u64)?;
    }
    Ok(entries)
}

/// The hour a segment's name spells (`2026-12-02T14.log`), as seconds.
fn hour_of(path: &Path) -> Option<i64> {
    let stem = path.file_stem()?.to_str()?;
    let hour = jiff::civil::DateTime::strptime("%Y-%m-%dT%H", stem).ok()?;
    Some(
        hour.to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_second(),
    )
}

/// The offset of the next whole record from `from` on, past a corrupt one. A frame
/// must name a time near its segment's hour before its checksum is even computed,
/// so a search through a damaged segment stays cheap.
fn resync(bytes: &[u8], from: usize, path: &Path, hour: Option<i64>) -> Option<usize> {
    let near =
        |offset: usize| {
            let secs = bytes.get(offset + 8..offset + 16)?;
            let secs = i64::from_le_bytes(secs.try_into().ok()?);
            let day = 24 * 3600;
            Some(hour.is_none_or(|h| {
                (h.saturating_sub(day)..=h.saturating_add(2 * day)).contains(&secs)
            }))
        };
    (from..bytes.len()).find(|&o| near(o) == Some(true) && frame_at(bytes, o, path).is_some())
}

/// The record framed at `offset`, if it is whole and its checksum matches.
fn frame_at(bytes: &[u8], offset: usize, path: &Path) -> Option<Entry> {
    let header = bytes.get(offset..offset + HEADER as usize)?;
    let word = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().unwrap_or_default());
    let (len, crc) = (word(0), word(4));
    let secs = i64::from_le_bytes(header[8..16].try_into().ok()?);
    if len > MAX_RECORD {
        return None;
    }
    let start = offset + HEADER as usize;
    let payload = bytes.get(start..start + len as usize)?;
    let at = Timestamp::from_second(secs).ok()?;
    (checksum(at, payload) == crc).then(|| Entry {
        at,
        segment: path.to_path_buf(),
        offset: offset as u64,
        len,
        crc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn payloads(log: &Log) -> Vec<Vec<u8>> {
        log.entries().iter().map(|e| log.read(e).unwrap()).collect()
    }

    #[derive(Debug, Clone)]
    enum Step {
        Append(Vec<u8>),
        /// A crash mid-write: the newest segment cut at this fraction of its length
        /// past its last whole record (0 leaves it whole).
        Crash(u8),
        Corrupt(u16),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(Step::Append),
            1 => any::<u8>().prop_map(Step::Crash),
            1 => any::<u16>().prop_map(Step::Corrupt),
        ]
    }

    #[test]
    fn a_corrupt_record_is_skipped_and_the_good_ones_after_it_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        for (i, p) in [b"one", b"two", b"six"].iter().enumerate() {
            log.append(at(i as i64 * 60), *p).unwrap();
        }
        let middle = log.entries()[1].clone();
        drop(log);
        let mut bytes = fs::read(&middle.segment).unwrap();
        // Its length field and its payload both damaged.
        bytes[middle.offset as usize] ^= 0x40;
        bytes[(middle.offset + HEADER) as usize] ^= 0x01;
        fs::write(&middle.segment, &bytes).unwrap();
        let reader = Log::read_only(dir.path()).unwrap();
        assert_eq!(payloads(&reader), [b"one".to_vec(), b"six".to_vec()]);
        let mut writer = Log::open(dir.path()).unwrap();
        assert_eq!(payloads(&writer), [b"one".to_vec(), b"six".to_vec()]);
        // The writer left the file as it was (nothing after the last good record).
        assert_eq!(fs::read(&middle.segment).unwrap(), bytes);
        writer.append(at(240), b"ten").unwrap();
        drop(writer);
        assert_eq!(payloads(&Log::open(dir.path()).unwrap()).len(), 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever crashes and corruption happen, reopening yields whole records in
        /// the order written, every one intact, and appending goes on working.
        #[test]
        fn crashes_and_corruption_lose_at_most_the_damaged_tail(steps in proptest::collection::vec(step(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let mut written: Vec<Vec<u8>> = Vec::new();
            let mut t = 0;
            for s in steps {
                match s {
                    Step::Append(p) => {
                        // Every tenth record starts a new hour's segment.
                        t += if written.len() % 10 == 9 { 3600 } else { 60 };
                        let mut log = Log::open(dir.path()).unwrap();
                        log.append(at(t), &p).unwrap();
                        written.push(p);
                    }
                    Step::Crash(cut) => {
                        let Some(last) = Log::open(dir.path()).unwrap().entries().last().cloned() else { continue };
                        let whole = last.offset + HEADER + u64::from(last.len);
                        // A partial write of a next record: header and some bytes.
                        let junk = vec![0xAB; usize::from(cut) % 40];
                        let mut f = OpenOptions::new().append(true).open(&last.segment).unwrap();
                        f.write_all(&junk).unwrap();
                        prop_assert_eq!(f.metadata().unwrap().len(), whole + junk.len() as u64);
                    }
                    Step::Corrupt(byte) => {
                        let Some(last) = Log::open(dir.path()).unwrap().entries().last().cloned() else { continue };
                        let mut bytes = fs::read(&last.segment).unwrap();
                        let i = last.offset as usize + usize::from(byte) % (HEADER as usize + last.len as usize);
                        bytes[i] ^= 0x5A;
                        fs::write(&last.segment, bytes).unwrap();
                        // The damaged newest record is lost, nothing else.
                        written.pop();
                    }
                }
                let log = Log::open(dir.path()).unwrap();
                prop_assert_eq!(payloads(&log), written.clone());
            }
        }

        /// The bytes bound holds after pruning, and what is kept is the newest.
        #[test]
        fn pruning_keeps_the_newest_within_the_bound(n in 1usize..60, size in 10usize..400, max in 200u64..5000) {
            let dir = tempfile::tempdir().unwrap();
            let mut log = Log::open(dir.path()).unwrap();
            for i in 0..n {
                log.append(at(i as i64 * 1800), &vec![i as u8; size]).unwrap();
            }
            let now = at(n as i64 * 1800);
            log.prune(Bounds { days: 365, max_bytes: max }, now).unwrap();
            let segment = (2 * (HEADER as usize + size)) as u64;
            prop_assert!(log.size().unwrap() <= max.max(segment));
            let kept = payloads(&Log::read_only(dir.path()).unwrap());
            prop_assert!(!kept.is_empty());
            prop_assert_eq!(kept.last().unwrap()[..].first().copied(), (size > 0).then_some((n - 1) as u8));
        }
    }

    #[test]
    fn days_past_the_bound_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = Log::open(dir.path()).unwrap();
        for day in 0..10 {
            log.append(at(day * 86_400), b"x").unwrap();
        }
        let bounds = Bounds {
            days: 3,
            max_bytes: u64::MAX,
        };
        log.prune(bounds, at(9 * 86_400 + 60)).unwrap();
        let days: Vec<i64> = log
            .entries()
            .iter()
            .map(|e| (e.at.as_second() - 1_800_000_000) / 86_400)
            .collect();
        assert_eq!(days, [6, 7, 8, 9]);
        assert_eq!(Log::read_only(dir.path()).unwrap().entries().len(), 4);
    }

    #[test]
    fn one_process_writes_a_directory_and_readers_leave_its_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = Log::open(dir.path()).unwrap();
        writer.append(at(60), b"first").unwrap();
        let second = Log::open(dir.path()).err().unwrap();
        assert!(is_busy(&second), "{second}");
        // A write under way, as a reader may find it: not cut, not read.
        let segment = writer.entries()[0].segment.clone();
        let whole = fs::metadata(&segment).unwrap().len();
        OpenOptions::new()
            .append(true)
            .open(&segment)
            .unwrap()
            .write_all(&[7; 9])
            .unwrap();
        let mut reader = Log::read_only(dir.path()).unwrap();
        assert_eq!(payloads(&reader), [b"first".to_vec()]);
        assert_eq!(fs::metadata(&segment).unwrap().len(), whole + 9);
        assert!(reader.append(at(120), b"no").is_err());
        // The writer gone, the next one takes over and cuts the torn tail.
        drop(writer);
        let next = Log::open(dir.path()).unwrap();
        assert_eq!(payloads(&next), [b"first".to_vec()]);
        assert_eq!(fs::metadata(&segment).unwrap().len(), whole);
    }
}
