//! Who performs actions: the AWS executor on the session's SDK config and request
//! counter, or the demo's on the same simulator its source reads.

use crate::action::{AwsExecutor, DemoExecutor, Executor, PipelineExecutor};
use crate::source::Backend;

/// One executor per scope: an action runs with the credentials of the account and
/// region its model is in.
pub fn executors_for(backend: &Backend) -> Vec<Executor> {
    match backend {
        Backend::Demo { source, .. } => {
            vec![Executor::Demo(DemoExecutor::new(
                source.simulator().clone(),
            ))]
        }
        Backend::Aws {
            scopes, pipelines, ..
        }
        | Backend::Viewer {
            scopes, pipelines, ..
        } => scopes
            .iter()
            .map(|s| {
                Executor::Aws(
                    AwsExecutor::new(&s.sdk, &s.calls)
                        .with_pipelines(PipelineExecutor::new(pipelines.clients.clone())),
                )
            })
            .collect(),
    }
}
