//! ECS services that serve models, behind Application Load Balancers: per refresh
//! DescribeServices (tasks, deployments, events, tags; ten services a request), the
//! stopped tasks (ListTasks + DescribeTasks) and the target groups' health
//! (DescribeTargetHealth). What does not change is asked once: a task definition's
//! image (DescribeTaskDefinition), the revision before it (ListTaskDefinitions), a
//! target group's load balancer (DescribeTargetGroups). Which services belong to
//! which model: `[[models]] ecs_service`, else a model tag found by listing every
//! cluster's services every ten minutes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use aws_sdk_ecs::types::{DesiredStatus, ServiceField};
use jiff::Timestamp;

use super::ecs_facts::{self, elb_dimensions, newest_stopped};
use super::{row_of, Joining, Listing, Owner};
use crate::aws::errors::{describe, AwsError};
use crate::aws::ApiCalls;
use crate::model::ecs::{EcsService, MISSING, TARGETS};
use crate::model::facts::{EndpointFacts, StaleFacts};
use crate::model::stages::Stage;
use crate::model::Fleet;
use crate::source::aws::fan_out::{fan_out, lock};
use crate::source::aws::protection::protection;
use crate::source::aws::targets::{EcsTarget, ServiceTargetsSender};
use crate::source::last_good::LastGood;
use crate::source::pages::Pages;
use crate::source::{report, Source, SourceId, Update};

mod listing;

/// Pages of ListClusters / ListServices read at most per listing.
const MAX_PAGES: usize = 10;
/// DescribeServices and DescribeTargetGroups take this many names a request.
const PER_DESCRIBE: usize = 10;
/// Stopped tasks described per service (ECS keeps them about an hour).
const STOPPED_ASKED: usize = 20;

/// A service that belongs to a model.
#[derive(Debug, Clone)]
struct Owned {
    cluster: String,
    service: String,
    owner: Owner,
}

/// A service's facts, and the parts of them that could not be read this time.
type Read = (EcsService, Vec<String>);

pub struct EcsSource {
    ecs: aws_sdk_ecs::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    join: Joining,
    protected_tags: Vec<String>,
    owned: Listing<Vec<Owned>>,
    /// Task definition → its first container's image (a revision never changes).
    images: Mutex<HashMap<String, Option<String>>>,
    /// Task definition → the family's revision before it (asked again when it changes).
    previous: Mutex<HashMap<String, Option<String>>>,
    /// Target group ARN → its load balancer's and its own CloudWatch dimensions.
    dimensions: Mutex<HashMap<String, Option<(String, String)>>>,
    /// "cluster/service" → the last good facts and when they were gathered.
    known: LastGood<String, EcsService>,
    targets: Option<ServiceTargetsSender>,
}

