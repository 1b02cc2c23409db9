//! mlopsdash: one terminal screen for every ML model's whole pipeline on AWS.
//!
//! Flow is one way: `source` tasks send `Update`s → `app` state applies them →
//! `ui` draws the state. Keys become commands that the app handles. Layers, top
//! down (each names only those below it; `tests/it/layers.rs` keeps it so):
//! `run` (composition root, event loop) → `ui`, `snapshot` → `app` → `action` →
//! `source` → `aws` (shared SDK helpers) → `config` → `model`.

pub mod action;
pub mod app;
pub mod aws;
pub mod cli;
pub mod config;
pub mod model;
pub mod run;
pub mod snapshot;
pub mod source;
#[doc(hidden)]
pub mod testing;
pub mod ui;
