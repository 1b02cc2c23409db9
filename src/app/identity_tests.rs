//! One row per model whichever source answers first: sources name a model their own
//! way (endpoint, metric dimension, config), and the joined fleet must not depend on
//! the order their answers arrive in.

use jiff::Timestamp;
use proptest::prelude::*;

use crate::model::facts::{Alarm, AlarmState, EndpointFacts, ModelFacts};
use crate::model::identity::{Identity, JoinedBy};
use crate::model::metrics::Series;
use crate::model::update::{SourceId, Update};
use crate::model::{Fleet, Stage};
use crate::testing::aws_app;

const MODELS: [&str; 4] = ["demand", "churn", "churn-v2-experiment", "fraud-eu"];

/// How CloudWatch's `ModelName` spells a model.
fn spelled(model: &str, how: u8) -> String {
    match how % 4 {
        0 => model.to_string(),
        1 => format!("{model}-prod"),
        2 => model.replace('-', "_"),
        _ => model.to_uppercase(),
    }
}

fn sagemaker(models: &[&str]) -> Fleet {
    let rows = models.iter().map(|m| {
        let endpoint = format!("{m}-prod");
        ModelFacts {
            identity: Some(Identity::new(
                JoinedBy::Name,
                format!("endpoint {endpoint}"),
            )),
            aliases: vec![endpoint.clone(), format!("{m}-group")],
            endpoint: Some(EndpointFacts {
                ecs: None,
                k8s: None,
                name: endpoint,
                status: "InService".into(),
                failure_reason: None,
                config_name: String::new(),
                variants: vec![],
                config_history: vec![],
                protected: None,
                artifact: None,
            }),
            ..ModelFacts::named(m)
        }
    });
    Fleet {
        models: rows.collect(),
        ..Fleet::default()
    }
}

fn cloudwatch(models: &[&str], spelling: &[u8], at: Timestamp) -> Fleet {
    let mut fleet = Fleet::default();
    for (m, how) in models.iter().zip(spelling) {
        let name = spelled(m, *how);
        let mut row = ModelFacts::named(&name);
        row.metrics
            .insert("MAPE".into(), Series::new(vec![(at, 12.0)]));
        fleet.alarms.push(Alarm {
            name: format!("{name}-mape"),
            state: AlarmState::Alarm,
            reason: String::new(),
            since: at,
            model: Some(name),
            stage: Some(Stage::Quality),
            scope: 0,
            notifies: None,
        });
        fleet.models.push(row);
    }
    fleet
}

fn update(source: SourceId, fleet: Fleet, at: Timestamp) -> Update {
    Update::Fleet { source, fleet, at }
}

proptest! {
    #[test]
    fn the_joined_fleet_does_not_depend_on_which_source_answers_first(
        spelling in proptest::collection::vec(0u8..4, MODELS.len()),
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
    ) {
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let parts = [
            update(SourceId::SageMaker, sagemaker(&MODELS), at),
            update(SourceId::CloudWatch, cloudwatch(&MODELS, &spelling, at), at),
            update(SourceId::S3, Fleet::default(), at),
        ];
        let mut in_order = aws_app(at);
        for u in parts.iter().cloned() {
            in_order.apply(u);
        }
        let mut shuffled = aws_app(at);
        for i in &order {
            shuffled.apply(parts[*i].clone());
        }
        prop_assert_eq!(in_order.fleet.data(), shuffled.fleet.data());
        let fleet = shuffled.fleet.data().unwrap();
        // One row per model, named by the model, holding the metric and the alarm.
        let mut names: Vec<&str> = fleet.models.iter().map(|m| m.name.as_str()).collect();
        names.sort();
        let mut want = MODELS.to_vec();
        want.sort();
        prop_assert_eq!(names, want);
        for m in &fleet.models {
            prop_assert!(m.metrics.contains_key("MAPE"), "{} lost its metric", m.name);
            let alarm = fleet.alarms.iter().find(|a| a.model.as_deref() == Some(&m.name));
            prop_assert!(alarm.is_some(), "{} lost its alarm", m.name);
        }
    }
}
