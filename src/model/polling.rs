//! How often each model's metrics are asked for, under a spend budget that holds in
//! any 24 hours.
//! GetMetricData is billed per metric requested, so metrics are the session's cost;
//! alarms (billed per request) and SageMaker's control plane (free) are asked every
//! fast interval whatever happens here, so an alarm, an endpoint leaving InService
//! or a failed job shows within it. Pure: the CloudWatch source asks it each refresh.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::ledger::Window;
use super::pricing::CLOUDWATCH_PER_METRIC as PER_METRIC;

/// What the dashboard is looking at: the model open in the detail view, and the
/// models whose health is warn or crit. Sent by the app to the CloudWatch source.
/// Each model goes by every name it has, stripped of affixes (`Normaliser::key`):
/// CloudWatch may know a row by another of its names (a metric's `ModelName`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    pub focused: BTreeSet<String>,
    pub troubled: BTreeSet<String>,
}

/// How closely a model's metrics are watched, closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Watch {
    /// Open in the detail view: every metric, every fast interval.
    Focused,
    /// Warn or crit, an alarm not OK, or deployed within the last hour.
    Incident,
    /// Everything else: the fleet view's few series, every few minutes, and at least
    /// every `SLOWEST` while the budget can pay for that.
    Healthy,
}

impl Watch {
    pub const ALL: [Watch; 3] = [Watch::Focused, Watch::Incident, Watch::Healthy];

    /// Its place in `ALL`, and in every per-class array.
    pub fn index(self) -> usize {
        match self {
            Watch::Focused => 0,
            Watch::Incident => 1,
            Watch::Healthy => 2,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Watch::Focused => "on screen",
            Watch::Incident => "incident",
            Watch::Healthy => "healthy",
        }
    }

    /// The interval when the budget allows it.
    pub fn preferred(self, fast: Duration) -> Duration {
        match self {
            Watch::Focused | Watch::Incident => fast,
            Watch::Healthy => HEALTHY.max(fast),
        }
    }
}

/// Healthy models' metrics, when the budget allows: charts at one-minute points
/// stay complete (each request asks for the whole window), only later.
pub const HEALTHY: Duration = Duration::from_secs(600);
/// Beyond this a tier is paused until the budget allows it again.
pub const SLOWEST: Duration = Duration::from_secs(6 * 3600);

/// What the session may still spend: the budget of any 24 hours, and what the last
/// 24 hours spent.
#[derive(Debug, Clone, PartialEq)]
pub struct Allowance {
    pub budget_per_day: f64,
    pub window: Window,
}

/// Metrics per fetch of each tier, in `Watch::ALL`'s order.
pub type Demand = [u64; 3];

/// Each tier's interval (None: paused by the budget) and what it costs a day at
/// that interval, what the whole day will cost at this pace, and why polling is
/// slower than preferred, when it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Pace {
    pub every: [Option<Duration>; 3],
    pub tier_per_day: [f64; 3],
    pub per_day: f64,
    pub slowed: Option<String>,
}

impl Pace {
    pub fn of(&self, watch: Watch) -> Option<Duration> {
        self.every.get(watch.index()).copied().flatten()
    }

    /// What the session's polling costs: this pace for `demand` (metrics per fetch)
    /// over `models` (models per class), within `allowance`.
    pub fn spending(
        &self,
        allowance: &Allowance,
        demand: &Demand,
        models: &[usize; 3],
    ) -> Spending {
        let tiers = Watch::ALL
            .iter()
            .map(|watch| {
                let i = watch.index();
                Tier {
                    watch: *watch,
                    models: models.get(i).copied().unwrap_or(0),
                    metrics: demand.get(i).copied().unwrap_or(0),
                    every_seconds: self.of(*watch).map(|e| e.as_secs()),
                    per_day: self.tier_per_day.get(i).copied().unwrap_or(0.0),
                }
            })
            .collect();
        Spending {
            budget_per_day: allowance.budget_per_day,
            spent_last_24h: allowance.window.spent,
            projected_per_day: self.per_day,
            tiers,
            slowed: self.slowed.clone(),
        }
    }
}

