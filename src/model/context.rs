//! Where the data comes from and as whom: the demo, or AWS accounts and regions.

use super::scope::{Scope, ScopeIx};

/// Where the data comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Demo { seed: u64 },
    Aws { region: String },
}

/// Where the data comes from and as whom, as the header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub place: Place,
    /// The AWS account id, once STS has answered.
    pub account: Option<String>,
    /// The caller's ARN from STS, for the audit log.
    pub caller: Option<String>,
    /// Set when the caller's identity could not be read (e.g. expired credentials).
    pub problem: Option<String>,
    /// How often each source asks: facts older than three intervals are stale.
    pub intervals: std::collections::BTreeMap<super::update::SourceId, std::time::Duration>,
    /// Every account and region watched, in config order (one for a plain session).
    pub scopes: Vec<Scope>,
    /// Set when the facts come from a collector's states in S3 (`--from`).
    pub collector: Option<super::collected::CollectorView>,
}

impl Context {
    pub fn new(place: Place) -> Context {
        let scopes = match &place {
            Place::Aws { region } => vec![Scope {
                region: region.clone(),
                ..Scope::default()
            }],
            Place::Demo { .. } => Vec::new(),
        };
        Context {
            scopes,
            place,
            account: None,
            caller: None,
            problem: None,
            intervals: Default::default(),
            collector: None,
        }
    }

    /// A viewer's (`--from`): the collector's place, accounts and regions, never its
    /// callers (the viewer's own STS answers fill those); facts to come from `first`.
    pub fn collected(location: String, first: &super::collected::Collected) -> Context {
        let c = &first.collector;
        let place = match (c.demo_seed, &c.region) {
            (Some(seed), _) => Place::Demo { seed },
            (None, region) => Place::Aws {
                region: region.clone().unwrap_or_default(),
            },
        };
        let mut context = Context::new(place);
        context.scopes = first
            .scopes
            .iter()
            .map(|s| Scope {
                caller: None,
                ..s.clone()
            })
            .collect();
        context.account = c.account.clone();
        context.collector = Some(super::collected::CollectorView {
            location,
            collector: c.clone(),
            ..Default::default()
        });
        context
    }

    /// "demo · seed 42", or "123456789012 · us-east-1" ("…" until STS answers).
    pub fn label(&self) -> String {
        match &self.place {
            Place::Demo { seed } => format!("demo · seed {seed}"),
            Place::Aws { region } => {
                format!("{} · {region}", self.account.as_deref().unwrap_or("…"))
            }
        }
    }

    /// The `ix`-th scope.
    pub fn scope(&self, ix: ScopeIx) -> Option<&Scope> {
        self.scopes.get(usize::from(ix))
    }

    /// STS's answer for one scope; the first scope's is the session's own.
    pub fn identified(&mut self, ix: ScopeIx, who: Result<super::update::Caller, String>) {
        if let Some(scope) = self.scopes.get_mut(usize::from(ix)) {
            match &who {
                Ok(w) => {
                    scope.problem = None;
                    scope.account = Some(w.account.clone());
                    scope.caller = Some(w.arn.clone());
                }
                Err(why) => scope.problem = Some(why.clone()),
            }
        }
        if ix != 0 {
            return;
        }
        match who {
            Ok(w) => {
                self.problem = None;
                self.account = Some(w.account);
                self.caller = Some(w.arn);
            }
            Err(why) => self.problem = Some(why),
        }
    }

    pub fn region(&self) -> Option<&str> {
        match &self.place {
            Place::Demo { .. } => None,
            Place::Aws { region } => Some(region),
        }
    }
}
