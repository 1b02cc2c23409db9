//! AWS errors as one line that says what to do: the IAM action that is missing, the
//! command that refreshes credentials, the endpoint that cannot be reached.

use aws_sdk_sagemaker::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Turns an SDK error from the call needing `action` (e.g. `sagemaker:ListEndpoints`)
/// into a message for the user.
pub fn describe<E>(action: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.as_service_error().and_then(|e| e.code());
    let status = err.raw_response().map(|r| r.status().as_u16());
    match (err, code, status) {
        // No AWS error code: a load balancer, proxy or throttle in front of AWS
        // answered. Say what the status means.
        (_, None, Some(status)) if status >= 400 => http_status(action, status),
        (SdkError::ServiceError(e), _, _) => classify(action, code, e.err().message()),
        _ => transport(action, err),
    }
}

/// An HTTP error status without an AWS body, in plain words.
fn http_status(action: &str, status: u16) -> String {
    let meaning = match status {
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
    };
    let then = match status {
        429 | 500..=599 => "; will retry",
        _ => "",
    };
    format!("AWS answered {status} {meaning} on {action}{then}")
}

/// Errors before any answer: timeouts, the network, credentials.
fn transport<E>(action: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match err {
        SdkError::TimeoutError(_) => format!("{action} timed out; will retry"),
        SdkError::DispatchFailure(d) if d.is_io() || d.is_timeout() => {
            format!("cannot reach AWS for {action} (network or --endpoint-url); will retry")
        }
        other => {
            let text = DisplayErrorContext(other).to_string();
            // An account reached through a role: the role could not be assumed.
            if text.contains("AssumeRole") || text.contains("assume role") {
                let why = if text.contains("AccessDenied") {
                    "AccessDenied"
                } else if text.contains("ExpiredToken") {
                    "the base credentials expired"
                } else {
                    "STS refused"
                };
                format!(
                    "could not assume the account's role ({why}): the base credentials need \
                     sts:AssumeRole on it and its trust policy must allow them"
                )
            } else if text.contains("credentials") {
                "no AWS credentials: set AWS_PROFILE or pass --profile, run `aws sso login`, \
                 or try --demo"
                    .to_string()
            } else {
                format!("{action} failed: {}", first_line(&text))
            }
        }
    }
}

/// Whether the service does not implement the call at all: an explicit
/// NotImplemented or UnknownOperation, or an error status without an AWS error code
/// (what emulators send; AWS's own errors always carry a code, e.g. InternalFailure).
/// Optional features (Model Monitor schedules, cost forecasts) then quietly step aside.
/// Whether `message` (from `describe`) says the role may not make the call.
pub fn is_denied(message: &str) -> bool {
    message.starts_with(DENIED)
}

/// How `describe` begins a message about a call the role may not make.
const DENIED: &str = "AccessDenied:";

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

/// The message for an error code AWS returned.
pub fn classify(action: &str, code: Option<&str>, message: Option<&str>) -> String {
    match code.unwrap_or_default() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            format!("{DENIED} the IAM policy lacks {action}; add it to this role")
        }
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            "AWS credentials expired: refresh them (e.g. `aws sso login --profile <name>`)"
                .to_string()
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "InvalidSignatureException" => {
            "AWS rejected the credentials: check AWS_PROFILE / --profile and the keys".to_string()
        }
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" => {
            format!("throttled by AWS on {action}; backing off")
        }
        code => {
            let message = message
                .map(first_line)
                .filter(|m| !m.is_empty())
                .unwrap_or("AWS gave no reason");
            if code.is_empty() {
                format!("{action} failed: {message}")
            } else {
                format!("{action} failed: {code}: {message}")
            }
        }
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
        assert_eq!(
            classify(
                "sagemaker:ListEndpoints",
                Some("AccessDeniedException"),
                Some("User: x")
            ),
            "AccessDenied: the IAM policy lacks sagemaker:ListEndpoints; add it to this role"
        );
    }

    #[test]
    fn expired_credentials_say_how_to_refresh() {
        let m = classify("sts:GetCallerIdentity", Some("ExpiredToken"), None);
        assert!(m.contains("aws sso login"), "{m}");
    }

    #[test]
    fn throttling_says_it_backs_off() {
        let m = classify(
            "sagemaker:ListTrainingJobs",
            Some("ThrottlingException"),
            None,
        );
        assert_eq!(
            m,
            "throttled by AWS on sagemaker:ListTrainingJobs; backing off"
        );
    }

    #[test]
    fn statuses_without_an_aws_body_are_said_in_plain_words() {
        assert_eq!(
            http_status("sagemaker:DescribeModel", 503),
            "AWS answered 503 Service Unavailable on sagemaker:DescribeModel; will retry"
        );
        assert_eq!(
            http_status("s3:GetObject", 404),
            "AWS answered 404 Not Found on s3:GetObject"
        );
        assert!(!classify("x:Y", Some("Odd"), Some("")).contains("no message"));
    }

    #[test]
    fn other_errors_keep_code_and_first_line() {
        let m = classify(
            "sagemaker:DescribeEndpoint",
            Some("ValidationException"),
            Some("bad\nmore"),
        );
        assert_eq!(
            m,
            "sagemaker:DescribeEndpoint failed: ValidationException: bad"
        );
    }
}
