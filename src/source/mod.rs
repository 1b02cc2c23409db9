//! Sources fetch facts and send them to the app as `Update`s over a channel.
//! Each source runs as its own task on its own interval, so a slow or failing
//! service never blocks the UI or the other sources.

pub mod aws;
pub mod demo;
pub mod disk;
pub mod history;
pub mod k8s;
pub mod last_good;
pub mod memory;
pub mod owner;
pub mod pages;
pub mod pipelines;
pub mod prometheus;
pub mod rest;
pub mod scoped;
pub mod serving;
pub mod team;
pub mod turns;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

pub use crate::model::polling::Attention;
pub use crate::model::update::{Caller, SourceId, Update};
use crate::model::Fleet;

/// A source's answer as an update: its facts, or why it has none.
pub fn report(source: SourceId, result: Result<Fleet, String>) -> Update {
    let at = Timestamp::now();
    match result {
        Ok(fleet) => Update::Fleet { source, fleet, at },
        // Clients keep no user-info in their URLs; this is the net under them.
        Err(why) => Update::Failed {
            source,
            why: crate::model::secret::redact_urls(&why),
            at,
        },
    }
}

/// One fetch of everything a source knows.
pub trait Source: Send + 'static {
    fn id(&self) -> SourceId;
    fn fetch(&mut self) -> impl Future<Output = Update> + Send;

    /// Starts from what a past session left for this account and region.
    fn recall(&mut self, _past: &memory::MemoryDir) {}

    /// The account STS names, for a source whose cache is the account's.
    fn belongs_to(&mut self, _account: &str) {}
}

/// A source in a box: the composition root keeps a scope's sources in one list.
pub trait AnySource: Send {
    fn source_id(&self) -> SourceId;
    fn fetch_boxed(&mut self) -> Pin<Box<dyn Future<Output = Update> + Send + '_>>;
    fn recall_from(&mut self, past: &memory::MemoryDir);
    fn learn_account(&mut self, account: &str);
}

impl<S: Source> AnySource for S {
    fn source_id(&self) -> SourceId {
        self.id()
    }

    fn fetch_boxed(&mut self) -> Pin<Box<dyn Future<Output = Update> + Send + '_>> {
        Box::pin(self.fetch())
    }

    fn recall_from(&mut self, past: &memory::MemoryDir) {
        self.recall(past);
    }

    fn learn_account(&mut self, account: &str) {
        self.belongs_to(account);
    }
}

/// A boxed source, driven like any other.
pub struct Boxed(pub Box<dyn AnySource>);

impl Source for Boxed {
    fn id(&self) -> SourceId {
        self.0.source_id()
    }

    fn fetch(&mut self) -> impl Future<Output = Update> + Send {
        self.0.fetch_boxed()
    }
}

/// Asks sources to refresh now. Presses while a fetch runs collapse into one:
/// at most one request in flight and one queued (latest request wins).
pub type RefreshSender = watch::Sender<u64>;

/// The app's side of the refresh requests: every source, or the billed one alone;
/// and what the screen shows, which decides whose metrics are asked for most often.
pub struct RefreshSenders {
    pub all: RefreshSender,
    /// Cost Explorer, after the user confirmed what it costs.
    pub cost: RefreshSender,
    pub attention: watch::Sender<Attention>,
    /// An action finished on a model of this scope (with a count, so the same scope
    /// twice is two signals): a viewer looks at that scope's SageMaker itself.
    pub acted: watch::Sender<(u64, crate::model::scope::ScopeKey)>,
}

/// The sources' side of the refresh requests.
#[derive(Clone)]
pub struct RefreshReceivers {
    pub all: watch::Receiver<u64>,
    pub cost: watch::Receiver<u64>,
    pub attention: watch::Receiver<Attention>,
    pub acted: watch::Receiver<(u64, crate::model::scope::ScopeKey)>,
}

impl RefreshSenders {
    /// Tells the sources which models need attention, waking them only on a change.
    pub fn publish_attention(&self, attention: Attention) {
        self.attention.send_if_modified(|old| {
            let different = *old != attention;
            if different {
                *old = attention;
            }
            different
        });
    }
}

