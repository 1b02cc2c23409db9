//! Where a model's facts come from when one dashboard watches several accounts and
//! regions: each (account, region) pair is a scope, numbered in config order.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One account in one region, as config names it and STS then confirms.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Scope {
    /// The account's label from `[[accounts]]` (e.g. "prod"); None for the one
    /// account of a session without `[[accounts]]`.
    pub label: Option<String>,
    pub region: String,
    /// The account id, once STS has answered.
    pub account: Option<String>,
    /// The caller's ARN from STS, for the audit log.
    pub caller: Option<String>,
    /// Why this scope's identity is unknown (expired SSO, a role not assumable).
    pub problem: Option<String>,
    /// The label's colour name from config (e.g. "red" for prod).
    pub colour: Option<String>,
    /// Every action in the account needs the resource's name typed.
    pub protected: bool,
}

impl Scope {
    /// What names the account on rows and in messages: its label, else its id.
    pub fn account_name(&self) -> String {
        self.label
            .clone()
            .or_else(|| self.account.clone())
            .unwrap_or_else(|| "…".into())
    }

    /// "prod us-east-1", or the region alone for a session of one account.
    pub fn name(&self) -> String {
        match &self.label {
            Some(l) => format!("{l} {}", self.region),
            None => self.region.clone(),
        }
    }

    /// Which scopes are the same account: its label, else its id once known.
    pub fn same_account(&self, other: &Scope) -> bool {
        match (&self.label, &other.label) {
            (Some(a), Some(b)) => a == b,
            (None, None) => true,
            _ => false,
        }
    }
}

/// A scope's number: its place in `Context::scopes`.
pub type ScopeIx = u8;

/// Which credentials act on a scope: its account's label and its region. Never a
/// position in a list, which a collector's next state may order differently.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct ScopeKey {
    pub label: Option<String>,
    pub region: String,
}

impl ScopeKey {
    /// "prod us-east-1", or the region alone.
    pub fn name(&self) -> String {
        match &self.label {
            Some(l) => format!("{l} {}", self.region),
            None => self.region.clone(),
        }
    }
}

impl Scope {
    pub fn key(&self) -> ScopeKey {
        ScopeKey {
            label: self.label.clone(),
            region: self.region.clone(),
        }
    }
}

/// One source in one scope: what the app keeps each answer under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Feed {
    pub source: super::source_id::SourceId,
    pub scope: ScopeIx,
}

impl Feed {
    pub fn new(source: super::source_id::SourceId, scope: ScopeIx) -> Feed {
        Feed { source, scope }
    }
}

/// Where a model row is served and, when it has one, its disaster-recovery pair.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopeFacts {
    /// The scope the facts came from (0 in a session of one account and region).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub index: ScopeIx,
    /// The same model in another region of the same account (the secondary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica: Option<Box<super::facts::ModelFacts>>,
    /// Whether the secondary could take over, when a pair is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<Box<super::failover::Failover>>,
    /// The S3 replication of the model's data and artifact buckets, as read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replication: Vec<super::failover::BucketReplication>,
}

/// Which account the `ix`-th scope is in, as the first scope of that account: a
/// scope config does not name (facts recorded by another session) is the first
/// account's.
pub fn account_of(scopes: &[Scope], ix: ScopeIx) -> usize {
    match scopes.get(usize::from(ix)) {
        Some(o) => scopes.iter().position(|s| o.same_account(s)).unwrap_or(0),
        None => 0,
    }
}

/// Marks every model and alarm of `fleet` as the `ix`-th scope's.
pub fn mark(fleet: &mut super::facts::Fleet, ix: ScopeIx) {
    for m in &mut fleet.models {
        m.scope.index = ix;
    }
    for a in &mut fleet.alarms {
        a.scope = ix;
    }
}

/// Rows of two accounts with the same name stay two rows: the later account's
/// (in config order) is named `name@label`, and its alarms follow it.
pub fn qualify(fleet: &mut super::facts::Fleet, scopes: &[Scope]) {
    if scopes.len() < 2 {
        return;
    }
    let account_of = |ix: ScopeIx| account_of(scopes, ix);
    let mut order: Vec<usize> = (0..fleet.models.len()).collect();
    order.sort_by_key(|&i| fleet.models.get(i).map(|m| account_of(m.scope.index)));
    let mut owner: HashMap<String, usize> = HashMap::new();
    let mut renamed: HashMap<(usize, String), String> = HashMap::new();
    for i in order {
        let Some(m) = fleet.models.get_mut(i) else {
            continue;
        };
        let account = account_of(m.scope.index);
        match owner.get(&m.name) {
            Some(first) if *first != account => {
                let label = scopes.get(account).map_or("?".into(), Scope::account_name);
                let qualified = format!("{}@{label}", m.name);
                renamed.insert((account, m.name.clone()), qualified.clone());
                m.name = qualified;
            }
            Some(_) => {}
            None => {
                owner.insert(m.name.clone(), account);
            }
        }
    }
    for a in &mut fleet.alarms {
        let key = (account_of(a.scope), a.model.clone().unwrap_or_default());
        if let Some(to) = renamed.get(&key) {
            a.model = Some(to.clone());
        }
    }
}

fn is_zero(n: &ScopeIx) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_named_by_its_label_then_its_id() {
        let mut s = Scope {
            region: "us-east-1".into(),
            ..Scope::default()
        };
        assert_eq!(s.account_name(), "…");
        s.account = Some("123456789012".into());
        assert_eq!(s.account_name(), "123456789012");
        assert_eq!(s.name(), "us-east-1");
        s.label = Some("prod".into());
        assert_eq!(s.account_name(), "prod");
        assert_eq!(s.name(), "prod us-east-1");
    }

    #[test]
    fn the_same_name_in_two_accounts_is_two_rows_the_later_one_qualified() {
        use crate::model::facts::{Alarm, AlarmState, Fleet, ModelFacts};
        let scopes: Vec<Scope> = ["prod", "dev"]
            .iter()
            .map(|l| Scope {
                label: Some(l.to_string()),
                region: "us-east-1".into(),
                ..Scope::default()
            })
            .collect();
        let mut dev = ModelFacts::named("churn");
        dev.scope.index = 1;
        let mut only_dev = ModelFacts::named("fraud");
        only_dev.scope.index = 1;
        let alarm = Alarm {
            name: "churn-5xx".into(),
            state: AlarmState::Alarm,
            reason: String::new(),
            since: jiff::Timestamp::UNIX_EPOCH,
            model: Some("churn".into()),
            stage: None,
            scope: 1,
            notifies: None,
        };
        let mut fleet = Fleet {
            models: vec![dev, ModelFacts::named("churn"), only_dev],
            alarms: vec![alarm],
            ..Fleet::default()
        };
        qualify(&mut fleet, &scopes);
        let names: Vec<&str> = fleet.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["churn@dev", "churn", "fraud"]);
        assert_eq!(fleet.alarms[0].model.as_deref(), Some("churn@dev"));
    }
}
