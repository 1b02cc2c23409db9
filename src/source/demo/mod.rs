//! The built-in simulated fleet behind `--demo`.

mod actions;
mod profiles;
mod sim;
mod traces;

pub use actions::{DemoActions, Deploy, Retrain, Shift, UPDATE_SECS};
pub use sim::{
    config_name, execution_arn, package_arn, pipeline_of, Simulator, AIRFLOW_BASE, HISTORY_MINUTES,
    MLFLOW_BASE,
};

use jiff::Timestamp;

use super::{Source, SourceId, Update};

/// Serves the simulator's fleet as of the wall clock on every refresh.
pub struct DemoSource {
    sim: Simulator,
}

impl DemoSource {
    pub fn new(sim: Simulator) -> DemoSource {
        DemoSource { sim }
    }

    /// The simulator it serves; clones share the record of actions taken on it.
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }
}

impl Source for DemoSource {
    fn id(&self) -> SourceId {
        SourceId::Demo
    }

    async fn fetch(&mut self) -> Update {
        let now = Timestamp::now();
        Update::Fleet {
            source: SourceId::Demo,
            fleet: self.sim.fleet_at(now),
            at: now,
        }
    }
}
