//! CloudTrail events read as changes: which calls change what serves a model, and
//! what each one's `CloudTrailEvent` JSON says was changed and by whom. The JSON is
//! untrusted: anything missing or malformed is skipped, never a failure.

use jiff::Timestamp;
use serde_json::Value;

use crate::model::changes::{short_caller, Change, ChangeKind, ChangeSource};

/// The calls asked for, each a LookupEvents of its own (one lookup attribute per
/// call is all CloudTrail allows), with the kind of change each is.
pub const WATCHED: [(&str, ChangeKind); 8] = [
    ("UpdateEndpoint", ChangeKind::Deploy),
    ("CreateEndpoint", ChangeKind::Deploy),
    ("DeleteEndpoint", ChangeKind::Deploy),
    ("UpdateEndpointWeightsAndCapacities", ChangeKind::Config),
    ("CreateEndpointConfig", ChangeKind::Config),
    ("UpdateModelPackage", ChangeKind::Approval),
    ("CreateModelPackage", ChangeKind::Version),
    ("UpdateService", ChangeKind::Deploy),
];

/// One event as a change: None for calls not watched, failed calls (`errorCode`),
/// and events whose JSON names no resource.
pub fn change_of(name: &str, time: Timestamp, event: &str) -> Option<Change> {
    let (_, kind) = WATCHED.iter().find(|(n, _)| *n == name)?;
    let v: Value = serde_json::from_str(event).ok()?;
    if v.get("errorCode").is_some() {
        return None;
    }
    let p = v.get("requestParameters")?;
    let text = |key: &str| p.get(key).and_then(Value::as_str).map(str::to_string);
    let mut deployed = None;
    let (resource, detail, kind) = match name {
        "UpdateEndpoint" | "CreateEndpoint" => {
            deployed = text("endpointConfigName");
            let config = deployed.as_ref().map(|c| format!(" (config {c})"));
            (text("endpointName")?, config.unwrap_or_default(), *kind)
        }
        "DeleteEndpoint" => (text("endpointName")?, String::new(), *kind),
        "UpdateEndpointWeightsAndCapacities" => {
            let weights = p.get("desiredWeightsAndCapacities").map(weights);
            (text("endpointName")?, weights.unwrap_or_default(), *kind)
        }
        "CreateEndpointConfig" => (text("endpointConfigName")?, String::new(), *kind),
        // The ARN's group/version is what is shown; the group is what joins.
        "UpdateModelPackage" => {
            let arn = text("modelPackageArn")?;
            let version = arn
                .split_once(":model-package/")
                .map_or(arn.as_str(), |(_, v)| v);
            let status = text("modelApprovalStatus").map(|s| format!(" → {s}"));
            let detail = format!(
                "/{}{}",
                version.rsplit('/').next().unwrap_or(""),
                status.unwrap_or_default()
            );
            let group = version.split('/').next().unwrap_or(version).to_string();
            (group, detail, *kind)
        }
        "CreateModelPackage" => (text("modelPackageGroupName")?, String::new(), *kind),
        "UpdateService" => {
            let service = last_segment(&text("service")?);
            let resource = match text("cluster") {
                Some(c) => format!("{}/{service}", last_segment(&c)),
                None => format!("default/{service}"),
            };
            // A new task definition is a deploy; a new desired count is not.
            match text("taskDefinition").map(|td| last_segment(&td)) {
                Some(td) => {
                    let detail = format!(" (task definition {td})");
                    deployed = Some(td);
                    (resource, detail, *kind)
                }
                None => {
                    let count = p.get("desiredCount").and_then(Value::as_i64);
                    let what = count.map(|n| format!(" (desired {n})")).unwrap_or_default();
                    (resource, what, ChangeKind::Config)
                }
            }
        }
        _ => return None,
    };
    let what = format!("{name} {resource}{detail}");
    Some(
        Change::new(time, &resource, kind, what)
            .by(who(&v))
            .from(ChangeSource::Cloudtrail)
            .deploying(deployed),
    )
}

/// Who made the call: the role and session, the user, or the service acting.
fn who(v: &Value) -> Option<String> {
    let id = v.get("userIdentity")?;
    let text = |key: &str| id.get(key).and_then(Value::as_str);
    text("arn")
        .map(short_caller)
        .or_else(|| text("userName").map(str::to_string))
        .or_else(|| text("invokedBy").map(str::to_string))
        .or_else(|| text("principalId").map(str::to_string))
}

/// "arn:aws:ecs:…:service/web-prod/upsell-api" → "upsell-api", "…:task-definition/
/// upsell-api:8" → "upsell-api:8"; a name stays itself.
fn last_segment(s: &str) -> String {
    s.rsplit('/').next().unwrap_or(s).to_string()
}

