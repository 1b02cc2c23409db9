//! Disaster-recovery pairs: the same model in two regions of one account is one row,
//! the primary's, with the secondary beside it and whether it could take over.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::facts::{Fleet, ModelFacts};
use super::metrics::names;
use super::scope::Scope;

/// One bucket's S3 replication, as GetBucketReplication answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BucketReplication {
    pub bucket: String,
    /// What the model keeps there: "data" or "model".
    pub holds: String,
    /// Its rules; empty when the bucket has no replication configuration.
    pub rules: Vec<ReplicationRule>,
    /// Why it could not be read (then `rules` says nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicationRule {
    pub id: String,
    pub enabled: bool,
    /// The destination bucket's name.
    pub destination: String,
    /// S3 Replication Time Control (15-minute SLA, with CloudWatch metrics).
    pub time_control: bool,
    /// The newest ReplicationLatency (seconds), where the rule publishes metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_seconds: Option<f64>,
    /// The newest OperationsPendingReplication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_operations: Option<f64>,
}

/// Replication further behind than this misses S3 RTC's 15-minute promise: what
/// failing over now would lose.
pub const LAG_LIMIT_SECONDS: f64 = 900.0;

impl BucketReplication {
    /// Whether at least one enabled rule copies the bucket elsewhere.
    pub fn replicated(&self) -> Option<bool> {
        match self.problem {
            Some(_) => None,
            None => Some(self.rules.iter().any(|r| r.enabled)),
        }
    }
}

/// A Route 53 failover record and its health check's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsFailover {
    /// The record's name, e.g. "api.example.com.".
    pub record: String,
    /// "PRIMARY" or "SECONDARY".
    pub role: String,
    pub set_identifier: String,
    /// Where it points: the alias target or the first value.
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<String>,
    /// What the health checkers report: None when unknown or not checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl DnsFailover {
    fn is_primary(&self) -> bool {
        self.role.eq_ignore_ascii_case("PRIMARY")
    }

    /// Whether it names the model: by its name, aliases or endpoint, anywhere in the
    /// record's name, set identifier or target.
    fn names(&self, m: &ModelFacts) -> bool {
        let hay = format!("{} {} {}", self.record, self.set_identifier, self.target).to_lowercase();
        std::iter::once(&m.name)
            .chain(&m.aliases)
            .chain(m.endpoint.as_ref().map(|e| &e.name))
            .any(|n| n.len() >= 3 && hay.contains(&n.to_lowercase()))
    }

    /// The region its target or set identifier names, among `regions`.
    fn region<'a>(&self, regions: &[&'a str]) -> Option<&'a str> {
        let hay = format!("{} {}", self.target, self.set_identifier).to_lowercase();
        regions.iter().copied().find(|r| hay.contains(r))
    }
}

/// Whether the secondary could take over, and why not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    pub primary: String,
    pub secondary: String,
    pub ready: bool,
    /// What stands in the way, then what is only worth knowing (a cold standby).
    pub reasons: Vec<String>,
    /// Set when the secondary serves something else than the primary (an older
    /// version, other instances): a warning on the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<String>,
    pub replication: Vec<BucketReplication>,
    pub health_checks: Vec<DnsFailover>,
    /// The secondary's invocations in the last hour; None when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_invocations: Option<f64>,
}

