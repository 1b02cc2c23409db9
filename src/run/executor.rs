//! Who performs actions: the AWS executor on the session's SDK config and request
//! counter, or the demo's on the same simulator its source reads.

use crate::action::{AwsExecutor, DemoExecutor, Executor, PipelineExecutor};
use crate::source::Backend;

pub fn executor_for(backend: &Backend) -> Executor {
    match backend {
        Backend::Demo { source, .. } => {
            Executor::Demo(DemoExecutor::new(source.simulator().clone()))
        }
        Backend::Aws {
            sdk,
            calls,
            pipelines,
            ..
        } => Executor::Aws(
            AwsExecutor::new(sdk, calls)
                .with_pipelines(PipelineExecutor::new(pipelines.clients.clone())),
        ),
    }
}
