//! How rows and the header name accounts and regions: the account's label in its
//! configured colour (prod unmistakable), the region, and a DR pair's readiness.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::app::App;
use crate::config::Theme;
use crate::model::scope::ScopeIx;
use crate::model::ModelFacts;

/// "prod us-east-1", or for a DR pair "prod us-east-1⇄us-west-2 ✔DR" (⚠DR when the
/// secondary could not take over).
pub fn place(app: &App, m: &ModelFacts) -> String {
    let Some(scope) = app.context().scope(m.scope.index) else {
        return "?".into();
    };
    let secondary = m
        .scope
        .replica
        .as_ref()
        .and_then(|r| app.context().scope(r.scope.index));
    let ready = m.scope.failover.as_ref().map(|f| f.ready);
    let mut text = scope.name();
    if let Some(other) = secondary {
        text.push('⇄');
        text.push_str(&other.region);
        text.push_str(match ready {
            Some(true) => " ✔DR",
            Some(false) => " ⚠DR",
            None => " ?DR",
        });
    }
    text
}

/// The header's accounts, each with its regions in its colour, marked ✖ where a
/// source or STS failed there: None for a session of one account and region.
pub fn accounts(app: &App, theme: &Theme) -> Option<Vec<(String, Style)>> {
    let context = app.context();
    if context.scopes.len() < 2 || context.region().is_none() {
        return None;
    }
    let failing: Vec<ScopeIx> = app
        .source_problems()
        .map(|(feed, _)| feed.scope)
        .chain(
            context
                .scopes
                .iter()
                .enumerate()
                .filter(|(_, s)| s.problem.is_some())
                .filter_map(|(i, _)| ScopeIx::try_from(i).ok()),
        )
        .collect();
    let mut out: Vec<(String, Style)> = Vec::new();
    let mut done: Vec<usize> = Vec::new();
    for (i, s) in context.scopes.iter().enumerate() {
        if done.contains(&i) {
            continue;
        }
        let same: Vec<usize> = (i..context.scopes.len())
            .filter(|j| context.scopes.get(*j).is_some_and(|o| o.same_account(s)))
            .collect();
        let regions: Vec<&str> = same
            .iter()
            .filter_map(|j| context.scopes.get(*j))
            .map(|o| o.region.as_str())
            .collect();
        let bad = same
            .iter()
            .any(|j| ScopeIx::try_from(*j).is_ok_and(|j| failing.contains(&j)));
        let ix = ScopeIx::try_from(i).unwrap_or(ScopeIx::MAX);
        let (mark, style) = match bad {
            true => (" ✖", theme.crit.add_modifier(Modifier::REVERSED)),
            false if s.colour.is_some() => ("", theme.header.patch(style(app, ix, theme))),
            false => ("", theme.header),
        };
        out.push((
            format!("{} {}{mark}", s.account_name(), regions.join(",")),
            style,
        ));
        done.extend(same);
    }
    Some(out)
}

/// Under the detail view's stages, where the model runs: "⇄ DR us-east-1 → us-west-2
/// ✔ ready · …" for a pair (what stands in the way first), "prod us-east-1" for a
/// model in one of several scopes; None for a session of one scope.
pub fn failover_line(app: &App, m: &ModelFacts, theme: &Theme) -> Option<Line<'static>> {
    let place = place(app, m);
    let Some(f) = m.scope.failover.as_deref() else {
        return (app.scope_count() > 1)
            .then(|| Line::styled(format!("where: {place}"), style(app, m.scope.index, theme)));
    };
    let (word, look) = match f.ready {
        true => ("✔ secondary ready", theme.ok),
        false => ("⚠ secondary not ready", theme.warn),
    };
    let replicated: Vec<String> = f
        .replication
        .iter()
        .map(|b| match b.replicated() {
            Some(true) => {
                let rule = b.rules.iter().find(|r| r.enabled);
                let lag = rule
                    .and_then(|r| r.latency_seconds)
                    .map_or(String::new(), |s| format!(" ({s:.0}s behind)"));
                format!(
                    "{} → {}{lag}",
                    b.bucket,
                    rule.map_or("?", |r| r.destination.as_str())
                )
            }
            Some(false) => format!("{} not replicated", b.bucket),
            None => format!("{} replication ?", b.bucket),
        })
        .collect();
    let checks: Vec<String> = f
        .health_checks
        .iter()
        .map(|r| {
            let mark = match r.healthy {
                Some(true) => "✔",
                Some(false) => "✖",
                None => "?",
            };
            format!("{} {mark}", r.role.to_lowercase())
        })
        .collect();
    let mut tail: Vec<String> = f.reasons.clone();
    if !replicated.is_empty() {
        tail.push(format!("S3 {}", replicated.join(", ")));
    }
    if !checks.is_empty() {
        tail.push(format!("Route 53 {}", checks.join(" ")));
    }
    Some(Line::from(vec![
        Span::styled(
            format!("⇄ DR {} → {} ", f.primary, f.secondary),
            style(app, m.scope.index, theme),
        ),
        Span::styled(word, look),
        Span::styled(format!(" · {}", tail.join(" · ")), theme.dim),
    ]))
}

/// The account's configured colour, bold: else the theme's plain text.
pub fn style(app: &App, ix: ScopeIx, theme: &Theme) -> Style {
    let colour = app
        .context()
        .scope(ix)
        .and_then(|s| s.colour.as_deref())
        .and_then(|c| c.parse::<Color>().ok());
    // A theme without colours (NO_COLOR) keeps its plain text, made bold.
    match (colour, theme.ok.fg) {
        (Some(c), Some(_)) => Style::default().fg(c).add_modifier(Modifier::BOLD),
        (Some(_), None) => theme.text.add_modifier(Modifier::BOLD),
        _ => theme.text,
    }
}
