//! `:cost`: month-to-date spend by service and by model, each day of the month, and
//! the forecast, from Cost Explorer (or the demo). Shows how old the answer is,
//! because asking again costs money.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::header::money;
use super::widgets::{panel, render_list, truncate};
use crate::app::App;
use crate::config::Theme;
use crate::model::{format, CostSummary};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(cost) = app.fleet().data().and_then(|f| f.cost.as_ref()) else {
        let block = panel(theme, " cost ");
        let text = "no cost data yet (Cost Explorer answers once the sources start)";
        frame.render_widget(Paragraph::new(text).style(theme.dim).block(block), area);
        return;
    };
    let title = format!(
        " cost · as of {} ago · r asks Cost Explorer again ($0.01 a request) ",
        format::age_since(cost.as_of, app.now())
    );
    let block = panel(theme, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [summary, body] =
        Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(headline(cost, theme)), summary);

    let [tables, days] = if body.width >= 100 {
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body)
    } else {
        Layout::vertical([Constraint::Fill(1), Constraint::Length(8)]).areas(body)
    };
    let models_height = match cost.by_model.is_empty() {
        true => 0,
        false => u16::try_from(cost.by_model.len())
            .unwrap_or(u16::MAX)
            .saturating_add(3),
    };
    // Several accounts (or a payer's members): what each spends.
    let accounts_height = match cost.by_account.len() > 1 {
        true => u16::try_from(cost.by_account.len().min(12))
            .unwrap_or(u16::MAX)
            .saturating_add(3),
        false => 0,
    };
    let [services_area, accounts_area, models_area] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(accounts_height),
        Constraint::Length(models_height),
    ])
    .areas(tables);
    if accounts_height > 0 {
        frame.render_widget(accounts(cost, app, theme), accounts_area);
    }
    let services = services(cost, theme, services_area.width);
    render_list(
        frame,
        services_area,
        services,
        theme,
        app.cursor(),
        cost.by_service.len(),
    );
    if models_height > 0 {
        frame.render_widget(models(cost, theme), models_area);
    }
    draw_days(frame, days, cost, theme);
}

fn headline<'a>(c: &CostSummary, theme: &Theme) -> Vec<Line<'a>> {
    let forecast = c.forecast.map_or("no forecast yet".to_string(), |f| {
        let range = match (f.lower, f.upper) {
            (Some(lo), Some(hi)) => format!(" (80%: {}–{})", money(lo), money(hi)),
            _ => String::new(),
        };
        format!("{}{range}", money(f.mean))
    });
    vec![Line::from(vec![
        Span::styled(" month to date ", theme.dim),
        Span::styled(money(c.month_to_date), theme.title),
        Span::styled(format!(" {}", c.currency), theme.dim),
        Span::styled("   forecast for the month ", theme.dim),
        Span::styled(forecast, theme.text),
    ])]
}

fn services<'a>(c: &CostSummary, theme: &Theme, width: u16) -> Table<'a> {
    let total = c.month_to_date.max(f64::EPSILON);
    let bar_room = usize::from(width.saturating_sub(50)).clamp(4, 30);
    let rows = c.by_service.iter().map(|(service, v)| {
        let share = v / total;
        let bar = "█".repeat(((share * bar_room as f64).round() as usize).max(1));
        Row::new(vec![
            Cell::from(truncate(service, 34)),
            Cell::from(format!("{:>9}", money(*v))),
            Cell::from(format!("{:>4.0}%", share * 100.0)),
            Cell::from(bar).style(theme.chart),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Length(34),
            Constraint::Length(9),
            Constraint::Length(5),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["SERVICE", "    MTD", "SHARE", ""]).style(theme.title))
    .block(panel(theme, " by service "))
}

/// Month to date per account, largest first, each named by its label when config
/// gives one.
fn accounts<'a>(c: &CostSummary, app: &App, theme: &Theme) -> Table<'a> {
    let label = |id: &str| {
        app.context()
            .scopes
            .iter()
            .find(|s| s.account.as_deref() == Some(id))
            .and_then(|s| s.label.clone())
            .map_or(id.to_string(), |l| format!("{l} ({id})"))
    };
    let mut spent: Vec<(&String, &f64)> = c.by_account.iter().collect();
    spent.sort_by(|a, b| b.1.total_cmp(a.1));
    let rows = spent.into_iter().map(|(id, v)| {
        Row::new(vec![
            Cell::from(label(id)),
            Cell::from(format!("{:>9}", money(*v))),
        ])
    });
    Table::new(rows, [Constraint::Fill(1), Constraint::Length(9)])
        .header(Row::new(["ACCOUNT", "    MTD"]).style(theme.title))
        .block(panel(theme, " by account "))
}

fn models<'a>(c: &CostSummary, theme: &Theme) -> Table<'a> {
    let rows = c.by_model.iter().map(|(model, v)| {
        let per_day = c.model_daily(model).unwrap_or(0.0);
        Row::new(vec![
            Cell::from(model.clone()),
            Cell::from(format!("{:>9}", money(*v))),
            Cell::from(format!("{:>7}/day", money(per_day))),
        ])
    });
    Table::new(
        rows,
        [
            Constraint::Fill(1),
            Constraint::Length(9),
            Constraint::Length(11),
        ],
    )
    .header(Row::new(["MODEL (tagged)", "    MTD", "    AVERAGE"]).style(theme.title))
    .block(panel(theme, " by model "))
}

fn draw_days(frame: &mut Frame, area: Rect, c: &CostSummary, theme: &Theme) {
    let bars: Vec<Bar> = c
        .daily
        .iter()
        .map(|(day, v)| {
            Bar::default()
                .value(v.max(0.0).round() as u64)
                .label(Line::from(day.day().to_string()))
                .text_value(String::new())
                .style(theme.chart)
        })
        .collect();
    // As many days as fit: each bar takes 2 columns plus a gap.
    let fit = usize::from(area.width.saturating_sub(2) / 3).max(1);
    let shown = &bars[bars.len().saturating_sub(fit)..];
    let chart = BarChart::default()
        .block(panel(theme, " each day this month "))
        .data(BarGroup::default().bars(shown))
        .bar_width(2)
        .bar_gap(1);
    frame.render_widget(chart, area);
}
