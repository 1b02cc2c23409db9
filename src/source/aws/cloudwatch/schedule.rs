//! Which models' metrics a CloudWatch refresh asks for: each model is watched as
//! on screen, in an incident or healthy (see `model::polling`), each class at the
//! pace the budget of any 24 hours allows; the others keep the series of their last fetch (each
//! fetch asks for the whole window, so charts stay whole, only older).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

use crate::aws::ApiCalls;
use crate::model::identity::Normaliser;
use crate::model::ledger::{Ledger, Spent};
use crate::model::metrics::Series;
use crate::model::polling::{self, Allowance, Attention, Demand, Pace, Watch};
use crate::model::pricing::{estimate, CLOUDWATCH_PER_METRIC as PER_METRIC, METRICS_REQUESTED};
use crate::model::units::Published;
use crate::model::{Alarm, AlarmState};

/// A model's series from its last fetch, when and at what watch it was made.
#[derive(Debug, Clone)]
pub struct Kept {
    pub at: Timestamp,
    watch: Watch,
    pub metrics: BTreeMap<String, Series>,
    pub published: BTreeMap<String, Published>,
}

/// A deploy is watched as closely as an incident for this long after.
const RECENT: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

pub struct Schedule {
    budget_per_day: f64,
    /// How names are stripped, as the app strips them for `Attention`.
    names: Normaliser,
    fast: Duration,
    attention: watch::Receiver<Attention>,
    /// Bumped when the user asks for a refresh: every model's metrics then.
    forced: watch::Receiver<u64>,
    kept: BTreeMap<String, Kept>,
    /// The session's spend over the last 24 hours.
    ledger: Ledger,
    /// Every model as if on screen and due whatever the pace (a snapshot asks
    /// once, for everything).
    all_on_screen: bool,
}

impl Schedule {
    pub fn new(budget_per_day: f64, fast: Duration) -> Schedule {
        Schedule {
            budget_per_day,
            names: Normaliser::default(),
            fast,
            attention: watch::channel(Attention::default()).1,
            forced: watch::channel(0).1,
            kept: BTreeMap::new(),
            ledger: Ledger::default(),
            all_on_screen: false,
        }
    }

    /// Follows what the app shows (its names stripped by `names`) and the user's
    /// refreshes.
    pub fn attending(
        mut self,
        attention: watch::Receiver<Attention>,
        names: Normaliser,
        forced: watch::Receiver<u64>,
    ) -> Schedule {
        self.attention = attention;
        self.names = names;
        self.forced = forced;
        self
    }

    /// Every model as if on screen: all its metrics, at the fast pace.
    pub fn show_everything(&mut self) {
        self.all_on_screen = true;
    }

    /// How closely each model is watched: on screen, in trouble (the app's health,
    /// one of its alarms not OK, or its endpoint changed within `RECENT`), else
    /// healthy.
    pub fn classify(
        &self,
        models: &[String],
        alarms: &[Alarm],
        changed: &BTreeMap<&str, Timestamp>,
        now: Timestamp,
    ) -> BTreeMap<String, Watch> {
        let attention = self.attention.borrow();
        let alarmed: BTreeSet<&str> = alarms
            .iter()
            .filter(|a| a.state != AlarmState::Ok)
            .filter_map(|a| a.model.as_deref())
            .collect();
        models
            .iter()
            .map(|m| {
                let key = self.names.key(m);
                let on_screen = self.all_on_screen || attention.focused.contains(&key);
                let watch = if on_screen {
                    Watch::Focused
                } else if attention.troubled.contains(&key)
                    || alarmed.contains(m.as_str())
                    || changed
                        .get(m.as_str())
                        .is_some_and(|at| now.duration_since(*at) < RECENT)
                {
                    Watch::Incident
                } else {
                    Watch::Healthy
                };
                (m.clone(), watch)
            })
            .collect()
    }

