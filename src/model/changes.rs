//! What changed in the fleet, from every place that knows: CloudTrail's record of
//! API calls, CloudWatch's alarm history, the facts themselves (a new endpoint
//! config, a failed job), what mlopsdash saw change between two refreshes, and the
//! user's own actions. One timeline, newest first, each entry joined to its model.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::facts::Fleet;
use super::identity::Normaliser;

/// How many changes the timeline keeps: enough for a day of a busy fleet.
pub const TIMELINE: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// New code or weights serving: UpdateEndpoint, CreateEndpoint, ECS UpdateService.
    Deploy,
    /// Serving settings: an endpoint config, variant weights, capacity.
    Config,
    /// A registry version approved or rejected, an MLflow alias moved.
    Approval,
    /// A new model version registered.
    Version,
    Alarm,
    /// Something the user did from mlopsdash (the audit log's line).
    Action,
    /// A state mlopsdash saw change: Updating → InService, a job failing.
    State,
}

impl ChangeKind {
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Config => "config",
            ChangeKind::Approval => "approval",
            ChangeKind::Version => "version",
            ChangeKind::Alarm => "alarm",
            ChangeKind::Action => "action",
            ChangeKind::State => "state",
        }
    }

    /// Whether it changed what serves, so a metric moving after it is its doing.
    pub fn is_deploy(self) -> bool {
        matches!(self, ChangeKind::Deploy | ChangeKind::Config)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeSource {
    Cloudtrail,
    AlarmHistory,
    /// Read from the facts (an endpoint config's creation, a run's end) or seen
    /// changing between two refreshes.
    Observed,
    Audit,
    Mlflow,
    Airflow,
}

impl ChangeSource {
    pub fn label(self) -> &'static str {
        match self {
            ChangeSource::Cloudtrail => "cloudtrail",
            ChangeSource::AlarmHistory => "alarm-history",
            ChangeSource::Observed => "observed",
            ChangeSource::Audit => "audit",
            ChangeSource::Mlflow => "mlflow",
            ChangeSource::Airflow => "airflow",
        }
    }

    /// Who knows best what happened: CloudTrail names the caller, so its record of a
    /// deploy wins over the same deploy read from the facts.
    fn rank(self) -> u8 {
        match self {
            ChangeSource::Cloudtrail | ChangeSource::Audit => 0,
            ChangeSource::AlarmHistory | ChangeSource::Mlflow | ChangeSource::Airflow => 1,
            ChangeSource::Observed => 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub time: Timestamp,
    /// The model it belongs to, once joined (`attribute`); None for the fleet.
    pub model: Option<String>,
    /// What AWS calls the thing that changed: an endpoint, an endpoint config, a
    /// package group, `cluster/service`, an alarm.
    pub resource: String,
    pub kind: ChangeKind,
    pub what: String,
    /// The caller (CloudTrail's userIdentity, the audit log's identity), if known.
    pub who: Option<String>,
    pub source: ChangeSource,
    /// What a deploy put in place, when the record says: the endpoint config of an
    /// UpdateEndpoint, the task definition of an ECS UpdateService.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<String>,
}

impl Change {
    pub fn new(time: Timestamp, resource: &str, kind: ChangeKind, what: String) -> Change {
        Change {
            time,
            model: None,
            resource: resource.to_string(),
            kind,
            what,
            who: None,
            source: ChangeSource::Observed,
            deployed: None,
        }
    }

    pub fn deploying(mut self, deployed: Option<String>) -> Change {
        self.deployed = deployed;
        self
    }

    /// "deployed to churn-prod by alice on 2026-11-20 10:00 (CloudTrail)": the
    /// evidence a deploy record gives for what it put in place.
    pub fn deployed_by(&self) -> String {
        format!(
            "deployed to {} by {} on {} ({})",
            self.resource,
            self.who.as_deref().unwrap_or("?"),
            self.time.strftime("%Y-%m-%d %H:%M"),
            self.source.label()
        )
    }

    /// The newest deploy recorded that put `deployed` on `resource`.
    pub fn newest_deploy<'a>(
        changes: &'a [Change],
        resource: &str,
        deployed: &str,
    ) -> Option<&'a Change> {
        changes
            .iter()
            .filter(|c| c.resource == resource && c.deployed.as_deref() == Some(deployed))
            .max_by_key(|c| c.time)
    }

    pub fn by(mut self, who: Option<String>) -> Change {
        self.who = who;
        self
    }

    pub fn from(mut self, source: ChangeSource) -> Change {
        self.source = source;
        self
    }

    pub fn of(mut self, model: &str) -> Change {
        self.model = Some(model.to_string());
        self
    }
}

