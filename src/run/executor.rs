//! Who performs actions: in each account and region, the AWS executor on that
//! scope's credentials and this process's own protection; in the demo, the
//! simulator's. Found by the scope's label and region, never by its place in a list.

use std::collections::BTreeMap;

use super::origin::{AwsScope, Origin};
use crate::action::{AwsExecutor, DemoExecutor, Executor, Guard, KubeExecutor, PipelineExecutor};
use crate::config::Config;
use crate::model::scope::ScopeKey;

/// The executors of a session.
#[derive(Clone, Default)]
pub struct Executors {
    by_scope: BTreeMap<ScopeKey, Executor>,
    /// The demo's one executor, whatever the scope.
    demo: Option<Executor>,
}

impl Executors {
    /// The executor of `scope`, if this process has credentials there.
    pub fn of(&self, scope: &ScopeKey) -> Option<&Executor> {
        self.demo.as_ref().or_else(|| self.by_scope.get(scope))
    }
}

/// The scope's key as the app names it: its label and its region.
pub fn key_of(scope: &AwsScope) -> ScopeKey {
    ScopeKey {
        label: scope.spec.label.clone(),
        region: scope
            .sdk
            .region()
            .map(|r| r.to_string())
            .or_else(|| scope.spec.region.clone())
            .unwrap_or_default(),
    }
}

/// This process's protection of a scope: its config's models and tags, and the
/// account when `[[accounts]] protected` says so.
fn guard(config: &Config, scope: Option<&AwsScope>) -> Guard {
    let account = scope.filter(|s| s.spec.protected).map(|s| {
        s.spec
            .label
            .clone()
            .unwrap_or_else(|| "this account".into())
    });
    Guard::new(&config.mappings, &config.actions.protected_tags, account)
}

pub fn executors_for(origin: &Origin, config: &Config) -> Executors {
    match origin {
        Origin::Demo { source, .. } => Executors {
            demo: Some(Executor::Demo(
                DemoExecutor::new(source.simulator().clone()).guarded(guard(config, None)),
            )),
            ..Executors::default()
        },
        Origin::Aws {
            scopes, pipelines, ..
        }
        | Origin::Viewer {
            scopes, pipelines, ..
        } => Executors {
            by_scope: scopes
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let key = key_of(s);
                    let mut executor = AwsExecutor::new(&s.sdk, &s.calls).in_scope(
                        key.clone(),
                        guard(config, Some(s)),
                        &config.mappings,
                    );
                    // MLflow and Airflow were reached with the first scope's
                    // credentials (MWAA, managed MLflow): their calls are its alone.
                    if i == 0 {
                        executor = executor
                            .with_pipelines(PipelineExecutor::new(pipelines.clients.clone()))
                            .with_kube(KubeExecutor::new(pipelines.serving.clone()));
                    }
                    (key, Executor::Aws(executor))
                })
                .collect(),
            demo: None,
        },
    }
}
