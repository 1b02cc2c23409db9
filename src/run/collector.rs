//! `mlopsdash collect --to s3://bucket/prefix/`: the dashboard's sources, budget and
//! caches with no screen, writing the fleet's state to S3 for every viewer. A state
//! is written once the sources have settled after a refresh, at most once per
//! `every`; states older than `keep` are deleted once an hour. It never acts.

use std::time::{Duration, Instant};

use anyhow::Result;
use jiff::{SignedDuration, Timestamp};
use tokio::signal::unix::SignalKind;
use tokio::sync::mpsc;

use super::origin::Origin;
use crate::app::App;
use crate::model::collected::Collected;
use crate::model::update::Update;
use crate::snapshot::{self, Gathered, Snapshot};
use crate::source::refresh_channels;
use crate::source::team::{doc, Store};

/// How long the sources must be quiet before a state is written (a refresh's answers
/// arrive over a few seconds), and how long a busy stream may put it off.
const SETTLE: Duration = Duration::from_secs(2);
const SETTLE_AT_MOST: Duration = Duration::from_secs(15);
/// The first state waits for the sources' first answers, at most this long.
const FIRST_WAIT: Duration = Duration::from_secs(90);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub struct Settings {
    /// At most one state this often.
    pub every: Duration,
    /// States older than this are deleted.
    pub keep: SignedDuration,
    /// Stop after this many states (a cron job, a test); None: run until a signal.
    pub count: Option<u32>,
}

/// Runs until a signal (or `count` states): exit code 0, or an error when not even
/// the first state could be written.
pub async fn collect(mut app: App, origin: Origin, store: Store, settings: Settings) -> Result<u8> {
    let (tx, mut updates) = mpsc::channel(256);
    let (refresh, receivers) = refresh_channels();
    origin.spawn(tx, receivers);
    // SIGTERM (systemd, ECS), SIGINT (ctrl-c) and SIGHUP stop it.
    let mut stop = super::signals::any_of(&[
        SignalKind::terminate(),
        SignalKind::interrupt(),
        SignalKind::hangup(),
    ])?;
    let started = Instant::now();
    let mut written = 0u32;
    let mut last_write: Option<Instant> = None;
    let mut last_prune: Option<Instant> = None;
    // Since when facts have arrived that no state holds yet, and the latest of them.
    let mut unwritten: Option<(Instant, Instant)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    say(&format!(
        "collecting into {} every {}s (keeping {}h)",
        store.location.url(),
        settings.every.as_secs(),
        settings.keep.as_hours()
    ));
    loop {
        tokio::select! {
            Some(update) = updates.recv() => {
                let facts = carries_facts(&update);
                app.set_now(Timestamp::now());
                app.apply(update);
                if facts {
                    let now = Instant::now();
                    unwritten = Some((unwritten.map_or(now, |(since, _)| since), now));
                }
            }
            _ = tick.tick() => {}
            _ = stop.recv() => {
                say("stopping on a signal");
                return Ok(0);
            }
        }
        // The screen-less app still says which models are in trouble: their metrics
        // are asked for most often, as on a dashboard.
        refresh.publish_attention(app.attention());
        let Some((since, latest)) = unwritten else {
            continue;
        };
        let due = last_write.is_none_or(|t| t.elapsed() >= settings.every);
        let settled = latest.elapsed() >= SETTLE || since.elapsed() >= SETTLE_AT_MOST;
        let first_ready = last_write.is_some()
            || !crate::model::Stage::ALL
                .iter()
                .any(|s| app.stage_is_loading(*s))
            || started.elapsed() >= FIRST_WAIT;
        if !(due && settled && first_ready) {
            continue;
        }
        app.set_now(Timestamp::now());
        match write(&app, &store, &settings).await {
            Ok(line) => {
                say(&line);
                written += 1;
                unwritten = None;
            }
            Err(why) if written == 0 && settings.count.is_some() => {
                anyhow::bail!("could not write to {}: {why}", store.location.url())
            }
            Err(why) => say(&format!("state not written (will try again): {why}")),
        }
        last_write = Some(Instant::now());
        if settings.count.is_some_and(|n| written >= n) {
            return Ok(0);
        }
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            last_prune = Some(Instant::now());
            match store.prune(settings.keep, Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => say(&format!(
                    "deleted {n} states older than {}h",
                    settings.keep.as_hours()
                )),
                Err(why) => say(&format!("old states not pruned: {why}")),
            }
        }
    }
}

/// An update that brings facts (or a source's failure) a state should carry.
fn carries_facts(update: &Update) -> bool {
    match update {
        Update::Scoped { update, .. } => carries_facts(update),
        Update::Fleet { .. } | Update::Failed { .. } | Update::Partial { .. } => true,
        _ => false,
    }
}

/// The app's state as a document, and the snapshot JSON of it.
pub fn state_of(app: &App, every: Duration) -> (Collected, serde_json::Value) {
    let gathered = Gathered {
        app: app.clone(),
        errors: snapshot::errors_of(app),
    };
    let snapshot =
        serde_json::to_value(Snapshot::new(&gathered, app.api_calls().clone())).unwrap_or_default();
    (app.collected_state(every), snapshot)
}

/// Encodes and puts one state and the pointer; the line the log says.
async fn write(app: &App, store: &Store, settings: &Settings) -> Result<String, String> {
    let (state, snapshot) = state_of(app, settings.every);
    let models = state
        .feeds
        .iter()
        .filter_map(|f| f.fleet.as_ref())
        .map(|f| f.models.len())
        .max()
        .unwrap_or(0);
    let errors = state.collector.errors.len();
    let bytes = doc::encode(&state, &snapshot)?;
    let size = bytes.len();
    let pointer = store.put(state.written_at, bytes).await?;
    Ok(format!(
        "wrote {} ({} KiB, {models} models, {errors} problems)",
        pointer.key,
        size.div_ceil(1024)
    ))
}

/// A line on stderr with the time: the journal of a systemd unit, an ECS task's log.
fn say(line: &str) {
    eprintln!("{} {line}", Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ"));
}
