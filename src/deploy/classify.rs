//! The one place that decides what an AWS error means. CloudFormation reports several
//! conditions only in its message text ("No updates are to be performed", "does not
//! exist"); those checks live here, with tests, and nowhere else.

/// What kind of failure an API error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Rate limited: retry after a back-off.
    Throttling,
    /// The stack, change set, object, image or repository does not exist.
    NotFound,
    /// An update with nothing to change (`UpdateStack`).
    NoUpdates,
    /// A stack or resource with that name already exists.
    AlreadyExists,
    /// The request is invalid (a template error, a bad parameter).
    Validation,
    /// The credentials may not do this.
    AccessDenied,
    /// The credentials are missing, expired or invalid.
    Credentials,
    /// The template needs a capability that was not given.
    InsufficientCapabilities,
    /// An account quota is reached.
    LimitExceeded,
    /// No answer: connection, DNS or timeout.
    Transport,
    /// The service failed (HTTP 5xx without an error code).
    Service,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// A short name, for JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Throttling => "throttling",
            ErrorKind::NotFound => "not-found",
            ErrorKind::NoUpdates => "no-updates",
            ErrorKind::AlreadyExists => "already-exists",
            ErrorKind::Validation => "validation",
            ErrorKind::AccessDenied => "access-denied",
            ErrorKind::Credentials => "credentials",
            ErrorKind::InsufficientCapabilities => "insufficient-capabilities",
            ErrorKind::LimitExceeded => "limit-exceeded",
            ErrorKind::Transport => "transport",
            ErrorKind::Service => "service",
            ErrorKind::Other => "other",
        }
    }
}

/// Classifies an error by its AWS error code, message and HTTP status (`None`: no response).
pub fn classify(code: Option<&str>, message: &str, http_status: Option<u16>) -> ErrorKind {
    match code {
        Some(
            "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestLimitExceeded"
            | "RequestThrottled"
            | "RequestThrottledException"
            | "TooManyRequestsException"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "ProvisionedThroughputExceededException",
        ) => ErrorKind::Throttling,
        Some("ValidationError") if message.contains("No updates are to be performed") => {
            ErrorKind::NoUpdates
        }
        Some("ValidationError") if message.contains("does not exist") => ErrorKind::NotFound,
        Some(
            "ValidationError"
            | "ValidationException"
            | "InvalidParameterValue"
            | "InvalidParameterCombination"
            | "MalformedPolicyDocument",
        ) => ErrorKind::Validation,
        Some(
            "ChangeSetNotFound"
            | "ChangeSetNotFoundException"
            | "StackNotFoundException"
            | "NoSuchKey"
            | "NoSuchBucket"
            | "NotFound"
            | "ImageNotFoundException"
            | "RepositoryNotFoundException",
        ) => ErrorKind::NotFound,
        Some(
            "AlreadyExistsException"
            | "BucketAlreadyOwnedByYou"
            | "RepositoryAlreadyExistsException",
        ) => ErrorKind::AlreadyExists,
        Some(
            "AccessDenied"
            | "AccessDeniedException"
            | "AuthorizationError"
            | "UnauthorizedOperation"
            | "UnauthorizedException",
        ) => ErrorKind::AccessDenied,
        Some(
            "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "MissingAuthenticationToken"
            | "InvalidAccessKeyId",
        ) => ErrorKind::Credentials,
        Some("InsufficientCapabilitiesException") => ErrorKind::InsufficientCapabilities,
        Some("LimitExceededException" | "TooManyBuckets") => ErrorKind::LimitExceeded,
        Some(_) => ErrorKind::Other,
        None => match http_status {
            Some(429) => ErrorKind::Throttling,
            Some(403) => ErrorKind::AccessDenied,
            Some(404) => ErrorKind::NotFound,
            Some(s) if s >= 500 => ErrorKind::Service,
            Some(_) => ErrorKind::Other,
            None => ErrorKind::Transport,
        },
    }
}

/// A FAILED change set whose reason means "nothing to change" (CloudFormation words it in
/// several ways, and sends no code).
pub fn no_changes_reason(reason: &str) -> bool {
    reason.contains("didn't contain changes")
        || reason.contains("No updates are to be performed")
        || reason.contains("contains no changes")
}

/// A resource event that failed only because another resource did ("Resource creation
/// cancelled"): never the first failure to report.
pub fn cancelled_reason(reason: &str) -> bool {
    reason.contains("cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellations_are_not_causes() {
        assert!(cancelled_reason("Resource creation cancelled"));
        assert!(cancelled_reason("Resource update cancelled"));
        assert!(!cancelled_reason("Invalid parameter: TopicName"));
    }

    #[test]
    fn empty_change_sets_are_recognised_by_their_reason() {
        assert!(no_changes_reason("The submitted information didn't contain changes. Submit different information to create a change set."));
        assert!(no_changes_reason("No updates are to be performed."));
        assert!(!no_changes_reason(
            "Template error: instance of Fn::GetAtt references undefined resource"
        ));
    }

    #[test]
    fn cloudformation_validation_errors_are_told_apart_by_their_text() {
        assert_eq!(
            classify(
                Some("ValidationError"),
                "No updates are to be performed.",
                Some(400)
            ),
            ErrorKind::NoUpdates
        );
        assert_eq!(
            classify(
                Some("ValidationError"),
                "Stack with id api does not exist",
                Some(400)
            ),
            ErrorKind::NotFound
        );
        assert_eq!(
            classify(
                Some("ValidationError"),
                "Template format error: unknown type",
                Some(400)
            ),
            ErrorKind::Validation
        );
    }

    #[test]
    fn codes_and_statuses_map_to_kinds() {
        let cases = [
            (Some("Throttling"), None, ErrorKind::Throttling),
            (
                Some("TooManyRequestsException"),
                None,
                ErrorKind::Throttling,
            ),
            (None, Some(429), ErrorKind::Throttling),
            (Some("AccessDenied"), Some(403), ErrorKind::AccessDenied),
            (None, Some(403), ErrorKind::AccessDenied),
            (Some("ExpiredToken"), Some(403), ErrorKind::Credentials),
            (
                Some("InsufficientCapabilitiesException"),
                None,
                ErrorKind::InsufficientCapabilities,
            ),
            (
                Some("AlreadyExistsException"),
                None,
                ErrorKind::AlreadyExists,
            ),
            (
                Some("LimitExceededException"),
                None,
                ErrorKind::LimitExceeded,
            ),
            (Some("ImageNotFoundException"), None, ErrorKind::NotFound),
            (None, Some(404), ErrorKind::NotFound),
            (None, Some(500), ErrorKind::Service),
            (None, None, ErrorKind::Transport),
            (Some("SomethingNew"), Some(400), ErrorKind::Other),
        ];
        for (code, status, kind) in cases {
            assert_eq!(classify(code, "", status), kind, "{code:?} {status:?}");
        }
    }
}
