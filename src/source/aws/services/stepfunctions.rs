//! Step Functions state machines that retrain models: per refresh the newest
//! executions (ListExecutions); for a failed one, once, its error and cause
//! (DescribeExecution) and the state it failed in (GetExecutionHistory, newest events
//! first, bounded). Which machine belongs to which model: `[[models]] state_machine`
//! (name or ARN), else a model tag (ListStateMachines and ListTagsForResource every
//! ten minutes; tags once per machine).

use std::collections::HashMap;
use std::sync::Mutex;

use aws_sdk_sfn::types::{ExecutionListItem, ExecutionStatus, HistoryEvent};
use jiff::Timestamp;

use super::{mark_missing, row_of, Joining, Listing, Missing, Owner, TagList, Tags};
use crate::aws::errors::{describe, AwsError};
use crate::aws::ApiCalls;
use crate::model::facts::{RunDetail, RunSource, RunStatus, TrainingRun};
use crate::model::stages::Stage;
use crate::model::Fleet;
use crate::source::aws::fan_out::{fan_out, lock};
use crate::source::last_good::LastGood;
use crate::source::pages::Pages;
use crate::source::{report, Source, SourceId, Update};

/// Executions shown per machine, and history events read to find the failed state.
const EXECUTIONS: i32 = 5;
const HISTORY_EVENTS: i32 = 25;
/// ListStateMachines pages (100 machines each) read at most.
const MAX_PAGES: usize = 10;

#[derive(Debug, Clone)]
struct Machine {
    arn: String,
    name: String,
    owner: Owner,
}

/// Why an execution failed: (failed state, error and cause).
type ExecutionFailure = (Option<String>, Option<String>);

pub struct StepFunctionsSource {
    client: aws_sdk_sfn::Client,
    join: Joining,
    owned: Listing<(Vec<Machine>, Vec<Missing>)>,
    tags: Tags,
    /// Execution ARN → why it failed (a finished execution never changes).
    failures: Mutex<HashMap<String, ExecutionFailure>>,
    known: LastGood<String, Vec<TrainingRun>>,
}

impl StepFunctionsSource {
    pub fn new(sdk: &aws_config::SdkConfig, calls: &ApiCalls) -> StepFunctionsSource {
        let config = aws_sdk_sfn::config::Builder::from(sdk)
            .interceptor(calls.clone())
            .build();
        StepFunctionsSource {
            client: aws_sdk_sfn::Client::from_conf(config),
            join: Joining::default(),
            owned: Listing::default(),
            tags: Tags::default(),
            failures: Mutex::default(),
            known: LastGood::default(),
        }
    }

    /// Config's machines, and (when `discover`) machines tagged with one of `tag_keys`.
    pub fn joining(mut self, join: Joining) -> Self {
        self.join = join;
        self
    }

    async fn gather(&mut self) -> Result<Fleet, String> {
        let owned = self.owned.or_list(self.list_owned()).await;
        let (owned, missing) = owned?;
        let read = fan_out(&owned, self.join.in_flight, |m| self.runs(m)).await;
        let mut rows = Vec::new();
        self.known.retain(|arn| owned.iter().any(|m| m.arn == *arn));
        for (m, runs) in owned.iter().zip(read) {
            let row = row_of(&mut rows, &m.owner, format!("state machine {}", m.name));
            let (runs, mark) =
                self.known
                    .settle(&m.arn, runs, SourceId::StepFunctions, &[Stage::Training]);
            row.stale.extend(mark);
            row.training.extend(runs.unwrap_or_default());
            row.training.sort_by_key(|r| std::cmp::Reverse(r.started));
        }
        mark_missing(
            &mut rows,
            &missing,
            SourceId::StepFunctions,
            Stage::Training,
        );
        Ok(Fleet {
            models: rows,
            ..Fleet::default()
        })
    }

    /// Config's machines, then those whose tags name a model. A configured machine
    /// that cannot be found is its row's alone.
    async fn list_owned(&self) -> Result<(Vec<Machine>, Vec<Missing>), String> {
        let by_name = self.join.mappings.iter().any(|m| {
            m.state_machine
                .as_ref()
                .is_some_and(|s| !s.starts_with("arn:"))
        });
        let listed = match (self.join.discover, by_name) {
            (_, true) => self.list_machines().await?,
            (true, false) => super::discovered(self.list_machines().await, "Step Functions")?,
            (false, false) => Vec::new(),
        };
        let mut owned: Vec<Machine> = Vec::new();
        let mut missing = Vec::new();
        for m in &self.join.mappings {
            let Some(wanted) = &m.state_machine else {
                continue;
            };
            let arn = match wanted.starts_with("arn:") {
                true => Some(wanted.clone()),
                false => listed
                    .iter()
                    .find(|(_, name)| name == wanted)
                    .map(|(arn, _)| arn.clone()),
            };
            let owner = Owner::config(&m.name, "state_machine", wanted);
            let Some(arn) = arn else {
                missing.push(Missing {
                    owner,
                    what: format!("state machine {wanted}"),
                    why: format!("state machine {wanted} not found (states:ListStateMachines)"),
                });
                continue;
            };
            owned.push(Machine {
                name: arn.rsplit(':').next().unwrap_or(wanted).to_string(),
                arn,
                owner,
            });
        }
        if self.join.discover {
            let unnamed = listed
                .into_iter()
                .filter(|(arn, _)| !owned.iter().any(|m| m.arn == *arn));
            // Tags are asked once per machine, many at once.
            let tagged = fan_out(unnamed, self.join.in_flight, |(arn, name)| async move {
                let tags = self.tags_of(&arn).await;
                (arn, name, tags)
            })
            .await;
            for (arn, name, tags) in tagged {
                let tags = tags?;
                let tags = tags.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                if let Some(owner) = Owner::tagged(tags, &self.join.tag_keys) {
                    owned.push(Machine { arn, name, owner });
                }
            }
        }
        Ok((owned, missing))
    }

