//! The state document and its pointer as bytes. A state is untrusted input when
//! read: bounded before and after inflating, parsed with no panic on any bytes, and
//! refused with a clear line when a newer mlopsdash wrote it in a shape this one
//! cannot read.

use std::io::Read;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::collected::Collected;

/// The shape of states and pointers this mlopsdash writes. A newer minor adds keys
/// an older reader ignores; a newer major is refused.
pub const MAJOR: u32 = 1;
pub const MINOR: u32 = 0;
/// A state as stored (gzip) is at most this large.
pub const MAX_STORED: u64 = 32 * 1024 * 1024;
/// ... and at most this large inflated.
pub const MAX_INFLATED: u64 = 256 * 1024 * 1024;
/// A pointer is a few hundred bytes.
pub const MAX_POINTER: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schema {
    pub major: u32,
    #[serde(default)]
    pub minor: u32,
}

pub const CURRENT: Schema = Schema {
    major: MAJOR,
    minor: MINOR,
};

/// `latest.json`: which state is the newest, replaced after each is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pointer {
    pub schema: Schema,
    /// The state's key in the bucket.
    pub key: String,
    pub written_at: Timestamp,
    /// The state's size as stored.
    pub bytes: u64,
}

/// A state as written: the schema, the collected state, and the snapshot JSON for
/// readers other than mlopsdash (`jq` on a downloaded copy).
#[derive(Serialize)]
struct Written<'a> {
    schema: Schema,
    #[serde(flatten)]
    state: &'a Collected,
    snapshot: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct Header {
    schema: Schema,
}

/// The state, compressed, ready to put.
pub fn encode(state: &Collected, snapshot: &serde_json::Value) -> Result<Vec<u8>, String> {
    let written = Written {
        schema: CURRENT,
        state,
        snapshot,
    };
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    serde_json::to_writer(&mut gz, &written).map_err(|e| format!("state not encoded: {e}"))?;
    gz.finish()
        .map_err(|e| format!("state not compressed: {e}"))
}

pub fn encode_pointer(pointer: &Pointer) -> Vec<u8> {
    serde_json::to_vec_pretty(pointer).unwrap_or_default()
}

/// Scopes a state may hold (config's own bound on accounts × regions).
pub const MAX_SCOPES: usize = 32;
/// Feeds (sources × scopes), models per fleet, and items of any list.
pub const MAX_FEEDS: usize = 1_024;
pub const MAX_ITEMS: usize = 100_000;
/// Characters of any one string: names, reasons, messages.
pub const MAX_STRING: usize = 4_096;
/// How far ahead of this machine's clock a writer's clock may be.
const CLOCK_SKEW: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);

/// A stored state back, checked against `now` (see `vet`), or one line saying why
/// it cannot be read.
pub fn decode(stored: &[u8], now: Timestamp) -> Result<Collected, String> {
    if stored.len() as u64 > MAX_STORED {
        return Err(too_large(stored.len() as u64, MAX_STORED));
    }
    let mut json = Vec::new();
    GzDecoder::new(stored)
        .take(MAX_INFLATED + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("not a gzip-compressed state ({e})"))?;
    if json.len() as u64 > MAX_INFLATED {
        return Err(format!(
            "the state inflates past {} MiB: not one mlopsdash wrote",
            MAX_INFLATED >> 20
        ));
    }
    let mut value: serde_json::Value = serde_json::from_slice(&json).map_err(|e| malformed(&e))?;
    drop(json);
    let header: Header = serde_json::from_value(value.clone()).map_err(|e| malformed(&e))?;
    readable(header.schema)?;
    let clamped = bound_value(&mut value)?;
    if clamped > 0 {
        tracing::warn!(
            "collector's state: {clamped} strings longer than {MAX_STRING} characters cut"
        );
    }
    let state: Collected = serde_json::from_value(value).map_err(|e| malformed(&e))?;
    vet(state, now)
}

/// Every list of a state within `MAX_ITEMS` (else refused) and every string within
/// `MAX_STRING` characters (cut): nothing a writer of the bucket puts there can
/// grow the viewer's memory or screen without bound. How many strings were cut.
fn bound_value(v: &mut serde_json::Value) -> Result<usize, String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.chars().count() > MAX_STRING => {
            *s = s.chars().take(MAX_STRING).collect();
            Ok(1)
        }
        Value::Array(items) if items.len() > MAX_ITEMS => Err(format!(
            "a list of {} items, more than the {MAX_ITEMS} a state may hold: not one mlopsdash wrote",
            items.len()
        )),
        Value::Array(items) => items.iter_mut().map(bound_value).sum(),
        Value::Object(map) => map.values_mut().map(bound_value).sum(),
        _ => Ok(0),
    }
}

