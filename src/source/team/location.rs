//! Where a team's states live: `s3://bucket/prefix/`, and the keys under it. One
//! `latest.json` pointer, and every state under `states/` by day, so a lifecycle
//! rule on that one prefix can expire them as well as the collector's own pruning.

use jiff::Timestamp;

/// A bucket and a key prefix (empty, or ending in `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    pub prefix: String,
}

impl Location {
    /// `s3://bucket`, `s3://bucket/`, `s3://bucket/team/mlops/`: a clear error for
    /// anything else.
    pub fn parse(url: &str) -> Result<Location, String> {
        let crate::config::S3Location { bucket, prefix } = crate::config::parse_s3(url)
            .ok_or_else(|| format!("{url}: not an S3 URL (s3://bucket/prefix/)"))?;
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid_bucket {
            return Err(format!(
                "{url}: {bucket:?} is not an S3 bucket name (3-63 lower-case letters, digits, '-' or '.')"
            ));
        }
        if prefix.len() > 512 || prefix.contains("//") || prefix.chars().any(char::is_control) {
            return Err(format!("{url}: the prefix must be a plain key prefix"));
        }
        let prefix = match prefix.is_empty() || prefix.ends_with('/') {
            true => prefix,
            false => format!("{prefix}/"),
        };
        Ok(Location { bucket, prefix })
    }

    /// The pointer to the newest state, rewritten after each one.
    pub fn latest(&self) -> String {
        format!("{}latest.json", self.prefix)
    }

    /// Where every state lives: the prefix a lifecycle rule expires.
    pub fn states(&self) -> String {
        format!("{}states/", self.prefix)
    }

    /// A state written at `at`: keys sort by time, one folder a day.
    pub fn state_key(&self, at: Timestamp) -> String {
        let t = at.to_zoned(jiff::tz::TimeZone::UTC);
        format!(
            "{}{}/{}.json.gz",
            self.states(),
            t.strftime("%Y-%m-%d"),
            t.strftime("%H%M%S%.3fZ")
        )
    }

    /// When a state was written, as its key spells it (None for any other key).
    pub fn time_of(&self, key: &str) -> Option<Timestamp> {
        let stamp = key.strip_prefix(&self.states())?.strip_suffix(".json.gz")?;
        jiff::fmt::strtime::parse("%Y-%m-%d/%H%M%S%.fZ", stamp)
            .ok()?
            .to_datetime()
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    }

    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_read_as_a_bucket_and_a_prefix_ending_in_a_slash() {
        let l = Location::parse("s3://team-ml/oncall/mlops").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("team-ml", "oncall/mlops/")
        );
        assert_eq!(l.latest(), "oncall/mlops/latest.json");
        let at: Timestamp = "2026-12-02T17:44:11.5Z".parse().unwrap();
        assert_eq!(l.time_of(&l.state_key(at)), Some(at));
        assert_eq!(l.time_of("oncall/mlops/latest.json"), None);
        assert_eq!(l.time_of("oncall/mlops/states/notes.txt"), None);
        assert_eq!(
            l.state_key(at),
            "oncall/mlops/states/2026-12-02/174411.500Z.json.gz"
        );
        assert_eq!(
            Location::parse("s3://team-ml").unwrap().latest(),
            "latest.json"
        );
        assert_eq!(Location::parse("s3://team-ml/").unwrap().prefix, "");
        for bad in [
            "team-ml/x",
            "https://team-ml/x",
            "s3://",
            "s3://Team_ML/x",
            "s3://ab/x",
            "s3://-bucket/x",
            "s3://bucket/a//b",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
