//! One fleet from the parts each source knows: SageMaker knows endpoints and
//! training, CloudWatch metrics and alarms, S3 raw-data freshness. Rows join by exact
//! name first, then by any of their names once affixes are stripped (`Normaliser`),
//! so a metric published as `ModelName=demand` lands on the row whose endpoint is
//! `demand-prod`. Rows of one source never merge with each other by name: two
//! endpoints of one source stay two rows.

use std::collections::HashMap;

use super::facts::{Fleet, ModelFacts, ModelKind};
use super::identity::{JoinedBy, Normaliser};
use super::scope::ScopeIx;

/// Where each name and stripped name of the rows joined so far points, per scope
/// (rows of two accounts or regions never join), and across scopes for facts that
/// only name a model in passing.
#[derive(Default)]
struct Index {
    exact: HashMap<(ScopeIx, String), usize>,
    keys: HashMap<(ScopeIx, String), usize>,
    any_scope: HashMap<String, usize>,
    any_scope_keys: HashMap<String, usize>,
}

impl Index {
    fn add(&mut self, m: &ModelFacts, at: usize, names: &Normaliser) {
        let scope = m.scope.index;
        for name in std::iter::once(&m.name).chain(&m.aliases) {
            self.exact.entry((scope, name.clone())).or_insert(at);
            self.any_scope.entry(name.clone()).or_insert(at);
        }
        for name in std::iter::once(&m.name).chain(&m.aliases) {
            self.keys.entry((scope, names.key(name))).or_insert(at);
            self.any_scope_keys.entry(names.key(name)).or_insert(at);
        }
    }

    /// The row named `name`, exactly or once stripped, in any scope.
    fn find_name(&self, name: &str, names: &Normaliser) -> Option<usize> {
        self.any_scope
            .get(name)
            .or_else(|| self.any_scope_keys.get(&names.key(name)))
            .copied()
    }

    /// The row `m` belongs to in its scope, and whether only stripped names matched.
    fn find(&self, m: &ModelFacts, names: &Normaliser) -> Option<(usize, bool)> {
        let scope = m.scope.index;
        let all = || std::iter::once(&m.name).chain(&m.aliases);
        all()
            .find_map(|n| self.exact.get(&(scope, n.clone())).map(|&i| (i, false)))
            .or_else(|| {
                all().find_map(|n| self.keys.get(&(scope, names.key(n))).map(|&i| (i, true)))
            })
    }
}

/// Joins `parts` in order; where two parts know the same fact, the earlier one wins.
/// The parts come in a fixed order (by source), so the result does not depend on
/// which source answered first.
pub fn merge<'a>(parts: impl IntoIterator<Item = &'a Fleet>, names: &Normaliser) -> Fleet {
    let mut out = Fleet::default();
    let mut index = Index::default();
    for part in parts {
        // Rows of this part join rows of earlier parts only.
        let mut added = Vec::new();
        let mut renamed: HashMap<(ScopeIx, &str), String> = HashMap::new();
        for m in &part.models {
            match index.find(m, names) {
                Some((i, by_key)) => {
                    let Some(into) = out.models.get_mut(i) else {
                        continue;
                    };
                    join(into, m, by_key);
                    renamed.insert((m.scope.index, &m.name), into.name.clone());
                    added.push(i);
                }
                None => match served_by_lineage(&out.models, m) {
                    // A workload no name joins, serving a model's artifact.
                    Some((i, evidence)) => {
                        let Some(into) = out.models.get_mut(i) else {
                            continue;
                        };
                        join(into, &joined_by_lineage(m, &evidence), false);
                        renamed.insert((m.scope.index, &m.name), into.name.clone());
                        added.push(i);
                    }
                    None => {
                        added.push(out.models.len());
                        out.models.push(m.clone());
                    }
                },
            }
        }
        for i in added {
            if let Some(m) = out.models.get(i) {
                index.add(m, i, names);
            }
        }
        out.alarms.extend(part.alarms.iter().map(|a| {
            let mut a = a.clone();
            if let Some(to) = a.model.as_deref().and_then(|m| renamed.get(&(a.scope, m))) {
                a.model = Some(to.clone());
            }
            a
        }));
        out.changes.extend(part.changes.iter().cloned());
        out.dns.extend(part.dns.iter().cloned());
        // Several accounts' spend is one bill (a payer's answer already holds its
        // members').
        out.cost = match (out.cost.take(), &part.cost) {
            (Some(a), Some(b)) => Some(Box::new(super::cost::combine(*a, (**b).clone()))),
            (a, b) => a.or_else(|| b.clone()),
        };
        if out.traces.is_none() {
            out.traces.clone_from(&part.traces);
        }
        if out.spending.is_none() {
            out.spending.clone_from(&part.spending);
        }
    }
    attach_by_name(&mut out, &index, names);
    for m in &mut out.models {
        super::registry::mark_served(m);
    }
    out
}

