//! `:changes`: what changed in the fleet, newest first: deploys, configs, approvals,
//! alarms, the user's actions, and states mlopsdash saw change. The `/` filter
//! narrows it to the models whose name matches.

use jiff::Timestamp;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState};
use ratatui::Frame;

use super::widgets::{panel, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::changes::{Change, ChangeKind};
use crate::model::format;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let listed = app.listed_changes();
    let title = match app.filter() {
        "" => format!(" changes ({}) ", listed.len()),
        f => format!(" changes ({}) /{f} ", listed.len()),
    };
    let width = area.width.saturating_sub(2) as usize;
    let items: Vec<ListItem> = listed
        .iter()
        .map(|c| ListItem::new(line(c, app.now(), theme, true, width)))
        .collect();
    let empty = items.is_empty();
    let list = if empty {
        List::new([ListItem::new(" no changes known yet").style(theme.dim)])
    } else {
        List::new(items)
    };
    let mut state = ListState::default().with_selected((!empty).then_some(app.cursor()));
    frame.render_stateful_widget(
        list.block(panel(theme, title))
            .highlight_style(theme.selected),
        area,
        &mut state,
    );
}

/// The mark a change's kind gets, here and on the charts.
pub fn glyph(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Deploy => "▲",
        ChangeKind::Config => "△",
        ChangeKind::Approval => "✓",
        ChangeKind::Version => "+",
        ChangeKind::Alarm => "⚑",
        ChangeKind::Action => "⚙",
        ChangeKind::State => "●",
    }
}

fn style(kind: ChangeKind, theme: &Theme) -> Style {
    match kind {
        ChangeKind::Deploy | ChangeKind::Config | ChangeKind::Action => theme.warn,
        ChangeKind::Alarm => theme.crit,
        _ => theme.text,
    }
}

/// "12-01 14:02  12m ▲ deploy   recommendation-engine  UpdateEndpoint …  by
/// ci-deploy-role (cloudtrail)"; narrower than 100 columns, only the age and who.
pub fn line<'a>(
    c: &Change,
    now: Timestamp,
    theme: &Theme,
    with_model: bool,
    width: usize,
) -> Line<'a> {
    let wide = width >= 100;
    let age = format::age(now.duration_since(c.time));
    let when = match wide {
        true => format!(" {} {age:>7} ", c.time.strftime("%m-%d %H:%M")),
        false => format!(" {age:>6} "),
    };
    let kind = format!("{} {:<8} ", glyph(c.kind), c.kind.label());
    let mut used = when.chars().count() + kind.chars().count();
    let mut spans = vec![
        Span::styled(when, theme.dim),
        Span::styled(kind, style(c.kind, theme)),
    ];
    if with_model {
        let model = truncate(c.model.as_deref().unwrap_or("(fleet)"), 24);
        let cell = format!("{model:<24}  ");
        used += cell.chars().count();
        spans.push(Span::raw(cell));
    }
    let tail = match (&c.who, wide) {
        (Some(who), true) => format!("  by {who} ({})", c.source.label()),
        (None, true) => format!("  ({})", c.source.label()),
        (Some(who), false) => format!("  {who}"),
        (None, false) => String::new(),
    };
    let room = width.saturating_sub(used + tail.chars().count()).max(12);
    spans.push(Span::styled(truncate(&c.what, room), theme.text));
    spans.push(Span::styled(tail, theme.dim));
    Line::from(spans)
}
