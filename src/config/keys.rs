//! Key bindings as data: the built-in list (keys.toml) with the user's overrides merged
//! over it. Every binding carries the description the `?` help shows.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;
use toml::Spanned;

const DEFAULT_BINDINGS: &str = include_str!("keys.toml");

/// What a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyAction {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Back,
    NextModel,
    PrevModel,
    Filter,
    Command,
    Refresh,
    Rollback,
    Retrain,
    Approve,
    Reject,
    Stop,
    /// Step back / forward through the recorded past.
    ScrubBack,
    ScrubForward,
    /// Write the selected model's incident report.
    Export,
    Help,
    Quit,
}

/// One key with its modifiers, e.g. `ctrl-c`, `G`, `pagedown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    code: KeyCode,
    ctrl: bool,
    alt: bool,
}

impl Chord {
    pub fn parse(s: &str) -> Result<Chord, String> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                (ctrl, rest) = (true, r);
            } else if let Some(r) = rest.strip_prefix("alt-") {
                (alt, rest) = (true, r);
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => named_key(rest).ok_or_else(|| {
                format!(
                    "unknown key \"{s}\" (use a character, or ctrl-/alt- with one of: \
                     enter esc tab backtab backspace space up down left right home end \
                     pageup pagedown delete f1..f12)"
                )
            })?,
        };
        Ok(Chord { code, ctrl, alt })
    }

    /// The chord a terminal key event stands for. Shift is already in the character.
    pub fn from_event(ev: &KeyEvent) -> Chord {
        Chord {
            code: ev.code,
            ctrl: ev.modifiers.contains(KeyModifiers::CONTROL),
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

fn named_key(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "delete" => KeyCode::Delete,
        f if f.starts_with('f') => KeyCode::F(
            f.strip_prefix('f')?
                .parse()
                .ok()
                .filter(|n| (1..=12).contains(n))?,
        ),
        _ => return None,
    })
}

/// A binding as the help shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub action: KeyAction,
    pub keys: Vec<String>,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: Vec<Binding>,
    by_chord: Vec<(Chord, KeyAction)>,
}

#[derive(Deserialize)]
struct DefaultFile {
    binding: Vec<RawBinding>,
}

#[derive(Deserialize)]
struct RawBinding {
    action: KeyAction,
    keys: Vec<String>,
    desc: String,
}

impl Default for KeyMap {
    /// The built-in bindings. They are tested to parse (`the_built_in_bindings_parse`);
    /// were they ever broken, the dashboard would still quit on q and ctrl-c, and say
    /// why in the log, rather than trap the user.
    fn default() -> KeyMap {
        KeyMap::with_overrides(&BTreeMap::new()).unwrap_or_else(|(_, why)| {
            tracing::error!("{why}; only the quit keys work");
            let keys = ["q", "ctrl-c"];
            KeyMap {
                bindings: vec![Binding {
                    action: KeyAction::Quit,
                    keys: keys.iter().map(|k| k.to_string()).collect(),
                    desc: "quit".into(),
                }],
                by_chord: keys
                    .iter()
                    .filter_map(|k| Chord::parse(k).ok())
                    .map(|c| (c, KeyAction::Quit))
                    .collect(),
            }
        })
    }
}

impl KeyMap {
    /// The built-in bindings with `overrides` replacing the keys of the actions they name.
    /// A key the user gives to one action is taken away from any other.
    /// Errors carry the span of the offending key in the user's file.
    pub fn with_overrides(
        overrides: &BTreeMap<KeyAction, Vec<Spanned<String>>>,
    ) -> Result<KeyMap, (Range<usize>, String)> {
        let defaults: DefaultFile = toml::from_str(DEFAULT_BINDINGS)
            .map_err(|e| (0..0, format!("built-in key bindings: {e}")))?;
        let mut taken: Vec<(Chord, KeyAction)> = Vec::new();
        for (action, keys) in overrides {
            for key in keys {
                let chord = Chord::parse(key.get_ref()).map_err(|e| (key.span(), e))?;
                taken.push((chord, *action));
            }
        }
        let mut bindings = Vec::new();
        let mut by_chord = taken.clone();
        for raw in defaults.binding {
            let keys: Vec<String> = match overrides.get(&raw.action) {
                Some(user) => user.iter().map(|k| k.get_ref().clone()).collect(),
                None => raw
                    .keys
                    .into_iter()
                    .filter(|k| {
                        let chord = Chord::parse(k);
                        !taken.iter().any(|(c, _)| Ok(*c) == chord)
                    })
                    .collect(),
            };
            if overrides.get(&raw.action).is_none() {
                for k in &keys {
                    let chord = Chord::parse(k).map_err(|e| (0..0, e))?;
                    by_chord.push((chord, raw.action));
                }
            }
            bindings.push(Binding {
                action: raw.action,
                keys,
                desc: raw.desc,
            });
        }
        Ok(KeyMap { bindings, by_chord })
    }

