//! What an ARN says of where its resource is: the account an action's target lives
//! in, checked against the credentials about to act on it.

/// The account id of `arn` (`arn:partition:service:region:account:resource`), when it
/// has one of twelve digits.
pub fn account_of(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some(_), Some(_), Some(account), Some(_)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

#[cfg(test)]
mod tests {
    use super::account_of;

    #[test]
    fn the_account_is_the_fifth_field() {
        assert_eq!(
            account_of("arn:aws:sagemaker:us-east-1:123456789012:endpoint/rec-prod"),
            Some("123456789012")
        );
        assert_eq!(
            account_of("arn:aws-cn:ecs:cn-north-1:210987654321:service/c/s"),
            Some("210987654321")
        );
        // S3 ARNs carry no account; neither do names.
        assert_eq!(account_of("arn:aws:s3:::bucket/key"), None);
        assert_eq!(account_of("rec-prod"), None);
        assert_eq!(account_of("arn:aws:x:r:12:y"), None);
    }
}
