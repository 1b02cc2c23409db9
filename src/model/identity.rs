//! A model's identity: which name a row carries, and how each piece of AWS was joined
//! to it. Resolved in a documented order of trust (config, tag, lineage, name), and
//! kept with the row so the user can see why two resources are one model.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use serde::{Deserialize, Serialize};

/// How a piece was joined to its model, most trusted first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JoinedBy {
    /// `[[models]]` in the config file names it.
    Config,
    /// A tag on the resource names the model (`model=…`, `mlopsdash:model=…`).
    Tag,
    /// Exact lineage: the package or artifact the endpoint serves.
    Lineage,
    /// Names that agree once environment and version affixes are stripped.
    Name,
}

impl JoinedBy {
    pub fn label(self) -> &'static str {
        match self {
            JoinedBy::Config => "config",
            JoinedBy::Tag => "tag",
            JoinedBy::Lineage => "lineage",
            JoinedBy::Name => "name",
        }
    }
}

/// One piece of the model (an endpoint, a package group, a metric) and why it is here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    /// What the piece is, e.g. "endpoint demand-prod".
    pub what: String,
    pub by: JoinedBy,
    /// What matched, e.g. "tag model=demand" or "ModelDataUrl s3://… = package v3".
    pub evidence: String,
}

/// How the row's name was found, and every piece joined to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub by: JoinedBy,
    pub evidence: String,
    pub pieces: Vec<Piece>,
}

impl Identity {
    pub fn new(by: JoinedBy, evidence: impl Into<String>) -> Identity {
        Identity {
            by,
            evidence: evidence.into(),
            pieces: Vec::new(),
        }
    }

    pub fn with(
        mut self,
        what: impl Into<String>,
        by: JoinedBy,
        evidence: impl Into<String>,
    ) -> Self {
        self.join(what, by, evidence);
        self
    }

    pub fn join(&mut self, what: impl Into<String>, by: JoinedBy, evidence: impl Into<String>) {
        let piece = Piece {
            what: what.into(),
            by,
            evidence: evidence.into(),
        };
        if !self.pieces.contains(&piece) {
            self.pieces.push(piece);
        }
    }
}

/// Tag keys on an endpoint whose value names its model, unless config says others.
pub const DEFAULT_TAG_KEYS: [&str; 2] = ["model", "mlopsdash:model"];

/// Environment and role words that name where or how a model runs, not which model.
pub const DEFAULT_AFFIXES: &[&str] = &[
    "prod",
    "production",
    "staging",
    "stg",
    "stage",
    "dev",
    "test",
    "qa",
    "endpoint",
    "ep",
    "live",
    "canary",
    "blue",
    "green",
    "group",
    "model",
    "models",
    "registry",
    "pkg",
    "package",
    "train",
    "training",
    "job",
];

/// Environment words that also appear in front of a name ("prod-churn").
const LEADING: &[&str] = &[
    "prod",
    "production",
    "staging",
    "stg",
    "stage",
    "dev",
    "test",
];

/// The environment one word of a name means, if any.
pub fn environment_word(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "prod" | "production" | "live" => Some("prod"),
        "staging" | "stage" | "stg" => Some("staging"),
        "dev" | "development" => Some("dev"),
        "qa" | "test" => Some("qa"),
        "canary" => Some("canary"),
        _ => None,
    }
}

/// The environment a name says it runs in, from its first or last word: `prod`,
/// `staging`, `dev`, `qa` or `canary` (`production`, `stage`, `stg`, `test` read as
/// their usual words). None for a name that says none.
pub fn environment_of(name: &str) -> Option<&'static str> {
    let all = tokens(name);
    let word = environment_word;
    // A version or a date after it ("churn-staging-v2") does not hide it.
    all.iter()
        .rev()
        .map(|(_, t)| *t)
        .find(|t| !is_version(t) && !t.chars().all(|c| c.is_ascii_digit()))
        .and_then(word)
        .filter(|_| all.len() > 1)
        .or_else(|| {
            all.first()
                .filter(|_| all.len() > 1)
                .and_then(|(_, t)| word(t))
        })
}

/// `p-9x8kq2lmn0ab`: the id SageMaker Projects put after a project's name in the
/// names of what its templates create.
fn is_project_id(prefix: &str, id: &str) -> bool {
    prefix.eq_ignore_ascii_case("p")
        && id.len() == 12
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Strips affixes from names so that `demand-prod`, `demand-group` and
/// `demand-train-v3` all name `demand`: the last resort of identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normaliser {
    affixes: Vec<String>,
}

