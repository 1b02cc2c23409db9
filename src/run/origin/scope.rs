//! One account in one region: its credentials and request count, the settings every
//! scope shares, and the sources built for it from both.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tokio::sync::{mpsc, watch};

use super::plan::{every, plan, Plan};
use crate::config::{AwsConfig, DriftConfig, IdentityConfig, ModelMapping, ScopeSpec};
use crate::model::identity::Normaliser;
use crate::source::aws::changes::ChangesSource;
use crate::source::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
use crate::source::aws::cost::CostSource;
use crate::source::aws::failover::FailoverSource;
use crate::source::aws::targets::{ServiceTargets, ServiceTargetsReceiver, TargetsReceiver};
use crate::source::aws::xray::{XraySettings, XraySource};
use crate::source::aws::{
    ApiCalls, EcsSource, Joining, LambdaSource, Pacer, Recognition, S3Source, SageMakerSource,
    StepFunctionsSource,
};
use crate::source::{AnySource, RefreshReceivers, SourceId, Update};

/// One account in one region: the SDK config its sources and actions use (the
/// account's profile or assumed role), what it counts its requests in, and how
/// config names it.
pub struct AwsScope {
    pub sdk: aws_config::SdkConfig,
    pub calls: ApiCalls,
    pub spec: ScopeSpec,
}

impl AwsScope {
    pub fn region(&self) -> String {
        self.sdk.region().map(|r| r.to_string()).unwrap_or_default()
    }
}

/// The settings every scope's sources share.
pub struct Shared {
    pub settings: AwsConfig,
    pub mappings: Vec<ModelMapping>,
    /// Endpoint tags that make actions on it need the name typed.
    pub protected_tags: Vec<String>,
    pub identity: IdentityConfig,
    /// Drift from captured traffic.
    pub drift: DriftConfig,
    /// Where a session leaves what the next one starts from (None: nowhere).
    pub memory: Option<PathBuf>,
}

/// The dashboard keeps asking; a one-off gather asks each source once, and
/// CloudWatch for every metric whatever the budget's pace.
pub enum Mode {
    Dashboard { updates: mpsc::Sender<Update> },
    Once,
}

/// A scope's sources, each with how it is driven, in `plan`'s order.
pub struct Feeds {
    pub feeds: Vec<(Plan, Box<dyn AnySource>)>,
    /// The endpoints SageMaker finds, as they are found.
    pub endpoints: TargetsReceiver,
    /// The services ECS finds behind load balancers.
    pub services: ServiceTargetsReceiver,
}

/// Builds the sources `plan` names for one scope, from the shared settings;
/// `global`: this scope asks its account's global services.
pub fn feeds(
    (sdk, calls): (&aws_config::SdkConfig, &ApiCalls),
    shared: &Shared,
    refresh: &RefreshReceivers,
    global: bool,
    mode: &Mode,
) -> Feeds {
    let (settings, identity) = (&shared.settings, &shared.identity);
    let (mappings, protected_tags) = (shared.mappings.clone(), shared.protected_tags.clone());
    let (targets, endpoints) = watch::channel(Vec::new());
    let (services_tx, services) = watch::channel(ServiceTargets::default());
    let joining = Joining {
        mappings: mappings.clone(),
        tag_keys: identity.tag_keys.clone(),
        discover: settings.discover,
        in_flight: settings.max_in_flight,
    };
    let custom = CustomMetrics {
        namespace: settings.custom_namespace.clone(),
        dimension: settings.model_dimension.clone(),
        discover: settings.discover,
    };
    let cloudwatch = CloudWatchSource::new(sdk, calls, endpoints.clone(), mappings.clone(), custom)
        .watching_services(services.clone())
        .budgeted(
            settings.daily_budget_usd,
            every(settings, settings.cloudwatch_seconds),
            (
                refresh.attention.clone(),
                Normaliser::new(&identity.affixes),
            ),
            refresh.all.clone(),
        );
    let sagemaker = sagemaker_source((sdk, calls), shared).publish_targets(targets);
    let (sagemaker, cloudwatch) = match mode {
        Mode::Dashboard { updates } => (sagemaker.progressive(updates.clone()), cloudwatch),
        Mode::Once => (sagemaker, cloudwatch.every_metric()),
    };
    let mut failover = FailoverSource::new(sdk, calls, &mappings).watching(endpoints.clone());
    if !global {
        failover = failover.without_dns();
    }
    let xray = XraySettings {
        window_minutes: i64::try_from(settings.xray_window_minutes).unwrap_or(15),
        max_traces: settings.xray_max_traces,
        filter: settings.xray_filter.clone(),
    };
    let s3 = S3Source::new(
        sdk,
        calls,
        &mappings,
        endpoints.clone(),
        settings.s3_max_pages,
    )
    .in_flight(settings.max_in_flight)
    .drift(shared.drift.clone());
    let ecs = EcsSource::new(sdk, calls)
        .joining(joining.clone())
        .protecting(protected_tags)
        .publish_targets(services_tx);
    let cost = CostSource::new(
        sdk,
        calls,
        settings.cost_model_tag.clone(),
        settings.cost_refresh_minutes,
        refresh.cost.clone(),
    );
    let mut built: BTreeMap<SourceId, Box<dyn AnySource>> = BTreeMap::new();
    built.insert(SourceId::SageMaker, Box::new(sagemaker));
    built.insert(SourceId::CloudWatch, Box::new(cloudwatch));
    built.insert(SourceId::S3, Box::new(s3));
    built.insert(SourceId::Cost, Box::new(cost));
    built.insert(
        SourceId::XRay,
        Box::new(XraySource::new(sdk, calls, xray, &mappings)),
    );
    built.insert(SourceId::Ecs, Box::new(ecs));
    built.insert(
        SourceId::Lambda,
        Box::new(LambdaSource::new(sdk, calls).joining(joining.clone())),
    );
    built.insert(
        SourceId::StepFunctions,
        Box::new(StepFunctionsSource::new(sdk, calls).joining(joining)),
    );
    built.insert(SourceId::Changes, Box::new(ChangesSource::new(sdk, calls)));
    built.insert(SourceId::Failover, Box::new(failover));
    let feeds = plan(settings, global)
        .into_iter()
        .filter_map(|p| Some((p, built.remove(&p.id)?)))
        .collect();
    Feeds {
        feeds,
        endpoints,
        services,
    }
}

/// One scope's SageMaker source, mapped and recognising models as config says.
pub fn sagemaker_source(
    (sdk, calls): (&aws_config::SdkConfig, &ApiCalls),
    shared: &Shared,
) -> SageMakerSource {
    let (settings, identity) = (&shared.settings, &shared.identity);
    SageMakerSource::new(sdk, calls)
        .mapped(shared.mappings.clone(), settings.discover)
        // One pacer per session: every ListTrainingJobs caller shares it.
        .paced(Pacer::new(2))
        .in_flight(settings.max_in_flight)
        .protecting(shared.protected_tags.clone())
        .recognising(Recognition {
            tag_keys: identity.tag_keys.clone(),
            names: Normaliser::new(&identity.affixes),
        })
}

/// Whether each scope is its account's first: Route 53 and Cost Explorer are global,
/// asked once per account.
pub fn first_of_account(scopes: &[AwsScope]) -> Vec<bool> {
    scopes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            !scopes
                .iter()
                .take(i)
                .any(|earlier| earlier.spec.label == s.spec.label)
        })
        .collect()
}
