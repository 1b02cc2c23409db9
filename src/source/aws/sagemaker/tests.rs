use super::protection;

#[test]
fn tags_that_could_not_be_read_count_as_protected() {
    let prod = ["env=prod".to_string()];
    let denied = Err("sagemaker:ListTags: access denied".to_string());
    assert!(protection(None, &denied, &prod)
        .unwrap()
        .contains("ListTags"));
    // Nobody asked for tag protection: nothing to fear from unread tags.
    assert_eq!(protection(None, &denied, &[]), None);
    let tag = |k: &str, v: &str| Ok(vec![(k.to_string(), v.to_string())]);
    assert_eq!(protection(None, &tag("team", "ml"), &prod), None);
    assert_eq!(
        protection(None, &tag("env", "prod"), &prod).as_deref(),
        Some("tagged env=prod")
    );
    // `protected = true` in config needs no tag at all.
    let mapping = crate::config::ModelMapping {
        protected: true,
        ..Default::default()
    };
    assert_eq!(
        protection(Some(&mapping), &Ok(vec![]), &[]).as_deref(),
        Some("protected in config")
    );
}
