//! One request per key at a time: a refresh describes many endpoints at once, and
//! they look at the same configs, models and packages. Whoever waits its turn finds
//! the answer learned and asks nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use crate::source::aws::fan_out::lock;

/// The keys someone holds or waits for; a key no one wants is forgotten.
#[derive(Default)]
pub struct Turns(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// One key's turn, until it drops.
pub struct Turn<'a> {
    held: Option<OwnedMutexGuard<()>>,
    key: String,
    turns: &'a Turns,
}

impl Turns {
    /// Waits until no one else holds `key`'s turn; held until the turn drops.
    pub async fn take(&self, key: &str) -> Turn<'_> {
        let turn = lock(&self.0).entry(key.to_string()).or_default().clone();
        Turn {
            held: Some(turn.lock_owned().await),
            key: key.to_string(),
            turns: self,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        let mut keys = lock(&self.turns.0);
        // Only the map holds it: no one waits, so the key need not be kept.
        if keys
            .get(&self.key)
            .is_some_and(|t| Arc::strong_count(t) == 1)
        {
            keys.remove(&self.key);
        }
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
        let held = turns.take("cfg-1").await;
        let other = turns.take("cfg-2").await;
        drop((held, other));
        assert!(lock(&turns.0).is_empty(), "a key no one wants is forgotten");
    }
}
