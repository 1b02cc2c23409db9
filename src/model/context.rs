//! Where the data comes from and as whom: the demo, or an AWS account and region.

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
}

impl Context {
    pub fn new(place: Place) -> Context {
        Context {
            place,
            account: None,
            caller: None,
            problem: None,
            intervals: Default::default(),
        }
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

    pub fn region(&self) -> Option<&str> {
        match &self.place {
            Place::Demo { .. } => None,
            Place::Aws { region } => Some(region),
        }
    }
}
