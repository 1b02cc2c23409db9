//! mlopsdash: one terminal screen for every ML model's whole pipeline on AWS.
//!
//! # How it is built
//!
//! Flow is one way: `source` tasks send `Update`s → `app` state applies them →
//! `ui` draws the state. Keys become commands that the app handles.
//!
//! ```text
//! sources (tokio tasks) ──Update──▶ App state ──▶ ui::draw(&state, frame)
//!       ▲                              │
//!       └──────── refresh ◀── keys ────┘
//! ```
//!
//! ## Layers
//!
//! Layers, top down: `run` (composition root, event loop) → `ui`, `snapshot` →
//! `app` → `action` → `source` → `aws` (shared SDK helpers) → `config` → `model`.
//! Each names only itself and those below it, and `tests/it/layers.rs` fails on any
//! `crate::` path (or `super::` climbing out of its layer) that points up, or from
//! the views and the app state into I/O.
//!
//! - **Composition root** (`src/run/`, `src/main.rs`, `src/cli.rs`): builds sources
//!   and executors, owns the event loop, the audit writer, the history recorder (its
//!   own thread), the incident report, the past without sources (`--at`, `export`),
//!   where a command's facts come from (`origins.rs` picks an `origin::Origin`: the
//!   demo, AWS scopes, or a collector's states) and the headless collector
//!   (`collector.rs`).
//! - **Render** (`src/ui/`, `src/snapshot/`): one file per view, charts, SVG export
//!   of frames; `snapshot` JSON and text; no I/O.
//! - **App** (`src/app/`): app state and pure updates, keys and `:` commands; view,
//!   mode, dialog and effect as leaf modules; the change timeline and the past on
//!   screen (`changes.rs`, `past.rs`); derived state (sources, fleet, health, rows,
//!   events, changes) is read through methods, written only by updates.
//! - **Actions** (`src/action/`): planners (pure), the AWS and demo executors, the
//!   runner, the audit log.
//! - **Sources** (`src/source/`): only fetch and store. The `Source` trait, the
//!   interval/refresh driver, the toolkit every source uses (`pages.rs` bounded
//!   paging, `last_good.rs` a part's last good answer and its staleness, `turns.rs`
//!   one read in flight per key; `scoped.rs` marks each scope's updates), `memory` (what a session leaves for the next; every update
//!   passes its recorder) over `disk` (bounded JSON cache files), `history/` (the
//!   recorded past: a framed, checksummed log in hourly segments), `demo/` simulator,
//!   `aws/` (SageMaker, CloudWatch, S3, STS, Cost Explorer, X-Ray, ECS, Lambda, Step
//!   Functions, CloudTrail and alarm history for what changed, `failover/` for S3
//!   replication and Route 53), `team/` (a collector's states in S3: the document,
//!   its keys, the reads and writes a viewer and a collector make), `pipelines/`
//!   (MLflow and Airflow over one bounded JSON-over-HTTP client with their auth
//!   schemes and SigV4 for managed MLflow, Airflow also through MWAA's
//!   InvokeRestApi).
//! - **Shared AWS** (`src/aws/`): errors by kind (`AwsError`, whose `#[error]`s are
//!   the one line the user reads; callers decide on the kind), the request counter,
//!   SageMaker status mappings: what sources and executors share.
//! - **Config** (`src/config/`): config schema and loading with positions, key map,
//!   themes, `[[accounts]]` resolved into scopes.
//! - **Model** (`src/model/`): facts, identity and joins, units, thresholds, stage
//!   health, events, changes (their join and the before/after deltas), scopes and DR
//!   pairs (`scope.rs`, `failover.rs`), a collector's state (`collected.rs`), prices,
//!   and the neutral `Update` and action data both sides speak; pure.
//!
//! ## One description of a scope's sources
//!
//! `src/run/origin/plan.rs` lists every AWS source of a scope once: its id, its
//! interval from the config, what wakes it (a refresh key, an incident), what it
//! waits for, whether it remembers across restarts and whether it needs the account
//! id (MLflow and Airflow, one per session rather than per scope, run beside them at
//! the common interval). The dashboard and `collect` (`spawn_scope`), `snapshot`
//! (`gather_scope`), the benchmarks (`ask_once`) and the staleness intervals are all
//! derived from that list, and
//! `scope.rs::feeds` builds each source of a scope. Adding a source is a module under
//! `src/source/` implementing `Source`, one line in `plan()`, and its constructor in
//! `feeds()`.
//!
//! ## One call, shown and sent
//!
//! An action's call is one piece of data (`Call`): the dialog shows and the audit log
//! records `Call::arguments()`, the executor builds the SDK request from the same
//! `Call`, and `tests/it/one_translation.rs` checks, for every call kind, that the
//! request the SDK serializes is field for field what the dialog showed. A retrain that
//! clones the last good training job copies everything that makes it the same job
//! (image, role, channels with their distribution, compression and input mode, output
//! and volume KMS keys, VPC, environment, checkpoints, network isolation, traffic
//! encryption, spot with its wait limit, hyperparameters) or refuses, naming the field
//! it cannot copy (a non-S3 channel, a shuffle config, a private registry or custom
//! entrypoint).
//!
//! ## The event loop, and what the code may not do
//!
//! The event loop drains every waiting update and key, then draws at most ~60 frames a
//! second and only when something changed (an update, a key, a resize) or the clock
//! moves what the screen shows (the minute, the data's age): an idle dashboard draws
//! nothing. Audit lines are written (and fsynced) by a writer task off the loop thread,
//! in order; an action waits until its "requested" line is on disk before its own
//! "confirmed" line and the call. A source keeps at most one request in flight and one
//! queued. The terminal is restored on quit, Ctrl-C, SIGTERM/SIGHUP and panic.
//! Planners and state updates are pure: they take the clock and the audit log's history
//! as arguments. `unsafe` is forbidden, `unwrap`/`expect`/`panic` denied outside tests,
//! and indexing that could panic denied where untrusted input flows (config, report and
//! segment parsers, Cost Explorer answers, names).
//!
//! ## Dependencies
//!
//! The AWS SDK crates are used without their default features, which pulled in a
//! legacy hyper 0.14 + rustls 0.21 + ring stack beside the current hyper 1 + rustls
//! 0.23 + aws-lc one; `aws-config` keeps `sso` and `credentials-process` so SSO and
//! `credential_process` profiles work. What that saved, and the build and CI times,
//! are in `tests/benches/README.md`.

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