/// Shares what the budget leaves among the tiers, closest watched first: each gets
/// its preferred interval if no 24 hours ahead would then spend more than the
/// budget, else the fastest that keeps them within it, else it pauses.
pub fn pace(demand: &Demand, allowance: &Allowance, fast: Duration) -> Pace {
    let window = &allowance.window;
    let others = window.others_per_second;
    // A fetch is paid whole when it is made: never one the window cannot pay for,
    // and each one made counts against every window ahead (`lumps`).
    let mut money_left = (allowance.budget_per_day - window.spent).max(0.0);
    let mut lumps = 0.0;
    let mut committed = others;
    let rate_left = |lumps: f64, committed: f64| (window.rate(lumps) - committed).max(0.0);
    let mut every = [None; 3];
    let mut tier_per_day = [0.0; 3];
    let mut slowed = Vec::new();
    let mut metric_rate = 0.0;
    // The healthy keep a floor (a fetch every SLOWEST) before an incident takes the
    // rest: a long incident must not blind the dashboard to every other model.
    let floor = demand.get(2).map_or(0.0, |m| *m as f64 * PER_METRIC);
    let floor_rate = floor / SLOWEST.as_secs_f64();
    let reserved = floor <= money_left && floor_rate <= rate_left(floor, committed);
    if reserved {
        (lumps, committed, money_left) =
            (lumps + floor, committed + floor_rate, money_left - floor);
    }
    for ((watch, metrics), (slot, cost)) in Watch::ALL
        .iter()
        .zip(demand)
        .zip(every.iter_mut().zip(&mut tier_per_day))
    {
        if *watch == Watch::Healthy && reserved {
            // Give the floor back: the healthy tier pays from all that is left.
            (lumps, committed, money_left) =
                (lumps - floor, committed - floor_rate, money_left + floor);
        }
        if *metrics == 0 {
            *slot = Some(watch.preferred(fast));
            continue;
        }
        let per_fetch = *metrics as f64 * PER_METRIC;
        if per_fetch > money_left {
            slowed.push(format!("{} paused", watch.label()));
            continue;
        }
        let preferred = watch.preferred(fast);
        let available = rate_left(lumps + per_fetch, committed);
        let needed = per_fetch / available.max(f64::MIN_POSITIVE);
        let interval = match needed <= preferred.as_secs_f64() {
            true => preferred,
            false if needed <= SLOWEST.as_secs_f64() => {
                let every = super::format::age(jiff::SignedDuration::from_secs_f64(needed));
                slowed.push(format!("{} every {every}", watch.label()));
                Duration::from_secs_f64(needed.ceil())
            }
            false => {
                slowed.push(format!("{} paused", watch.label()));
                continue;
            }
        };
        let rate = per_fetch / interval.as_secs_f64();
        (lumps, committed, money_left) =
            (lumps + per_fetch, committed + rate, money_left - per_fetch);
        metric_rate += rate;
        *slot = Some(interval);
        *cost = rate * 86_400.0;
    }
    let per_day = (metric_rate + others) * 86_400.0;
    let slowed = (!slowed.is_empty()).then(|| {
        format!(
            "metrics slowed to stay within ${:.2} in any 24 h: {}",
            allowance.budget_per_day,
            slowed.join(", ")
        )
    });
    Pace {
        every,
        tier_per_day,
        per_day,
        slowed,
    }
}

/// What the session's polling costs, for the header, `:stats` and the snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spending {
    pub budget_per_day: f64,
    /// All AWS requests of this session in the last 24 hours, at list prices.
    /// States and history written before the budget was held over 24 hours said
    /// `spent_today`.
    #[serde(alias = "spent_today")]
    pub spent_last_24h: f64,
    /// What 24 hours cost if polling keeps this pace.
    pub projected_per_day: f64,
    pub tiers: Vec<Tier>,
    /// Why metrics are asked for less often than preferred, when they are.
    pub slowed: Option<String>,
}

