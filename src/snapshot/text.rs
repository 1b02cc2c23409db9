//! The plain-text snapshot: the pipeline view as aligned text, no colours or escapes.

use std::fmt::Write;

use unicode_width::UnicodeWidthStr;

use super::Snapshot;
use crate::model::Stage;

pub fn render(s: &Snapshot) -> String {
    let mut out = String::new();
    let place = match (&s.account, &s.region) {
        (Some(a), Some(r)) => format!("{a} · {r}"),
        (None, Some(r)) => r.clone(),
        _ => s.source.to_string(),
    };
    let _ = writeln!(
        out,
        "mlopsdash snapshot · {place} · {} · {}",
        s.generated_at,
        s.health.label()
    );
    let mut rows = vec![std::iter::once("MODEL".to_string())
        .chain(Stage::ALL.iter().map(|st| st.title().to_string()))
        .collect::<Vec<_>>()];
    for m in &s.models {
        let mut row = vec![format!("{} {}", m.health.glyph(), m.name)];
        for cell in m.stages.in_order() {
            row.push(format!("{} {}", cell.health.glyph(), cell.summary));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| r[c].width()).max().unwrap_or(0))
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - cell.width())))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    for e in &s.errors {
        let _ = writeln!(out, "error: {}: {}", e.source, e.message);
    }
    // Names and messages come from tags and servers: no escape sequence reaches
    // the terminal (or the file) this is printed to.
    crate::model::secret::printable(&out)
}