    /// What the session may still spend, from its requests at list prices.
    pub fn allowance(&mut self, calls: &ApiCalls, now: Timestamp) -> Allowance {
        let counts = calls.counts();
        let total: f64 = counts.iter().map(|(op, n)| estimate(op, *n)).sum();
        // What recurs at a steady pace beside metric data (alarms, S3 lists, X-Ray);
        // Cost Explorer is asked a few times a day, and is in the spend, not the pace.
        let recurring: f64 = counts
            .iter()
            .filter(|(op, _)| *op != METRICS_REQUESTED && !op.starts_with("Cost Explorer"))
            .map(|(op, n)| estimate(op, *n))
            .sum();
        let spent = Spent {
            at: now,
            total,
            recurring,
        };
        Allowance {
            budget_per_day: self.budget_per_day,
            window: self.ledger.window(spent, self.budget_per_day),
        }
    }

    /// The models whose metrics this refresh asks for: never fetched, due at their
    /// class's pace, watched more closely than when last fetched, or all of them
    /// when the user asked. The healthy spend at most an hour's share of the budget
    /// in one refresh (`metrics_of` each, the longest unasked first): a large
    /// fleet's first pass is spread over its first minutes, not paid at once.
    pub fn due(
        &mut self,
        watched: &BTreeMap<String, Watch>,
        metrics_of: &BTreeMap<&str, u64>,
        pace: &Pace,
        now: Timestamp,
    ) -> BTreeSet<String> {
        // A snapshot asks once for everything: a paused tier would leave it blind.
        if self.all_on_screen {
            return watched.keys().cloned().collect();
        }
        let forced = self.forced.has_changed().unwrap_or(false);
        self.forced.borrow_and_update();
        let due: Vec<(&String, &Watch)> = watched
            .iter()
            .filter(|(model, watch)| {
                let Some(every) = pace.of(**watch) else {
                    return false;
                };
                let Some(kept) = self.kept.get(*model) else {
                    return true;
                };
                let next = kept.at + jiff::SignedDuration::try_from(every).unwrap_or_default();
                forced || **watch < kept.watch || next <= now
            })
            .collect();
        let (mut healthy, closer): (Vec<_>, Vec<_>) =
            due.into_iter().partition(|(_, w)| **w == Watch::Healthy);
        let mut chosen: BTreeSet<String> = closer.into_iter().map(|(m, _)| m.clone()).collect();
        if forced {
            chosen.extend(healthy.into_iter().map(|(m, _)| m.clone()));
            return chosen;
        }
        healthy.sort_by_key(|(m, _)| self.kept.get(*m).map(|k| k.at));
        let share = self.budget_per_day / 24.0;
        let mut spent = 0.0;
        for (model, _) in healthy {
            let cost = metrics_of.get(model.as_str()).copied().unwrap_or(0) as f64 * PER_METRIC;
            if spent > 0.0 && spent + cost > share {
                break;
            }
            spent += cost;
            chosen.insert(model.clone());
        }
        chosen
    }

    /// Keeps what a fetch found for `model`.
    pub fn keep(
        &mut self,
        model: &str,
        watch: Watch,
        now: Timestamp,
        metrics: BTreeMap<String, Series>,
        published: BTreeMap<String, Published>,
    ) {
        self.kept.insert(
            model.to_string(),
            Kept {
                at: now,
                watch,
                metrics,
                published,
            },
        );
    }

    /// What is known of `model`'s metrics (None before its first fetch).
    pub fn kept(&self, model: &str) -> Option<&Kept> {
        self.kept.get(model)
    }

    /// Forgets models no longer watched.
    pub fn retain(&mut self, models: &[String]) {
        self.kept.retain(|m, _| models.contains(m));
    }

    pub fn pace(&self, demand: &Demand, allowance: &Allowance) -> Pace {
        polling::pace(demand, allowance, self.fast)
    }
}

