//! AWS errors as one line that says what to do: the IAM action that is missing, the
//! command that refreshes credentials, the endpoint that cannot be reached.

use aws_sdk_sagemaker::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// What went wrong with one AWS call, by kind: callers decide on the kind (a role
/// that may not list finds nothing, a mutation that got no answer is read back),
/// and the one line the user reads is written here, in the `#[error]`s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error("AccessDenied: the IAM policy lacks {action}; add it to this role")]
    Denied { action: String },
    #[error("AWS credentials expired: refresh them (e.g. `aws sso login --profile <name>`)")]
    Expired,
    #[error("AWS rejected the credentials: check AWS_PROFILE / --profile and the keys")]
    Rejected,
    #[error(
        "could not assume the account's role ({why}): the base credentials need \
         sts:AssumeRole on it and its trust policy must allow them"
    )]
    RoleNotAssumed { why: &'static str },
    #[error(
        "no AWS credentials: set AWS_PROFILE or pass --profile, run `aws sso login`, \
         or try --demo"
    )]
    NoCredentials,
    #[error("throttled by AWS on {action}")]
    Throttled { action: String },
    /// An error status without an AWS error code: a load balancer, proxy or
    /// throttle in front of AWS answered.
    #[error("AWS answered {status} {} on {action}", status_meaning(status))]
    Status { action: String, status: u16 },
    #[error("{action} timed out")]
    TimedOut { action: String },
    #[error("cannot reach AWS for {action} (network or --endpoint-url)")]
    Unreachable { action: String },
    /// AWS answered with an error code of its own (a validation error, a conflict).
    #[error("{action} failed: {}", said(code, message))]
    Failed {
        action: String,
        code: Option<String>,
        message: String,
    },
    /// A read of several calls that could not be completed (a server that pages
    /// for ever): said as it was found.
    #[error("{0}")]
    Read(String),
}

impl AwsError {
    /// The kind of an SDK error from the call needing `action` (e.g.
    /// `sagemaker:ListEndpoints`).
    pub fn of<E>(action: &str, err: &SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code = err.as_service_error().and_then(|e| e.code());
        let status = err.raw_response().map(|r| r.status().as_u16());
        match (err, code, status) {
            (_, None, Some(status)) if status >= 400 => AwsError::Status {
                action: action.to_string(),
                status,
            },
            (SdkError::ServiceError(e), _, _) => classify(action, code, e.err().message()),
            _ => transport(action, err),
        }
    }

    /// Whether the role may not make the call.
    pub fn is_denied(&self) -> bool {
        matches!(self, AwsError::Denied { .. })
    }

    /// What a read does next after this error, said after it: a passing trouble is
    /// asked again at the next refresh; anything else waits for the user.
    fn then(&self) -> &'static str {
        match self {
            AwsError::Throttled { .. } => "; backing off",
            AwsError::Status { status, .. } if *status == 429 || *status >= 500 => "; will retry",
            AwsError::TimedOut { .. } | AwsError::Unreachable { .. } => "; will retry",
            _ => "",
        }
    }

    /// The line a failed read shows: what went wrong and what happens next. A call
    /// that changes something is said without the second part (it is never retried).
    pub fn for_a_read(&self) -> String {
        format!("{self}{}", self.then())
    }
}

/// A read's error joins the text every source reports.
impl From<AwsError> for String {
    fn from(e: AwsError) -> String {
        e.for_a_read()
    }
}

/// Turns an SDK error from the call needing `action` (e.g. `sagemaker:ListEndpoints`)
/// into the line a failed read shows.
pub fn describe<E>(action: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    AwsError::of(action, err).for_a_read()
}

/// An HTTP error status in plain words.
fn status_meaning(status: &u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "an error status",
    }
}

/// An AWS error code and the first line of its message.
fn said(code: &Option<String>, message: &str) -> String {
    match code {
        Some(code) => format!("{code}: {message}"),
        None => message.to_string(),
    }
}

/// Errors before any answer: timeouts, the network, credentials.
fn transport<E>(action: &str, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let action = action.to_string();
    match err {
        SdkError::TimeoutError(_) => AwsError::TimedOut { action },
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
            AwsError::Unreachable { action }
        }
        other => {
            // The SDK's credential providers say what failed only in words.
            let text = DisplayErrorContext(other).to_string();
            if text.contains("AssumeRole") || text.contains("assume role") {
                let why = if text.contains("AccessDenied") {
                    "AccessDenied"
                } else if text.contains("ExpiredToken") {
                    "the base credentials expired"
                } else {
                    "STS refused"
                };
                AwsError::RoleNotAssumed { why }
            } else if text.contains("credentials") {
                AwsError::NoCredentials
            } else {
                AwsError::Failed {
                    action,
                    code: None,
                    message: first_line(&text).to_string(),
                }
            }
        }
    }
}

