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
        Latest::Changed { pointer, etag } => Ok((store.state(&pointer.key).await?, etag)),
        Latest::Unchanged => Err("S3 answered 304 to an unconditional read".into()),
    }
}

/// The state as it was at `at` (`--from … --at`): the newest written by then.
pub async fn read_at(store: &Store, at: jiff::Timestamp) -> Result<Collected, String> {
    let key = store.key_at(at).await?;
    store.state(&key).await
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
        let asked = tokio::select! {
            _ = tokio::time::sleep(POLL_EVERY) => false,
            changed = refresh.changed() => if changed.is_err() { return } else { true },
        };
        let update = match store.latest(etag.as_deref()).await {
            // Only a refresh the user asked for is answered "nothing newer".
            Ok(Latest::Unchanged) => asked.then_some(Update::CollectedUnchanged),
            Ok(Latest::Changed { pointer, etag: new }) => match store.state(&pointer.key).await {
                Ok(state) => {
                    etag = new;
                    Some(Update::Collected(Ok(Box::new(state))))
                }
                Err(why) => Some(Update::Collected(Err(why))),
            },
            Err(why) => {
                // Read whole next time: the app then shows the state again.
                etag = None;
                Some(Update::Collected(Err(why)))
            }
        };
        if let Some(u) = update {
            if updates.send(u).await.is_err() {
                return;
            }
        }
    }
}
