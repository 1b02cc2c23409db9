use super::*;
use crate::model::ModelKind;

fn parse(text: &str) -> Result<Config, String> {
    Config::parse(Path::new("c.toml"), text).map_err(|e| e.to_string())
}

#[test]
fn empty_file_gives_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.rules, Rules::default());
    assert_eq!(c.demo.seed, 42);
}

#[test]
fn example_config_is_valid_and_matches_defaults() {
    let c = parse(super::super::EXAMPLE).unwrap();
    assert_eq!(c.rules.metrics, Rules::default().metrics);
    assert_eq!(c.rules.data_age_hours, Rules::default().data_age_hours);
    assert_eq!(c.keymap, KeyMap::default());
}

#[test]
fn unknown_key_names_line_and_column() {
    let err = parse("[demo]\nseed = 5\nsed = 6\n").unwrap_err();
    assert!(err.starts_with("c.toml:3:1: unknown field `sed`"), "{err}");
}

#[test]
fn inverted_threshold_is_rejected_at_its_position() {
    let err = parse("[health.metrics]\nMAPE = { warn = 15.0, crit = 10.0 }\n").unwrap_err();
    assert!(
        err.starts_with("c.toml:2:8: MAPE: crit (10) is below warn (15)"),
        "{err}"
    );
}

#[test]
fn model_overrides_and_quality_metrics_reach_the_rules() {
    let c = parse(
        "[[models]]\nname = \"d\"\nkind = \"forecasting\"\nquality_metrics = [\"WAPE\"]\n\
         [models.thresholds]\nWAPE = { warn = 5.0, crit = 9.0 }\n",
    )
    .unwrap();
    assert_eq!(
        c.rules.threshold("d", "WAPE"),
        Some(Threshold::above(5.0, 9.0))
    );
    assert_eq!(c.rules.quality_metrics("d", ModelKind::Other), vec!["WAPE"]);
    assert_eq!(c.rules.kinds.get("d"), Some(&ModelKind::Forecasting));
}

#[test]
fn models_map_to_their_aws_resources() {
    let c = parse(
        "[[models]]\nname = \"demand\"\nendpoint = \"demand-prod\"\n\
         pipeline = \"demand-train\"\nmodel_package_group = \"demand-group\"\n\
         training_job_prefix = \"demand-fc\"\ndata = \"s3://raw/sales/\"\n\
         [[models.metrics]]\nnamespace = \"Team/Forecasts\"\nname = \"WeeklyMAPE\"\n\
         key = \"MAPE\"\nstat = \"p90\"\ndimensions = { Model = \"demand\" }\n\
         threshold = { warn = 5.0, crit = 9.0 }\n",
    )
    .unwrap();
    let m = &c.mappings[0];
    assert_eq!(m.endpoint.as_deref(), Some("demand-prod"));
    assert_eq!(m.pipeline.as_deref(), Some("demand-train"));
    assert_eq!(m.model_package_group.as_deref(), Some("demand-group"));
    assert_eq!(m.training_job_prefix.as_deref(), Some("demand-fc"));
    assert_eq!(m.data.as_ref().unwrap().to_string(), "s3://raw/sales/");
    let q = &m.metrics[0];
    assert_eq!(
        (q.key.as_str(), q.name.as_str(), q.stat.as_str()),
        ("MAPE", "WeeklyMAPE", "p90")
    );
    assert_eq!(q.dimensions["Model"], "demand");
    assert_eq!(
        c.rules.threshold("demand", "MAPE"),
        Some(Threshold::above(5.0, 9.0))
    );
}

#[test]
fn the_example_models_block_is_valid_once_uncommented() {
    let example = super::super::EXAMPLE;
    let start = example.find("# [[models]]").unwrap();
    let block: String = example[start..]
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{}\n", l.strip_prefix("# ").unwrap_or("")))
        .collect();
    let c = parse(&block).unwrap();
    let m = &c.mappings[0];
    assert_eq!(m.data.as_ref().unwrap().bucket, "retail-raw");
    assert_eq!(m.metrics[0].dimensions["Horizon"], "7d");
    assert_eq!(c.rules.kinds["demand-forecasting"], ModelKind::Forecasting);
    let workload = m.workload.as_ref().unwrap();
    assert_eq!(
        (workload.namespace.as_str(), workload.name.as_str()),
        ("serving", "churn")
    );
    assert!(m.promql["requests"].contains("{workloads}"));
}
