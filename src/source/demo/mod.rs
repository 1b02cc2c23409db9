//! The built-in simulated fleet behind `--demo`.

mod profiles;
mod sim;
mod traces;

pub use sim::{Simulator, HISTORY_MINUTES};

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
}

impl Source for DemoSource {
    async fn fetch(&mut self) -> Update {
        let now = Timestamp::now();
        Update::Fleet {
            source: SourceId::Demo,
            fleet: self.sim.fleet_at(now),
            at: now,
        }
    }
}
