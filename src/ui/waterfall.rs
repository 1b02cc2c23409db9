//! One trace as a waterfall: each segment a bar on the trace's time axis, nested by
//! parent, with its duration, HTTP status and fault/error; the culprit (most time of
//! its own) marked.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::traces::severity;
use super::widgets::{panel, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::Health;

const NAME_WIDTH: usize = 34;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let trace = app.traces().and_then(|t| {
        t.traces
            .iter()
            .find(|tr| Some(tr.id.as_str()) == app.trace())
    });
    let Some(trace) = trace else {
        let msg = "this trace is no longer in the window";
        frame.render_widget(
            Paragraph::new(msg)
                .style(theme.warn)
                .block(panel(theme, " trace ")),
            area,
        );
        return;
    };
    let title = format!(
        " {} · {} · {:.0} ms · esc back ",
        trace.id,
        trace.entry.as_deref().unwrap_or("?"),
        trace.duration_ms
    );
    let block = panel(theme, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(w) = &trace.waterfall else {
        let msg = "only the worst few traces are fetched in full (X-Ray bills per trace)";
        frame.render_widget(Paragraph::new(msg).style(theme.dim), inner);
        return;
    };
    let culprit = trace.culprit().map(|s| (s.name.clone(), s.start_ms));
    let total = w
        .spans
        .iter()
        .map(|s| s.start_ms + s.duration_ms)
        .fold(trace.duration_ms, f64::max)
        .max(1.0);
    // Room after the bar for the duration, the status and the culprit's mark.
    let bar_width = usize::from(inner.width)
        .saturating_sub(NAME_WIDTH + 28)
        .max(10);
    let mut lines: Vec<Line> = w
        .spans
        .iter()
        .map(|s| {
            let h = severity(s.fault, s.error || s.throttle);
            let name = format!("{}{}", "  ".repeat(s.depth.min(8)), s.name);
            let from = ((s.start_ms / total) * bar_width as f64).round() as usize;
            let len = (((s.duration_ms / total) * bar_width as f64).round() as usize).max(1);
            let len = len.min(bar_width.saturating_sub(from).max(1));
            let is_culprit = culprit.as_ref() == Some(&(s.name.clone(), s.start_ms));
            let style = match (h, is_culprit) {
                (Health::Ok, true) => theme.warn,
                (Health::Ok, false) => theme.chart,
                _ => theme.health(h),
            };
            Line::from(vec![
                TextSpan::styled(
                    format!("{:<NAME_WIDTH$}", truncate(&name, NAME_WIDTH - 1)),
                    theme.text,
                ),
                TextSpan::raw(" ".repeat(from.min(bar_width))),
                TextSpan::styled("█".repeat(len), style),
                TextSpan::raw(" ".repeat(bar_width.saturating_sub(from + len))),
                TextSpan::styled(format!(" {:>7.0}ms", s.duration_ms), theme.text),
                TextSpan::styled(
                    format!(" {}", s.http_status.map_or("   ".into(), |c| c.to_string())),
                    theme.health(h),
                ),
                TextSpan::styled(if is_culprit { " ◀ most time" } else { "" }, theme.warn),
            ])
        })
        .collect();
    if let Some(p) = &w.problem {
        lines.push(Line::styled(format!("⚠ {p}"), theme.warn));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
