//! Route 53 failover records (ListHostedZones, ListResourceRecordSets) and their
//! health checks' status (GetHealthCheckStatus): a check is healthy when most of
//! Route 53's checkers report success, as Route 53 itself decides.

use aws_sdk_route53::types::ResourceRecordSetFailover;

use crate::aws::errors::{describe, AwsError};
use crate::model::failover::DnsFailover;
use crate::source::pages::Pages;

/// At most this many zones and record pages are read per listing.
const MAX_ZONES: usize = 50;
const MAX_PAGES: usize = 10;

pub(super) async fn failover_records(
    client: &aws_sdk_route53::Client,
) -> Result<Vec<DnsFailover>, AwsError> {
    let zones = client
        .list_hosted_zones()
        .send()
        .await
        .map_err(|e| AwsError::of("route53:ListHostedZones", &e))?;
    let mut out = Vec::new();
    for zone in zones.hosted_zones().iter().take(MAX_ZONES) {
        let mut next: Option<(String, Option<String>)> = None;
        let mut pages = Pages::capped("route53:ListResourceRecordSets", MAX_PAGES);
        loop {
            let mut ask = client.list_resource_record_sets().hosted_zone_id(zone.id());
            if let Some((name, kind)) = &next {
                ask = ask.start_record_name(name);
                if let Some(kind) = kind {
                    ask = ask.start_record_type(kind.as_str().into());
                }
            }
            let page = ask
                .send()
                .await
                .map_err(|e| AwsError::of("route53:ListResourceRecordSets", &e))?;
            out.extend(page.resource_record_sets().iter().filter_map(|r| {
                let role = match r.failover()? {
                    ResourceRecordSetFailover::Primary => "PRIMARY",
                    ResourceRecordSetFailover::Secondary => "SECONDARY",
                    _ => return None,
                };
                let target = r
                    .alias_target()
                    .map(|a| a.dns_name().to_string())
                    .or_else(|| r.resource_records().first().map(|v| v.value().to_string()))
                    .unwrap_or_default();
                Some(DnsFailover {
                    record: r.name().to_string(),
                    role: role.into(),
                    set_identifier: r.set_identifier().unwrap_or_default().to_string(),
                    target,
                    health_check: r.health_check_id().map(str::to_string),
                    healthy: None,
                    status: None,
                })
            }));
            if !page.is_truncated() {
                break;
            }
            next = page.next_record_name().map(|n| {
                (
                    n.to_string(),
                    page.next_record_type().map(|t| t.as_str().to_string()),
                )
            });
            // The name and type are the page token: the same one twice is a loop.
            let token = next
                .as_ref()
                .map(|(n, t)| format!("{n} {}", t.as_deref().unwrap_or("")));
            if pages
                .next(token.as_deref())
                .map_err(AwsError::Read)?
                .is_none()
            {
                break;
            }
        }
    }
    Ok(out)
}

/// Each record's health check status; a check that cannot be read stays unknown.
pub(super) async fn with_health(
    client: &aws_sdk_route53::Client,
    mut records: Vec<DnsFailover>,
) -> Vec<DnsFailover> {
    for r in &mut records {
        let Some(id) = r.health_check.clone() else {
            continue;
        };
        match client
            .get_health_check_status()
            .health_check_id(&id)
            .send()
            .await
        {
            Ok(answer) => {
                let reports: Vec<&str> = answer
                    .health_check_observations()
                    .iter()
                    .filter_map(|o| o.status_report()?.status())
                    .collect();
                let ok = reports.iter().filter(|s| s.starts_with("Success")).count();
                r.healthy = (!reports.is_empty()).then_some(ok * 2 > reports.len());
                r.status = reports
                    .iter()
                    .find(|s| !s.starts_with("Success"))
                    .or(reports.first())
                    .map(|s| s.to_string());
            }
            Err(e) => r.status = Some(describe("route53:GetHealthCheckStatus", &e)),
        }
    }
    records
}
