//! Which origin a command runs on, built from the command line and config: the
//! demo, AWS (every account × region), a viewer of a collector's states (`--from`),
//! and `collect`'s sources with the store it writes to.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use jiff::Timestamp;

use super::origin::{AwsScope, Origin, Shared};
use crate::app::App;
use crate::cli::{Cli, Command};
use crate::config::{self, paths, Config};
use crate::source::pipelines::PipelineSetup;
use crate::source::{aws, team};

/// The demo simulator, or AWS through the default credential chain.
pub async fn origin(cli: &Cli, config: &Config, now: Timestamp) -> Result<Origin> {
    if cli.demo {
        let seed = cli.demo_seed.unwrap_or(config.demo.seed);
        let models = cli.demo_models.map_or(config.demo.models, |n| n as usize);
        let every = Duration::from_secs(config.demo.tick_seconds);
        return Ok(Origin::demo(seed, models, every, now));
    }
    let timeouts = timeouts(config);
    let specs = config.scopes(&cli.region, cli.profile.as_deref());
    let mut scopes = Vec::with_capacity(specs.len());
    for spec in specs {
        let sdk = aws::load_scope(&spec, timeouts)
            .await
            .map_err(anyhow::Error::msg)?;
        let calls = aws::ApiCalls::default();
        scopes.push(AwsScope { sdk, calls, spec });
    }
    let first = scopes.first().context("no account or region to watch")?;
    let pipelines = PipelineSetup::from_config(config, Some(&first.sdk), &first.calls);
    Ok(Origin::Aws {
        scopes,
        pipelines: Box::new(pipelines),
        shared: Box::new(shared(config)),
    })
}

/// What every scope's sources share, from config.
fn shared(config: &Config) -> Shared {
    Shared {
        settings: config.aws.clone(),
        mappings: config.mappings.clone(),
        protected_tags: config.actions.protected_tags.clone(),
        identity: config.identity.clone(),
        drift: config.drift.clone(),
        memory: paths::cache_dir(),
    }
}

fn timeouts(config: &Config) -> aws::Timeouts {
    aws::Timeouts {
        connect: Duration::from_secs(config.aws.connect_timeout_seconds),
        attempt: Duration::from_secs(config.aws.attempt_timeout_seconds),
        operation: Duration::from_secs(config.aws.operation_timeout_seconds),
    }
}

/// A viewer (`--from`): the collector's newest state read first (a clear error if it
/// cannot be), then the viewer's own credentials in each of the collector's
/// accounts and regions, for who it is and for its actions.
pub async fn viewer_origin(
    cli: &Cli,
    config: &Config,
    url: &str,
    now: Timestamp,
) -> Result<Origin> {
    let location = team::Location::parse(url).map_err(anyhow::Error::msg)?;
    let timeouts = timeouts(config);
    let mine = config.scopes(&cli.region, cli.profile.as_deref());
    let reader = mine.first().cloned().unwrap_or_default();
    // The bucket names its own region (`locate`): any will do to ask it.
    let sdk = match aws::load_scope(&reader, timeouts).await {
        Err(_) if reader.region.is_none() => {
            let anywhere = config::ScopeSpec {
                region: Some("us-east-1".into()),
                ..reader
            };
            aws::load_scope(&anywhere, timeouts).await
        }
        loaded => loaded,
    }
    .map_err(anyhow::Error::msg)?;
    let calls = aws::ApiCalls::default();
    let store = team::Store::new(&sdk, &calls, location).locate().await;
    // `--at`: the state written by then, shown as the past.
    let read = match cli.at {
        Some(at) => team::read_at(&store, at.resolve(now))
            .await
            .map(|s| (s, None)),
        None => team::read_latest(&store).await,
    };
    let (first, etag) = read
        .map_err(|why| anyhow::anyhow!("could not read the collector's state at {url}: {why}"))?;
    // A demo collector's fleet is nowhere in AWS: nothing to act on there.
    let specs = match first.collector.demo_seed {
        Some(_) => Vec::new(),
        None => config::accounts::viewer_scopes(&first.scopes, &mine, cli.profile.as_deref()),
    };
    let mut scopes = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        let sdk = aws::load_scope(&spec, timeouts)
            .await
            .map_err(anyhow::Error::msg)?;
        // The first scope's count also holds the reads of the states.
        let calls = if i == 0 {
            calls.clone()
        } else {
            aws::ApiCalls::default()
        };
        scopes.push(AwsScope { sdk, calls, spec });
    }
    let pipelines = PipelineSetup::from_config(config, scopes.first().map(|s| &s.sdk), &calls);
    Ok(Origin::Viewer {
        store: Box::new(store),
        first: Box::new(first),
        etag,
        scopes,
        pipelines: Box::new(pipelines),
        shared: Box::new(shared(config)),
    })
}

/// `collect`: the same sources as the dashboard, with no screen, into S3.
pub async fn collect(cli: &Cli, config: &Config, now: Timestamp) -> Result<u8> {
    let Some(Command::Collect {
        to,
        every,
        keep_hours,
        count,
    }) = &cli.command
    else {
        return Ok(0);
    };
    if cli.from.is_some() || cli.at.is_some() {
        bail!("collect gathers from AWS itself: --from and --at do not apply");
    }
    let location = team::Location::parse(to).map_err(anyhow::Error::msg)?;
    let origin = origin(cli, config, now).await?;
    let (sdk, calls) = match &origin {
        Origin::Aws { scopes, .. } if !scopes.is_empty() => {
            (scopes[0].sdk.clone(), scopes[0].calls.clone())
        }
        // The demo's fleet is simulated; its states still go to a real bucket.
        _ => {
            let target = aws::Target {
                region: cli.region.first().cloned(),
                profile: cli.profile.clone(),
                timeouts: timeouts(config),
            };
            let sdk = aws::load(&target).await.map_err(anyhow::Error::msg)?;
            (sdk, aws::ApiCalls::default())
        }
    };
    let store = team::Store::new(&sdk, &calls, location).locate().await;
    let app = App::new(
        origin.context(),
        config.rules.clone(),
        config.keymap.clone(),
        now,
    );
    let settings = super::collector::Settings {
        every: Duration::from_secs(*every),
        keep: jiff::SignedDuration::from_hours(i64::try_from(*keep_hours).unwrap_or(24)),
        count: *count,
    };
    super::collector::collect(app, origin, store, settings).await
}
