//! The append-only audit log: one JSON line per step of every action, flushed and
//! synced to disk before the dashboard moves on, so a crash mid-action still leaves
//! the "requested" and "confirmed" lines behind.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Actor, Plan};
use crate::config::files;

/// The step of an action a line records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The confirmation opened.
    Requested,
    Cancelled,
    /// The user confirmed: written before the call is made.
    Confirmed,
    Succeeded,
    Failed,
    /// Still running when the dashboard stopped watching.
    TimedOut,
    /// Stopped where the call is sent (read-only, protection, account, a changed
    /// target, no credentials): nothing was sent.
    Refused,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Requested => "requested",
            Phase::Cancelled => "cancelled",
            Phase::Confirmed => "confirmed",
            Phase::Succeeded => "succeeded",
            Phase::Failed => "failed",
            Phase::TimedOut => "timed out",
            Phase::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: Timestamp,
    pub phase: Phase,
    /// The caller's ARN from STS ("demo" in the demo).
    pub caller: String,
    pub account: String,
    pub region: String,
    /// The account's label from `[[accounts]]` (e.g. "prod"), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub action: String,
    pub model: String,
    pub call: String,
    pub resource: String,
    pub arguments: Value,
    pub previous: String,
    /// The endpoint config served before a deploy (what a later rollback offers first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_config: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

impl Record {
    /// The line for `plan` reaching `phase` at `time` (the caller's clock: the app's
    /// own, so the state stays pure).
    pub fn new(
        phase: Phase,
        plan: &Plan,
        actor: &Actor,
        result: Option<String>,
        time: Timestamp,
    ) -> Record {
        Record {
            time,
            phase,
            caller: actor.caller.clone(),
            account: actor.account.clone(),
            region: actor.region.clone(),
            label: actor.label.clone(),
            action: plan.kind.label().to_string(),
            model: plan.model.clone(),
            call: plan.call.operation().to_string(),
            resource: plan.call.resource(),
            arguments: plan.call.arguments(),
            previous: plan.previous.clone(),
            previous_config: plan.previous_config.clone(),
            result: result.map(|r| crate::model::secret::redact_urls(&r)),
        }
    }
}

/// Appends records to one file; clones share it, and lines never interleave.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    file: Arc<Mutex<File>>,
}

impl AuditLog {
    /// Opens (creating it 0600 and its directory 0700) the log at `path` for
    /// appending. A last line torn by a crash is ended first, so the next record
    /// starts a line of its own.
    pub fn open(path: &Path) -> Result<AuditLog, String> {
        let fail = |e: std::io::Error| format!("audit log {}: {e}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::private_dir(dir).map_err(fail)?;
        }
        let mut file = files::append_private(path).map_err(fail)?;
        if ends_torn(path).map_err(fail)? {
            file.write_all(b"\n").map_err(fail)?;
        }
        Ok(AuditLog {
            path: path.to_path_buf(),
            file: Arc::new(Mutex::new(file)),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and syncs it to disk; an error means the line may be lost, so
    /// the caller must not go on with the action.
    pub fn append(&self, record: &Record) -> Result<(), String> {
        let mut line = serde_json::to_string(record).map_err(|e| e.to_string())?;
        line.push('\n');
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line.as_bytes())
            .and_then(|()| file.flush())
            .and_then(|()| file.sync_data())
            .map_err(|e| format!("could not write the audit log {}: {e}", self.path.display()))
    }

    /// The config `endpoint` served before its last deploy that succeeded, as recorded.
    /// Lines that do not parse (another version's, a torn last line) are skipped.
    pub fn config_before_last_deploy(&self, endpoint: &str) -> Option<String> {
        records(&self.path)
            .ok()?
            .into_iter()
            .rev()
            .find(|r| {
                r.phase == Phase::Succeeded
                    && r.resource == endpoint
                    && r.call == "sagemaker:UpdateEndpoint"
            })
            .and_then(|r| r.previous_config)
    }
}

/// Whether the log's last byte is not a newline (a write cut short).
fn ends_torn(path: &Path) -> std::io::Result<bool> {
    let mut file = File::open(path)?;
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Every record of the log at `path`, oldest first; lines that do not parse (another
/// version's, a torn line, a character cut in half) are skipped. A missing log has
/// none.
pub fn records(path: &Path) -> Result<Vec<Record>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(format!(
                "could not read the audit log {}: {e}",
                path.display()
            ))
        }
    };
    Ok(bytes
        .split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice::<Record>(l).ok())
        .collect())
}

