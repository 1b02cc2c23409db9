//! Paged reads, bounded: a server that pages for ever, or hands back a page token it
//! gave before, ends the read with one line instead of keeping the tool busy. Every
//! paged read of an outside server (AWS, MLflow, Airflow, S3 listings) goes through
//! one of these.

use std::collections::HashSet;

/// The pages one read has taken so far.
#[derive(Debug)]
pub struct Pages {
    what: String,
    max: usize,
    read: usize,
    seen: HashSet<String>,
    /// At the bound: stop with what was read (a deliberate cap on a long
    /// listing), rather than fail.
    capped: bool,
}

impl Pages {
    /// A read of `what` (e.g. "cloudwatch:DescribeAlarms") of at most `max` pages;
    /// more is an error (the answer would be incomplete).
    pub fn new(what: impl Into<String>, max: usize) -> Pages {
        Pages {
            what: what.into(),
            max: max.max(1),
            read: 0,
            seen: HashSet::new(),
            capped: false,
        }
    }

    /// A listing that keeps its first `max` pages and stops there (logged).
    pub fn capped(what: impl Into<String>, max: usize) -> Pages {
        Pages {
            capped: true,
            ..Pages::new(what, max)
        }
    }

    /// Counts one page (the SDK's paginators, which stop on a repeated token
    /// themselves); an error once it would be more than the bound.
    pub fn count(&mut self) -> Result<(), String> {
        self.read += 1;
        match self.read > self.max {
            true => Err(format!(
                "{}: more than {} pages; stopped (the server keeps paging)",
                self.what, self.max
            )),
            false => Ok(()),
        }
    }

    /// After a page whose answer said `next`: the token to ask for the next page
    /// with, or None when the read is done (no token, or an empty one). An error when
    /// the server repeats a token or pages past the bound.
    pub fn next(&mut self, next: Option<&str>) -> Result<Option<String>, String> {
        self.count()?;
        let Some(token) = next.filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        if !self.seen.insert(token.to_string()) {
            return Err(format!(
                "{}: the server sent the same page token twice; stopped",
                self.what
            ));
        }
        match (self.read >= self.max, self.capped) {
            (false, _) => Ok(Some(token.to_string())),
            (true, true) => {
                tracing::warn!("{}: only the first {} pages read", self.what, self.max);
                Ok(None)
            }
            (true, false) => Err(format!(
                "{}: more than {} pages; stopped (the server keeps paging)",
                self.what, self.max
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Pages;

    #[test]
    fn a_read_ends_on_the_last_page_a_repeated_token_or_the_bound() {
        let mut p = Pages::new("x:List", 3);
        assert_eq!(p.next(Some("a")).unwrap().as_deref(), Some("a"));
        assert_eq!(p.next(Some("")).unwrap(), None, "an empty token ends it");
        let mut p = Pages::new("x:List", 10);
        p.next(Some("a")).unwrap();
        p.next(Some("b")).unwrap();
        let err = p.next(Some("a")).unwrap_err();
        assert_eq!(
            err,
            "x:List: the server sent the same page token twice; stopped"
        );
        let mut p = Pages::new("mlflow:SearchRegisteredModels", 2);
        p.next(Some("1")).unwrap();
        let err = p.next(Some("2")).unwrap_err();
        assert!(err.contains("more than 2 pages"), "{err}");
        let mut p = Pages::new("x", 1);
        assert!(p.count().is_ok());
        assert!(p.count().is_err());
        // A capped listing keeps what it read; a repeated token is still an error.
        let mut p = Pages::capped("ecs:ListServices", 2);
        p.next(Some("1")).unwrap();
        assert_eq!(p.next(Some("2")).unwrap(), None);
        let mut p = Pages::capped("ecs:ListServices", 5);
        p.next(Some("1")).unwrap();
        assert!(p.next(Some("1")).is_err());
    }
}