impl Default for Normaliser {
    fn default() -> Normaliser {
        Normaliser::new(&[])
    }
}

impl Normaliser {
    /// The default affixes plus `extra` (from config), compared without case.
    pub fn new(extra: &[String]) -> Normaliser {
        let affixes = DEFAULT_AFFIXES
            .iter()
            .map(|a| a.to_string())
            .chain(extra.iter().map(|a| a.to_ascii_lowercase()))
            .collect();
        Normaliser { affixes }
    }

    /// The name without its affixes, in its own spelling: `Demand-Forecast-prod-v3`
    /// gives `Demand-Forecast`. Never empty: a name made only of affixes stays whole.
    pub fn strip<'a>(&self, name: &'a str) -> &'a str {
        let all = tokens(name);
        let mut kept: &[(usize, &str)] = &all;
        loop {
            let before = kept.len();
            let digits = trailing_date(kept);
            if digits > 0 && digits < kept.len() {
                kept = kept.get(..kept.len() - digits).unwrap_or(kept);
            }
            if let Some(((_, last), rest)) = kept.split_last() {
                if !rest.is_empty() && self.is_affix(last) {
                    kept = rest;
                }
            }
            // SageMaker Projects: `churn-p-9x8kq2lmn0ab` is the project churn.
            if let [head @ .., (_, p), (_, id)] = kept {
                if !head.is_empty() && is_project_id(p, id) {
                    kept = head;
                }
            }
            if let Some(((_, last), rest)) = kept.split_last() {
                if !rest.is_empty() && is_version(last) {
                    kept = rest;
                }
            }
            if let Some(((_, first), rest)) = kept.split_first() {
                if !rest.is_empty() && LEADING.contains(&first.to_ascii_lowercase().as_str()) {
                    kept = rest;
                }
            }
            if kept.len() == before {
                break;
            }
        }
        match (kept.first(), kept.last()) {
            (Some((start, _)), Some((end, t))) => name.get(*start..end + t.len()).unwrap_or(name),
            _ => name,
        }
    }

    /// The key names are compared by: stripped, lower case, `_`, `.` and spaces as `-`,
    /// and CamelCase words apart (`DemandForecaster` is `demand-forecaster`, as MLflow
    /// registries often name what endpoints call `demand-forecaster-prod`).
    pub fn key(&self, name: &str) -> String {
        let mut key = String::new();
        let mut after_lower = false;
        for c in self.strip(name).chars() {
            if c.is_ascii_uppercase() && after_lower {
                key.push('-');
            }
            after_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            key.push(match c {
                '_' | '.' | ' ' | '/' => '-',
                c => c.to_ascii_lowercase(),
            });
        }
        key
    }

    fn is_affix(&self, token: &str) -> bool {
        let t = token.to_ascii_lowercase();
        self.affixes.contains(&t)
    }
}

/// The name's words with their byte offsets, split at `-`, `_`, `.` and spaces.
fn tokens(name: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices() {
        if matches!(c, '-' | '_' | '.' | ' ') {
            if let Some(t) = name.get(start..i).filter(|t| !t.is_empty()) {
                out.push((start, t));
            }
            start = i + c.len_utf8();
        }
    }
    if let Some(t) = name.get(start..).filter(|t| !t.is_empty()) {
        out.push((start, t));
    }
    out
}

/// `v3`, `V12`: a version suffix.
fn is_version(token: &str) -> bool {
    let mut chars = token.chars();
    matches!(chars.next(), Some('v' | 'V'))
        && !chars.as_str().is_empty()
        && chars.all(|c| c.is_ascii_digit())
}

