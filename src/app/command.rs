//! The `:` command line: jump to a view, open a model, quit.

use super::state::View;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Show(View),
    Open(String),
    Help,
    Quit,
}

/// Every command the line accepts, for completion and the error message.
pub const NAMES: [&str; 11] = [
    "pipeline", "models", "alarms", "events", "changes", "traces", "stats", "cost", "model",
    "help", "quit",
];

/// Parses a command; a unique prefix works (`:al` is `:alarms`), as in k9s.
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Err(String::new());
    };
    let arg = words.collect::<Vec<_>>().join(" ");
    let matches: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| n.starts_with(word))
        .collect();
    let name = match (word, matches.as_slice()) {
        ("q" | "q!", _) => "quit",
        (_, [one]) => one,
        (_, _) if NAMES.contains(&word) => word,
        (_, []) => {
            return Err(format!(
                "unknown command :{word} (try :{})",
                NAMES.join(" :")
            ))
        }
        (_, many) => return Err(format!(":{word} is ambiguous: :{}", many.join(" :"))),
    };
    Ok(match name {
        "pipeline" => Command::Show(View::Pipeline),
        "models" => Command::Show(View::Models),
        "alarms" => Command::Show(View::Alarms),
        "events" => Command::Show(View::Events),
        "changes" => Command::Show(View::Changes),
        "stats" => Command::Show(View::Stats),
        "cost" => Command::Show(View::Cost),
        "traces" => Command::Show(View::Traces),
        "model" if arg.is_empty() => return Err("usage: :model NAME".into()),
        "model" => Command::Open(arg),
        "help" => Command::Help,
        _ => Command::Quit,
    })
}

/// Completes the command word to the longest unambiguous prefix.
pub fn complete(line: &str) -> String {
    if line.contains(' ') {
        return line.to_string();
    }
    let matches: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| n.starts_with(line))
        .collect();
    match matches.as_slice() {
        [] => line.to_string(),
        [one] => one.to_string(),
        many => {
            let first = many[0];
            let len = (line.len()..first.len())
                .take_while(|&i| {
                    many.iter()
                        .all(|m| m.as_bytes().get(i) == first.as_bytes().get(i))
                })
                .count();
            first[..line.len() + len].to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_and_unique_prefixes_work() {
        assert_eq!(parse("alarms"), Ok(Command::Show(View::Alarms)));
        assert_eq!(parse("al"), Ok(Command::Show(View::Alarms)));
        assert_eq!(parse("st"), Ok(Command::Show(View::Stats)));
        assert_eq!(parse("pipeline"), Ok(Command::Show(View::Pipeline)));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(
            parse("model churn-detection"),
            Ok(Command::Open("churn-detection".into()))
        );
    }

    #[test]
    fn ambiguous_and_unknown_commands_say_what_to_type() {
        assert_eq!(parse("m"), Err(":m is ambiguous: :models :model".into()));
        assert!(parse("xyz")
            .unwrap_err()
            .starts_with("unknown command :xyz (try :pipeline"));
        assert_eq!(parse("model"), Err("usage: :model NAME".into()));
    }

    #[test]
    fn completion_extends_to_the_common_prefix() {
        assert_eq!(complete("ev"), "events");
        assert_eq!(complete("mo"), "model");
        assert_eq!(complete("zz"), "zz");
    }
}
