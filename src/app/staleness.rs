//! What the sources' answers mean for the screen: which failed and why (one line
//! per reason), and which stages are still loading or show old facts, per scope.

use super::state::{App, Place};
use crate::model::scope::{Feed, ScopeIx};
use crate::model::update::SourceId;
use crate::model::{Loadable, Stage};

impl App {
    /// The sources whose last refresh failed, and why.
    pub fn source_problems(&self) -> impl Iterator<Item = (Feed, &str)> {
        self.sources.iter().filter_map(|(feed, l)| match l {
            Loadable::Stale { why, .. } | Loadable::Failed { why } => Some((*feed, why.as_str())),
            Loadable::Loading | Loadable::Ready { .. } => None,
        })
    }

    /// One line per distinct reason, naming every source it stops: expired
    /// credentials are one message, not one per source. With several accounts or
    /// regions each line says where ("SageMaker in dev us-west-2: …").
    pub fn problem_lines(&self) -> Vec<String> {
        // The demo's one source speaks for both its regions.
        let many = self.context.scopes.len() > 1 && matches!(self.context.place, Place::Aws { .. });
        let mut by_reason: Vec<(&str, Option<ScopeIx>, Vec<&str>)> = Vec::new();
        for (feed, why) in self.source_problems() {
            let scope = many.then_some(feed.scope);
            match by_reason
                .iter_mut()
                .find(|(w, s, _)| *w == why && *s == scope)
            {
                Some((_, _, sources)) => sources.push(feed.source.label()),
                None => by_reason.push((why, scope, vec![feed.source.label()])),
            }
        }
        let scope_problems = self
            .context
            .scopes
            .iter()
            .filter(|_| many)
            .filter_map(|s| Some(format!("{}: {}", s.name(), s.problem.as_deref()?)));
        by_reason
            .into_iter()
            .map(
                |(why, scope, sources)| match scope.and_then(|i| self.context.scope(i)) {
                    Some(s) => format!("{} in {}: {why}", sources.join(", "), s.name()),
                    None => format!("{}: {why}", sources.join(", ")),
                },
            )
            .chain(scope_problems)
            .collect()
    }

    /// Whether a source that decides `stage` has not answered yet in any scope: an
    /// unknown cell is then loading, not "nothing to judge".
    pub fn stage_is_loading(&self, stage: Stage) -> bool {
        (0..self.scope_count()).any(|scope| self.stage_is_loading_in(scope, stage))
    }

    /// `stage_is_loading` for the rows of one scope.
    pub fn stage_is_loading_in(&self, scope: ScopeIx, stage: Stage) -> bool {
        // The past on screen is whole: nothing there is still being asked for.
        if self.past.is_some() {
            return false;
        }
        let expected: &[SourceId] = match self.context.place {
            Place::Demo { .. } => &[SourceId::Demo],
            Place::Aws { .. } => &[SourceId::SageMaker, SourceId::CloudWatch, SourceId::S3],
        };
        // The demo's one source speaks for every scope.
        let scope = if matches!(self.context.place, Place::Demo { .. }) {
            0
        } else {
            scope
        };
        let unanswered = expected
            .iter()
            .filter(|id| id.feeds().contains(&stage))
            .any(|id| {
                self.sources
                    .get(&Feed::new(*id, scope))
                    .is_none_or(|l| matches!(l, Loadable::Loading))
            });
        unanswered
            || self
                .pending
                .iter()
                .any(|(feed, stages)| feed.scope == scope && stages.contains(&stage))
    }

    /// Whether `stage`'s cells show old facts in any scope: a source that decides it failed.
    pub fn stage_is_stale(&self, stage: Stage) -> bool {
        self.sources.iter().any(|(feed, l)| {
            !matches!(l, Loadable::Ready { .. }) && feed.source.feeds().contains(&stage)
        })
    }

    /// `stage_is_stale` for the rows of one scope: another account's expired
    /// session greys only its own rows.
    pub fn stage_is_stale_in(&self, scope: ScopeIx, stage: Stage) -> bool {
        self.sources.iter().any(|(feed, l)| {
            feed.scope == scope
                && !matches!(l, Loadable::Ready { .. })
                && feed.source.feeds().contains(&stage)
        })
    }

    /// Whether every stage shows old facts, so the row's own mark is old too.
    pub fn all_stale(&self) -> bool {
        Stage::ALL.iter().all(|s| self.stage_is_stale(*s))
    }

    /// `all_stale` for the rows of one scope.
    pub fn all_stale_in(&self, scope: ScopeIx) -> bool {
        Stage::ALL.iter().all(|s| self.stage_is_stale_in(scope, *s))
    }

    /// How many accounts × regions this session watches (1 without `[[accounts]]`
    /// or a region list).
    pub fn scope_count(&self) -> ScopeIx {
        ScopeIx::try_from(self.context.scopes.len().max(1)).unwrap_or(ScopeIx::MAX)
    }
}
