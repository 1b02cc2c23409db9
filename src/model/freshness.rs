//! The DATA stage: how fresh the model's raw data is, from the newest S3 object or
//! from its ETL's last successful run (an Airflow DAG or a Lambda function); a
//! failed, late or paused ETL run, or a filling dead-letter queue, warns before the
//! data has even aged. Pure.

use jiff::Timestamp;

use super::cell::StageStatus;
use super::dags::{DagFacts, DagRole, DagRun};
use super::etl::LambdaEtl;
use super::facts::{DataSource, ModelFacts};
use super::format;
use super::health::Health;
use super::rules::Rules;

/// DATA: the newest object's age, or the ETL DAG's last success and its runs.
pub fn judge(m: &ModelFacts, rules: &Rules, now: Timestamp) -> StageStatus {
    let Some(data) = &m.data else {
        return StageStatus::unknown();
    };
    let etl = (data.source == DataSource::Airflow)
        .then(|| m.dags.iter().find(|d| d.role == DagRole::Etl))
        .flatten();
    let lambda = data.lambda.as_deref();
    let trouble = || match (etl, lambda) {
        (Some(dag), _) => etl_trouble(dag, now),
        (None, Some(function)) => lambda_trouble(function, now),
        (None, None) => None,
    };
    let Some(newest) = data.newest_object else {
        return match etl.is_some() || lambda.is_some() {
            true => trouble().unwrap_or_else(|| {
                StageStatus::new(Health::Crit, "no successful run").brief("no run")
            }),
            false => StageStatus::new(Health::Crit, "no objects"),
        };
    };
    let hours = now.duration_since(newest).as_secs_f64() / 3600.0;
    let by_age = StageStatus::new(
        rules.data_age_hours.evaluate(Some(hours)),
        format::age_since(newest, now),
    )
    .brief(format::age_brief(now.duration_since(newest)));
    // A failed, late or paused ETL run means the data stops here: at least a
    // warning, worse when the data has already aged past its threshold.
    match trouble() {
        Some(trouble) => StageStatus {
            health: trouble.health.max(by_age.health),
            ..trouble
        },
        None if etl.is_some_and(|d| d.runs.first().is_some_and(DagRun::is_running)) => {
            by_age.busy()
        }
        None => by_age,
    }
}

/// What is wrong with a Lambda ETL, if anything: its newest run failed, events wait
/// in its DLQ, a run is late, or its schedule is off.
fn lambda_trouble(etl: &LambdaEtl, now: Timestamp) -> Option<StageStatus> {
    if etl.failed() {
        return Some(StageStatus::new(Health::Warn, "ETL failed").brief("failed"));
    }
    if let Some(depth) = etl.dlq_depth.filter(|d| *d > 0) {
        return Some(
            StageStatus::new(Health::Warn, format!("DLQ {depth} msgs"))
                .brief(format!("DLQ {depth}")),
        );
    }
    if let Some(late) = etl.late_by(now) {
        let text = format::age_brief(late);
        return Some(
            StageStatus::new(Health::Warn, format!("ETL late {text}"))
                .brief(format!("late {text}")),
        );
    }
    etl.schedule
        .as_ref()
        .filter(|s| !s.enabled)
        .map(|_| StageStatus::new(Health::Warn, "schedule off").brief("off"))
}

/// What is wrong with an ETL DAG's runs, if anything: failed, late, paused.
fn etl_trouble(dag: &DagFacts, now: Timestamp) -> Option<StageStatus> {
    if let Some(run) = dag.failed() {
        let task = run.failed_task.as_deref().unwrap_or("run");
        return Some(StageStatus::new(Health::Warn, format!("ETL failed: {task}")).brief("failed"));
    }
    if let Some(late) = dag.late_by(now) {
        let text = format::age_brief(late);
        return Some(
            StageStatus::new(Health::Warn, format!("ETL late {text}"))
                .brief(format!("late {text}")),
        );
    }
    dag.paused
        .then(|| StageStatus::new(Health::Warn, "ETL paused").brief("paused"))
}

#[cfg(test)]
mod tests {
    use jiff::SignedDuration;

