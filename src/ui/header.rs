//! The top line: where the data is from, alarms firing, spend, and how old the data is.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::config::Theme;
use crate::model::polling::Spending;
use crate::model::{format, Health, Loadable};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut segments: Vec<(String, Style)> = vec![(" mlopsdash".into(), theme.header)];
    match super::scopes::accounts(app, theme) {
        Some(accounts) => segments.extend(accounts),
        None => segments.push((app.context().label(), theme.header)),
    }
    segments.extend(collector(app, theme));
    if let Some(at) = app.past() {
        let ago = crate::model::format::age(app.live_now().duration_since(at));
        segments.push((
            format!(
                "◀ PAST {} UTC, {ago} ago · < > step · esc live",
                at.strftime("%m-%d %H:%M")
            ),
            theme.warn.add_modifier(Modifier::REVERSED),
        ));
    }
    if let Some(problem) = app
        .context()
        .problem
        .as_ref()
        .filter(|_| app.scope_count() == 1)
    {
        segments.push((
            format!("✖ {problem}"),
            theme.crit.add_modifier(Modifier::REVERSED),
        ));
    }
    let fleet = app.fleet().data();
    if let Some(f) = fleet {
        let firing = f.firing_alarms();
        let h = if firing > 0 { Health::Crit } else { Health::Ok };
        let plural = if firing == 1 { "" } else { "s" };
        segments.push((
            format!("{} {firing} alarm{plural}", h.glyph()),
            if firing > 0 {
                // A badge: the crit colour as background reads on any header colour.
                theme.crit.add_modifier(Modifier::REVERSED)
            } else {
                theme.header
            },
        ));
        if let Some(c) = &f.cost {
            // The forecast is the first thing a narrow terminal gives up.
            let fcst = c
                .forecast
                .filter(|_| area.width >= 100)
                .map(|f| format!(" · fcst {}", money(f.mean)))
                .unwrap_or_default();
            segments.push((
                format!("MTD {}{fcst}", money(c.month_to_date)),
                theme.header,
            ));
        }
    }
    segments.push(freshness(app, theme));
    segments.push((clock(app), theme.header));
    // The session's own bill goes before the data's age only where both fit: how
    // old the data is matters more.
    if let Some(spend) = fleet.and_then(|f| f.spending.as_deref()) {
        let sep = " │ ".width();
        let taken: usize = segments.iter().map(|(t, _)| t.width() + sep).sum();
        // A viewer's polling is the collector's, paid once for the team.
        let payer = match app.from_collector() {
            true => "collector API",
            false => "API",
        };
        let spend = api_spend(spend, payer, area.width >= 160, theme);
        if taken + spend.0.width() <= area.width as usize {
            segments.insert(segments.len() - 2, spend);
        }
    }

    let sep = " │ ";
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (text, style)) in segments.into_iter().enumerate() {
        let need = text.width() + if i == 0 { 0 } else { sep.width() };
        if used + need > area.width as usize {
            continue;
        }
        if i > 0 {
            spans.push(Span::styled(sep, theme.header));
        }
        used += need;
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), area);
}

/// This session's own AWS bill over the last 24 hours, what 24 hours cost at this
/// pace, and the budget of any 24 hours;
/// marked when polling had to slow down to stay under it.
fn api_spend(s: &Spending, payer: &str, wide: bool, theme: &Theme) -> (String, Style) {
    // The budget is the first thing a narrower terminal gives up.
    let budget = match wide {
        true => format!(" of {}", cents(s.budget_per_day)),
        false => String::new(),
    };
    let text = format!(
        "{payer} last 24 h {} · ~{}/day{budget}",
        cents(s.spent_last_24h),
        cents(s.projected_per_day),
    );
    match s.slowed {
        Some(_) => (format!("⚠ {text} slowed"), theme.header.patch(theme.warn)),
        None => (text, theme.header),
    }
}

/// Small amounts: "$0.004", "$0.10", "$12.50".
fn cents(v: f64) -> String {
    match v {
        v if !v.is_finite() => "$?".into(),
        v if v < 0.1 => format!("${v:.3}"),
        v => format!("${v:.2}"),
    }
}

fn clock(app: &App) -> String {
    format!("{} UTC", app.now().strftime("%H:%M"))
}

/// What on screen changes with the clock alone: the clock and the data's age. When
/// these read the same, a new frame would draw the same thing (ages in cells move
/// by the minute, with the clock).
pub fn clock_texts(app: &App) -> [String; 3] {
    [
        clock(app),
        freshness_text(app),
        collector_badge(app).map(|(t, _)| t).unwrap_or_default(),
    ]
}

fn collector(app: &App, theme: &Theme) -> Option<(String, Style)> {
    let (text, health) = collector_badge(app)?;
    let style = match health {
        Health::Crit => theme.crit.add_modifier(Modifier::REVERSED),
        Health::Warn => theme.header.patch(theme.warn),
        Health::Ok | Health::Unknown => theme.header,
    };
    Some((text, style))
}

/// A viewer's source: "⇣ collector 12s ago" (the state's age) with the collector's
/// own problems counted; crit when it stopped writing or cannot be read.
fn collector_badge(app: &App) -> Option<(String, Health)> {
    let view = app.context().collector.as_ref()?;
    if view.problem.is_some() {
        return Some(("✖ collector unreadable".into(), Health::Crit));
    }
    // The past on screen has its own line; its state's age is not news.
    if app.past().is_some() {
        return Some(("⇣ collector's state".into(), Health::Ok));
    }
    let age = app.live_now().duration_since(view.written_at?);
    let text = format!("⇣ collector {} ago", format::age(age));
    if age.as_secs() > view.stale_after() {
        return Some((format!("✖ {text} · stopped?"), Health::Crit));
    }
    Some(match view.collector.errors.len() {
        0 => (text, Health::Ok),
        1 => (format!("{text} · 1 problem"), Health::Warn),
        n => (format!("{text} · {n} problems"), Health::Warn),
    })
}

fn freshness(app: &App, theme: &Theme) -> (String, Style) {
    let style = match &app.fleet() {
        Loadable::Loading | Loadable::Ready { .. } => theme.header,
        Loadable::Stale { .. } => theme.header.patch(theme.warn),
        Loadable::Failed { .. } => theme.header.patch(theme.crit),
    };
    (freshness_text(app), style)
}

fn freshness_text(app: &App) -> String {
    match &app.fleet() {
        Loadable::Loading => "loading…".into(),
        Loadable::Ready { at, .. } => format!("data {} ago", format::age_since(*at, app.now())),
        // Which sources are behind; the footer says why.
        Loadable::Stale { at, .. } => format!(
            "⚠ STALE {} · {} ago",
            {
                let mut labels: Vec<&str> = app
                    .source_problems()
                    .map(|(f, _)| f.source.label())
                    .collect();
                labels.dedup();
                labels.join(",")
            },
            format::age_since(*at, app.now())
        ),
        Loadable::Failed { why } => format!("NO DATA: {why}"),
    }
}

/// "$1,234" style amounts, whole dollars: enough for a header.
pub fn money(v: f64) -> String {
    let whole = v.round() as i64;
    let digits = whole.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}${out}", if whole < 0 { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1234.4), "$1,234");
        assert_eq!(money(999.6), "$1,000");
        assert_eq!(money(12.0), "$12");
        assert_eq!(money(-1500.0), "-$1,500");
    }
}
