//! Audit lines are written off the loop thread (each append is an fsync), in the
//! order the app produced them. An action waits at a barrier for every line before
//! it, so its "requested" line is on disk before its own "confirmed" one.

use tokio::sync::{mpsc, oneshot};

use crate::action::{AuditLog, Record};
use crate::model::update::Update;

enum Job {
    Lines(Vec<Record>),
    Barrier(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct AuditWriter(mpsc::UnboundedSender<Job>);

impl AuditWriter {
    /// A writer task on `audit` (None: the log could not be opened, and every line
    /// fails); a failed write reaches the app as `Update::AuditFailed`.
    pub fn spawn(audit: Option<AuditLog>, updates: mpsc::Sender<Update>) -> AuditWriter {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                match job {
                    Job::Lines(records) => {
                        let log = audit.clone();
                        let written = tokio::task::spawn_blocking(move || match log {
                            Some(log) => records.iter().try_for_each(|r| log.append(r)),
                            None => Err("the audit log is not open".to_string()),
                        })
                        .await
                        .unwrap_or_else(|e| Err(format!("audit writer stopped: {e}")));
                        if let Err(why) = written {
                            let _ = updates.send(Update::AuditFailed(why)).await;
                        }
                    }
                    Job::Barrier(done) => {
                        let _ = done.send(());
                    }
                }
            }
        });
        AuditWriter(tx)
    }

    pub fn write(&self, records: Vec<Record>) {
        if !records.is_empty() {
            let _ = self.0.send(Job::Lines(records));
        }
    }

    /// Resolves once every line sent before it is written (or failed).
    pub fn barrier(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let _ = self.0.send(Job::Barrier(tx));
        rx
    }
}
