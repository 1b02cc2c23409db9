use super::*;

#[test]
fn models_link_by_package_name_or_exact_artifact() {
    let l = Lineage::default();
    l.known().packages.insert(
        "arn:pkg/demand-group/3".into(),
        Package {
            group: "demand-group".into(),
            version: 3,
            artifact: Some("s3://m/demand-train-v3/output/model.tar.gz".into()),
            created: None,
        },
    );
    l.known().by_artifact.insert(
        "s3://m/demand-train-v3/output/model.tar.gz".into(),
        "arn:pkg/demand-group/3".into(),
    );
    l.known().models.insert(
        "named".into(),
        ServedModel {
            containers: vec![Contained {
                place: "PrimaryContainer".into(),
                package_arn: Some("arn:pkg/demand-group/3".into()),
                artifact: None,
            }],
            learned: Timestamp::UNIX_EPOCH,
        },
    );
    l.known().models.insert(
        "artifact-only".into(),
        ServedModel {
            containers: vec![Contained {
                place: "PrimaryContainer".into(),
                package_arn: None,
                artifact: Some("s3://m/demand-train-v3/output/model.tar.gz".into()),
            }],
            learned: Timestamp::UNIX_EPOCH,
        },
    );
    l.known().models.insert(
        "elsewhere".into(),
        ServedModel {
            containers: vec![Contained {
                place: "PrimaryContainer".into(),
                package_arn: None,
                artifact: Some("s3://m/demand-train-v3/output/model.tar.gz.bak".into()),
            }],
            learned: Timestamp::UNIX_EPOCH,
        },
    );
    assert_eq!(l.package_of("named").unwrap().via, Via::PackageName);
    let by_url = l.package_of("artifact-only").unwrap();
    assert_eq!((by_url.group.as_str(), by_url.version), ("demand-group", 3));
    assert!(matches!(by_url.via, Via::Artifact(_)));
    assert_eq!(l.package_of("elsewhere"), None, "only the exact URL links");
    assert_eq!(
        l.artifact_of("named").as_deref(),
        Some("s3://m/demand-train-v3/output/model.tar.gz")
    );
}

/// A container as a team's stack writes it: its image, and what it names.
fn container(package: Option<&str>, artifact: Option<&str>, host: &str) -> ContainerDefinition {
    ContainerDefinition::builder()
        .image(format!(
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/{host}:1"
        ))
        .container_hostname(host)
        .set_model_package_name(package.map(str::to_string))
        .set_model_data_url(artifact.map(str::to_string))
        .build()
}

proptest::proptest! {
    /// Where the model's container stands (alone as the primary, first, last or
    /// in the middle of an inference pipeline, beside an empty primary) never
    /// changes which package it serves; the evidence names the container.
    #[test]
    fn the_model_is_found_in_any_container(
        before in 0usize..3,
        after in 0usize..3,
        empty_primary in proptest::bool::ANY,
        by_name in proptest::bool::ANY,
    ) {
        let url = "s3://m/churn-train-v4/output/model.tar.gz";
        let model = match by_name {
            true => container(Some("arn:pkg/churn/4"), None, "xgboost"),
            false => container(None, Some(url), "xgboost"),
        };
        // Preprocessing and postprocessing containers with artifacts of their own
        // that no package version has.
        let other = |i: usize| container(None, Some(&format!("s3://m/prep-{i}/model.tar.gz")), &format!("step{i}"));
        let listed: Vec<ContainerDefinition> = (0..before)
            .map(other)
            .chain([model])
            .chain((0..after).map(|i| other(10 + i)))
            .collect();
        let primary = ContainerDefinition::builder().build();
        let served = served_by(empty_primary.then_some(&primary), &listed);
        let l = Lineage::default();
        l.known().packages.insert(
            "arn:pkg/churn/4".into(),
            Package { group: "churn".into(), version: 4, artifact: Some(url.into()), created: None },
        );
        l.known().by_artifact.insert(url.into(), "arn:pkg/churn/4".into());
        l.known().models.insert("churn-pipeline".into(), served);
        let found = l.package_of("churn-pipeline").unwrap();
        proptest::prop_assert_eq!((found.group.as_str(), found.version), ("churn", 4));
        let place = format!("container {} of {} (xgboost)", before + 1, before + after + 1);
        proptest::prop_assert_eq!(&found.container, &place);
        proptest::prop_assert!(found.evidence("churn-pipeline").contains(&place));
        let artifact = l.artifact_of("churn-pipeline");
        proptest::prop_assert_eq!(artifact.as_deref(), Some(url));
    }
}

/// A package version of `group` with `artifact`, as DescribeModelPackage left it.
fn registered(l: &Lineage, group: &str, version: u32, artifact: &str) {
    let arn = format!("arn:pkg/{group}/{version}");
    let mut known = l.known();
    known.by_artifact.insert(artifact.into(), arn.clone());
    known.packages.insert(
        arn,
        Package {
            group: group.into(),
            version,
            artifact: Some(artifact.into()),
            created: None,
        },
    );
}

#[test]
fn a_storage_uri_is_the_version_with_that_artifact_or_the_one_in_its_folder() {
    let l = Lineage::default();
    registered(&l, "churn", 3, "s3://m/churn/v3/model.tar.gz");
    registered(&l, "fraud", 7, "s3://m/fraud/v7/model.bst");
    registered(&l, "fraud", 8, "s3://m/fraud/v8/model.bst");
    registered(&l, "twins", 1, "s3://m/twins/a.tar.gz");
    registered(&l, "twins", 2, "s3://m/twins/b.tar.gz");
    let at = |uri: &str| l.package_at(uri).map(|p| (p.group, p.version));
    assert_eq!(at("s3://m/fraud/v7/model.bst"), Some(("fraud".into(), 7)));
    assert_eq!(
        at("s3://m/churn/v3/"),
        Some(("churn".into(), 3)),
        "its folder"
    );
    assert_eq!(at("s3://m/churn/v3"), Some(("churn".into(), 3)));
    assert_eq!(
        at("s3://m/churn/v"),
        None,
        "a folder is whole: v3 is not in v"
    );
    assert_eq!(at("s3://m/fraud/v70/model.bst"), None);
    assert_eq!(
        at("s3://m/twins"),
        None,
        "two versions in one folder: neither"
    );
    assert_eq!(at("gs://m/fraud/v7/model.bst"), None);
    let exact = l.package_at("s3://m/churn/v3").unwrap();
    assert_eq!(exact.artifact, "s3://m/churn/v3/model.tar.gz");
}

#[test]
fn of_two_versions_with_one_artifact_the_newer_is_the_one_in_either_order() {
    let at = |s: i64| Some(Timestamp::from_second(s).unwrap());
    let package = |group: &str, version: u32, created| Package {
        group: group.into(),
        version,
        artifact: Some("s3://m/a.tar.gz".into()),
        created,
    };
    let (old, new) = (package("churn", 2, at(100)), package("churn", 3, at(200)));
    assert!(new.newer("arn:3", (&old, "arn:2")));
    assert!(!old.newer("arn:2", (&new, "arn:3")));
    // Across groups the registration time decides, not the group or the version.
    let other = package("churn-staging", 1, at(300));
    assert!(other.newer("arn:s1", (&new, "arn:3")));
    assert!(!new.newer("arn:3", (&other, "arn:s1")));
    // The same instant: the ARN, so the answer never depends on describe order.
    let twin = package("twin", 3, at(200));
    assert_ne!(
        twin.newer("arn:t", (&new, "arn:3")),
        new.newer("arn:3", (&twin, "arn:t"))
    );
}