/// `arn:…:assumed-role/Role/session` → `Role/session`, `arn:…:user/alice` → `alice`.
pub fn short_caller(arn: &str) -> String {
    let path = arn.rsplit_once(':').map_or(arn, |(_, p)| p);
    match path.split_once('/') {
        Some(("assumed-role", rest)) => rest.to_string(),
        Some((_, rest)) => rest.rsplit('/').next().unwrap_or(rest).to_string(),
        None if arn.starts_with("arn:") => path.to_string(),
        None => arn.to_string(),
    }
}

/// Which model each name belongs to: its own name and aliases, its endpoint and
/// endpoint configs, its ECS service, its versions' package group, and the alarms on
/// it; exactly, or once stripped (`Normaliser`). Built once per timeline.
pub struct Owners<'a> {
    exact: HashMap<String, &'a str>,
    keys: HashMap<String, &'a str>,
    names: &'a Normaliser,
}

impl<'a> Owners<'a> {
    pub fn of(fleet: &'a Fleet, names: &'a Normaliser) -> Owners<'a> {
        let mut exact = HashMap::new();
        let mut keys = HashMap::new();
        for m in &fleet.models {
            let mut all: Vec<String> = vec![m.name.clone()];
            all.extend(m.aliases.iter().cloned());
            if let Some(e) = &m.endpoint {
                all.extend([e.name.clone(), e.config_name.clone()]);
                all.extend(e.config_history.iter().map(|c| c.name.clone()));
                if let Some(s) = &e.ecs {
                    all.extend([s.service.clone(), format!("{}/{}", s.cluster, s.service)]);
                }
            }
            let groups = m.registry.iter().filter_map(|v| v.arn.as_deref());
            all.extend(groups.filter_map(package_group).map(str::to_string));
            for n in all {
                keys.entry(names.key(&n)).or_insert(m.name.as_str());
                exact.entry(n).or_insert(m.name.as_str());
            }
        }
        for a in &fleet.alarms {
            if let Some(model) = &a.model {
                exact.entry(a.name.clone()).or_insert(model.as_str());
            }
        }
        Owners { exact, keys, names }
    }

    /// The model `resource` belongs to.
    pub fn find(&self, resource: &str) -> Option<String> {
        let found = self
            .exact
            .get(resource)
            .or_else(|| self.keys.get(&self.names.key(resource)));
        found.map(|m| m.to_string())
    }
}

/// `group` of `arn:aws:sagemaker:…:model-package/group/3`.
fn package_group(arn: &str) -> Option<&str> {
    arn.split_once(":model-package/")?.1.split('/').next()
}

/// Every change once (each already joined to its model where one is found, see
/// `Owners`), newest first, at most `TIMELINE`. The same change told by two places
/// (CloudTrail and the facts both know a deploy within a few minutes) is kept once,
/// from the place that knows more.
pub fn timeline(parts: impl IntoIterator<Item = Change>) -> Vec<Change> {
    let mut all: Vec<Change> = parts.into_iter().collect();
    all.sort_by(|a, b| (a.source.rank(), b.time, &a.what).cmp(&(b.source.rank(), a.time, &b.what)));
    // Only changes of one model (or one unjoined resource) can be the same change.
    let mut kept: Vec<Change> = Vec::with_capacity(all.len());
    let mut by_owner: HashMap<String, Vec<usize>> = HashMap::new();
    for c in all {
        let owner = c.model.clone().unwrap_or_else(|| c.resource.clone());
        let same_owner = by_owner.entry(owner).or_default();
        if !same_owner.iter().any(|&k| told_twice(&kept[k], &c)) {
            same_owner.push(kept.len());
            kept.push(c);
        }
    }
    kept.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| a.what.cmp(&b.what)));
    kept.truncate(TIMELINE);
    kept
}

/// Within this long, two records of one model's deploy are one deploy.
pub const SAME_DEPLOY: SignedDuration = SignedDuration::from_mins(10);

