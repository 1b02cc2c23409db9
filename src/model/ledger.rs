//! The session's AWS spend over time, enough to hold a budget in any 24 hours (not
//! per calendar day, which lets a session spend two days' budgets around midnight
//! and paces a session by the hour it was started). Pure.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

/// The window every budget is held over.
pub const WINDOW: SignedDuration = SignedDuration::from_hours(24);
/// One sample a minute at most: a day is at most 1,441 of them.
const SAMPLE_EVERY: SignedDuration = SignedDuration::from_mins(1);
/// A start's one-off listings are spread over at least this, not taken as a pace.
const PACE_OVER_AT_LEAST: f64 = 3_600.0;

/// What the session had spent by a moment, at list prices: all of it, and the
/// part that recurs at a steady pace beside metric data (alarms, S3 lists, …).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spent {
    pub at: Timestamp,
    pub total: f64,
    pub recurring: f64,
}

/// The samples, oldest first, back to the last one at or before 24 hours ago, and
/// the newest one dropped from the front (a clock stepped back still counts from
/// it, not from the session's start).
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    samples: VecDeque<Spent>,
    dropped: Option<Spent>,
}

/// What the last 24 hours spent, and what the next 24 may still spend.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub spent: f64,
    /// (seconds from now, dollars): within that many seconds the session may spend
    /// at most that much more, since what it spent within the window stays in it
    /// until it is 24 hours old. The last entry is the whole window ahead.
    pub room: Vec<(f64, f64)>,
    /// What everything but metric data costs per second, at its recent pace.
    pub others_per_second: f64,
}

impl Ledger {
    /// Notes the spend at `now`, and what the window then holds for `budget`.
    pub fn window(&mut self, now: Spent, budget: f64) -> Window {
        // A clock stepped back: samples "ahead" of now are forgotten (the spend they
        // hold is still in `now.total`, so the window only counts more).
        while self.samples.back().is_some_and(|last| last.at > now.at) {
            self.samples.pop_back();
        }
        if self
            .samples
            .back()
            .is_none_or(|last| now.at.duration_since(last.at) >= SAMPLE_EVERY)
        {
            self.samples.push_back(now);
        }
        let start = now.at - WINDOW;
        while self.samples.get(1).is_some_and(|s| s.at <= start) {
            self.dropped = self.samples.pop_front();
        }
        // Spent by the window's start: the session spent nothing before its first
        // sample, so what came before that stays in view until it is a day old.
        let before = self
            .samples
            .front()
            .filter(|s| s.at <= start)
            .or(self.dropped.as_ref());
        let mut by = before.map_or(0.0, |s| s.total);
        let mut room = Vec::new();
        for s in self.samples.iter().filter(|s| s.at > start) {
            // Until this sample's moment leaves the window, all after `by` is in it.
            let leaves = s.at.duration_since(start).as_secs_f64();
            room.push((leaves, budget - (now.total - by)));
            by = s.total;
        }
        room.push((WINDOW.as_secs_f64(), budget - (now.total - by)));
        // The recent pace of what recurs: over the window, or since the first sample.
        let first = before.or(self.samples.front()).copied().unwrap_or(now);
        let over = now.at.duration_since(first.at).as_secs_f64();
        Window {
            spent: now.total - before.map_or(0.0, |s| s.total),
            room,
            others_per_second: (now.recurring - first.recurring).max(0.0)
                / over.max(PACE_OVER_AT_LEAST),
        }
    }
}

impl Window {
    /// A window with nothing spent in it.
    pub fn empty(budget: f64, others_per_second: f64) -> Window {
        Window {
            spent: 0.0,
            room: vec![(WINDOW.as_secs_f64(), budget)],
            others_per_second,
        }
    }

