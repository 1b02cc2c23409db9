//! The demo executor: the same plans, performed on the simulated fleet.

use jiff::Timestamp;

use super::guard::{typed_name, Guard};
use super::step::{ecs_step, endpoint_step, run_step, EcsRollout};
use super::{plan, Actor, Call, Kind, Observation, Plan, Prepared, Request, SendError, Step};
use crate::config::AirflowRest;
use crate::model::facts::Approval;
use crate::model::facts::RegistrySource;
use crate::model::Fleet;
use crate::source::demo::{
    execution_arn, pipeline_of, Deploy, Retrain, Shift, Simulator, AIRFLOW_BASE, MLFLOW_BASE,
};

/// Whether the model's registry is MLflow's (the demo's second team).
fn from_mlflow(m: &crate::model::facts::ModelFacts) -> bool {
    m.registry
        .first()
        .is_some_and(|v| v.source == RegistrySource::Mlflow)
}

#[derive(Clone)]
pub struct DemoExecutor {
    sim: Simulator,
    guard: Guard,
}

impl DemoExecutor {
    /// Acts on `sim`'s fleet (the demo source shares its record of actions).
    pub fn new(sim: Simulator) -> DemoExecutor {
        DemoExecutor {
            sim,
            guard: Guard::default(),
        }
    }

