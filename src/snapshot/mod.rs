//! `mlopsdash snapshot`: gather everything once, print the whole state, exit with a
//! code that says how healthy the fleet is (for scripts, cron and tickets).

mod json;
mod schema;
mod text;

pub use schema::Snapshot;
pub use text::render as render_text;

use clap::ValueEnum;
use jiff::Timestamp;

use crate::app::{App, Context};
use crate::config::KeyMap;
use crate::model::update::Update;
use crate::model::{Health, Rules};

/// The lowest health that makes the exit code non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warn,
    Crit,
    Never,
}

/// Exit code when nothing could be gathered at all.
pub const COULD_NOT_GATHER: u8 = 3;
/// Exit code when no model is warn or crit but the answer is incomplete: a source
/// failed or some model's facts could not be refreshed (`errors[]` says which).
pub const PARTLY_BLIND: u8 = 4;

/// The state after applying every update once, and the errors met on the way.
pub struct Gathered {
    pub app: App,
    pub errors: Vec<(String, String)>,
}

pub fn apply(context: Context, rules: Rules, updates: Vec<Update>, now: Timestamp) -> Gathered {
    let mut app = App::new(context, rules, KeyMap::default(), now);
    let mut errors = Vec::new();
    for update in updates {
        let (scope, inner) = match &update {
            Update::Scoped { scope, update } => (Some(*scope), update.as_ref()),
            other => (None, other),
        };
        let place = scope.map_or(String::new(), |i| place(&app, i));
        match inner {
            Update::Failed { source, why, .. } => {
                errors.push((source.label().to_string(), format!("{place}{why}")))
            }
            Update::Identity(Err(why)) => errors.push(("sts".to_string(), format!("{place}{why}"))),
            _ => {}
        }
        app.apply(update);
    }
    // A viewer's failures are the collector's, as its state recorded them, or the
    // state's own age.
    if app.from_collector() {
        errors.extend(source_problems(&app));
    }
    errors.extend(stale_facts(&app));
    Gathered {
        app,
        errors: folded(errors),
    }
}

/// One line per message: the same failure of several sources ("no AWS
/// credentials", a region nobody can reach) is said once, naming them all.
fn folded(errors: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (source, message) in errors {
        match out.iter_mut().find(|(_, m)| *m == message) {
            Some((sources, _)) if !sources.split(", ").any(|s| s == source) => {
                sources.push_str(", ");
                sources.push_str(&source);
            }
            Some(_) => {}
            None => out.push((source, message)),
        }
    }
    out
}

/// The errors the app's state holds: each failed source (saying where, with several
/// accounts or regions) and each model whose facts could not all be refreshed.
pub fn errors_of(app: &App) -> Vec<(String, String)> {
    let mut errors = source_problems(app);
    errors.extend(stale_facts(app));
    errors
}

fn source_problems(app: &App) -> Vec<(String, String)> {
    app.source_problems()
        .map(|(feed, why)| {
            let place = place(app, feed.scope);
            (feed.source.label().to_string(), format!("{place}{why}"))
        })
        .collect()
}

/// "prod · us-east-1: " before an error, with several accounts or regions; nothing
/// with one.
fn place(app: &App, scope: crate::model::scope::ScopeIx) -> String {
    let context = app.context();
    context
        .scope(scope)
        .filter(|_| context.scopes.len() > 1)
        .map_or(String::new(), |s| format!("{}: ", s.name()))
}

/// A model whose facts could not all be refreshed is an error too: the answer for it
/// rests on older facts.
fn stale_facts(app: &App) -> Vec<(String, String)> {
    let models = app.fleet().data().into_iter().flat_map(|f| &f.models);
    models
        .flat_map(|m| {
            m.stale.iter().map(|s| {
                (
                    s.source.label().to_string(),
                    format!("{}: {}", m.name, s.why),
                )
            })
        })
        .collect()
}

