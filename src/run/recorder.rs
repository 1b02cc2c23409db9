//! Keeps the fleet's past on disk and reads it back, on a thread of its own (every
//! record is an fsync; a read inflates a few records): the loop only hands it a
//! clone of the fleet once a minute and asks for moments.

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

fn work(jobs: &std_mpsc::Receiver<Job>, updates: &mpsc::Sender<Update>, config: &HistoryConfig) {
    let mut store: Result<History, String> = Err("no history recorded here yet".into());
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Open(dir) => {
                store = History::open(&dir, config)
                    .map_err(|e| format!("history at {} unusable: {e}", dir.display()));
                if let Err(why) = &store {
                    tracing::warn!("{why}");
                }
            }
            Job::Record(at, fleet) => {
                if let Ok(h) = &mut store {
                    if let Err(e) = h.record(at, &fleet) {
                        tracing::warn!("history not recorded: {e}");
                    }
                }
            }
            Job::Recall(at, from) => {
                let answer = match &store {
                    Ok(h) => h.fleet_before(at, from).ok_or_else(|| {
                        let oldest = h.times().first().copied();
                        match oldest {
                            Some(t) => format!(
                                "nothing recorded before {}: the oldest is {t}",
                                at.strftime("%m-%d %H:%M")
                            ),
                            None => "nothing recorded yet".to_string(),
                        }
                    }),
                    Err(why) => Err(why.clone()),
                };
                if updates.blocking_send(Update::Recalled(answer)).is_err() {
                    return;
                }
            }
        }
    }
}