/// A state's own claims checked against this machine: written in the future it is
/// refused (a viewer would otherwise take no newer state until then); a feed dated
/// after the state is clamped to the state's time; scopes and feeds bounded.
fn vet(mut state: Collected, now: Timestamp) -> Result<Collected, String> {
    let latest = now.checked_add(CLOCK_SKEW).unwrap_or(now);
    if state.written_at > latest {
        return Err(format!(
            "written at {}, in the future (a clock ahead, or an altered state): refused",
            state.written_at
        ));
    }
    if state.scopes.len() > MAX_SCOPES {
        return Err(format!(
            "{} scopes, more than the {MAX_SCOPES} a collector watches: refused",
            state.scopes.len()
        ));
    }
    if state.feeds.len() > MAX_FEEDS {
        return Err(format!(
            "{} feeds, more than {MAX_FEEDS}: refused",
            state.feeds.len()
        ));
    }
    for f in &mut state.feeds {
        if let Some(at) = f.at.filter(|at| *at > state.written_at) {
            tracing::warn!("collector's state: a feed dated {at}, after the state; clamped");
            f.at = Some(state.written_at);
        }
    }
    Ok(state)
}

/// The pointer back, or why it cannot be read: it must name a key under `states`
/// (the location's states prefix), never an arbitrary object.
pub fn decode_pointer(bytes: &[u8], states: &str) -> Result<Pointer, String> {
    if bytes.len() as u64 > MAX_POINTER {
        return Err(too_large(bytes.len() as u64, MAX_POINTER));
    }
    let header: Header = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    readable(header.schema)?;
    let pointer: Pointer = serde_json::from_slice(bytes).map_err(|e| malformed(&e))?;
    if !pointer.key.starts_with(states) {
        return Err(format!(
            "the pointer names {:?}, not a state under {states}",
            pointer.key
        ));
    }
    Ok(pointer)
}

fn readable(schema: Schema) -> Result<(), String> {
    match schema.major {
        MAJOR => Ok(()),
        m if m > MAJOR => Err(format!(
            "written by a newer mlopsdash (state schema {m}.{}; this one reads {MAJOR}.x): upgrade mlopsdash",
            schema.minor
        )),
        m => Err(format!(
            "written by an older mlopsdash (state schema {m}.{}; this one reads {MAJOR}.x): upgrade the collector",
            schema.minor
        )),
    }
}

fn malformed(e: &serde_json::Error) -> String {
    format!("malformed state JSON ({e})")
}

