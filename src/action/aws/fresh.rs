//! Planning from a fresh read. What the screen showed (this session's facts, a
//! collector's state, the last session's cache) only names the row; before a dialog
//! opens, the target is read again with the credentials that will act: who they are
//! (STS), the endpoint or service with its configs, revisions, tags and guardrail
//! alarms, the package versions, the runs. The plans come from that read; what the
//! screen said otherwise is one line in the dialog.

use std::collections::HashMap;

use jiff::Timestamp;

use super::clone::{clone_of, parameters_of};
use super::observe::Run;
use super::AwsExecutor;
use crate::action::plan::{self, differences};
use crate::action::{Call, Kind, Plan, Prepared, Request};
use crate::aws::arn::account_of;
use crate::aws::errors::describe;
use crate::config::ModelMapping;
use crate::model::facts::{Approval, ModelFacts, RegistrySource, RunSource, RunStatus};
use crate::source::aws::sagemaker::look;
use crate::source::aws::services::ecs_look;

/// Tags read with the target: what protection by tag is decided on.
type Tags = Result<Vec<(String, String)>, String>;

/// What the fresh read found: the row's facts with the read parts replaced.
struct Fresh {
    model: ModelFacts,
    tags: Tags,
    /// The ARN of what was read: the account the calls would land in.
    arn: Option<String>,
    /// Alarms on the endpoint that are quiet now: the guardrails of a rollback.
    alarms: Vec<String>,
    /// Said in the dialog when the guardrails could not be read.
    unguarded: Option<String>,
}

impl AwsExecutor {
    /// Every choice the request offers, planned from what AWS says now to these
    /// credentials, or why there is none.
    pub async fn prepare(&self, req: &Request, recorded: Option<&str>) -> Result<Prepared, String> {
        let actor = self.actor().await?;
        if let Some(shown) = req.account.as_deref().filter(|a| *a != actor.account) {
            return Err(format!(
                "{} puts {} in account {shown}, but the credentials for {} are account {}: \
                 refused (check [[accounts]] for {0})",
                req.shown.said_by(),
                req.model.name,
                self.scope.name(),
                actor.account
            ));
        }
        let fresh = self.fresh(req).await?;
        let target = fresh
            .arn
            .as_deref()
            .and_then(account_of)
            .map(str::to_string);
        let planned = Request {
            model: fresh.model.clone(),
            alarms: fresh.alarms.clone(),
            ..req.clone()
        };
        let mut plans = self.plans(&planned, recorded).await?;
        let mut observed: HashMap<String, Option<String>> = HashMap::new();
        for p in &mut plans {
            // The call's own ARN first: each call is checked where it lands.
            let own = p.call.arn().and_then(account_of).map(str::to_string);
            p.account = own.or(p.account.take()).or(target.clone());
            if let Some(account) = p.account.as_deref().filter(|a| *a != actor.account) {
                return Err(format!(
                    "{} is in account {account}, but the credentials for {} are account {}: \
                     refused",
                    p.call.resource(),
                    self.scope.name(),
                    actor.account
                ));
            }
            *p = self.guard.protect(p.clone(), &fresh.tags);
            if p.note.is_none() {
                p.note.clone_from(&fresh.unguarded);
            }
            let resource = p.call.resource();
            if !observed.contains_key(&resource) {
                let now = match creates(&p.call) {
                    true => None,
                    false => Some(self.observe(&p.call, None).await?.now),
                };
                observed.insert(resource.clone(), now);
            }
            p.observed = observed.get(&resource).cloned().flatten();
        }
        Ok(Prepared {
            differs: differences(req.shown, &req.model, &fresh.model),
            plans,
            actor,
            scope: self.scope.clone(),
            read_at: Timestamp::now(),
        })
    }

    /// The plans of `req`, whose facts were just read.
    async fn plans(&self, req: &Request, recorded: Option<&str>) -> Result<Vec<Plan>, String> {
        match req.kind {
            Kind::Rollback => plan::rollbacks(req, recorded),
            Kind::Retrain => {
                let dag = self.pipelines.dag_retrain(req).await.transpose()?;
                let sagemaker = self.sagemaker_retrain(&req.model).await;
                // The DAG when there is one; SageMaker's way beside it when it has one.
                match (dag, sagemaker) {
                    (Some(dag), Ok(other)) => Ok(vec![dag, other]),
                    (Some(dag), Err(_)) => Ok(vec![dag]),
                    (None, other) => other.map(|p| vec![p]),
                }
            }
            Kind::Approve => self.approvals(req, Approval::Approved),
            Kind::Reject => self.approvals(req, Approval::Rejected),
            Kind::Stop => plan::stops(req),
        }
    }

