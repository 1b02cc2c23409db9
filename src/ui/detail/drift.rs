//! The detail view's drift panel: Model Monitor's violated features, and drift
//! computed from captured traffic — the worst features with their statistic and
//! threshold (and where it was set), what the figures rest on, and the worst
//! feature's histogram, baseline beside current, when there is room.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::super::widgets::{panel, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::captured::{CapturedDrift, FeatureDrift};
use crate::model::distribution::shares;
use crate::model::drift::{decided_by, judge_feature, DriftSource};
use crate::model::facts::ModelFacts;
use crate::model::metrics::names;
use crate::model::{format, Health};

/// Features listed before the histogram.
const MAX_FEATURES: usize = 5;

pub fn draw(frame: &mut Frame, area: Rect, m: &ModelFacts, app: &App, theme: &Theme) {
    let block = panel(theme, title(m, app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = usize::from(inner.width);
    let mut lines = violations(m, theme, width);
    if let Some(c) = &m.drift.captured {
        lines.extend(captured(c, m, app, theme, width, usize::from(inner.height)));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no drift report, metric or captured traffic",
            theme.dim,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn title(m: &ModelFacts, app: &App) -> String {
    let d = &m.drift;
    let mut parts = vec!["drift".to_string()];
    let source = decided_by(m, app.rules(), app.now());
    if let Some(source) = source {
        parts.push(format!("decided by {}", source.title()));
    }
    if let Some(t) = d.report_time {
        parts.push(format!(
            "{} violated · report {} ago",
            d.violations.len(),
            format::age_since(t, app.now())
        ));
    }
    if let Some(r) = &d.monitoring {
        let ago = format::age_since(r.scheduled, app.now());
        parts.push(format!("run {} {ago} ago", r.status));
    }
    if let Some(c) = &d.captured {
        parts.push(match source {
            Some(DriftSource::DataCapture) => c.method.metric().to_string(),
            _ => format!("captured traffic · {}", c.method.metric()),
        });
    }
    format!(" {} ", parts.join(" · "))
}

/// The newest report's violated features, with Model Monitor's drift distance.
fn violations<'a>(m: &ModelFacts, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    m.drift
        .violations
        .iter()
        .map(|v| {
            let distance = m
                .metrics
                .get(&format!("{}{}", names::FEATURE_DRIFT_PREFIX, v.feature))
                .and_then(|s| s.latest())
                .map_or(String::new(), |(_, v)| format!(" {v:.2}"));
            let text = format!("✖ {} · {}{distance}", v.feature, v.check);
            Line::styled(truncate(&text, width), theme.warn)
        })
        .collect()
}

/// What the figures rest on, the features worst first, then the histogram of the
/// worst one when `height` leaves room for it.
fn captured<'a>(
    c: &CapturedDrift,
    m: &ModelFacts,
    app: &App,
    theme: &Theme,
    width: usize,
    height: usize,
) -> Vec<Line<'a>> {
    let s = &c.sample;
    let mut lines = Vec::new();
    let mut rests = format!(
        "{} baseline · {} captured in {} h",
        s.baseline, s.current, s.window_hours
    );
    if s.skipped > 0 {
        rests.push_str(&format!(" · {} skipped", s.skipped));
    }
    if c.unread_files > 0 {
        rests.push_str(&format!(" · {} files next refresh", c.unread_files));
    }
    lines.push(Line::styled(truncate(&rests, width), theme.text));
    if !c.baseline.is_empty() {
        lines.push(Line::styled(
            truncate(&format!("baseline: {}", c.baseline), width),
            theme.dim,
        ));
    }
    if let Some(p) = &c.problem {
        lines.push(Line::styled(truncate(&format!("⚠ {p}"), width), theme.warn));
    }
    if let Some(w) = &c.waiting {
        lines.push(Line::styled(truncate(&format!("… {w}"), width), theme.dim));
    }
    let rules = app.rules();
    let judged: Vec<(&FeatureDrift, Health, String)> = c
        .features
        .iter()
        .take(MAX_FEATURES)
        .chain(&c.prediction)
        .map(|f| {
            let (h, threshold) = judge_feature(c, rules, &m.name, f);
            let level = threshold.map_or("no threshold".into(), |(t, from)| {
                let levels = [
                    t.warn.map(|w| format!("warn {w}")),
                    t.crit.map(|c| format!("crit {c}")),
                ];
                let levels: Vec<String> = levels.into_iter().flatten().collect();
                format!("{} ({from})", levels.join(" "))
            });
            (f, h, level)
        })
        .collect();
    for (f, h, level) in &judged {
        let text = format!("{} {:<14} {:>5.2}  {level}", h.glyph(), f.name, f.statistic);
        lines.push(Line::styled(truncate(&text, width), theme.health(*h)));
    }
    let left = height.saturating_sub(lines.len());
    if let Some((worst, h, _)) = judged.first() {
        // A title line and one line per bin, else columns a few lines high.
        if left > worst.labels.len() {
            lines.extend(histogram(worst, *h, theme, width));
        } else if left >= 4 {
            lines.extend(columns(worst, *h, theme, width, left - 1));
        }
    }
    lines
}

/// The histogram as columns `rows` high, one pair per bin (baseline ░ then
/// current █, in eighths of a cell), when there is no room for a line per bin.
fn columns<'a>(
    f: &FeatureDrift,
    h: Health,
    theme: &Theme,
    width: usize,
    rows: usize,
) -> Vec<Line<'a>> {
    const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (baseline, current, most) = shares_of(f);
    let eighths = |share: f64| (share / most * (rows * 8) as f64).round() as usize;
    let cell = |e: usize, row: usize| LEVELS[e.saturating_sub((rows - 1 - row) * 8).min(8)];
    let first = f.labels.first().cloned().unwrap_or_default();
    let last = f.labels.last().cloned().unwrap_or_default();
    let mut lines = vec![Line::styled(
        truncate(
            &format!(
                "{}: baseline (dim) vs current, bins {first} … {last}",
                f.name
            ),
            width,
        ),
        theme.title,
    )];
    for row in 0..rows {
        let mut spans = Vec::new();
        for (b, c) in baseline.iter().zip(&current).take(width / 3) {
            spans.push(Span::styled(cell(eighths(*b), row).to_string(), theme.dim));
            spans.push(Span::styled(
                format!("{} ", cell(eighths(*c), row)),
                theme.health(h),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// Both histograms as shares, and the largest share (the bars' full length).
fn shares_of(f: &FeatureDrift) -> (Vec<f64>, Vec<f64>, f64) {
    let (baseline, current) = (shares(&f.baseline), shares(&f.current));
    let most = baseline
        .iter()
        .chain(&current)
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(f64::MIN_POSITIVE);
    (baseline, current, most)
}

/// One line per bin: its label, the baseline's share as a dim bar, the current
/// share as a bar in the feature's health colour, both in percent.
fn histogram<'a>(f: &FeatureDrift, h: Health, theme: &Theme, width: usize) -> Vec<Line<'a>> {
    let label_width = f
        .labels
        .iter()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(12);
    // Label, two gaps, two percent figures of 4 columns each.
    let bar_room = width.saturating_sub(label_width + 2 + 2 * 5) / 2;
    let (baseline, current, most) = shares_of(f);
    let bar = |share: f64| {
        let cells = (share / most * bar_room as f64).round() as usize;
        format!(
            "{:<bar_room$}",
            "█".repeat(cells.max(usize::from(share > 0.0)))
        )
    };
    let mut lines = vec![Line::styled(
        truncate(&format!("{}: baseline ░ vs current █", f.name), width),
        theme.title,
    )];
    for ((label, b), c) in f.labels.iter().zip(&baseline).zip(&current) {
        let label = truncate(label, label_width);
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>label_width$} "), theme.dim),
            Span::styled(bar(*b).replace('█', "░"), theme.dim),
            Span::styled(format!("{:>4.0}%", b * 100.0), theme.dim),
            Span::raw(" "),
            Span::styled(bar(*c), theme.health(h)),
            Span::styled(format!("{:>4.0}%", c * 100.0), theme.text),
        ]));
    }
    lines
}
