//! What this process itself says may not be changed without the name typed: its own
//! config (`[[models]] protected`, `[[accounts]] protected`) and the tags it read
//! itself (`[actions] protected_tags`). Nothing a state document, the recorded past or
//! a cache says about protection counts. Applied when a dialog is planned and again
//! where the call is sent.

use super::{Call, Plan};
use crate::config::ModelMapping;
use crate::source::aws::protection::protection;

/// One scope's protection, from this process's config.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// `[[models]]` entries marked protected.
    models: Vec<ModelMapping>,
    /// `[actions] protected_tags`: "key=value".
    tags: Vec<String>,
    /// The scope's account is marked protected (its label), from this config.
    account: Option<String>,
}

impl Guard {
    pub fn new(mappings: &[ModelMapping], tags: &[String], account: Option<String>) -> Guard {
        Guard {
            models: mappings.iter().filter(|m| m.protected).cloned().collect(),
            tags: tags.to_vec(),
            account,
        }
    }

    /// Why a call on `model` must have its name typed, given the tags this process
    /// just read on what it changes (Err: they could not be read, which counts as
    /// protected when tags protect anything).
    pub fn why(&self, plan: &Plan, tags: &Result<Vec<(String, String)>, String>) -> Option<String> {
        if let Some(label) = &self.account {
            return Some(format!("account {label} is protected in config"));
        }
        let mapping = self.models.iter().find(|m| self.names(m, plan));
        protection(mapping, tags, &self.tags)
    }

    /// Why, from config alone: what the sending side checks again with no tag read.
    pub fn why_by_config(&self, plan: &Plan) -> Option<String> {
        self.why(plan, &Ok(Vec::new()))
    }

    /// `plan` with its protection decided here: config, then `tags`. A plan that
    /// already asks for a name (the demo's simulated tags) keeps asking.
    pub fn protect(&self, mut plan: Plan, tags: &Result<Vec<(String, String)>, String>) -> Plan {
        if let Some(why) = self.why(&plan, tags) {
            plan.protected = Some((typed_name(&plan), why));
        }
        plan
    }

    /// Whether the config entry `m` names the row or anything the call changes.
    fn names(&self, m: &ModelMapping, plan: &Plan) -> bool {
        // A row of a second account is `name@label`.
        let row = plan.model.split('@').next().unwrap_or_default();
        let same = |ours: &Option<String>, theirs: &str| ours.as_deref() == Some(theirs);
        m.name == row
            || match &plan.call {
                Call::UpdateEndpoint { endpoint, .. }
                | Call::UpdateEndpointWeights { endpoint, .. } => same(&m.endpoint, endpoint),
                Call::UpdateEcsService {
                    cluster, service, ..
                } => m.ecs_service.as_ref().is_some_and(|s| {
                    // ECS takes a name or an ARN for either.
                    let name = |x: &str| x.rsplit('/').next().unwrap_or(x).to_string();
                    name(&s.cluster) == name(cluster) && name(&s.service) == name(service)
                }),
                Call::StartPipelineExecution { pipeline, .. } => same(&m.pipeline, pipeline),
                Call::TriggerDagRun { dag, .. } => same(&m.training_dag, dag),
                Call::SetMlflowAlias { model, .. } | Call::TransitionMlflowStage { model, .. } => {
                    same(&m.mlflow_model, model)
                }
                // A version's ARN names its group: `…:model-package/<group>/<n>`.
                Call::UpdateModelPackage { arn, .. } => {
                    m.model_package_group.as_ref().is_some_and(|g| {
                        arn.rsplit_once('/')
                            .and_then(|(head, _)| head.rsplit_once("model-package/"))
                            .is_some_and(|(_, group)| group == g)
                    })
                }
                Call::PatchInferenceService(t) => workload_named(m, t),
                Call::PatchDeployment(u) => workload_named(m, &u.target),
                Call::CreateTrainingJob(_)
                | Call::StopTrainingJob { .. }
                | Call::StopPipelineExecution { .. } => false,
            }
    }
}

