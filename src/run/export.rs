//! The incident report: one model's state, what changed and what moved after, its
//! alarms and the actions taken on it (from the audit log), as Markdown to paste into
//! a ticket, beside an SVG of its detail screen. Written by `E` and by
//! `mlopsdash export MODEL`.

use std::path::Path;

use jiff::Timestamp;

use crate::action::audit::{self, Record};
use crate::action::AuditLog;
use crate::app::App;
use crate::config::Theme;
use crate::model::{deltas, format, Stage};

/// What the screen shows, in the size the SVG is drawn at.
const SCREEN: (u16, u16) = (160, 48);

pub struct Report {
    model: String,
    /// Everything but the actions, which the audit log on disk adds when written.
    markdown: String,
    svg: String,
    since: Option<Timestamp>,
    now: Timestamp,
}

/// A table cell: no line breaks, no column breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

impl Report {
    /// The report of `model` as `app` knows it; the timeline from `since` (all of it
    /// when None). None when the fleet has no such model.
    pub fn of(app: &App, model: &str, since: Option<Timestamp>, theme: &Theme) -> Option<Report> {
        let fleet = app.fleet().data()?;
        let m = fleet.model(model)?;
        let health = app.health().get(model)?;
        let now = app.now();
        let mut md = Vec::new();
        md.push(format!("# Incident report: {model}"));
        md.push(String::new());
        md.push(format!(
            "{} · as of {} UTC{} · health **{}**",
            app.context().label(),
            time(now),
            match app.past() {
                Some(_) => " (recorded past)",
                None => "",
            },
            health.overall.label()
        ));
        md.push(String::new());
        md.push("## State".into());
        md.push(String::new());
        md.push("| Stage | Health | Summary |".into());
        md.push("|---|---|---|".into());
        for stage in Stage::ALL {
            let s = health.stage(stage);
            md.push(format!(
                "| {} | {} | {} |",
                stage.title(),
                s.health.label(),
                cell(&s.summary)
            ));
        }
        md.push(String::new());
        md.push("## Latest change".into());
        md.push(String::new());
        match app.last_change(model) {
            Some((c, moved)) => {
                let who = c.who.as_deref().unwrap_or("unknown");
                md.push(format!(
                    "{} UTC · {} · {} · by {} ({})",
                    time(c.time),
                    c.kind.label(),
                    cell(&c.what),
                    cell(who),
                    c.source.label()
                ));
                md.push(String::new());
                md.push(format!(
                    "Since then: {}",
                    deltas::words(&moved).unwrap_or_else(|| "nothing moved meaningfully".into())
                ));
                if !moved.is_empty() {
                    md.push(String::new());
                    md.push("| Metric | Before | After |".into());
                    md.push("|---|---|---|".into());
                    for d in &moved {
                        md.push(format!(
                            "| {} | {} | {} |",
                            d.metric,
                            format::value(&d.metric, d.before),
                            format::value(&d.metric, d.after)
                        ));
                    }
                }
            }
            None => md.push("No deploy or configuration change known.".into()),
        }
        md.push(String::new());
        md.push(match since {
            Some(t) => format!("## Timeline since {} UTC", time(t)),
            None => "## Timeline".into(),
        });
        md.push(String::new());
        md.push("| Time (UTC) | Kind | What | Who | Source |".into());
        md.push("|---|---|---|---|---|".into());
        for c in app
            .model_changes(model)
            .filter(|c| since.is_none_or(|s| c.time >= s))
        {
            md.push(format!(
                "| {} | {} | {} | {} | {} |",
                time(c.time),
                c.kind.label(),
                cell(&c.what),
                cell(c.who.as_deref().unwrap_or("")),
                c.source.label()
            ));
        }
        md.push(String::new());
        md.push("## Alarms".into());
        md.push(String::new());
        let alarms: Vec<_> = fleet
            .alarms
            .iter()
            .filter(|a| a.model.as_deref() == Some(model))
            .collect();
        if alarms.is_empty() {
            md.push("None on this model.".into());
        } else {
            md.push("| Alarm | State | Since (UTC) | Reason |".into());
            md.push("|---|---|---|---|".into());
            for a in alarms {
                md.push(format!(
                    "| {} | {:?} | {} | {} |",
                    cell(&a.name),
                    a.state,
                    time(a.since),
                    cell(&a.reason)
                ));
            }
        }
        let mut screen = app.clone();
        screen.open_model(m.name.clone());
        Some(Report {
            model: model.to_string(),
            markdown: md.join("\n"),
            svg: draw(&screen, theme),
            since,
            now,
        })
    }

    /// Writes `<model>-<time>.md` and `.svg` into `dir`, with the actions the audit
    /// log holds on the model; the Markdown file's path, or why not.
    pub fn write(&self, dir: &Path, audit: Option<&AuditLog>) -> Result<String, String> {
        let records = match audit {
            Some(log) => audit::read_model(log.path(), &self.model)?,
            None => Vec::new(),
        };
        let stem = format!("{}-{}", self.model, self.now.strftime("%Y%m%dT%H%M%S"));
        let md_path = dir.join(format!("{stem}.md"));
        let svg_name = format!("{stem}.svg");
        let mut text = self.markdown.clone();
        text.push_str("\n\n## Actions taken (audit log)\n\n");
        text.push_str(&actions(&records, self.since));
        text.push_str(&format!("\n\nScreen: [{svg_name}]({svg_name})\n"));
        let fail = |e: std::io::Error| format!("{}: {e}", dir.display());
        std::fs::create_dir_all(dir).map_err(fail)?;
        std::fs::write(&md_path, text).map_err(fail)?;
        std::fs::write(dir.join(&svg_name), &self.svg).map_err(fail)?;
        Ok(md_path.display().to_string())
    }
}

fn actions(records: &[Record], since: Option<Timestamp>) -> String {
    let shown: Vec<&Record> = records
        .iter()
        .filter(|r| since.is_none_or(|s| r.time >= s))
        .collect();
    if shown.is_empty() {
        return "None recorded.".into();
    }
    let mut lines = vec![
        "| Time (UTC) | Phase | Action | Call | Resource | Caller | Result |".to_string(),
        "|---|---|---|---|---|---|---|".to_string(),
    ];
    for r in shown {
        lines.push(format!(
            "| {} | {:?} | {} | {} | {} | {} | {} |",
            time(r.time),
            r.phase,
            r.action,
            r.call,
            cell(&r.resource),
            cell(&r.caller),
            cell(r.result.as_deref().unwrap_or(""))
        ));
    }
    lines.join("\n")
}

/// The detail screen as SVG.
fn draw(app: &App, theme: &Theme) -> String {
    let backend = ratatui::backend::TestBackend::new(SCREEN.0, SCREEN.1);
    let mut terminal = match ratatui::Terminal::new(backend) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    let _ = terminal.draw(|f| crate::ui::draw(f, app, theme));
    crate::ui::svg::render(terminal.backend().buffer())
}
