use serde::{Deserialize, Serialize};

/// How healthy something is. Ordered from best to worst so `max` is "the worst of".
/// Missing data is `Unknown`, never `Ok`: "no data" must not be drawn as green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Unknown,
    Warn,
    Crit,
}

impl Health {
    /// The worst of several healths; `Unknown` when there is nothing to judge.
    pub fn worst(all: impl IntoIterator<Item = Health>) -> Health {
        all.into_iter().max().unwrap_or(Health::Unknown)
    }

    /// Glyphs carry the state on their own, so monochrome terminals and plain text
    /// lose nothing.
    pub fn glyph(self) -> &'static str {
        match self {
            Health::Ok => "✔",
            Health::Warn => "⚠",
            Health::Crit => "✖",
            Health::Unknown => "?",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Unknown => "unknown",
            Health::Warn => "warn",
            Health::Crit => "crit",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_picks_most_severe() {
        assert_eq!(
            Health::worst([Health::Ok, Health::Crit, Health::Warn]),
            Health::Crit
        );
        assert_eq!(
            Health::worst([Health::Ok, Health::Unknown]),
            Health::Unknown
        );
        assert_eq!(Health::worst([Health::Ok, Health::Ok]), Health::Ok);
    }

    #[test]
    fn nothing_to_judge_is_unknown_not_ok() {
        assert_eq!(Health::worst([]), Health::Unknown);
    }
}