pub fn refresh_channels() -> (RefreshSenders, RefreshReceivers) {
    let (all, all_rx) = watch::channel(0);
    let (cost, cost_rx) = watch::channel(0);
    let (attention, attention_rx) = watch::channel(Attention::default());
    let (acted, acted_rx) = watch::channel((0, Default::default()));
    (
        RefreshSenders {
            all,
            cost,
            attention,
            acted,
        },
        RefreshReceivers {
            all: all_rx,
            cost: cost_rx,
            attention: attention_rx,
            acted: acted_rx,
        },
    )
}

/// Runs `source` until the app hangs up: fetch, send, then wait for the interval
/// or a refresh request, whichever comes first. A fetch that panics is reported as
/// a failure of its source, which goes on at the next interval: a bug in one
/// parser must not silently stop a source for the rest of the session.
pub async fn drive<S: Source>(
    mut source: S,
    every: Duration,
    updates: mpsc::Sender<Update>,
    mut refresh: watch::Receiver<u64>,
) {
    loop {
        let asked = std::time::Instant::now();
        let update = supervised(&mut source).await;
        // How long each answer took, for whoever reads the log (MLOPSDASH_LOG=debug).
        tracing::debug!(
            source = source.id().label(),
            took_ms = asked.elapsed().as_millis(),
            "answered: {}",
            update.summary()
        );
        if updates.send(update).await.is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            changed = refresh.changed() => if changed.is_err() { return },
        }
    }
}

/// One fetch, with a panic turned into the source's failure.
async fn supervised<S: Source>(source: &mut S) -> Update {
    use futures_util::FutureExt;
    let id = source.id();
    match std::panic::AssertUnwindSafe(source.fetch())
        .catch_unwind()
        .await
    {
        Ok(update) => update,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!("{} source panicked: {what}", id.label());
            Update::Failed {
                source: id,
                why: format!(
                    "the {} source crashed ({what}) and was restarted; please report it",
                    id.label()
                ),
                at: Timestamp::now(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counting(u32);

    impl Source for Counting {
        fn id(&self) -> SourceId {
            SourceId::Demo
        }

        async fn fetch(&mut self) -> Update {
            self.0 += 1;
            Update::Failed {
                source: SourceId::Demo,
                why: self.0.to_string(),
                at: Timestamp::UNIX_EPOCH,
            }
        }
    }

    fn why(u: Update) -> String {
        match u {
            Update::Failed { why, .. } => why,
            _ => String::new(),
        }
    }

    /// Panics on its second fetch only.
    struct Fragile(u32);

    impl Source for Fragile {
        fn id(&self) -> SourceId {
            SourceId::S3
        }

        #[allow(clippy::panic)]
        async fn fetch(&mut self) -> Update {
            self.0 += 1;
            if self.0 == 2 {
                panic!("malformed answer");
            }
            Update::Failed {
                source: SourceId::S3,
                why: self.0.to_string(),
                at: Timestamp::UNIX_EPOCH,
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_that_panics_is_reported_and_goes_on() {
        let (tx, mut rx) = mpsc::channel(8);
        let (_refresh_tx, refresh_rx) = watch::channel(0);
        let task = tokio::spawn(drive(Fragile(0), Duration::from_secs(60), tx, refresh_rx));
        assert_eq!(why(rx.recv().await.unwrap()), "1");
        tokio::time::advance(Duration::from_secs(61)).await;
        let crashed = why(rx.recv().await.unwrap());
        assert!(
            crashed.contains("s3 source crashed (malformed answer)"),
            "{crashed}"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(why(rx.recv().await.unwrap()), "3");
        assert!(!task.is_finished());
        task.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_requests_coalesce_and_interval_still_ticks() {
        let (tx, mut rx) = mpsc::channel(8);
        let (refresh_tx, refresh_rx) = watch::channel(0);
        let task = tokio::spawn(drive(Counting(0), Duration::from_secs(60), tx, refresh_rx));
        assert_eq!(why(rx.recv().await.unwrap()), "1");
        // Three presses before the source wakes up: one extra fetch, not three.
        for n in 1..=3 {
            refresh_tx.send_replace(n);
        }
        assert_eq!(why(rx.recv().await.unwrap()), "2");
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(why(rx.recv().await.unwrap()), "3");
        assert!(rx.try_recv().is_err());
        drop(refresh_tx);
        drop(rx);
        task.await.unwrap();
    }
}