/// Folds each model found in two regions of one account into one row: the primary
/// (Route 53's PRIMARY record where one names it, else the region listed first)
/// with the other as its replica, and judges the pair.
pub fn pair(fleet: &mut Fleet, scopes: &[Scope], now: Timestamp) {
    let account_of = |ix: u8| super::scope::account_of(scopes, ix);
    let mut first: HashMap<(usize, String), usize> = HashMap::new();
    let mut kept: Vec<ModelFacts> = Vec::with_capacity(fleet.models.len());
    for m in std::mem::take(&mut fleet.models) {
        let key = (account_of(m.scope.index), m.name.clone());
        let pair_with = first
            .get(&key)
            .copied()
            .filter(|&i| kept.get(i).is_some_and(|p| p.scope.replica.is_none()))
            .filter(|&i| kept.get(i).is_some_and(|p| p.scope.index != m.scope.index));
        match pair_with.and_then(|i| kept.get_mut(i)) {
            Some(primary) => primary.scope.replica = Some(Box::new(m)),
            None => {
                first.entry(key).or_insert(kept.len());
                kept.push(m);
            }
        }
    }
    let regions: Vec<&str> = scopes.iter().map(|s| s.region.as_str()).collect();
    for m in &mut kept {
        if m.scope.replica.is_none() {
            continue;
        }
        let records: Vec<DnsFailover> = fleet.dns.iter().filter(|r| r.names(m)).cloned().collect();
        let region_of = |ix: u8| regions.get(usize::from(ix)).copied().unwrap_or("?");
        let dns_primary = records
            .iter()
            .filter(|r| r.is_primary())
            .find_map(|r| r.region(&regions));
        // Route 53's word first, then the order config lists the regions in.
        let swap = m.scope.replica.as_ref().is_some_and(|r| match dns_primary {
            Some(region) => region == region_of(r.scope.index),
            None => r.scope.index < m.scope.index,
        });
        if swap {
            swap_primary(m);
        }
        let Some(secondary) = m.scope.replica.as_deref() else {
            continue;
        };
        let failover = judge(
            m,
            secondary,
            (region_of(m.scope.index), region_of(secondary.scope.index)),
            records,
            now,
        );
        m.scope.failover = Some(Box::new(failover));
    }
    fleet.models = kept;
}

/// The replica becomes the row and the row its replica.
fn swap_primary(m: &mut ModelFacts) {
    let Some(mut secondary) = m.scope.replica.take() else {
        return;
    };
    std::mem::swap(m, &mut secondary);
    m.scope.replica = Some(secondary);
}

/// The object key of the artifact the endpoint serves ("models/churn/v3/model.tar.gz"):
/// a replicated bucket keeps the key under another bucket name.
fn artifact_key(m: &ModelFacts) -> Option<&str> {
    let artifact = m.endpoint.as_ref()?.artifact.as_deref()?;
    let path = artifact.strip_prefix("s3://")?;
    path.split_once('/').map(|(_, key)| key)
}

fn instances(m: &ModelFacts) -> Option<u32> {
    let e = m.endpoint.as_ref()?;
    (!e.variants.is_empty()).then(|| e.variants.iter().map(|v| v.instances).sum())
}

/// Invocations in the hour before `now`, when the metric was read.
fn last_hour_invocations(m: &ModelFacts, now: Timestamp) -> Option<f64> {
    let series = m.metrics.get(names::INVOCATIONS)?;
    let since = now.checked_sub(SignedDuration::from_hours(1)).ok()?;
    Some(
        series
            .points
            .iter()
            .filter(|(t, _)| *t >= since)
            .map(|(_, v)| v)
            .sum(),
    )
}

