//! CLI entry: parse args, load config, pick the origin, run the dashboard.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use clap::{CommandFactory, Parser};
use jiff::Timestamp;
use tokio::sync::mpsc;

use mlopsdash::action::{AuditLog, Polling};
use mlopsdash::app::App;
use mlopsdash::cli::{Cli, Command, ConfigCommand};
use mlopsdash::config::{self, paths, Config, Theme};
use mlopsdash::run;
use mlopsdash::run::origin::Origin;
use mlopsdash::snapshot;

/// Left open for hours, the dashboard frees what each refresh built; jemalloc gives
/// those pages back to the system, where glibc's allocator kept them.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Every file this process creates (audit log, history, cache, logs, exports) is
    // its user's alone, whatever the shell's umask; the code sets 0600 too.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let snapshot = matches!(cli.command, Some(Command::Snapshot { .. }));
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("mlopsdash: {e:#}");
            ExitCode::from(if snapshot {
                snapshot::COULD_NOT_GATHER
            } else {
                2
            })
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    let (config_path, named) = match &cli.config {
        Some(p) => (p.clone(), true),
        None => (
            paths::default_config_file()
                .context("no home directory to find the config in; pass --config")?,
            false,
        ),
    };
    match &cli.command {
        Some(Command::Config { action }) => {
            config_command(action, &config_path, named)?;
            return Ok(0);
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "mlopsdash",
                &mut std::io::stdout(),
            );
            return Ok(0);
        }
        Some(Command::Snapshot { .. } | Command::Export { .. } | Command::Collect { .. })
        | None => {}
    }
    // Everything that can fail on bad input fails here, before the terminal is touched.
    let config = Config::load(&config_path, named)?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = Theme::choose(
        cli.theme.as_deref().or(config.general.theme.as_deref()),
        no_color,
    )?;
    if let Some(url) = &cli.endpoint_url {
        // Set before any thread starts; the SDK reads it like the AWS CLI does.
        std::env::set_var("AWS_ENDPOINT_URL", url);
    }
    let _log = init_logging(config.general.log_days);
    tracing::info!(config = %config_path.display(), demo = cli.demo, "starting");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(async move {
        let now = Timestamp::now();
        if let Some(Command::Collect { .. }) = &cli.command {
            return run::origins::collect(&cli, &config, now).await;
        }
        let origin = match &cli.from {
            Some(url) => run::origins::viewer_origin(&cli, &config, url, now).await?,
            None => run::origins::origin(&cli, &config, now).await?,
        };
        for warning in origin.warnings() {
            tracing::warn!("{warning}");
            // The dashboard says it on its status line instead of the terminal it owns.
            if cli.command.is_some() {
                eprintln!("mlopsdash: {warning}");
            }
        }
        let past = cli.at.map(|w| w.resolve(now));
        if let Some(Command::Export { model, since, dir }) = &cli.command {
            let (gathered, _) = gather(origin, &config, now, past).await?;
            let since = since.map(|w| w.resolve(now));
            let report = run::export::Report::of(&gathered.app, model, since, &theme)
                .ok_or_else(|| unknown_model(&gathered.app, model))?;
            let dir = dir
                .clone()
                .or(config.export.dir.clone())
                .unwrap_or_else(|| ".".into());
            let audit = open_audit_log(&config.actions).ok();
            let path = report
                .write(&dir, audit.as_ref())
                .map_err(anyhow::Error::msg)?;
            write_stdout(&format!("{path}\n"))?;
            return Ok(0);
        }
        if let Some(Command::Snapshot { json, fail_on }) = cli.command {
            let (gathered, api_calls) = gather(origin, &config, now, past).await?;
            let snap = snapshot::Snapshot::new(&gathered, api_calls);
            let text = match json {
                true => serde_json::to_string_pretty(&snap)? + "\n",
                false => snapshot::render_text(&snap),
            };
            write_stdout(&text)?;
            return Ok(snapshot::exit_code(&gathered, fail_on));
        }
        let (tx, rx) = mpsc::channel(64);
        let (refresh_tx, refresh_rx) = mlopsdash::source::refresh_channels();
        let mut app = match past {
            // The past alone: no source is started, no AWS call made.
            Some(at) => past_app(&origin, &config, at)?,
            None => App::new(
                origin.context(),
                config.rules.clone(),
                config.keymap.clone(),
                now,
            ),
        };
        if let Some(first) = origin.warnings().first() {
            app.notify(first.clone());
        }
        let audit = open_audit_log(&config.actions);
        let read_only = cli.read_only || config.actions.read_only;
        app.restrict_actions(read_only, audit.as_ref().err().cloned());
        let actions = run::ActionRuntime {
            executors: run::executors_for(&origin, &config),
            audit,
            read_only,
            polling: polling(&config.actions, cli.demo),
            updates: tx.clone(),
        };
        let audit = run::AuditWriter::spawn(actions.audit.clone().ok(), tx.clone());
        let recorder = run::Recorder::spawn(config.history.clone(), tx.clone());
        if past.is_none() {
            origin.spawn(tx, refresh_rx);
        }
        let links = run::Links {
            refresh: refresh_tx,
            audit,
            actions,
            recorder,
            exports: config.export.dir.clone().unwrap_or_else(|| ".".into()),
            theme: theme.clone(),
        };
        run::run(app, theme, rx, links).await.map(|()| 0)
    });
    // Sources may be mid-fetch; they are dropped with the runtime.
    runtime.shutdown_timeout(Duration::from_millis(200));
    result
}