    fn approvals(&self, req: &Request, to: Approval) -> Result<Vec<Plan>, String> {
        match from_mlflow(&req.model) {
            true => self.pipelines.approvals(req, to),
            false => plan::approvals(req, to),
        }
    }

    /// Retrain through the model's SageMaker pipeline, else a clone of its last job;
    /// either is described now, and the plan says which account it is in.
    async fn sagemaker_retrain(&self, m: &ModelFacts) -> Result<Plan, String> {
        if let Some(pipeline) = &m.pipeline {
            let d = self
                .read
                .describe_pipeline()
                .pipeline_name(pipeline)
                .send()
                .await
                .map_err(|e| describe("sagemaker:DescribePipeline", &e))?;
            let parameters = parameters_of(d.pipeline_definition().unwrap_or("{}"))
                .map_err(|e| format!("pipeline {pipeline}: {e}"))?;
            let mut p = plan::pipeline_retrain(m, pipeline, parameters, Timestamp::now());
            p.account = d.pipeline_arn().and_then(account_of).map(str::to_string);
            return Ok(p);
        }
        let (job, arn) = clone_of(&self.read, plan::last_good_job(m)?).await?;
        let mut p = plan::cloned_retrain(m, job);
        p.account = arn.as_deref().and_then(account_of).map(str::to_string);
        Ok(p)
    }

    /// This process's own config entry for the row, when it has one.
    fn mapping_of(&self, m: &ModelFacts) -> Option<&ModelMapping> {
        let row = m.name.split('@').next().unwrap_or_default();
        self.mappings.iter().find(|c| c.name == row)
    }

    /// The request's target, read now.
    async fn fresh(&self, req: &Request) -> Result<Fresh, String> {
        let shown = &req.model;
        let mut fresh = Fresh {
            model: shown.clone(),
            tags: Ok(Vec::new()),
            arn: None,
            alarms: Vec::new(),
            unguarded: None,
        };
        let mapping = self.mapping_of(shown);
        let endpoint = shown.endpoint.as_ref();
        let service = endpoint.and_then(|e| e.ecs.as_deref());
        let workload = endpoint.and_then(|e| e.k8s.as_deref());
        // A SageMaker endpoint the row names (an ECS service's or a workload's row has none).
        let sagemaker_endpoint = endpoint
            .filter(|e| e.ecs.is_none() && e.k8s.is_none())
            .map(|e| e.name.clone());
        match req.kind {
            Kind::Rollback if workload.is_some() => {
                let Some(w) = workload else {
                    return Err(format!("{} has no workload to roll back", shown.name));
                };
                let now = self.kube.look(w).await?;
                fresh.tags = Ok(now.labels.clone());
                if let Some(e) = fresh.model.endpoint.as_mut() {
                    e.status = crate::source::k8s::status_word(&now).to_string();
                    e.k8s = Some(Box::new(now));
                }
            }
            Kind::Rollback => match (service, sagemaker_endpoint) {
                (Some(s), _) => {
                    let ecs = &self.ecs()?.read;
                    let look = ecs_look::look(ecs, &s.cluster, &s.service).await?;
                    if let Some(e) = fresh.model.endpoint.as_mut() {
                        e.ecs = Some(Box::new(look.service));
                    }
                    (fresh.tags, fresh.arn) = (look.tags, look.arn);
                }
                (None, Some(name)) => {
                    let look = look::look(&self.read, self.trail.as_ref(), &name).await?;
                    // Without them the rollback still runs, unguarded, and says so.
                    match self.guardrails(&name).await {
                        Ok(alarms) => fresh.alarms = alarms,
                        Err(why) => {
                            fresh.unguarded = Some(format!(
                                "no deployment guardrails: the alarms could not be read ({why})"
                            ))
                        }
                    }
                    self.take_endpoint(&mut fresh, look);
                }
                (None, None) => return Err(format!("{} has no endpoint to roll back", shown.name)),
            },
            Kind::Approve | Kind::Reject if from_mlflow(shown) => {
                fresh.model.registry = self.pipelines.registry_of(shown).await?;
            }
            Kind::Approve | Kind::Reject => {
                let looked = match &sagemaker_endpoint {
                    Some(name) => Some(look::look(&self.read, self.trail.as_ref(), name).await?),
                    None => None,
                };
                // The group: config's, else what the endpoint serves now, else (no
                // endpoint yet) the row's. Its versions are always listed now.
                let group = mapping
                    .and_then(|m| m.model_package_group.clone())
                    .or_else(|| looked.as_ref().and_then(|l| l.group.clone()))
                    .or_else(|| {
                        shown
                            .registry
                            .iter()
                            .find_map(|v| group_of(v.arn.as_deref()?))
                    });
                let listed = looked.as_ref().is_some_and(|l| l.group == group);
                fresh.model.registry = Vec::new();
                if let Some(look) = looked {
                    self.take_endpoint(&mut fresh, look);
                }
                let Some(group) = group else {
                    return Err(format!(
                        "{}: no model package group known (set model_package_group in its \
                         [[models]] entry)",
                        shown.name
                    ));
                };
                if !listed {
                    fresh.model.registry = look::versions_of(&self.read, &group).await?;
                }
                fresh.arn = fresh.model.registry.iter().find_map(|v| v.arn.clone());
            }
            Kind::Retrain => {
                fresh.model.pipeline = mapping
                    .and_then(|m| m.pipeline.clone())
                    .or(fresh.model.pipeline.take());
                if let Some(name) = &sagemaker_endpoint {
                    (fresh.tags, fresh.arn) = look::tags_of(&self.read, name).await?;
                }
            }
            Kind::Stop => {
                if let Some(name) = &sagemaker_endpoint {
                    (fresh.tags, _) = look::tags_of(&self.read, name).await?;
                }
                // Only SageMaker's own runs can be stopped here; each is read now,
                // and a run AWS does not have is not offered.
                let mut now = Vec::new();
                for mut run in std::mem::take(&mut fresh.model.training) {
                    let stoppable =
                        matches!(run.source, RunSource::SageMaker | RunSource::Pipeline);
                    if run.status != RunStatus::InProgress || !stoppable {
                        continue;
                    }
                    match self
                        .status_of_run(&run.name, run.execution_arn.as_deref())
                        .await
                    {
                        Ok((status, arn)) => {
                            run.status = status;
                            run.execution_arn = match run.source {
                                RunSource::Pipeline => arn,
                                _ => None,
                            };
                            now.push(run);
                        }
                        Err(why) => tracing::info!("{} not offered to stop: {why}", run.name),
                    }
                }
                fresh.model.training = now;
            }
        }
        Ok(fresh)
    }

