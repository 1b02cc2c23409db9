//! Command-line interface (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mlopsdash",
    version,
    about = "One terminal screen for every ML model's whole pipeline on AWS",
    after_help = "Try it without an AWS account: mlopsdash --demo"
)]
pub struct Cli {
    /// Run on the built-in simulated fleet (no AWS account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Seed of the simulated fleet; the same seed gives the same numbers.
    #[arg(long, value_name = "N", global = true)]
    pub demo_seed: Option<u64>,

    /// Number of models in the simulated fleet (the eight built-in models, then generated ones).
    #[arg(long, value_name = "N", global = true, value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub demo_models: Option<u32>,

    /// AWS region, or several at once: us-east-1,us-west-2 [default: [aws] regions,
    /// then AWS_REGION, then the profile's region].
    #[arg(
        long,
        value_name = "REGION[,REGION…]",
        global = true,
        value_delimiter = ','
    )]
    pub region: Vec<String>,

    /// AWS profile from ~/.aws/config (SSO profiles included) [default: AWS_PROFILE].
    #[arg(long, value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// Send every AWS call to this URL (an emulator, a VPC endpoint). Works like
    /// AWS_ENDPOINT_URL: a service-specific AWS_ENDPOINT_URL_<SERVICE> still wins.
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint_url: Option<String>,

    /// Config file [default: the platform config dir, e.g. ~/.config/mlopsdash/config.toml].
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,

    /// Disable every action (rollback, retrain, approve/reject, stop): look, never touch.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Colour theme: dark, light, mono, or a path to a theme file. NO_COLOR picks mono.
    #[arg(long, value_name = "NAME|PATH", global = true)]
    pub theme: Option<String>,

    /// Show the fleet as recorded at TIME, with no AWS call: RFC 3339
    /// (2026-12-02T14:02:00Z), HH:MM (UTC, the last such time), or -2h / -90m.
    #[arg(long, value_name = "TIME", global = true, allow_hyphen_values = true, value_parser = parse_when)]
    pub at: Option<When>,

    /// Show the fleet a collector writes to S3 (`mlopsdash collect --to`) instead of
    /// asking AWS: s3://bucket/prefix/. Actions still run with your own credentials.
    #[arg(long, value_name = "S3_URL", global = true)]
    pub from: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the config file.
    Config {
        #[command(subcommand)]
        action: ConfigCommand,
    },
    /// Gather everything once, print it, exit 0 ok / 1 warn / 2 crit / 3 could not gather.
    Snapshot {
        /// Print JSON (keys documented in README) instead of a table.
        #[arg(long)]
        json: bool,
        /// The lowest health that makes the exit code non-zero.
        #[arg(long, value_enum, default_value = "warn")]
        fail_on: crate::snapshot::FailOn,
    },
    /// Write one model's incident report (Markdown and an SVG of its screen): state,
    /// what changed and what moved after, alarms, actions from the audit log.
    Export {
        /// The model, as the pipeline view names it.
        model: String,
        /// Only changes and actions from this time on (as --at reads times).
        #[arg(long, value_name = "TIME", allow_hyphen_values = true, value_parser = parse_when)]
        since: Option<When>,
        /// Where to write [default: [export] dir, else the current directory].
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Gather the fleet with no screen and write each refresh's state to S3 for
    /// viewers (`--from`): for a systemd unit or an ECS task. Never acts.
    Collect {
        /// Where the states go: s3://bucket/prefix/.
        #[arg(long, value_name = "S3_URL")]
        to: String,
        /// At most one state this often, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(10..=3600))]
        every: u64,
        /// Delete states older than this many hours (the pointer's state is kept).
        #[arg(long, value_name = "HOURS", default_value_t = 24, value_parser = clap::value_parser!(u64).range(1..=2160))]
        keep_hours: u64,
        /// Stop after this many states [default: run until SIGTERM/SIGINT].
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100000))]
        count: Option<u32>,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// A time as given on the command line, resolved against the clock when used.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    At(jiff::Timestamp),
    /// Hour and minute, UTC: the last time the clock showed it.
    Clock(i8, i8),
    Ago(jiff::SignedDuration),
}

impl When {
    pub fn resolve(self, now: jiff::Timestamp) -> jiff::Timestamp {
        match self {
            When::At(t) => t,
            When::Ago(d) => now - d,
            When::Clock(h, m) => {
                let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
                let at = today
                    .at(h, m, 0, 0)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp())
                    .unwrap_or(now);
                if at > now {
                    at - jiff::SignedDuration::from_hours(24)
                } else {
                    at
                }
            }
        }
    }
}

/// "2026-12-02T14:02:00Z", "14:02", "-2h", "-90m", "-1h30m".
pub fn parse_when(s: &str) -> Result<When, String> {
    let s = s.trim();
    if let Some(ago) = s.strip_prefix('-') {
        let d: jiff::SignedDuration = ago
            .parse()
            .map_err(|_| format!("{s}: not a duration like -2h or -90m"))?;
        if d.is_negative() || d > jiff::SignedDuration::from_hours(24 * 366) {
            return Err(format!("{s}: between 0 and a year back"));
        }
        return Ok(When::Ago(d));
    }
    if let Some((h, m)) = s
        .split_once(':')
        .filter(|(h, m)| h.len() <= 2 && m.len() == 2)
    {
        let (h, m): (i8, i8) = (
            h.parse().map_err(|_| format!("{s}: not HH:MM"))?,
            m.parse().map_err(|_| format!("{s}: not HH:MM"))?,
        );
        if !(0..24).contains(&h) || !(0..60).contains(&m) {
            return Err(format!("{s}: not a time of day"));
        }
        return Ok(When::Clock(h, m));
    }
    s.parse::<jiff::Timestamp>()
        .map(When::At)
        .map_err(|_| format!("{s}: not a time (2026-12-02T14:02:00Z, 14:02 or -2h)"))
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the documented example config (every option, commented).
    Init {
        /// Where to write it [default: the platform config path].
        #[arg(long, value_name = "PATH")]
        path: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the path the config is read from.
    Path,
    /// Check a config file and report the first problem with its line and column.
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_instants_clock_times_and_durations_back() {
        let now: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let at = |s: &str| parse_when(s).map(|w| w.resolve(now).to_string());
        assert_eq!(at("2026-12-01T08:30:00Z").unwrap(), "2026-12-01T08:30:00Z");
        assert_eq!(at("09:15").unwrap(), "2026-12-02T09:15:00Z");
        // A clock time later than now is yesterday's.
        assert_eq!(at("23:00").unwrap(), "2026-12-01T23:00:00Z");
        assert_eq!(at("-2h").unwrap(), "2026-12-02T08:00:00Z");
        assert_eq!(at("-1h30m").unwrap(), "2026-12-02T08:30:00Z");
        for bad in [
            "",
            "25:00",
            "12:7",
            "-2 parsecs",
            "yesterday",
            "--3h",
            "-9000d",
        ] {
            assert!(parse_when(bad).is_err(), "{bad}");
        }
    }
}
