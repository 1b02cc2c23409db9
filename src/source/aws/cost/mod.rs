//! Cost Explorer: month-to-date spend, its forecast, by service, by day and by model.
//! Its API lives in us-east-1 whatever the dashboard's region, and every request is
//! billed: answers are cached on disk and asked again at most every
//! `refresh_minutes`, or when the user confirms a forced refresh.

mod explorer;

use std::path::PathBuf;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::Region;
use aws_sdk_costexplorer::Client;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

use crate::aws::ApiCalls;
use crate::model::{CostSummary, Fleet};
use crate::source::disk::JsonFile;
use crate::source::{report, Source, SourceId, Update};

/// A month of spend by service, day and model is a few kilobytes; more is not ours.
const CACHE_MAX_BYTES: u64 = 4 << 20;

pub struct CostSource {
    client: Client,
    /// Where the last answer is kept between sessions, per account.
    cache_dir: Option<PathBuf>,
    account: Option<String>,
    model_tag: Option<String>,
    max_age: SignedDuration,
    /// Bumped when the user confirms a refresh that costs requests.
    force: watch::Receiver<u64>,
    last: Option<CostSummary>,
    /// The last failure and when to ask again: every request is billed, so a
    /// failing Cost Explorer is asked less and less often (5 minutes doubling to an
    /// hour), never at every check.
    failed: Option<Failure>,
}

struct Failure {
    why: String,
    times: u32,
    retry_at: Timestamp,
}

/// The wait after the `times`-th failure in a row: 5, 10, 20, 40, then 60 minutes.
fn backoff(times: u32) -> SignedDuration {
    let minutes = 5i64.saturating_mul(1 << times.saturating_sub(1).min(4));
    SignedDuration::from_mins(minutes.min(60))
}

impl CostSource {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        calls: &ApiCalls,
        model_tag: Option<String>,
        refresh_minutes: u64,
        force: watch::Receiver<u64>,
    ) -> CostSource {
        // Each attempt is a billed request: one retry at most.
        let config = aws_sdk_costexplorer::config::Builder::from(sdk)
            .region(Region::new("us-east-1"))
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .interceptor(calls.clone())
            .build();
        let mut source = CostSource::from_client(Client::from_conf(config), force);
        source.model_tag = model_tag;
        source.max_age = SignedDuration::from_mins(i64::try_from(refresh_minutes).unwrap_or(60));
        source
    }

    /// A source on a client built elsewhere (the tests' mocked one): hourly, no tag.
    pub fn from_client(client: Client, force: watch::Receiver<u64>) -> CostSource {
        CostSource {
            client,
            cache_dir: crate::config::paths::cache_dir(),
            account: None,
            model_tag: None,
            max_age: SignedDuration::from_mins(60),
            force,
            last: None,
            failed: None,
        }
    }

    /// Keeps the cache in `dir` (tests use a temporary one).
    pub fn cache_in(mut self, dir: PathBuf) -> CostSource {
        self.cache_dir = Some(dir);
        self
    }

    /// Whose bill it is: the cache is per account.
    pub fn for_account(mut self, account: String) -> CostSource {
        self.account = Some(account);
        self
    }

    fn cache_file(&self) -> Option<JsonFile> {
        let account = self.account.as_deref().unwrap_or("default");
        let path = self
            .cache_dir
            .as_ref()?
            .join(format!("cost-{account}.json"));
        Some(JsonFile::new(path, CACHE_MAX_BYTES))
    }

    fn cached(&self) -> Option<CostSummary> {
        if let Some(last) = &self.last {
            return Some(last.clone());
        }
        self.cache_file()?.load()
    }

    fn keep(&mut self, cost: &CostSummary) {
        self.last = Some(cost.clone());
        if let Some(file) = self.cache_file() {
            file.save(cost);
        }
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let forced = self.force.has_changed().unwrap_or(false);
        self.force.borrow_and_update();
        let now = Timestamp::now();
        let fresh = self
            .cached()
            .filter(|c| now.duration_since(c.as_of) < self.max_age);
        let cost = match fresh {
            Some(c) if !forced => c,
            _ => {
                if let Some(f) = self.failed.as_ref().filter(|f| !forced && now < f.retry_at) {
                    let at = f.retry_at.strftime("%H:%M UTC");
                    return Err(format!("{}; next try at {at}", f.why));
                }
                let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
                let asked = explorer::month(&self.client, today, self.model_tag.as_deref()).await;
                let c = match asked {
                    Ok(c) => c,
                    Err(why) => {
                        let times = self.failed.as_ref().map_or(0, |f| f.times) + 1;
                        let retry_at = now + backoff(times);
                        self.failed = Some(Failure {
                            why: why.clone(),
                            times,
                            retry_at,
                        });
                        return Err(why);
                    }
                };
                self.failed = None;
                self.keep(&c);
                c
            }
        };
        Ok(Fleet {
            cost: Some(Box::new(cost)),
            ..Fleet::default()
        })
    }
}

impl Source for CostSource {
    fn id(&self) -> SourceId {
        SourceId::Cost
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::Cost, self.gather().await)
    }

    fn belongs_to(&mut self, account: &str) {
        self.account = Some(account.to_string());
    }
}

/// How often the cost source looks at its cache; requests happen only when stale.
pub const CHECK_EVERY: Duration = Duration::from_secs(300);
