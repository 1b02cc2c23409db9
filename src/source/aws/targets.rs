//! What the CloudWatch and S3 sources watch for each model row: the endpoint,
//! variants and captured traffic SageMaker found, handed over as soon as SageMaker knows its rows.

use tokio::sync::watch;

use crate::config::S3Location;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointTarget {
    /// The row the metrics belong to.
    pub model: String,
    pub endpoint: String,
    pub variants: Vec<String>,
    /// Where its monitoring schedule writes reports, when it has one.
    pub reports: Option<S3Location>,
    /// When the endpoint last changed (a deploy, new weights): watched closely for
    /// a while after.
    pub changed: Option<jiff::Timestamp>,
    /// Where its Data Capture writes, when capture is on.
    pub capture: Option<S3Location>,
    /// The training channel of the job that trained what it serves.
    pub training_data: Option<S3Location>,
    /// The model artifact it serves ("s3://…/model.tar.gz"): the model bucket.
    pub artifact: Option<S3Location>,
    /// Lineage has been asked what it serves: `training_data` and `artifact` say
    /// what was found. Endpoint names come first, before lineage, for the metrics.
    pub traced: bool,
}

impl EndpointTarget {
    /// `model`'s endpoint with one variant (`AllTraffic`), traced, and nothing else
    /// known: what a source driven on its own starts from.
    pub fn named(model: &str, endpoint: &str) -> EndpointTarget {
        EndpointTarget {
            model: model.into(),
            endpoint: endpoint.into(),
            variants: vec!["AllTraffic".into()],
            reports: None,
            changed: None,
            capture: None,
            training_data: None,
            artifact: None,
            traced: true,
        }
    }
}

pub type TargetsSender = watch::Sender<Vec<EndpointTarget>>;
pub type TargetsReceiver = watch::Receiver<Vec<EndpointTarget>>;

/// What the CloudWatch source watches beyond SageMaker endpoints: ECS services
/// behind load balancers, as the ECS source finds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceTargets {
    pub ecs: Vec<EcsTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcsTarget {
    pub model: String,
    pub cluster: String,
    pub service: String,
    /// The load balancer and target group dimensions of AWS/ApplicationELB,
    /// "app/name/id" and "targetgroup/name/id", when the service is behind one.
    pub load_balancer: Option<(String, String)>,
}

pub type ServiceTargetsSender = watch::Sender<ServiceTargets>;
pub type ServiceTargetsReceiver = watch::Receiver<ServiceTargets>;
