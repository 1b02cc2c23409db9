//! The Cost Explorer requests of one refresh and what their answers mean. Every
//! request is billed ($0.01, each page too), so a refresh makes at most four.
// Untrusted input (files, AWS answers, names) flows here: no indexing that could panic.
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use aws_sdk_costexplorer::error::ProvideErrorMetadata;
use aws_sdk_costexplorer::types::{
    DateInterval, Granularity, GroupDefinition, GroupDefinitionType, Metric, ResultByTime,
};
use aws_sdk_costexplorer::Client;
use jiff::civil::Date;
use jiff::Timestamp;

use crate::aws::errors::{describe, is_unimplemented};
use crate::model::{CostSummary, Forecast};
use crate::source::pages::Pages;

const METRIC: &str = "UnblendedCost";

/// This month so far, by service, by day and (with a tag) by model; and the forecast.
pub async fn month(
    client: &Client,
    today: Date,
    model_tag: Option<&str>,
) -> Result<CostSummary, String> {
    let first = today.first_of_month();
    let tomorrow = today.tomorrow().map_err(|e| e.to_string())?;
    let next_month = today
        .last_of_month()
        .tomorrow()
        .map_err(|e| e.to_string())?;
    let so_far = interval(first, tomorrow)?;

    // One request gives both: by service, and by linked account (every member
    // account when these are a payer's credentials).
    let by_service = costs(
        client,
        &so_far,
        Granularity::Monthly,
        &[
            ("SERVICE", GroupDefinitionType::Dimension),
            ("LINKED_ACCOUNT", GroupDefinitionType::Dimension),
        ],
    )
    .await?;
    let daily = costs(client, &so_far, Granularity::Daily, &[]).await?;
    let by_model = match model_tag {
        Some(tag) => {
            costs(
                client,
                &so_far,
                Granularity::Monthly,
                &[(tag, GroupDefinitionType::Tag)],
            )
            .await?
        }
        None => Vec::new(),
    };
    let days: Vec<(Date, f64)> = daily
        .iter()
        .filter_map(day_total)
        .filter(|(d, _)| *d >= first)
        .collect();
    let month_to_date = days.iter().map(|(_, v)| v).sum();
    let before_today: f64 = days
        .iter()
        .filter(|(d, _)| *d < today)
        .map(|(_, v)| v)
        .sum();
    let forecast = forecast(client, &interval(today, next_month)?)
        .await?
        .map(|f| Forecast {
            mean: before_today + f.mean,
            lower: f.lower.map(|v| before_today + v),
            upper: f.upper.map(|v| before_today + v),
        });
    let mut services: Vec<(String, f64)> = groups(&by_service, 0)
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .collect();
    services.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(CostSummary {
        currency: currency(&daily).unwrap_or_else(|| "USD".into()),
        month_to_date,
        forecast,
        by_service: services,
        daily: days,
        // Tag groups are keyed "model$demand-forecasting"; "model$" is untagged spend.
        by_account: groups(&by_service, 1)
            .into_iter()
            .filter(|(_, v)| *v != 0.0)
            .collect(),
        by_model: groups(&by_model, 0)
            .into_iter()
            .filter_map(|(k, v)| {
                let (_, value) = k.split_once('$')?;
                (!value.is_empty()).then(|| (value.to_string(), v))
            })
            .collect::<BTreeMap<_, _>>(),
        as_of: Timestamp::now(),
    })
}

fn interval(start: Date, end: Date) -> Result<DateInterval, String> {
    DateInterval::builder()
        .start(start.to_string())
        .end(end.to_string())
        .build()
        .map_err(|e| e.to_string())
}

/// GetCostAndUsage, every page (each page is billed; a month rarely has more than one).
async fn costs(
    client: &Client,
    period: &DateInterval,
    granularity: Granularity,
    group: &[(&str, GroupDefinitionType)],
) -> Result<Vec<ResultByTime>, String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    // Each page is a billed request.
    let mut pages = Pages::new("ce:GetCostAndUsage", 10);
    loop {
        let mut request = client
            .get_cost_and_usage()
            .time_period(period.clone())
            .granularity(granularity.clone())
            .metrics(METRIC)
            .set_next_page_token(token.take());
        for (key, kind) in group {
            request = request.group_by(
                GroupDefinition::builder()
                    .key(*key)
                    .r#type(kind.clone())
                    .build(),
            );
        }
        let page = request
            .send()
            .await
            .map_err(|e| describe("ce:GetCostAndUsage", &e))?;
        out.extend(page.results_by_time().iter().cloned());
        match pages.next(page.next_page_token())? {
            Some(next) => token = Some(next),
            None => return Ok(out),
        }
    }
}

/// The rest of the month's forecast; None where Cost Explorer has too little history
/// to forecast, or the service does not offer forecasts.
async fn forecast(client: &Client, rest: &DateInterval) -> Result<Option<Forecast>, String> {
    let answer = client
        .get_cost_forecast()
        .time_period(rest.clone())
        .metric(Metric::UnblendedCost)
        .granularity(Granularity::Monthly)
        .prediction_interval_level(80)
        .send()
        .await;
    let out = match answer {
        Ok(out) => out,
        // New accounts have too little history (DataUnavailableException); an
        // emulator may not offer forecasts at all (an error without an AWS code).
        Err(e) => {
            let code = e.as_service_error().and_then(|s| s.code());
            if code == Some("DataUnavailableException") || is_unimplemented(&e) {
                tracing::info!("no cost forecast: {}", describe("ce:GetCostForecast", &e));
                return Ok(None);
            }
            return Err(describe("ce:GetCostForecast", &e));
        }
    };
    let mean = out.total().and_then(|t| amount(t.amount()));
    // A bound over the periods: their sum, when every period has one.
    let periods = out.forecast_results_by_time();
    let bound = |f: fn(&aws_sdk_costexplorer::types::ForecastResult) -> Option<&str>| {
        let sum: Option<f64> = periods.iter().map(|r| amount(f(r))).sum();
        sum.filter(|_| !periods.is_empty())
    };
    Ok(mean.map(|mean| Forecast {
        mean,
        lower: bound(|r| r.prediction_interval_lower_bound()),
        upper: bound(|r| r.prediction_interval_upper_bound()),
    }))
}

fn amount(s: Option<&str>) -> Option<f64> {
    s?.parse().ok()
}

fn day_total(r: &ResultByTime) -> Option<(Date, f64)> {
    let day: Date = r.time_period()?.start().parse().ok()?;
    let total = r.total()?.get(METRIC)?;
    Some((day, amount(total.amount())?))
}

/// Each group's amount summed over the periods, by its `index`-th key.
fn groups(results: &[ResultByTime], index: usize) -> Vec<(String, f64)> {
    let mut out: BTreeMap<String, f64> = BTreeMap::new();
    for r in results {
        for g in r.groups() {
            let (Some(key), Some(v)) = (
                g.keys().get(index),
                g.metrics()
                    .and_then(|m| m.get(METRIC))
                    .and_then(|m| amount(m.amount())),
            ) else {
                continue;
            };
            *out.entry(key.clone()).or_default() += v;
        }
    }
    out.into_iter().collect()
}

fn currency(results: &[ResultByTime]) -> Option<String> {
    results
        .iter()
        .find_map(|r| r.total()?.get(METRIC)?.unit().map(str::to_string))
}
