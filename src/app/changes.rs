//! The change timeline: what the sources recorded, what the facts date, what this
//! session saw change, and the user's own actions, joined to models; and for each
//! model the newest deploy with what moved after it.

use std::collections::{HashMap, VecDeque};

use jiff::{SignedDuration, Timestamp};

use super::state::App;
use crate::model::changes::{self, short_caller, Change, ChangeKind, ChangeSource};
use crate::model::changes_seen;
use crate::model::deltas::{self, Delta};
use crate::model::events::Event;
use crate::model::{Fleet, Health};

/// How many changes seen between refreshes the app remembers.
const SEEN: usize = 300;

/// A model turned bad within this long after a deploy: the row names the deploy.
const BLAME_WINDOW: SignedDuration = SignedDuration::from_mins(60);

/// How long a resource's model, once looked up, is trusted: names change rarely,
/// and the lookup indexes every name of the fleet.
const OWNER_TTL: SignedDuration = SignedDuration::from_secs(60);

/// Changes this session saw itself (between refreshes, and actions taken), and the
/// models recorded changes' resources were found to belong to.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    changes: VecDeque<Change>,
    owners: HashMap<String, Option<String>>,
    /// When `owners` was started, and for how many models.
    owners_since: Option<(Timestamp, usize)>,
}

impl Seen {
    fn push(&mut self, c: Change) {
        self.changes.push_front(c);
        self.changes.truncate(SEEN);
    }
}

impl App {
    /// What differs between the last fleet and the new one, kept as changes.
    pub(super) fn observe(&mut self, before: Option<&Fleet>, at: Timestamp) {
        let (Some(before), Some(after)) = (before, self.fleet.data()) else {
            return;
        };
        for c in changes_seen::between(before, after, at) {
            self.seen.push(c);
        }
    }

    /// An action's step, as the audit log records it, with the caller as who.
    pub(super) fn observe_action(&mut self, e: &Event) {
        let Some(what) = &e.action else {
            return;
        };
        let who = self.context.caller.as_deref().map(short_caller);
        let line = format!("{what}: {}", e.detail);
        let c = Change::new(e.at, &e.model, ChangeKind::Action, line)
            .of(&e.model)
            .by(who)
            .from(ChangeSource::Audit);
        self.seen.push(c);
    }

    /// Rebuilds the timeline from every part.
    pub(super) fn rebuild_changes(&mut self) {
        let Some(fleet) = self.fleet.data() else {
            return;
        };
        // In the past, nothing after the moment shown.
        let until = self.now();
        let fresh = self.seen.owners_since.is_some_and(|(t, n)| {
            n == fleet.models.len() && until.duration_since(t).abs() < OWNER_TTL
        });
        if !fresh {
            self.seen.owners.clear();
            self.seen.owners_since = Some((until, fleet.models.len()));
        }
        let unknown = fleet
            .changes
            .iter()
            .any(|c| c.model.is_none() && !self.seen.owners.contains_key(&c.resource));
        if unknown {
            let index = changes::Owners::of(fleet, &self.rules.names);
            for c in fleet.changes.iter().filter(|c| c.model.is_none()) {
                let found = index.find(&c.resource);
                self.seen.owners.insert(c.resource.clone(), found);
            }
        }
        let owners = &self.seen.owners;
        let recorded = fleet.changes.iter().map(|c| {
            let mut c = c.clone();
            if c.model.is_none() {
                c.model = owners.get(&c.resource).cloned().flatten();
            }
            c
        });
        let parts = recorded
            .chain(changes_seen::in_facts(fleet))
            .chain(self.seen.changes.iter().cloned())
            .filter(|c| c.time <= until);
        self.changes = changes::timeline(parts);
    }

    /// Every change, newest first.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The changes the `:changes` view lists: every one, or those of the models the
    /// filter keeps as rows (by any of their names), and unjoined ones whose
    /// resource matches.
    pub fn listed_changes(&self) -> Vec<&Change> {
        let needle = self.filter.to_lowercase();
        let rows: std::collections::BTreeSet<&str> =
            self.rows.iter().map(|r| r.name.as_str()).collect();
        self.changes
            .iter()
            .filter(|c| match &c.model {
                _ if needle.is_empty() => true,
                Some(model) => rows.contains(model.as_str()),
                None => c.resource.to_lowercase().contains(&needle),
            })
            .collect()
    }

    /// One model's changes, newest first.
    pub fn model_changes<'a>(&'a self, model: &'a str) -> impl Iterator<Item = &'a Change> + 'a {
        self.changes
            .iter()
            .filter(move |c| c.model.as_deref() == Some(model))
    }

    /// The model's newest deploy and what moved meaningfully since.
    pub fn last_change(&self, model: &str) -> Option<(&Change, Vec<Delta>)> {
        let change = changes::last_deploy(&self.changes, model)?;
        let m = self.fleet.data()?.model(model)?;
        let business = self.rules.quality_metrics(&m.name, m.kind);
        Some((
            change,
            deltas::around(m, &business, change.time, self.now()),
        ))
    }

    /// The model version a deploy put in service, when the endpoint's config history
    /// has a config of about that time that names it.
    pub fn deployed_version(&self, model: &str, deploy: &Change) -> Option<u32> {
        let endpoint = self.fleet.data()?.model(model)?.endpoint.as_ref()?;
        endpoint
            .config_history
            .iter()
            .filter(|c| c.created.duration_since(deploy.time).abs() <= changes::SAME_DEPLOY)
            .find_map(|c| c.model_version)
    }

    /// The deploy a model in trouble had shortly before: what its row names.
    pub fn recent_cause(&self, model: &str) -> Option<&Change> {
        let bad = self
            .health
            .get(model)
            .is_some_and(|h| h.overall >= Health::Warn);
        let change = changes::last_deploy(&self.changes, model)?;
        let age = self.now().duration_since(change.time);
        (bad && age >= SignedDuration::ZERO && age <= BLAME_WINDOW).then_some(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_app;

    #[test]
    fn the_demo_bad_deploy_is_named_with_its_author_and_what_moved() {
        let app = demo_app(6, 120);
        let (deploy, moved) = app.last_change("recommendation-engine").unwrap();
        assert_eq!(deploy.who.as_deref(), Some("ci-deploy-role"));
        assert!(deploy
            .what
            .starts_with("UpdateEndpoint recommendation-engine-prod"));
        let words = deltas::words(&moved).unwrap();
        assert!(words.contains("p99 ×"), "{words}");
        assert_eq!(
            app.recent_cause("recommendation-engine").map(|c| c.time),
            Some(deploy.time)
        );
        // The facts' own record of that config is the same deploy, kept once.
        let same = app
            .model_changes("recommendation-engine")
            .filter(|c| c.kind.is_deploy() && c.time == deploy.time)
            .count();
        assert_eq!(same, 1);
        // In trouble (a failed training run) with no deploy in the hour: nothing named.
        assert!(app.health()["fraud-scoring"].overall >= Health::Warn);
        assert!(app.recent_cause("fraud-scoring").is_none());
    }
}
