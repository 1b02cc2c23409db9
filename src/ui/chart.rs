//! Metric charts with threshold lines: full braille line charts when there is room,
//! one-line sparklines (bars coloured by health) when there is not.

use jiff::Timestamp;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Sparkline, SparklineBar};
use ratatui::Frame;

use super::widgets::{panel, truncate};
use crate::config::Theme;
use crate::model::metrics::Series;
use crate::model::{format, Direction, Health, Threshold};

/// One chart: a few series of the same unit and the threshold that judges the first.
pub struct ChartSpec {
    pub title: String,
    /// Metric name of the judged series; decides the unit shown.
    pub metric: String,
    pub lines: Vec<(String, Series)>,
    pub threshold: Option<Threshold>,
}

impl ChartSpec {
    fn latest(&self) -> Option<f64> {
        self.lines
            .first()
            .and_then(|(_, s)| s.latest())
            .map(|(_, v)| v)
    }

    fn health(&self) -> Health {
        match (self.threshold, self.latest()) {
            (Some(t), v) => t.evaluate(v),
            (None, Some(_)) => Health::Ok,
            (None, None) => Health::Unknown,
        }
    }
}

/// Minutes before `now`, the x axis of every chart.
fn minutes_ago(t: Timestamp, now: Timestamp) -> f64 {
    -(now.duration_since(t).as_secs_f64() / 60.0)
}

/// When the model's deploys happened: each is a vertical mark on its charts.
pub struct Marks<'a> {
    pub deploys: &'a [Timestamp],
    pub now: Timestamp,
    pub window_min: f64,
}

impl Marks<'_> {
    /// The deploys inside the chart's window, as minutes before now.
    fn inside(&self) -> impl Iterator<Item = f64> + '_ {
        self.deploys
            .iter()
            .map(|t| minutes_ago(*t, self.now))
            .filter(|x| *x >= -self.window_min && *x <= 0.0)
    }
}

pub fn full(frame: &mut Frame, area: Rect, spec: &ChartSpec, marks: &Marks, theme: &Theme) {
    let (now, window_min) = (marks.now, marks.window_min);
    let health = spec.health();
    let latest = spec
        .latest()
        .map_or("—".to_string(), |v| format::value(&spec.metric, v));
    let deployed = marks
        .deploys
        .iter()
        .find(|t| minutes_ago(**t, now) >= -window_min);
    let title = Line::from(vec![
        Span::raw(format!(" {} ", spec.title)),
        Span::styled(
            format!("{} {latest} ", health.glyph()),
            theme.health(health),
        ),
        Span::styled(
            deployed.map_or(String::new(), |t| format!("▲{} ", t.strftime("%H:%M"))),
            theme.warn,
        ),
    ]);
    let points: Vec<Vec<(f64, f64)>> = spec
        .lines
        .iter()
        .map(|(_, s)| {
            s.points
                .iter()
                .map(|(t, v)| (minutes_ago(*t, now), *v))
                .collect()
        })
        .collect();
    let levels: Vec<(f64, Style)> = spec
        .threshold
        .iter()
        .flat_map(|t| [(t.warn, theme.warn), (t.crit, theme.crit)])
        .filter_map(|(l, s)| l.map(|l| (l, s)))
        .collect();
    let data_bounds = bounds(points.iter().flatten().map(|p| p.1));
    // A threshold far from the data would squash it flat; such levels stay in the title.
    let span = (data_bounds.1 - data_bounds.0).max(data_bounds.1.abs() * 0.2);
    let levels: Vec<(f64, Style)> = levels
        .into_iter()
        .filter(|(l, _)| *l >= data_bounds.0 - span && *l <= data_bounds.1 + span)
        .collect();
    let lines: Vec<[(f64, f64); 2]> = levels
        .iter()
        .map(|(l, _)| [(-window_min, *l), (0.0, *l)])
        .collect();
    let (lo, hi) = bounds(
        points
            .iter()
            .flatten()
            .map(|p| p.1)
            .chain(levels.iter().map(|l| l.0)),
    );
    let styles = [theme.chart, theme.chart_alt];
    let mut datasets: Vec<Dataset> = points
        .iter()
        .zip(&spec.lines)
        .enumerate()
        .map(|(i, (p, (name, _)))| {
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(styles[i % styles.len()])
                .data(p)
        })
        .collect();
    for (line, (_, style)) in lines.iter().zip(&levels) {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(*style)
                .data(line),
        );
    }
    let verticals: Vec<[(f64, f64); 2]> = marks.inside().map(|x| [(x, lo), (x, hi)]).collect();
    for line in &verticals {
        datasets.push(
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(theme.warn)
                .data(line),
        );
    }
    let window = format::age(jiff::SignedDuration::from_secs((window_min * 60.0) as i64));
    let chart = Chart::new(datasets)
        .block(panel(theme, title))
        .legend_position(if spec.lines.len() > 1 {
            Some(ratatui::widgets::LegendPosition::TopLeft)
        } else {
            None
        })
        .x_axis(
            Axis::default()
                .style(theme.dim)
                .bounds([-window_min, 0.0])
                .labels([format!("-{window}"), "now".to_string()]),
        )
        .y_axis(Axis::default().style(theme.dim).bounds([lo, hi]).labels([
            format::value(&spec.metric, lo),
            format::value(&spec.metric, hi),
        ]));
    frame.render_widget(chart, area);
}

