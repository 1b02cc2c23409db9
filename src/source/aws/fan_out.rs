//! Many independent requests at once, but never more than a service allows: a
//! fleet of a hundred endpoints is described in a few round trips, not a hundred.

use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::stream::{self, StreamExt};

/// Requests in flight per service when a source is built without settings (tests);
/// the dashboard uses `[aws] max_in_flight`. Throttled requests back off and retry.
pub const DEFAULT_IN_FLIGHT: usize = 8;

/// Runs `fetch` on every item with at most `limit` running at once; the answers
/// come back in the items' order.
pub async fn fan_out<I, F, Fut>(items: I, limit: usize, fetch: F) -> Vec<Fut::Output>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future,
{
    // Futures made first (they do nothing until polled): a stream that holds the
    // closure itself trips rustc's Send check on borrowed items (rust#102211).
    let pending: Vec<Fut> = items.into_iter().map(fetch).collect();
    stream::iter(pending).buffered(limit.max(1)).collect().await
}

/// A cache shared by requests in flight. Never held across an await; a request
/// that panicked while holding it leaves data that is still a valid cache.
pub fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn runs_at_most_the_limit_at_once_and_keeps_the_order() {
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let started = tokio::time::Instant::now();
        let out = fan_out(0..20u64, 4, |i| {
            let (running, most) = (&running, &most);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                // Later items finish first: the order must still hold.
                tokio::time::sleep(Duration::from_millis(100 - i)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 4);
        // Five rounds of four, not twenty one after another.
        assert!(started.elapsed() < Duration::from_millis(600));
    }
}
