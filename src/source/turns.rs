//! One request per key at a time: a refresh describes many endpoints at once, and
//! they look at the same configs, models and packages. Whoever waits its turn finds
//! the answer learned and asks nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use crate::source::aws::fan_out::lock;

#[derive(Default)]
pub struct Turns(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl Turns {
    /// Waits until no one else holds `key`'s turn; held until the guard drops.
    pub async fn take(&self, key: &str) -> OwnedMutexGuard<()> {
        let turn = lock(&self.0).entry(key.to_string()).or_default().clone();
        turn.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn one_holder_per_key_and_keys_apart() {
        let turns = Turns::default();
        let asked = AtomicUsize::new(0);
        let learned = Mutex::new(None::<u32>);
        let ask = || async {
            let _turn = turns.take("cfg-1").await;
            if lock(&learned).is_none() {
                asked.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                *lock(&learned) = Some(7);
            }
        };
        tokio::join!(ask(), ask(), ask());
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        // Another key is never held up by this one.
        let _held = turns.take("cfg-1").await;
        let _other = turns.take("cfg-2").await;
    }
}
