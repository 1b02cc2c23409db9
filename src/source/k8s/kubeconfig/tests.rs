use super::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kubeconfig")
}

#[test]
fn an_update_kubeconfig_entry_mints_the_token_aws_eks_get_token_would() {
    let path = fixtures().join("eks.yaml");
    let current = load(&path, None).unwrap();
    assert_eq!(
        current.server,
        "https://0A1B2C3D4E5F.gr7.us-east-1.eks.amazonaws.com"
    );
    assert!(current
        .ca
        .as_deref()
        .is_some_and(|pem| pem.starts_with(b"-----BEGIN CERTIFICATE-----")));
    assert_eq!(
        current.user,
        UserAuth::Eks {
            cluster: "ml-prod".into(),
            region: Some("us-east-1".into()),
            profile: Some("ml".into()),
            role_arn: None,
        }
    );
    let dev = load(&path, Some("dev")).unwrap();
    assert_eq!(dev.namespace.as_deref(), Some("serving"));
    assert_eq!(
        dev.user,
        UserAuth::Eks {
            cluster: "ml-dev".into(),
            region: Some("eu-west-1".into()),
            profile: None,
            role_arn: Some("arn:aws:iam::123456789012:role/ml-readonly".into()),
        }
    );
}

#[test]
fn files_beside_the_config_are_read_and_other_plugins_and_gaps_are_said() {
    let path = fixtures().join("static.yaml");
    let reader = load(&path, Some("reader")).unwrap();
    assert_eq!(reader.server, "https://10.0.0.5:6443");
    assert_eq!(
        reader.user,
        UserAuth::Token("eyJhbGciOiJSUzI1NiJ9.reader".into())
    );
    assert_eq!(reader.namespace.as_deref(), Some("models"));
    let gke = load(&path, Some("gke")).unwrap_err();
    assert!(gke.contains("gke-gcloud-auth-plugin"), "{gke}");
    let broken = load(&path, Some("broken")).unwrap_err();
    assert!(broken.contains("cluster \"elsewhere\""), "{broken}");
    let missing = load(&path, Some("prod")).unwrap_err();
    assert!(missing.contains("no context \"prod\""), "{missing}");
    let none = load(&path, None).unwrap_err();
    assert!(none.contains("no current-context"), "{none}");
    assert!(parse("clusters: 7", None, Path::new("."))
        .unwrap_err()
        .starts_with("not a kubeconfig"));
    let secret = format!("{:?}", reader.user);
    assert!(!secret.contains("eyJ"), "no token in Debug: {secret}");
}
