//! The bottom lines: key hints (or the filter/command being typed, or a message),
//! then the latest events.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{App, InputMode};
use crate::config::{KeyAction, Theme};
use crate::model::events::Event;

/// One line of hints, a line on failing sources while there are any, plus up to
/// three events when the terminal is tall enough and `with_events` (the pipeline
/// shows them in a panel of their own when it has the room).
pub fn height(app: &App, total: u16, with_events: bool) -> u16 {
    let events = app.events().len().min(if total >= 30 { 3 } else { 2 }) as u16;
    let events = if with_events && total >= 20 {
        events
    } else {
        0
    };
    let running = app.actions().running.len().min(2) as u16;
    1 + running + u16::from(problems(app).is_some()) + events
}

/// "⟳ rollback recommendation-engine-prod: Updating (12s)" per action under way.
fn running_lines<'a>(app: &App, theme: &Theme) -> Vec<Line<'a>> {
    app.actions()
        .running
        .values()
        .take(2)
        .map(|p| {
            let secs = app.now().duration_since(p.at).as_secs().max(0);
            Line::styled(
                format!(
                    " ⟳ {} {} on {}: {} ({secs}s)",
                    p.kind.label(),
                    p.model,
                    p.resource,
                    p.step.text()
                ),
                theme.warn,
            )
        })
        .collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = vec![first_line(app, theme)];
    lines.extend(running_lines(app, theme));
    if let Some(why) = problems(app) {
        lines.push(Line::styled(why, theme.warn));
    }
    for e in app
        .events()
        .iter()
        .take(area.height.saturating_sub(1) as usize)
    {
        lines.push(event_line(e, theme));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn first_line<'a>(app: &'a App, theme: &Theme) -> Line<'a> {
    match &app.input() {
        InputMode::Filter => Line::from(vec![
            Span::styled("/", theme.key),
            Span::raw(app.filter()),
            Span::styled("▏", theme.key),
            Span::styled("  enter keep · esc clear", theme.dim),
        ]),
        InputMode::Command(line) => Line::from(vec![
            Span::styled(":", theme.key),
            Span::raw(line.as_str()),
            Span::styled("▏", theme.key),
            Span::styled("  tab complete · enter run · esc cancel", theme.dim),
        ]),
        InputMode::ConfirmCostRefresh => Line::from(vec![
            Span::styled(
                " Ask Cost Explorer again? About 4 requests at $0.01 each. ",
                theme.warn,
            ),
            Span::styled("y", theme.key),
            Span::styled(" yes · any other key no", theme.dim),
        ]),
        InputMode::Reading { kind, .. } => Line::from(vec![
            Span::styled(format!(" {} ", kind.verb()), theme.warn),
            Span::styled("reading the target from AWS · esc cancels", theme.dim),
        ]),
        InputMode::Confirm(d) => Line::from(vec![
            Span::styled(format!(" {} ", d.kind.verb()), theme.warn),
            Span::styled("answer in the dialog above · esc cancels", theme.dim),
        ]),
        InputMode::Normal => match (&app.status(), app.refreshing()) {
            (Some(msg), _) => Line::styled(*msg, theme.warn),
            (None, true) => Line::styled(" refreshing…", theme.dim),
            (None, false) => hints(app, theme),
        },
    }
}

/// "⚠ cloudwatch: throttled …; s3: AccessDenied …", while any source is failing.
fn problems(app: &App) -> Option<String> {
    let all = app.problem_lines();
    (!all.is_empty()).then(|| format!(" ⚠ {}", all.join("; ")))
}

fn hints<'a>(app: &App, theme: &Theme) -> Line<'a> {
    let k = |a| app.keymap().hint(a).to_string();
    let pairs = [
        (
            format!("{}/{}", k(KeyAction::Down), k(KeyAction::Up)),
            "move",
        ),
        (k(KeyAction::Open), "open"),
        (k(KeyAction::Back), "back"),
        (k(KeyAction::Filter), "filter"),
        (k(KeyAction::Command), "cmd"),
        (k(KeyAction::Refresh), "refresh"),
        (k(KeyAction::Help), "help"),
        (k(KeyAction::Quit), "quit"),
    ];
    let mut spans = Vec::new();
    for (key, what) in pairs {
        if key.is_empty() {
            continue;
        }
        spans.push(Span::styled(format!(" {key}"), theme.key));
        spans.push(Span::styled(format!(" {what} "), theme.dim));
    }
    Line::from(spans)
}

pub fn event_line<'a>(e: &Event, theme: &Theme) -> Line<'a> {
    if let Some(what) = &e.action {
        return Line::from(vec![
            Span::styled(format!(" {} ", e.at.strftime("%H:%M:%S")), theme.dim),
            Span::styled("⚙", theme.health(e.to)),
            Span::raw(format!(" {} ", e.model)),
            Span::styled(format!("{what} "), theme.health(e.to)),
            Span::styled(e.detail.clone(), theme.dim),
        ]);
    }
    let stage = e.stage.map_or("", |s| s.title());
    Line::from(vec![
        Span::styled(format!(" {} ", e.at.strftime("%H:%M:%S")), theme.dim),
        Span::styled(e.to.glyph(), theme.health(e.to)),
        Span::raw(format!(" {} ", e.model)),
        Span::styled(
            format!("{stage} {}→{} ", e.from.label(), e.to.label()),
            theme.health(e.to),
        ),
        Span::styled(e.detail.clone(), theme.dim),
    ])
}