/// Metrics per fetch in each class, and how many models are in it.
pub fn demand<'a>(
    watched: &BTreeMap<String, Watch>,
    planned_models: impl IntoIterator<Item = &'a str>,
) -> (Demand, [usize; 3]) {
    let mut metrics: Demand = [0; 3];
    for model in planned_models {
        if let Some(i) = watched.get(model).map(|w| w.index()) {
            if let Some(slot) = metrics.get_mut(i) {
                *slot += 1;
            }
        }
    }
    let mut models = [0usize; 3];
    for watch in watched.values() {
        if let Some(slot) = models.get_mut(watch.index()) {
            *slot += 1;
        }
    }
    (metrics, models)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(model: &str, state: AlarmState) -> Alarm {
        Alarm {
            name: format!("{model}-alarm"),
            state,
            reason: String::new(),
            since: Timestamp::UNIX_EPOCH,
            model: Some(model.into()),
            stage: None,
            scope: 0,
            notifies: None,
        }
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minute * 60).unwrap()
    }

    #[test]
    fn the_screen_trouble_and_alarms_decide_how_closely_a_model_is_watched() {
        // The app knows the rows as "shown-prod" and "warned-v2"; CloudWatch by
        // their bare names: the keys meet.
        let names = Normaliser::default();
        let (tx, attention) = watch::channel(Attention {
            focused: [names.key("shown-prod")].into(),
            troubled: [names.key("warned-v2")].into(),
        });
        let s = Schedule::new(0.10, Duration::from_secs(60)).attending(
            attention,
            names,
            watch::channel(0).1,
        );
        let models: Vec<String> = [
            "shown", "warned", "alarmed", "quiet", "ok-alarm", "deployed",
        ]
        .map(String::from)
        .to_vec();
        let alarms = [
            alarm("alarmed", AlarmState::Alarm),
            alarm("ok-alarm", AlarmState::Ok),
        ];
        let deployed = at(0) - jiff::SignedDuration::from_mins(20);
        let long_ago = at(0) - jiff::SignedDuration::from_hours(5);
        let changed = BTreeMap::from([("quiet", long_ago), ("deployed", deployed)]);
        let w = s.classify(&models, &alarms, &changed, at(0));
        assert_eq!(w["shown"], Watch::Focused);
        assert_eq!(w["warned"], Watch::Incident);
        assert_eq!(w["alarmed"], Watch::Incident);
        assert_eq!(w["quiet"], Watch::Healthy);
        assert_eq!(w["ok-alarm"], Watch::Healthy);
        assert_eq!(w["deployed"], Watch::Incident, "deployed 20 minutes ago");
        let later = s.classify(&models, &alarms, &changed, at(60));
        assert_eq!(later["deployed"], Watch::Healthy, "an hour and more after");
        tx.send_replace(Attention::default());
        assert_eq!(
            s.classify(&models, &alarms, &changed, at(0))["shown"],
            Watch::Healthy
        );
    }

    #[test]
    fn the_spend_of_the_last_24_hours_outlives_midnight() {
        let mut s = Schedule::new(0.10, Duration::from_secs(60));
        let calls = ApiCalls::default();
        calls.add_metrics_requested(1_000);
        let evening: Timestamp = "2026-12-01T23:00:00Z".parse().unwrap();
        let a = s.allowance(&calls, evening);
        assert!((a.window.spent - 0.01).abs() < 1e-12, "{a:?}");
        calls.add_metrics_requested(500);
        let after_midnight: Timestamp = "2026-12-02T00:10:00Z".parse().unwrap();
        let b = s.allowance(&calls, after_midnight);
        assert!((b.window.spent - 0.015).abs() < 1e-12, "{b:?}");
        let next_evening: Timestamp = "2026-12-02T23:05:00Z".parse().unwrap();
        let c = s.allowance(&calls, next_evening);
        assert!((c.window.spent - 0.005).abs() < 1e-12, "{c:?}");
    }

    #[test]
    fn a_model_is_due_when_new_at_its_pace_when_closer_watched_or_when_asked() {
        let (forced_tx, forced) = watch::channel(0);
        let mut s = Schedule::new(0.10, Duration::from_secs(60)).attending(
            watch::channel(Attention::default()).1,
            Normaliser::default(),
            forced,
        );
        let pace = Pace {
            every: [
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(60)),
                Some(Duration::from_secs(600)),
            ],
            tier_per_day: [0.0; 3],
            per_day: 0.0,
            slowed: None,
        };
        let watched: BTreeMap<String, Watch> = [
            ("a".to_string(), Watch::Healthy),
            ("b".to_string(), Watch::Healthy),
        ]
        .into();
        let none = BTreeMap::new();
        assert_eq!(
            s.due(&watched, &none, &pace, at(0)).len(),
            2,
            "never fetched"
        );
        for m in ["a", "b"] {
            s.keep(m, Watch::Healthy, at(0), BTreeMap::new(), BTreeMap::new());
        }
        assert!(
            s.due(&watched, &none, &pace, at(5)).is_empty(),
            "within its pace"
        );
        let troubled: BTreeMap<String, Watch> = [
            ("a".to_string(), Watch::Incident),
            ("b".to_string(), Watch::Healthy),
        ]
        .into();
        assert_eq!(
            s.due(&troubled, &none, &pace, at(5)),
            ["a".to_string()].into(),
            "closer watched than when last asked"
        );
        forced_tx.send_replace(1);
        assert_eq!(
            s.due(&watched, &none, &pace, at(6)).len(),
            2,
            "the user asked"
        );
        assert!(s.due(&watched, &none, &pace, at(7)).is_empty(), "once");
        assert_eq!(
            s.due(&watched, &none, &pace, at(10)).len(),
            2,
            "ten minutes on"
        );
        let paused = Pace {
            every: [None, None, None],
            ..pace
        };
        assert!(
            s.due(&watched, &none, &paused, at(60)).is_empty(),
            "paused by the budget"
        );
        s.show_everything();
        assert_eq!(
            s.due(&watched, &none, &paused, at(61)).len(),
            2,
            "a snapshot asks once, whatever the pace"
        );
    }

    #[test]
    fn a_large_fleets_first_pass_is_spread_an_hours_share_a_refresh() {
        let budget = 0.50;
        let mut s = Schedule::new(budget, Duration::from_secs(60));
        let names: Vec<String> = (0..1000).map(|i| format!("m{i:04}")).collect();
        let mut watched: BTreeMap<String, Watch> =
            names.iter().map(|m| (m.clone(), Watch::Healthy)).collect();
        watched.insert("paging".into(), Watch::Incident);
        let metrics_of: BTreeMap<&str, u64> = watched.keys().map(|m| (m.as_str(), 8)).collect();
        let (demand, _) = demand(&watched, metrics_of.keys().flat_map(|m| [*m; 8]));
        let allowance = Allowance {
            budget_per_day: budget,
            window: crate::model::ledger::Window::empty(budget, 0.0),
        };
        let pace = s.pace(&demand, &allowance);
        assert!(pace.of(Watch::Healthy).is_some(), "{pace:?}");
        let first = s.due(&watched, &metrics_of, &pace, at(0));
        // $0.50 / 24 at $0.01 per 1,000 metrics: 260 models of 8, and the incident.
        assert_eq!(first.len(), 261, "{}", first.len());
        assert!(first.contains("paging"), "an incident is never held back");
        for m in &first {
            s.keep(m, watched[m], at(0), BTreeMap::new(), BTreeMap::new());
        }
        let mut asked: BTreeSet<String> = first;
        for minute in 1..4 {
            let next = s.due(&watched, &metrics_of, &pace, at(minute));
            let healthy: BTreeSet<String> =
                next.iter().filter(|m| *m != "paging").cloned().collect();
            assert!(healthy.is_disjoint(&asked), "minute {minute}: asked again");
            for m in &next {
                s.keep(m, watched[m], at(minute), BTreeMap::new(), BTreeMap::new());
            }
            asked.extend(next);
        }
        assert_eq!(asked.len(), 1001, "the whole fleet within four refreshes");
    }
}