/// One class of models and how their metrics are asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tier {
    pub watch: Watch,
    pub models: usize,
    /// Metrics per fetch.
    pub metrics: u64,
    /// Seconds between fetches; None while the budget pauses them.
    pub every_seconds: Option<u64>,
    /// What this tier costs per day at that pace.
    pub per_day: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: Duration = Duration::from_secs(60);

    fn fresh_day(budget: f64) -> Allowance {
        Allowance {
            budget_per_day: budget,
            // DescribeAlarms every minute.
            window: Window::empty(budget, 0.01 / 1000.0 / 60.0),
        }
    }

    #[test]
    fn a_small_healthy_fleet_gets_its_preferred_pace_when_the_budget_allows() {
        // 20 models × (4 endpoint series + 2 business metrics) every 10 minutes is
        // $0.17 a day: on $0.10 they are asked about every 20 minutes instead.
        let p = pace(&[0, 0, 120], &fresh_day(0.10), FAST);
        let every = p.of(Watch::Healthy).unwrap().as_secs();
        assert!((1100..1300).contains(&every), "{every}");
        assert!(p.per_day <= 0.10, "{}", p.per_day);
        let p = pace(&[0, 0, 120], &fresh_day(0.25), FAST);
        assert_eq!(p.of(Watch::Healthy), Some(HEALTHY));
        assert_eq!(p.slowed, None);
    }

    #[test]
    fn a_large_fleet_is_slowed_and_says_so() {
        let p = pace(&[0, 0, 600], &fresh_day(0.10), FAST);
        let healthy = p.of(Watch::Healthy).unwrap();
        assert!(healthy > HEALTHY, "{healthy:?}");
        assert!(p.per_day <= 0.10 + 1e-9, "{}", p.per_day);
        assert!(p.slowed.as_deref().unwrap().contains("healthy every"));
    }

    #[test]
    fn incidents_and_the_screen_are_paid_first() {
        // The budget covers the screen and the incident at full pace ($0.26 a
        // day), not the healthy rest at theirs too.
        let p = pace(&[12, 6, 600], &fresh_day(0.50), FAST);
        assert_eq!(p.of(Watch::Focused), Some(FAST));
        assert_eq!(p.of(Watch::Incident), Some(FAST));
        assert!(p.of(Watch::Healthy).unwrap() > HEALTHY);
    }

    #[test]
    fn a_long_incident_leaves_the_healthy_their_floor() {
        // The incident alone would take the whole $0.10 at full pace.
        let p = pace(&[0, 60, 120], &fresh_day(0.10), FAST);
        assert!(p.of(Watch::Incident).unwrap() > FAST, "{p:?}");
        assert!(p.of(Watch::Healthy).unwrap() <= SLOWEST, "{p:?}");
        assert!(p.per_day <= 0.10 + 1e-9, "{}", p.per_day);
    }

    #[test]
    fn spending_recorded_before_the_24_hour_budget_still_reads() {
        let old = r#"{"budget_per_day":0.1,"spent_today":0.04,"projected_per_day":0.09,"tiers":[],"slowed":null}"#;
        let s: Spending = serde_json::from_str(old).unwrap();
        assert_eq!(s.spent_last_24h, 0.04);
    }

    #[test]
    fn a_spent_budget_pauses_every_metric_tier() {
        let mut spent = fresh_day(0.10);
        spent.window.spent = 0.10;
        let p = pace(&[12, 6, 120], &spent, FAST);
        assert_eq!(p.every, [None, None, None]);
        assert!(p.slowed.unwrap().contains("paused"));
    }

    /// Two days of one decision a minute from `start`: the intervals chosen, and
    /// the most any 24 hours spent.
    fn two_days(start: &str, budget: f64, demand: Demand) -> (Vec<[Option<Duration>; 3]>, f64) {
        use super::super::ledger::{Ledger, Spent};
        let start: jiff::Timestamp = start.parse().unwrap();
        let mut ledger = Ledger::default();
        let (mut total, mut recurring) = (0.0, 0.0);
        let mut due = [0.0f64; 3];
        let mut paid: Vec<(f64, f64)> = Vec::new();
        let mut chosen = Vec::new();
        for minute in 0..2 * 1440 {
            let now = f64::from(minute) * 60.0;
            // DescribeAlarms, every minute whatever the budget.
            let alarms = 0.01 / 1000.0;
            (total, recurring) = (total + alarms, recurring + alarms);
            paid.push((now, alarms));
            let at = start + jiff::SignedDuration::from_mins(i64::from(minute));
            let spent = Spent {
                at,
                total,
                recurring,
            };
            let allowance = Allowance {
                budget_per_day: budget,
                window: ledger.window(spent, budget),
            };
            let p = pace(&demand, &allowance, FAST);
            for (i, metrics) in demand.iter().enumerate() {
                let Some(every) = p.every[i] else { continue };
                if now >= due[i] {
                    let cost = *metrics as f64 * PER_METRIC;
                    total += cost;
                    paid.push((now, cost));
                    due[i] = now + every.as_secs_f64();
                }
            }
            chosen.push(p.every);
        }
        // Every 24 hours that begin at a payment (in time order): the most spent.
        let (mut most, mut inside, mut end) = (0.0f64, 0.0, 0);
        for (i, (from, _)) in paid.iter().enumerate() {
            while end < paid.len() && paid[end].0 < from + 86_400.0 {
                inside += paid[end].1;
                end += 1;
            }
            most = most.max(inside);
            inside -= paid[i].1;
        }
        (chosen, most)
    }

    #[test]
    fn no_24_hours_spend_more_than_the_budget_whenever_the_session_starts() {
        for (budget, demand) in [
            (0.10, [0, 0, 120]),
            (0.10, [0, 0, 600]),
            (0.10, [48, 30, 570]),
            (0.50, [48, 30, 570]),
            (0.02, [8, 6, 3000]),
        ] {
            let (late, most) = two_days("2026-12-01T23:00:00Z", budget, demand);
            assert!(
                most <= budget + 1e-9,
                "budget {budget} demand {demand:?}: a 24 h spent {most}"
            );
            // Held, not starved: the budget is used, not paused away.
            assert!(
                most >= 0.6 * budget,
                "budget {budget} demand {demand:?}: a 24 h spent only {most}"
            );
            let (early, _) = two_days("2026-12-02T00:30:00Z", budget, demand);
            assert_eq!(late, early, "a session paces the same whatever the hour");
        }
    }
}
