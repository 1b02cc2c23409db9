//! The app: state (plain data, pure updates) and key handling. No I/O: the event
//! loop that drives it lives above it, in `run`.

mod actions;
mod changes;
mod collected;
mod command;
mod dialog;
mod effect;
mod input;
mod lists;
mod mode;
mod past;
mod reads;
mod rows;
mod staleness;
mod state;
mod view;

pub use command::NAMES as COMMAND_NAMES;
pub use dialog::{Actions, Dialog};
pub use effect::Effect;
pub use rows::Row;
pub use state::{App, Context, InputMode, Place, View};

#[cfg(test)]
mod action_tests;
#[cfg(test)]
mod collected_tests;
#[cfg(test)]
mod identity_tests;
#[cfg(test)]
mod scope_tests;
#[cfg(test)]
mod tests;
