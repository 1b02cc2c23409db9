//! One row per model on a fleet named the way teams name theirs, not the way our other
//! tests do: suffix names with artifact-only models, tag-named endpoints, pipeline
//! registries with blue/green variants, and a model beside its experiment. Through
//! the real binary (`snapshot --json` and the dashboard in tmux), with no config.

use aws_sdk_cloudwatch::types::StandardUnit;

use crate::aws::{ministack_url, moto_url, row, snapshot_json};
use crate::seed::{
    alarm_firing, cloudwatch, put, put_with_unit, sdk, seed_convention, seed_endpoint, unique,
    Convention, Seeded,
};
use crate::tmux::Tmux;

/// The fleet: four models (A, B, C, D) and D's experiment, each named from `token`.
struct Fleet {
    a: Seeded,
    b: Seeded,
    c: Seeded,
    d: String,
    experiment: String,
}

fn seed_fleet(token: &str) -> Fleet {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        let a = seed_convention(&moto, &format!("demand-{token}"), Convention::ArtifactOnly).await;
        let b = seed_convention(&moto, &format!("fraud-{token}"), Convention::Tagged).await;
        let c = seed_convention(
            &moto,
            &format!("recs-{token}"),
            Convention::PipelineBlueGreen,
        )
        .await;
        let d = format!("churn-{token}");
        let experiment = format!("{d}-v2-experiment");
        seed_endpoint(&moto, &format!("{d}-prod"), &[("AllTraffic", 1.0, 1)]).await;
        seed_endpoint(&moto, &experiment, &[("AllTraffic", 1.0, 1)]).await;

        let cw = cloudwatch(&sdk(&ministack_url()).await);
        let ns = "MLOps/Models";
        // Fractions, as scikit-learn returns them, with no unit.
        put(&cw, ns, "MAPE", &[("ModelName", &a.model)], &[0.183]).await;
        put(&cw, ns, "Accuracy", &[("ModelName", &b.model)], &[0.93]).await;
        put(&cw, ns, "LogLoss", &[("ModelName", &b.model)], &[0.31]).await;
        // A team that says what its number is.
        let percent = StandardUnit::Percent;
        put_with_unit(&cw, ns, "CTR", &[("ModelName", &c.model)], 3.4, percent).await;
        // An alarm on A's endpoint metric, one on B's business metric, both firing.
        let alarms = [
            (
                format!("{}-5xx", a.endpoint),
                "AWS/SageMaker",
                "Invocation5XXErrors",
                vec![
                    ("EndpointName", a.endpoint.as_str()),
                    ("VariantName", "AllTraffic"),
                ],
            ),
            (
                format!("{}-accuracy-low", b.model),
                ns,
                "Accuracy",
                vec![("ModelName", b.model.as_str())],
            ),
        ];
        for (name, namespace, metric, dimensions) in &alarms {
            let metric = (*namespace, *metric);
            alarm_firing(&cw, name, metric, dimensions, 1.0, "Threshold Crossed").await;
        }
        Fleet {
            a,
            b,
            c,
            d,
            experiment,
        }
    })
}

fn close(value: &serde_json::Value, want: f64) -> bool {
    value.as_f64().is_some_and(|v| (v - want).abs() < 1e-6)
}

