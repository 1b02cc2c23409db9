//! How sending a call that changes something can fail: refused (nothing changed), or
//! with no word on what happened (the change may have been made and must be read
//! back before anything is said or tried again).

/// A call that was not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The service answered no, or the call was never sent.
    #[error("{0}")]
    Refused(String),
    /// A timeout, a dropped connection or a 5xx: it may have been applied.
    #[error("{0}")]
    Unknown(String),
}

impl SendError {
    /// An SDK error of `op`, told as the user reads it and sorted by what it means.
    pub fn of<E>(
        op: &str,
        err: &aws_sdk_sagemaker::error::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> SendError
    where
        E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::error::Error + 'static,
    {
        // Said without what a read does next: a change is neither retried nor
        // backed off.
        let text = crate::aws::errors::AwsError::of(op, err).to_string();
        match crate::aws::errors::outcome_unknown(err) {
            true => SendError::Unknown(text),
            false => SendError::Refused(text),
        }
    }
}
