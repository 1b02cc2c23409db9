//! What the keyboard is typing into.

use super::dialog::Dialog;
use crate::model::action::Kind;

/// What the keyboard is typing into: the views, a filter, a command line, or a
/// question that waits for an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum InputMode {
    Normal,
    Filter,
    Command(String),
    /// A y/n question before something that costs money.
    ConfirmCostRefresh,
    /// An action key was pressed: its target is being read from AWS with the
    /// credentials that would act (esc cancels).
    Reading {
        kind: Kind,
        model: String,
    },
    /// An action's targets and exact call, waiting for the user's word.
    Confirm(Box<Dialog>),
}
