//! The `?` overlay: generated from the active key bindings, so it cannot drift.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::widgets::{centered, panel, GLYPH_BUSY, GLYPH_STALE};
use crate::app::{App, COMMAND_NAMES};
use crate::config::Theme;
use crate::model::Health;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let bindings = app.keymap().bindings();
    // Too tall for the screen (80x24): two columns, so every binding stays visible.
    let rows = bindings.len() + 5;
    let per_column = if rows + 2 > usize::from(area.height) {
        bindings.len().div_ceil(2)
    } else {
        bindings.len()
    };
    let columns: Vec<Vec<Line>> = bindings
        .chunks(per_column.max(1))
        .map(|chunk| {
            let key_w = chunk
                .iter()
                .map(|b| b.keys.join(", ").chars().count())
                .max()
                .unwrap_or(0);
            chunk
                .iter()
                .map(|b| {
                    Line::from(vec![
                        Span::styled(format!(" {:<key_w$}  ", b.keys.join(", ")), theme.key),
                        Span::styled(b.desc.clone(), theme.text),
                    ])
                })
                .collect()
        })
        .collect();
    let widths: Vec<u16> = columns
        .iter()
        .map(|c| c.iter().map(|l| l.width()).max().unwrap_or(20) as u16 + 1)
        .collect();
    let footer = vec![commands(theme), legend(theme)];
    let footer_w = footer.iter().map(Line::width).max().unwrap_or(0) as u16;
    let width = widths.iter().sum::<u16>().max(footer_w) + 3;
    let height = u16::try_from(columns.iter().map(Vec::len).max().unwrap_or(0))
        .unwrap_or(u16::MAX)
        .saturating_add(5);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = panel(theme, " Keybindings · ? or esc closes ");
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let mut x = inner.x;
    for (column, w) in columns.into_iter().zip(widths) {
        let rect = Rect {
            x,
            width: w.min(inner.right().saturating_sub(x)),
            height: inner.height.saturating_sub(3),
            ..inner
        };
        frame.render_widget(Paragraph::new(column), rect);
        x = x.saturating_add(w);
    }
    let bottom = Rect {
        y: inner.bottom().saturating_sub(2),
        height: inner.height.min(2),
        ..inner
    };
    frame.render_widget(Paragraph::new(footer), bottom);
}

/// The `:` commands, on one line (not :help: this is it).
fn commands(theme: &Theme) -> Line<'static> {
    let names: Vec<String> = COMMAND_NAMES
        .iter()
        .filter(|n| **n != "help")
        .map(|n| match *n {
            "model" => ":model NAME".to_string(),
            n => format!(":{n}"),
        })
        .collect();
    Line::styled(format!(" {}", names.join(" ")), theme.key)
}

/// What the glyphs mean, on one line.
fn legend(theme: &Theme) -> Line<'static> {
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
    Line::from(legend)
}
