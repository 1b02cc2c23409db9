//! Which sources run: the demo simulator, or the AWS sources for one account and region.
//! The dashboard starts them as tasks; `snapshot` asks each once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use super::aws::changes::{ChangesSource, LOOKUP_EVERY};
use super::aws::cloudwatch::{CloudWatchSource, CustomMetrics};
use super::aws::cost::{CostSource, CHECK_EVERY as COST_CHECK_EVERY};
use super::aws::failover::{FailoverSource, FAILOVER_EVERY};
use super::aws::targets::{ServiceTargets, TargetsReceiver, TargetsSender};
use super::aws::xray::{XraySettings, XraySource};
use super::aws::{
    self, ApiCalls, EcsSource, Joining, LambdaSource, Pacer, Recognition, S3Source,
    SageMakerSource, StepFunctionsSource,
};
use super::demo::{DemoSource, Simulator};
use super::memory::{self, MemoryDir};
use super::pipelines::PipelineSetup;
use super::{drive, Attention, RefreshReceivers, Source, SourceId, Update};
use crate::config::{AwsConfig, DriftConfig, IdentityConfig, ModelMapping, ScopeSpec};
use crate::model::collected::Collected;
use crate::model::context::{Context, Place};
use crate::model::identity::Normaliser;
use crate::model::scope::Scope;

const XRAY_EVERY: Duration = Duration::from_secs(300);
/// How long SageMaker's first refresh waits for the account, whose descriptions a
/// past session may have left: longer only costs the first rows' time.
const ACCOUNT_WAIT: Duration = Duration::from_secs(2);

pub enum Backend {
    Demo {
        source: DemoSource,
        seed: u64,
        every: Duration,
    },
    Aws {
        /// Each account × region watched, with its own credentials and request count.
        scopes: Vec<AwsScope>,
        /// What every scope's sources share.
        shared: Box<Shared>,
        /// MLflow and Airflow, when configured.
        pipelines: Box<PipelineSetup>,
    },
    /// A viewer (`--from s3://…`): the collector's states instead of any source; the
    /// viewer's own credentials per scope only say who it is and run its actions.
    Viewer {
        store: Box<super::team::Store>,
        /// The newest state when the viewer started, and its pointer's ETag.
        first: Box<Collected>,
        etag: Option<String>,
        /// The collector's accounts × regions, with the viewer's credentials there.
        scopes: Vec<AwsScope>,
        /// For actions that retrain through MLflow or Airflow.
        pipelines: Box<PipelineSetup>,
        /// How the viewer's own SageMaker look after an action names and joins models:
        /// the same settings as the collector's (the team's config).
        shared: Box<Shared>,
    },
}

/// One account in one region: the SDK config its sources and actions use (the
/// account's profile or assumed role), what it counts its requests in, and how
/// config names it.
pub struct AwsScope {
    pub sdk: aws_config::SdkConfig,
    pub calls: ApiCalls,
    pub spec: ScopeSpec,
}