impl EcsSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> EcsSource {
        let ecs = aws_sdk_ecs::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let elb = aws_sdk_elasticloadbalancingv2::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        EcsSource {
            ecs: aws_sdk_ecs::Client::from_conf(ecs),
            elb: aws_sdk_elasticloadbalancingv2::Client::from_conf(elb),
            join: Joining::default(),
            protected_tags: Vec::new(),
            owned: Listing::default(),
            images: Mutex::default(),
            previous: Mutex::default(),
            dimensions: Mutex::default(),
            known: LastGood::default(),
            targets: None,
        }
    }

    /// Config's services, and (when `discover`) services tagged with one of `tag_keys`.
    pub fn joining(mut self, join: Joining) -> Self {
        self.join = join;
        self
    }

    /// Tags (e.g. env=prod) that make a rollback of the service need its name typed.
    pub fn protecting(mut self, tags: Vec<String>) -> Self {
        self.protected_tags = tags;
        self
    }

    /// Tells CloudWatch which services and load balancers to ask metrics for.
    pub fn publish_targets(mut self, targets: ServiceTargetsSender) -> Self {
        self.targets = Some(targets);
        self
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let owned = self.owned.or_list(self.list_owned()).await;
        let owned = owned?;
        self.read(owned).await
    }

    async fn read(&self, owned: Vec<Owned>) -> Result<Fleet, String> {
        let mut by_cluster: BTreeMap<&str, Vec<&Owned>> = BTreeMap::new();
        for o in &owned {
            by_cluster.entry(&o.cluster).or_default().push(o);
        }
        let chunks: Vec<(&str, Vec<&Owned>)> = by_cluster
            .into_iter()
            .flat_map(|(cluster, services)| {
                services
                    .chunks(PER_DESCRIBE)
                    .map(|c| (cluster, c.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let described = fan_out(
            chunks,
            self.join.in_flight,
            |(cluster, services)| async move {
                let names: Vec<String> = services.iter().map(|o| o.service.clone()).collect();
                let answer = self.describe(cluster, names).await;
                (cluster, services, answer)
            },
        )
        .await;
        let mut found = Vec::new();
        for (cluster, services, answer) in described {
            for o in services {
                // A service ECS does not know is a fact of its own (DescribeServices
                // names it a failure, MISSING), not a failed read.
                let result = match &answer {
                    Ok(by_name) => Ok(by_name
                        .get(&o.service)
                        .cloned()
                        .unwrap_or_else(|| (EcsService::missing(cluster, &o.service), Vec::new()))),
                    Err(why) => Err(why.clone()),
                };
                found.push((o.clone(), result));
            }
        }
        let detailed = fan_out(found, self.join.in_flight, |(o, described)| async move {
            let extras = match described {
                Ok((s, tags)) if s.status == MISSING => Ok(((s, Vec::new()), tags)),
                Ok((s, tags)) => {
                    let last = self.known.last(&s.id()).map(|(_, l)| l);
                    Ok((self.extras(s, last).await, tags))
                }
                Err(why) => Err(why),
            };
            (o, extras)
        })
        .await;
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        let read: HashSet<String> = detailed
            .iter()
            .map(|(o, _)| format!("{}/{}", o.cluster, o.service))
            .collect();
        self.known.retain(|id| read.contains(id));
        for (o, result) in detailed {
            let id = format!("{}/{}", o.cluster, o.service);
            let mapping = self.join.mappings.iter().find(|m| m.name == o.owner.model);
            let row = row_of(&mut rows, &o.owner, format!("ECS service {id}"));
            match result {
                Ok(((service, problems), tags)) => {
                    let protected = protection(mapping, &Ok(tags), &self.protected_tags);
                    let since = self.known.last(&id).map(|(at, _)| at);
                    // Read whole: from now; in part: as old as the parts kept.
                    let at = match problems.is_empty() {
                        true => Timestamp::now(),
                        false => since.unwrap_or_else(Timestamp::now),
                    };
                    self.known.keep_at(id, at, service.clone());
                    if !problems.is_empty() {
                        let why = problems.join("; ");
                        let mark = StaleFacts::new(SourceId::Ecs, &[Stage::Endpoint], why, since);
                        row.stale.push(mark);
                    }
                    targets.push(self.target(&o, &service));
                    row.endpoint = Some(endpoint(service, protected));
                }
                Err(why) => {
                    let denied = Err(why.clone());
                    let (last, mark) =
                        self.known
                            .settle(&id, Err(why), SourceId::Ecs, &[Stage::Endpoint]);
                    row.stale.extend(mark);
                    if let Some(service) = last {
                        let protected = protection(mapping, &denied, &self.protected_tags);
                        row.endpoint = Some(endpoint(service, protected));
                    }
                }
            }
        }
        if let Some(tx) = &self.targets {
            tx.send_if_modified(|t| {
                let changed = t.ecs != targets;
                t.ecs = targets;
                changed
            });
        }
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    /// Up to ten services of one cluster, by name: their facts and tags.
    async fn describe(
        &self,
        cluster: &str,
        services: Vec<String>,
    ) -> Result<HashMap<String, (EcsService, Vec<(String, String)>)>, String> {
        let answer = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(services))
            .include(ServiceField::Tags)
            .send()
            .await
            .map_err(|e| describe("ecs:DescribeServices", &e))?;
        Ok(answer
            .services()
            .iter()
            .map(|s| {
                let tags = s
                    .tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                    .collect();
                let facts = ecs_facts::service(cluster, s);
                (facts.service.clone(), (facts, tags))
            })
            .collect())
    }

    /// The image, previous revision, stopped tasks and targets of one service. A
    /// part that cannot be read is named in `unread` with why, and the rest of the
    /// service still shows: the image, revision and stopped tasks keep what `last`
    /// read of the same revision, the targets turn unknown.
    async fn extras(&self, mut s: EcsService, last: Option<EcsService>) -> Read {
        let groups = s.target_groups.clone();
        let (image, previous, stopped, health, dimensions) = tokio::join!(
            self.image(&s.task_definition),
            self.previous(&s.task_definition),
            self.stopped(&s.cluster, &s.service),
            self.health(&groups),
            self.dimensions(&groups),
        );
        let mut problems = Vec::new();
        let mut unread = Vec::new();
        let mut missing = |part: &'static str, why: String| {
            unread.push(part.to_string());
            problems.push(why);
        };
        if let Err(why) = dimensions {
            missing("load balancer", why);
        }
        let last_same = last.filter(|l| l.task_definition == s.task_definition);
        match image {
            Ok(image) => s.image = image,
            Err(why) => {
                s.image = last_same.as_ref().and_then(|l| l.image.clone());
                missing("image", why);
            }
        }
        match previous {
            Ok(previous) => s.previous = previous,
            Err(why) => {
                s.previous = last_same.as_ref().and_then(|l| l.previous.clone());
                missing("previous revision", why);
            }
        }
        match stopped {
            Ok(stopped) => s.stopped = stopped,
            Err(why) => {
                s.stopped = last_same
                    .as_ref()
                    .map(|l| l.stopped.clone())
                    .unwrap_or_default();
                missing("stopped tasks", why);
            }
        }
        match health {
            Ok((healthy, unhealthy)) => {
                s.healthy_targets = healthy;
                s.unhealthy = unhealthy;
            }
            Err(why) => missing(TARGETS, why),
        }
        s.unread = unread;
        (s, problems)
    }

    async fn image(&self, td: &str) -> Result<Option<String>, String> {
        if let Some(known) = lock(&self.images).get(td) {
            return Ok(known.clone());
        }
        let answer = self
            .ecs
            .describe_task_definition()
            .task_definition(td)
            .send()
            .await
            .map_err(|e| describe("ecs:DescribeTaskDefinition", &e))?;
        let image = answer
            .task_definition()
            .and_then(|t| t.container_definitions().first())
            .and_then(|c| c.image())
            .map(str::to_string);
        lock(&self.images).insert(td.to_string(), image.clone());
        Ok(image)
    }

    async fn previous(&self, td: &str) -> Result<Option<String>, String> {
        if let Some(known) = lock(&self.previous).get(td) {
            return Ok(known.clone());
        }
        let previous = super::ecs_look::previous_of(&self.ecs, td).await?;
        lock(&self.previous).insert(td.to_string(), previous.clone());
        Ok(previous)
    }

    async fn stopped(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Vec<crate::model::ecs::StoppedTask>, String> {
        let listed = self
            .ecs
            .list_tasks()
            .cluster(cluster)
            .service_name(service)
            .desired_status(DesiredStatus::Stopped)
            .max_results(i32::try_from(STOPPED_ASKED).unwrap_or(20))
            .send()
            .await
            .map_err(|e| describe("ecs:ListTasks", &e))?;
        if listed.task_arns().is_empty() {
            return Ok(Vec::new());
        }
        let tasks = self
            .ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(listed.task_arns().to_vec()))
            .send()
            .await
            .map_err(|e| describe("ecs:DescribeTasks", &e))?;
        Ok(newest_stopped(
            tasks.tasks().iter().map(ecs_facts::stopped_task).collect(),
        ))
    }

    /// Learns the load balancer of target groups not seen before (DescribeTargetGroups).
    async fn dimensions(&self, groups: &[String]) -> Result<(), String> {
        let unknown: Vec<String> = {
            let known = lock(&self.dimensions);
            groups
                .iter()
                .filter(|g| !known.contains_key(*g))
                .cloned()
                .collect()
        };
        for chunk in unknown.chunks(PER_DESCRIBE) {
            let answer = self
                .elb
                .describe_target_groups()
                .set_target_group_arns(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| describe("elasticloadbalancing:DescribeTargetGroups", &e))?;
            let mut known = lock(&self.dimensions);
            for g in answer.target_groups() {
                let Some(arn) = g.target_group_arn() else {
                    continue;
                };
                let dims = g
                    .load_balancer_arns()
                    .first()
                    .and_then(|lb| elb_dimensions(lb, arn));
                known.insert(arn.to_string(), dims);
            }
        }
        Ok(())
    }

    /// Healthy targets counted, the others with why, across the service's groups.
    async fn health(
        &self,
        groups: &[String],
    ) -> Result<(u32, Vec<crate::model::ecs::TargetHealth>), String> {
        let (mut healthy, mut unhealthy) = (0, Vec::new());
        for group in groups {
            let answer = self
                .elb
                .describe_target_health()
                .target_group_arn(group)
                .send()
                .await
                .map_err(|e| describe("elasticloadbalancing:DescribeTargetHealth", &e))?;
            for d in answer.target_health_descriptions() {
                match ecs_facts::target(d) {
                    Some(t) => unhealthy.push(t),
                    None => healthy += 1,
                }
            }
        }
        Ok((healthy, unhealthy))
    }

    /// What CloudWatch watches for the service: its load balancer's first target group.
    fn target(&self, o: &Owned, s: &EcsService) -> EcsTarget {
        let load_balancer = s
            .target_groups
            .first()
            .and_then(|g| lock(&self.dimensions).get(g).cloned().flatten());
        EcsTarget {
            model: o.owner.model.clone(),
            cluster: o.cluster.clone(),
            service: o.service.clone(),
            load_balancer,
        }
    }
}

fn endpoint(service: EcsService, protected: Option<String>) -> EndpointFacts {
    let failure_reason = service
        .primary()
        .filter(|d| d.rollout.as_deref() == Some("FAILED"))
        .and_then(|d| d.reason.clone());
    EndpointFacts {
        name: service.service.clone(),
        status: service.status.clone(),
        failure_reason,
        config_name: service.task_definition.clone(),
        variants: Vec::new(),
        config_history: Vec::new(),
        artifact: None,
        protected,
        ecs: Some(Box::new(service)),
        k8s: None,
    }
}

/// The last part of an ARN: "…:cluster/ml-prod" → "ml-prod".
fn name_of(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

impl Source for EcsSource {
    fn id(&self) -> SourceId {
        SourceId::Ecs
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Ecs, self.gather().await)
    }
}
