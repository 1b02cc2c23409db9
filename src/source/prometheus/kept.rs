//! What a Prometheus source has read so far, so that a refresh asks only for the
//! minutes since the last.

use std::collections::BTreeMap;

use crate::model::metrics::{Series, WINDOW_MINUTES};
use crate::source::k8s::WorkloadTarget;

use super::STEP_SECONDS;

/// Where a canary revision's own series are kept, before the metric's name.
pub const CANARY: &str = "canary:";

/// The series read so far and up to when: a refresh asks only the minutes since
/// (AMP bills the samples each query processes: three hours asked every minute
/// processed 178 times the samples of the minute since, in the kube bench).
#[derive(Default)]
pub struct Kept {
    /// The last step read, while every query answered.
    until: Option<i64>,
    /// The workloads they are of: another set is read afresh.
    targets: Vec<WorkloadTarget>,
    pub series: BTreeMap<(String, String), Series>,
}

impl Kept {
    /// Where the next query starts: after the last step read, or (nothing kept, other
    /// workloads, a failure) the window's start, forgetting what was kept.
    pub fn start(&mut self, targets: &[WorkloadTarget], end: i64) -> i64 {
        let window = end - WINDOW_MINUTES * 60;
        match self.until {
            Some(until) if self.targets == targets && until >= window => until + STEP_SECONDS,
            _ => {
                *self = Kept {
                    targets: targets.to_vec(),
                    ..Kept::default()
                };
                window
            }
        }
    }

    /// `read` appended to what was kept, the window's older points dropped; `whole`:
    /// every query answered, so the next can start after `end`.
    pub fn take(
        &mut self,
        read: impl IntoIterator<Item = ((String, String), Series)>,
        end: i64,
        whole: bool,
    ) {
        for (key, series) in read {
            let kept = self.series.entry(key).or_default();
            let last = kept.latest().map(|(t, _)| t);
            kept.points.extend(
                series
                    .points
                    .into_iter()
                    .filter(|(t, _)| last.is_none_or(|l| *t > l)),
            );
        }
        let window = end - WINDOW_MINUTES * 60;
        for s in self.series.values_mut() {
            s.points.retain(|(t, _)| t.as_second() >= window);
        }
        self.until = whole.then_some(end);
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::model::k8s::WorkloadKind;

    fn target(name: &str) -> WorkloadTarget {
        WorkloadTarget {
            model: name.into(),
            kind: WorkloadKind::Deployment,
            namespace: "serving".into(),
            name: name.into(),
            canary: None,
        }
    }

    fn read(minutes: &[i64], end: i64) -> Vec<((String, String), Series)> {
        let points = minutes
            .iter()
            .map(|m| (Timestamp::from_second(end - m * 60).unwrap(), *m as f64))
            .collect();
        vec![(("a".into(), "Invocations".into()), Series::new(points))]
    }

    const END: i64 = 1_800_000_000;

    #[test]
    fn the_first_refresh_asks_the_whole_window_and_the_next_only_the_minutes_since() {
        let mut kept = Kept::default();
        let targets = [target("a")];
        assert_eq!(kept.start(&targets, END), END - WINDOW_MINUTES * 60);
        kept.take(read(&[2, 1, 0], END), END, true);
        let later = END + 120;
        assert_eq!(kept.start(&targets, later), END + STEP_SECONDS);
        // The minute at `END` again (a server's last point moves) is not doubled.
        kept.take(read(&[2, 1, 0], later), later, true);
        let points = &kept.series[&("a".to_string(), "Invocations".to_string())].points;
        assert_eq!(points.len(), 5, "{points:?}");
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn points_older_than_the_window_are_dropped() {
        let mut kept = Kept::default();
        kept.start(&[target("a")], END);
        kept.take(read(&[WINDOW_MINUTES, 1, 0], END), END, true);
        kept.take(Vec::new(), END + 60, true);
        let points = &kept.series[&("a".to_string(), "Invocations".to_string())].points;
        assert_eq!(points.len(), 2);
    }

    #[test]
    fn a_failed_query_other_workloads_or_a_long_pause_read_the_window_afresh() {
        let window = |end: i64| end - WINDOW_MINUTES * 60;
        let mut kept = Kept::default();
        kept.start(&[target("a")], END);
        kept.take(read(&[0], END), END, false);
        assert_eq!(kept.start(&[target("a")], END + 60), window(END + 60));
        assert!(kept.series.is_empty(), "what was kept is forgotten");

        kept.take(read(&[0], END + 60), END + 60, true);
        assert_eq!(kept.start(&[target("b")], END + 120), window(END + 120));

        kept.take(read(&[0], END + 120), END + 120, true);
        let much_later = END + 120 + (WINDOW_MINUTES + 1) * 60;
        assert_eq!(kept.start(&[target("b")], much_later), window(much_later));
    }
}
