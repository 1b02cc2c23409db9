//! Which view the screen shows.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Pipeline,
    Models,
    Alarms,
    Events,
    /// What changed: deploys, configs, approvals, alarms, actions.
    Changes,
    Stats,
    Cost,
    Traces,
    /// One trace's waterfall.
    Trace,
    Detail,
}

impl View {
    pub fn title(self) -> &'static str {
        match self {
            View::Pipeline => "pipeline",
            View::Models => "models",
            View::Alarms => "alarms",
            View::Events => "events",
            View::Changes => "changes",
            View::Stats => "stats",
            View::Cost => "cost",
            View::Traces => "traces",
            View::Trace => "trace",
            View::Detail => "model",
        }
    }
}
