//! `:traces`: X-Ray's service map of the window, worst first, and the slowest and
//! faulty traces; Enter opens one as a waterfall.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::widgets::{panel, render_list, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::traces::{ServiceNode, TraceSummary};
use crate::model::Health;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.traces() else {
        let text = "no traces yet (X-Ray answers once the sources start)";
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim)
                .block(panel(theme, " traces ")),
            area,
        );
        return;
    };
    let map_height = u16::try_from(t.services.len())
        .unwrap_or(u16::MAX)
        .saturating_add(3)
        .min(area.height / 2);
    let [map, list] =
        Layout::vertical([Constraint::Length(map_height), Constraint::Fill(1)]).areas(area);
    frame.render_widget(services(&t.services, t.window_minutes, theme), map);
    let title = match &t.problem {
        Some(why) => format!(" traces: {} ", truncate(why, 80)),
        None => format!(
            " traces ({}) · faulty, then slowest · enter: waterfall ",
            t.traces.len()
        ),
    };
    let rows = t.traces.iter().map(|tr| trace_row(tr, theme));
    let table = Table::new(
        rows,
        [
            Constraint::Length(38),
            Constraint::Length(9),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["TRACE", " DURATION", "STATUS", "REQUEST"]).style(theme.title))
    .block(panel(theme, title));
    render_list(frame, list, table, theme, app.cursor(), t.traces.len());
}

/// How bad a service or span looks: faults crit, errors and throttles warn.
pub fn severity(fault: bool, error_or_throttle: bool) -> Health {
    match (fault, error_or_throttle) {
        (true, _) => Health::Crit,
        (false, true) => Health::Warn,
        _ => Health::Ok,
    }
}

fn services<'a>(services: &'a [ServiceNode], window: i64, theme: &Theme) -> Table<'a> {
    let rows = services.iter().map(|s| {
        let h = severity(
            s.fault_rate >= 1.0,
            s.error_rate >= 1.0 || s.throttle_rate > 0.0,
        );
        Row::new(vec![
            Cell::from(format!("{} {}", h.glyph(), s.name)).style(theme.health(h)),
            Cell::from(s.model.clone().unwrap_or_else(|| "—".into())),
            Cell::from(format!("{:>7}", s.requests)),
            Cell::from(format!("{:>5.1}%", s.error_rate)),
            Cell::from(format!("{:>5.1}%", s.fault_rate)),
            Cell::from(format!("{:>5.1}%", s.throttle_rate)),
            Cell::from(format!("{:>6.0}ms", s.avg_ms)),
            Cell::from(s.p99_ms.map_or("—".into(), |v| format!("{v:>6.0}ms"))),
            Cell::from(match s.calls.is_empty() {
                true => String::new(),
                false => format!("→ {}", s.calls.join(", ")),
            })
            .style(theme.dim),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Length(30),
            Constraint::Length(22),
            Constraint::Length(7),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new([
            "SERVICE", "MODEL", "    REQ", " 4XX", " 5XX", " 429", "    AVG", "    P99", "CALLS",
        ])
        .style(theme.title),
    )
    .block(panel(theme, format!(" service map · last {window} min ")))
}

fn trace_row<'a>(t: &'a TraceSummary, theme: &Theme) -> Row<'a> {
    let h = severity(t.fault, t.error || t.throttle);
    Row::new(vec![
        Cell::from(Line::from(vec![
            TextSpan::styled(h.glyph(), theme.health(h)),
            TextSpan::raw(format!(" {}", t.id)),
        ])),
        Cell::from(format!("{:>7.0}ms", t.duration_ms)),
        Cell::from(t.http_status.map_or("—".into(), |s| s.to_string())).style(theme.health(h)),
        Cell::from(t.entry.clone().unwrap_or_default()),
    ])
}
