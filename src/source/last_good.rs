//! The last good answer of each part of a source (a DAG, a service, a function, a
//! state machine, a model's runs) and when it was read: a part that cannot be read
//! this refresh shows it, marked stale since then, while the rest is fresh.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use jiff::Timestamp;

use crate::model::facts::StaleFacts;
use crate::model::stage::Stage;
use crate::source::aws::fan_out::lock;
use crate::source::SourceId;

/// Each part's last good answer, by key.
pub struct LastGood<K, V>(Mutex<HashMap<K, (Timestamp, V)>>);

impl<K, V> Default for LastGood<K, V> {
    fn default() -> Self {
        LastGood(Mutex::new(HashMap::new()))
    }
}

impl<K: Eq + Hash + Clone, V: Clone> LastGood<K, V> {
    /// This refresh's answer for `key`, kept; or, when it failed, the last good one
    /// (if any) with the mark that says why and since when, for `stages`.
    pub fn settle(
        &self,
        key: &K,
        answer: Result<V, String>,
        source: SourceId,
        stages: &[Stage],
    ) -> (Option<V>, Option<StaleFacts>) {
        match answer {
            Ok(value) => {
                lock(&self.0).insert(key.clone(), (Timestamp::now(), value.clone()));
                (Some(value), None)
            }
            Err(why) => {
                let last = self.last(key);
                let since = last.as_ref().map(|(at, _)| *at);
                let mark = StaleFacts::new(source, stages, why, since);
                (last.map(|(_, value)| value), Some(mark))
            }
        }
    }

    /// Keeps `value` as `key`'s, read at `at` (a part read only in part keeps the
    /// time of its older pieces).
    pub fn keep_at(&self, key: K, at: Timestamp, value: V) {
        lock(&self.0).insert(key, (at, value));
    }

    /// Forgets the parts no longer read (a deleted DAG, function or service).
    pub fn retain(&self, read: impl Fn(&K) -> bool) {
        lock(&self.0).retain(|key, _| read(key));
    }

    /// `key`'s last good answer and when it was read.
    pub fn last(&self, key: &K) -> Option<(Timestamp, V)> {
        lock(&self.0).get(key).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_part_shows_its_last_answer_marked_since_it_was_read() {
        let kept: LastGood<String, u32> = LastGood::default();
        let dag = "etl".to_string();
        let (never, mark) = kept.settle(
            &dag,
            Err("timed out".into()),
            SourceId::Airflow,
            &[Stage::Data],
        );
        assert_eq!(never, None);
        assert_eq!(mark.map(|m| m.since), Some(None));
        assert_eq!(
            kept.settle(&dag, Ok(7), SourceId::Airflow, &[Stage::Data]),
            (Some(7), None)
        );
        let read = kept.last(&dag).map(|(at, _)| at);
        let (last, mark) = kept.settle(&dag, Err("503".into()), SourceId::Airflow, &[Stage::Data]);
        assert_eq!(last, Some(7));
        let mark = mark.expect("a failed read is marked");
        assert_eq!(
            (mark.why.as_str(), mark.stages.as_slice()),
            ("503", &[Stage::Data][..])
        );
        assert_eq!(mark.since, read);
        assert!(read.is_some());
        kept.retain(|dag| dag != "etl");
        assert_eq!(kept.last(&dag), None, "a part no longer read is forgotten");
    }
}
