//! Small pieces every view draws with: health glyphs, cells, truncation, tables.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Table, TableState};
use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::config::Theme;
use crate::model::{Health, StageStatus};

pub const GLYPH_STALE: &str = "◌";
pub const GLYPH_BUSY: &str = "◐";

/// Style and glyph for a health, drawn as stale when the data behind it is old:
/// old data is never drawn green.
pub fn health_mark(theme: &Theme, h: Health, stale: bool) -> (&'static str, Style) {
    match (stale, h) {
        (true, Health::Ok | Health::Unknown) => (GLYPH_STALE, theme.stale),
        (true, _) => (h.glyph(), theme.stale),
        (false, _) => (h.glyph(), theme.health(h)),
    }
}

/// A stage cell: glyph and short fact, fitted to `width`.
pub fn stage_cell<'a>(theme: &Theme, s: &StageStatus, stale: bool, width: usize) -> Line<'a> {
    let (mut mark, style) = health_mark(theme, s.health, stale);
    if s.in_progress && !stale {
        mark = GLYPH_BUSY;
    }
    let room = width.saturating_sub(2);
    let text = if s.summary.width() <= room {
        &s.summary
    } else {
        &s.brief
    };
    let text = truncate(text, room);
    Line::from(vec![
        Span::styled(mark, style),
        Span::raw(" "),
        Span::styled(text, style),
    ])
}

/// Cuts `s` to at most `width` columns, ending with `…` when cut.
pub fn truncate(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Cuts `s` from the left, keeping its end (where job and config names differ).
pub fn truncate_left(s: &str, width: usize) -> String {
    if s.width() <= width {
        return s.to_string();
    }
    let reversed: String = s.chars().rev().collect();
    truncate(&reversed, width).chars().rev().collect()
}

/// The framed block each view sits in.
pub fn panel<'a>(theme: &Theme, title: impl Into<Line<'a>>) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Plain)
        .border_style(theme.border)
        .title(title.into().style(theme.title))
}

/// A title with a count, e.g. " pipeline (2/4) /dem ".
pub fn list_title(view: &str, shown: usize, total: usize, filter: &str) -> String {
    match (shown == total, filter.is_empty()) {
        (true, true) => format!(" {view} ({total}) "),
        _ => format!(" {view} ({shown}/{total}) /{filter} "),
    }
}

/// Draws a list view's table with the cursor row highlighted (none when empty).
pub fn render_list(
    frame: &mut Frame,
    area: Rect,
    table: Table,
    theme: &Theme,
    cursor: usize,
    len: usize,
) {
    let mut state = TableState::default().with_selected((len > 0).then_some(cursor));
    let table = table
        .row_highlight_style(theme.selected)
        .highlight_symbol("▶");
    frame.render_stateful_widget(table, area, &mut state);
}

/// The rectangle of `width` x `height` centred in `area`, clipped to it.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("recommendation-engine", 10), "recommend…");
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("abc", 1), "…");
        assert_eq!(truncate_left("demand-train-20261122", 10), "…-20261122");
    }

    #[test]
    fn centered_never_exceeds_the_area() {
        let area = Rect::new(0, 0, 20, 5);
        let r = centered(area, 60, 30);
        assert_eq!((r.width, r.height), (20, 5));
    }
}