/// The records of one model's actions.
pub fn read_model(path: &Path, model: &str) -> Result<Vec<Record>, String> {
    let mut all = records(path)?;
    all.retain(|r| r.model == model);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{Call, Kind};

    fn plan(config: &str, previous: &str) -> Plan {
        Plan {
            kind: Kind::Rollback,
            model: "m".into(),
            call: Call::UpdateEndpoint {
                endpoint: "ep".into(),
                config: config.into(),
                guardrail_alarms: vec![],
            },
            label: String::new(),
            previous: String::new(),
            previous_config: Some(previous.into()),
            protected: None,
            note: None,
            account: None,
            observed: None,
        }
    }

    fn actor() -> Actor {
        Actor {
            caller: "arn:aws:iam::1:user/me".into(),
            account: "1".into(),
            region: "us-east-1".into(),
            label: None,
        }
    }

    #[test]
    fn every_line_is_on_disk_when_append_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        log.append(&Record::new(
            Phase::Requested,
            &plan("c1", "c2"),
            &actor(),
            None,
            Timestamp::now(),
        ))
        .unwrap();
        // What a crash right now would leave: read through a separate handle.
        let text = std::fs::read_to_string(&path).unwrap();
        let back: Record = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(back.phase, Phase::Requested);
        assert_eq!(back.caller, "arn:aws:iam::1:user/me");
        assert_eq!(back.arguments["EndpointConfigName"], "c1");
    }

    #[test]
    fn the_config_before_the_last_successful_deploy_is_found_despite_torn_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("a.jsonl")).unwrap();
        let ok = |config, previous| {
            let mut r = Record::new(
                Phase::Succeeded,
                &plan(config, previous),
                &actor(),
                None,
                Timestamp::now(),
            );
            r.result = Some("InService".into());
            r
        };
        log.append(&ok("c1", "c0")).unwrap();
        log.append(&ok("c2", "c1")).unwrap();
        log.append(&Record::new(
            Phase::Failed,
            &plan("c3", "c2"),
            &actor(),
            None,
            Timestamp::now(),
        ))
        .unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap()
            .write_all(b"{\"time\": \"torn")
            .unwrap();
        assert_eq!(log.config_before_last_deploy("ep").as_deref(), Some("c1"));
        assert_eq!(log.config_before_last_deploy("other"), None);
    }

    #[test]
    fn a_torn_last_line_never_swallows_the_next_record_and_the_log_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/audit.jsonl");
        let log = AuditLog::open(&path).unwrap();
        let ok = |config| {
            Record::new(
                Phase::Succeeded,
                &plan(config, "c0"),
                &actor(),
                None,
                Timestamp::now(),
            )
        };
        log.append(&ok("c1")).unwrap();
        drop(log);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
        // A crash mid-line, through a multi-byte character ("é" cut in half).
        let mut torn = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        torn.write_all(&"{\"time\": \"caf\u{e9}".as_bytes()[..14])
            .unwrap();
        drop(torn);
        let log = AuditLog::open(&path).unwrap();
        log.append(&ok("c2")).unwrap();
        let back: Vec<String> = records(&path)
            .unwrap()
            .into_iter()
            .map(|r| {
                r.arguments["EndpointConfigName"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(back, ["c1", "c2"]);
        assert_eq!(log.config_before_last_deploy("ep").as_deref(), Some("c0"));
    }

    #[test]
    fn a_log_that_cannot_be_opened_says_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = AuditLog::open(&file.join("audit.jsonl")).unwrap_err();
        assert!(err.starts_with("audit log "), "{err}");
    }
}
