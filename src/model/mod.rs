//! Domain types and health rules: what we know about each model and how healthy it is.
//! Pure: no I/O, no async, no terminal. Everything here is unit-tested directly.

pub mod action;
pub mod captured;
pub mod cell;
pub mod changes;
pub mod changes_seen;
pub mod collected;
pub mod context;
pub mod cost;
pub mod dags;
pub mod deltas;
pub mod distribution;
pub mod drift;
pub mod ecs;
pub mod ecs_health;
pub mod environments;
pub mod etl;
pub mod events;
pub mod facts;
pub mod failover;
pub mod format;
pub mod freshness;
pub mod health;
pub mod identity;
pub mod loadable;
pub mod merge;
pub mod metrics;
pub mod polling;
pub mod pricing;
pub mod quality;
pub mod registry;
pub mod rules;
pub mod scope;
pub mod secret;
pub mod source_id;
pub mod stage;
pub mod stages;
pub mod traces;
pub mod units;
pub mod update;

pub use cost::{CostSummary, Forecast};
pub use facts::{Alarm, AlarmState, Fleet, ModelFacts, ModelKind};
pub use health::Health;
pub use loadable::Loadable;
pub use rules::{Direction, Rules, Threshold};
pub use stages::{assess, ModelHealth, Stage, StageStatus};
