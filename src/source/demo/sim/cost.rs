//! A small team's bill, following the fleet's size.

use jiff::Timestamp;

use super::super::profiles::{self};
use super::*;
use crate::model::facts::*;

impl Simulator {
    /// A small team's bill: SageMaker endpoints and training, the ECS feature service,
    /// RDS, S3, CloudWatch. Each day's total follows the fleet's size.
    pub(super) fn cost(&self, now: Timestamp) -> CostSummary {
        let zoned = now.to_zoned(jiff::tz::TimeZone::UTC);
        let daily = 40.0 + 22.0 * self.models as f64;
        let today = zoned.date();
        let days: Vec<(jiff::civil::Date, f64)> = (1..=today.day())
            .filter_map(|d| {
                let date = today.with().day(d).build().ok()?;
                // Today has only run part of its hours.
                let share = match d == today.day() {
                    true => zoned.hour() as f64 / 24.0,
                    false => 1.0,
                };
                let wobble = 1.0 + 0.08 * self.noise(999, 1, i64::from(d));
                Some((date, cents(daily * wobble * share)))
            })
            .collect();
        let mtd: f64 = cents(days.iter().map(|(_, v)| v).sum());
        let before_today: f64 = days.iter().rev().skip(1).map(|(_, v)| v).sum();
        let rest = daily * f64::from(zoned.days_in_month() - today.day() + 1);
        let services = [
            ("Amazon SageMaker", 0.58),
            ("Amazon Elastic Container Service", 0.14),
            ("Amazon Relational Database Service", 0.12),
            ("Amazon Simple Storage Service", 0.08),
            ("AmazonCloudWatch", 0.05),
            ("AWS X-Ray", 0.03),
        ];
        let profiles = profiles::fleet(self.models.min(4));
        let weights: f64 = profiles.iter().map(|p| p.invocations_per_min.sqrt()).sum();
        CostSummary {
            currency: "USD".into(),
            month_to_date: mtd,
            forecast: Some(Forecast {
                mean: cents(before_today + rest),
                lower: Some(cents((before_today + rest) * 0.93)),
                upper: Some(cents((before_today + rest) * 1.07)),
            }),
            by_service: services
                .iter()
                .map(|(s, share)| (s.to_string(), cents(mtd * share)))
                .collect(),
            daily: days,
            // Tagged SageMaker spend, shared by traffic (roughly what instances follow).
            by_model: profiles
                .iter()
                .map(|p| {
                    let share = p.invocations_per_min.sqrt() / weights;
                    (p.name.clone(), cents(mtd * 0.58 * share))
                })
                .collect(),
            as_of: now,
            by_account: [("demo".to_string(), mtd)].into(),
        }
    }
}
