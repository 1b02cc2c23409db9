//! Lambda functions that load models' data. Every ten minutes: which functions
//! belong to models (`[[models]] etl_function`, else a model tag: ListFunctions,
//! ListTags once per function), their dead-letter queue (DeadLetterConfig, else the
//! async OnFailure destination) and their schedule. Every refresh: the DLQ's depth
//! (GetQueueAttributes). Every five minutes at most: AWS/Lambda by the hour over
//! eight days (longer for rarer schedules) in one GetMetricData (billed per metric:
//! 4 a function), which says when it last ran cleanly and last failed. After a
//! failure, once: the last error lines of its log (FilterLogEvents, bounded).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use jiff::{SignedDuration, Timestamp};

use super::lambda_facts::{log_tail, queue_of, runs};
use super::schedules::Schedules;
use super::{mark_missing, row_of, Joining, Listing, Missing, Owner, TagList, Tags};
use crate::aws::errors::{describe, AwsError};
use crate::aws::ApiCalls;
use crate::config::MetricQuery;
use crate::model::etl::{EtlDay, EtlSchedule, LambdaEtl};
use crate::model::facts::{DataFacts, DataSource};
use crate::model::stages::Stage;
use crate::model::Fleet;
use crate::source::aws::cloudwatch::data::{data_query_every, get_between};
use crate::source::aws::fan_out::{fan_out, lock};
use crate::source::last_good::LastGood;
use crate::source::pages::Pages;
use crate::source::{report, Source, SourceId, Update};

mod ran;

/// ListFunctions pages (50 functions each) read at most.
const MAX_PAGES: usize = 20;
/// Metrics are asked for at most this often: ETL runs hourly or daily.
const METRICS_EVERY: Duration = Duration::from_secs(300);
/// An hour per point over eight days: a weekly ETL's last run is still in view.
const PERIOD: i32 = 3600;
const LOOKBACK: SignedDuration = SignedDuration::from_hours(8 * 24);
/// How far back a rarer schedule (weekly, monthly) makes it look: two of its
/// periods, within the 63 days CloudWatch keeps hourly points.
const LONGEST_LOOKBACK: SignedDuration = SignedDuration::from_hours(62 * 24);
/// Log events read at most, from the hour the failure was counted in. The error
/// lines are picked here, not by a filter pattern: emulators read `?term` as a glob.
const LOG_EVENTS: i32 = 100;

/// A function that belongs to a model, as listed.
#[derive(Debug, Clone)]
struct Function {
    name: String,
    /// Its DLQ's ARN.
    dlq: Option<String>,
    owner: Owner,
    schedule: Option<EtlSchedule>,
}

/// What the hourly metrics say of one function.
#[derive(Debug, Clone, Copy, Default)]
struct Ran {
    success: Option<Timestamp>,
    failure: Option<Timestamp>,
    day: Option<EtlDay>,
}

pub struct LambdaSource {
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    schedules: Schedules,
    calls: ApiCalls,
    join: Joining,
    owned: Listing<(Vec<Function>, Vec<Missing>)>,
    /// Function ARN → its tags (asked once per function).
    tags: Tags,
    /// Queue ARN → its URL.
    queues: Mutex<HashMap<String, String>>,
    /// Function → the failure its log tail was read for, and the lines.
    logs_read: Mutex<HashMap<String, (Timestamp, Vec<String>)>>,
    ran: Option<(Instant, HashMap<String, Ran>)>,
    /// Function → the last good facts and when.
    known: LastGood<String, LambdaEtl>,
}