/// A document over its bound, as the reader says it.
pub(super) fn too_large(bytes: u64, max: u64) -> String {
    format!(
        "{} bytes, more than the {} KiB a state may be: not one mlopsdash wrote",
        bytes,
        max >> 10
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::collected::{Collector, FeedState};
    use crate::model::facts::{Fleet, ModelFacts};
    use crate::model::update::SourceId;
    use std::io::Write;

    /// This machine's clock in the tests: a minute after the states were written.
    fn now() -> Timestamp {
        Timestamp::from_second(1_800_000_060).unwrap()
    }

    #[test]
    fn a_state_from_the_future_is_refused_and_its_feeds_and_strings_bounded() {
        let mut s = state(1);
        s.written_at = now() + jiff::SignedDuration::from_hours(2);
        let bytes = encode(&s, &serde_json::Value::Null).unwrap();
        let why = decode(&bytes, now()).unwrap_err();
        assert!(why.contains("in the future"), "{why}");
        let mut s = state(1);
        s.feeds[0].at = Some(now() + jiff::SignedDuration::from_hours(24 * 365));
        s.collector.errors = vec!["x".repeat(MAX_STRING * 3)];
        let back = decode(&encode(&s, &serde_json::Value::Null).unwrap(), now()).unwrap();
        assert_eq!(back.feeds[0].at, Some(s.written_at));
        assert_eq!(back.collector.errors[0].chars().count(), MAX_STRING);
        let mut s = state(1);
        s.scopes = vec![Default::default(); MAX_SCOPES + 1];
        let why = decode(&encode(&s, &serde_json::Value::Null).unwrap(), now()).unwrap_err();
        assert!(why.contains("scopes"), "{why}");
    }

    pub(crate) fn state(models: usize) -> Collected {
        let fleet = Fleet {
            models: (0..models)
                .map(|i| ModelFacts::named(&format!("m{i}")))
                .collect(),
            ..Fleet::default()
        };
        Collected {
            written_at: Timestamp::from_second(1_800_000_000).unwrap(),
            collector: Collector {
                version: "0.1.0".into(),
                region: Some("us-east-1".into()),
                account: Some("123456789012".into()),
                every_seconds: 60,
                ..Collector::default()
            },
            scopes: Vec::new(),
            intervals: [(SourceId::SageMaker, 60)].into(),
            feeds: vec![FeedState {
                source: SourceId::SageMaker,
                scope: 0,
                at: Some(Timestamp::from_second(1_799_999_990).unwrap()),
                why: None,
                fleet: Some(fleet),
            }],
            events: Vec::new(),
        }
    }

    #[test]
    fn a_state_reads_back_as_written() {
        let s = state(3);
        let bytes = encode(&s, &serde_json::json!({"models": []})).unwrap();
        assert_eq!(decode(&bytes, now()).unwrap(), s);
    }

    #[test]
    fn a_newer_major_is_refused_and_a_newer_minor_read() {
        let gz = |json: &str| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(json.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let newer = gz(r#"{"schema":{"major":2,"minor":1},"anything":"else"}"#);
        let why = decode(&newer, now()).unwrap_err();
        assert!(why.contains("newer mlopsdash (state schema 2.1"), "{why}");
        let s = state(1);
        let mut v = serde_json::to_value(&s).unwrap();
        v["schema"] = serde_json::json!({"major": 1, "minor": 7});
        v["a_key_from_later"] = serde_json::json!([1, 2]);
        assert_eq!(decode(&gz(&v.to_string()), now()).unwrap(), s);
    }

    #[test]
    fn corrupt_and_oversized_states_are_one_line_each() {
        assert!(decode(b"not gzip", now())
            .unwrap_err()
            .contains("not a gzip"));
        let bytes = encode(&state(1), &serde_json::Value::Null).unwrap();
        let cut = decode(&bytes[..bytes.len() / 2], now()).unwrap_err();
        assert!(!cut.contains('\n'), "{cut}");
        let huge = vec![0u8; usize::try_from(MAX_STORED).unwrap() + 1];
        assert!(decode(&huge, now()).unwrap_err().contains("more than"));
        // A small bomb: zeros that inflate past the bound.
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..=(MAX_INFLATED >> 20) {
            e.write_all(&zeros).unwrap();
        }
        let bomb = e.finish().unwrap();
        assert!(decode(&bomb, now()).unwrap_err().contains("inflates past"));
    }

    #[test]
    fn a_pointer_names_only_a_state() {
        let p = Pointer {
            schema: CURRENT,
            key: "team/states/2026-12-02/174411.500Z.json.gz".into(),
            written_at: Timestamp::from_second(1_800_000_000).unwrap(),
            bytes: 10,
        };
        assert_eq!(
            decode_pointer(&encode_pointer(&p), "team/states/").unwrap(),
            p
        );
        let elsewhere = Pointer {
            key: "secrets/keys.txt".into(),
            ..p
        };
        assert!(decode_pointer(&encode_pointer(&elsewhere), "team/states/").is_err());
        // Another team's states in the same bucket are not this prefix's.
        assert!(decode_pointer(&encode_pointer(&p), "other/states/").is_err());
        assert!(decode_pointer(b"{", "team/states/")
            .unwrap_err()
            .contains("malformed"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Any bytes, and any damage to a real state: an answer or one line, no panic.
        #[test]
        fn no_bytes_make_the_reader_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            let _ = decode(&bytes, now());
            let _ = decode_pointer(&bytes, "team/states/");
        }

        #[test]
        fn a_damaged_state_is_refused_or_read_never_misread(at in 0usize..4096, flip in 1u8..=255, cut in 0usize..4096) {
            let good = state(4);
            let mut bytes = encode(&good, &serde_json::Value::Null).unwrap();
            let i = at % bytes.len();
            bytes[i] ^= flip;
            bytes.truncate(bytes.len() - cut % bytes.len());
            // gzip's CRC catches a flipped byte of the payload.
            if let Ok(read) = decode(&bytes, now()) {
                proptest::prop_assert_eq!(read, good);
            }
        }

        /// Any JSON a newer writer could send: read, or refused with one line.
        #[test]
        fn any_json_value_is_read_or_refused_in_one_line(major in 0u32..5, extra in "[a-z]{0,12}") {
            let mut v = serde_json::to_value(state(2)).unwrap();
            v["schema"] = serde_json::json!({"major": major, "minor": 0});
            v[extra.as_str()] = serde_json::json!({"x": [1, "y", null]});
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(v.to_string().as_bytes()).unwrap();
            match decode(&e.finish().unwrap(), now()) {
                Ok(_) => proptest::prop_assert_eq!(major, MAJOR),
                Err(why) => proptest::prop_assert!(!why.contains('\n') && major != MAJOR || why.contains("malformed")),
            }
        }
    }
}
