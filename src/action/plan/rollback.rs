//! Roll back: an older endpoint config, or traffic back to the steadier variant.

use super::{approval_of, day, protection};
use crate::action::{Call, Kind, Plan, Request, GUARDRAIL_BAKE_SECONDS};
use crate::model::ecs::EcsService;
use crate::model::facts::{EndpointFacts, ModelFacts};

/// Rollback targets, newest first. `recorded` is the config the audit log saw the
/// endpoint leave at its last deploy; it comes first when it is still a target.
pub fn rollbacks(req: &Request, recorded: Option<&str>) -> Result<Vec<Plan>, String> {
    let m = &req.model;
    let ep = m
        .endpoint
        .as_ref()
        .ok_or_else(|| format!("{} has no endpoint to roll back", m.name))?;
    if let Some(service) = &ep.ecs {
        return ecs_rollback(m, ep, service).map(|p| vec![p]);
    }
    if let Some(w) = &ep.k8s {
        return super::workload::rollback(m, ep, w).map(|p| vec![p]);
    }
    if ep.variants.len() > 1 {
        return Ok(variant_rollbacks(m, ep));
    }
    let Some((current, older)) = ep.config_history.split_first() else {
        return Err(format!("{}: its endpoint config is not known yet", ep.name));
    };
    let mut older: Vec<_> = older
        .iter()
        .filter(|c| c.name != current.name && c.created <= current.created)
        .collect();
    older.sort_by_key(|c| std::cmp::Reverse(c.created));
    if let Some(i) = recorded.and_then(|r| older.iter().position(|c| c.name == r)) {
        let first = older.remove(i);
        older.insert(0, first);
    }
    if older.is_empty() {
        return Err(format!(
            "no older endpoint config of {} to go back to (configs named like {} and created \
             before it)",
            ep.name, current.name
        ));
    }
    let note = (!req.alarms.is_empty()).then(|| {
        format!(
            "deployment guardrails: SageMaker rolls back by itself if {} fires within {} s",
            req.alarms.join(" or "),
            GUARDRAIL_BAKE_SECONDS
        )
    });
    let previous = format!(
        "serving {} ({}) · {}",
        current.name,
        approval_of(m, current.model_version),
        ep.status
    );
    Ok(older
        .into_iter()
        .map(|c| Plan {
            kind: Kind::Rollback,
            model: m.name.clone(),
            // What it would serve first: the config's name is in the arguments too.
            label: format!(
                "{} · created {} · model {} · {}{}{}",
                approval_of(m, c.model_version),
                day(c.created),
                c.model.as_deref().unwrap_or("?"),
                c.name,
                if Some(c.name.as_str()) == recorded {
                    " · before the last deploy (audit log)"
                } else {
                    ""
                },
                // Why it is this endpoint's past: lineage, CloudTrail, or the name.
                c.evidence
                    .as_ref()
                    .map(|(_, e)| format!(" · {e}"))
                    .unwrap_or_default()
            ),
            call: Call::UpdateEndpoint {
                endpoint: ep.name.clone(),
                config: c.name.clone(),
                guardrail_alarms: req.alarms.clone(),
            },
            previous: previous.clone(),
            previous_config: Some(current.name.clone()),
            protected: protection(ep),
            note: note.clone(),
            account: None,
            observed: None,
        })
        .collect())
}

/// Several variants (canary, blue/green, A/B): all traffic back to one of the others.
/// The suspect is the variant serving the newest model version (on a tie or when
/// versions are unknown, the one with the least traffic: the canary).
fn variant_rollbacks(m: &ModelFacts, ep: &EndpointFacts) -> Vec<Plan> {
    let suspect = ep
        .variants
        .iter()
        .max_by(|a, b| {
            a.model_version
                .cmp(&b.model_version)
                .then(b.weight.total_cmp(&a.weight))
        })
        .map(|v| v.name.clone());
    let mut targets: Vec<_> = ep
        .variants
        .iter()
        .filter(|v| Some(&v.name) != suspect.as_ref())
        .collect();
    targets.sort_by(|a, b| {
        b.model_version
            .cmp(&a.model_version)
            .then(b.weight.total_cmp(&a.weight))
    });
    let previous = ep
        .variants
        .iter()
        .map(|v| format!("{}={:.2}", v.name, v.weight))
        .collect::<Vec<_>>()
        .join(" ");
    targets
        .into_iter()
        .map(|t| Plan {
            kind: Kind::Rollback,
            model: m.name.clone(),
            label: format!(
                "all traffic to variant {} · {} · now {:.0}%",
                t.name,
                approval_of(m, t.model_version),
                100.0 * t.weight
                    / ep.variants
                        .iter()
                        .map(|v| v.weight)
                        .sum::<f64>()
                        .max(f64::MIN_POSITIVE)
            ),
            call: Call::UpdateEndpointWeights {
                endpoint: ep.name.clone(),
                weights: ep
                    .variants
                    .iter()
                    .map(|v| (v.name.clone(), if v.name == t.name { 1.0 } else { 0.0 }))
                    .collect(),
            },
            previous: format!("weights {previous}"),
            previous_config: None,
            protected: protection(ep),
            note: None,
            account: None,
            observed: None,
        })
        .collect()
}

/// An ECS service back to the family's revision before the one it runs.
fn ecs_rollback(m: &ModelFacts, ep: &EndpointFacts, s: &EcsService) -> Result<Plan, String> {
    let previous = s.previous.as_ref().ok_or_else(|| {
        format!(
            "no earlier ACTIVE revision of {} to go back to",
            s.task_definition
        )
    })?;
    let rollout = s
        .primary()
        .and_then(|d| d.rollout.as_deref())
        .map(|r| format!(" · rollout {r}"))
        .unwrap_or_default();
    Ok(Plan {
        kind: Kind::Rollback,
        model: m.name.clone(),
        label: format!(
            "task definition {previous} · the revision before {}",
            s.task_definition
        ),
        call: Call::UpdateEcsService {
            cluster: s.cluster.clone(),
            service: s.service.clone(),
            task_definition: previous.clone(),
        },
        previous: format!(
            "serving {} ({}) · {}/{} tasks{rollout}",
            s.task_definition,
            s.image.as_deref().unwrap_or("image ?"),
            s.running,
            s.desired
        ),
        previous_config: Some(s.task_definition.clone()),
        protected: protection(ep),
        note: None,
        account: None,
        observed: None,
    })
}