/// 0 all ok, 1 warn, 2 crit (from the `fail_on` level up), 3 nothing gathered, 4
/// nothing warn or crit but something not gathered (unless `fail_on` is never).
pub fn exit_code(g: &Gathered, fail_on: FailOn) -> u8 {
    // Nothing known and something failed (an empty account with no errors is fine).
    let no_models = g.app.fleet().data().is_none_or(|f| f.models.is_empty());
    if no_models && !g.errors.is_empty() {
        return COULD_NOT_GATHER;
    }
    let worst = Health::worst(
        g.app
            .rows()
            .iter()
            .map(|r| r.health)
            .filter(|h| *h != Health::Unknown),
    );
    let code = match worst {
        Health::Crit => 2,
        Health::Warn => 1,
        Health::Ok | Health::Unknown => 0,
    };
    let floor = match fail_on {
        FailOn::Warn => 1,
        FailOn::Crit => 2,
        FailOn::Never => u8::MAX,
    };
    match (code >= floor, g.errors.is_empty(), fail_on) {
        (true, _, _) => code,
        (false, false, FailOn::Warn | FailOn::Crit) => PARTLY_BLIND,
        (false, _, _) => 0,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_same_failure_of_many_sources_is_one_line() {
        let line = "no AWS credentials: set AWS_PROFILE or pass --profile".to_string();
        let errors = ["sts", "sagemaker", "cloudwatch", "sagemaker"]
            .iter()
            .map(|s| (s.to_string(), line.clone()))
            .chain([(
                "mlflow".to_string(),
                "MLflow at http://h timed out".to_string(),
            )])
            .collect();
        assert_eq!(
            super::folded(errors),
            [
                ("sts, sagemaker, cloudwatch".to_string(), line),
                (
                    "mlflow".to_string(),
                    "MLflow at http://h timed out".to_string()
                )
            ]
        );
    }

    use super::*;
    use crate::model::update::SourceId;
    use crate::testing::demo_app;

    fn gathered(secs: i64) -> Gathered {
        let app = demo_app(4, secs);
        Gathered {
            app,
            errors: Vec::new(),
        }
    }

    #[test]
    fn exit_code_follows_the_worst_model_and_fail_on() {
        let g = gathered(120);
        assert_eq!(exit_code(&g, FailOn::Warn), 2);
        assert_eq!(exit_code(&g, FailOn::Crit), 2);
        assert_eq!(exit_code(&g, FailOn::Never), 0);
        let healthy = Gathered {
            app: demo_app(4, 0),
            errors: Vec::new(),
        };
        // At start recommendation-engine's failed training is already crit.
        assert_eq!(exit_code(&healthy, FailOn::Warn), 2);
    }

    #[test]
    fn a_failed_source_is_never_all_ok_unless_asked() {
        let mut g = gathered(0);
        g.app.apply(Update::Fleet {
            source: SourceId::Demo,
            fleet: crate::model::Fleet {
                models: vec![crate::model::facts::ModelFacts::named("quiet")],
                ..Default::default()
            },
            at: Timestamp::UNIX_EPOCH,
        });
        assert_eq!(exit_code(&g, FailOn::Warn), 0);
        g.errors.push(("cloudwatch".into(), "unreachable".into()));
        assert_eq!(exit_code(&g, FailOn::Warn), PARTLY_BLIND);
        assert_eq!(exit_code(&g, FailOn::Never), 0);
        // Crit outranks blind: the worse news is the one to act on.
        assert_eq!(exit_code(&gathered(120), FailOn::Warn), 2);
    }

    #[test]
    fn a_model_with_stale_facts_is_an_error_of_its_source() {
        let mut churn = crate::model::facts::ModelFacts::named("churn");
        churn.stale.push(crate::model::facts::StaleFacts {
            source: SourceId::SageMaker,
            stages: vec![crate::model::Stage::Endpoint],
            since: None,
            why: "throttled by AWS on sagemaker:DescribeEndpoint; backing off".into(),
        });
        let g = apply(
            Context::new(crate::app::Place::Aws {
                region: "us-east-1".into(),
            }),
            Rules::default(),
            vec![Update::Fleet {
                source: SourceId::SageMaker,
                fleet: crate::model::Fleet {
                    models: vec![churn],
                    ..Default::default()
                },
                at: Timestamp::UNIX_EPOCH,
            }],
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(
            g.errors,
            vec![(
                "sagemaker".to_string(),
                "churn: throttled by AWS on sagemaker:DescribeEndpoint; backing off".to_string()
            )]
        );
        assert_eq!(exit_code(&g, FailOn::Warn), PARTLY_BLIND);
    }

    #[test]
    fn nothing_gathered_is_three_whatever_fail_on_says() {
        let failed = Update::Failed {
            source: SourceId::SageMaker,
            why: "denied".into(),
            at: Timestamp::UNIX_EPOCH,
        };
        let g = apply(
            Context::new(crate::app::Place::Aws {
                region: "us-east-1".into(),
            }),
            Rules::default(),
            vec![failed],
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(
            g.errors,
            vec![("sagemaker".to_string(), "denied".to_string())]
        );
        assert_eq!(exit_code(&g, FailOn::Never), COULD_NOT_GATHER);
    }
}
