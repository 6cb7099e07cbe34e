//! The deploy engine's errors: one variant per way a deploy, diff or destroy can stop, each
//! with the context to act on it and a named exit code.

use std::time::Duration;

use crate::cli::exit;

/// Why an online command stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// No region in the flags, the environment or the profile.
    #[error("no AWS region: pass --region, set AWS_REGION, or set `region` in the profile")]
    NoRegion,
    /// A command-line value is malformed.
    #[error("{message}")]
    Usage {
        /// What is wrong and how to write it.
        message: String,
    },
    /// An AWS API call failed.
    #[error("{operation} failed: {message}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        /// The operation, e.g. `CreateChangeSet`.
        operation: &'static str,
        /// The service's error code, when it sent one.
        code: Option<String>,
        /// The service's message, or the transport error.
        message: String,
    },
    /// The stack pins an account or region that is not the caller's.
    #[error("stack `{stack}` is pinned to {what} {pinned}, but the credentials are for {what} {actual}; use credentials (--profile) or --region for {pinned}")]
    EnvironmentMismatch {
        /// The stack.
        stack: String,
        /// `account` or `region`.
        what: &'static str,
        /// What the stack pins.
        pinned: String,
        /// What the caller has.
        actual: String,
    },
    /// The template is too large to send inline and no bucket was given.
    #[error("stack `{stack}`: the template is {bytes} bytes, over CloudFormation's inline limit of {limit} bytes; pass --bucket BUCKET to upload it to S3 first")]
    TemplateTooLarge {
        /// The stack.
        stack: String,
        /// Bytes of the minified template.
        bytes: usize,
        /// The limit that applies.
        limit: usize,
    },
    /// The change needs approval and none was given.
    #[error("stack `{stack}`: {reason}")]
    ApprovalRefused {
        /// The stack.
        stack: String,
        /// Why it needed approval and how to give it.
        reason: String,
    },
    /// The new template drops an export that another stack still imports.
    #[error("stack `{stack}` would drop export `{export}`, which {} still import(s). CloudFormation would fail halfway. Two steps instead: (1) keep the export for one more deploy (`scope.export_value(&value)` in `{stack}`) and deploy {} without the reference; (2) then remove the export and deploy `{stack}` again", importers.join(", "), importers.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", "))]
    ExportInUse {
        /// The exporting stack.
        stack: String,
        /// The export name.
        export: String,
        /// The importing stacks.
        importers: Vec<String>,
    },
    /// The stack is in a state deploy cannot continue from.
    #[error("stack `{stack}` is {status}: {help}")]
    Stuck {
        /// The stack.
        stack: String,
        /// Its status.
        status: String,
        /// What to do.
        help: String,
    },
    /// The change set could not be created.
    #[error("stack `{stack}`: the change set failed: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// The stack ended in a failed or rolled-back state.
    #[error("stack `{stack}` failed: {status}{}", first_failure.as_deref().map(|f| format!("; first failure: {f}")).unwrap_or_default())]
    Failed {
        /// The stack.
        stack: String,
        /// The final status (the rollback outcome).
        status: String,
        /// The first failed resource and its reason.
        first_failure: Option<String>,
    },
    /// The operation did not finish in time.
    #[error("stack `{stack}` is still {status} after {}s (--timeout). CloudFormation keeps going; watch it in the console, or run the command again later", waited.as_secs())]
    Timeout {
        /// The stack.
        stack: String,
        /// The last status seen.
        status: String,
        /// How long deploy waited.
        waited: Duration,
    },
    /// A pre-deploy requirement is not met.
    #[error("stack `{stack}`: {message}")]
    RequirementUnmet {
        /// The stack.
        stack: String,
        /// What is missing and how to provide it.
        message: String,
    },
    /// destroy found something that would end in DELETE_FAILED.
    #[error("stack `{stack}` cannot be destroyed yet:\n{}", steps.iter().map(|s| format!("  - {s}")).collect::<Vec<_>>().join("\n"))]
    DestroyBlocked {
        /// The stack.
        stack: String,
        /// What blocks it, each with the exact steps.
        steps: Vec<String>,
    },
    /// Writing outputs failed.
    #[error("writing {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        message: String,
    },
}

impl DeployError {
    /// The named exit code (`cli::exit`) for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            DeployError::NoRegion | DeployError::Usage { .. } => exit::USAGE,
            DeployError::TemplateTooLarge { .. }
            | DeployError::ExportInUse { .. }
            | DeployError::EnvironmentMismatch { .. } => exit::INVALID,
            DeployError::ApprovalRefused { .. } => exit::APPROVAL_REFUSED,
            DeployError::Timeout { .. } => exit::TIMEOUT,
            DeployError::RequirementUnmet { .. } => exit::REQUIREMENT_UNMET,
            DeployError::Io { .. } => exit::IO,
            DeployError::Api { .. }
            | DeployError::Stuck { .. }
            | DeployError::ChangeSetFailed { .. }
            | DeployError::Failed { .. }
            | DeployError::DestroyBlocked { .. } => exit::DEPLOY_FAILED,
        }
    }
}