/// Every source's answer once (and the AWS requests it took), or the fleet as
/// recorded at `past` (no AWS call).
async fn gather(
    origin: Origin,
    config: &Config,
    now: Timestamp,
    past: Option<Timestamp>,
) -> Result<(snapshot::Gathered, std::collections::BTreeMap<String, u64>)> {
    let context = origin.context();
    if let Some(at) = past {
        let app = past_app(&origin, config, at)?;
        let gathered = snapshot::Gathered {
            app,
            errors: Vec::new(),
        };
        return Ok((gathered, Default::default()));
    }
    let (updates, api_calls) = origin.gather_once().await;
    let gathered = snapshot::apply(context, config.rules.clone(), updates, now);
    Ok((gathered, api_calls))
}

/// The fleet as it was at `at`: a collector's state written by then (`--from`), else
/// this machine's recorded past.
fn past_app(origin: &Origin, config: &Config, at: Timestamp) -> Result<App> {
    let (rules, keymap) = (config.rules.clone(), config.keymap.clone());
    let app = match origin {
        Origin::Viewer { first, .. } => {
            run::offline::collected_app(origin.context(), rules, keymap, first)
        }
        _ => run::offline::recorded_app(origin.context(), rules, keymap, &config.history, at)
            .map_err(anyhow::Error::msg)?,
    };
    Ok(app)
}

/// "no model named x (the fleet has a, b, c)".
fn unknown_model(app: &App, model: &str) -> anyhow::Error {
    let names: Vec<&str> = app.rows().iter().map(|r| r.name.as_str()).collect();
    anyhow::anyhow!(
        "no model named {model} (the fleet has {})",
        names.join(", ")
    )
}

/// The audit log at the configured path, else in the platform data dir.
fn open_audit_log(settings: &config::ActionsConfig) -> Result<AuditLog, String> {
    let path = match &settings.audit_log {
        Some(p) => p.clone(),
        None => {
            let dir = paths::data_dir()
                .ok_or("no home directory for the audit log; set [actions] audit_log")?;
            config::files::own_dir(&dir)
                .map_err(|e| format!("audit log folder {}: {e}", dir.display()))?;
            dir.join("audit.jsonl")
        }
    };
    AuditLog::open(&path)
}

/// The demo's simulated updates take seconds: watch them closely.
fn polling(settings: &config::ActionsConfig, demo: bool) -> Polling {
    Polling {
        every: Duration::from_secs(if demo { 1 } else { settings.poll_seconds }),
        timeout: Duration::from_secs(settings.timeout_minutes * 60),
    }
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn config_command(action: &ConfigCommand, config_path: &Path, named: bool) -> Result<()> {
    match action {
        ConfigCommand::Path => println!("{}", config_path.display()),
        ConfigCommand::Check => {
            Config::load(config_path, named)?;
            println!("{}: ok", config_path.display());
        }
        ConfigCommand::Init { path, force } => {
            let target = path.clone().unwrap_or_else(|| config_path.to_path_buf());
            if target.exists() && !force {
                bail!(
                    "{} already exists; pass --force to overwrite it",
                    target.display()
                );
            }
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            config::files::replace(&target, config::EXAMPLE.as_bytes())
                .with_context(|| format!("writing {}", target.display()))?;
            println!("wrote {}", target.display());
        }
    }
    Ok(())
}

/// Logs go to a daily file in the platform state dir (0700), never to the screen;
/// the newest `days` files are kept. Without a writable dir the dashboard runs
/// unlogged rather than not at all.
fn init_logging(days: u64) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = paths::log_dir()?;
    config::files::own_dir(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("mlopsdash.log")
        .max_log_files(usize::try_from(days).unwrap_or(14))
        .build(dir)
        .ok()?;
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
