//! How the model was recognised: how its name was found, every piece joined to it
//! and how, and how each published number was read (its scale and why).

use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::widgets::panel;
use crate::config::Theme;
use crate::model::facts::ModelFacts;
use crate::model::format;
use crate::model::units::Scale;

/// The panel and the lines it wants.
pub fn panel_of<'a>(m: &'a ModelFacts, theme: &Theme) -> Option<(Paragraph<'a>, u16)> {
    let mut lines: Vec<Line> = Vec::new();
    if let Some(id) = &m.identity {
        lines.push(Line::from(vec![
            Span::styled(format!("by {}: ", id.by.label()), theme.title),
            Span::raw(id.evidence.as_str()),
        ]));
        // The piece that gave the name says nothing the first line does not.
        for p in id.pieces.iter().filter(|p| p.evidence != id.evidence) {
            lines.push(Line::from(vec![
                Span::raw(format!(" {} ", p.what)),
                Span::styled(format!("[{}] ", p.by.label()), theme.dim),
                Span::styled(p.evidence.as_str(), theme.dim),
            ]));
        }
    }
    for (metric, published) in &m.published {
        let Some((_, shown)) = m.metrics.get(metric).and_then(|s| s.latest()) else {
            continue;
        };
        let value = format::value_as(shown, published.scale.is_percent());
        let raw = match published.scale {
            Scale::Fraction => format!(" = {:.4} as published", published.scale.raw(shown)),
            Scale::Percent | Scale::Plain => String::new(),
        };
        lines.push(Line::from(vec![
            Span::raw(format!(" {metric} {value}{raw} ")),
            Span::styled(format!("[{}] ", published.scale.label()), theme.dim),
            Span::styled(published.why.as_str(), theme.dim),
        ]));
    }
    if lines.is_empty() {
        return None;
    }
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2);
    // One line each, cut at the panel's edge: the whole text is in `snapshot --json`.
    let p = Paragraph::new(lines).block(panel(theme, " recognised "));
    Some((p, height))
}
