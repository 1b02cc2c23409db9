//! mlopsdash: one terminal screen for every ML model's whole pipeline on AWS.
//!
//! Flow is one way: `source` tasks send `Update`s → `app` state applies them →
//! `ui` draws the state. Keys become commands that the app handles.

pub mod action;
pub mod app;
pub mod cli;
pub mod config;
pub mod model;
pub mod snapshot;
pub mod source;
#[doc(hidden)]
pub mod testing;
pub mod ui;
