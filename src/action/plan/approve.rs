//! Approve or reject a model package version.

use super::day;
use crate::action::{Call, Kind, Plan, Request};
use crate::model::facts::Approval;

/// Versions to approve (anything not approved) or reject (anything not rejected).
pub fn approvals(req: &Request, to: Approval) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let kind = if to == Approval::Approved {
        Kind::Approve
    } else {
        Kind::Reject
    };
    let plans: Vec<Plan> = m
        .registry
        .iter()
        .filter(|v| v.approval != to)
        .filter_map(|v| {
            Some(Plan {
                kind,
                model: m.name.clone(),
                label: format!(
                    "v{} · {} · created {}{}",
                    v.version,
                    v.approval.label(),
                    day(v.created),
                    if v.deployed { " · deployed" } else { "" }
                ),
                call: Call::UpdateModelPackage {
                    arn: v.arn.clone()?,
                    approval: to,
                },
                previous: format!("v{} {}", v.version, v.approval.label()),
                previous_config: None,
                protected: None,
                note: (v.deployed && to == Approval::Rejected)
                    .then(|| "this version is serving: rejecting it does not undeploy it".into()),
                account: None,
                observed: None,
            })
        })
        .collect();
    if plans.is_empty() {
        return Err(format!(
            "no version of {} to {} (the model registry lists none that is not {})",
            m.name,
            kind.label(),
            to.label()
        ));
    }
    Ok(plans)
}