/// How many trailing tokens are a date or time stamp (`20261120`, `2026-11-20-10-00-00`,
/// `1764590000`): an all-digit run that starts with a year, a yyyymmdd or a Unix time.
/// Plain numbers (`resnet-50`) are part of the name.
fn trailing_date(tokens: &[(usize, &str)]) -> usize {
    let run = tokens
        .iter()
        .rev()
        .take_while(|(_, t)| t.chars().all(|c| c.is_ascii_digit()))
        .count();
    let Some((_, first)) = tokens.get(tokens.len().saturating_sub(run)) else {
        return 0;
    };
    let year = |t: &str| t.starts_with("19") || t.starts_with("20");
    let dated = match first.len() {
        4 | 8 | 12 | 14 => year(first),
        10 => first.starts_with('1'),
        _ => false,
    };
    if dated {
        run
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_world_spellings_name_one_model() {
        let n = Normaliser::default();
        let cases = [
            ("demand-forecasting-prod", "demand-forecasting"),
            ("demand-forecasting-production", "demand-forecasting"),
            ("demand-forecasting-group", "demand-forecasting"),
            ("demand-forecasting-train-v3", "demand-forecasting"),
            ("demand-forecasting-v12", "demand-forecasting"),
            ("demand-forecasting-20261120", "demand-forecasting"),
            (
                "demand-forecasting-2026-11-20-10-00-00",
                "demand-forecasting",
            ),
            (
                "demand-forecasting-2026-11-20-10-00-00-123",
                "demand-forecasting",
            ),
            ("demand-forecasting-1764590000", "demand-forecasting"),
            ("demand_forecasting", "demand-forecasting"),
            ("Demand.Forecasting", "demand-forecasting"),
            ("churn-endpoint", "churn"),
            ("churn-ep-live", "churn"),
            ("churn-canary", "churn"),
            ("churn-blue", "churn"),
            ("churn-green", "churn"),
            ("churn-stg", "churn"),
            ("churn-staging-endpoint-v2", "churn"),
            ("churn-dev", "churn"),
            ("prod-churn", "churn"),
            ("churn-models", "churn"),
            ("churn-registry", "churn"),
            ("churn-pkg", "churn"),
            ("churn-model", "churn"),
            ("recsys-model-v7-2026-11-20", "recsys"),
            // MLflow registries name models in CamelCase.
            ("DemandForecaster", "demand-forecaster"),
            ("demand-forecaster-prod", "demand-forecaster"),
            ("churnXGB", "churn-xgb"),
            ("XGBoost", "xgboost"),
            // SageMaker Projects name what their templates make `<project>-<id>`.
            ("churn-p-9x8kq2lmn0ab", "churn"),
            ("churn-p-9x8kq2lmn0ab-staging", "churn"),
            ("churn-p-9x8kq2lmn0ab-prod", "churn"),
            ("churn-staging", "churn"),
            ("churn-qa", "churn"),
        ];
        for (name, key) in cases {
            assert_eq!(n.key(name), key, "{name}");
        }
    }

    #[test]
    fn names_say_their_environment() {
        let cases = [
            ("churn-prod", Some("prod")),
            ("churn-production", Some("prod")),
            ("churn-staging", Some("staging")),
            ("churn-stg-v2", Some("staging")),
            ("prod-churn", Some("prod")),
            ("churn-dev", Some("dev")),
            ("churn-qa", Some("qa")),
            ("churn-canary", Some("canary")),
            ("churn-p-9x8kq2lmn0ab-staging", Some("staging")),
            ("churn", None),
            ("prod", None),
            ("churn-detection", None),
        ];
        for (name, env) in cases {
            assert_eq!(environment_of(name), env, "{name}");
        }
    }

    #[test]
    fn different_models_stay_apart() {
        let n = Normaliser::default();
        let apart = [
            ("churn", "churn-v2-experiment"),
            ("resnet-50", "resnet-101"),
            ("churn", "churn-detection"),
            ("fraud-eu", "fraud-us"),
            ("ranker-2", "ranker-3"),
            // Only SageMaker's 12-character project ids are shed.
            ("churn-p-1", "churn"),
        ];
        for (a, b) in apart {
            assert_ne!(n.key(a), n.key(b), "{a} vs {b}");
        }
    }

    #[test]
    fn a_name_made_only_of_affixes_stays_whole() {
        let n = Normaliser::default();
        assert_eq!(n.strip("prod"), "prod");
        assert_eq!(n.strip("model-v2"), "model");
        assert_eq!(n.strip("v2"), "v2");
        assert_eq!(n.strip(""), "");
        assert_eq!(n.strip("--"), "--");
    }

    #[test]
    fn strip_keeps_the_names_own_spelling() {
        let n = Normaliser::default();
        assert_eq!(n.strip("Demand_Forecast-PROD-v3"), "Demand_Forecast");
        assert_eq!(n.strip("sales-forecast"), "sales-forecast");
    }

    #[test]
    fn configured_affixes_are_stripped_too() {
        let n = Normaliser::new(&["EU1".to_string()]);
        assert_eq!(n.key("fraud-eu1-prod"), "fraud");
        assert_eq!(Normaliser::default().key("fraud-eu1-prod"), "fraud-eu1");
    }

    #[test]
    fn test_names_with_process_ids_are_not_dates() {
        let n = Normaliser::default();
        assert_eq!(n.key("churn-4242-123456789"), "churn-4242-123456789");
    }
}
