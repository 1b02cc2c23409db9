use super::*;
use crate::model::facts::{EndpointFacts, Variant};
use crate::model::metrics::Series;

fn now() -> Timestamp {
    "2026-12-02T12:00:00Z".parse().unwrap()
}

fn scopes() -> Vec<Scope> {
    ["us-east-1", "us-west-2"]
        .iter()
        .map(|r| Scope {
            region: r.to_string(),
            ..Scope::default()
        })
        .collect()
}

fn served(name: &str, scope: u8, version: u32, status: &str) -> ModelFacts {
    let mut m = ModelFacts::named(name);
    m.scope.index = scope;
    m.endpoint = Some(EndpointFacts {
        name: format!("{name}-prod"),
        status: status.into(),
        variants: vec![Variant {
            name: "AllTraffic".into(),
            weight: 1.0,
            instances: 2,
            model_version: Some(version),
        }],
        ..EndpointFacts::default()
    });
    m.metrics.insert(
        names::INVOCATIONS.into(),
        Series::new(vec![(now() - SignedDuration::from_mins(5), 12.0)]),
    );
    m
}

fn replicated(bucket: &str, enabled: bool) -> BucketReplication {
    BucketReplication {
        bucket: bucket.into(),
        holds: "data".into(),
        rules: vec![ReplicationRule {
            id: "dr".into(),
            enabled,
            destination: format!("{bucket}-dr"),
            time_control: false,
            latency_seconds: None,
            pending_operations: None,
        }],
        problem: None,
    }
}