/// y-axis bounds with a little headroom; zero-based for non-negative data.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    if lo >= 0.0 && lo < hi * 0.5 {
        lo = 0.0;
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-9);
    hi += pad;
    if lo != 0.0 {
        lo -= pad;
    }
    (lo, hi)
}

/// One line: name, sparkline of the first series coloured by health per bar, value,
/// and the threshold in words.
pub fn compact(frame: &mut Frame, area: Rect, spec: &ChartSpec, marks: &Marks, theme: &Theme) {
    let Some((_, series)) = spec.lines.first() else {
        return;
    };
    let [name_area, spark_area, value_area] = Layout::horizontal([
        Constraint::Length(13),
        Constraint::Fill(1),
        Constraint::Length(24),
    ])
    .areas(area);
    let health = spec.health();
    frame.render_widget(
        Paragraph::new(truncate(&spec.title, 12)).style(theme.text),
        name_area,
    );

    let values = buckets(series, spark_area.width as usize);
    let (lo, hi) = bounds(
        values
            .iter()
            .copied()
            .chain(spec.threshold.and_then(|t| t.line())),
    );
    // The lowest value still gets the lowest bar (one eighth of a cell), so a quiet
    // metric is not drawn as blank.
    let scale = |v: f64| (125.0 + ((v - lo) / (hi - lo)) * 875.0).round().max(125.0) as u64;
    let bars: Vec<SparklineBar> = values
        .iter()
        .map(|&v| {
            let h = spec.threshold.map_or(Health::Ok, |t| t.evaluate(Some(v)));
            let style = if h > Health::Ok {
                theme.health(h)
            } else {
                theme.chart
            };
            SparklineBar::from(scale(v)).style(style)
        })
        .collect();
    frame.render_widget(Sparkline::default().data(bars).max(1000), spark_area);
    // A deploy marks the column its time falls in, on the top row.
    for t in marks.deploys {
        let Some(at) = series.points.iter().position(|(p, _)| p >= t) else {
            continue;
        };
        if at == 0 || values.is_empty() {
            continue;
        }
        let column = (at * values.len() / series.points.len()) as u16;
        if let Some(cell) = frame
            .buffer_mut()
            .cell_mut((spark_area.x + column, spark_area.y))
        {
            cell.set_symbol("▲").set_style(theme.warn);
        }
    }

    let latest = spec
        .latest()
        .map_or("—".to_string(), |v| format::value(&spec.metric, v));
    let rule = spec
        .threshold
        .map(|t| describe(&spec.metric, t))
        .unwrap_or_default();
    let line = Line::from(vec![
        Span::styled(
            format!(" {} {latest:>7}", health.glyph()),
            theme.health(health),
        ),
        Span::styled(format!(" {rule}"), theme.dim),
    ]);
    frame.render_widget(Paragraph::new(line), value_area);
}

/// A sparkline as text, `width` cells of ▁…█, for a table cell.
pub fn spark_text(series: &Series, width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values = buckets(series, width);
    let (lo, hi) = bounds(values.iter().copied());
    values
        .iter()
        .map(|v| BARS[(((v - lo) / (hi - lo)) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect()
}

/// "crit>15.0%" or "crit<2.5%": the level that matters most, in words.
fn describe(metric: &str, t: Threshold) -> String {
    let (name, level) = match (t.crit, t.warn) {
        (Some(c), _) => ("crit", c),
        (None, Some(w)) => ("warn", w),
        (None, None) => return String::new(),
    };
    let op = match t.direction {
        Direction::Above => ">",
        Direction::Below => "<",
    };
    format!("{name}{op}{}", format::value(metric, level))
}

/// Averages the series into `n` buckets (or fewer, if it has fewer points).
fn buckets(series: &Series, n: usize) -> Vec<f64> {
    let values: Vec<f64> = series.values().collect();
    if n == 0 || values.is_empty() {
        return Vec::new();
    }
    let n = n.min(values.len());
    (0..n)
        .map(|i| {
            let (a, b) = (
                i * values.len() / n,
                ((i + 1) * values.len() / n).max(i * values.len() / n + 1),
            );
            let chunk = &values[a..b.min(values.len())];
            chunk.iter().sum::<f64>() / chunk.len() as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_start_at_zero_for_positive_data_and_pad_the_top() {
        let (lo, hi) = bounds([2.0, 8.0, 15.0].into_iter());
        assert_eq!(lo, 0.0);
        assert!(hi > 15.0);
        assert_eq!(bounds(std::iter::empty()), (0.0, 1.0));
    }

    #[test]
    fn buckets_average_down_to_the_width() {
        let ts = |s| Timestamp::from_second(s).unwrap();
        let s = Series::new((0..6).map(|i| (ts(i * 60), i as f64)).collect());
        assert_eq!(buckets(&s, 3), vec![0.5, 2.5, 4.5]);
        assert_eq!(buckets(&s, 10).len(), 6);
    }

    #[test]
    fn thresholds_read_as_words() {
        assert_eq!(describe("MAPE", Threshold::above(10.0, 15.0)), "crit>15.0%");
        assert_eq!(
            describe("Silhouette", Threshold::below(0.6, 0.5)),
            "crit<0.50"
        );
    }
}
