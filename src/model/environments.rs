//! One model in several environments (a SageMaker project's `-staging` and `-prod`
//! endpoints, a team's `-dev`): rows side by side, and what promoting the one
//! before production would change in production. Pure.

use super::facts::{Fleet, ModelFacts};

/// A row's model without its environment: "churn · staging" is churn's.
pub fn base(name: &str) -> &str {
    name.split(" · ").next().unwrap_or(name)
}

/// The production row of the model `m` is one environment of, when `m` is not it.
pub fn production_of<'a>(fleet: &'a Fleet, m: &ModelFacts) -> Option<&'a ModelFacts> {
    if m.environment.as_deref() == Some("prod") {
        return None;
    }
    m.environment.as_ref()?;
    fleet
        .models
        .iter()
        .find(|o| base(&o.name) == base(&m.name) && o.environment.as_deref() == Some("prod"))
}

/// What promoting `m` (staging, say) would change in `prod`, in one line.
pub fn promotion(m: &ModelFacts, prod: &ModelFacts) -> String {
    let env = m.environment.as_deref().unwrap_or("this environment");
    let v = |x: Option<u32>| x.map_or("v?".to_string(), |v| format!("v{v}"));
    match (m.served_version(), prod.served_version()) {
        (Some(a), Some(b)) if a == b => format!("prod already serves v{a}, as {env} does"),
        (a, b) => format!("promoting {env} would move prod from {} to {}", v(b), v(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::facts::{EndpointFacts, Variant};

    fn serving(name: &str, env: &str, version: Option<u32>) -> ModelFacts {
        let mut m = ModelFacts::named(name);
        m.environment = Some(env.into());
        m.endpoint = Some(EndpointFacts {
            variants: vec![Variant {
                name: "AllTraffic".into(),
                weight: 1.0,
                instances: 1,
                model_version: version,
            }],
            ..EndpointFacts::default()
        });
        m
    }

    #[test]
    fn staging_says_what_its_promotion_would_change() {
        let fleet = Fleet {
            models: vec![
                serving("churn", "prod", Some(3)),
                serving("churn · staging", "staging", Some(4)),
            ],
            ..Fleet::default()
        };
        let staging = &fleet.models[1];
        let prod = production_of(&fleet, staging).unwrap();
        assert_eq!(
            promotion(staging, prod),
            "promoting staging would move prod from v3 to v4"
        );
        assert!(production_of(&fleet, &fleet.models[0]).is_none());
        let same = serving("churn · staging", "staging", Some(3));
        assert_eq!(
            promotion(&same, prod),
            "prod already serves v3, as staging does"
        );
    }
}
