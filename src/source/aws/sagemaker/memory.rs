//! What the SageMaker source remembers between sessions, per account and region: the
//! descriptions that do not change (SageMaker models, package versions, endpoint
//! configs, finished training jobs, why a pipeline execution failed). A restart
//! describes only what can have changed since: the endpoints themselves.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::configs::Config;
use super::{lineage, training, SageMakerSource};
use crate::source::disk::JsonFile;

/// Bumped when the shape changes: an older file is then ignored, never misread.
const FORMAT: u32 = 3;

/// A registry of a thousand groups with twenty versions each is a few megabytes.
const MAX_BYTES: u64 = 32 << 20;

#[derive(Serialize, Deserialize)]
struct Remembered {
    lineage: lineage::Known,
    configs: HashMap<String, Config>,
    jobs: training::Known,
    pipeline_failures: HashMap<String, Option<String>>,
}

/// Where the descriptions are kept, and how many there were when last written.
pub(super) struct Memory {
    file: JsonFile,
    saved: usize,
}

impl SageMakerSource {
    /// Starts from what a past session described, kept in `path`, and keeps it
    /// there as more is learned: once the account (and so the file) is known.
    pub(super) fn recall_file(&mut self, path: PathBuf) {
        let file = JsonFile::new(path, MAX_BYTES).versioned(FORMAT);
        if let Some(past) = file.load::<Remembered>() {
            self.lineage.recall(past.lineage);
            self.configs.recall(past.configs);
            self.job_details.recall(past.jobs);
            self.pipeline_reasons.recall(past.pipeline_failures);
        }
        let saved = self.descriptions();
        self.memory = Some(Memory { file, saved });
    }

    /// Writes the descriptions when there are new ones.
    pub(super) fn remember(&mut self) {
        let held = self.descriptions();
        let Some(memory) = self.memory.as_mut().filter(|m| m.saved != held) else {
            return;
        };
        memory.file.save(&Remembered {
            lineage: self.lineage.remembered(),
            configs: self.configs.remembered(),
            jobs: self.job_details.remembered(),
            pipeline_failures: self.pipeline_reasons.remembered(),
        });
        memory.saved = held;
    }

    fn descriptions(&self) -> usize {
        self.lineage.len()
            + self.configs.len()
            + self.job_details.len()
            + self.pipeline_reasons.len()
    }
}
