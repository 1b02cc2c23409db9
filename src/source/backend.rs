//! Which sources run: the demo simulator, or the AWS sources for one account and region.
//! The dashboard starts them as tasks; `snapshot` asks each once.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use super::aws::{self, ApiCalls, SageMakerSource};
use super::demo::{DemoSource, Simulator};
use super::{drive, Source, Update};
use crate::app::{Context, Place};

pub enum Backend {
    Demo {
        source: DemoSource,
        seed: u64,
        every: Duration,
    },
    Aws {
        // Boxed: the SDK config is far larger than the demo's fields.
        sdk: Box<aws_config::SdkConfig>,
        every: Duration,
        calls: ApiCalls,
    },
}

impl Backend {
    pub fn demo(seed: u64, models: usize, every: Duration, started: Timestamp) -> Backend {
        let source = DemoSource::new(Simulator::new(seed, started, models));
        Backend::Demo {
            source,
            seed,
            every,
        }
    }

    /// Where the data will come from, for the header and the snapshot.
    pub fn context(&self) -> Context {
        Context::new(match self {
            Backend::Demo { seed, .. } => Place::Demo { seed: *seed },
            Backend::Aws { sdk, .. } => Place::Aws {
                region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            },
        })
    }

    /// Starts every source as a task of its own.
    pub fn spawn(self, updates: mpsc::Sender<Update>, refresh: watch::Receiver<u64>) {
        match self {
            Backend::Demo { source, every, .. } => {
                tokio::spawn(drive(source, every, updates, refresh));
            }
            Backend::Aws { sdk, every, calls } => {
                let identity = updates.clone();
                let (identity_sdk, identity_calls) = (sdk.clone(), calls.clone());
                tokio::spawn(async move {
                    let who = identify(&identity_sdk, &identity_calls).await;
                    let _ = identity.send(who).await;
                });
                let sagemaker = SageMakerSource::new(&sdk, &calls);
                tokio::spawn(drive(sagemaker, every, updates.clone(), refresh));
                tokio::spawn(report_calls(calls, updates));
            }
        }
    }

    /// Every source's answer, once, fetched concurrently, with the AWS requests it took.
    pub async fn gather_once(self) -> (Vec<Update>, BTreeMap<String, u64>) {
        match self {
            Backend::Demo { mut source, .. } => (vec![source.fetch().await], BTreeMap::new()),
            Backend::Aws { sdk, calls, .. } => {
                let mut sagemaker = SageMakerSource::new(&sdk, &calls);
                let (who, fleet) = tokio::join!(identify(&sdk, &calls), sagemaker.fetch());
                (vec![who, fleet], calls.counts())
            }
        }
    }
}

/// Tells the app the request counts whenever they change (checked every 2 s).
async fn report_calls(calls: ApiCalls, updates: mpsc::Sender<Update>) {
    let mut sent = BTreeMap::new();
    loop {
        let now = calls.counts();
        if now != sent {
            if updates.send(Update::ApiCalls(now.clone())).await.is_err() {
                return;
            }
            sent = now;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn identify(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> Update {
    Update::Identity(
        aws::identify(sdk, calls)
            .await
            .map(|(account, _arn)| account),
    )
}
