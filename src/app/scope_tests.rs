//! Several accounts and regions in one app: each scope's failure greys only its own
//! rows and is said once with where; a model in two regions is one row; the same
//! name in two accounts is two.

use jiff::Timestamp;

use super::state::{App, Context, Place};
use crate::config::KeyMap;
use crate::model::facts::{EndpointFacts, ModelFacts};
use crate::model::scope::Scope;
use crate::model::update::{Caller, SourceId, Update};
use crate::model::{Fleet, Rules, Stage};

fn scopes() -> Vec<Scope> {
    [
        ("prod", "us-east-1"),
        ("prod", "us-west-2"),
        ("dev", "us-east-1"),
    ]
    .iter()
    .map(|(label, region)| Scope {
        label: Some(label.to_string()),
        region: region.to_string(),
        ..Scope::default()
    })
    .collect()
}

fn at() -> Timestamp {
    "2026-12-02T12:00:00Z".parse().unwrap()
}

fn served(name: &str) -> ModelFacts {
    let mut m = ModelFacts::named(name);
    m.endpoint = Some(EndpointFacts {
        name: format!("{name}-prod"),
        status: "InService".into(),
        ..EndpointFacts::default()
    });
    m
}

fn scoped(scope: u8, update: Update) -> Update {
    Update::Scoped {
        scope,
        update: Box::new(update),
    }
}

fn sagemaker(models: Vec<ModelFacts>) -> Update {
    Update::Fleet {
        source: SourceId::SageMaker,
        fleet: Fleet {
            models,
            ..Fleet::default()
        },
        at: at(),
    }
}

fn app() -> App {
    let mut context = Context::new(Place::Aws {
        region: "us-east-1".into(),
    });
    context.scopes = scopes();
    let mut app = App::new(context, Rules::default(), KeyMap::default(), at());
    for scope in 0..3 {
        app.apply(scoped(scope, sagemaker(vec![served("churn")])));
    }
    app
}

#[test]
fn a_pair_is_one_row_and_another_accounts_namesake_is_its_own() {
    let app = app();
    let rows: Vec<(&str, u8)> = app
        .rows()
        .iter()
        .map(|r| (r.name.as_str(), r.scope))
        .collect();
    assert_eq!(rows, [("churn", 0), ("churn@dev", 2)]);
    let fleet = app.fleet().data().unwrap();
    let churn = fleet.model("churn").unwrap();
    assert_eq!(churn.scope.replica.as_ref().unwrap().scope.index, 1);
    assert!(churn.scope.failover.is_some());
}

#[test]
fn one_accounts_failure_greys_only_its_rows_and_says_where() {
    let mut app = app();
    app.apply(scoped(
        2,
        Update::Failed {
            source: SourceId::SageMaker,
            why: "could not assume the account's role (AccessDenied)".into(),
            at: at(),
        },
    ));
    app.apply(scoped(2, Update::Identity(Err("sts: AccessDenied".into()))));
    app.apply(scoped(
        0,
        Update::Identity(Ok(Caller {
            account: "111111111111".into(),
            arn: "arn:aws:sts::111111111111:assumed-role/read/me".into(),
        })),
    ));
    assert!(app.stage_is_stale_in(2, Stage::Endpoint));
    assert!(!app.stage_is_stale_in(0, Stage::Endpoint));
    assert!(!app.stage_is_stale_in(1, Stage::Endpoint));
    let lines = app.problem_lines().join("\n");
    assert!(
        lines.contains("sagemaker in dev us-east-1: could not assume the account's role"),
        "{lines}"
    );
    assert!(
        lines.contains("dev us-east-1: sts: AccessDenied"),
        "{lines}"
    );
    // Who acts on a model is its own account's caller.
    let actor = app.actor("churn");
    assert_eq!(
        (
            actor.account.as_str(),
            actor.region.as_str(),
            actor.label.as_deref()
        ),
        ("111111111111", "us-east-1", Some("prod"))
    );
    assert_eq!(
        app.actor("churn@dev").account,
        "unknown (STS has not answered)"
    );
}

#[test]
fn the_filter_finds_rows_by_account_and_region() {
    let mut app = app();
    app.filter = "us-west".into();
    app.refresh_rows();
    let names: Vec<&str> = app.rows().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["churn"], "the pair's secondary region matches");
    app.filter = "dev".into();
    app.refresh_rows();
    let names: Vec<&str> = app.rows().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["churn@dev"]);
}