fn told_twice(kept: &Change, c: &Change) -> bool {
    let same = kept.time == c.time && kept.what == c.what && kept.resource == c.resource;
    let close = kept.time.duration_since(c.time).abs() <= SAME_DEPLOY;
    // One model's deploy, or one alarm's state change, told by a record and the facts.
    let one_thing = (kept.kind.is_deploy()
        && c.kind.is_deploy()
        && kept.model.is_some()
        && kept.model == c.model)
        || (kept.kind == ChangeKind::Alarm && c.kind == kept.kind && kept.resource == c.resource);
    let told_by_facts_too =
        c.source == ChangeSource::Observed && kept.source != ChangeSource::Observed;
    same || (one_thing && told_by_facts_too && close)
}

/// The newest change to what serves `model`, if any.
pub fn last_deploy<'a>(changes: &'a [Change], model: &str) -> Option<&'a Change> {
    changes
        .iter()
        .find(|c| c.kind.is_deploy() && c.model.as_deref() == Some(model))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{EndpointConfigRef, EndpointFacts, ModelFacts};

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    fn fleet() -> Fleet {
        let endpoint = EndpointFacts {
            name: "churn-prod".into(),
            config_name: "churn-prod-cfg-7".into(),
            config_history: vec![EndpointConfigRef {
                name: "churn-prod-cfg-6".into(),
                created: at(0),
                model: None,
                model_version: Some(6),
                evidence: None,
            }],
            ..Default::default()
        };
        Fleet {
            models: vec![ModelFacts {
                endpoint: Some(endpoint),
                ..ModelFacts::named("churn")
            }],
            ..Default::default()
        }
    }

    #[test]
    fn callers_read_as_their_role_and_session_or_user() {
        let role = "arn:aws:sts::123456789012:assumed-role/ci-deploy-role/gh-1234";
        assert_eq!(short_caller(role), "ci-deploy-role/gh-1234");
        assert_eq!(
            short_caller("arn:aws:iam::123456789012:user/alice"),
            "alice"
        );
        assert_eq!(short_caller("arn:aws:iam::123456789012:root"), "root");
        assert_eq!(short_caller("someone"), "someone");
    }

    #[test]
    fn a_resource_finds_its_model_by_endpoint_config_or_stripped_name() {
        let names = Normaliser::new(&["-prod".to_string()]);
        let f = fleet();
        let owners = Owners::of(&f, &names);
        for r in [
            "churn-prod",
            "churn-prod-cfg-6",
            "churn-prod-cfg-7",
            "Churn",
        ] {
            assert_eq!(owners.find(r).as_deref(), Some("churn"), "{r}");
        }
        assert_eq!(owners.find("fraud-prod"), None);
    }

    #[test]
    fn a_deploy_cloudtrail_names_is_kept_once_with_its_caller() {
        let names = Normaliser::new(&[]);
        let trail = Change::new(
            at(60),
            "churn-prod",
            ChangeKind::Deploy,
            "UpdateEndpoint".into(),
        )
        .by(Some("ci-deploy-role".into()))
        .from(ChangeSource::Cloudtrail);
        let seen = Change::new(
            at(30),
            "churn-prod-cfg-7",
            ChangeKind::Config,
            "config".into(),
        );
        let older = Change::new(
            at(-3600),
            "churn-prod-cfg-6",
            ChangeKind::Config,
            "c6".into(),
        );
        let f = fleet();
        let owners = Owners::of(&f, &names);
        let joined = [seen, trail.clone(), older].map(|mut c| {
            c.model = owners.find(&c.resource);
            c
        });
        let t = timeline(joined);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].who.as_deref(), Some("ci-deploy-role"));
        assert_eq!(t[0].model.as_deref(), Some("churn"));
        assert_eq!(t[1].what, "c6");
        assert_eq!(last_deploy(&t, "churn").map(|c| c.time), Some(at(60)));
    }

    #[test]
    fn the_timeline_is_bounded_newest_first_and_keeps_the_unjoined() {
        let many = (0..TIMELINE as i64 + 20)
            .map(|i| Change::new(at(i), "nobody", ChangeKind::Alarm, format!("a{i}")));
        let t = timeline(many);
        assert_eq!(t.len(), TIMELINE);
        assert_eq!(t[0].time, at(TIMELINE as i64 + 19));
        assert!(t.iter().all(|c| c.model.is_none()));
    }
}
