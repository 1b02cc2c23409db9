//! Team mode: one collector gathers the fleet and writes each state to S3; every
//! viewer reads the newest instead of asking AWS itself (`--from`). The document
//! (`doc.rs`), where it lives (`location.rs`), and the S3 calls (`store.rs`).

pub mod doc;
pub mod location;
pub mod store;

use std::time::Duration;

use tokio::sync::{mpsc, watch};

pub use location::Location;
pub use store::{Latest, Store};

use crate::model::collected::Collected;
use crate::model::update::Update;

/// How often a viewer asks whether the pointer changed: one conditional GET, a
/// 304 without a body when it did not.
pub const POLL_EVERY: Duration = Duration::from_secs(15);

/// The newest state, read now, and its pointer's ETag: for `snapshot --from` and a
/// viewer's start.
pub async fn read_latest(store: &Store) -> Result<(Collected, Option<String>), String> {
    match store.latest(None).await? {
        Latest::Changed { pointer, etag } => Ok((store.state(&pointer).await?, etag)),
        Latest::Unchanged => Err("S3 answered 304 to an unconditional read".into()),
    }
}

/// A viewer's one source after its first state: the pointer every `POLL_EVERY` (or
/// at once on a refresh request), the state it names whenever it changes, until the
/// app hangs up.
pub async fn follow(
    store: Store,
    mut etag: Option<String>,
    updates: mpsc::Sender<Update>,
    mut refresh: watch::Receiver<u64>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => {}
            changed = refresh.changed() => if changed.is_err() { return },
        }
        let update = match store.latest(etag.as_deref()).await {
            Ok(Latest::Unchanged) => None,
            Ok(Latest::Changed { pointer, etag: new }) => match store.state(&pointer).await {
                Ok(state) => {
                    etag = new;
                    Some(Ok(Box::new(state)))
                }
                Err(why) => Some(Err(why)),
            },
            Err(why) => {
                // Read whole next time: the app then shows the state again.
                etag = None;
                Some(Err(why))
            }
        };
        if let Some(u) = update {
            if updates.send(Update::Collected(u)).await.is_err() {
                return;
            }
        }
    }
}
