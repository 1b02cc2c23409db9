//! Signals that end a run cleanly: the dashboard restores the terminal, the
//! collector stops between states.

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

/// A receiver that gets one message for each of `kinds` that arrives.
pub fn any_of(kinds: &[SignalKind]) -> std::io::Result<mpsc::UnboundedReceiver<()>> {
    let (tx, rx) = mpsc::unbounded_channel();
    for kind in kinds {
        let mut s = signal(*kind)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            if s.recv().await.is_some() {
                let _ = tx.send(());
            }
        });
    }
    Ok(rx)
}
