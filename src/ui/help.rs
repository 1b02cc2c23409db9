//! The `?` overlay: generated from the active key bindings, so it cannot drift.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::widgets::{centered, panel, GLYPH_BUSY, GLYPH_STALE};
use crate::app::App;
use crate::config::Theme;
use crate::model::Health;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bindings = app.keymap.bindings();
    let key_w = bindings
        .iter()
        .map(|b| b.keys.join(", ").chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = bindings
        .iter()
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<key_w$}  ", b.keys.join(", ")), theme.key),
                Span::styled(b.desc.clone(), theme.text),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    let mut legend = vec![Span::raw(" ")];
    for h in [Health::Ok, Health::Warn, Health::Crit, Health::Unknown] {
        legend.push(Span::styled(
            format!("{} {}  ", h.glyph(), h.label()),
            theme.health(h),
        ));
    }
    legend.push(Span::styled(format!("{GLYPH_STALE} stale  "), theme.stale));
    legend.push(Span::styled(
        format!("{GLYPH_BUSY} in progress"),
        theme.text,
    ));
    lines.push(Line::from(legend));
    let width = lines.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 3;
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(panel(theme, " Keybindings · ? or esc closes ")),
        popup,
    );
}
