//! Integration tests, one binary (each test binary links the AWS SDKs; one link is enough).
//!
//! `cargo test` runs the ones that need nothing installed: SDK mocks, stub HTTP
//! servers, rendered frames, the binary's command line. The rest need moto,
//! ministack, MLflow, Airflow and tmux, which `tests/scripts/test` installs and
//! starts before it runs `cargo test --features servers`; there a missing server
//! fails the test, never skips it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Shown by a plain `cargo test`: where the other half of the suite is.
#[cfg(not(feature = "servers"))]
#[test]
#[ignore = "the server-backed tests (AWS emulators, MLflow, Airflow, tmux) run with tests/scripts/test"]
fn server_backed_tests_run_with_tests_scripts_test() {}

#[path = "../common/seed.rs"]
mod seed;

#[path = "../common/proxy.rs"]
#[cfg(feature = "servers")]
mod proxy;

#[path = "../common/binary.rs"]
#[cfg(feature = "servers")]
mod binary;

#[path = "../common/services_seed.rs"]
#[cfg(feature = "servers")]
mod services_seed;

#[path = "../common/scopes_seed.rs"]
#[cfg(feature = "servers")]
mod scopes_seed;

#[path = "../common/kube.rs"]
#[cfg(feature = "servers")]
mod kube;

#[cfg(feature = "servers")]
mod actions;
#[cfg(feature = "servers")]
mod aws;
#[cfg(feature = "servers")]
mod capture;
#[cfg(feature = "servers")]
mod changes;
mod cli;
#[cfg(feature = "servers")]
mod cloudwatch;
#[cfg(feature = "servers")]
mod cost;
#[cfg(feature = "servers")]
mod critical_path;
#[cfg(feature = "servers")]
mod drift;
#[cfg(feature = "servers")]
#[path = "../common/tmux.rs"]
mod driver;
#[cfg(feature = "servers")]
mod faults;
#[cfg(feature = "servers")]
mod history;
#[cfg(feature = "servers")]
mod hostile;
#[cfg(feature = "servers")]
mod identity;
#[cfg(feature = "servers")]
mod kubernetes;
mod layers;
#[cfg(feature = "servers")]
mod memory;
mod mocked;
mod mwaa;
mod one_translation;
#[cfg(feature = "servers")]
mod pipelines;
mod planned_from_aws;
#[cfg(feature = "servers")]
mod polling;
mod rest_auth;
#[cfg(feature = "servers")]
mod scopes;
mod screenshots;
mod send_once;
#[cfg(feature = "servers")]
mod services;
mod snapshots;
#[cfg(feature = "servers")]
mod team;
mod timestamps;
#[cfg(feature = "servers")]
mod tmux;
#[cfg(feature = "servers")]
mod tmux_actions;
#[cfg(feature = "servers")]
mod trust;
#[cfg(feature = "servers")]
mod xray;
