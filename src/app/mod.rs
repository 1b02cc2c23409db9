//! The app: state (plain data, pure updates), key handling, and the event loop.

mod actions;
mod command;
mod input;
mod rows;
pub mod run;
mod state;

pub use actions::{Actions, Dialog};
pub use command::NAMES as COMMAND_NAMES;
pub use input::Effect;
pub use rows::Row;
pub use state::{App, Context, InputMode, Place, View};

#[cfg(test)]
mod action_tests;
#[cfg(test)]
mod identity_tests;
#[cfg(test)]
mod tests;