/// " (AllTraffic 0.9, Canary 0.1)" from `desiredWeightsAndCapacities`.
fn weights(list: &Value) -> String {
    let parts: Vec<String> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| {
            let name = w.get("variantName")?.as_str()?;
            let weight = w.get("desiredWeight").and_then(Value::as_f64);
            let count = w.get("desiredInstanceCount").and_then(Value::as_i64);
            Some(match (weight, count) {
                (Some(wt), Some(n)) => format!("{name} {wt} ×{n}"),
                (Some(wt), None) => format!("{name} {wt}"),
                (None, Some(n)) => format!("{name} ×{n}"),
                (None, None) => name.to_string(),
            })
        })
        .collect();
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Timestamp {
        Timestamp::from_second(1_800_000_000).unwrap()
    }

    const ROLE: &str = r#""userIdentity": {"type": "AssumedRole", "principalId": "AROA:gh-77",
        "arn": "arn:aws:sts::123456789012:assumed-role/ci-deploy-role/gh-77",
        "sessionContext": {"sessionIssuer": {"userName": "ci-deploy-role"}}}"#;

    #[test]
    fn an_endpoint_update_names_its_config_and_caller() {
        let event = format!(
            r#"{{"eventVersion": "1.08", {ROLE}, "eventName": "UpdateEndpoint",
            "requestParameters": {{"endpointName": "rec-prod", "endpointConfigName": "rec-prod-v7"}}}}"#
        );
        let c = change_of("UpdateEndpoint", at(), &event).unwrap();
        assert_eq!(c.resource, "rec-prod");
        assert_eq!(c.what, "UpdateEndpoint rec-prod (config rec-prod-v7)");
        assert_eq!(c.who.as_deref(), Some("ci-deploy-role/gh-77"));
        assert_eq!(
            (c.kind, c.source),
            (ChangeKind::Deploy, ChangeSource::Cloudtrail)
        );
        assert_eq!(c.deployed.as_deref(), Some("rec-prod-v7"));
        assert!(c
            .deployed_by()
            .starts_with("deployed to rec-prod by ci-deploy-role/gh-77 on "));
        // The newest record of a config on this endpoint, never another endpoint's.
        let later = Change {
            time: at() + jiff::SignedDuration::from_hours(1),
            ..c.clone()
        };
        let elsewhere = Change {
            resource: "rec-staging".into(),
            time: at() + jiff::SignedDuration::from_hours(2),
            ..c.clone()
        };
        let all = [c.clone(), later.clone(), elsewhere];
        assert_eq!(
            Change::newest_deploy(&all, "rec-prod", "rec-prod-v7"),
            Some(&later)
        );
        assert_eq!(Change::newest_deploy(&all, "rec-prod", "rec-prod-v6"), None);
    }

    #[test]
    fn weights_approvals_and_ecs_services_read_as_aws_records_them() {
        let weights = format!(
            r#"{{{ROLE}, "requestParameters": {{"endpointName": "rec-prod", "desiredWeightsAndCapacities":
            [{{"variantName": "AllTraffic", "desiredWeight": 0.9}}, {{"variantName": "Canary", "desiredWeight": 0.1}}]}}}}"#
        );
        let c = change_of("UpdateEndpointWeightsAndCapacities", at(), &weights).unwrap();
        assert_eq!(
            c.what,
            "UpdateEndpointWeightsAndCapacities rec-prod (AllTraffic 0.9, Canary 0.1)"
        );
        assert_eq!(c.kind, ChangeKind::Config);
        let approve = r#"{"userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"},
            "requestParameters": {"modelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/rec/8",
            "modelApprovalStatus": "Approved"}}"#;
        let c = change_of("UpdateModelPackage", at(), approve).unwrap();
        assert_eq!(c.what, "UpdateModelPackage rec/8 → Approved");
        assert_eq!(c.resource, "rec");
        assert_eq!(c.who.as_deref(), Some("alice"));
        let ecs = r#"{"userIdentity": {"type": "AWSService", "invokedBy": "codedeploy.amazonaws.com"},
            "requestParameters": {"cluster": "arn:aws:ecs:us-east-1:1:cluster/web-prod",
            "service": "upsell-api", "taskDefinition": "arn:aws:ecs:us-east-1:1:task-definition/upsell-api:8"}}"#;
        let c = change_of("UpdateService", at(), ecs).unwrap();
        assert_eq!(c.resource, "web-prod/upsell-api");
        assert_eq!(
            c.what,
            "UpdateService web-prod/upsell-api (task definition upsell-api:8)"
        );
        assert_eq!(c.who.as_deref(), Some("codedeploy.amazonaws.com"));
        let by_name = r#"{"requestParameters": {"cluster": "web-prod", "service": "upsell-api",
            "taskDefinition": "upsell-api:7"}}"#;
        let c = change_of("UpdateService", at(), by_name).unwrap();
        assert_eq!(
            c.what,
            "UpdateService web-prod/upsell-api (task definition upsell-api:7)"
        );
        let scale = r#"{"requestParameters": {"service": "upsell-api", "desiredCount": 4}}"#;
        let c = change_of("UpdateService", at(), scale).unwrap();
        assert_eq!(
            (c.kind, c.what.as_str()),
            (
                ChangeKind::Config,
                "UpdateService default/upsell-api (desired 4)"
            )
        );
    }

    #[test]
    fn failed_unwatched_and_malformed_events_are_skipped() {
        let failed = r#"{"errorCode": "AccessDenied", "requestParameters": {"endpointName": "x"}}"#;
        assert!(change_of("UpdateEndpoint", at(), failed).is_none());
        assert!(change_of(
            "DescribeEndpoint",
            at(),
            r#"{"requestParameters": {"endpointName": "x"}}"#
        )
        .is_none());
        for bad in [
            "",
            "{",
            "[]",
            r#"{"requestParameters": null}"#,
            r#"{"requestParameters": {"endpointName": 7}}"#,
        ] {
            assert!(change_of("UpdateEndpoint", at(), bad).is_none(), "{bad}");
        }
    }
}
