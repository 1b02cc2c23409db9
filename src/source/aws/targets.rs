//! What the CloudWatch source watches for each model row: the endpoint and variants
//! SageMaker found, handed over after each SageMaker refresh.

use tokio::sync::watch;

use crate::config::{parse_s3, S3Location};
use crate::model::Fleet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTarget {
    /// The row the metrics belong to.
    pub model: String,
    pub endpoint: String,
    pub variants: Vec<String>,
    /// Where its monitoring schedule writes reports, when it has one.
    pub reports: Option<S3Location>,
}

pub type TargetsSender = watch::Sender<Vec<EndpointTarget>>;
pub type TargetsReceiver = watch::Receiver<Vec<EndpointTarget>>;

/// Every model row's endpoint and its variants.
pub fn endpoint_targets(fleet: &Fleet) -> Vec<EndpointTarget> {
    fleet
        .models
        .iter()
        .filter_map(|m| {
            let ep = m.endpoint.as_ref()?;
            Some(EndpointTarget {
                model: m.name.clone(),
                endpoint: ep.name.clone(),
                variants: ep.variants.iter().map(|v| v.name.clone()).collect(),
                reports: m.drift.reports_at.as_deref().and_then(parse_s3),
            })
        })
        .collect()
}