    /// The fastest the session may spend from now on, dollars a second, when
    /// `lumps` may be spent at once besides (a fetch is paid whole when it is made):
    /// no 24 hours then spend more than the budget.
    pub fn rate(&self, lumps: f64) -> f64 {
        self.room
            .iter()
            .map(|(seconds, dollars)| (dollars - lumps) / seconds.max(1.0))
            .fold(f64::INFINITY, f64::min)
            .max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn spent(when: &str, total: f64) -> Spent {
        Spent {
            at: at(when),
            total,
            recurring: 0.0,
        }
    }

    #[test]
    fn what_was_spent_leaves_the_window_a_day_later_not_at_midnight() {
        let mut ledger = Ledger::default();
        let w = ledger.window(spent("2026-12-01T23:00:00Z", 0.06), 0.10);
        assert!((w.spent - 0.06).abs() < 1e-12);
        // The $0.06 stays in view until 23:00 the next day: until then only $0.04
        // more, whatever the calendar says.
        assert!((w.rate(0.0) - 0.04 / 86_400.0).abs() < 1e-15, "{w:?}");
        let w = ledger.window(spent("2026-12-02T00:30:00Z", 0.07), 0.10);
        assert!((w.spent - 0.07).abs() < 1e-12, "midnight forgets nothing");
        let w = ledger.window(spent("2026-12-02T23:00:01Z", 0.09), 0.10);
        assert!((w.spent - 0.03).abs() < 1e-12, "{w:?}");
        assert!(w.rate(0.0) > 0.04 / 86_400.0);
    }

    #[test]
    fn a_lump_paid_now_counts_against_every_window_ahead() {
        let w = Window::empty(0.10, 0.0);
        assert!((w.rate(0.0) - 0.10 / 86_400.0).abs() < 1e-15);
        assert!((w.rate(0.04) - 0.06 / 86_400.0).abs() < 1e-15);
        assert_eq!(w.rate(0.2), 0.0);
    }

    #[test]
    fn the_ledger_keeps_a_day_of_samples_a_minute_apart() {
        let mut ledger = Ledger::default();
        let start = at("2026-12-01T00:00:00Z");
        for second in (0..3 * 86_400).step_by(20) {
            let now = Spent {
                at: start + SignedDuration::from_secs(second),
                total: second as f64 * 1e-7,
                recurring: second as f64 * 1e-7,
            };
            let w = ledger.window(now, 1.0);
            // Counted from the last sample at or before the window's start: at most
            // a minute more than the 24 hours, never less.
            assert!(
                w.spent >= 86_400.0 * 1e-7 - 1e-9 || second < 86_400,
                "{}",
                w.spent
            );
            assert!(w.spent <= 86_460.0 * 1e-7 + 1e-9, "{}", w.spent);
        }
        assert!(ledger.samples.len() <= 1_442, "{}", ledger.samples.len());
        let w = ledger.window(
            Spent {
                at: start + SignedDuration::from_hours(72),
                total: 3.0 * 86_400.0 * 1e-7,
                recurring: 3.0 * 86_400.0 * 1e-7,
            },
            1.0,
        );
        assert!((w.others_per_second - 1e-7).abs() < 1e-10, "{w:?}");
    }

    #[test]
    fn a_clock_stepped_back_counts_the_same_window_not_the_whole_session() {
        let mut ledger = Ledger::default();
        let start = at("2026-12-01T00:00:00Z");
        let minute = |m: i64| Spent {
            at: start + SignedDuration::from_mins(m),
            total: m as f64 * 1e-4,
            recurring: 0.0,
        };
        for m in 0..3 * 1440 {
            ledger.window(minute(m), 1.0);
        }
        let ahead = ledger.window(minute(3 * 1440), 1.0);
        let mut back = minute(3 * 1440 - 5);
        back.total = minute(3 * 1440).total;
        let stepped = ledger.window(back, 1.0);
        assert!(stepped.spent >= ahead.spent, "{stepped:?}");
        assert!(
            stepped.spent < ahead.spent + 0.01,
            "{stepped:?} vs {ahead:?}"
        );
        assert!(stepped.rate(0.0) > 0.0);
    }
}
