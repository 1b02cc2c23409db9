//! What every scope runs beside its sources: who it is (STS, until it answers),
//! what its requests number, and the signals that wake a source early.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::plan::Wake;
use crate::source::aws::targets::{ServiceTargetsReceiver, TargetsReceiver};
use crate::source::aws::{self, ApiCalls};
use crate::source::{Attention, Caller, RefreshReceivers, Update};

/// Tells the app the request counts whenever they change (checked every 2 s).
pub async fn report_calls(calls: ApiCalls, updates: mpsc::Sender<Update>) {
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
pub async fn identify_until_known(
    sdk: &aws_config::SdkConfig,
    calls: &ApiCalls,
    updates: &mpsc::Sender<Update>,
) -> Option<String> {
    let mut wait = Duration::from_secs(5);
    loop {
        let who = identify(sdk, calls).await;
        let account = account_of(&who);
        updates.send(who).await.ok()?;
        if account.is_some() {
            return account;
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(300));
    }
}

pub async fn identify(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> Update {
    Update::Identity(
        aws::identify(sdk, calls)
            .await
            .map(|(account, arn)| Caller { account, arn }),
    )
}

/// The account an identity update names.
pub fn account_of(who: &Update) -> Option<String> {
    match who {
        Update::Identity(Ok(who)) => Some(who.account.clone()),
        _ => None,
    }
}

/// The signal that asks a source again before its interval.
pub fn wake(
    how: Wake,
    refresh: &RefreshReceivers,
    endpoints: &TargetsReceiver,
    services: &ServiceTargetsReceiver,
) -> watch::Receiver<u64> {
    match how {
        Wake::Refresh => refresh.all.clone(),
        Wake::Confirmed => refresh.cost.clone(),
        Wake::Traced => follow(refresh.all.clone(), traced(endpoints.clone()), None),
        Wake::Watched => {
            let looks = follow(
                refresh.all.clone(),
                endpoints.clone(),
                Some(refresh.attention.clone()),
            );
            follow(looks, services.clone(), None)
        }
    }
}

/// The endpoints as they change, but only once SageMaker has traced what each
/// serves: the names it sends before lineage answers would wake a source twice.
fn traced(mut endpoints: TargetsReceiver) -> TargetsReceiver {
    let (tx, rx) = watch::channel(Vec::new());
    tokio::spawn(async move {
        while endpoints.changed().await.is_ok() && !tx.is_closed() {
            let now = endpoints.borrow_and_update().clone();
            if now.iter().all(|t| t.traced) {
                tx.send_if_modified(|old| {
                    let changed = *old != now;
                    *old = now;
                    changed
                });
            }
        }
    });
    rx
}

/// A refresh signal that fires on `refresh`, whenever `targets` change, and (given
/// `attention`) when what the screen watches closely changes.
fn follow<T: Send + Sync + 'static>(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::aws::targets::EndpointTarget;

    fn target(traced: bool) -> EndpointTarget {
        EndpointTarget {
            traced,
            ..EndpointTarget::named("churn", "churn-prod")
        }
    }

    #[tokio::test]
    async fn a_traced_wake_waits_for_lineage() {
        let (tx, rx) = watch::channel(Vec::new());
        let mut woken = traced(rx);
        tx.send_replace(vec![target(false)]);
        let early = tokio::time::timeout(Duration::from_millis(200), woken.changed()).await;
        assert!(early.is_err(), "names before lineage do not wake it");
        tx.send_replace(vec![target(true)]);
        woken.changed().await.unwrap();
        assert!(woken.borrow_and_update().iter().all(|t| t.traced));
        tx.send_replace(vec![target(true)]);
        let again = tokio::time::timeout(Duration::from_millis(200), woken.changed()).await;
        assert!(again.is_err(), "the same endpoints again wake nothing");
    }
}
