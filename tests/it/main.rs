//! Integration tests, one binary (each test binary links the AWS SDKs; one link is enough).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/seed.rs"]
mod seed;

#[path = "../common/proxy.rs"]
mod proxy;

#[path = "../common/binary.rs"]
mod binary;

#[path = "../common/services_seed.rs"]
mod services_seed;

#[path = "../common/scopes_seed.rs"]
mod scopes_seed;

mod actions;
mod aws;
mod capture;
mod changes;
mod cli;
mod cloudwatch;
mod cost;
mod drift;
mod faults;
mod history;
mod hostile;
mod identity;
mod layers;
mod memory;
mod mocked;
mod mwaa;
mod one_translation;
mod pipelines;
mod planned_from_aws;
mod polling;
mod rest_auth;
mod scopes;
mod screenshots;
mod send_once;
mod services;
mod snapshots;
mod team;
mod timestamps;
mod tmux;
mod tmux_actions;
mod trust;
mod xray;
