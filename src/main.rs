//! CLI entry: parse args, load config, pick the backend, run the dashboard.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{CommandFactory, Parser};
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use mlopsdash::app::{self, App, Context};
use mlopsdash::cli::{Cli, Command, ConfigCommand};
use mlopsdash::config::{self, paths, Config, Theme};
use mlopsdash::source::demo::{DemoSource, Simulator};
use mlopsdash::source::{self};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mlopsdash: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let (config_path, named) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (
            paths::default_config_file()
                .context("no home directory to find the config in; pass --config")?,
            false,
        ),
    };
    match cli.command {
        Some(Command::Config { action }) => return config_command(action, &config_path, named),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "mlopsdash",
                &mut std::io::stdout(),
            );
            return Ok(());
        }
        None => {}
    }
    // Everything that can fail on bad input fails here, before the terminal is touched.
    let config = Config::load(&config_path, named)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(
        cli.theme.as_deref().or(config.general.theme.as_deref()),
        no_color,
    )?;
    if !cli.demo {
        bail!("connecting to AWS is not built yet; run `mlopsdash --demo` for the simulated fleet");
    }
    let _log = init_logging();
    tracing::info!(config = %config_path.display(), theme = %theme.name, "starting");

    let seed = cli.demo_seed.unwrap_or(config.demo.seed);
    let models = cli.demo_models.map_or(config.demo.models, |n| n as usize);
    let started = Timestamp::now();
    let sim = Simulator::new(seed, started, models);
    let context = Context {
        label: format!("demo · seed {seed}"),
    };
    let app = App::new(
        context,
        config.rules.clone(),
        config.keymap.clone(),
        started,
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (tx, rx) = mpsc::channel(64);
        let (refresh_tx, refresh_rx) = watch::channel(0);
        let every = Duration::from_secs(config.demo.tick_seconds);
        tokio::spawn(source::drive(DemoSource::new(sim), every, tx, refresh_rx));
        app::run::run(app, theme, rx, refresh_tx).await
    })?;
    // Sources may be mid-fetch; they are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}

fn config_command(action: ConfigCommand, config_path: &Path, named: bool) -> Result<()> {
    match action {
        ConfigCommand::Path => println!("{}", config_path.display()),
        ConfigCommand::Check => {
            Config::load(config_path, named)?;
            println!("{}: ok", config_path.display());
        }
        ConfigCommand::Init { path, force } => {
            let target = path.unwrap_or_else(|| config_path.to_path_buf());
            if target.exists() && !force {
                bail!(
                    "{} already exists; pass --force to overwrite it",
                    target.display()
                );
            }
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&target, config::EXAMPLE)
                .with_context(|| format!("writing {}", target.display()))?;
            println!("wrote {}", target.display());
        }
    }
    Ok(())
}

/// Logs go to a daily file in the platform state dir, never to the screen.
/// Without a writable dir the dashboard runs unlogged rather than not at all.
fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = paths::log_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let appender = tracing_appender::rolling::daily(dir, "mlopsdash.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("MLOPSDASH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