    pub fn action(&self, ev: &KeyEvent) -> Option<KeyAction> {
        let chord = Chord::from_event(ev);
        self.by_chord
            .iter()
            .find(|(c, _)| *c == chord)
            .map(|(_, a)| *a)
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The first key bound to `action`, for hints such as "? help".
    pub fn hint(&self, action: KeyAction) -> &str {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map_or("", String::as_str)
    }
}

impl fmt::Display for KeyAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn the_built_in_bindings_parse() {
        let built_in = KeyMap::with_overrides(&BTreeMap::new());
        let Ok(km) = built_in else {
            panic!("keys.toml does not parse: {built_in:?}");
        };
        assert!(km.bindings().len() > 10);
        for b in km.bindings() {
            assert!(!b.keys.is_empty(), "{:?} has no key", b.action);
            assert!(!b.desc.is_empty(), "{:?} has no description", b.action);
        }
        assert_eq!(KeyMap::default(), km);
    }

    #[test]
    fn defaults_cover_the_documented_keys() {
        let km = KeyMap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action(&key(KeyCode::Char('j'), none)),
            Some(KeyAction::Down)
        );
        assert_eq!(km.action(&key(KeyCode::Down, none)), Some(KeyAction::Down));
        assert_eq!(
            km.action(&key(KeyCode::Char('q'), none)),
            Some(KeyAction::Quit)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(KeyAction::Quit)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(KeyAction::Bottom)
        );
        assert_eq!(
            km.action(&key(KeyCode::Char('?'), none)),
            Some(KeyAction::Help)
        );
        assert_eq!(km.action(&key(KeyCode::Char('z'), none)), None);
        assert_eq!(km.hint(KeyAction::Help), "?");
    }

    #[test]
    fn user_keys_replace_an_action_and_steal_from_others() {
        let over = BTreeMap::from([(KeyAction::Quit, vec![Spanned::new(0..1, "j".to_string())])]);
        let km = KeyMap::with_overrides(&over).unwrap();
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action(&key(KeyCode::Char('j'), none)),
            Some(KeyAction::Quit)
        );
        assert_eq!(km.action(&key(KeyCode::Char('q'), none)), None);
        let down = km
            .bindings()
            .iter()
            .find(|b| b.action == KeyAction::Down)
            .unwrap();
        assert_eq!(down.keys, vec!["down"]);
    }

    #[test]
    fn bad_key_names_are_reported_with_their_span() {
        let over = BTreeMap::from([(
            KeyAction::Quit,
            vec![Spanned::new(7..15, "ctrl-foo".to_string())],
        )]);
        let (span, msg) = KeyMap::with_overrides(&over).unwrap_err();
        assert_eq!(span, 7..15);
        assert!(msg.starts_with("unknown key \"ctrl-foo\""), "{msg}");
    }

    #[test]
    fn chords_parse_modifiers_and_names() {
        assert_eq!(
            Chord::parse("ctrl-alt-x").unwrap(),
            Chord {
                code: KeyCode::Char('x'),
                ctrl: true,
                alt: true
            }
        );
        assert_eq!(Chord::parse("f5").unwrap().code, KeyCode::F(5));
        assert!(Chord::parse("f13").is_err());
        assert!(Chord::parse("hyper-x").is_err());
    }
}