/// Facts that name their model in passing join its row too: per-model cost by its
/// tag value, and X-Ray services by their name (the endpoint's, or the model's).
fn attach_by_name(out: &mut Fleet, index: &Index, names: &Normaliser) {
    let row_name = |name: &str| {
        let i = index.find_name(name, names)?;
        out.models.get(i).map(|m| m.name.clone())
    };
    let cost = out.cost.as_ref().map(|c| {
        let mut by_model = std::collections::BTreeMap::new();
        for (tag, spent) in &c.by_model {
            let name = row_name(tag).unwrap_or_else(|| tag.clone());
            *by_model.entry(name).or_insert(0.0) += spent;
        }
        by_model
    });
    let services: Vec<Option<String>> = out
        .traces
        .iter()
        .flat_map(|t| &t.services)
        .map(|s| match &s.model {
            Some(m) => Some(row_name(m).unwrap_or_else(|| m.clone())),
            None => row_name(&s.name),
        })
        .collect();
    if let (Some(c), Some(by_model)) = (out.cost.as_mut(), cost) {
        c.by_model = by_model;
    }
    if let Some(t) = out.traces.as_mut() {
        for (s, model) in t.services.iter_mut().zip(services) {
            s.model = model;
        }
    }
}

fn join(into: &mut ModelFacts, from: &ModelFacts, by_key: bool) {
    if into.kind == ModelKind::Other {
        into.kind = from.kind;
    }
    join_identity(into, from, by_key);
    for alias in std::iter::once(&from.name).chain(&from.aliases) {
        if *alias != into.name && !into.aliases.contains(alias) {
            into.aliases.push(alias.clone());
        }
    }
    if into.data.is_none() {
        into.data.clone_from(&from.data);
    }
    // Runs of every orchestrator, newest first: TRAIN is the newest, whoever ran it.
    if !from.training.is_empty() {
        into.training.extend(from.training.iter().cloned());
        into.training.sort_by_key(|r| std::cmp::Reverse(r.started));
    }
    into.dags.extend(from.dags.iter().cloned());
    if into.registry.is_empty() {
        into.registry.clone_from(&from.registry);
    }
    if into.environment.is_none() {
        into.environment.clone_from(&from.environment);
    }
    if into.pipeline.is_none() {
        into.pipeline.clone_from(&from.pipeline);
    }
    if into.endpoint.is_none() {
        into.endpoint.clone_from(&from.endpoint);
    }
    let drift = &mut into.drift;
    if drift.report_time.is_none() && drift.report_problem.is_none() {
        drift.violations.clone_from(&from.drift.violations);
        drift.report_time = from.drift.report_time;
        drift.report.clone_from(&from.drift.report);
        drift.report_problem.clone_from(&from.drift.report_problem);
    }
    if drift.captured.is_none() {
        drift.captured.clone_from(&from.drift.captured);
    }
    if drift.monitoring.is_none() {
        drift.monitoring.clone_from(&from.drift.monitoring);
        drift.reports_at.clone_from(&from.drift.reports_at);
    }
    into.metrics_at = into.metrics_at.max(from.metrics_at);
    if into.metrics_source.is_none() {
        into.metrics_source = from.metrics_source;
    }
    for (name, series) in &from.metrics {
        into.metrics
            .entry(name.clone())
            .or_insert_with(|| series.clone());
    }
    for (name, published) in &from.published {
        into.published
            .entry(name.clone())
            .or_insert_with(|| published.clone());
    }
    into.stale.extend(from.stale.iter().cloned());
    if into.scope.replication.is_empty() {
        into.scope.replication.clone_from(&from.scope.replication);
    }
}

