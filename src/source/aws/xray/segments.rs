//! X-Ray segment documents into a waterfall. The documents are JSON strings written
//! by every instrumented service: untrusted input. A malformed segment is skipped and
//! named in the waterfall's problem, never a panic; nesting and size are bounded.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;

use serde::Deserialize;

use crate::model::traces::{Span, Waterfall};

/// Deeper nesting than this is cut off (real traces nest a handful of levels).
const MAX_DEPTH: usize = 32;
/// Spans kept per trace: a waterfall longer than a screen or two says nothing more.
const MAX_SPANS: usize = 400;

#[derive(Deserialize)]
struct Doc {
    id: Option<String>,
    name: Option<String>,
    start_time: Option<f64>,
    end_time: Option<f64>,
    #[serde(default)]
    in_progress: bool,
    parent_id: Option<String>,
    #[serde(default)]
    fault: bool,
    #[serde(default)]
    error: bool,
    #[serde(default)]
    throttle: bool,
    http: Option<Http>,
    #[serde(default)]
    subsegments: Vec<Doc>,
}

#[derive(Deserialize)]
struct Http {
    response: Option<Response>,
}

#[derive(Deserialize)]
struct Response {
    status: Option<u16>,
}

/// The waterfall of one trace from its segment documents.
pub fn waterfall<'a>(documents: impl IntoIterator<Item = &'a str>) -> Waterfall {
    let mut docs = Vec::new();
    let mut bad = 0;
    for text in documents {
        match serde_json::from_str::<Doc>(text) {
            Ok(d) => docs.push(d),
            Err(_) => bad += 1,
        }
    }
    // Segments whose parent is a subsegment of another document hang under it.
    let mut children: HashMap<String, Vec<usize>> = HashMap::new();
    let mut ids = std::collections::HashSet::new();
    for d in &docs {
        collect_ids(d, &mut ids, 0);
    }
    let mut roots = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        match d.parent_id.as_ref().filter(|p| ids.contains(*p)) {
            Some(p) => children.entry(p.clone()).or_default().push(i),
            None => roots.push(i),
        }
    }
    let t0 = docs
        .iter()
        .filter_map(|d| d.start_time)
        .fold(f64::INFINITY, f64::min);
    let mut spans = Vec::new();
    let mut order: Vec<usize> = roots;
    order.sort_by(|a, b| start_of(&docs, *a).total_cmp(&start_of(&docs, *b)));
    let mut w = Walk {
        docs: &docs,
        children: &children,
        t0,
        spans: &mut spans,
        visited: vec![false; docs.len()],
    };
    for i in order {
        w.document(i, 0);
    }
    let problem = (bad > 0)
        .then(|| format!("{bad} segment document(s) were not valid X-Ray JSON and are left out"));
    Waterfall { spans, problem }
}

fn start(d: &Doc) -> f64 {
    d.start_time.unwrap_or(f64::INFINITY)
}

fn collect_ids(d: &Doc, ids: &mut std::collections::HashSet<String>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(id) = &d.id {
        ids.insert(id.clone());
    }
    for s in &d.subsegments {
        collect_ids(s, ids, depth + 1);
    }
}

/// When document `i` starts (documents out of range sort last).
fn start_of(docs: &[Doc], i: usize) -> f64 {
    docs.get(i).map_or(f64::INFINITY, start)
}

struct Walk<'a> {
    docs: &'a [Doc],
    children: &'a HashMap<String, Vec<usize>>,
    t0: f64,
    spans: &'a mut Vec<Span>,
    /// A document is placed once, whatever its parent links say (cycles included).
    visited: Vec<bool>,
}

