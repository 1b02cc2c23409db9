//! A scope's feeds driven: as the dashboard's tasks, each on its own interval, or
//! asked once each in the order `plan` says they wait for one another.

use futures_util::future::join_all;
use tokio::sync::{mpsc, watch};

use super::plan::{After, Plan};
use super::scope::{feeds, AwsScope, Feeds, Mode, Shared};
use super::tasks::{account_of, identify, identify_until_known, report_calls, wake};
use crate::source::aws::targets::{EndpointTarget, TargetsReceiver};
use crate::source::memory::{self, MemoryDir};
use crate::source::{drive, AnySource, Boxed, RefreshReceivers, SourceId, Update};

/// How long a remembering source's first refresh waits for the account, whose
/// descriptions a past session may have left: longer only costs the first rows' time.
const ACCOUNT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Starts every source of one account and region as a task of its own.
pub fn spawn_scope(
    scope: AwsScope,
    shared: &Shared,
    updates: mpsc::Sender<Update>,
    receivers: &RefreshReceivers,
    global: bool,
) {
    let region = scope.region();
    let AwsScope { sdk, calls, .. } = scope;
    // Every update passes the recorder, which keeps the newest facts for the next
    // session once the account is known.
    let (dir_tx, dir_rx) = watch::channel(None);
    let (to_recorder, from_sources) = mpsc::channel(64);
    tokio::spawn(memory::record(from_sources, updates, dir_rx.clone()));
    let updates = to_recorder;
    let mode = Mode::Dashboard {
        updates: updates.clone(),
    };
    let Feeds {
        feeds,
        endpoints,
        services,
    } = feeds((&sdk, &calls), shared, receivers, global, &mode);
    // Who we are first: the memory, and the sources that need the account, wait.
    let (account_tx, account_rx) = watch::channel(None::<String>);
    let cache = shared.memory.clone();
    let (who_sdk, who_calls, who) = (sdk.clone(), calls.clone(), updates.clone());
    tokio::spawn(async move {
        let Some(account) = identify_until_known(&who_sdk, &who_calls, &who).await else {
            return;
        };
        if let Some(cache) = &cache {
            dir_tx.send_replace(Some(MemoryDir::new(cache, &account, &region)));
        }
        account_tx.send_replace(Some(account));
    });
    for (plan, mut source) in feeds {
        let signal = wake(plan.wake, receivers, &endpoints, &services);
        let (updates, mut account, dir) = (updates.clone(), account_rx.clone(), dir_rx.clone());
        tokio::spawn(async move {
            if plan.needs_account {
                let Ok(known) = account.wait_for(Option::is_some).await else {
                    return;
                };
                let named = known.clone().unwrap_or_default();
                drop(known);
                source.learn_account(&named);
            }
            if plan.remembers {
                if let Some(dir) = memory::dir_within(dir, ACCOUNT_WAIT).await {
                    source.recall_from(&dir);
                }
            }
            drive(Boxed(source), plan.every, updates, signal).await;
        });
    }
    tokio::spawn(report_calls(calls, updates));
}

/// Every source of one account and region once, with the requests it took: the
/// identity first in the answers, then each source in `plan`'s order.
pub async fn gather_scope(
    scope: &AwsScope,
    shared: &Shared,
    global: bool,
) -> (Vec<Update>, std::collections::BTreeMap<String, u64>) {
    let (sdk, calls) = (&scope.sdk, &scope.calls);
    // Nobody refreshes a snapshot or looks at it closely.
    let (_, never) = crate::source::refresh_channels();
    let Feeds {
        mut feeds,
        mut endpoints,
        ..
    } = feeds((sdk, calls), shared, &never, global, &Mode::Once);
    let (account_tx, account_rx) = watch::channel(None::<Option<String>>);
    let who = async {
        let who = identify(sdk, calls).await;
        account_tx.send_replace(Some(account_of(&who)));
        who
    };
    let (who, mut answers) = tokio::join!(who, ask_once(&mut feeds, &mut endpoints, account_rx));
    answers.insert(0, who);
    (answers, calls.counts())
}

/// Asks each feed once, concurrently, each after what its plan waits for: the
/// endpoints SageMaker names (or its whole refresh) and ECS's services. `account`
/// carries STS's answer (None inside: unknown) for the feeds that need it.
pub async fn ask_once(
    feeds: &mut [(Plan, Box<dyn AnySource>)],
    endpoints: &mut TargetsReceiver,
    account: watch::Receiver<Option<Option<String>>>,
) -> Vec<Update> {
    // Rows a past refresh knew: nobody waits for them to be found again.
    let known = !endpoints.borrow_and_update().is_empty();
    let (sagemaker_done, sagemaker_rx) = watch::channel(false);
    let (ecs_done, ecs_rx) = watch::channel(!feeds.iter().any(|(p, _)| p.id == SourceId::Ecs));
    let asks = feeds.iter_mut().map(|(plan, source)| {
        let (mut sm, mut ecs, mut found, mut account) = (
            sagemaker_rx.clone(),
            ecs_rx.clone(),
            endpoints.clone(),
            account.clone(),
        );
        let (sagemaker_done, ecs_done) = (&sagemaker_done, &ecs_done);
        async move {
            match plan.after {
                After::Nothing => {}
                _ if known => {}
                After::Endpoints => {
                    tokio::select! {
                        _ = found.changed() => {}
                        _ = sm.wait_for(|done| *done) => {}
                    }
                    let _ = ecs.wait_for(|done| *done).await;
                }
                After::SageMaker => {
                    let _ = sm.wait_for(|done| *done).await;
                }
                After::Traced => {
                    let traced =
                        |t: &Vec<EndpointTarget>| !t.is_empty() && t.iter().all(|t| t.traced);
                    tokio::select! {
                        _ = found.wait_for(traced) => {}
                        _ = sm.wait_for(|done| *done) => {}
                    }
                }
            }
            if plan.needs_account {
                let named = match account.wait_for(Option::is_some).await {
                    Ok(said) => said.clone().flatten(),
                    Err(_) => None,
                };
                if let Some(named) = named {
                    source.learn_account(&named);
                }
            }
            let update = source.fetch_boxed().await;
            match plan.id {
                SourceId::SageMaker => sagemaker_done.send_replace(true),
                SourceId::Ecs => ecs_done.send_replace(true),
                _ => false,
            };
            update
        }
    });
    join_all(asks).await
}
