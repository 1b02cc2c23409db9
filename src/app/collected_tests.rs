//! A viewer's app: the collector's states are its facts; its own identity acts; a
//! collector that stopped writing turns everything stale; a look of its own after
//! an action stands until the collector's state is newer.

use jiff::SignedDuration;

use super::state::App;
use crate::model::scope::Feed;
use crate::model::update::{Caller, SourceId, Update};
use crate::model::{Loadable, Stage};
use crate::testing::{split_fleet, viewer_app};

fn state_of(app: &App) -> Box<crate::model::collected::Collected> {
    Box::new(app.collected_state(std::time::Duration::from_secs(60)))
}

#[test]
fn the_collectors_state_is_the_fleet_and_the_viewer_acts_as_itself() {
    let mut viewer = viewer_app(20);
    assert!(viewer.from_collector());
    assert_eq!(viewer.rows().len(), 4);
    assert!(!viewer.fleet().is_stale(), "{:?}", viewer.problem_lines());
    assert_eq!(viewer.context().account.as_deref(), Some("123456789012"));
    // The collector's caller is not carried over: no action runs as it.
    assert_eq!(viewer.context().scopes[0].caller, None);
    viewer.apply(Update::Scoped {
        scope: 0,
        update: Box::new(Update::Identity(Ok(Caller {
            account: "123456789012".into(),
            arn: "arn:aws:sts::123456789012:assumed-role/oncall/alice".into(),
        }))),
    });
    let actor = viewer.actor("recommendation-engine");
    assert!(actor.caller.contains("oncall/alice"), "{actor:?}");
    // The first state's transitions are what is, not news; its events come along.
    assert!(viewer
        .events()
        .iter()
        .all(|e| e.at <= viewer.collected_at().unwrap()));
}

#[test]
fn a_collector_silent_past_three_writes_turns_every_fact_stale() {
    let fresh = viewer_app(170);
    assert!(!fresh.fleet().is_stale());
    let mut old = viewer_app(181);
    assert!(old.fleet().is_stale());
    let lines = old.problem_lines();
    assert!(
        lines[0].contains("the collector's last state is 3m old (it writes every 60s)"),
        "{lines:?}"
    );
    // Every stage its sources decide (the collector here had no S3 source for Data).
    let fed = [
        Stage::Training,
        Stage::Registry,
        Stage::Endpoint,
        Stage::Drift,
    ];
    assert!(fed.iter().all(|s| old.stage_is_stale(*s)));
    // Its rows are still there, marked.
    assert_eq!(old.rows().len(), 4);
    // A newer state brings them back.
    let mut newer = state_of(&old);
    newer.written_at = old.now();
    for f in &mut newer.feeds {
        f.why = None;
    }
    old.apply(Update::Collected(Ok(newer)));
    assert!(!old.fleet().is_stale(), "{:?}", old.problem_lines());
}

#[test]
fn an_unreadable_state_keeps_the_facts_marked_until_one_reads_again() {
    let mut viewer = viewer_app(20);
    let same = state_of(&viewer);
    viewer.apply(Update::Collected(
        Err("AccessDenied on s3:GetObject".into()),
    ));
    assert!(viewer.fleet().is_stale());
    assert_eq!(viewer.rows().len(), 4);
    let lines = viewer.problem_lines().join("\n");
    assert!(
        lines.contains("s3://team-ml/oncall/ unreadable: AccessDenied"),
        "{lines}"
    );
    // The same state again (the pointer did not move): shown fresh again.
    viewer.apply(Update::Collected(Ok(same)));
    assert!(!viewer.fleet().is_stale(), "{:?}", viewer.problem_lines());
}

#[test]
fn the_viewers_own_look_stands_until_the_collector_is_newer() {
    let mut viewer = viewer_app(20);
    let feed = Feed::new(SourceId::SageMaker, 0);
    let (mut sagemaker, _, _) = split_fleet(120);
    sagemaker.models.truncate(1);
    let looked = viewer.now();
    viewer.apply(Update::Scoped {
        scope: 0,
        update: Box::new(Update::Fleet {
            source: SourceId::SageMaker,
            fleet: sagemaker,
            at: looked,
        }),
    });
    let mine = |app: &App| match app.sources().get(&feed) {
        Some(Loadable::Ready { at, .. }) => *at == looked,
        _ => false,
    };
    assert!(mine(&viewer));
    // A state written before the look (but newer than the first) leaves it.
    let mut before = state_of(&viewer);
    before.written_at = looked - SignedDuration::from_secs(5);
    for f in &mut before.feeds {
        f.at = Some(looked - SignedDuration::from_secs(10));
    }
    viewer.apply(Update::Collected(Ok(before)));
    assert!(mine(&viewer));
    // One gathered after it replaces it.
    let mut after = state_of(&viewer);
    after.written_at = looked + SignedDuration::from_secs(30);
    for f in &mut after.feeds {
        f.at = Some(looked + SignedDuration::from_secs(25));
    }
    viewer.apply(Update::Collected(Ok(after)));
    assert!(!mine(&viewer));
}

#[test]
fn a_refresh_that_finds_no_newer_state_says_so() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut viewer = viewer_app(20);
    // Polls nobody asked for are silent.
    viewer.apply(Update::CollectedUnchanged);
    assert_eq!(viewer.status(), None);
    viewer.handle_key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::NONE));
    assert!(viewer.refreshing());
    viewer.apply(Update::CollectedUnchanged);
    assert!(!viewer.refreshing());
    assert_eq!(
        viewer.status(),
        Some("no newer state yet: the collector wrote 20s ago and writes every 60s")
    );
}

#[test]
fn a_newer_state_that_lists_the_accounts_in_another_order_moves_no_row() {
    use crate::model::scope::Scope;
    let scope = |label: &str| Scope {
        label: Some(label.into()),
        region: "us-east-1".into(),
        account: Some(format!("{label}-account")),
        ..Scope::default()
    };
    let mut viewer = viewer_app(20);
    let mut first = state_of(&viewer);
    first.scopes = vec![scope("prod"), scope("dev")];
    // Every model in prod (no disaster-recovery pair); prod's sources answered
    // after dev's: "newer" by their time alone.
    for f in &mut first.feeds {
        f.at = f.at.map(|t| t + SignedDuration::from_secs(5));
        if let Some(fleet) = f.fleet.as_mut() {
            fleet.models.retain(|m| m.scope.index == 0);
            for m in &mut fleet.models {
                m.scope.replica = None;
                m.scope.failover = None;
            }
        }
    }
    viewer.apply(Update::Collected(Ok(first.clone())));
    let where_of = |app: &App| {
        app.rows()
            .iter()
            .map(|r| (r.name.clone(), app.scope_key_of(&r.name).name()))
            .collect::<Vec<_>>()
    };
    let placed = where_of(&viewer);
    assert!(
        !placed.is_empty() && placed.iter().all(|(_, s)| s == "prod us-east-1"),
        "{placed:?}"
    );
    // The next state: dev first. Every fact of prod now sits under scope 1, none of
    // prod's earlier facts may stay under 0 (now dev).
    let mut next = first;
    next.written_at += SignedDuration::from_secs(60);
    next.scopes.swap(0, 1);
    for f in &mut next.feeds {
        f.scope = 1 - f.scope;
        f.at = f.at.map(|t| t - SignedDuration::from_secs(30));
        if let Some(fleet) = f.fleet.as_mut() {
            crate::model::scope::mark(fleet, f.scope);
        }
    }
    viewer.apply(Update::Collected(Ok(next)));
    assert_eq!(
        where_of(&viewer),
        placed,
        "the same rows in the same account"
    );
}
