//! The web team's model: a Flask container on ECS Fargate behind a load balancer,
//! its features loaded by an hourly Lambda with a dead-letter queue, retrained by
//! Step Functions. Task definition upsell-api:8 goes out 20 s in and its tasks
//! crash (stopped tasks, an unhealthy target, 5xx) until it is rolled back to :7;
//! the ETL fails 30 s in and its DLQ fills.

use jiff::{SignedDuration, Timestamp};

use super::super::profiles::Profile;
use super::*;
use crate::model::ecs::{Deployment, EcsService, StoppedTask, TargetHealth};
use crate::model::etl::{EtlDay, EtlSchedule, LambdaEtl};
use crate::model::facts::*;
use crate::model::identity::{Identity, JoinedBy};

pub(super) const CLUSTER: &str = "web-prod";
/// When the ETL fails, after the demo starts.
const ETL_FAILS_SECS: i64 = 30;

impl Simulator {
    pub(super) fn on_ecs(&self, p: &Profile, m: &mut ModelFacts, now: Timestamp) {
        let service = self.service(p, now);
        let tag = format!("tag model={}", p.name);
        m.identity = Some(
            Identity::new(JoinedBy::Tag, tag.clone())
                .with(
                    format!("ECS service {}", service.id()),
                    JoinedBy::Tag,
                    tag.clone(),
                )
                .with(
                    format!("Lambda ETL {}", etl_name(p)),
                    JoinedBy::Tag,
                    tag.clone(),
                )
                .with(
                    format!("state machine retrain-{}", p.name),
                    JoinedBy::Tag,
                    tag,
                ),
        );
        m.aliases.clear();
        m.endpoint = Some(EndpointFacts {
            name: service.service.clone(),
            status: service.status.clone(),
            failure_reason: None,
            config_name: service.task_definition.clone(),
            variants: Vec::new(),
            config_history: Vec::new(),
            artifact: None,
            protected: None,
            ecs: Some(Box::new(service)),
            k8s: None,
        });
        let etl = self.lambda_etl(p, now);
        m.data = Some(DataFacts {
            location: format!("lambda {}", etl.function),
            newest_object: etl.last_success,
            source: DataSource::Lambda,
            lambda: Some(Box::new(etl)),
        });
        m.pipeline = None;
        for run in &mut m.training {
            run.source = RunSource::StepFunctions;
            run.execution_arn = None;
        }
    }

    fn service(&self, p: &Profile, now: Timestamp) -> EcsService {
        let deployed = self.deployed_version(p, now);
        let crashing = self.spike(p, now);
        let deploying = self.acts(|a| a.last_deploy(&p.name, now).is_some_and(|d| now < d.done()));
        let td = |v: u32| format!("{}:{v}", p.name);
        let running = if crashing { 1 } else { p.instances };
        let mut events = vec![(
            self.started - SignedDuration::from_hours(6),
            format!("(service {}) has reached a steady state.", p.name),
        )];
        let mut stopped = Vec::new();
        let mut unhealthy = Vec::new();
        if crashing {
            let since =
                self.incident_start(&p.name, super::super::profiles::Incident::LatencySpike);
            let at = since.unwrap_or(now);
            events.insert(
                0,
                (
                    at + SignedDuration::from_secs(8),
                    format!(
                        "(service {}) (task 4f2a9c) failed container health checks.",
                        p.name
                    ),
                ),
            );
            stopped = (0..2)
                .map(|k| StoppedTask {
                    task_definition: td(deployed),
                    stopped_at: Some(at + SignedDuration::from_secs(10 + 5 * k)),
                    reason: "Essential container in task exited".into(),
                    container: Some("flask".into()),
                    exit_code: Some(1),
                })
                .rev()
                .collect();
            unhealthy.push(TargetHealth {
                target: "10.0.3.18:8080".into(),
                state: "unhealthy".into(),
                reason: Some("Target.ResponseCodeMismatch".into()),
                description: Some("Health checks failed with these codes: [502]".into()),
            });
        }
        EcsService {
            cluster: CLUSTER.into(),
            service: p.name.clone(),
            status: "ACTIVE".into(),
            running,
            desired: p.instances,
            pending: p.instances - running,
            task_definition: td(deployed),
            image: Some(format!(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/{}:v{deployed}",
                p.name
            )),
            previous: (deployed > 1).then(|| td(deployed - 1)),
            deployments: vec![Deployment {
                status: "PRIMARY".into(),
                task_definition: td(deployed),
                rollout: Some(if deploying { "IN_PROGRESS" } else { "COMPLETED" }.into()),
                reason: None,
                running,
                desired: p.instances,
                failed_tasks: if crashing { 2 } else { 0 },
                created: None,
            }],
            events,
            stopped,
            healthy_targets: running,
            unhealthy,
            unread: Vec::new(),
            target_groups: vec![format!(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{}/6d0ecf831eec9f09",
                p.name
            )],
        }
    }

    /// Hourly at :05; it ran cleanly 40 minutes before the demo started, fails
    /// `ETL_FAILS_SECS` in, and from then on its DLQ gains a message every 10 s.
    fn lambda_etl(&self, p: &Profile, now: Timestamp) -> LambdaEtl {
        let failed_at = self.started + SignedDuration::from_secs(ETL_FAILS_SECS);
        let failed = now >= failed_at;
        let waiting = now.duration_since(failed_at).as_secs().max(0) / 10;
        LambdaEtl {
            function: etl_name(p),
            schedule: Some(EtlSchedule {
                expression: "rate(1 hour)".into(),
                timezone: None,
                by: format!("rule {}-hourly", etl_name(p)),
                enabled: true,
            }),
            last_success: Some(self.started - SignedDuration::from_secs(p.data_age_at_start)),
            last_failure: failed.then_some(failed_at),
            dlq: Some(format!("{}-dlq", etl_name(p))),
            dlq_depth: Some(if failed {
                1 + waiting.unsigned_abs().min(200)
            } else {
                0
            }),
            log_tail: if failed {
                vec![
                    "[ERROR] KeyError: 'customer_id'".into(),
                    "  File \"/var/task/etl.py\", line 42, in handler".into(),
                ]
            } else {
                Vec::new()
            },
            day: Some(EtlDay {
                invocations: 24.0,
                errors: if failed { 1.0 } else { 0.0 },
                throttles: 0.0,
                max_duration_ms: Some(41_800.0),
            }),
        }
    }
}

fn etl_name(p: &Profile) -> String {
    format!("{}-features-etl", p.name)
}
