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

    /// Number of models in the simulated fleet (the six built-in models, then generated ones).
    #[arg(long, value_name = "N", global = true, value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub demo_models: Option<u32>,

    /// AWS region [default: AWS_REGION, then the profile's region].
    #[arg(long, value_name = "REGION", global = true)]
    pub region: Option<String>,

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
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
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
