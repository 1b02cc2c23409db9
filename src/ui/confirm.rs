//! The action dialog: the targets to pick from, then exactly what confirming does:
//! the API call, the resource, account and region, the arguments, the state now.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::widgets::{centered, panel};
use crate::app::{App, Dialog, Place};
use crate::config::Theme;
use crate::model::action::{Kind, Plan};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, d: &Dialog, theme: &Theme) {
    // Inside the view's own borders: its title (the model, how it was joined) stays.
    let area = Rect {
        y: area.y.saturating_add(1),
        height: area.height.saturating_sub(2),
        ..area
    };
    let plan = d.plan();
    let width = area.width.saturating_sub(2).min(120);
    // Room for a field's value: the label column and the borders take the rest.
    let room = usize::from(width.saturating_sub(14)).max(10);
    // Each choice wraps under itself so what it would serve is readable; when the
    // screen is short, the choices not selected take one line each.
    let choices = |others_whole: bool, selected_whole: bool| {
        let mut head = vec![Line::styled(
            match d.choices() {
                1 => " 1 choice:".to_string(),
                n => format!(" {n} choices, newest first (↑/↓ choose):"),
            },
            theme.dim,
        )];
        let room = usize::from(width.saturating_sub(6)).max(10);
        for (i, p) in d.plans().enumerate() {
            let (mark, style) = match i == d.cursor() {
                true => ("▶ ", theme.selected),
                false => ("  ", theme.text),
            };
            let whole = match i == d.cursor() {
                true => selected_whole,
                false => others_whole,
            };
            if !whole {
                let text = super::widgets::truncate(&p.label, room);
                head.push(Line::styled(format!(" {mark}{text}"), style));
                continue;
            }
            let chars: Vec<char> = p.label.chars().collect();
            for (i, chunk) in chars.chunks(room).enumerate() {
                let lead = if i == 0 { mark } else { "  " };
                let text: String = chunk.iter().collect();
                head.push(Line::styled(format!(" {lead}{text}"), style));
            }
        }
        head.push(Line::raw(""));
        head
    };
    // Each line of the call, and whether it may give way on a short screen.
    let mut body: Vec<(bool, Line)> = Vec::new();
    let mut field_of = |name: &str, value: String, spare: bool| {
        // Long values wrap under their own column, never under the labels.
        let chars: Vec<char> = value.chars().collect();
        for (i, chunk) in chars.chunks(room).enumerate() {
            body.push((
                spare,
                Line::from(vec![
                    Span::styled(
                        format!(" {:<10} ", if i == 0 { name } else { "" }),
                        theme.dim,
                    ),
                    Span::styled(chunk.iter().collect::<String>(), theme.text),
                ]),
            ));
        }
    };
    let mut field = |name: &str, value: String| field_of(name, value, false);
    field("call", plan.call.operation().to_string());
    field("resource", plan.call.resource());
    let actor = &d.actor;
    field(
        "where",
        match (&app.context().place, &actor.label) {
            (Place::Demo { .. }, _) => "demo: the simulated fleet, no AWS request".to_string(),
            (Place::Aws { .. }, Some(label)) => format!(
                "account {label} ({}) · region {}",
                actor.account, actor.region
            ),
            (Place::Aws { .. }, None) => {
                format!("account {} · region {}", actor.account, actor.region)
            }
        },
    );
    field("as", actor.caller.clone());
    // What serves now is context, the first to give way; the rest is the call.
    field_of("now", plan.previous.clone(), true);
    let mut field = |name: &str, value: String| field_of(name, value, false);
    // One line per request field, nested values compact: tall dialogs hide the answer.
    let args = plan.call.arguments();
    let mut first = true;
    for (key, value) in args.as_object().into_iter().flatten() {
        for text in argument_lines(key, value) {
            field(if first { "arguments" } else { "" }, text);
            first = false;
        }
    }
    let mut tail = Vec::new();
    for note in d.differs.iter().chain(&plan.note) {
        let chars: Vec<char> = format!("⚠ {note}").chars().collect();
        for chunk in chars.chunks(usize::from(width.saturating_sub(4)).max(10)) {
            tail.push(Line::styled(
                format!(" {}", chunk.iter().collect::<String>()),
                theme.warn,
            ));
        }
    }
    tail.push(Line::raw(""));
    tail.extend(prompt(plan, d, theme));
    // The prompt must always show: on a short screen the other choices shrink
    // first, then what serves now goes, then the selected choice shrinks (the
    // arguments name it), and only then the call's last lines give way.
    let inner = usize::from(area.height.saturating_sub(2));
    let fits = |head: &[Line], body: &[(bool, Line)]| head.len() + body.len() + tail.len() <= inner;
    let mut head = choices(true, true);
    if !fits(&head, &body) {
        head = choices(false, true);
    }
    if !fits(&head, &body) {
        body.retain(|(spare, _)| !spare);
    }
    if !fits(&head, &body) {
        head = choices(false, false);
    }
    let mut body: Vec<Line> = body.into_iter().map(|(_, line)| line).collect();
    let fixed = head.len() + tail.len();
    if fixed + body.len() > inner {
        let keep = inner.saturating_sub(fixed + 1);
        let cut = body.len() - keep.min(body.len());
        body.truncate(keep);
        body.push(Line::styled(
            format!(" … {cut} more lines (a taller terminal shows them)"),
            theme.dim,
        ));
    }
    let lines: Vec<Line> = head.into_iter().chain(body).chain(tail).collect();
    let height = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .saturating_add(2)
        .min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = format!(" {} {} · confirm ", d.kind.verb(), plan.model);
    frame.render_widget(Paragraph::new(lines).block(panel(theme, title)), popup);
}