    /// (ARN, name) of every state machine, bounded.
    async fn list_machines(&self) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        let mut pages = Pages::capped("states:ListStateMachines", MAX_PAGES);
        loop {
            let page = self
                .client
                .list_state_machines()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::of("states:ListStateMachines", &e))?;
            out.extend(
                page.state_machines()
                    .iter()
                    .map(|m| (m.state_machine_arn().to_string(), m.name().to_string())),
            );
            token = pages.next(page.next_token()).map_err(AwsError::Read)?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn tags_of(&self, arn: &str) -> Result<TagList, String> {
        let ask = async {
            let answer = self
                .client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| describe("states:ListTagsForResource", &e))?;
            Ok(answer
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect())
        };
        self.tags.of(arn, ask).await
    }

    /// The machine's newest executions as training runs, failures explained.
    async fn runs(&self, m: &Machine) -> Result<Vec<TrainingRun>, String> {
        let answer = self
            .client
            .list_executions()
            .state_machine_arn(&m.arn)
            .max_results(EXECUTIONS)
            .send()
            .await
            .map_err(|e| describe("states:ListExecutions", &e))?;
        let mut runs = Vec::new();
        for e in answer.executions() {
            let mut run = training_run(e);
            if run.status == RunStatus::Failed {
                let (state, why) = self.failure(e.execution_arn()).await?;
                run.detail.failed_state = state;
                run.failure_reason = why;
            }
            runs.push(run);
        }
        Ok(runs)
    }

    async fn failure(&self, execution: &str) -> Result<ExecutionFailure, String> {
        if let Some(known) = lock(&self.failures).get(execution) {
            return Ok(known.clone());
        }
        let (described, history) = tokio::join!(
            self.client
                .describe_execution()
                .execution_arn(execution)
                .send(),
            self.client
                .get_execution_history()
                .execution_arn(execution)
                .reverse_order(true)
                .max_results(HISTORY_EVENTS)
                .send(),
        );
        let described = described.map_err(|e| describe("states:DescribeExecution", &e))?;
        let history = history.map_err(|e| describe("states:GetExecutionHistory", &e))?;
        let why = match (described.error(), described.cause()) {
            (Some(error), Some(cause)) => Some(format!("{error}: {}", first_line(cause))),
            (Some(error), None) => Some(error.to_string()),
            (None, Some(cause)) => Some(first_line(cause)),
            (None, None) => None,
        };
        let failure = (failed_state(history.events()), why);
        lock(&self.failures).insert(execution.to_string(), failure.clone());
        Ok(failure)
    }
}

/// The state entered last before the failure: the newest StateEntered event.
fn failed_state(newest_first: &[HistoryEvent]) -> Option<String> {
    newest_first
        .iter()
        .find_map(|e| e.state_entered_event_details())
        .map(|d| d.name().to_string())
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect()
}

fn training_run(e: &ExecutionListItem) -> TrainingRun {
    let status = match e.status() {
        ExecutionStatus::Running | ExecutionStatus::PendingRedrive => RunStatus::InProgress,
        ExecutionStatus::Succeeded => RunStatus::Completed,
        ExecutionStatus::Aborted => RunStatus::Stopped,
        _ => RunStatus::Failed,
    };
    let time = |t: &aws_smithy_types::DateTime| Timestamp::from_second(t.secs()).ok();
    TrainingRun {
        name: e.name().to_string(),
        status,
        started: time(e.start_date()).unwrap_or(Timestamp::UNIX_EPOCH),
        ended: e.stop_date().and_then(time),
        failure_reason: None,
        objective: None,
        secondary_status: None,
        execution_arn: None,
        serving: false,
        source: RunSource::StepFunctions,
        detail: RunDetail::default(),
    }
}

impl Source for StepFunctionsSource {
    fn id(&self) -> SourceId {
        SourceId::StepFunctions
    }

    async fn fetch(&mut self) -> Update {
        report(SourceId::StepFunctions, self.gather().await)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sfn::types::{HistoryEventType, StateEnteredEventDetails};

    use super::*;

    #[test]
    fn the_failed_state_is_the_last_one_entered_and_failed_runs_read_as_failed() {
        let at = aws_smithy_types::DateTime::from_secs(1_790_000_000);
        let event = |id, kind, state: Option<&str>| {
            let mut b = HistoryEvent::builder().id(id).timestamp(at).r#type(kind);
            if let Some(name) = state {
                b = b.state_entered_event_details(
                    StateEnteredEventDetails::builder()
                        .name(name)
                        .build()
                        .unwrap(),
                );
            }
            b.build().unwrap()
        };
        let newest_first = [
            event(5, HistoryEventType::ExecutionFailed, None),
            event(
                4,
                HistoryEventType::FailStateEntered,
                Some("ModelQualityGate"),
            ),
            event(2, HistoryEventType::TaskStateEntered, Some("Train")),
        ];
        assert_eq!(
            failed_state(&newest_first).as_deref(),
            Some("ModelQualityGate")
        );
        let e = ExecutionListItem::builder()
            .execution_arn("arn:aws:states:us-east-1:1:execution:retrain:run-7")
            .state_machine_arn("arn:aws:states:us-east-1:1:stateMachine:retrain")
            .name("run-7")
            .status(ExecutionStatus::TimedOut)
            .start_date(at)
            .build()
            .unwrap();
        let run = training_run(&e);
        assert_eq!(
            (run.status, run.source),
            (RunStatus::Failed, RunSource::StepFunctions)
        );
    }
}
