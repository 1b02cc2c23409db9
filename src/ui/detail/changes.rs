//! The model's changes in the detail view: the newest deploy and what moved since
//! (one line under the stage strip), and its recent changes (a panel).

use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::changes::{glyph, line};
use super::super::widgets::panel;
use crate::app::App;
use crate::config::Theme;
use crate::model::deltas;

/// How many of the model's changes the panel lists.
const LISTED: usize = 5;

/// "▲ since v7 was deployed 14:02 by ci-deploy-role: p99 ×4.8, 5xx 0.1% → 6.5% ·
/// UpdateEndpoint …": what moved first, so a narrow screen cuts only the call.
pub fn since_line<'a>(model: &str, app: &App, theme: &Theme) -> Option<Line<'a>> {
    let (change, moved) = app.last_change(model)?;
    let who = change
        .who
        .as_deref()
        .map(|w| format!(" by {w}"))
        .unwrap_or_default();
    let what = match app.deployed_version(model, change) {
        Some(v) => format!("v{v} was deployed"),
        None => "the deploy".to_string(),
    };
    let head = format!(
        " {} since {what} {}{who}: ",
        glyph(change.kind),
        change.time.strftime("%H:%M")
    );
    let (moved, style) = match deltas::words(&moved) {
        Some(words) => (words, theme.warn),
        None => ("nothing moved".to_string(), theme.dim),
    };
    Some(Line::from(vec![
        Span::styled(head, theme.text),
        Span::styled(moved, style),
        Span::styled(format!(" · {}", change.what), theme.dim),
    ]))
}

/// The model's newest changes, and the rows they take; None when it has none.
pub fn panel_of<'a>(
    model: &str,
    app: &App,
    theme: &Theme,
    width: u16,
) -> Option<(Paragraph<'a>, u16)> {
    let inner = width.saturating_sub(2) as usize;
    let lines: Vec<Line> = app
        .model_changes(model)
        .take(LISTED)
        .map(|c| line(c, app.now(), theme, false, inner))
        .collect();
    let rows = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    (!lines.is_empty()).then(|| {
        let title = format!(" changes · :changes /{model} for all ");
        (Paragraph::new(lines).block(panel(theme, title)), rows)
    })
}