fn judge(
    primary: &ModelFacts,
    secondary: &ModelFacts,
    (p_region, s_region): (&str, &str),
    health_checks: Vec<DnsFailover>,
    now: Timestamp,
) -> Failover {
    let mut blocking = Vec::new();
    let mut drift = None;
    match &secondary.endpoint {
        None => blocking.push(format!("no endpoint serves it in {s_region}")),
        Some(e) if e.status != "InService" && e.status != "ACTIVE" => {
            blocking.push(format!("{s_region} endpoint is {}", e.status));
        }
        Some(_) => {}
    }
    // Each region's registry numbers its own versions: where both artifacts are
    // known, the same object key (replicated) is the same model whatever the numbers.
    let same_artifact = artifact_key(primary)
        .zip(artifact_key(secondary))
        .map(|(p, s)| p == s);
    let versions = (primary.served_version(), secondary.served_version());
    let differs = match (same_artifact, versions) {
        (Some(true), _) => None,
        (_, (Some(p), Some(s))) if p != s => {
            Some(format!("{s_region} serves v{s}, {p_region} v{p}"))
        }
        (Some(false), _) => Some(format!(
            "{s_region} serves another artifact than {p_region}"
        )),
        (None, (Some(_), Some(_))) => None,
        // Neither the artifacts nor both version numbers are known: not the same
        // until shown to be. An unknown is a reason too.
        (None, (p, s)) if secondary.endpoint.is_some() => {
            let known = |v: Option<u32>| v.map_or("?".to_string(), |v| format!("v{v}"));
            blocking.push(format!(
                "the versions cannot be compared ({p_region} {}, {s_region} {})",
                known(p),
                known(s)
            ));
            None
        }
        _ => None,
    };
    if let Some(said) = differs {
        blocking.push(said.clone());
        drift = Some(said);
    }
    if let (Some(p), Some(s)) = (instances(primary), instances(secondary)) {
        if s < p && drift.is_none() {
            drift = Some(format!("{s_region} runs {s} instance(s), {p_region} {p}"));
        }
    }
    let replication = primary.scope.replication.clone();
    for b in &replication {
        let late = b
            .rules
            .iter()
            .filter_map(|r| r.latency_seconds)
            .fold(None, |worst: Option<f64>, v| {
                Some(worst.map_or(v, |w| w.max(v)))
            });
        match b.replicated() {
            Some(true) if late.is_some_and(|s| s > LAG_LIMIT_SECONDS) => {
                blocking.push(format!(
                    "{} bucket {} replication is {} min behind",
                    b.holds,
                    b.bucket,
                    (late.unwrap_or(0.0) / 60.0).round()
                ));
            }
            Some(true) => {}
            Some(false) => {
                blocking.push(format!("{} bucket {} is not replicated", b.holds, b.bucket))
            }
            None => blocking.push(format!(
                "{} bucket {} replication ?: {}",
                b.holds,
                b.bucket,
                b.problem.as_deref().unwrap_or("unknown")
            )),
        }
    }
    for r in health_checks.iter().filter(|r| !r.is_primary()) {
        if r.healthy == Some(false) {
            blocking.push(format!(
                "Route 53 health check of {} ({}) is unhealthy",
                r.record, r.set_identifier
            ));
        }
    }
    let ready = blocking.is_empty();
    let invocations = last_hour_invocations(secondary, now);
    let mut reasons = blocking;
    match invocations {
        Some(n) if n <= 0.0 => reasons.push(format!(
            "{s_region} had no invocations in the last hour (cold standby)"
        )),
        None if secondary.endpoint.is_some() => {
            reasons.push(format!("{s_region} invocations ?"));
        }
        _ => {}
    }
    if health_checks.is_empty() {
        reasons.push("no Route 53 failover record names it".into());
    }
    Failover {
        primary: p_region.to_string(),
        secondary: s_region.to_string(),
        ready,
        reasons,
        drift,
        replication,
        health_checks,
        secondary_invocations: invocations,
    }
}

/// A secondary that serves something else than the primary is a warning on the
/// row's ENDPOINT cell (when nothing worse is there).
pub fn warn_on_drift(m: &ModelFacts, health: &mut super::ModelHealth) {
    let Some(drift) = m.scope.failover.as_ref().and_then(|f| f.drift.as_deref()) else {
        return;
    };
    let Some(cell) = health
        .stages
        .iter_mut()
        .zip(super::Stage::ALL)
        .find_map(|(cell, stage)| (stage == super::Stage::Endpoint).then_some(cell))
    else {
        return;
    };
    if cell.health < super::Health::Warn {
        *cell =
            super::StageStatus::new(super::Health::Warn, format!("DR: {drift}")).brief("DR drift");
        health.overall = health.overall.max(super::Health::Warn);
    }
}

#[cfg(test)]
mod tests;
