//! Endpoint configs, described once: a config never changes after it is created, so
//! what DescribeEndpointConfig said is kept for the session and remembered for the
//! next. A name can be deleted and created again, so a config learned before the
//! endpoint serving it last changed (or before it was created) is described again.

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sagemaker::Client;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::super::timestamp;
use crate::aws::errors::describe;
use crate::source::aws::fan_out::lock;
use crate::source::turns::Turns;

/// What an endpoint config says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub created: Timestamp,
    /// Its production variants, in the config's order.
    pub variants: Vec<ConfiguredVariant>,
    /// When it was described.
    pub learned: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfiguredVariant {
    pub name: String,
    /// The SageMaker model it serves.
    pub model: Option<String>,
    pub initial_weight: Option<f32>,
    pub initial_instances: Option<i32>,
}

impl Config {
    /// The model its first variant serves.
    pub fn first_model(&self) -> Option<&str> {
        self.variants.first().and_then(|v| v.model.as_deref())
    }
}

/// Configs described so far, by name, and the names being described now: many
/// endpoints look at the same older configs at once, and each is asked for once.
#[derive(Default)]
pub struct Configs(Mutex<HashMap<String, Config>>, Turns);

impl Configs {
    /// The config named `name`, described when first asked for or when what was
    /// learned is older than `valid_after`.
    pub async fn get(
        &self,
        client: &Client,
        name: &str,
        valid_after: Timestamp,
    ) -> Result<Config, String> {
        let known = |configs: &Configs| {
            let known = lock(&configs.0).get(name).cloned();
            known.filter(|c| c.learned >= valid_after)
        };
        if let Some(known) = known(self) {
            return Ok(known);
        }
        // One describe per name at a time: who waited finds it learned.
        let _turn = self.1.take(name).await;
        if let Some(known) = known(self) {
            return Ok(known);
        }
        let learned = Timestamp::now();
        let d = client
            .describe_endpoint_config()
            .endpoint_config_name(name)
            .send()
            .await
            .map_err(|e| describe("sagemaker:DescribeEndpointConfig", &e))?;
        let config = Config {
            created: d
                .creation_time()
                .and_then(timestamp)
                .unwrap_or(Timestamp::UNIX_EPOCH),
            variants: d
                .production_variants()
                .iter()
                .filter_map(|p| {
                    Some(ConfiguredVariant {
                        name: p.variant_name()?.to_string(),
                        model: p.model_name().map(str::to_string),
                        initial_weight: p.initial_variant_weight(),
                        initial_instances: p.initial_instance_count(),
                    })
                })
                .collect(),
            learned,
        };
        lock(&self.0).insert(name.to_string(), config.clone());
        Ok(config)
    }

    /// Every config described so far, to be remembered.
    pub fn remembered(&self) -> HashMap<String, Config> {
        lock(&self.0).clone()
    }

    /// Starts from what a past session learned (before the first refresh).
    pub fn recall(&self, configs: HashMap<String, Config>) {
        *lock(&self.0) = configs;
    }

    pub fn len(&self) -> usize {
        lock(&self.0).len()
    }
}
