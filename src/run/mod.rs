//! The composition root: builds what the sources and actions need, and runs the
//! event loop that joins them to the app and the screen. The only layer that names
//! every other one.

mod audit_writer;
pub mod collector;
mod event_loop;
mod executor;
pub mod export;
mod guarded;
pub mod offline;
pub mod origin;
pub mod origins;
mod recorder;
mod signals;

pub use audit_writer::AuditWriter;
pub use event_loop::{run, ActionRuntime, Links};
pub use executor::{executors_for, Executors};
pub use recorder::{dir_of, Recorder};
