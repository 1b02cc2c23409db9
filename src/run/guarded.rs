//! Tasks that prepare, run or follow an action: a panic in one must not leave the
//! app waiting for ever ("reading…", a resource busy). It becomes an update that
//! says so, and the screen goes on.

use std::future::Future;

use tokio::sync::mpsc;

use crate::model::update::Update;

/// Runs `task`; if it panics, sends what `on_panic` makes of the panic's message.
pub fn spawn<F>(
    task: F,
    updates: mpsc::Sender<Update>,
    on_panic: impl FnOnce(String) -> Update + Send + 'static,
) where
    F: Future<Output = ()> + Send + 'static,
{
    let handle = tokio::spawn(task);
    tokio::spawn(async move {
        if let Err(e) = handle.await {
            if e.is_panic() {
                let payload = e.into_panic();
                let why = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                tracing::error!("an action's task panicked: {why}");
                let _ = updates.send(on_panic(why)).await;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_task_is_reported_not_left_waiting() {
        let (tx, mut rx) = mpsc::channel(4);
        #[allow(clippy::panic)]
        let task = async { panic!("boom") };
        spawn(task, tx, Update::AuditFailed);
        match rx.recv().await {
            Some(Update::AuditFailed(why)) => assert_eq!(why, "boom"),
            other => panic!("{other:?}"),
        }
    }
}
