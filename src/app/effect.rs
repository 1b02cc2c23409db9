//! What a key asks of the event loop: the work outside the pure state.

use crate::model::action::{Confirmed, Request};

/// Work the event loop does on the app's behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    None,
    Refresh,
    /// Ask Cost Explorer again now, though it costs requests (confirmed).
    RefreshCost,
    /// Plan the choices an action key offers (may need AWS lookups).
    Prepare(Box<Request>),
    /// Run an action the user confirmed.
    Execute(Box<Confirmed>),
    /// Read the fleet as recorded at (or just before) this time.
    Recall(jiff::Timestamp),
    /// Write the incident report of this model.
    Export(String),
}
