//! A model's Airflow DAGs as facts: the ETL DAG that feeds its data and the DAG
//! that retrains it, each with its newest run and its schedule. Pure data, and what
//! "late" means.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// What a DAG does for its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DagRole {
    /// Extracts and loads the model's data: its runs decide DATA.
    Etl,
    /// Retrains the model: its runs are TRAIN's, and retrain triggers it.
    Training,
    /// Tagged for the model but saying neither: shown, never judged or triggered.
    Unknown,
}

impl DagRole {
    /// The stages a DAG of this role feeds.
    pub fn stages(self) -> &'static [super::stage::Stage] {
        use super::stage::Stage;
        match self {
            DagRole::Etl => &[Stage::Data],
            DagRole::Training => &[Stage::Training],
            DagRole::Unknown => &[],
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DagRole::Etl => "etl",
            DagRole::Training => "training",
            DagRole::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DagFacts {
    pub dag_id: String,
    pub role: DagRole,
    pub paused: bool,
    /// The schedule as Airflow summarises it, e.g. "0 2 * * *" or "@daily".
    pub schedule: Option<String>,
    /// When the scheduler should start the next run; in the past when it has not.
    pub next_due: Option<Timestamp>,
    /// Newest first (bounded).
    pub runs: Vec<DagRun>,
    /// When the newest successful run ended, even when it is older than `runs`.
    pub last_success: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DagRun {
    pub run_id: String,
    /// Airflow's state: queued, running, success, failed (or up_for_retry, …).
    pub state: String,
    pub logical_date: Option<Timestamp>,
    pub started: Option<Timestamp>,
    pub ended: Option<Timestamp>,
    /// For a failed run: the task that failed, and its log's last error lines.
    pub failed_task: Option<String>,
    pub log_tail: Vec<String>,
}

/// A run that has not started this long after it was due is late: the scheduler
/// takes a little while to create runs, and a one-minute hiccup is not news.
pub const LATE_AFTER: SignedDuration = SignedDuration::from_mins(15);

impl DagFacts {
    /// How long past its due time the next run is, when it is late and the DAG is on.
    pub fn late_by(&self, now: Timestamp) -> Option<SignedDuration> {
        let due = self.next_due?;
        let late = now.duration_since(due);
        (!self.paused && late > LATE_AFTER).then_some(late)
    }

    /// The newest run, when it failed.
    pub fn failed(&self) -> Option<&DagRun> {
        self.runs.first().filter(|r| r.state == "failed")
    }
}

impl DagRun {
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "queued" | "running" | "restarting" | "up_for_retry" | "scheduled"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dag(paused: bool, due_minutes_ago: i64) -> DagFacts {
        let now = Timestamp::from_second(1_790_000_000).unwrap();
        DagFacts {
            dag_id: "d".into(),
            role: DagRole::Etl,
            paused,
            schedule: Some("@hourly".into()),
            next_due: Some(now - SignedDuration::from_mins(due_minutes_ago)),
            runs: vec![],
            last_success: None,
        }
    }

    #[test]
    fn a_run_is_late_only_past_the_grace_and_never_when_paused() {
        let now = Timestamp::from_second(1_790_000_000).unwrap();
        assert_eq!(dag(false, 5).late_by(now), None);
        assert_eq!(dag(false, -30).late_by(now), None);
        assert_eq!(
            dag(false, 90).late_by(now),
            Some(SignedDuration::from_mins(90))
        );
        assert_eq!(dag(true, 90).late_by(now), None);
    }
}
