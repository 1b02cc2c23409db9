//! The updates of one account and region's sources, wrapped with where they came
//! from before they reach the app (which marks their models and alarms), and an
//! account config calls protected protects every endpoint in it.

use tokio::sync::mpsc;

use crate::config::ScopeSpec;
use crate::model::scope::ScopeIx;
use crate::model::update::Update;
use crate::model::Fleet;

/// Why a protected account's endpoints need their name typed.
fn protected_because(spec: &ScopeSpec) -> Option<String> {
    let label = spec.label.as_deref()?;
    spec.protected
        .then(|| format!("account {label} is protected in config"))
}

fn protect(fleet: &mut Fleet, why: &str) {
    for e in fleet.models.iter_mut().filter_map(|m| m.endpoint.as_mut()) {
        e.protected.get_or_insert_with(|| why.to_string());
    }
}

/// `update` as the `ix`-th scope's.
pub fn stamp(ix: usize, spec: &ScopeSpec, mut update: Update) -> Update {
    let ix = ScopeIx::try_from(ix).unwrap_or(ScopeIx::MAX);
    if let (
        Some(why),
        Update::Fleet { fleet, .. }
        | Update::Partial { fleet, .. }
        | Update::Remembered { fleet, .. },
    ) = (protected_because(spec), &mut update)
    {
        protect(fleet, &why);
    }
    Update::Scoped {
        scope: ix,
        update: Box::new(update),
    }
}

/// A sender for a viewer's own look at one scope: what it sends reaches `to` named
/// by the scope's label and region, never by a number.
pub fn forward_keyed(
    key: crate::model::scope::ScopeKey,
    spec: &ScopeSpec,
    to: mpsc::Sender<Update>,
) -> mpsc::Sender<Update> {
    let (tx, mut rx) = mpsc::channel(64);
    let spec = spec.clone();
    tokio::spawn(async move {
        while let Some(update) = rx.recv().await {
            let Update::Scoped { update, .. } = stamp(0, &spec, update) else {
                continue;
            };
            let keyed = Update::Keyed {
                scope: key.clone(),
                update,
            };
            if to.send(keyed).await.is_err() {
                return;
            }
        }
    });
    tx
}

/// A sender for one scope's sources: what they send reaches `to` stamped.
pub fn forward(ix: usize, spec: &ScopeSpec, to: mpsc::Sender<Update>) -> mpsc::Sender<Update> {
    let (tx, mut rx) = mpsc::channel(64);
    let spec = spec.clone();
    tokio::spawn(async move {
        while let Some(update) = rx.recv().await {
            if to.send(stamp(ix, &spec, update)).await.is_err() {
                return;
            }
        }
    });
    tx
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::EndpointFacts;
    use crate::model::update::SourceId;
    use crate::model::ModelFacts;

    #[test]
    fn a_protected_accounts_endpoints_are_marked_and_the_update_wrapped() {
        let mut m = ModelFacts::named("churn");
        m.endpoint = Some(EndpointFacts::default());
        let update = Update::Fleet {
            source: SourceId::SageMaker,
            fleet: Fleet {
                models: vec![m],
                ..Fleet::default()
            },
            at: jiff::Timestamp::UNIX_EPOCH,
        };
        let spec = ScopeSpec {
            label: Some("prod".into()),
            protected: true,
            ..ScopeSpec::default()
        };
        let Update::Scoped { scope, update } = stamp(2, &spec, update) else {
            panic!("not scoped");
        };
        let Update::Fleet { fleet, .. } = *update else {
            panic!("not a fleet");
        };
        assert_eq!(scope, 2);
        let e = fleet.models[0].endpoint.as_ref().unwrap();
        assert_eq!(
            e.protected.as_deref(),
            Some("account prod is protected in config")
        );
    }
}
