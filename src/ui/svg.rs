//! Renders a ratatui buffer as an SVG image: how `screenshots/` is made from real
//! frames of the real views, not drawn by hand.

use std::fmt::Write;

use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f64 = 8.4;
const CELL_H: f64 = 17.0;
const DEFAULT_FG: &str = "#d0d0d0";
const DEFAULT_BG: &str = "#1c1c1c";

/// The 16 named colours as xterm draws them.
const NAMED: [&str; 16] = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#a0a0a0",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#e5e5e5",
];

/// Every colour a theme can name, as a terminal shows it: the named 16, xterm's
/// 256-colour palette (6×6×6 cube and grey ramp), and RGB.
fn hex(c: Color, fallback: &str) -> String {
    let named = |i: usize| NAMED.get(i).copied().unwrap_or(fallback).to_string();
    match c {
        Color::Reset => fallback.to_string(),
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) if i < 16 => named(usize::from(i)),
        Color::Indexed(i) if i < 232 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
            let i = i - 16;
            format!(
                "#{:02x}{:02x}{:02x}",
                level(i / 36),
                level((i / 6) % 6),
                level(i % 6)
            )
        }
        Color::Indexed(i) => {
            let grey = 8 + 10 * (i - 232);
            format!("#{grey:02x}{grey:02x}{grey:02x}")
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// How one cell looks: what a run of cells shares.
#[derive(Clone, PartialEq)]
struct Look {
    fg: String,
    bg: String,
    modifier: Modifier,
}

fn look(cell: &ratatui::buffer::Cell) -> Look {
    let (fg, bg) = match cell.modifier.contains(Modifier::REVERSED) {
        true => (hex(cell.bg, DEFAULT_BG), hex(cell.fg, DEFAULT_FG)),
        false => (hex(cell.fg, DEFAULT_FG), hex(cell.bg, DEFAULT_BG)),
    };
    Look {
        fg,
        bg,
        modifier: cell.modifier,
    }
}

/// The SVG attributes of a text run's modifiers.
fn text_attributes(m: Modifier) -> String {
    let mut attrs = String::new();
    if m.contains(Modifier::BOLD) {
        attrs.push_str(r#" font-weight="bold""#);
    }
    if m.contains(Modifier::ITALIC) {
        attrs.push_str(r#" font-style="italic""#);
    }
    if m.contains(Modifier::DIM) {
        attrs.push_str(r#" opacity="0.6""#);
    }
    let lines: Vec<&str> = [
        (Modifier::UNDERLINED, "underline"),
        (Modifier::CROSSED_OUT, "line-through"),
    ]
    .into_iter()
    .filter(|(flag, _)| m.contains(*flag))
    .map(|(_, name)| name)
    .collect();
    if !lines.is_empty() {
        let _ = write!(attrs, r#" text-decoration="{}""#, lines.join(" "));
    }
    attrs
}

pub fn render(buf: &Buffer) -> String {
    let area = buf.area;
    let (w, h) = (area.width as f64 * CELL_W, area.height as f64 * CELL_H);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="{DEFAULT_BG}"/>"#
    );
    for y in 0..area.height {
        let cells: Vec<(u16, &ratatui::buffer::Cell)> = (0..area.width)
            .filter_map(|x| Some((x, buf.cell((area.x + x, area.y + y))?)))
            .collect();
        // Runs of cells that look alike: one rect and one text each.
        let mut start = 0;
        while let Some((x0, first)) = cells.get(start) {
            let style = look(first);
            let len = cells
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|(_, c)| look(c) == style)
                .count();
            let run = cells.get(start..start + len).unwrap_or_default();
            start += len.max(1);
            let (px, py) = (f64::from(*x0) * CELL_W, f64::from(y) * CELL_H);
            let width = len as f64 * CELL_W;
            if style.bg != DEFAULT_BG {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{width:.1}" height="{CELL_H}" fill="{}"/>"#,
                    style.bg
                );
            }
            let text: String = run.iter().map(|(_, c)| c.symbol()).collect();
            if text.trim().is_empty() || style.modifier.contains(Modifier::HIDDEN) {
                continue;
            }
            // textLength pins the run to its cells, whatever the font's glyph widths.
            let _ = writeln!(
                out,
                r#"<text x="{px:.1}" y="{:.1}" fill="{}" textLength="{width:.1}" lengthAdjust="spacingAndGlyphs"{}>{}</text>"#,
                py + CELL_H * 0.78,
                style.fg,
                text_attributes(style.modifier),
                escape(&text)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::Style;

    #[test]
    fn runs_of_one_look_become_one_text_with_their_colours() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        buf.set_string(0, 0, "ab<", Style::default().fg(Color::Red));
        let svg = render(&buf);
        assert!(
            svg.contains(r##"fill="#cd3131" textLength="25.2""##),
            "{svg}"
        );
        assert!(svg.contains(">ab&lt;</text>"), "{svg}");
        assert_eq!(svg.matches("<text").count(), 1, "{svg}");
        assert!(svg.starts_with("<svg"));
    }

    #[test]
    fn every_colour_and_modifier_the_themes_use_is_drawn() {
        assert_eq!(hex(Color::Indexed(1), "x"), "#cd3131");
        assert_eq!(hex(Color::Indexed(196), "x"), "#ff0000");
        assert_eq!(hex(Color::Indexed(16), "x"), "#000000");
        assert_eq!(hex(Color::Indexed(244), "x"), "#808080");
        let mut buf = Buffer::empty(Rect::new(0, 0, 5, 1));
        let styled = Style::default()
            .fg(Color::Indexed(208))
            .bg(Color::Indexed(236))
            .add_modifier(Modifier::ITALIC | Modifier::UNDERLINED | Modifier::DIM);
        buf.set_string(0, 0, "stale", styled);
        let svg = render(&buf);
        assert!(svg.contains(r##"fill="#303030""##), "{svg}");
        assert!(svg.contains(r##"fill="#ff8700""##), "{svg}");
        assert!(svg.contains(r#"font-style="italic""#), "{svg}");
        assert!(svg.contains(r#"text-decoration="underline""#), "{svg}");
        assert!(svg.contains(r#"opacity="0.6""#), "{svg}");
        // Reversed: the colours swap, as the selected row shows.
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 1));
        let selected = Style::default()
            .fg(Color::Blue)
            .add_modifier(Modifier::REVERSED);
        buf.set_string(0, 0, "sel", selected);
        let svg = render(&buf);
        assert!(
            svg.contains(r##"<rect x="0.0" y="0.0" width="25.2" height="17" fill="#2472c8"/>"##),
            "{svg}"
        );
    }
}
