//! Integration tests, one binary (each test binary links the AWS SDKs; one link is enough).

mod cli;
mod screenshots;
mod snapshots;
mod tmux;