    /// The endpoint, its tags, ARN and registry as one look found them.
    fn take_endpoint(&self, fresh: &mut Fresh, look: look::Look) {
        fresh.model.endpoint = Some(look.endpoint);
        if look.group.is_some() {
            fresh.model.registry = look.registry;
        }
        (fresh.tags, fresh.arn) = (look.tags, look.arn);
    }

    /// A training job's or pipeline execution's status now, and its ARN.
    async fn status_of_run(
        &self,
        name: &str,
        execution: Option<&str>,
    ) -> Result<(RunStatus, Option<String>), String> {
        let run = match execution {
            Some(arn) => Run::Execution(arn),
            None => Run::Job(name),
        };
        let now = self
            .run_now(run)
            .await
            .map_err(|e| format!("{name}: {e}"))?;
        Ok((now.status, now.arn))
    }

    /// The alarms on `endpoint` (by its EndpointName dimension), as CloudWatch has
    /// them now: the quiet ones guard a rollback (one already firing would roll the
    /// deploy straight back).
    async fn guardrails(&self, endpoint: &str) -> Result<Vec<String>, String> {
        match &self.cloudwatch {
            Some(cloudwatch) => {
                crate::source::aws::cloudwatch::alarms_on(cloudwatch, endpoint).await
            }
            None => Ok(Vec::new()),
        }
    }
}

/// Whether the call makes something new (nothing to compare before sending).
fn creates(call: &Call) -> bool {
    matches!(
        call,
        Call::StartPipelineExecution { .. }
            | Call::CreateTrainingJob(_)
            | Call::TriggerDagRun { .. }
    )
}

/// Whether the model's registry is MLflow's.
fn from_mlflow(m: &ModelFacts) -> bool {
    m.registry
        .first()
        .is_some_and(|v| v.source == RegistrySource::Mlflow)
}

/// The package group of a version's ARN: `…:model-package/<group>/<version>`.
fn group_of(arn: &str) -> Option<String> {
    let (_, path) = arn.split_once(":model-package/")?;
    let (group, _) = path.rsplit_once('/')?;
    (!group.is_empty()).then(|| group.to_string())
}

#[cfg(test)]
mod tests {
    use super::group_of;

    #[test]
    fn a_versions_group_is_read_from_its_arn() {
        assert_eq!(
            group_of(
                "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-p-9x8kq2lmn0ab/4"
            )
            .as_deref(),
            Some("churn-p-9x8kq2lmn0ab")
        );
        assert_eq!(
            group_of("arn:aws:sagemaker:us-east-1:1:model-package/x"),
            None
        );
        assert_eq!(group_of("not an arn"), None);
    }
}
