//! The one description of a scope's sources: for each, how often it asks, what
//! wakes it before that, and, when everything is asked once (`snapshot`, `export`),
//! what it waits for. The dashboard's tasks, the one-off gather and the ages the
//! header judges staleness by are all read from `plan`: a new source is a module
//! under `source/`, a line here and its constructor in `scope::feeds`.

use std::time::Duration;

use crate::config::AwsConfig;
use crate::source::aws::changes::LOOKUP_EVERY;
use crate::source::aws::cost::CHECK_EVERY as COST_CHECK_EVERY;
use crate::source::aws::failover::FAILOVER_EVERY;
use crate::source::SourceId;

/// X-Ray bills per trace scanned: every five minutes is enough on call.
const XRAY_EVERY: Duration = Duration::from_secs(300);

/// How one source of a scope is driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub id: SourceId,
    pub every: Duration,
    pub wake: Wake,
    /// Asked once with the others: what it waits for first.
    pub after: After,
    /// Starts from what a past session left for this account (the dashboard's).
    pub remembers: bool,
    /// Runs only once STS names the account (its cache is the account's).
    pub needs_account: bool,
}

/// What asks a source again before its interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The refresh key.
    Refresh,
    /// The refresh key, or the endpoints SageMaker finds changed, once it has traced
    /// what they serve (the buckets lineage names).
    Traced,
    /// The refresh key, the endpoints, ECS's services behind their load balancers,
    /// or what the screen watches closely changed.
    Watched,
    /// Only the user's confirmed request (it is billed).
    Confirmed,
}

/// In a one-off gather: what a source waits for before it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Nothing,
    /// SageMaker has named its endpoints (or finished) and ECS its services.
    Endpoints,
    /// SageMaker's whole refresh: the jobs, registries and buckets it names.
    SageMaker,
    /// SageMaker has traced what its endpoints serve (the buckets it names), or
    /// finished.
    Traced,
}

/// Every source of a scope, in the order a snapshot lists their failures; `global`:
/// this scope asks its account's global services (Cost Explorer, Route 53).
pub fn plan(settings: &AwsConfig, global: bool) -> Vec<Plan> {
    let common = every(settings, None);
    let p = |id, every, wake, after| Plan {
        id,
        every,
        wake,
        after,
        remembers: false,
        needs_account: false,
    };
    let sagemaker = every(settings, settings.sagemaker_seconds);
    let cloudwatch = every(settings, settings.cloudwatch_seconds);
    let all = [
        Plan {
            remembers: true,
            ..p(
                SourceId::SageMaker,
                sagemaker,
                Wake::Refresh,
                After::Nothing,
            )
        },
        Plan {
            remembers: true,
            ..p(
                SourceId::CloudWatch,
                cloudwatch,
                Wake::Watched,
                After::Endpoints,
            )
        },
        Plan {
            remembers: true,
            ..p(
                SourceId::S3,
                s3_every(settings),
                Wake::Traced,
                After::Traced,
            )
        },
        Plan {
            needs_account: true,
            ..p(
                SourceId::Cost,
                COST_CHECK_EVERY,
                Wake::Confirmed,
                After::Nothing,
            )
        },
        p(SourceId::XRay, XRAY_EVERY, Wake::Refresh, After::Nothing),
        p(SourceId::Ecs, common, Wake::Refresh, After::Nothing),
        p(SourceId::Lambda, common, Wake::Refresh, After::Nothing),
        p(
            SourceId::StepFunctions,
            common,
            Wake::Refresh,
            After::Nothing,
        ),
        p(
            SourceId::Changes,
            LOOKUP_EVERY,
            Wake::Refresh,
            After::Nothing,
        ),
        p(
            SourceId::Failover,
            FAILOVER_EVERY,
            Wake::Refresh,
            After::SageMaker,
        ),
    ];
    // Cost Explorer is global: one scope of each account asks it.
    all.into_iter()
        .filter(|p| global || p.id != SourceId::Cost)
        .collect()
}

/// A source's own interval, else the common one.
pub fn every(settings: &AwsConfig, own: Option<u64>) -> Duration {
    Duration::from_secs(own.unwrap_or(settings.refresh_seconds))
}

/// S3 bills each LIST and raw data lands in hours: every 10 minutes unless set.
fn s3_every(settings: &AwsConfig) -> Duration {
    let unset = Duration::from_secs(settings.refresh_seconds.max(600));
    settings.s3_seconds.map_or(unset, Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_once_and_cost_only_where_global() {
        let settings = AwsConfig::default();
        let ids =
            |global| -> Vec<SourceId> { plan(&settings, global).iter().map(|p| p.id).collect() };
        let everywhere = ids(true);
        let mut unique = everywhere.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), everywhere.len());
        assert!(everywhere.contains(&SourceId::Cost));
        assert!(!ids(false).contains(&SourceId::Cost));
        // What the others wait for comes first.
        let at = |id| everywhere.iter().position(|i| *i == id).unwrap();
        assert!(at(SourceId::SageMaker) < at(SourceId::CloudWatch));
    }
}
