//! Keeps the fleet's past on disk and reads it back, on a thread of its own (every
//! record is an fsync; a read inflates a few records): the loop only hands it a
//! clone of the fleet once a minute and asks for moments. When another mlopsdash
//! already records this place (a second pane on the same account), this one reads
//! that one's records instead of writing its own.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::app::{App, Place};
use crate::config::HistoryConfig;
use crate::model::update::Update;
use crate::model::Fleet;
use crate::source::history::{self, History};

enum Job {
    Open(PathBuf),
    Record(Timestamp, Box<Fleet>),
    /// The moment asked for, and the one shown when asked.
    Recall(Timestamp, Timestamp),
}

pub struct Recorder {
    jobs: std_mpsc::Sender<Job>,
    config: HistoryConfig,
    opened: bool,
    last: Option<Timestamp>,
}

/// Where `app`'s place keeps its past, once known (an AWS account after STS answers).
pub fn dir_of(config: &HistoryConfig, app: &App) -> Option<PathBuf> {
    match &app.context().place {
        Place::Demo { seed } => history::dir_for(config, "demo", &format!("seed-{seed}")),
        Place::Aws { region } => {
            history::dir_for(config, app.context().account.as_deref()?, region)
        }
    }
}

impl Recorder {
    /// The recorder thread; what it reads back reaches the app through `updates`.
    pub fn spawn(config: HistoryConfig, updates: mpsc::Sender<Update>) -> Recorder {
        let (jobs, rx) = std_mpsc::channel();
        let bounds = config.clone();
        std::thread::spawn(move || work(&rx, &updates, &bounds));
        Recorder {
            jobs,
            config,
            opened: false,
            last: None,
        }
    }

    /// Records the live fleet when a minute has passed since the last record, opening
    /// the store once the place is known. Nothing while the past is on screen.
    pub fn offer(&mut self, app: &App) {
        if !self.config.enabled || app.past().is_some() {
            return;
        }
        if !self.opened {
            let Some(dir) = dir_of(&self.config, app) else {
                return;
            };
            self.opened = self.jobs.send(Job::Open(dir)).is_ok();
        }
        let now = app.now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < history::every(&self.config))
        {
            return;
        }
        if let Some(fleet) = app.fleet().data().filter(|f| !f.models.is_empty()) {
            self.last = Some(now);
            let _ = self.jobs.send(Job::Record(now, Box::new(fleet.clone())));
        }
    }

    /// Asks for the fleet as recorded at `at`; the answer comes as `Update::Recalled`.
    pub fn recall(&mut self, app: &App, at: Timestamp) {
        if !self.opened {
            if let Some(dir) = dir_of(&self.config, app) {
                self.opened = self.jobs.send(Job::Open(dir)).is_ok();
            }
        }
        let _ = self.jobs.send(Job::Recall(at, app.now()));
    }
}

/// The worker's hold on the place's history.
enum Store {
    Recording(History),
    /// Another process records this directory: read its records afresh when asked.
    Reading(PathBuf),
    Unusable(String),
}

fn work(jobs: &std_mpsc::Receiver<Job>, updates: &mpsc::Sender<Update>, config: &HistoryConfig) {
    let mut store = Store::Unusable("no history recorded here yet".into());
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Open(dir) => store = open(dir, config),
            Job::Record(at, fleet) => {
                if let Store::Recording(h) = &mut store {
                    if let Err(e) = h.record(at, *fleet) {
                        tracing::warn!("history not recorded: {e}");
                    }
                }
            }
            Job::Recall(at, from) => {
                let answer = match &store {
                    Store::Recording(h) => moment(h, at, from),
                    Store::Reading(dir) => History::read_only(dir, config)
                        .map_err(|e| format!("history at {} unreadable: {e}", dir.display()))
                        .and_then(|h| moment(&h, at, from)),
                    Store::Unusable(why) => Err(why.clone()),
                };
                if updates.blocking_send(Update::Recalled(answer)).is_err() {
                    return;
                }
            }
        }
    }
}

fn open(dir: PathBuf, config: &HistoryConfig) -> Store {
    match History::open(&dir, config) {
        Ok(h) => Store::Recording(h),
        Err(e) if history::is_busy(&e) => {
            tracing::info!(
                "history at {}: {e}; this dashboard reads those records",
                dir.display()
            );
            Store::Reading(dir)
        }
        Err(e) => {
            let why = format!("history at {} unusable: {e}", dir.display());
            tracing::warn!("{why}");
            Store::Unusable(why)
        }
    }
}

/// The fleet as recorded at `at` (stepping back from `from`), or why there is none.
fn moment(h: &History, at: Timestamp, from: Timestamp) -> Result<(Timestamp, Fleet), String> {
    h.fleet_before(at, from)
        .ok_or_else(|| match h.times().first() {
            Some(t) => format!(
                "nothing recorded before {}: the oldest is {t}",
                at.strftime("%m-%d %H:%M")
            ),
            None => "nothing recorded yet".to_string(),
        })
}
