//! Counts every AWS request per service and operation (retries included: each attempt
//! is a request AWS may bill), through an SDK interceptor on every client.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Shared by every client of one session; clones count into the same map.
#[derive(Debug, Clone, Default)]
pub struct ApiCalls(Arc<Mutex<BTreeMap<String, u64>>>);

pub use crate::model::pricing::METRICS_REQUESTED;

impl ApiCalls {
    /// Records `n` metrics asked for in one GetMetricData request.
    pub fn add_metrics_requested(&self, n: u64) {
        self.add(METRICS_REQUESTED, n);
    }

    /// Records `n` of something billed beside requests (metrics, AMP's samples).
    pub fn add(&self, key: &str, n: u64) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(key.to_string()).or_default() += n;
        }
    }

    /// Records one request the SDK does not make (MLflow's, Airflow's REST calls).
    pub fn count(&self, key: &str) {
        if let Ok(mut counts) = self.0.lock() {
            *counts.entry(key.to_string()).or_default() += 1;
        }
    }

    /// Requests so far, keyed "Service:Operation" (e.g. "SageMaker:ListEndpoints").
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

impl Intercept for ApiCalls {
    fn name(&self) -> &'static str {
        "mlopsdash::ApiCalls"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(op), Ok(mut counts)) = (cfg.load::<Metadata>(), self.0.lock()) {
            *counts
                .entry(format!("{}:{}", op.service(), op.name()))
                .or_default() += 1;
        }
        Ok(())
    }
}