/// Whether config's workload is the one patched.
fn workload_named(m: &ModelMapping, t: &crate::model::k8s::rollback::Target) -> bool {
    m.workload
        .as_ref()
        .is_some_and(|w| w.namespace == t.namespace && w.name == t.name)
}

/// What the user types to confirm a protected call: the endpoint, service or
/// workload it changes, else the model's name (a package ARN or a job name is not
/// what people know a model by).
pub fn typed_name(plan: &Plan) -> String {
    match &plan.call {
        Call::UpdateEndpoint { endpoint, .. } | Call::UpdateEndpointWeights { endpoint, .. } => {
            endpoint.clone()
        }
        Call::UpdateEcsService { service, .. } => service.clone(),
        Call::PatchInferenceService(t) => t.name.clone(),
        Call::PatchDeployment(u) => u.target.name.clone(),
        _ => plan.model.clone(),
    }
}

/// The name the confirmation must carry, if any: the plan's own (decided when it
/// was planned) or config's, checked again here whatever the plan says.
pub fn required_name(guard: &Guard, plan: &Plan) -> Option<(String, String)> {
    plan.protected
        .clone()
        .or_else(|| guard.why_by_config(plan).map(|why| (typed_name(plan), why)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Kind;
    use crate::model::facts::Approval;

    fn approve(model: &str) -> Plan {
        Plan::new(
            Kind::Approve,
            model,
            Call::UpdateModelPackage {
                arn: "arn:aws:sagemaker:us-east-1:1:model-package/g/3".into(),
                approval: Approval::Approved,
            },
        )
    }

    fn rollback(model: &str, endpoint: &str) -> Plan {
        Plan::new(
            Kind::Rollback,
            model,
            Call::UpdateEndpoint {
                endpoint: endpoint.into(),
                config: "old".into(),
                guardrail_alarms: vec![],
            },
        )
    }

    #[test]
    fn config_protects_every_kind_of_action_on_the_model() {
        let churn = ModelMapping {
            name: "churn".into(),
            endpoint: Some("churn-prod".into()),
            protected: true,
            ..Default::default()
        };
        let guard = Guard::new(&[churn], &[], None);
        let approved = guard.protect(approve("churn"), &Ok(vec![]));
        assert_eq!(
            approved.protected,
            Some(("churn".into(), "protected in config".into()))
        );
        // A row named otherwise is still protected through its endpoint.
        let rb = guard.protect(rollback("churn-model", "churn-prod"), &Ok(vec![]));
        assert_eq!(rb.protected.map(|p| p.0).as_deref(), Some("churn-prod"));
        // ... and a second account's row `churn@dev` by its name.
        assert!(guard.why_by_config(&approve("churn@dev")).is_some());
        assert!(guard.why_by_config(&approve("fraud")).is_none());
        // A row named otherwise whose version is in the protected group.
        let group = ModelMapping {
            name: "churn".into(),
            model_package_group: Some("g".into()),
            protected: true,
            ..Default::default()
        };
        let by_group = Guard::new(&[group], &[], None);
        assert!(by_group.why_by_config(&approve("churn-x")).is_some());
    }

    #[test]
    fn a_protected_account_or_tag_protects_and_the_sending_side_asks_again() {
        let guard = Guard::new(&[], &["env=prod".into()], Some("prod".into()));
        assert_eq!(
            guard.why_by_config(&approve("any")).as_deref(),
            Some("account prod is protected in config")
        );
        let tags = Guard::new(&[], &["env=prod".into()], None);
        let tagged = Ok(vec![("env".to_string(), "prod".to_string())]);
        let plan = tags.protect(rollback("m", "ep"), &tagged);
        assert_eq!(
            plan.protected.clone().map(|p| p.1).as_deref(),
            Some("tagged env=prod")
        );
        // The plan's word stands where the call is sent; config alone adds none here.
        assert!(required_name(&tags, &plan).is_some());
        assert!(required_name(&tags, &rollback("m", "ep")).is_none());
        // Unreadable tags count as protected.
        let unread = tags.protect(rollback("m", "ep"), &Err("denied".into()));
        assert!(unread.protected.is_some());
    }
}
