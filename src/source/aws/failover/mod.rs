//! Whether a disaster-recovery pair could fail over: the S3 replication of each
//! model's data and artifact buckets (GetBucketReplication), and the Route 53
//! failover records with their health checks (asked once per account: Route 53 is
//! global). Replication and records change rarely: each is re-read at most every
//! 30 minutes; health checks every look.

mod lag;
mod replication;
mod route53;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::targets::TargetsReceiver;
use crate::aws::ApiCalls;
use crate::config::{ModelMapping, S3Location};
use crate::model::failover::{BucketReplication, DnsFailover};
use crate::model::{Fleet, ModelFacts};
use crate::source::{Source, SourceId, Update};

/// How often the source looks (Route 53 and S3 control-plane calls are free).
pub const FAILOVER_EVERY: Duration = Duration::from_secs(300);
/// How long a bucket's replication or the record listing is reused.
const REREAD: Duration = Duration::from_secs(1800);

pub struct FailoverSource {
    s3: aws_sdk_s3::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    calls: ApiCalls,
    route53: Option<aws_sdk_route53::Client>,
    /// Config's raw-data locations, by model.
    data: BTreeMap<String, S3Location>,
    targets: Option<TargetsReceiver>,
    read: HashMap<String, (Instant, BucketReplication)>,
    records: Option<(Instant, Vec<DnsFailover>)>,
}

impl FailoverSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls, mappings: &[ModelMapping]) -> Self {
        let route53 = aws_sdk_route53::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        FailoverSource {
            s3: crate::source::aws::s3::object::client(sdk, calls, None),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
            calls: calls.clone(),
            route53: Some(aws_sdk_route53::Client::from_conf(route53)),
            data: mappings
                .iter()
                .filter_map(|m| Some((m.name.clone(), m.data.clone()?)))
                .collect(),
            targets: None,
            read: HashMap::new(),
            records: None,
        }
    }

    /// The endpoints SageMaker finds name the artifact and training-data buckets.
    pub fn watching(mut self, targets: TargetsReceiver) -> Self {
        self.targets = Some(targets);
        self
    }

    /// Route 53 is global: only the first scope of each account asks it.
    pub fn without_dns(mut self) -> Self {
        self.route53 = None;
        self
    }

    /// Each model's buckets: "data" (config's location, else the training channel)
    /// and "model" (the artifact its endpoint serves).
    fn buckets(&self) -> BTreeMap<String, Vec<(String, &'static str)>> {
        let mut out: BTreeMap<String, Vec<(String, &'static str)>> = BTreeMap::new();
        for (model, at) in &self.data {
            out.entry(model.clone())
                .or_default()
                .push((at.bucket.clone(), "data"));
        }
        let targets = self.targets.as_ref().map(|t| t.borrow().clone());
        for t in targets.unwrap_or_default() {
            let mine = out.entry(t.model.clone()).or_default();
            if !mine.iter().any(|(_, holds)| *holds == "data") {
                if let Some(d) = &t.training_data {
                    mine.push((d.bucket.clone(), "data"));
                }
            }
            if let Some(a) = &t.artifact {
                mine.push((a.bucket.clone(), "model"));
            }
        }
        for list in out.values_mut() {
            let mut seen = BTreeSet::new();
            list.retain(|(b, _)| seen.insert(b.clone()));
        }
        out
    }

    async fn replication_of(&mut self, bucket: &str, holds: &str) -> BucketReplication {
        if let Some((at, known)) = self.read.get(bucket) {
            if at.elapsed() < REREAD && known.problem.is_none() {
                return BucketReplication {
                    holds: holds.to_string(),
                    ..known.clone()
                };
            }
        }
        let read = replication::read(&self.s3, bucket, holds).await;
        self.read
            .insert(bucket.to_string(), (Instant::now(), read.clone()));
        read
    }

    async fn dns(&mut self) -> Result<Vec<DnsFailover>, String> {
        let Some(client) = &self.route53 else {
            return Ok(Vec::new());
        };
        let listed = match &self.records {
            Some((at, records)) if at.elapsed() < REREAD => records.clone(),
            _ => {
                let records = match route53::failover_records(client).await {
                    Ok(records) => records,
                    // Most teams have no DNS failover and a read-only role without
                    // Route 53: that is "no records", said once in the log.
                    Err(why) if why.is_denied() => {
                        if self.records.is_none() {
                            tracing::info!("no Route 53 failover records: {why}");
                        }
                        Vec::new()
                    }
                    Err(why) => return Err(why.into()),
                };
                self.records = Some((Instant::now(), records.clone()));
                records
            }
        };
        Ok(route53::with_health(client, listed).await)
    }
}

impl Source for FailoverSource {
    fn id(&self) -> SourceId {
        SourceId::Failover
    }

    async fn fetch(&mut self) -> Update {
        let mut fleet = Fleet::default();
        let mut problems = Vec::new();
        let mut read: Vec<(String, Vec<BucketReplication>)> = Vec::new();
        for (model, buckets) in self.buckets() {
            let mut replication = Vec::new();
            for (bucket, holds) in buckets {
                replication.push(self.replication_of(&bucket, holds).await);
            }
            read.push((model, replication));
        }
        // How far behind each metered rule is, every rule in one request.
        let mut all: Vec<BucketReplication> = read.iter().flat_map(|(_, b)| b.clone()).collect();
        match lag::read(&self.cloudwatch, &self.calls, &mut all, Timestamp::now()).await {
            Ok(()) => {
                let mut lagged = all.into_iter();
                for b in read.iter_mut().flat_map(|(_, buckets)| buckets.iter_mut()) {
                    if let Some(with_lag) = lagged.next() {
                        *b = with_lag;
                    }
                }
            }
            Err(why) => problems.push(why),
        }
        for (model, replication) in read {
            let mut m = ModelFacts::named(&model);
            m.scope.replication = replication;
            fleet.models.push(m);
        }
        match self.dns().await {
            Ok(records) => fleet.dns = records,
            Err(why) => problems.push(why),
        }
        let at = Timestamp::now();
        // A part that could not be read fails the look: the app keeps the last good
        // one, marked old, and says why (never a readiness judged on half the facts).
        match problems.is_empty() {
            true => Update::Fleet {
                source: SourceId::Failover,
                fleet,
                at,
            },
            false => Update::Failed {
                source: SourceId::Failover,
                why: problems.join("; "),
                at,
            },
        }
    }
}
