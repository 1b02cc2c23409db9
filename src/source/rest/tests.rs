use super::*;

#[tokio::test]
async fn managed_mlflow_requests_are_signed_for_sagemaker_mlflow_and_name_the_server() {
    use aws_credential_types::provider::SharedCredentialsProvider;
    let credentials = SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        Some("session".into()),
        None,
        "test",
    ));
    let arn = "arn:aws:sagemaker:eu-west-1:123456789012:mlflow-tracking-server/team";
    let url = reqwest::Url::parse(
        "https://eu-west-1.experiments.sagemaker.aws/api/2.0/mlflow/registered-models/search?max_results=100",
    )
    .unwrap();
    let signing = Signing {
        credentials: &credentials,
        region: "eu-west-1",
        name: MLFLOW_SIGNING_NAME,
        server_arn: Some(arn),
    };
    let headers = sigv4_headers(&signing, &Method::GET, &url, ("", "application/json"))
        .await
        .unwrap();
    let get = |k: &str| {
        headers
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let auth = get("authorization").unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{auth}"
    );
    assert!(
        auth.contains("/eu-west-1/sagemaker-mlflow/aws4_request"),
        "{auth}"
    );
    assert!(
        auth.contains(SERVER_ARN_HEADER),
        "the ARN header is signed: {auth}"
    );
    assert_eq!(get(SERVER_ARN_HEADER), Some(arn));
    assert_eq!(get("x-amz-security-token"), Some("session"));
    assert!(get("x-amz-date").is_some());
}

#[test]
fn user_info_leaves_the_url_and_becomes_basic_auth() {
    let (url, creds) = without_user_info("https://bob:p%40ss@mlflow.corp:5000/");
    assert_eq!(url, "https://mlflow.corp:5000");
    assert_eq!(creds, Some(("bob".into(), "p@ss".into())));
    assert_eq!(
        without_user_info("http://127.0.0.1:5000"),
        ("http://127.0.0.1:5000".into(), None)
    );
    let rest = Rest::new(
        "https://bob:pw@m.corp/api",
        Auth::None,
        "MLflow",
        "",
        &ApiCalls::default(),
    )
    .unwrap();
    assert_eq!(rest.base(), "https://m.corp/api");
    assert!(
        matches!(&*rest.auth, Auth::Basic { user, password } if user == "bob" && password == "pw")
    );
}

#[test]
fn credentials_over_plain_http_to_another_host_are_warned_of() {
    let warn = |url, creds| plain_http_warning("MLflow", url, creds);
    assert_eq!(
        warn("http://mlflow.corp:5000", true).as_deref(),
        Some("warning: MLflow credentials go to mlflow.corp over plain http, readable on the network; use https")
    );
    assert!(warn("http://u:p@10.0.0.5/", false).is_some());
    assert!(warn("https://mlflow.corp", true).is_none());
    assert!(warn("http://127.0.0.1:5000", true).is_none());
    assert!(warn("http://localhost:5000", true).is_none());
    assert!(warn("http://[::1]:5000", true).is_none());
    assert!(
        warn("http://mlflow.corp", false).is_none(),
        "nothing to read"
    );
}

#[test]
fn server_messages_are_one_bounded_line() {
    assert_eq!(
        server_message(br#"{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Registered Model with name=x not found"}"#)
            .as_deref(),
        Some("Registered Model with name=x not found")
    );
    assert_eq!(
        server_message(
            br#"{"detail":[{"msg":"Field required"},{"msg":"Input should be a valid dict"}]}"#
        )
        .as_deref(),
        Some("Field required; Input should be a valid dict")
    );
    assert_eq!(server_message(b"<html>502</html>"), None);
    let long = format!(r#"{{"detail":"{}\nsecond"}}"#, "x".repeat(500));
    assert_eq!(server_message(long.as_bytes()).unwrap().len(), 200);
}

#[tokio::test]
async fn amp_queries_are_signed_for_aps_and_name_no_server() {
    use aws_credential_types::provider::SharedCredentialsProvider;
    let credentials = SharedCredentialsProvider::new(aws_credential_types::Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        None,
        None,
        "test",
    ));
    let url = reqwest::Url::parse(
        "https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-0a1b/api/v1/query_range?query=up",
    )
    .unwrap();
    let signing = Signing {
        credentials: &credentials,
        region: "us-east-1",
        name: "aps",
        server_arn: None,
    };
    let headers = sigv4_headers(&signing, &Method::GET, &url, ("", "application/json"))
        .await
        .unwrap();
    let auth = headers
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(auth.contains("/us-east-1/aps/aws4_request"), "{auth}");
    assert!(!headers.iter().any(|(h, _)| h == SERVER_ARN_HEADER));
}
