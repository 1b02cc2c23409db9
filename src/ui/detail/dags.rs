//! What is wrong with a model's Airflow DAGs, for the detail view's reasons: an ETL
//! run that failed (with its task and exception), one that is late, a paused DAG.

use jiff::Timestamp;

use crate::model::dags::DagRole;
use crate::model::facts::ModelFacts;
use crate::model::format;

pub fn troubles(m: &ModelFacts, now: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    for dag in &m.dags {
        let what = format!("{} DAG {}", dag.role.label(), dag.dag_id);
        // A failed training run is TRAIN's reason already.
        if let Some(run) = dag.failed().filter(|_| dag.role == DagRole::Etl) {
            let task = run.failed_task.as_deref().unwrap_or("?");
            let why = run
                .log_tail
                .last()
                .map(String::as_str)
                .unwrap_or("see its log");
            out.push(format!(
                "✖ {what} run {} failed at task {task}: {why}",
                run.run_id
            ));
        }
        if let Some(late) = dag.late_by(now) {
            let schedule = dag.schedule.as_deref().unwrap_or("its schedule");
            out.push(format!(
                "⚠ {what} is {} late on {schedule}: is its scheduler running?",
                format::age_brief(late)
            ));
        }
        if dag.role == DagRole::Unknown {
            out.push(format!(
                "? DAG {} is tagged for this model but says neither etl nor training: add \
                 one of those tags (or name it in [[models]] etl_dag / training_dag)",
                dag.dag_id
            ));
        }
        if dag.paused {
            out.push(format!(
                "⚠ {what} is paused: no run starts until it is unpaused"
            ));
        }
    }
    out
}
