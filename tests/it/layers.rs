//! The layers of the crate docs (src/lib.rs), kept true: every path a file under `src/` names
//! (`crate::x`, or `super::…` climbing out of its own layer) must point down, or
//! stay in its own layer. A new upward edge fails here with the file and the path.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level modules, lowest first. A layer may name its own and lower ones.
const RANKS: &[(&str, u8)] = &[
    ("model", 0),
    ("config", 1),
    ("aws", 2),
    ("source", 3),
    ("action", 4),
    ("app", 5),
    ("ui", 6),
    ("snapshot", 6),
    ("run", 7),
    ("cli", 7),
    ("testing", 7),
    ("main", 7),
    ("lib", 7),
];

/// Beyond ranks: drawing never touches I/O, so the views name no fetcher or
/// executor, and neither does the app state they draw.
const FORBIDDEN: &[(&str, &str)] = &[
    ("ui", "source"),
    ("ui", "action"),
    ("ui", "aws"),
    ("ui", "run"),
    ("snapshot", "action"),
    ("snapshot", "aws"),
    ("app", "source"),
    ("app", "aws"),
    ("app", "run"),
];

fn rank(layer: &str) -> u8 {
    RANKS
        .iter()
        .find(|(l, _)| *l == layer)
        .map(|(_, r)| *r)
        .unwrap_or_else(|| panic!("src/{layer}: a top-level module with no layer in RANKS"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/source/aws/mod.rs` is `[source, aws]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// Every top-level module a file names: `crate::x`, and `super::` chains that climb
/// to the crate root (`super::super::x` from `src/a/b.rs`).
fn named_layers(module: &[String], text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in text.match_indices("crate::") {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a::x, b::y}`: each first segment.
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            for part in inner.split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            out.insert(ident(rest));
        }
    }
    for (i, _) in text.match_indices("super::") {
        let before = text[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let mut rest = &text[i..];
        let mut depth = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            depth += 1;
            rest = r;
        }
        // A file's own `mod tests` adds one level: count from the file's module, the
        // conservative reading (it can only climb less far than it seems).
        if depth >= module.len() && !module.is_empty() {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn every_layer_names_only_itself_and_those_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        let layer = module.first().cloned().unwrap_or_default();
        let text = std::fs::read_to_string(file).unwrap();
        // Tests (a `*tests.rs` file, or what follows `#[cfg(test)]`) may also use the
        // shared fixtures in `testing`.
        let is_tests = file
            .file_stem()
            .is_some_and(|s| s.to_string_lossy().ends_with("tests"));
        let (code, tests) = match is_tests {
            true => ("", text.as_str()),
            false => text.split_at(text.find("#[cfg(test)]").unwrap_or(text.len())),
        };
        let in_tests = named_layers(&module, tests);
        for named in named_layers(&module, code)
            .into_iter()
            .chain(in_tests.clone())
        {
            if !RANKS.iter().any(|(l, _)| *l == named) || named == layer {
                continue;
            }
            let fixture = named == "testing"
                && in_tests.contains(&named)
                && !named_layers(&module, code).contains(&named);
            if fixture {
                continue;
            }
            checked += 1;
            let upward = rank(&named) > rank(&layer);
            let forbidden = FORBIDDEN.contains(&(layer.as_str(), named.as_str()));
            if upward || forbidden {
                wrong.push(format!("{} names {named}", file.display()));
            }
        }
    }
    assert!(checked > 100, "the parser found only {checked} edges");
    assert!(
        wrong.is_empty(),
        "edges against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_parser_sees_every_form_of_path() {
    let module = vec!["source".to_string(), "aws".to_string(), "s3".to_string()];
    let text = "use crate::model::Fleet;\nuse crate::{app::App, ui};\n\
                let x = crate::action::Kind::Stop;\nuse super::super::super::run;\n\
                use super::targets;\n";
    let named = named_layers(&module, text);
    let want: BTreeSet<String> = ["model", "app", "ui", "action", "run"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(named, want);
}

/// The app's state changes only through updates, keys and its own methods: every
/// field of `App` is private to the app, so a view or the loop cannot write one.
#[test]
fn the_app_state_has_no_public_field() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app/state.rs"))
            .expect("src/app/state.rs");
    let body = text
        .split("pub struct App {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("struct App in src/app/state.rs");
    let public: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("pub ") || l.starts_with("pub(crate)"))
        .collect();
    assert!(body.lines().count() > 10, "the struct was not found whole");
    assert!(public.is_empty(), "public App fields: {public:?}");
}