impl Walk<'_> {
    fn document(&mut self, i: usize, depth: usize) {
        match self.visited.get_mut(i) {
            Some(seen) if !*seen => *seen = true,
            _ => return,
        }
        let docs = self.docs;
        if let Some(d) = docs.get(i) {
            self.node(d, depth);
        }
    }

    fn node(&mut self, d: &Doc, depth: usize) {
        if depth > MAX_DEPTH || self.spans.len() >= MAX_SPANS {
            return;
        }
        let (begin, end) = (d.start_time.unwrap_or(self.t0), d.end_time);
        self.spans.push(Span {
            name: d.name.clone().unwrap_or_else(|| "(unnamed)".into()),
            depth,
            start_ms: ((begin - self.t0) * 1000.0).max(0.0),
            duration_ms: match (end, d.in_progress) {
                (Some(e), false) => ((e - begin) * 1000.0).max(0.0),
                _ => 0.0,
            },
            http_status: d.http.as_ref().and_then(|h| h.response.as_ref()?.status),
            fault: d.fault,
            error: d.error,
            throttle: d.throttle,
        });
        let mut subs: Vec<&Doc> = d.subsegments.iter().collect();
        subs.sort_by(|a, b| start(a).total_cmp(&start(b)));
        for s in subs {
            self.node(s, depth + 1);
        }
        // Documents of their own whose parent is this (sub)segment.
        let linked = d.id.as_ref().and_then(|id| self.children.get(id)).cloned();
        let mut linked = linked.unwrap_or_default();
        linked.sort_by(|a, b| start_of(self.docs, *a).total_cmp(&start_of(self.docs, *b)));
        for i in linked {
            self.document(i, depth + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const API: &str = r#"{"id":"a1","name":"retail-api","start_time":100.000,"end_time":101.250,
        "http":{"response":{"status":200}},
        "subsegments":[{"id":"s1","name":"feature-service","start_time":100.010,"end_time":100.060},
                       {"id":"s2","name":"demand-forecasting-prod","start_time":100.070,"end_time":101.240}]}"#;
    const ENDPOINT: &str = r#"{"id":"e1","name":"SageMaker","parent_id":"s2","start_time":100.080,"end_time":101.230,
        "fault":true,"http":{"response":{"status":500}}}"#;

    #[test]
    fn segments_nest_under_their_parents_on_one_time_axis() {
        let w = waterfall([API, ENDPOINT]);
        let shape: Vec<(&str, usize, u64, u64)> = w
            .spans
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    s.depth,
                    s.start_ms.round() as u64,
                    s.duration_ms.round() as u64,
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                ("retail-api", 0, 0, 1250),
                ("feature-service", 1, 10, 50),
                ("demand-forecasting-prod", 1, 70, 1170),
                ("SageMaker", 2, 80, 1150),
            ]
        );
        assert_eq!(
            (w.spans[3].http_status, w.spans[3].fault),
            (Some(500), true)
        );
        assert_eq!(w.problem, None);
    }

    #[test]
    fn bad_documents_are_left_out_and_said() {
        let w = waterfall([API, "{not json", r#"{"name": 5}"#]);
        assert_eq!(w.spans.len(), 3);
        assert!(w.problem.unwrap().starts_with("2 segment document(s)"));
    }

    #[test]
    fn parent_cycles_and_deep_nesting_end() {
        let a = r#"{"id":"x","parent_id":"y","name":"a","start_time":1,"end_time":2}"#;
        let b = r#"{"id":"y","parent_id":"x","name":"b","start_time":1,"end_time":2}"#;
        // Both have a parent, so neither is a root: nothing to draw, and no hang.
        assert_eq!(waterfall([a, b]).spans.len(), 0);
        let deep = |levels: usize| {
            format!(
                "{}{}",
                r#"{"name":"d","start_time":1,"end_time":2,"subsegments":["#.repeat(levels),
                "]}".repeat(levels)
            )
        };
        // Drawn down to the depth bound, no further.
        let w = waterfall([deep(40).as_str()]);
        let depths: Vec<usize> = w.spans.iter().map(|s| s.depth).collect();
        assert_eq!(depths, (0..=MAX_DEPTH).collect::<Vec<_>>());
        // Deeper than the parser goes: refused and said, not a stack overflow.
        let w = waterfall([deep(100).as_str()]);
        assert!(w.spans.is_empty());
        assert!(w.problem.is_some());
    }

    proptest! {
        #[test]
        fn any_text_gives_a_waterfall_never_a_panic(docs in proptest::collection::vec(".{0,200}", 0..6)) {
            let w = waterfall(docs.iter().map(String::as_str));
            prop_assert!(w.spans.len() <= MAX_SPANS);
        }

        #[test]
        fn any_prefix_of_a_real_document_is_safe(cut in 0..API.len()) {
            // A cut document is said, and the whole one beside it still drawn.
            let w = waterfall([&API[..cut], ENDPOINT]);
            prop_assert!(w.problem.is_some(), "cut at {}", cut);
            prop_assert!(w.spans.iter().any(|s| s.name == "SageMaker"));
        }
    }
}