    use super::*;
    use crate::model::facts::DataFacts;

    fn now() -> Timestamp {
        Timestamp::from_second(1_790_000_000).unwrap()
    }

    fn ago(hours: f64) -> Timestamp {
        now() - SignedDuration::from_secs_f64(hours * 3600.0)
    }

    fn healthy() -> ModelFacts {
        let mut m = ModelFacts::named("demand");
        m.data = Some(DataFacts {
            lambda: None,
            location: "s3://raw/demand/".into(),
            newest_object: Some(ago(3.0)),
            source: DataSource::S3,
        });
        m
    }

    /// An ETL DAG whose last success was `hours` ago, its newest run in `state`.
    fn etl(m: &mut ModelFacts, hours: f64, state: &str) {
        use crate::model::dags::{DagFacts, DagRole, DagRun};
        let data = m.data.as_mut().unwrap();
        data.source = DataSource::Airflow;
        data.newest_object = Some(ago(hours));
        m.dags = vec![DagFacts {
            dag_id: "load".into(),
            role: DagRole::Etl,
            paused: false,
            schedule: Some("@hourly".into()),
            next_due: Some(ago(-0.5)),
            runs: vec![DagRun {
                run_id: "r".into(),
                state: state.into(),
                logical_date: None,
                started: Some(ago(0.2)),
                ended: None,
                failed_task: Some("extract".into()),
                log_tail: vec![],
            }],
            last_success: Some(ago(hours)),
        }];
    }

    #[test]
    fn a_failed_late_or_paused_etl_warns_and_old_data_still_crits() {
        let rules = Rules::default();
        let data = |m: &ModelFacts| judge(m, &rules, now());
        let mut m = healthy();
        etl(&mut m, 2.0, "success");
        assert_eq!(
            (data(&m).health, data(&m).summary),
            (Health::Ok, "2h".to_string())
        );
        etl(&mut m, 2.0, "running");
        assert!(data(&m).in_progress);
        etl(&mut m, 2.0, "failed");
        assert_eq!(
            (data(&m).health, data(&m).summary),
            (Health::Warn, "ETL failed: extract".to_string())
        );
        // Failed and the data past its crit age: crit, still saying why.
        etl(&mut m, 60.0, "failed");
        assert_eq!(
            (data(&m).health, data(&m).summary),
            (Health::Crit, "ETL failed: extract".to_string())
        );
        etl(&mut m, 2.0, "success");
        m.dags[0].next_due = Some(ago(2.0));
        assert_eq!(
            (data(&m).health, data(&m).brief),
            (Health::Warn, "late 2h".to_string())
        );
        m.dags[0].paused = true;
        assert_eq!(
            (data(&m).health, data(&m).summary),
            (Health::Warn, "ETL paused".to_string())
        );
        // Never succeeded.
        m.data.as_mut().unwrap().newest_object = None;
        m.dags[0].paused = false;
        m.dags[0].next_due = None;
        assert_eq!(
            (data(&m).health, data(&m).summary),
            (Health::Crit, "no successful run".to_string())
        );
    }

    #[test]
    fn a_lambda_etl_warns_on_a_failure_then_its_dlq_then_lateness_then_its_schedule() {
        use crate::model::etl::tests::{at, etl};
        let now = at("2026-12-01T10:30:00Z");
        assert_eq!(lambda_trouble(&etl(), now), None);
        let mut e = etl();
        e.dlq_depth = Some(12);
        assert_eq!(lambda_trouble(&e, now).unwrap().summary, "DLQ 12 msgs");
        e.last_failure = Some(at("2026-12-01T10:05:00Z"));
        assert_eq!(lambda_trouble(&e, now).unwrap().summary, "ETL failed");
        let late = at("2026-12-01T11:40:00Z");
        assert_eq!(
            lambda_trouble(&etl(), late).unwrap().summary,
            "ETL late 40m"
        );
        let mut off = etl();
        off.schedule.as_mut().unwrap().enabled = false;
        assert_eq!(lambda_trouble(&off, late).unwrap().summary, "schedule off");
    }
}