/// The row (of `m`'s scope, with no endpoint yet) whose model `m`'s workload on
/// Kubernetes serves, by its `storageUri`: one of the row's MLflow versions' artifact,
/// else the output of one of its SageMaker training jobs (SageMaker's layout names
/// the job). With what matched, said to the user.
fn served_by_lineage(rows: &[ModelFacts], m: &ModelFacts) -> Option<(usize, String)> {
    let ep = m.endpoint.as_ref().filter(|e| e.k8s.is_some())?;
    let artifact = ep.artifact.as_deref()?;
    let open = |r: &ModelFacts| r.endpoint.is_none() && r.scope.index == m.scope.index;
    let by_version = rows.iter().enumerate().find_map(|(i, r)| {
        let at = super::registry::version_serving(&r.registry, artifact).filter(|_| open(r))?;
        let version = r.registry.get(at)?.version;
        Some((
            i,
            format!("it serves {artifact}, MLflow version v{version}'s artifact"),
        ))
    });
    by_version.or_else(|| {
        let job = super::runs::job_named_in(artifact)?;
        let i = rows.iter().position(|r| {
            open(r)
                && r.training
                    .iter()
                    .any(|t| t.source == super::runs::RunSource::SageMaker && t.name == job)
        })?;
        Some((
            i,
            format!("it serves {artifact}, training job {job}'s output"),
        ))
    })
}

/// `m` with its pieces said to be joined by what they serve.
fn joined_by_lineage(m: &ModelFacts, evidence: &str) -> ModelFacts {
    let mut m = m.clone();
    if let Some(identity) = m.identity.as_mut() {
        for p in &mut identity.pieces {
            p.by = JoinedBy::Lineage;
            p.evidence = evidence.to_string();
        }
    }
    m
}