impl LambdaSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> LambdaSource {
        let i = calls.clone();
        LambdaSource {
            lambda: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(sdk)
                    .interceptor(i.clone())
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(sdk)
                    .interceptor(i.clone())
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(sdk)
                    .interceptor(i.clone())
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(sdk)
                    .interceptor(i.clone())
                    .build(),
            ),
            schedules: Schedules {
                events: aws_sdk_eventbridge::Client::from_conf(
                    aws_sdk_eventbridge::config::Builder::from(sdk)
                        .interceptor(i.clone())
                        .build(),
                ),
                scheduler: aws_sdk_scheduler::Client::from_conf(
                    aws_sdk_scheduler::config::Builder::from(sdk)
                        .interceptor(i)
                        .build(),
                ),
            },
            calls: calls.clone(),
            join: Joining::default(),
            owned: Listing::default(),
            tags: Tags::default(),
            queues: Mutex::default(),
            logs_read: Mutex::default(),
            ran: None,
            known: LastGood::default(),
        }
    }

    /// Config's functions, and (when `discover`) functions tagged with one of `tag_keys`.
    pub fn joining(mut self, join: Joining) -> Self {
        self.join = join;
        self
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let owned = self.owned.or_list(self.list_owned()).await;
        let (owned, missing) = owned?;
        let ran = self.ran(&owned).await;
        let depths = fan_out(&owned, self.join.in_flight, |f| self.depth(f)).await;
        let mut rows = Vec::new();
        self.known
            .retain(|name| owned.iter().any(|f| f.name == *name));
        for (f, depth) in owned.iter().zip(depths) {
            let row = row_of(&mut rows, &f.owner, format!("Lambda ETL {}", f.name));
            let facts = match (&ran, depth) {
                (Ok(ran), Ok(depth)) => {
                    let r = ran.get(&f.name).copied().unwrap_or_default();
                    let log_tail = self.log_tail(f, r.failure).await;
                    Ok(LambdaEtl {
                        function: f.name.clone(),
                        schedule: f.schedule.clone(),
                        last_success: r.success,
                        last_failure: r.failure,
                        dlq: f.dlq.as_deref().map(queue_name),
                        dlq_depth: depth,
                        log_tail,
                        day: r.day,
                    })
                }
                (Err(why), _) => Err(why.clone()),
                (_, Err(why)) => Err(why),
            };
            let (etl, mark) = self
                .known
                .settle(&f.name, facts, SourceId::Lambda, &[Stage::Data]);
            row.stale.extend(mark);
            if let Some(etl) = etl {
                row.data = Some(DataFacts {
                    location: format!("lambda {}", f.name),
                    newest_object: etl.last_success,
                    source: DataSource::Lambda,
                    lambda: Some(Box::new(etl)),
                });
            }
        }
        mark_missing(&mut rows, &missing, SourceId::Lambda, Stage::Data);
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    /// Config's functions, then those whose tags name a model; each with its DLQ
    /// and schedule. A configured function that cannot be read is its row's alone.
    async fn list_owned(&self) -> Result<(Vec<Function>, Vec<Missing>), String> {
        let mut listed: Vec<(String, String, Option<String>, Owner)> = Vec::new();
        let mut missing = Vec::new();
        for m in &self.join.mappings {
            let Some(name) = &m.etl_function else {
                continue;
            };
            let owner = Owner::config(&m.name, "etl_function", name);
            let f = match self
                .lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
            {
                Ok(f) => f,
                Err(e) => {
                    let gone = e
                        .as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception());
                    let why = match gone {
                        true => format!("Lambda function {name} not found"),
                        false => describe("lambda:GetFunctionConfiguration", &e),
                    };
                    let what = format!("Lambda ETL {name}");
                    missing.push(Missing { owner, what, why });
                    continue;
                }
            };
            let dlq = f
                .dead_letter_config()
                .and_then(|d| d.target_arn())
                .map(str::to_string);
            let arn = f.function_arn().unwrap_or_default().to_string();
            listed.push((
                f.function_name().unwrap_or(name).to_string(),
                arn,
                dlq,
                owner,
            ));
        }
        if self.join.discover {
            let functions = super::discovered(self.list_functions().await, "Lambda")?;
            let unnamed = functions
                .into_iter()
                .filter(|(name, ..)| !listed.iter().any(|(n, ..)| n == name));
            // Tags are asked once per function, many at once.
            let tagged = fan_out(
                unnamed,
                self.join.in_flight,
                |(name, arn, dlq)| async move {
                    let tags = self.tags_of(&arn).await;
                    (name, arn, dlq, tags)
                },
            )
            .await;
            for (name, arn, dlq, tags) in tagged {
                let tags = tags?;
                let tags = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if let Some(owner) = Owner::tagged(tags, &self.join.tag_keys) {
                    listed.push((name, arn, dlq, owner));
                }
            }
        }
        if listed.is_empty() {
            return Ok((Vec::new(), missing));
        }
        let scheduled = super::discovered(self.schedules.list().await, "EventBridge Scheduler")?;
        let described = fan_out(listed, self.join.in_flight, |(name, arn, dlq, owner)| {
            let scheduled = &scheduled;
            async move {
                let dlq = match dlq {
                    Some(dlq) => Ok(Some(dlq)),
                    None => self.on_failure(&name).await,
                };
                let schedule = self.schedules.of(&arn, scheduled).await;
                match (dlq, schedule) {
                    (Ok(dlq), Ok(schedule)) => Ok(Function {
                        name,
                        dlq,
                        owner,
                        schedule,
                    }),
                    (Err(why), _) | (_, Err(why)) => Err(Missing {
                        owner,
                        what: format!("Lambda ETL {name}"),
                        why,
                    }),
                }
            }
        })
        .await;
        // A function whose DLQ or schedule cannot be read is its row's alone.
        let mut found = Vec::new();
        for described in described {
            match described {
                Ok(f) => found.push(f),
                Err(gone) => missing.push(gone),
            }
        }
        Ok((found, missing))
    }

    /// (name, ARN, DLQ ARN) of every function, bounded.
    async fn list_functions(&self) -> Result<Vec<(String, String, Option<String>)>, AwsError> {
        let mut out = Vec::new();
        let mut marker = None;
        let mut pages = Pages::capped("lambda:ListFunctions", MAX_PAGES);
        loop {
            let page = self
                .lambda
                .list_functions()
                .set_marker(marker)
                .send()
                .await
                .map_err(|e| AwsError::of("lambda:ListFunctions", &e))?;
            out.extend(page.functions().iter().filter_map(|f| {
                let dlq = f.dead_letter_config().and_then(|d| d.target_arn());
                Some((
                    f.function_name()?.to_string(),
                    f.function_arn()?.to_string(),
                    dlq.map(str::to_string),
                ))
            }));
            marker = pages.next(page.next_marker()).map_err(AwsError::Read)?;
            if marker.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn tags_of(&self, arn: &str) -> Result<TagList, String> {
        let ask = async {
            let answer = self
                .lambda
                .list_tags()
                .resource(arn)
                .send()
                .await
                .map_err(|e| describe("lambda:ListTags", &e))?;
            Ok(answer
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default())
        };
        self.tags.of(arn, ask).await
    }

    /// The async invocations' OnFailure destination, when it has one.
    async fn on_failure(&self, function: &str) -> Result<Option<String>, String> {
        match self
            .lambda
            .get_function_event_invoke_config()
            .function_name(function)
            .send()
            .await
        {
            Ok(c) => Ok(c
                .destination_config()
                .and_then(|d| d.on_failure())
                .and_then(|f| f.destination())
                .map(str::to_string)),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) if crate::aws::errors::is_unimplemented(&e) => Ok(None),
            Err(e) => {
                let why = AwsError::of("lambda:GetFunctionEventInvokeConfig", &e);
                super::discovered(Err::<Vec<()>, _>(why), "A DLQ from OnFailure").map(|_| None)
            }
        }
    }

    /// Messages waiting in the function's DLQ; None without an SQS one.
    async fn depth(&self, f: &Function) -> Result<Option<u64>, String> {
        let Some((arn, (queue, account))) = f.dlq.as_deref().and_then(|a| Some((a, queue_of(a)?)))
        else {
            return Ok(None);
        };
        let known = lock(&self.queues).get(arn).cloned();
        let url = match known {
            Some(url) => url,
            None => {
                let answer = self
                    .sqs
                    .get_queue_url()
                    .queue_name(&queue)
                    .queue_owner_aws_account_id(account)
                    .send()
                    .await
                    .map_err(|e| describe("sqs:GetQueueUrl", &e))?;
                let url = answer.queue_url().unwrap_or_default().to_string();
                lock(&self.queues).insert(arn.to_string(), url.clone());
                url
            }
        };
        let answer = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await
            .map_err(|e| describe("sqs:GetQueueAttributes", &e))?;
        Ok(answer
            .attributes()
            .and_then(|a| a.get(&QueueAttributeName::ApproximateNumberOfMessages))
            .and_then(|n| n.parse().ok()))
    }
}

/// A DLQ's name from its ARN (the ARN itself when it is not one).
fn queue_name(arn: &str) -> String {
    arn.rsplit(':').next().unwrap_or(arn).to_string()
}

impl Source for LambdaSource {
    fn id(&self) -> SourceId {
        SourceId::Lambda
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Lambda, self.gather().await)
    }
}

#[cfg(test)]
mod tests;