#[test]
fn the_same_model_in_two_regions_is_one_ready_row() {
    let mut primary = served("churn", 0, 3, "InService");
    primary.scope.replication = vec![replicated("ml-data", true)];
    let mut fleet = Fleet {
        models: vec![
            primary,
            served("churn", 1, 3, "InService"),
            served("fraud", 1, 1, "InService"),
        ],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    assert_eq!(fleet.models.len(), 2);
    let churn = &fleet.models[0];
    let f = churn.scope.failover.as_deref().unwrap();
    assert!(f.ready, "{:?}", f.reasons);
    assert_eq!(
        (f.primary.as_str(), f.secondary.as_str()),
        ("us-east-1", "us-west-2")
    );
    assert_eq!(f.drift, None);
    assert_eq!(f.secondary_invocations, Some(12.0));
    assert!(
        fleet.models[1].scope.failover.is_none(),
        "fraud is in one region only"
    );
}

#[test]
fn versions_that_cannot_be_compared_are_never_ready() {
    // A model listed in Containers, read as none: neither side's version known.
    let unknown = |scope| {
        let mut m = served("churn", scope, 1, "InService");
        if let Some(e) = m.endpoint.as_mut() {
            e.variants[0].model_version = None;
        }
        m
    };
    let mut fleet = Fleet {
        models: vec![unknown(0), unknown(1)],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let f = fleet.models[0].scope.failover.as_deref().unwrap();
    assert!(!f.ready, "{:?}", f.reasons);
    assert!(
        f.reasons
            .contains(&"the versions cannot be compared (us-east-1 ?, us-west-2 ?)".to_string()),
        "{:?}",
        f.reasons
    );
}

#[test]
fn a_secondary_a_version_behind_is_drift_and_not_ready() {
    let mut primary = served("churn", 0, 3, "InService");
    primary.scope.replication = vec![replicated("ml-data", false)];
    let mut secondary = served("churn", 1, 2, "Updating");
    secondary.metrics.clear();
    let mut fleet = Fleet {
        models: vec![secondary, primary],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let f = fleet.models[0].scope.failover.as_deref().unwrap();
    assert_eq!(
        fleet.models[0].scope.index, 0,
        "the region listed first is primary"
    );
    assert!(!f.ready);
    assert_eq!(
        f.drift.as_deref(),
        Some("us-west-2 serves v2, us-east-1 v3")
    );
    let all = f.reasons.join("\n");
    assert!(all.contains("us-west-2 endpoint is Updating"), "{all}");
    assert!(
        all.contains("data bucket ml-data is not replicated"),
        "{all}"
    );
    assert!(all.contains("invocations ?"), "{all}");
}

#[test]
fn route_53_names_the_primary_and_its_health_decides() {
    let mut fleet = Fleet {
        models: vec![
            served("churn", 0, 3, "InService"),
            served("churn", 1, 3, "InService"),
        ],
        dns: vec![
            DnsFailover {
                record: "churn.ml.example.com.".into(),
                role: "PRIMARY".into(),
                set_identifier: "churn-us-west-2".into(),
                target: "runtime.sagemaker.us-west-2.amazonaws.com".into(),
                health_check: Some("hc-1".into()),
                healthy: Some(true),
                status: None,
            },
            DnsFailover {
                record: "churn.ml.example.com.".into(),
                role: "SECONDARY".into(),
                set_identifier: "churn-us-east-1".into(),
                target: "runtime.sagemaker.us-east-1.amazonaws.com".into(),
                health_check: Some("hc-2".into()),
                healthy: Some(false),
                status: Some("Failure: HTTP 503".into()),
            },
        ],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let m = &fleet.models[0];
    assert_eq!(m.scope.index, 1, "Route 53's PRIMARY is us-west-2");
    let f = m.scope.failover.as_deref().unwrap();
    assert_eq!(f.primary, "us-west-2");
    assert!(!f.ready);
    assert!(
        f.reasons[0].contains("health check of churn.ml.example.com."),
        "{:?}",
        f.reasons
    );
    assert_eq!(f.health_checks.len(), 2);
}

#[test]
fn replication_past_its_15_minutes_stands_in_the_way() {
    let mut late = replicated("ml-data", true);
    late.rules[0].time_control = true;
    late.rules[0].latency_seconds = Some(1200.0);
    let mut primary = served("churn", 0, 3, "InService");
    primary.scope.replication = vec![late.clone()];
    let mut fleet = Fleet {
        models: vec![primary, served("churn", 1, 3, "InService")],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let f = fleet.models[0].scope.failover.as_deref().unwrap();
    assert!(!f.ready);
    assert_eq!(
        f.reasons[0],
        "data bucket ml-data replication is 20 min behind"
    );
    // Within the limit it is ready.
    late.rules[0].latency_seconds = Some(120.0);
    let mut primary = served("churn", 0, 3, "InService");
    primary.scope.replication = vec![late];
    let mut fleet = Fleet {
        models: vec![primary, served("churn", 1, 3, "InService")],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    assert!(fleet.models[0].scope.failover.as_deref().unwrap().ready);
}

#[test]
fn the_same_replicated_artifact_is_the_same_model_whatever_each_registry_numbers_it() {
    let with_artifact = |scope, version, url: &str| {
        let mut m = served("churn", scope, version, "InService");
        if let Some(e) = m.endpoint.as_mut() {
            e.artifact = Some(url.into());
        }
        m
    };
    let east = with_artifact(0, 7, "s3://ml-models/churn/2026-11-30/model.tar.gz");
    let west = with_artifact(1, 2, "s3://ml-models-usw2/churn/2026-11-30/model.tar.gz");
    let mut fleet = Fleet {
        models: vec![east.clone(), west],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let f = fleet.models[0].scope.failover.as_deref().unwrap();
    assert!(f.ready && f.drift.is_none(), "{:?}", f.reasons);
    // Another artifact under the same version number is drift.
    let other = with_artifact(1, 7, "s3://ml-models-usw2/churn/2026-10-01/model.tar.gz");
    let mut fleet = Fleet {
        models: vec![east, other],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes(), now());
    let f = fleet.models[0].scope.failover.as_deref().unwrap();
    assert_eq!(
        f.drift.as_deref(),
        Some("us-west-2 serves another artifact than us-east-1")
    );
}

#[test]
fn different_accounts_never_pair() {
    let mut scopes = scopes();
    scopes[0].label = Some("prod".into());
    scopes[1].label = Some("dev".into());
    let mut fleet = Fleet {
        models: vec![
            served("churn", 0, 3, "InService"),
            served("churn", 1, 3, "InService"),
        ],
        ..Fleet::default()
    };
    pair(&mut fleet, &scopes, now());
    assert_eq!(fleet.models.len(), 2);
}