    /// With this process's own protection from config.
    pub fn guarded(mut self, guard: Guard) -> DemoExecutor {
        self.guard = guard;
        self
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Who acts in the demo.
    pub fn actor() -> Actor {
        Actor {
            caller: "demo".into(),
            account: "demo".into(),
            region: "demo".into(),
            label: None,
        }
    }

    /// The choices of `req`, planned from the simulated fleet as it is now (the
    /// demo's fresh read); its simulated tags and this process's config protect.
    pub fn prepare(&self, req: &Request, recorded: Option<&str>) -> Result<Prepared, String> {
        // The simulated fleet at the moment the key was pressed (the app's clock).
        let fleet: Fleet = self.sim.fleet_at(req.at);
        let fresh = fleet
            .model(&req.model.name)
            .cloned()
            .ok_or_else(|| format!("{} is gone from the demo fleet", req.model.name))?;
        let now = Request {
            model: fresh.clone(),
            ..req.clone()
        };
        let tagged = fresh.endpoint.as_ref().and_then(|e| e.protected.clone());
        let mut plans = self.plans(&now, recorded)?;
        for p in &mut plans {
            if let Some(why) = &tagged {
                p.protected = Some((typed_name(p), why.clone()));
            }
            *p = self.guard.protect(p.clone(), &Ok(Vec::new()));
            p.observed = self.observe(p, None).ok().map(|o| o.now);
        }
        Ok(Prepared {
            differs: plan::differences(req.shown, &req.model, &fresh),
            plans,
            actor: DemoExecutor::actor(),
            scope: req.scope.clone(),
            read_at: Timestamp::now(),
        })
    }

    fn plans(&self, req: &Request, recorded: Option<&str>) -> Result<Vec<Plan>, String> {
        let m = &req.model;
        match req.kind {
            Kind::Rollback => plan::rollbacks(req, recorded),
            Kind::Retrain if plan::training_dag(m).is_some() => {
                let dag = plan::training_dag(m)
                    .map(|d| d.dag_id.clone())
                    .unwrap_or_default();
                // The demo's Airflow is an Airflow 3.
                let request = format!("POST {AIRFLOW_BASE}/dags/{dag}/dagRuns");
                Ok(vec![plan::dag_retrain(
                    m,
                    &dag,
                    request,
                    AirflowRest::V2,
                    req.at,
                )])
            }
            Kind::Approve | Kind::Reject if from_mlflow(m) => {
                let to = match req.kind {
                    Kind::Approve => Approval::Approved,
                    _ => Approval::Rejected,
                };
                plan::mlflow_approvals(req, to, MLFLOW_BASE)
            }
            Kind::Retrain => {
                let pipeline = m.pipeline.clone().unwrap_or_else(|| pipeline_of(&m.name));
                let parameters = vec![
                    (
                        "InputDataUrl".into(),
                        format!("s3://retail-ml-raw/{}/", m.name),
                    ),
                    ("TrainingInstanceType".into(), "ml.m5.xlarge".into()),
                    ("ModelApprovalStatus".into(), "PendingManualApproval".into()),
                ];
                Ok(vec![plan::pipeline_retrain(
                    m,
                    &pipeline,
                    parameters,
                    Timestamp::now(),
                )])
            }
            Kind::Approve => plan::approvals(req, Approval::Approved),
            Kind::Reject => plan::approvals(req, Approval::Rejected),
            Kind::Stop => plan::stops(req),
        }
    }

    pub fn execute(&self, p: &Plan) -> Result<Option<String>, SendError> {
        self.perform(p).map_err(SendError::Refused)
    }

    fn perform(&self, p: &Plan) -> Result<Option<String>, String> {
        let now = Timestamp::now();
        let model = p.model.clone();
        // A new version serving the model from now on (a config, a revision).
        let deployed = |model, version| {
            self.sim.record(|a| {
                a.deploys.push(Deploy {
                    model,
                    version,
                    at: now,
                })
            });
            Ok(None)
        };
        match &p.call {
            // An endpoint config or a task definition names the version it serves.
            Call::UpdateEndpoint { config, .. }
            | Call::UpdateEcsService {
                task_definition: config,
                ..
            } => {
                let version = trailing_number(config)
                    .ok_or_else(|| format!("no demo config or task definition {config}"))?;
                deployed(model, version)
            }
            Call::UpdateEndpointWeights { weights, .. } => {
                let weights = weights.clone();
                self.sim.record(|a| {
                    a.shifts.push(Shift {
                        model,
                        weights,
                        at: now,
                    })
                });
                Ok(None)
            }
            // Both retrains are one simulated run; the execution is named by its ARN.
            Call::StartPipelineExecution { .. }
            | Call::CreateTrainingJob(_)
            | Call::TriggerDagRun { .. } => {
                let (name, started) = match &p.call {
                    Call::StartPipelineExecution { display_name, .. } => {
                        (display_name.clone(), execution_arn(&model, display_name))
                    }
                    // A DAG run is named by the run id the request gave it.
                    Call::TriggerDagRun { body, .. } => {
                        let id = body["dag_run_id"].as_str().unwrap_or("manual").to_string();
                        (id.clone(), id)
                    }
                    _ => (p.call.resource(), p.call.resource()),
                };
                self.sim.record(|a| {
                    a.retrains.push(Retrain {
                        model,
                        name,
                        at: now,
                    })
                });
                Ok(Some(started))
            }
            Call::UpdateModelPackage { arn, approval } => {
                let version =
                    trailing_number(arn).ok_or_else(|| format!("no demo model package {arn}"))?;
                let approval = *approval;
                self.sim
                    .record(|a| a.approvals.push((model, version, approval)));
                Ok(None)
            }
            Call::StopTrainingJob { .. } | Call::StopPipelineExecution { .. } => {
                // A job by its name, an execution by the last part of its ARN.
                let resource = p.call.resource();
                let name = resource.rsplit('/').next().unwrap_or_default().to_string();
                self.sim.record(|a| a.stops.push((name, now)));
                Ok(None)
            }
            Call::SetMlflowAlias { version, .. } => {
                let version = *version;
                self.sim
                    .record(|a| a.approvals.push((model, version, Approval::Approved)));
                Ok(None)
            }
            Call::TransitionMlflowStage { version, stage, .. } => {
                let decision = match stage.as_str() {
                    "Archived" => Approval::Rejected,
                    _ => Approval::Approved,
                };
                let version = *version;
                self.sim
                    .record(|a| a.approvals.push((model, version, decision)));
                Ok(None)
            }
            // A dropped canary is a traffic shift; an undone Deployment a deploy of
            // the revision it goes back to.
            Call::PatchInferenceService(_) => {
                self.sim.record(|a| {
                    a.shifts.push(Shift {
                        model,
                        weights: Vec::new(),
                        at: now,
                    })
                });
                Ok(None)
            }
            Call::PatchDeployment(u) => deployed(model, u32::try_from(u.to_revision).unwrap_or(0)),
        }
    }

    /// The plan's resource in the simulated fleet now.
    pub fn observe(&self, p: &Plan, started: Option<&str>) -> Result<Observation, String> {
        let fleet: Fleet = self.sim.fleet_at(Timestamp::now());
        let m = fleet
            .model(&p.model)
            .ok_or_else(|| format!("{} is gone from the demo fleet", p.model))?;
        let step = self.step(m, &p.call, started)?;
        // What the resource is: the endpoint's status and config, else the step.
        let now = match (&p.call, &m.endpoint) {
            (Call::UpdateEndpoint { .. } | Call::UpdateEndpointWeights { .. }, Some(e)) => {
                format!("{} · config {}", e.status, e.config_name)
            }
            _ => step.text().to_string(),
        };
        Ok(Observation {
            now,
            applied: true,
            step,
        })
    }

    fn step(
        &self,
        m: &crate::model::facts::ModelFacts,
        call: &Call,
        started: Option<&str>,
    ) -> Result<Step, String> {
        let run = |name: &str| m.training.iter().find(|r| r.name == name);
        match call {
            Call::UpdateEndpoint { .. } | Call::UpdateEndpointWeights { .. } => {
                let ep = m.endpoint.as_ref().ok_or("the endpoint is gone")?;
                Ok(endpoint_step(&ep.status, ep.failure_reason.as_deref()))
            }
            Call::UpdateEcsService {
                task_definition, ..
            } => {
                let s = m
                    .endpoint
                    .as_ref()
                    .and_then(|e| e.ecs.as_deref())
                    .ok_or("the service is gone")?;
                let primary = s.primary();
                Ok(ecs_step(
                    &EcsRollout {
                        task_definition: &s.task_definition,
                        rollout: primary.and_then(|d| d.rollout.as_deref()),
                        reason: primary.and_then(|d| d.reason.as_deref()),
                        running: s.running,
                        desired: s.desired,
                        deployments: s.deployments.len(),
                    },
                    task_definition,
                ))
            }
            // An execution by the last part of its ARN; a DAG run by its id.
            Call::StartPipelineExecution { .. }
            | Call::CreateTrainingJob(_)
            | Call::TriggerDagRun { .. } => {
                let name = started
                    .map(|s| s.rsplit('/').next().unwrap_or(s))
                    .unwrap_or_default();
                let r = run(name).ok_or_else(|| format!("run {name} not listed yet"))?;
                Ok(run_step(
                    r.status,
                    r.secondary_status.as_deref(),
                    r.failure_reason.as_deref(),
                    false,
                ))
            }
            Call::UpdateModelPackage { arn, approval } => {
                let v = m
                    .registry
                    .iter()
                    .find(|v| v.arn.as_deref() == Some(arn.as_str()));
                Ok(match v {
                    Some(v) if v.approval == *approval => {
                        Step::Succeeded(format!("v{} is {}", v.version, approval.label()))
                    }
                    _ => Step::Running("updating".into()),
                })
            }
            Call::SetMlflowAlias { alias, version, .. } => {
                let now = m.registry.iter().find(|v| v.aliases().contains(alias));
                Ok(match now {
                    Some(v) if v.version == *version => {
                        Step::Succeeded(format!("{alias} is v{version}"))
                    }
                    _ => Step::Running("moving the alias".into()),
                })
            }
            Call::TransitionMlflowStage { version, stage, .. } => {
                Ok(Step::Succeeded(format!("v{version} is {stage}")))
            }
            Call::PatchInferenceService(_) | Call::PatchDeployment(_) => {
                let w = m
                    .endpoint
                    .as_ref()
                    .and_then(|e| e.k8s.as_deref())
                    .ok_or("the workload is gone")?;
                let rolling = w.rollout.as_deref() == Some("ReplicaSetUpdated");
                let done = match &call {
                    Call::PatchDeployment(u) => w.revision > Some(u.from_revision) && !rolling,
                    _ => w.canary().is_none(),
                };
                Ok(match done {
                    true => Step::Succeeded(match w.kind {
                        crate::model::k8s::WorkloadKind::Kserve => {
                            "all traffic on the previous revision".to_string()
                        }
                        _ => format!("revision {} serving", w.revision.unwrap_or(0)),
                    }),
                    false => Step::Running("rolling out".into()),
                })
            }
            Call::StopTrainingJob { name } => stop_step(run(name)),
            Call::StopPipelineExecution { arn, .. } => stop_step(
                m.training
                    .iter()
                    .find(|r| r.execution_arn.as_deref() == Some(arn.as_str())),
            ),
        }
    }
}

fn stop_step(run: Option<&crate::model::facts::TrainingRun>) -> Result<Step, String> {
    let r = run.ok_or("the run is no longer listed")?;
    Ok(run_step(
        r.status,
        r.secondary_status.as_deref(),
        r.failure_reason.as_deref(),
        true,
    ))
}

/// "…-config-v7" → 7, ".../model-package/m/7" → 7.
fn trailing_number(s: &str) -> Option<u32> {
    let digits: String = s
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use jiff::{SignedDuration, Timestamp};

    use super::*;
    use crate::model::facts::{RunSource, RunStatus};
    use crate::source::demo::Simulator;

    /// The payments team's model: a retrain triggers its DAG, an approval moves the
    /// champion alias, and the simulated fleet shows both as Airflow and MLflow would.
    #[test]
    fn the_second_team_retrains_through_its_dag_and_promotes_by_alias() {
        let started = Timestamp::now() - SignedDuration::from_secs(120);
        let sim = Simulator::new(42, started, 5);
        let exec = DemoExecutor::new(sim.clone());
        let model = |sim: &Simulator| {
            sim.fleet_at(Timestamp::now())
                .model("fraud-scoring")
                .unwrap()
                .clone()
        };
        let request = |kind| Request {
            kind,
            model: model(&sim),
            alarms: vec![],
            at: Timestamp::now(),
            scope: Default::default(),
            account: None,
            shown: Default::default(),
        };

        let plans = exec.prepare(&request(Kind::Retrain), None).unwrap().plans;
        let Call::TriggerDagRun { dag, body, .. } = &plans[0].call else {
            panic!("{:?}", plans[0].call);
        };
        assert_eq!(dag, "fraud_scoring_training");
        assert_eq!(body["conf"]["model"], "fraud-scoring");
        let run_id = exec.execute(&plans[0]).unwrap().unwrap();
        let newest = model(&sim).training[0].clone();
        assert_eq!(
            (newest.name.as_str(), newest.source),
            (run_id.as_str(), RunSource::Airflow)
        );
        assert_eq!(newest.status, RunStatus::InProgress);
        assert!(matches!(
            exec.observe(&plans[0], Some(&run_id)).unwrap().step,
            Step::Running(_)
        ));

        let plans = exec.prepare(&request(Kind::Approve), None).unwrap().plans;
        let Call::SetMlflowAlias { alias, version, .. } = &plans[0].call else {
            panic!("{:?}", plans[0].call);
        };
        assert_eq!((alias.as_str(), *version), ("champion", 10));
        exec.execute(&plans[0]).unwrap();
        let v10 = model(&sim)
            .registry
            .into_iter()
            .find(|v| v.version == 10)
            .unwrap();
        assert_eq!(v10.aliases(), ["champion"]);
        // The endpoint still serves v9's artifact: moving the alias deploys nothing.
        assert!(!v10.deployed);
        assert!(matches!(
            exec.observe(&plans[0], None).unwrap().step,
            Step::Succeeded(_)
        ));
    }
}