/// While an action's target is read afresh: what is read, and as whom.
pub fn reading(frame: &mut Frame, area: Rect, kind: Kind, model: &str, app: &App, theme: &Theme) {
    let scope = app.scope_key_of(model);
    let whose = match &app.context().place {
        Place::Demo { .. } => "the simulated fleet".to_string(),
        Place::Aws { .. } => format!(
            "AWS with the credentials for {} that would act",
            scope.name()
        ),
    };
    let lines = vec![
        Line::styled(format!(" reading {model} from {whose}…"), theme.text),
        Line::styled(
            " the choices come from this read, not from the screen · esc cancels",
            theme.dim,
        ),
    ];
    let width = area.width.saturating_sub(2).min(100);
    let popup = centered(area, width, 4);
    frame.render_widget(Clear, popup);
    let title = format!(" {} {model} · reading ", kind.verb());
    frame.render_widget(Paragraph::new(lines).block(panel(theme, title)), popup);
}

/// What to press: y/n, or for a protected endpoint the name field (two lines, so the
/// field and its keys survive a narrow screen).
fn prompt<'a>(plan: &Plan, d: &Dialog, theme: &Theme) -> Vec<Line<'a>> {
    match &plan.protected {
        Some((name, why)) => vec![
            Line::styled(format!(" {name} is protected ({why})"), theme.warn),
            Line::from(vec![
                Span::styled(" type its name: ", theme.warn),
                Span::styled(d.typed.clone(), theme.text),
                Span::styled("▏", theme.key),
                Span::styled("  enter confirm · esc cancel", theme.dim),
            ]),
        ],
        None => vec![Line::from(vec![
            Span::styled(" y", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("enter", theme.key),
            Span::styled(" confirm · ", theme.dim),
            Span::styled("n", theme.key),
            Span::styled("/", theme.dim),
            Span::styled("esc", theme.key),
            Span::styled(" cancel", theme.dim),
        ])],
    }
}

/// One request field as lines: Name/Value lists (pipeline parameters) and flat maps
/// (hyperparameters) one pair per line, since those are what the user checks.
fn argument_lines(key: &str, value: &serde_json::Value) -> Vec<String> {
    let plain = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    let listed: Option<Vec<String>> = value.as_array().and_then(|items| {
        items
            .iter()
            .map(|item| {
                let (name, value) = (item.get("Name")?, item.get("Value")?);
                Some(format!("  {} = {}", plain(name), plain(value)))
            })
            .collect()
    });
    let mapped: Option<Vec<String>> = value.as_object().and_then(|map| {
        map.iter()
            .map(|(k, v)| v.is_string().then(|| format!("  {k} = {}", plain(v))))
            .collect()
    });
    match listed.or(mapped) {
        Some(pairs) if !pairs.is_empty() => {
            std::iter::once(format!("{key}:")).chain(pairs).collect()
        }
        _ => vec![format!("{key}: {value}")],
    }
}

#[cfg(test)]
mod tests {
    use super::argument_lines;
    use serde_json::json;

    #[test]
    fn parameters_and_hyperparameters_read_one_per_line() {
        let params =
            json!([{"Name": "Epochs", "Value": "20"}, {"Name": "Data", "Value": "s3://raw/"}]);
        assert_eq!(
            argument_lines("PipelineParameters", &params),
            ["PipelineParameters:", "  Epochs = 20", "  Data = s3://raw/"]
        );
        let hyper = json!({"eta": "0.2", "max_depth": "6"});
        assert_eq!(
            argument_lines("HyperParameters", &hyper),
            ["HyperParameters:", "  eta = 0.2", "  max_depth = 6"]
        );
        // Anything nested stays one compact line.
        let nested = json!({"AutoRollbackConfiguration": {"Alarms": []}});
        assert_eq!(
            argument_lines("DeploymentConfig", &nested),
            [r#"DeploymentConfig: {"AutoRollbackConfiguration":{"Alarms":[]}}"#]
        );
        assert_eq!(
            argument_lines("EndpointName", &json!("rec-prod")),
            [r#"EndpointName: "rec-prod""#]
        );
    }
}
