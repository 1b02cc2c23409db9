//! Drift mlopsdash computes itself from an endpoint's captured traffic (Data
//! Capture), for teams without Model Monitor: per feature, the baseline's and the
//! current window's histograms over the same bins and how far apart they are.

use serde::{Deserialize, Serialize};

use super::distribution::{Bins, Method};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapturedDrift {
    pub method: Method,
    /// Worst first.
    pub features: Vec<FeatureDrift>,
    /// The endpoint's output compared the same way, when it could be read.
    pub prediction: Option<FeatureDrift>,
    pub sample: DriftSample,
    /// Where the baseline came from, e.g. "Model Monitor statistics s3://…".
    pub baseline: String,
    /// Where the captured traffic is read, "s3://bucket/prefix/endpoint/".
    pub capture: String,
    /// What kept the figure from being whole: no baseline yet, columns that do not
    /// match, a file that could not be read.
    pub problem: Option<String>,
    /// What the figure waits for, when there is none yet (the reference window
    /// filling, no traffic): unknown, not a problem.
    pub waiting: Option<String>,
    /// Captured files in the window not read yet (the bytes bound): read at the
    /// next refreshes.
    pub unread_files: u64,
}

/// How many records the figures rest on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriftSample {
    pub baseline: u64,
    pub current: u64,
    /// Captured records (or lines) that could not be parsed.
    pub skipped: u64,
    pub window_hours: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    pub name: String,
    pub statistic: f64,
    pub labels: Vec<String>,
    pub baseline: Vec<u64>,
    pub current: Vec<u64>,
}

impl FeatureDrift {
    /// Compares two histograms over `bins`; None when either is empty (nothing to
    /// compare is unknown, not "no drift").
    pub fn compare(
        name: &str,
        bins: &Bins,
        baseline: &[u64],
        current: &[u64],
        method: Method,
    ) -> Option<FeatureDrift> {
        let empty = |c: &[u64]| c.iter().sum::<u64>() == 0;
        if baseline.len() != bins.bin_count() || current.len() != bins.bin_count() {
            return None;
        }
        if empty(baseline) || empty(current) {
            return None;
        }
        Some(FeatureDrift {
            name: name.to_string(),
            statistic: method.between(baseline, current),
            labels: bins.labels(),
            baseline: baseline.to_vec(),
            current: current.to_vec(),
        })
    }
}

impl CapturedDrift {
    /// Nothing compared (yet): what waits or went wrong is set by the caller.
    pub fn empty(method: Method, window_hours: u32) -> CapturedDrift {
        CapturedDrift {
            method,
            features: Vec::new(),
            prediction: None,
            sample: DriftSample {
                window_hours,
                ..DriftSample::default()
            },
            baseline: String::new(),
            capture: String::new(),
            problem: None,
            waiting: None,
            unread_files: 0,
        }
    }

    /// With these problems, in one line.
    pub fn with_problems(mut self, problems: Vec<String>) -> CapturedDrift {
        if !problems.is_empty() {
            self.problem = Some(problems.join("; "));
        }
        self
    }

    /// Features sorted worst first (ties by name).
    pub fn sorted(mut self) -> CapturedDrift {
        self.features.sort_by(|a, b| {
            b.statistic
                .total_cmp(&a.statistic)
                .then_with(|| a.name.cmp(&b.name))
        });
        self
    }
}
