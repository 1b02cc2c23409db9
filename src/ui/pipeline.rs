//! The home view: one row per model, one column per stage of its life.

use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::header::money;
use super::widgets::{health_mark, list_title, panel, render_list, stage_cell, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::{format, Health, Loadable, Stage};

const SPACING: u16 = 1;
const COST_WIDTH: u16 = 7;
/// "▲ changed 59m ago".
const CHANGE_WIDTH: u16 = 19;
/// Series older than this were paced by the budget: their cells say how old.
const METRICS_PACED_AFTER: jiff::SignedDuration = jiff::SignedDuration::from_mins(3);

/// The rows the table needs to show every model (borders and header included);
/// None before the fleet has loaded.
pub fn height(app: &App) -> Option<u16> {
    app.fleet().data()?;
    Some(
        u16::try_from(app.rows().len())
            .unwrap_or(u16::MAX)
            .saturating_add(3),
    )
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let total = app.fleet().data().map_or(0, |f| f.models.len());
    let block = panel(
        theme,
        list_title("pipeline", app.rows().len(), total, app.filter()),
    );
    let Some(fleet) = app.fleet().data() else {
        return placeholder(frame, area, app, theme, block);
    };
    // Borders and the one-column selection marker.
    let inner_width = area.width.saturating_sub(3);
    // Each model's daily spend, when the account tags by model and there is room.
    let cost = fleet
        .cost
        .as_deref()
        .filter(|c| !c.by_model.is_empty() && inner_width >= 140);
    let cost_w = if cost.is_some() {
        COST_WIDTH + SPACING
    } else {
        0
    };
    // A model turned bad soon after a deploy names it: a column when there is room,
    // else a mark after its name.
    let blamed = |name: &str| {
        app.recent_cause(name)
            .map(|c| format::age(app.now().duration_since(c.time)))
    };
    let any_blamed = app.rows().iter().any(|r| blamed(&r.name).is_some());
    let change_w = match any_blamed && inner_width - cost_w >= 140 {
        true => CHANGE_WIDTH + SPACING,
        false => 0,
    };
    // Several accounts or regions: where each row runs, when there is room.
    let places: Vec<String> = app
        .rows()
        .iter()
        .filter_map(|r| fleet.models.get(r.index))
        .map(|m| super::scopes::place(app, m))
        .collect();
    let place_w = match app.scope_count() > 1 && inner_width - cost_w - change_w >= 110 {
        true => places
            .iter()
            .map(|p| p.width())
            .max()
            .unwrap_or(0)
            .clamp(6, 32) as u16,
        false => 0,
    };
    let place_gap = if place_w > 0 { place_w + SPACING } else { 0 };
    // The mark after a name ("▲12m") widens the name column instead.
    let marked = if any_blamed && change_w == 0 { 5 } else { 0 };
    let (name_w, stage_w) = column_widths(app, inner_width - cost_w - change_w - place_gap, marked);
    // Each scope's sources fail on their own: a row is as stale as its scope.
    let stale_in = |scope| Stage::ALL.map(|s| app.stage_is_stale_in(scope, s));
    let loading_in = |scope| Stage::ALL.map(|s| app.stage_is_loading_in(scope, s));

    let header = Row::new(
        std::iter::once(Cell::from("MODEL"))
            .chain((place_w > 0).then(|| Cell::from("WHERE")))
            .chain(Stage::ALL.iter().map(|s| Cell::from(s.title())))
            .chain(cost.map(|_| Cell::from("  $/DAY")))
            .chain((change_w > 0).then(|| Cell::from("CHANGE"))),
    )
    .style(theme.title);

    let rows = app.rows().iter().zip(&places).filter_map(|(row, place)| {
        let model = fleet.models.get(row.index)?;
        let (stale_stages, loading_stages) = (stale_in(row.scope), loading_in(row.scope));
        let stale = app.all_stale_in(row.scope);
        let (mark, style) = health_mark(theme, row.health, stale);
        let cause = blamed(&model.name);
        let suffix = match (&cause, change_w) {
            (Some(age), 0) => format!(" ▲{age}"),
            _ => String::new(),
        };
        let room = (name_w as usize - 2).saturating_sub(suffix.width());
        let name = Line::from(vec![
            Span::styled(mark, style),
            Span::raw(" "),
            Span::styled(truncate(&row.label, room), theme.text),
            Span::styled(suffix, theme.warn),
        ]);
        let mut cells = vec![Cell::from(name)];
        if place_w > 0 {
            let style = super::scopes::style(app, row.scope, theme);
            cells.push(Cell::from(truncate(place, place_w as usize)).style(style));
        }
        if let Some(h) = app.health().get(&model.name) {
            let age = metrics_age(model, app.now());
            let stages = Stage::ALL.iter().zip(stale_stages).zip(loading_stages);
            cells.extend(stages.map(|((stage, stale), loading)| {
                let s = h.stage(*stage);
                match loading && s.health == Health::Unknown {
                    // Its source has not answered yet: not the same as nothing to judge.
                    true => Cell::from("  …").style(theme.dim),
                    // One model's facts a describe could not refresh are old too.
                    false => {
                        let stale = stale || model.is_stale_at(*stage);
                        let age = age.as_deref().filter(|_| metric_fed(*stage));
                        Cell::from(aged_cell(theme, (s, stale), stage_w as usize, age))
                    }
                }
            }));
        }
        if let Some(c) = cost {
            let daily = c.model_daily(&model.name).map_or(String::new(), money);
            cells.push(Cell::from(format!("{daily:>7}")).style(theme.dim));
        }
        if change_w > 0 {
            let text = cause.map_or(String::new(), |age| format!("▲ changed {age} ago"));
            cells.push(Cell::from(text).style(theme.warn));
        }
        Some(Row::new(cells))
    });

    let widths = std::iter::once(Constraint::Length(name_w))
        .chain((place_w > 0).then_some(Constraint::Length(place_w)))
        .chain(Stage::ALL.iter().map(|_| Constraint::Length(stage_w)))
        .chain(cost.map(|_| Constraint::Length(COST_WIDTH)))
        .chain((change_w > 0).then_some(Constraint::Length(CHANGE_WIDTH)));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(SPACING)
        .block(block);
    render_list(frame, area, table, theme, app.cursor(), app.rows().len());
}

/// The model column takes what the longest name needs (within bounds) and gives the
/// rest to the six stages; on narrow terminals names are cut before stages are.
fn column_widths(app: &App, width: u16, marked: u16) -> (u16, u16) {
    let longest = app
        .rows()
        .iter()
        .map(|r| r.label.width())
        .max()
        .unwrap_or(10) as u16
        + 2
        + marked;
    let stages = Stage::ALL.len() as u16;
    let spacing = SPACING * stages;
    let min_stage = 9;
    let name_w = longest
        .clamp(12, 30)
        .min(width.saturating_sub(spacing + stages * min_stage))
        .max(8);
    let stage_w = (width.saturating_sub(name_w + spacing) / stages).clamp(3, 18);
    // Room the stages cannot use goes to a long name ("churn · staging") rather than
    // cutting it.
    let spare = width.saturating_sub(name_w + spacing + stages * stage_w);
    let name_w = longest.min(64).min(name_w + spare).max(name_w);
    (name_w, stage_w)
}

/// Loading or failed before any data arrived: say which, never an empty green table.
pub fn placeholder(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    block: ratatui::widgets::Block,
) {
    let text = match &app.fleet() {
        Loadable::Failed { why } => {
            Line::styled(format!("✖ could not load the fleet: {why}"), theme.crit)
        }
        _ => Line::styled("loading…", theme.dim),
    };
    frame.render_widget(Paragraph::new(text).block(block), area);
}

/// The stages whose numbers are CloudWatch series the budget paces.
fn metric_fed(stage: Stage) -> bool {
    matches!(stage, Stage::Endpoint | Stage::Quality)
}

/// How old a model's series are, when the budget let them grow old.
fn metrics_age(model: &crate::model::facts::ModelFacts, now: jiff::Timestamp) -> Option<String> {
    let old = now.duration_since(model.metrics_at?);
    (old > METRICS_PACED_AFTER).then(|| format::age_brief(old))
}

/// A stage's cell, ending with its series' age (dim) when they are paced.
fn aged_cell<'a>(
    theme: &Theme,
    (s, stale): (&crate::model::StageStatus, bool),
    width: usize,
    age: Option<&str>,
) -> Line<'a> {
    let Some(age) = age else {
        return stage_cell(theme, s, stale, width);
    };
    let suffix = format!(" {age}");
    let mut line = stage_cell(theme, s, stale, width.saturating_sub(suffix.width()));
    line.spans.push(Span::styled(suffix, theme.dim));
    line
}