/// Whether the service does not implement the call at all: an explicit
/// NotImplemented or UnknownOperation, or an error status without an AWS error code
/// (what emulators send; AWS's own errors always carry a code, e.g. InternalFailure).
/// Optional features (Model Monitor schedules, cost forecasts) then quietly step aside.
pub fn is_unimplemented<E>(err: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    let code = err.as_service_error().and_then(|e| e.code());
    let status = err.raw_response().map(|r| r.status().as_u16());
    matches!(code, Some("NotImplemented" | "UnknownOperationException"))
        || (code.is_none() && status.is_some_and(|s| s >= 400))
}

/// Whether SageMaker says the resource does not exist (a describe of a deleted
/// model, package or job answers with a validation error).
pub fn is_not_found<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    matches!(
        err.as_service_error().and_then(|s| s.code()),
        Some("ValidationException" | "ResourceNotFound")
    )
}

/// Whether a call that changes something may have been made although it failed: no
/// answer came (a timeout, a dropped connection, an unreadable answer) or the
/// service answered 5xx, perhaps after applying it. A 4xx is a refusal (nothing
/// changed), and a request that could not be built was never sent.
pub fn outcome_unknown<E>(err: &SdkError<E, HttpResponse>) -> bool {
    match err {
        SdkError::ConstructionFailure(_) => false,
        SdkError::ServiceError(e) => e.raw().status().is_server_error(),
        _ => true,
    }
}

/// The kind of an error code AWS returned.
pub fn classify(action: &str, code: Option<&str>, message: Option<&str>) -> AwsError {
    let action = action.to_string();
    match code.unwrap_or_default() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            AwsError::Denied { action }
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => AwsError::Expired,
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException" => {
            AwsError::Rejected
        }
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => {
            AwsError::Throttled { action }
        }
        code => AwsError::Failed {
            action,
            code: Some(code).filter(|c| !c.is_empty()).map(str::to_string),
            message: message
                .map(first_line)
                .filter(|m| !m.is_empty())
                .unwrap_or("AWS gave no reason")
                .to_string(),
        },
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_names_the_iam_action() {
        let e = classify(
            "sagemaker:ListEndpoints",
            Some("AccessDeniedException"),
            Some("User: x"),
        );
        assert!(e.is_denied());
        assert_eq!(
            e.for_a_read(),
            "AccessDenied: the IAM policy lacks sagemaker:ListEndpoints; add it to this role"
        );
    }

    #[test]
    fn expired_credentials_say_how_to_refresh() {
        let e = classify("sts:GetCallerIdentity", Some("ExpiredToken"), None);
        assert_eq!(e, AwsError::Expired);
        assert!(e.to_string().contains("aws sso login"), "{e}");
    }

    #[test]
    fn a_read_says_it_backs_off_and_a_change_does_not() {
        let e = classify(
            "sagemaker:ListTrainingJobs",
            Some("ThrottlingException"),
            None,
        );
        assert_eq!(
            e.for_a_read(),
            "throttled by AWS on sagemaker:ListTrainingJobs; backing off"
        );
        assert_eq!(
            e.to_string(),
            "throttled by AWS on sagemaker:ListTrainingJobs"
        );
    }

    #[test]
    fn statuses_without_an_aws_body_are_said_in_plain_words() {
        let status = |action: &str, status| AwsError::Status {
            action: action.into(),
            status,
        };
        assert_eq!(
            status("sagemaker:DescribeModel", 503).for_a_read(),
            "AWS answered 503 Service Unavailable on sagemaker:DescribeModel; will retry"
        );
        assert_eq!(
            status("s3:GetObject", 404).for_a_read(),
            "AWS answered 404 Not Found on s3:GetObject"
        );
        let odd = classify("x:Y", Some("Odd"), Some("")).to_string();
        assert_eq!(odd, "x:Y failed: Odd: AWS gave no reason");
    }

    #[test]
    fn other_errors_keep_code_and_first_line() {
        let e = classify(
            "sagemaker:DescribeEndpoint",
            Some("ValidationException"),
            Some("bad\nmore"),
        );
        assert_eq!(
            e.for_a_read(),
            "sagemaker:DescribeEndpoint failed: ValidationException: bad"
        );
        let bare = classify("x:Y", None, Some("gone"));
        assert_eq!(bare.to_string(), "x:Y failed: gone");
    }
}
