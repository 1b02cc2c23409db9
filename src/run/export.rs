//! The incident report: one model's state, what changed and what moved after, its
//! alarms and the actions taken on it (from the audit log), as Markdown to paste into
//! a ticket, beside an SVG of its detail screen. Written by `E` and by
//! `mlopsdash export MODEL`.

use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use jiff::Timestamp;

use crate::action::audit::{self, Record};
use crate::action::AuditLog;
use crate::app::App;
use crate::config::{files, Theme};
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
        // A model's name comes from tags and servers: it never picks the folder.
        let stem = format!(
            "{}-{}",
            file_stem(&self.model),
            self.now.strftime("%Y%m%dT%H%M%S")
        );
        let md_path = dir.join(format!("{stem}.md"));
        let svg_name = format!("{stem}.svg");
        let mut text = self.markdown.clone();
        text.push_str("\n\n## Actions taken (audit log)\n\n");
        text.push_str(&actions(&records, self.since));
        text.push_str(&format!("\n\nScreen: [{svg_name}]({svg_name})\n"));
        let fail = |e: std::io::Error| format!("{}: {e}", dir.display());
        // The folder is the user's (the current one by default): created private
        // when missing, left as it is when there.
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(files::DIR_MODE)
            .create(dir)
            .map_err(fail)?;
        files::replace(&md_path, text.as_bytes()).map_err(fail)?;
        files::replace(&dir.join(&svg_name), self.svg.as_bytes()).map_err(fail)?;
        Ok(md_path.display().to_string())
    }
}

/// A model's name as a file name: letters, digits, `-`, `_` and `.` kept, anything
/// else (a `/`, `..` as a whole, a control character) made `_`, at most 100
/// characters. `../x`, `/tmp/x` and `C:\x` all stay inside the export folder.
fn file_stem(name: &str) -> String {
    let kept: String = name
        .chars()
        .take(100)
        .map(
            |c| match c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                true => c,
                false => '_',
            },
        )
        .collect();
    match kept.trim_matches('.') {
        "" => "model".to_string(),
        stem => stem.replace("..", "_"),
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

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn a_model_name_never_leaves_the_export_folder() {
        assert_eq!(file_stem("demand-forecasting"), "demand-forecasting");
        assert_eq!(file_stem("../x"), "_x");
        assert_eq!(file_stem("/tmp/x"), "_tmp_x");
        assert_eq!(file_stem(".."), "model");
        assert_eq!(file_stem("a/../../b"), "a_.._.._b".replace("..", "_"));
        assert_eq!(file_stem("churn@dev"), "churn_dev");
        assert_eq!(file_stem("x\u{1b}[2J"), "x__2J");
        assert_eq!(file_stem(&"m".repeat(500)).len(), 100);
        for name in ["../x", "/tmp/x", "a/../../b", "..", "C:\\x"] {
            let stem = file_stem(name);
            assert!(
                !stem.contains('/') && !stem.contains("..") && !stem.is_empty(),
                "{name}: {stem}"
            );
        }
    }
}
