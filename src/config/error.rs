use std::path::{Path, PathBuf};

/// A config or theme problem, shown to the user as one line naming the place to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}:{line}:{col}: {message}")]
    At {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
}

impl ConfigError {
    /// An error at a byte offset of `text`, reported as 1-based line and column.
    pub fn at(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> ConfigError {
        let (line, col) = line_col(text, offset);
        ConfigError::At {
            path: path.to_path_buf(),
            line,
            col,
            message: message.into(),
        }
    }

    pub fn file(path: &Path, message: impl Into<String>) -> ConfigError {
        ConfigError::File {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }

    /// Converts a TOML parse error, keeping its position.
    pub fn from_toml(path: &Path, text: &str, err: &toml::de::Error) -> ConfigError {
        let message = err.message().trim().to_string();
        match err.span() {
            Some(span) => ConfigError::at(path, text, span.start, message),
            None => ConfigError::file(path, message),
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The text before the offset, backed off to a character boundary: a span from the
    // parser could fall inside a multi-byte character.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = text.get(..end).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_line_and_column() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 9), (2, 4));
    }
}
