//! Values that must never leave the process: a training job's environment, the
//! user-info of a URL, tokens. They are sent where they belong and nowhere else: not
//! to a dialog, the audit log, a snapshot, a state document, an export or a log line.

use std::fmt;

/// What is shown in place of a secret value.
pub const HIDDEN: &str = "(hidden)";

/// A value sent as it is but never shown: `Debug` and `Display` print `(hidden)`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value itself, for the request that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(HIDDEN)
    }
}

/// `text` with the user-info of every URL in it hidden: `https://user:pass@host/x`
/// becomes `https://(hidden)@host/x`. Errors from HTTP clients name the URL they
/// failed on; this is what makes them safe to show.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first of / ? # or whitespace.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let (authority, after) = tail.split_at(end);
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(HIDDEN);
                out.push_str(authority.split_at(at).1);
            }
            None => out.push_str(authority),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Whether `url` carries user-info (`user:pass@`).
pub fn has_user_info(url: &str) -> bool {
    redact_urls(url) != url
}

/// `text` safe to print on a terminal: control characters (escape sequences, a
/// carriage return that rewrites a line, a bell) become `?`; newlines and tabs stay.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            c if c.is_control() => '?',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?} {s}"), "(hidden) (hidden)");
        assert_eq!(s.expose(), "hunter2");
        let pair = vec![("DB_PASSWORD".to_string(), s)];
        assert!(!format!("{pair:?}").contains("hunter2"));
    }

    #[test]
    fn user_info_is_hidden_in_any_url_of_a_text() {
        assert_eq!(
            redact_urls(
                "error sending request for url (https://bob:s3cret@mlflow.corp:5000/api/2.0/x)"
            ),
            "error sending request for url (https://(hidden)@mlflow.corp:5000/api/2.0/x)"
        );
        assert_eq!(
            redact_urls("http://a:b@h and ftp://c@d/e?f=g@h"),
            "http://(hidden)@h and ftp://(hidden)@d/e?f=g@h"
        );
        assert_eq!(redact_urls("http://host/x@y"), "http://host/x@y");
        assert_eq!(redact_urls("no url"), "no url");
        assert!(has_user_info("https://u:p@h/"));
        assert!(!has_user_info("https://h/"));
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        assert_eq!(printable("a\u{1b}[2Jb\rc\u{7}\n\td"), "a?[2Jb?c?\n\td");
    }
}
