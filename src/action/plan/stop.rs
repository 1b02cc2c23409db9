//! Stop what is running: a training job or a pipeline execution.

use super::day;
use crate::action::{request_token, Call, Kind, Plan, Request};
use crate::model::facts::RunStatus;

/// Running training jobs and pipeline executions that can be stopped.
pub fn stops(req: &Request) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let plans: Vec<Plan> = m
        .training
        .iter()
        .filter(|r| r.status == RunStatus::InProgress)
        .map(|r| Plan {
            kind: Kind::Stop,
            model: m.name.clone(),
            label: format!(
                "{} · {} · started {}",
                r.name,
                r.secondary_status.as_deref().unwrap_or("running"),
                day(r.started)
            ),
            call: match &r.execution_arn {
                Some(arn) => Call::StopPipelineExecution {
                    arn: arn.clone(),
                    token: request_token(),
                },
                None => Call::StopTrainingJob {
                    name: r.name.clone(),
                },
            },
            previous: format!("{} {}", r.name, r.status.label()),
            previous_config: None,
            protected: None,
            note: None,
            account: None,
            observed: None,
        })
        .collect();
    if plans.is_empty() {
        return Err(format!(
            "{} has no running training job or pipeline execution",
            m.name
        ));
    }
    Ok(plans)
}
