//! What the keyboard is typing into.

use super::dialog::Dialog;

/// What the keyboard is typing into: the views, a filter, a command line, or a
/// question that waits for an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum InputMode {
    Normal,
    Filter,
    Command(String),
    /// A y/n question before something that costs money.
    ConfirmCostRefresh,
    /// An action's targets and exact call, waiting for the user's word.
    Confirm(Box<Dialog>),
}
