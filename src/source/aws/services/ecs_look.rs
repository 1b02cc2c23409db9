//! One ECS service read afresh, for a rollback about to be planned on it: the
//! service with its tags, the task definition serving and its image, and the
//! family's ACTIVE revision before it (described, so a revision deregistered since
//! is never offered). Nothing from the source's caches.

use aws_sdk_ecs::types::{ServiceField, SortOrder, TaskDefinitionStatus};
use aws_sdk_ecs::Client;

use super::ecs_facts::{self, family_revision, previous_revision};
use crate::aws::errors::describe;
use crate::model::ecs::EcsService;

/// What one fresh read of a service found.
#[derive(Debug, Clone)]
pub struct ServiceLook {
    pub service: EcsService,
    /// The service's ARN: the account it is in.
    pub arn: Option<String>,
    pub tags: Result<Vec<(String, String)>, String>,
}

pub async fn look(client: &Client, cluster: &str, name: &str) -> Result<ServiceLook, String> {
    let d = client
        .describe_services()
        .cluster(cluster)
        .services(name)
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|e| describe("ecs:DescribeServices", &e))?;
    let s = d
        .services()
        .first()
        .ok_or_else(|| format!("ECS service {cluster}/{name} does not exist"))?;
    let mut service = ecs_facts::service(cluster, s);
    let tags = s
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect();
    service.image = image(client, &service.task_definition).await?;
    service.previous = previous_of(client, &service.task_definition).await?;
    Ok(ServiceLook {
        service,
        arn: s.service_arn().map(str::to_string),
        tags: Ok(tags),
    })
}

/// The family's newest ACTIVE revision before `td` ("family:revision"), as ECS
/// lists them now.
pub async fn previous_of(client: &Client, td: &str) -> Result<Option<String>, String> {
    let Some((family, _)) = family_revision(td) else {
        return Ok(None);
    };
    let listed = client
        .list_task_definitions()
        .family_prefix(family)
        .status(TaskDefinitionStatus::Active)
        .sort(SortOrder::Desc)
        .max_results(20)
        .send()
        .await
        .map_err(|e| describe("ecs:ListTaskDefinitions", &e))?;
    Ok(previous_revision(td, listed.task_definition_arns()))
}

/// The first container's image of a task definition.
async fn image(client: &Client, td: &str) -> Result<Option<String>, String> {
    let d = client
        .describe_task_definition()
        .task_definition(td)
        .send()
        .await
        .map_err(|e| describe("ecs:DescribeTaskDefinition", &e))?;
    Ok(d.task_definition()
        .and_then(|t| t.container_definitions().first())
        .and_then(|c| c.image())
        .map(str::to_string))
}
