//! A viewer's tasks: the collector's states instead of sources, and in each scope
//! who the viewer is (for the audit log), what its own requests number, and its own
//! look at SageMaker after an action.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, watch};

use super::scope::{sagemaker_source, AwsScope, Shared};
use super::tasks::{identify_until_known, report_calls};
use crate::model::collected::Collected;
use crate::model::scope::ScopeKey;
use crate::source::aws::SageMakerSource;
use crate::source::{team, RefreshReceivers, Source, Update};

pub fn spawn_viewer(
    store: team::Store,
    (first, etag): (Box<Collected>, Option<String>),
    (scopes, shared): (Vec<AwsScope>, Box<Shared>),
    updates: mpsc::Sender<Update>,
    receivers: &RefreshReceivers,
) {
    let (first_state, refresh) = (updates.clone(), receivers.all.clone());
    tokio::spawn(async move {
        if first_state.send(Update::Collected(Ok(first))).await.is_ok() {
            team::follow(store, etag, first_state, refresh).await;
        }
    });
    let mut looks = BTreeMap::new();
    for scope in scopes {
        // Named by label and region: the collector's next state may number it otherwise.
        let key = ScopeKey {
            label: scope.spec.label.clone(),
            region: scope.region(),
        };
        let updates =
            crate::source::scoped::forward_keyed(key.clone(), &scope.spec, updates.clone());
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
    mut scopes: BTreeMap<ScopeKey, (SageMakerSource, mpsc::Sender<Update>)>,
    mut acted: watch::Receiver<(u64, ScopeKey)>,
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
