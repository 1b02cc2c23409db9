use jiff::Timestamp;

/// A panel's data as the UI sees it, so "no data" and "old data" are never drawn as fresh.
#[derive(Debug, Clone, PartialEq)]
pub enum Loadable<T> {
    Loading,
    Ready { data: T, at: Timestamp },
    Stale { data: T, at: Timestamp, why: String },
    Failed { why: String },
}

impl<T> Loadable<T> {
    pub fn data(&self) -> Option<&T> {
        match self {
            Loadable::Ready { data, .. } | Loadable::Stale { data, .. } => Some(data),
            Loadable::Loading | Loadable::Failed { .. } => None,
        }
    }

    pub fn is_stale(&self) -> bool {
        matches!(self, Loadable::Stale { .. })
    }

    /// A failed refresh keeps the last good data, marked stale with the reason.
    pub fn fail(self, why: String) -> Loadable<T> {
        match self {
            Loadable::Ready { data, at } | Loadable::Stale { data, at, .. } => {
                Loadable::Stale { data, at, why }
            }
            Loadable::Loading | Loadable::Failed { .. } => Loadable::Failed { why },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_after_success_keeps_data_as_stale() {
        let at = Timestamp::from_second(1_000).unwrap();
        let l = Loadable::Ready { data: 7, at }.fail("timeout".into());
        assert!(l.is_stale());
        assert_eq!(l.data(), Some(&7));
        assert!(matches!(l, Loadable::Stale { at: a, .. } if a == at));
    }

    #[test]
    fn failure_without_data_is_failed() {
        let l: Loadable<i32> = Loadable::Loading.fail("denied".into());
        assert_eq!(
            l,
            Loadable::Failed {
                why: "denied".into()
            }
        );
        assert_eq!(l.data(), None);
    }
}
