//! `:events`: every state change seen this session, newest first.

use ratatui::layout::Rect;
use ratatui::widgets::{List, ListItem, ListState};
use ratatui::Frame;

use super::footer::event_line;
use super::widgets::panel;
use crate::app::App;
use crate::config::Theme;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = panel(theme, format!(" events ({}) ", app.events().len()));
    let items: Vec<ListItem> = app
        .events()
        .iter()
        .map(|e| ListItem::new(event_line(e, theme)))
        .collect();
    let empty = items.is_empty();
    let list = if empty {
        List::new([ListItem::new("no state changes yet").style(theme.dim)])
    } else {
        List::new(items)
    };
    let mut state = ListState::default().with_selected((!empty).then_some(app.cursor()));
    frame.render_stateful_widget(
        list.block(block).highlight_style(theme.selected),
        area,
        &mut state,
    );
}
