//! Colour themes: TOML files embedded in the binary (so they work after `cargo install`),
//! or a user's file by path.

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use super::error::ConfigError;
use crate::model::Health;

/// Built-in themes by name, in the order `--theme` help lists them.
pub const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// Every style the UI draws with.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub ok: Style,
    pub warn: Style,
    pub crit: Style,
    pub unknown: Style,
    pub stale: Style,
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub header: Style,
    pub border: Style,
    pub selected: Style,
    pub key: Style,
    pub chart: Style,
    pub chart_alt: Style,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    ok: StyleSpec,
    warn: StyleSpec,
    crit: StyleSpec,
    unknown: StyleSpec,
    stale: StyleSpec,
    text: StyleSpec,
    dim: StyleSpec,
    title: StyleSpec,
    header: StyleSpec,
    border: StyleSpec,
    selected: StyleSpec,
    key: StyleSpec,
    chart: StyleSpec,
    chart_alt: StyleSpec,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct StyleSpec {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    bold: bool,
    dim: bool,
    italic: bool,
    underlined: bool,
    reversed: bool,
}

/// A colour as written in a theme; parsed by ratatui's own `Color::from_str`.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct ColorSpec(Color);

impl TryFrom<String> for ColorSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse::<Color>().map(ColorSpec).map_err(|_| {
            format!("unknown colour \"{s}\" (use a name such as \"red\", \"#rrggbb\" or 0-255)")
        })
    }
}

impl StyleSpec {
    fn style(&self) -> Style {
        let mut s = Style::default();
        if let Some(c) = &self.fg {
            s = s.fg(c.0);
        }
        if let Some(c) = &self.bg {
            s = s.bg(c.0);
        }
        let flags = [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ];
        for (on, m) in flags {
            if on {
                s = s.add_modifier(m);
            }
        }
        s
    }
}

impl Theme {
    pub fn parse(path: &Path, text: &str) -> Result<Theme, ConfigError> {
        let f: ThemeFile =
            toml::from_str(text).map_err(|e| ConfigError::from_toml(path, text, &e))?;
        Ok(Theme {
            name: f.name,
            ok: f.ok.style(),
            warn: f.warn.style(),
            crit: f.crit.style(),
            unknown: f.unknown.style(),
            stale: f.stale.style(),
            text: f.text.style(),
            dim: f.dim.style(),
            title: f.title.style(),
            header: f.header.style(),
            border: f.border.style(),
            selected: f.selected.style(),
            key: f.key.style(),
            chart: f.chart.style(),
            chart_alt: f.chart_alt.style(),
        })
    }

    /// A built-in theme by name, or a theme file by path.
    pub fn load(name_or_path: &str) -> Result<Theme, ConfigError> {
        if let Some((name, text)) = BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            return Theme::parse(Path::new(&format!("<built-in theme {name}>")), text);
        }
        let path = Path::new(name_or_path);
        match std::fs::read_to_string(path) {
            Ok(text) => Theme::parse(path, &text),
            Err(_) => Err(ConfigError::file(
                path,
                format!(
                    "no such theme (built-in: {}; or give a path to a theme file)",
                    BUILTIN.map(|(n, _)| n).join(", ")
                ),
            )),
        }
    }

    /// The theme to use: an explicit choice wins, else `NO_COLOR` means monochrome.
    pub fn choose(explicit: Option<&str>, no_color: bool) -> Result<Theme, ConfigError> {
        match explicit {
            Some(t) => Theme::load(t),
            None if no_color => Theme::load("mono"),
            None => Theme::load("dark"),
        }
    }

    pub fn health(&self, h: Health) -> Style {
        match h {
            Health::Ok => self.ok,
            Health::Warn => self.warn,
            Health::Crit => self.crit,
            Health::Unknown => self.unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses() {
        for (name, _) in BUILTIN {
            assert_eq!(Theme::load(name).unwrap().name, name);
        }
    }

    #[test]
    fn mono_theme_uses_no_colour() {
        let t = Theme::load("mono").unwrap();
        for s in [
            t.ok, t.warn, t.crit, t.unknown, t.stale, t.selected, t.header,
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
        assert_ne!(t.warn, t.crit, "warn and crit must differ without colour");
    }

    #[test]
    fn no_color_picks_mono_unless_a_theme_is_named() {
        assert_eq!(Theme::choose(None, true).unwrap().name, "mono");
        assert_eq!(Theme::choose(Some("light"), true).unwrap().name, "light");
        assert_eq!(Theme::choose(None, false).unwrap().name, "dark");
    }

    #[test]
    fn bad_colour_points_at_its_line() {
        let text = BUILTIN[0].1.replace("fg = \"green\"", "fg = \"grean\"");
        let err = Theme::parse(Path::new("t.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.toml:") && err.contains("unknown colour \"grean\""),
            "{err}"
        );
    }

    #[test]
    fn missing_theme_lists_the_builtins() {
        let err = Theme::load("neon").unwrap_err().to_string();
        assert!(err.contains("built-in: dark, light, mono"), "{err}");
    }
}