/// The row keeps its own identity; the joined part's pieces are added, each saying
/// how it was joined (a stripped-name match is never more than a name match).
fn join_identity(into: &mut ModelFacts, from: &ModelFacts, by_key: bool) {
    let Some(theirs) = &from.identity else {
        return;
    };
    let Some(ours) = into.identity.as_mut() else {
        into.identity = Some(theirs.clone());
        return;
    };
    for p in &theirs.pieces {
        let (by, evidence) = match by_key && p.by != JoinedBy::Config {
            true => (
                JoinedBy::Name,
                format!("{} (named like {})", p.evidence, into.name),
            ),
            false => (p.by, p.evidence.clone()),
        };
        ours.join(p.what.clone(), by, evidence);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{Alarm, AlarmState, DataFacts};
    use crate::model::facts::{RunDetail, RunSource, RunStatus, TrainingRun};
    use crate::model::metrics::Series;
    use jiff::Timestamp;

    fn model(name: &str) -> ModelFacts {
        ModelFacts::named(name)
    }

    #[test]
    fn facts_about_one_model_from_several_sources_join_into_one_row() {
        let at = Timestamp::UNIX_EPOCH;
        let mut from_cloudwatch = model("churn");
        from_cloudwatch.kind = ModelKind::Classification;
        from_cloudwatch
            .metrics
            .insert("AUC".into(), Series::new(vec![(at, 0.9)]));
        let mut from_s3 = model("churn");
        from_s3.data = Some(DataFacts {
            lambda: None,
            location: "s3://b/raw/".into(),
            newest_object: Some(at),
            source: crate::model::facts::DataSource::S3,
        });
        let sagemaker = Fleet {
            models: vec![model("churn"), model("demand")],
            ..Fleet::default()
        };
        let cloudwatch = Fleet {
            models: vec![from_cloudwatch, model("batch-only")],
            alarms: vec![Alarm {
                name: "churn-5xx".into(),
                state: AlarmState::Alarm,
                reason: "r".into(),
                since: at,
                model: Some("churn".into()),
                stage: None,
                scope: 0,
                notifies: None,
            }],
            ..Fleet::default()
        };
        let s3 = Fleet {
            models: vec![from_s3],
            ..Fleet::default()
        };
        let fleet = merge([&sagemaker, &cloudwatch, &s3], &Normaliser::default());
        let names: Vec<_> = fleet.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["churn", "demand", "batch-only"]);
        let churn = fleet.model("churn").unwrap();
        assert_eq!(churn.kind, ModelKind::Classification);
        assert_eq!(churn.metrics["AUC"].latest(), Some((at, 0.9)));
        assert_eq!(churn.data.as_ref().unwrap().location, "s3://b/raw/");
        assert_eq!(fleet.alarms.len(), 1);
    }

    #[test]
    fn cost_tags_and_xray_services_join_the_row_they_name() {
        use crate::model::cost::CostSummary;
        use crate::model::traces::{ServiceNode, TraceFacts};
        let service = |name: &str| ServiceNode {
            name: name.into(),
            kind: "AWS::SageMaker::Endpoint".into(),
            requests: 1,
            error_rate: 0.0,
            fault_rate: 0.0,
            throttle_rate: 0.0,
            avg_ms: 1.0,
            p99_ms: None,
            calls: vec![],
            model: None,
        };
        let mut sagemaker = model("demand-forecasting");
        sagemaker.aliases = vec!["demand-forecasting-prod".into()];
        let cost = Fleet {
            cost: Some(Box::new(CostSummary {
                currency: "USD".into(),
                month_to_date: 30.0,
                forecast: None,
                by_service: vec![],
                daily: vec![],
                by_model: [
                    ("demand_forecasting".to_string(), 10.0),
                    ("other".into(), 5.0),
                ]
                .into(),
                as_of: Timestamp::UNIX_EPOCH,
                by_account: std::collections::BTreeMap::new(),
            })),
            ..Fleet::default()
        };
        let xray = Fleet {
            traces: Some(Box::new(TraceFacts {
                services: vec![service("demand-forecasting-prod"), service("gateway")],
                traces: vec![],
                window_minutes: 15,
                problem: None,
            })),
            ..Fleet::default()
        };
        let parts = [
            Fleet {
                models: vec![sagemaker],
                ..Fleet::default()
            },
            cost,
            xray,
        ];
        let fleet = merge(&parts, &Normaliser::default());
        let by_model = &fleet.cost.as_ref().unwrap().by_model;
        assert_eq!(by_model.get("demand-forecasting"), Some(&10.0));
        assert_eq!(by_model.get("other"), Some(&5.0), "unknown tags stay");
        let models: Vec<Option<&str>> = fleet
            .traces
            .as_ref()
            .unwrap()
            .services
            .iter()
            .map(|s| s.model.as_deref())
            .collect();
        assert_eq!(models, vec![Some("demand-forecasting"), None]);
    }

    fn run(name: &str, at: i64, source: RunSource) -> TrainingRun {
        TrainingRun {
            name: name.into(),
            status: RunStatus::Completed,
            started: Timestamp::from_second(at).unwrap(),
            ended: None,
            failure_reason: None,
            objective: None,
            secondary_status: None,
            execution_arn: None,
            serving: false,
            source,
            detail: RunDetail::default(),
        }
    }

    #[test]
    fn training_runs_of_every_orchestrator_are_one_list_newest_first() {
        let mut sm = model("churn");
        sm.training = vec![run("job", 100, RunSource::SageMaker)];
        let mut airflow = model("churn");
        airflow.training = vec![run("dag-run", 300, RunSource::Airflow)];
        let mut mlflow = model("churn");
        mlflow.training = vec![run("mlflow-run", 200, RunSource::Mlflow)];
        let parts: Vec<Fleet> = [sm, airflow, mlflow]
            .into_iter()
            .map(|m| Fleet {
                models: vec![m],
                ..Fleet::default()
            })
            .collect();
        let merged = merge(&parts, &Normaliser::new(&[]));
        let names: Vec<&str> = merged.models[0]
            .training
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, vec!["dag-run", "mlflow-run", "job"]);
    }

    #[test]
    fn a_workload_no_name_joins_lands_on_the_model_whose_mlflow_artifact_it_serves() {
        use crate::model::facts::{Approval, MlflowVersion, ModelVersion};
        let mut mlflow = model("FraudDetector");
        mlflow.registry.push(ModelVersion {
            version: 7,
            approval: Approval::Approved,
            created: Timestamp::UNIX_EPOCH,
            deployed: false,
            arn: None,
            source: crate::model::facts::RegistrySource::Mlflow,
            mlflow: Some(Box::new(MlflowVersion {
                artifact: Some("s3://ml-models/fraud/7/".into()),
                ..MlflowVersion::default()
            })),
        });
        let parts = [
            Fleet {
                models: vec![mlflow],
                ..Fleet::default()
            },
            Fleet {
                models: vec![kserve_serving("s3://ml-models/fraud/7/model.bst")],
                ..Fleet::default()
            },
        ];
        let merged = merge(&parts, &Normaliser::default());
        assert_eq!(merged.models.len(), 1, "{:?}", merged.models);
        let m = &merged.models[0];
        assert_eq!(m.name, "FraudDetector");
        assert!(m.registry[0].deployed, "v7 is the one served");
        let piece = scorer_piece(m);
        assert_eq!(piece.by, JoinedBy::Lineage);
        assert!(piece.evidence.contains("MLflow version v7"), "{piece:?}");
    }

    /// A KServe row no name joins, serving `artifact`.
    fn kserve_serving(artifact: &str) -> ModelFacts {
        use crate::model::facts::EndpointFacts;
        use crate::model::identity::Identity;
        let mut kserve = model("scorer");
        let what = "InferenceService serving/scorer";
        kserve.identity =
            Some(Identity::new(JoinedBy::Name, what).with(what, JoinedBy::Name, what));
        kserve.endpoint = Some(EndpointFacts {
            name: "scorer".into(),
            artifact: Some(artifact.into()),
            k8s: Some(Box::new(crate::model::k8s::tests::inference_service())),
            ..EndpointFacts::default()
        });
        kserve
    }

    fn scorer_piece(m: &ModelFacts) -> &crate::model::identity::Piece {
        let identity = m.identity.as_ref().unwrap();
        let piece = identity
            .pieces
            .iter()
            .find(|p| p.what == "InferenceService serving/scorer");
        piece.unwrap()
    }

    #[test]
    fn a_workload_serving_a_sagemaker_jobs_output_lands_on_the_model_that_trained_it() {
        let run = |source| run("demand-train-v3", 0, source);
        // An Airflow run of the same name is not the job SageMaker's layout names.
        let mut airflow = model("forecast-etl");
        airflow.training = vec![run(RunSource::Airflow)];
        let mut trained = model("demand");
        trained.training = vec![run(RunSource::SageMaker)];
        let parts = [
            Fleet {
                models: vec![airflow, trained],
                ..Fleet::default()
            },
            Fleet {
                models: vec![
                    kserve_serving("s3://ml/out/demand-train-v3/output/model.tar.gz"),
                    {
                        let mut other = kserve_serving("s3://ml/out/gone-v1/output/model.tar.gz");
                        other.name = "other".into();
                        other
                    },
                ],
                ..Fleet::default()
            },
        ];
        let merged = merge(&parts, &Normaliser::default());
        let names: Vec<&str> = merged.models.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            ["forecast-etl", "demand", "other"],
            "a job no row ran joins nothing"
        );
        let piece = scorer_piece(&merged.models[1]);
        assert_eq!(piece.by, JoinedBy::Lineage);
        assert!(
            piece
                .evidence
                .contains("training job demand-train-v3's output"),
            "{piece:?}"
        );
        assert!(merged.models[1].endpoint.is_some());
    }
}