#[test]
fn every_convention_gives_one_row_per_model_with_its_whole_pipeline() {
    let token = unique("id").trim_start_matches("id-").to_string();
    let f = seed_fleet(&token);
    let (_, v) = snapshot_json(&moto_url(), &ministack_url(), "/dev/null");
    assert_eq!(v["errors"], serde_json::json!([]), "{:#}", v["errors"]);

    // Exactly one row per model: none named after an endpoint, none split by source.
    let mut ours: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .filter(|n| n.contains(&token))
        .collect();
    ours.sort();
    let mut want = vec![
        f.a.model.as_str(),
        f.b.model.as_str(),
        f.c.model.as_str(),
        f.d.as_str(),
        f.experiment.as_str(),
    ];
    want.sort();
    assert_eq!(ours, want);

    // A: artifact-only model, joined to its package and job by the artifact URL.
    let a = row(&v, &f.a.model);
    assert_eq!(a["identity"]["by"], "lineage", "{:#}", a["identity"]);
    assert!(a["identity"]["evidence"]
        .as_str()
        .unwrap()
        .contains("ModelDataUrl"));
    assert_eq!(a["endpoint"]["name"], f.a.endpoint.as_str());
    // Every piece says how it was joined.
    let pieces: Vec<(String, String)> = a["identity"]["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["what"].as_str().unwrap().into(),
                p["by"].as_str().unwrap().into(),
            )
        })
        .collect();
    let serving = f.a.serving_job.clone().unwrap();
    for (what, by) in [
        (format!("endpoint {}", f.a.endpoint), "lineage"),
        (format!("package group {}-group", f.a.model), "lineage"),
        (format!("training job {serving}"), "lineage"),
        (
            format!("metrics MLOps/Models ModelName={}", f.a.model),
            "name",
        ),
    ] {
        assert!(
            pieces.contains(&(what.clone(), by.into())),
            "{what} by {by}: {pieces:?}"
        );
    }
    assert_eq!(a["endpoint"]["variants"][0]["model_version"], 2);
    let versions: Vec<(u64, bool)> = a["registry"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().unwrap(),
                v["deployed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(versions, vec![(2, true), (1, false)]);
    assert_eq!(
        a["training"]["serving"],
        f.a.serving_job.as_deref().unwrap()
    );
    assert_eq!(a["stages"]["training"]["health"], "ok");
    let mape = &a["quality"]["MAPE"];
    assert!(close(&mape["value"], 18.3), "{mape}");
    assert!(close(&mape["raw"], 0.183), "{mape}");
    assert_eq!(mape["scale"], "fraction");
    assert_eq!(mape["health"], "crit", "18.3% is over the 15% crit line");
    assert_eq!(a["kind"], "forecasting");
    // The firing alarm on its endpoint's metric is a fact about ENDPOINT.
    assert_eq!(a["stages"]["endpoint"]["health"], "warn");
    assert_eq!(
        a["stages"]["endpoint"]["summary"],
        format!("alarm {}-5xx", f.a.endpoint)
    );

    // B: named by its endpoint's tag; what it publishes is shown, judged where a
    // threshold exists, and its alarm is a fact about QUALITY.
    let b = row(&v, &f.b.model);
    assert_eq!(b["identity"]["by"], "tag");
    assert_eq!(b["endpoint"]["name"], f.b.endpoint.as_str());
    assert_eq!(b["kind"], "classification");
    assert!(close(&b["quality"]["Accuracy"]["value"], 93.0));
    assert_eq!(b["quality"]["Accuracy"]["health"], "ok");
    assert!(close(&b["quality"]["LogLoss"]["value"], 0.31));
    assert_eq!(b["quality"]["LogLoss"]["health"], "unknown");
    assert_eq!(b["quality"]["LogLoss"]["scale"], "plain");
    assert_eq!(b["stages"]["quality"]["health"], "warn");
    assert_eq!(
        b["stages"]["quality"]["summary"],
        format!("alarm {}-accuracy-low", f.b.model)
    );
    let alarm = v["alarms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == format!("{}-accuracy-low", f.b.model))
        .unwrap();
    assert_eq!(alarm["model"], f.b.model.as_str());

    // C: models naming their package version; blue and green serve different ones,
    // and the jobs that wrote them are found though their names say nothing.
    let c = row(&v, &f.c.model);
    assert_eq!(c["identity"]["by"], "lineage");
    let variants: Vec<(&str, u64)> = c["endpoint"]["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap(),
                x["model_version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(variants, vec![("blue", 1), ("green", 2)]);
    let deployed: Vec<bool> = c["registry"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["deployed"].as_bool().unwrap())
        .collect();
    assert_eq!(deployed, vec![true, true], "both versions serve");
    assert!(c["training"]["serving"]
        .as_str()
        .is_some_and(|j| j.starts_with("pipelines-")));
    assert!(close(&c["quality"]["CTR"]["value"], 3.4));
    assert_eq!(c["quality"]["CTR"]["scale"], "percent");
    assert_eq!(c["quality"]["CTR"]["health"], "ok");

    // D and its experiment stay two models.
    assert_eq!(row(&v, &f.d)["identity"]["by"], "name");
    assert_eq!(
        row(&v, &f.d)["endpoint"]["name"],
        format!("{}-prod", f.d).as_str()
    );
    assert_eq!(
        row(&v, &f.experiment)["endpoint"]["name"],
        f.experiment.as_str()
    );
}

#[test]
fn a_person_sees_one_row_per_model_and_why() {
    let token = unique("tm").trim_start_matches("tm-").to_string();
    let f = seed_fleet(&token);
    let t = Tmux::start(200, 50);
    let bin = env!("CARGO_BIN_EXE_mlopsdash");
    t.keys(&[
        &format!(
            "AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true \
             AWS_ENDPOINT_URL_CLOUDWATCH={} {bin} --region us-east-1 --endpoint-url {} \
             --config /dev/null",
            ministack_url(),
            moto_url()
        ),
        "Enter",
    ]);
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    t.keys(&["/", &token, "Enter"]);
    // Every model on a row of its own, none named after an endpoint; A's endpoint
    // alarm on its ENDPOINT cell, B's business alarm on its QUALITY cell.
    let is_row = |l: &&str| {
        let cells = l.trim_start_matches(['│', '▶', ' ']);
        ["✔ ", "⚠ ", "✖ ", "? "]
            .iter()
            .any(|g| cells.starts_with(g))
            && l.contains(&token)
    };
    let cell = |screen: &str, model: &str, column: &str| -> String {
        let Some(header) = screen.lines().find(|l| l.contains("MODEL")) else {
            return String::new();
        };
        let at = header[..header.find(column).unwrap()].chars().count();
        let row = screen
            .lines()
            .find(|l| is_row(l) && l.contains(&format!("{model} ")));
        row.map(|r| r.chars().skip(at).take(18).collect())
            .unwrap_or_default()
    };
    let screen = t.wait_until("every model of the fleet on its own row", |screen| {
        screen.lines().filter(is_row).count() == 5
            && cell(screen, &f.a.model, "QUALITY").starts_with("✖ MAPE 18.3%")
            && cell(screen, &f.a.model, "ENDPOINT").starts_with("⚠ alarm")
            && cell(screen, &f.b.model, "QUALITY").starts_with("⚠ alarm")
            && cell(screen, &f.c.model, "REGISTRY").starts_with("✔ v2 appr")
            && screen.contains(&format!("{}-v2-e", f.d))
    });
    assert!(
        !screen
            .lines()
            .filter(is_row)
            .any(|l| l.contains(&f.a.endpoint)),
        "no row named after an endpoint:\n{screen}"
    );
    // The artifact-only model's detail says how it was recognised.
    // The worst row, A, is the one selected.
    t.keys(&["Enter"]);
    t.wait_for_all(
        &["by lineage", "recognised", "[fraction]"],
        "the detail view's recognition panel",
    );
    t.keys(&["q"]);
    t.wait_for("READY$", "the prompt after quitting");
}

/// Conventions our first seeds never had: a model listed in `Containers` (an
/// inference pipeline, the model in the middle, generated names), and a SageMaker
/// project's staging and prod endpoints.
#[test]
fn containers_projects_and_environments_are_recognised() {
    let token = unique("cv").trim_start_matches("cv-").to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (pipeline, project) = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        (
            seed_convention(
                &moto,
                &format!("basket-{token}"),
                Convention::InferencePipeline,
            )
            .await,
            seed_convention(&moto, &format!("churn-{token}"), Convention::Project).await,
        )
    });
    let (_, v) = snapshot_json(&moto_url(), &ministack_url(), "/dev/null");

    // The inference pipeline: named by its package group, its version and job found
    // through the second of three containers, which the evidence names.
    let basket = row(&v, &pipeline.model);
    assert_eq!(basket["endpoint"]["name"], pipeline.endpoint.as_str());
    assert_eq!(
        basket["identity"]["by"], "lineage",
        "{:#}",
        basket["identity"]
    );
    let evidence = basket["identity"]["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("container 2 of 3 (xgboost)"),
        "{evidence}"
    );
    let pieces = |r: &serde_json::Value| -> Vec<String> {
        r["identity"]["pieces"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["what"].as_str().map(str::to_string))
            .collect()
    };
    let group = format!("package group {}-registry", pipeline.model);
    assert!(pieces(basket).contains(&group), "{:?}", pieces(basket));
    let variants = basket["endpoint"]["variants"].as_array().unwrap();
    assert_eq!(variants[0]["model_version"], 1, "{variants:?}");
    assert_eq!(
        basket["training"]["serving"],
        pipeline.serving_job.as_deref().unwrap(),
        "{:#}",
        basket["training"]
    );

    // The project: two rows, named after the project (not `<project>-p-<id>`), each
    // saying its environment, production first; staging says what a promotion does.
    let names: Vec<&str> = v["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .filter(|n| n.contains(&format!("churn-{token}")))
        .collect();
    let staging_name = format!("{} · staging", project.model);
    assert_eq!(names, [project.model.as_str(), staging_name.as_str()]);
    let prod = row(&v, &project.model);
    assert_eq!(prod["environment"], "prod");
    assert_eq!(prod["endpoint"]["name"], project.endpoint.as_str());
    assert_eq!(prod["identity"]["by"], "tag");
    let group = format!(
        "package group {}-{}",
        project.model,
        crate::seed::PROJECT_ID
    );
    assert!(pieces(prod).contains(&group), "{:?}", pieces(prod));
    let staging = row(&v, &staging_name);
    assert_eq!(staging["environment"], "staging");
    assert_eq!(
        staging["promotion"],
        "promoting staging would move prod from v1 to v2"
    );
}

#[test]
fn a_person_sees_a_projects_staging_and_prod_side_by_side() {
    let token = unique("pj").trim_start_matches("pj-").to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let project = rt.block_on(async {
        let moto = sdk(&moto_url()).await;
        seed_convention(&moto, &format!("churn-{token}"), Convention::Project).await
    });
    let t = Tmux::start(200, 50);
    t.export_test_credentials(&format!("AWS_ENDPOINT_URL_CLOUDWATCH={}", ministack_url()));
    crate::tmux::launch(
        &t,
        &format!(
            "--region us-east-1 --endpoint-url {} --config /dev/null",
            moto_url()
        ),
    );
    t.wait_for("123456789012 · us-east-1", "the account in the header");
    t.keys(&["/", &token, "Enter"]);
    let staging = format!("{} · staging", project.model);
    // Named after the project, not `<project>-p-<id>`; production first.
    let screen = t.wait_for(&staging, "the staging row");
    let line_of = |text: &str| screen.lines().position(|l| l.contains(text));
    let prod = line_of(&format!("{} · prod", project.model)).expect("the prod row");
    let staged = line_of(&staging).unwrap();
    assert!(prod < staged, "{screen}");
    assert!(!screen.contains(crate::seed::PROJECT_ID), "{screen}");
    t.keys(&["j", "Enter"]);
    t.wait_for(
        "promoting staging would move prod from v1 to v2",
        "what a promotion would change, in staging's detail",
    );
}