impl AwsScope {
    fn region(&self) -> String {
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

/// The AWS sources of one session, built from the same settings for the dashboard
/// and for `snapshot`.
struct AwsSources {
    sagemaker: SageMakerSource,
    cloudwatch: CloudWatchSource,
    s3: S3Source,
    cost: CostSource,
    xray: XraySource,
    targets: TargetsSender,
    /// ECS services, Lambda ETL and Step Functions (only asked when config names
    /// them or tags may).
    services: Services,
    /// CloudTrail and alarm history.
    changes: ChangesSource,
    /// S3 replication of the models' buckets and Route 53 failover records.
    failover: FailoverSource,
}

struct Services {
    ecs: EcsSource,
    lambda: LambdaSource,
    stepfunctions: StepFunctionsSource,
}

impl AwsSources {
    /// One scope's sources; `global`: this scope asks its account's global services
    /// (Route 53; Cost Explorer is gated where it runs).
    fn new(
        (sdk, calls): (&aws_config::SdkConfig, &ApiCalls),
        shared: &Shared,
        refresh: &RefreshReceivers,
        global: bool,
    ) -> AwsSources {
        let (settings, identity) = (&shared.settings, &shared.identity);
        let (mappings, protected_tags) = (shared.mappings.clone(), shared.protected_tags.clone());
        let mut failover = FailoverSource::new(sdk, calls, &mappings);
        if !global {
            failover = failover.without_dns();
        }
        let (targets, targets_rx) = watch::channel(Vec::new());
        let (services, services_rx) = watch::channel(ServiceTargets::default());
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
        AwsSources {
            xray: XraySource::new(
                sdk,
                calls,
                XraySettings {
                    window_minutes: i64::try_from(settings.xray_window_minutes).unwrap_or(15),
                    max_traces: settings.xray_max_traces,
                    filter: settings.xray_filter.clone(),
                },
                &mappings,
            ),
            s3: S3Source::new(
                sdk,
                calls,
                &mappings,
                targets_rx.clone(),
                settings.s3_max_pages,
            )
            .in_flight(settings.max_in_flight)
            .drift(shared.drift.clone()),
            cloudwatch: CloudWatchSource::new(sdk, calls, targets_rx, mappings.clone(), custom)
                .watching_services(services_rx)
                .budgeted(
                    settings.daily_budget_usd,
                    every(settings, settings.cloudwatch_seconds),
                    (
                        refresh.attention.clone(),
                        Normaliser::new(&identity.affixes),
                    ),
                    refresh.all.clone(),
                ),
            services: Services {
                ecs: EcsSource::new(sdk, calls)
                    .joining(joining.clone())
                    .protecting(protected_tags.clone())
                    .publish_targets(services),
                lambda: LambdaSource::new(sdk, calls).joining(joining.clone()),
                stepfunctions: StepFunctionsSource::new(sdk, calls).joining(joining),
            },
            sagemaker: sagemaker_source((sdk, calls), shared),
            cost: CostSource::new(
                sdk,
                calls,
                settings.cost_model_tag.clone(),
                settings.cost_refresh_minutes,
                refresh.cost.clone(),
            ),
            targets,
            changes: ChangesSource::new(sdk, calls),
            failover,
        }
    }
}

/// One scope's SageMaker source, mapped and recognising models as config says.
fn sagemaker_source(
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

impl Backend {
    pub fn demo(seed: u64, models: usize, every: Duration, started: Timestamp) -> Backend {
        let source = DemoSource::new(Simulator::new(seed, started, models));
        Backend::Demo {
            source,
            seed,
            every,
        }
    }

    /// What to say once at start: credentials that would go over plain http.
    pub fn warnings(&self) -> &[String] {
        match self {
            Backend::Aws { pipelines, .. } | Backend::Viewer { pipelines, .. } => {
                &pipelines.warnings
            }
            Backend::Demo { .. } => &[],
        }
    }

    /// Where the data will come from, for the header and the snapshot, and how
    /// often each source asks.
    pub fn context(&self) -> Context {
        let (place, scopes, intervals) = match self {
            // A viewer's place, scopes and ages are the collector's.
            Backend::Viewer { store, first, .. } => {
                return Context::collected(store.location.url(), first);
            }
            Backend::Demo {
                source,
                seed,
                every,
            } => (
                Place::Demo { seed: *seed },
                source.simulator().scopes(),
                [(SourceId::Demo, *every)].into(),
            ),
            Backend::Aws {
                scopes,
                shared,
                pipelines,
            } => (
                Place::Aws {
                    region: scopes.first().map(AwsScope::region).unwrap_or_default(),
                },
                scopes
                    .iter()
                    .map(|s| Scope {
                        label: s.spec.label.clone(),
                        region: s.region(),
                        colour: s.spec.colour.clone(),
                        protected: s.spec.protected,
                        ..Scope::default()
                    })
                    .collect(),
                aws_intervals(shared, pipelines),
            ),
        };
        let mut context = Context::new(place);
        context.scopes = scopes;
        context.intervals = intervals;
        context
    }

    /// Starts every source as a task of its own, each on its own interval.
    pub fn spawn(self, updates: mpsc::Sender<Update>, refresh: RefreshReceivers) {
        let receivers = refresh;
        let refresh = receivers.all.clone();
        match self {
            Backend::Demo { source, every, .. } => {
                tokio::spawn(drive(source, every, updates, refresh));
            }
            Backend::Viewer {
                store,
                first,
                etag,
                scopes,
                shared,
                ..
            } => spawn_viewer(*store, (first, etag), (scopes, shared), updates, &receivers),
            Backend::Aws {
                scopes,
                mut shared,
                pipelines,
            } => {
                spawn_pipelines(
                    &pipelines,
                    every(&shared.settings, None),
                    &updates,
                    &refresh,
                );
                // The session's daily budget shared evenly: each scope's CloudWatch paces
                // itself to its share, so several accounts cost what one was allowed.
                shared.settings.daily_budget_usd /= scopes.len().max(1) as f64;
                let firsts = first_of_account(&scopes);
                for ((ix, scope), global) in scopes.into_iter().enumerate().zip(firsts) {
                    let updates = super::scoped::forward(ix, &scope.spec, updates.clone());
                    spawn_scope(scope, &shared, updates, &receivers, global);
                }
            }
        }
    }

    /// Every source's answer, once, with the AWS requests it took, all gathered at
    /// once (CloudWatch and S3 wait only for the endpoints SageMaker finds).
    pub async fn gather_once(self) -> (Vec<Update>, BTreeMap<String, u64>) {
        match self {
            Backend::Demo { mut source, .. } => (vec![source.fetch().await], BTreeMap::new()),
            // What the collector last wrote: the viewer asks AWS nothing else.
            Backend::Viewer { first, scopes, .. } => {
                let calls = scopes.first().map(|s| s.calls.counts()).unwrap_or_default();
                (vec![Update::Collected(Ok(first))], calls)
            }
            Backend::Aws {
                scopes,
                shared,
                pipelines,
            } => {
                let outside = async {
                    let mlflow = async {
                        match pipelines.mlflow_source() {
                            Some(mut m) => Some(m.fetch().await),
                            None => None,
                        }
                    };
                    let airflow = async {
                        match pipelines.airflow_source() {
                            Some(mut a) => Some(a.fetch().await),
                            None => None,
                        }
                    };
                    let (m, a) = tokio::join!(mlflow, airflow);
                    m.into_iter().chain(a).collect::<Vec<_>>()
                };
                let each = futures_util::future::join_all(
                    scopes
                        .iter()
                        .zip(first_of_account(&scopes))
                        .map(|(scope, global)| gather_scope(scope, &shared, global)),
                );
                let (answers, outside) = tokio::join!(each, outside);
                let mut total: BTreeMap<String, u64> = BTreeMap::new();
                let mut updates: Vec<Update> = Vec::new();
                for (ix, (answers, counts)) in answers.into_iter().enumerate() {
                    let spec = scopes.get(ix).map(|s| s.spec.clone()).unwrap_or_default();
                    for (op, n) in &counts {
                        *total.entry(op.clone()).or_default() += n;
                    }
                    let answers = answers.into_iter().chain([Update::ApiCalls(counts)]);
                    updates.extend(answers.map(|u| super::scoped::stamp(ix, &spec, u)));
                }
                updates.extend(outside);
                (updates, total)
            }
        }
    }
}

/// How often each AWS source asks (MLflow and Airflow where configured).
fn aws_intervals(shared: &Shared, pipelines: &PipelineSetup) -> BTreeMap<SourceId, Duration> {
    let settings = &shared.settings;
    let clients = &pipelines.clients;
    let outside = [
        (SourceId::Mlflow, clients.mlflow.is_some()),
        (SourceId::Airflow, clients.airflow.is_some()),
    ];
    [
        (
            SourceId::SageMaker,
            every(settings, settings.sagemaker_seconds),
        ),
        (
            SourceId::CloudWatch,
            every(settings, settings.cloudwatch_seconds),
        ),
        (SourceId::S3, s3_every(settings)),
        (SourceId::XRay, XRAY_EVERY),
        (SourceId::Ecs, every(settings, None)),
        (SourceId::Lambda, every(settings, None)),
        (SourceId::StepFunctions, every(settings, None)),
        (SourceId::Changes, LOOKUP_EVERY),
        (SourceId::Failover, FAILOVER_EVERY),
    ]
    .into_iter()
    .chain(
        outside
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(id, _)| (id, every(settings, None))),
    )
    .collect()
}

/// The viewer's tasks: the collector's states, and in each scope who the viewer is
/// (for the audit log) and what its own requests number.
fn spawn_viewer(
    store: super::team::Store,
    (first, etag): (Box<Collected>, Option<String>),
    (scopes, shared): (Vec<AwsScope>, Box<Shared>),
    updates: mpsc::Sender<Update>,
    receivers: &RefreshReceivers,
) {
    let (first_state, refresh) = (updates.clone(), receivers.all.clone());
    tokio::spawn(async move {
        if first_state.send(Update::Collected(Ok(first))).await.is_ok() {
            super::team::follow(store, etag, first_state, refresh).await;
        }
    });
    let mut looks = BTreeMap::new();
    for scope in scopes {
        // Named by label and region: the collector's next state may number it otherwise.
        let key = crate::model::scope::ScopeKey {
            label: scope.spec.label.clone(),
            region: scope.region(),
        };
        let updates = super::scoped::forward_keyed(key.clone(), &scope.spec, updates.clone());
        let (sdk, calls, who) = (scope.sdk.clone(), scope.calls.clone(), updates.clone());
        tokio::spawn(async move { identify_until_known(&sdk, &calls, &who).await });
        tokio::spawn(report_calls(scope.calls.clone(), updates.clone()));
        looks.insert(
            key,
            (
                sagemaker_source((&scope.sdk, &scope.calls), &shared),
                updates,
            ),
        );
    }
    tokio::spawn(look_after_actions(looks, receivers.acted.clone()));
}

/// After an action, the viewer asks its scope's SageMaker itself (the collector's
/// next state may be a minute away): its facts stand until a state newer than them
/// arrives. Nothing else a viewer asks of SageMaker. Each scope's source lives from
/// one action to the next, so what it described once it does not describe again.
async fn look_after_actions(
    mut scopes: BTreeMap<crate::model::scope::ScopeKey, (SageMakerSource, mpsc::Sender<Update>)>,
    mut acted: watch::Receiver<(u64, crate::model::scope::ScopeKey)>,
) {
    while acted.changed().await.is_ok() {
        let (_, key) = acted.borrow_and_update().clone();
        let Some((sagemaker, updates)) = scopes.get_mut(&key) else {
            continue;
        };
        if updates.send(sagemaker.fetch().await).await.is_err() {
            return;
        }
    }
}

/// Whether each scope is its account's first: Route 53 and Cost Explorer are global,
/// asked once per account.
fn first_of_account(scopes: &[AwsScope]) -> Vec<bool> {
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

/// Starts every source of one account and region as a task of its own (`global`:
/// this scope asks the account's global services, Route 53 and Cost Explorer).
fn spawn_scope(
    scope: AwsScope,
    shared: &Shared,
    updates: mpsc::Sender<Update>,
    receivers: &RefreshReceivers,
    global: bool,
) {
    let AwsScope { sdk, calls, .. } = scope;
    let settings = &shared.settings;
    let RefreshReceivers {
        all: refresh,
        cost: cost_force,
        attention,
        ..
    } = receivers.clone();
    let s = AwsSources::new((&sdk, &calls), shared, receivers, global);
    // Every update passes the recorder, which keeps the newest facts
    // for the next session once the account is known.
    let (dir_tx, dir_rx) = watch::channel(None);
    let (to_recorder, from_sources) = mpsc::channel(64);
    tokio::spawn(memory::record(from_sources, updates, dir_rx.clone()));
    let updates = to_recorder;
    let region = sdk.region().map(|r| r.to_string()).unwrap_or_default();
    // Who we are first: the cost cache and the memory are per account.
    let identity = updates.clone();
    let (identity_sdk, identity_calls, cost) = (sdk.clone(), calls.clone(), s.cost);
    // Without a cache dir the sender goes at once: nothing waits for it.
    let remembering = shared.memory.clone().map(|cache| (cache, dir_tx));
    tokio::spawn(async move {
        let Some(account) = identify_until_known(&identity_sdk, &identity_calls, &identity).await
        else {
            return;
        };
        if let Some((cache, dir_tx)) = &remembering {
            dir_tx.send_replace(Some(MemoryDir::new(cache, &account, &region)));
        }
        if !global {
            return;
        }
        drive(
            cost.for_account(account),
            COST_CHECK_EVERY,
            identity,
            cost_force,
        )
        .await;
    });
    // CloudWatch and S3 ask as soon as SageMaker finds endpoints, not at
    // their next interval.
    let follows = follow_targets(refresh.clone(), s.targets.subscribe(), None);
    // CloudWatch also asks at once about a model opened or in trouble.
    let looks = follow_targets(refresh.clone(), s.targets.subscribe(), Some(attention));
    // ... and once ECS names the services behind its load balancers.
    let looks = follow_targets(looks, s.cloudwatch.services_changes(), None);
    let failover = s.failover.watching(s.targets.subscribe());
    let sagemaker = s
        .sagemaker
        .publish_targets(s.targets)
        .progressive(updates.clone());
    let (sm_every, cw_every) = (
        every(settings, settings.sagemaker_seconds),
        every(settings, settings.cloudwatch_seconds),
    );
    let (sm_updates, sm_refresh) = (updates.clone(), refresh.clone());
    let s3_dir = dir_rx.clone();
    tokio::spawn(async move {
        let sagemaker = match memory::dir_within(dir_rx, ACCOUNT_WAIT).await {
            Some(dir) => sagemaker.remembering(dir.descriptions()),
            None => sagemaker,
        };
        drive(sagemaker, sm_every, sm_updates, sm_refresh).await;
    });
    tokio::spawn(drive(s.cloudwatch, cw_every, updates.clone(), looks));
    let s3_every = s3_every(settings);
    let (s3, s3_updates) = (s.s3, updates.clone());
    tokio::spawn(async move {
        let s3 = match memory::dir_within(s3_dir, ACCOUNT_WAIT).await {
            Some(dir) => s3.remembering(dir.captures()),
            None => s3,
        };
        drive(s3, s3_every, s3_updates, follows).await;
    });
    // X-Ray bills per trace scanned: every five minutes is enough on call.
    tokio::spawn(drive(s.xray, XRAY_EVERY, updates.clone(), refresh.clone()));
    let services_every = every(settings, None);
    let Services {
        ecs,
        lambda,
        stepfunctions,
    } = s.services;
    tokio::spawn(drive(ecs, services_every, updates.clone(), refresh.clone()));
    tokio::spawn(drive(
        lambda,
        services_every,
        updates.clone(),
        refresh.clone(),
    ));
    tokio::spawn(drive(
        stepfunctions,
        services_every,
        updates.clone(),
        refresh.clone(),
    ));
    tokio::spawn(drive(
        failover,
        FAILOVER_EVERY,
        updates.clone(),
        refresh.clone(),
    ));
    tokio::spawn(drive(s.changes, LOOKUP_EVERY, updates.clone(), refresh));
    tokio::spawn(report_calls(calls, updates));
}

/// Every source of one account and region once (CloudWatch and S3 wait only for
/// the endpoints SageMaker finds), with the requests it took.
async fn gather_scope(
    scope: &AwsScope,
    shared: &Shared,
    global: bool,
) -> (Vec<Update>, BTreeMap<String, u64>) {
    let (sdk, calls) = (&scope.sdk, &scope.calls);
    // Nobody refreshes a snapshot or looks at it closely.
    let (_, never) = super::refresh_channels();
    let s = AwsSources::new((sdk, calls), shared, &never, global);
    let mut found = s.targets.subscribe();
    let mut failover = s.failover.watching(s.targets.subscribe());
    let mut sagemaker = s.sagemaker.publish_targets(s.targets);
    let (mut cloudwatch, mut s3, mut xray) = (s.cloudwatch.every_metric(), s.s3, s.xray);
    let Services {
        mut ecs,
        mut lambda,
        mut stepfunctions,
    } = s.services;
    // Everything at once; CloudWatch once ECS has named its services.
    let endpoints_then_metrics = async {
        let served = ecs.fetch().await;
        let (fleet, metrics, data) =
            sagemaker_then_followers(&mut sagemaker, &mut found, &mut cloudwatch, &mut s3).await;
        // Replication once SageMaker has named the buckets its models use.
        let replicated = failover.fetch().await;
        (fleet, metrics, data, served, replicated)
    };
    let mut changes = s.changes;
    let fed_and_trained =
        async { tokio::join!(lambda.fetch(), stepfunctions.fetch(), changes.fetch()) };
    let who_and_spend = async {
        let who = identify(sdk, calls).await;
        let mut cost = match &who {
            Update::Identity(Ok(who)) => s.cost.for_account(who.account.clone()),
            _ => s.cost,
        };
        let spend = match global {
            true => Some(cost.fetch().await),
            false => None,
        };
        (who, spend)
    };
    let ((fleet, metrics, data, served, replicated), (who, spend), traces, (fed, trained, changed)) = tokio::join!(
        endpoints_then_metrics,
        who_and_spend,
        xray.fetch(),
        fed_and_trained
    );
    // In the order snapshot's errors[] lists failures in.
    let mut updates = vec![who, fleet, metrics, data];
    updates.extend(spend);
    updates.extend([traces, served, fed, trained, changed, replicated]);
    (updates, calls.counts())
}

/// MLflow and Airflow, each on its own task at the common interval.
fn spawn_pipelines(
    pipelines: &PipelineSetup,
    every: Duration,
    updates: &mpsc::Sender<Update>,
    refresh: &watch::Receiver<u64>,
) {
    if let Some(mlflow) = pipelines.mlflow_source() {
        tokio::spawn(drive(mlflow, every, updates.clone(), refresh.clone()));
    }
    if let Some(airflow) = pipelines.airflow_source() {
        tokio::spawn(drive(airflow, every, updates.clone(), refresh.clone()));
    }
}

/// SageMaker's refresh, with CloudWatch started as soon as it knows the rows
/// (`found` changes) while it still asks about their registries and jobs, and S3
/// once it is done; all three at once when the rows were already known.
pub async fn sagemaker_then_followers(
    sagemaker: &mut impl Source,
    found: &mut TargetsReceiver,
    cloudwatch: &mut impl Source,
    s3: &mut impl Source,
) -> (Update, Update, Update) {
    if !found.borrow_and_update().is_empty() {
        return tokio::join!(sagemaker.fetch(), cloudwatch.fetch(), s3.fetch());
    }
    let fleet = sagemaker.fetch();
    tokio::pin!(fleet);
    let done = tokio::select! {
        f = &mut fleet => Some(f),
        _ = found.changed() => None,
    };
    match done {
        Some(fleet) => {
            let (metrics, data) = tokio::join!(cloudwatch.fetch(), s3.fetch());
            (fleet, metrics, data)
        }
        // S3 waits for the whole refresh: a drift baseline can be the training
        // channel of the serving job, known only once the jobs are described.
        None => {
            let (fleet, metrics) = tokio::join!(fleet, cloudwatch.fetch());
            (fleet, metrics, s3.fetch().await)
        }
    }
}

/// A source's own interval, else the common one.
fn every(settings: &AwsConfig, own: Option<u64>) -> Duration {
    Duration::from_secs(own.unwrap_or(settings.refresh_seconds))
}

/// S3 bills each LIST and raw data lands in hours: every 10 minutes unless set.
fn s3_every(settings: &AwsConfig) -> Duration {
    let unset = Duration::from_secs(settings.refresh_seconds.max(600));
    settings.s3_seconds.map_or(unset, Duration::from_secs)
}

/// Tells the app the request counts whenever they change (checked every 2 s).
async fn report_calls(calls: ApiCalls, updates: mpsc::Sender<Update>) {
    let mut sent = BTreeMap::new();
    loop {
        let now = calls.counts();
        if now != sent {
            if updates.send(Update::ApiCalls(now.clone())).await.is_err() {
                return;
            }
            sent = now;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Asks STS who we are until it answers (the header and the audit log need it),
/// reporting each failure, 5 s apart doubling to 5 minutes. None when the app is gone.
async fn identify_until_known(
    sdk: &aws_config::SdkConfig,
    calls: &ApiCalls,
    updates: &mpsc::Sender<Update>,
) -> Option<String> {
    let mut wait = Duration::from_secs(5);
    loop {
        let who = identify(sdk, calls).await;
        let account = match &who {
            Update::Identity(Ok(who)) => Some(who.account.clone()),
            _ => None,
        };
        updates.send(who).await.ok()?;
        if account.is_some() {
            return account;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(300));
    }
}

async fn identify(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> Update {
    Update::Identity(
        aws::identify(sdk, calls)
            .await
            .map(|(account, arn)| super::Caller { account, arn }),
    )
}

/// A refresh signal that fires on `refresh`, whenever the `targets` a source found
/// change, and (given `attention`) when what the screen watches closely changes.
fn follow_targets<T: Send + Sync + 'static>(
    mut refresh: watch::Receiver<u64>,
    mut targets: watch::Receiver<T>,
    mut attention: Option<watch::Receiver<Attention>>,
) -> watch::Receiver<u64> {
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        loop {
            let looked = async {
                match attention.as_mut() {
                    Some(a) => a.changed().await,
                    None => std::future::pending().await,
                }
            };
            let changed = tokio::select! {
                r = refresh.changed() => r,
                t = targets.changed() => t,
                a = looked => a,
            };
            if changed.is_err() || tx.is_closed() {
                return;
            }
            tx.send_modify(|n| *n += 1);
        }
    });
    rx
}
