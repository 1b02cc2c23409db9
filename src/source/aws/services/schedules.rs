//! What invokes a function on a schedule: an EventBridge rule on the default bus
//! (ListRuleNamesByTarget, DescribeRule) or an EventBridge Scheduler schedule
//! (ListSchedules names each schedule's target; GetSchedule its expression).

use crate::aws::errors::{describe, AwsError};
use crate::model::etl::EtlSchedule;
use crate::source::pages::Pages;

/// Schedules listed at most (pages of 100).
const MAX_PAGES: usize = 10;

pub struct Schedules {
    pub events: aws_sdk_eventbridge::Client,
    pub scheduler: aws_sdk_scheduler::Client,
}

impl Schedules {
    /// The function's schedule: an enabled one before a disabled one, a rule
    /// before a Scheduler schedule. None when nothing invokes it on a schedule.
    pub async fn of(
        &self,
        function_arn: &str,
        scheduled: &[(String, String, String)],
    ) -> Result<Option<EtlSchedule>, String> {
        let mut found = super::discovered(self.rules(function_arn).await, "EventBridge rules")?;
        for (group, name, target) in scheduled {
            if target == function_arn {
                if let Some(s) = self.schedule(group, name).await? {
                    found.push(s);
                }
            }
        }
        found.sort_by_key(|s| !s.enabled);
        Ok(found.into_iter().next())
    }

    async fn rules(&self, function_arn: &str) -> Result<Vec<EtlSchedule>, AwsError> {
        let names = self
            .events
            .list_rule_names_by_target()
            .target_arn(function_arn)
            .send()
            .await
            .map_err(|e| AwsError::of("events:ListRuleNamesByTarget", &e))?;
        let mut out = Vec::new();
        for name in names.rule_names() {
            let rule = self
                .events
                .describe_rule()
                .name(name)
                .send()
                .await
                .map_err(|e| AwsError::of("events:DescribeRule", &e))?;
            if let Some(expression) = rule.schedule_expression() {
                out.push(EtlSchedule {
                    expression: expression.to_string(),
                    timezone: None,
                    by: format!("rule {name}"),
                    enabled: rule.state().is_some_and(|s| s.as_str() == "ENABLED"),
                });
            }
        }
        Ok(out)
    }

    /// Every schedule's (group, name, target ARN): listed once for all functions.
    pub async fn list(&self) -> Result<Vec<(String, String, String)>, AwsError> {
        let mut out = Vec::new();
        let mut token = None;
        let mut pages = Pages::capped("scheduler:ListSchedules", MAX_PAGES);
        loop {
            let page = match self
                .scheduler
                .list_schedules()
                .max_results(100)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(page) => page,
                // A region or emulator without Scheduler has no schedules.
                Err(e) if crate::aws::errors::is_unimplemented(&e) => return Ok(out),
                Err(e) => return Err(AwsError::of("scheduler:ListSchedules", &e)),
            };
            for s in page.schedules() {
                let target = s.target().map(|t| t.arn().to_string());
                if let (Some(name), Some(target)) = (s.name(), target) {
                    let group = s.group_name().unwrap_or("default");
                    out.push((group.to_string(), name.to_string(), target));
                }
            }
            token = pages.next(page.next_token()).map_err(AwsError::Read)?;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    }

    async fn schedule(&self, group: &str, name: &str) -> Result<Option<EtlSchedule>, String> {
        let s = self
            .scheduler
            .get_schedule()
            .group_name(group)
            .name(name)
            .send()
            .await
            .map_err(|e| describe("scheduler:GetSchedule", &e))?;
        Ok(s.schedule_expression().map(|expression| EtlSchedule {
            expression: expression.to_string(),
            timezone: s.schedule_expression_timezone().map(str::to_string),
            by: format!("schedule {group}/{name}"),
            enabled: s.state().is_some_and(|s| s.as_str() == "ENABLED"),
        }))
    }
}
