//! Names and identities the demo gives things, and small helpers every stage uses.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::super::profiles::Profile;
use super::*;
use crate::model::facts::*;
use crate::model::identity::{Identity, JoinedBy};
use crate::model::metrics::{names, Series};
use crate::model::units::{is_ratio, scale_of, Published};
use crate::model::Stage;

/// The demo's endpoint config name for version `v`.
pub fn config_name(endpoint: &str, v: u32) -> String {
    format!("{endpoint}-config-v{v}")
}

/// How a demo model is recognised: as a real fleet's would be, by lineage from the
/// endpoint to its package group.
pub(super) fn identity(p: &Profile, endpoint: &str) -> Identity {
    let group = format!("{}-group", p.name);
    let evidence = format!(
        "endpoint {endpoint} serves model {}-model-v{}, which names package {group}/{} \
         (ModelPackageName)",
        p.name, p.latest_version, p.latest_version
    );
    Identity::new(JoinedBy::Lineage, evidence.clone())
        .with(format!("endpoint {endpoint}"), JoinedBy::Lineage, evidence)
        .with(
            format!("package group {group}"),
            JoinedBy::Lineage,
            "the package the endpoint's model names",
        )
        .with(
            format!("pipeline {}", pipeline_of(&p.name)),
            JoinedBy::Name,
            format!("named like {}", p.name),
        )
}

/// The business metrics the demo teams publish: forecasts as scikit-learn returns
/// them (fractions), the rest with Unit=Percent or as plain numbers.
pub(super) fn published(metrics: &BTreeMap<String, Series>) -> BTreeMap<String, Published> {
    let business = [
        names::MAPE,
        names::CTR,
        names::CONVERSION,
        names::SILHOUETTE,
        names::AUC,
    ];
    metrics
        .keys()
        .filter(|k| business.contains(&k.as_str()))
        .map(|k| {
            let unit = (k != names::MAPE && is_ratio(k)).then_some("Percent");
            (k.clone(), scale_of(k, unit, None, None))
        })
        .collect()
}

/// The scripted retrain's pipeline execution name.
pub(super) fn scripted_run(model: &str, started: Timestamp) -> String {
    format!("{model}-retrain-{}", started.strftime("%Y%m%d-%H%M"))
}

/// Where the demo team's alarms page: its on-call topic. The segmentation team's
/// alarm was made in the console and pages nobody.
fn paged(model: &str, _stage: Stage) -> Option<Vec<String>> {
    let nobody = model == "customer-segmentation";
    Some(match nobody {
        true => Vec::new(),
        false => vec!["arn:aws:sns:us-east-1:000000000000:ml-oncall".into()],
    })
}

pub(super) fn alarm(
    name: String,
    (model, stage): (&str, Stage),
    firing_since: Option<Timestamp>,
    reason: &str,
    ok_since: Timestamp,
) -> Alarm {
    match firing_since {
        Some(since) => Alarm {
            name,
            state: AlarmState::Alarm,
            reason: reason.into(),
            since,
            model: Some(model.into()),
            stage: Some(stage),
            scope: 0,
            notifies: paged(model, stage),
        },
        None => Alarm {
            name,
            state: AlarmState::Ok,
            reason: "Threshold Crossed: datapoints were not greater than the threshold".into(),
            since: ok_since,
            model: Some(model.into()),
            stage: Some(stage),
            scope: 0,
            notifies: paged(model, stage),
        },
    }
}

pub(super) fn cents(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// splitmix64's finalizer: a fast, well-distributed 64-bit mix.
pub(super) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

pub(super) fn objective(p: &Profile, k: i64) -> (String, f64) {
    let (metric, base, _) = p.quality.first().copied().unwrap_or(("score", 1.0, 0.0));
    let drift = 1.0 + 0.01 * k as f64;
    (
        format!("validation:{}", metric.to_lowercase()),
        base * drift,
    )
}
