//! What changed, from the two AWS records of it: CloudTrail (who called
//! UpdateEndpoint, UpdateService, UpdateModelPackage…) and CloudWatch's alarm
//! history. CloudTrail's LookupEvents allows about two requests a second per account
//! and one lookup attribute per request, so each watched call is its own lookup,
//! paced, at most a few pages, and after the first refresh only the window not yet
//! seen is asked (with an overlap: CloudTrail delivers events minutes late).
//! Everything read is kept for the session, bounded, and answered from memory between
//! lookups. No end time is sent: an event of this very second is not cut off.

mod alarm_history;
pub mod trail;

use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};

use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
use aws_smithy_types::DateTime;
use jiff::{SignedDuration, Timestamp};

use super::Pacer;
use crate::aws::errors::describe;
use crate::aws::ApiCalls;
use crate::model::changes::Change;
use crate::model::Fleet;
use crate::source::pages::Pages;
use crate::source::{report, Source, SourceId, Update};

/// How far back the first refresh looks.
const FIRST_LOOK: SignedDuration = SignedDuration::from_hours(24);
/// Asked again from this long before the last answer: CloudTrail's delivery delay.
const OVERLAP: SignedDuration = SignedDuration::from_mins(20);
/// Pages (50 events each) read per watched call and refresh; alarm history pages
/// (100 items each).
const TRAIL_PAGES: usize = 2;
const HISTORY_PAGES: usize = 3;
/// Changes kept for the session.
const KEPT: usize = 500;
/// The shortest time between two lookups, whatever refreshes are asked for.
pub const LOOKUP_EVERY: Duration = Duration::from_secs(300);
const LOOKUP_AT_MOST: Duration = Duration::from_secs(60);

pub struct ChangesSource {
    trail: aws_sdk_cloudtrail::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    /// LookupEvents' own rate: two a second per account and region.
    pacer: Pacer,
    kept: VecDeque<Change>,
    /// CloudTrail event ids and alarm history keys already kept.
    ids: HashSet<String>,
    /// Until when each record has been read.
    trail_until: Option<Timestamp>,
    history_until: Option<Timestamp>,
    asked: Option<Instant>,
}

impl ChangesSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> ChangesSource {
        let trail = aws_sdk_cloudtrail::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        ChangesSource {
            trail: aws_sdk_cloudtrail::Client::from_conf(trail),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
            pacer: Pacer::new(2),
            kept: VecDeque::new(),
            ids: HashSet::new(),
            trail_until: None,
            history_until: None,
            asked: None,
        }
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let recent = self.asked.is_some_and(|t| t.elapsed() < LOOKUP_AT_MOST);
        if !recent {
            self.asked = Some(Instant::now());
            let now = Timestamp::now();
            let trail = self.read_trail(now).await;
            let history = self.read_history(now).await;
            match (trail, history) {
                (Err(a), Err(b)) => return Err(format!("{a}; {b}")),
                // One record read is worth showing; the other's trouble is logged.
                (Err(why), Ok(())) | (Ok(()), Err(why)) => tracing::warn!("changes: {why}"),
                (Ok(()), Ok(())) => {}
            }
        }
        Ok(Fleet {
            changes: self.kept.iter().cloned().collect(),
            ..Fleet::default()
        })
    }

    fn keep(&mut self, id: String, change: Change) {
        if self.ids.insert(id) {
            self.kept.push_front(change);
            self.kept.truncate(KEPT);
        }
    }

    /// Each watched call's events since the last look, newest first, paced.
    async fn read_trail(&mut self, now: Timestamp) -> Result<(), String> {
        let from = self.trail_until.map_or(now - FIRST_LOOK, |t| t - OVERLAP);
        for (name, _) in trail::WATCHED {
            let attribute = LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::EventName)
                .attribute_value(name)
                .build()
                .map_err(|e| e.to_string())?;
            let mut token = None;
            let mut pages = Pages::capped("cloudtrail:LookupEvents", TRAIL_PAGES);
            loop {
                self.pacer.turn().await;
                let page = self
                    .trail
                    .lookup_events()
                    .lookup_attributes(attribute.clone())
                    .start_time(DateTime::from_secs(from.as_second()))
                    .max_results(50)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| describe("cloudtrail:LookupEvents", &e))?;
                for e in page.events() {
                    let time = e
                        .event_time()
                        .and_then(|t| Timestamp::from_second(t.secs()).ok());
                    let (Some(id), Some(time), Some(json)) =
                        (e.event_id(), time, e.cloud_trail_event())
                    else {
                        continue;
                    };
                    if let Some(change) = trail::change_of(name, time, json) {
                        self.keep(id.to_string(), change);
                    }
                }
                token = pages.next(page.next_token())?;
                if token.is_none() {
                    break;
                }
            }
        }
        self.trail_until = Some(now);
        Ok(())
    }

    /// Every alarm's state changes since the last look.
    async fn read_history(&mut self, now: Timestamp) -> Result<(), String> {
        let from = self.history_until.map_or(now - FIRST_LOOK, |t| t - OVERLAP);
        let mut token = None;
        let mut pages = Pages::capped("cloudwatch:DescribeAlarmHistory", HISTORY_PAGES);
        loop {
            let page = self
                .cloudwatch
                .describe_alarm_history()
                .history_item_type(aws_sdk_cloudwatch::types::HistoryItemType::StateUpdate)
                .start_date(DateTime::from_secs(from.as_second()))
                .max_records(100)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| describe("cloudwatch:DescribeAlarmHistory", &e))?;
            for item in page.alarm_history_items() {
                if let Some((id, change)) = alarm_history::change_of(item) {
                    self.keep(id, change);
                }
            }
            token = pages.next(page.next_token())?;
            if token.is_none() {
                break;
            }
        }
        self.history_until = Some(now);
        Ok(())
    }
}

impl Source for ChangesSource {
    fn id(&self) -> SourceId {
        SourceId::Changes
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Changes, self.gather().await)
    }
}
