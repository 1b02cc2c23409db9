//! Which ECS services belong to models: those `[[models]] ecs_service` names, and,
//! when discovery is on, every cluster's services whose model tag names one (listed
//! every ten minutes, ten described a request).

use super::*;

impl EcsSource {
    /// The services config names, then those whose tags name a model.
    pub(super) async fn list_owned(&self) -> Result<Vec<Owned>, String> {
        let mut owned: Vec<Owned> = self
            .join
            .mappings
            .iter()
            .filter_map(|m| {
                let s = m.ecs_service.as_ref()?;
                let id = format!("{}/{}", s.cluster, s.service);
                Some(Owned {
                    cluster: s.cluster.clone(),
                    service: s.service.clone(),
                    owner: Owner::config(&m.name, "ecs_service", &id),
                })
            })
            .collect();
        if !self.join.discover {
            return Ok(owned);
        }
        let clusters = crate::source::aws::services::discovered(self.list_clusters().await, "ECS")?;
        let listed = fan_out(clusters, self.join.in_flight, |cluster| async move {
            let services = self.list_services(&cluster).await;
            (cluster, services)
        })
        .await;
        let mut chunks = Vec::new();
        for (cluster, services) in listed {
            for chunk in services?.chunks(PER_DESCRIBE) {
                chunks.push((cluster.clone(), chunk.to_vec()));
            }
        }
        // Ten services a request, many requests at once: their tags say whose they are.
        let described = fan_out(chunks, self.join.in_flight, |(cluster, names)| async move {
            let described = self.describe(&cluster, names).await;
            (cluster, described)
        })
        .await;
        for (cluster, described) in described {
            for (name, (_, tags)) in described? {
                let already = owned
                    .iter()
                    .any(|o| o.cluster == cluster && o.service == name);
                let tags_ref = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if let Some(owner) =
                    Owner::tagged(tags_ref, &self.join.tag_keys).filter(|_| !already)
                {
                    owned.push(Owned {
                        cluster: cluster.clone(),
                        service: name,
                        owner,
                    });
                }
            }
        }
        Ok(owned)
    }

    pub(super) async fn list_clusters(&self) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        let mut pages = Pages::capped("ecs:ListClusters", MAX_PAGES);
        loop {
            let page = self
                .ecs
                .list_clusters()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::of("ecs:ListClusters", &e))?;
            out.extend(page.cluster_arns().iter().map(|arn| name_of(arn)));
            token = pages.next(page.next_token()).map_err(AwsError::Read)?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    pub(super) async fn list_services(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        let mut pages = Pages::capped("ecs:ListServices", MAX_PAGES);
        loop {
            let page = self
                .ecs
                .list_services()
                .cluster(cluster)
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::of("ecs:ListServices", &e))?;
            out.extend(page.service_arns().iter().map(|arn| name_of(arn)));
            token = pages.next(page.next_token()).map_err(AwsError::Read)?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }
}
