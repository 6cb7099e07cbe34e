//! The engine's errors: one variant per way a deploy, diff or destroy can stop, each with
//! the context to act on it. Exit codes are the CLI's business (`stackforge::cli::exit`).

use std::time::Duration;

use super::classify::ErrorKind;
use crate::assembly::{AssemblyError, SelectError};
use crate::template::ReadError;

/// An AWS API error, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{operation} failed: {message}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
pub struct ApiError {
    /// The operation, e.g. `CreateChangeSet`.
    pub operation: &'static str,
    /// What kind of error it is.
    pub kind: ErrorKind,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    /// The service's message, or the transport error.
    pub message: String,
}

/// What blocks a destroy, each with its remedy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blocker {
    /// The stack has termination protection.
    TerminationProtection,
    /// An export still imported by stacks that stay.
    ExportImported {
        /// The export.
        export: String,
        /// The importing stacks.
        importers: Vec<String>,
    },
    /// A database with deletion protection.
    DatabaseProtected {
        /// Logical ID.
        logical_id: String,
        /// `AWS::RDS::DBInstance` or `AWS::RDS::DBCluster`.
        type_name: String,
        /// Physical id (`None`: unknown).
        physical_id: Option<String>,
    },
    /// A DynamoDB table with deletion protection.
    TableProtected {
        /// Logical ID.
        logical_id: String,
        /// Table name (`None`: unknown).
        physical_id: Option<String>,
    },
    /// A load balancer with deletion protection.
    LoadBalancerProtected {
        /// Logical ID.
        logical_id: String,
        /// Load balancer ARN (`None`: unknown).
        physical_id: Option<String>,
    },
    /// A bucket CloudFormation deletes, with objects in it.
    BucketNotEmpty {
        /// Logical ID.
        logical_id: String,
        /// Bucket name.
        bucket: String,
    },
    /// An ECR repository without `EmptyOnDelete`, with images in it.
    RepositoryNotEmpty {
        /// Logical ID.
        logical_id: String,
        /// Repository name.
        repository: String,
    },
}

impl Blocker {
    /// What to do, with the exact commands.
    pub fn remedy(&self, stack: &str) -> String {
        let id = |p: &Option<String>, placeholder: &str| {
            p.clone().unwrap_or_else(|| placeholder.to_owned())
        };
        match self {
            Blocker::TerminationProtection => format!("termination protection is on: turn it off in code (`set_termination_protection(false)`) and deploy once, or: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {stack}"),
            Blocker::ExportImported { export, importers } => format!("export `{export}` is imported by {}: destroy those first (or include them with --stack)", importers.join(", ")),
            Blocker::DatabaseProtected { logical_id, type_name, physical_id } => {
                let pid = id(physical_id, "<id>");
                let cli = if type_name == "AWS::RDS::DBCluster" {
                    format!("aws rds modify-db-cluster --db-cluster-identifier {pid} --no-deletion-protection --apply-immediately")
                } else {
                    format!("aws rds modify-db-instance --db-instance-identifier {pid} --no-deletion-protection --apply-immediately")
                };
                format!("{logical_id} ({type_name}) has deletion protection on. Turn it off in code (deletion_protection: false), deploy once, then destroy; or, outside stackforge: {cli}")
            }
            Blocker::TableProtected { logical_id, physical_id } => format!("{logical_id} (AWS::DynamoDB::Table) has deletion protection on. Turn it off in code, deploy once, then destroy; or: aws dynamodb update-table --table-name {} --no-deletion-protection-enabled", id(physical_id, "<table>")),
            Blocker::LoadBalancerProtected { logical_id, physical_id } => format!("{logical_id} (AWS::ElasticLoadBalancingV2::LoadBalancer) has deletion protection on. Turn it off in code, deploy once, then destroy; or: aws elbv2 modify-load-balancer-attributes --load-balancer-arn {} --attributes Key=deletion_protection.enabled,Value=false", id(physical_id, "<load-balancer-arn>")),
            Blocker::BucketNotEmpty { logical_id, bucket } => format!("bucket {bucket} ({logical_id}) is not empty. Empty it first: aws s3 rm s3://{bucket} --recursive (versioned buckets: also delete the object versions)"),
            Blocker::RepositoryNotEmpty { logical_id, repository } => format!("ECR repository {repository} ({logical_id}) has images. Delete them first: aws ecr batch-delete-image --repository-name {repository} --image-ids \"$(aws ecr list-images --repository-name {repository} --query imageIds --output json)\" (or set EmptyOnDelete and deploy once)"),
        }
    }
}

/// Why an online command stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// No region in the flags, the environment or the profile.
    #[error("no AWS region: pass --region, set AWS_REGION, or set `region` in the profile")]
    NoRegion,
    /// An option is malformed.
    #[error("{message}")]
    Usage {
        /// What is wrong and how to write it.
        message: String,
    },
    /// `--stack` selected nothing.
    #[error(transparent)]
    Select(#[from] SelectError),
    /// The assembly could not be read.
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
    /// A deployed template could not be read.
    #[error(transparent)]
    Template(#[from] ReadError),
    /// An AWS API call failed.
    #[error(transparent)]
    Api(#[from] ApiError),
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
    /// The template is too large to send inline and there is no bucket to upload it to.
    #[error("stack `{stack}`: the template is {bytes} bytes, over CloudFormation's inline limit of {limit} bytes; run `stackforge bootstrap` once (it creates the staging bucket deploy uploads large templates to), or pass --bucket BUCKET")]
    TemplateTooLarge {
        /// The stack.
        stack: String,
        /// Bytes of the minified template.
        bytes: usize,
        /// The limit that applies.
        limit: usize,
    },
    /// The account and region have no staging bucket.
    #[error("{what} needs the staging bucket {bucket}, which does not exist in this account and region; run `stackforge bootstrap` once (or pass --bucket BUCKET for templates)")]
    NotBootstrapped {
        /// What needed it.
        what: String,
        /// The bucket name.
        bucket: String,
    },
    /// An asset cannot be published.
    #[error("asset {id}: {message}")]
    Asset {
        /// The asset id.
        id: String,
        /// What is wrong and what to do.
        message: String,
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
    #[error("stack `{stack}` cannot be destroyed yet:\n{}", blockers.iter().map(|b| format!("  - {}", b.remedy(stack))).collect::<Vec<_>>().join("\n"))]
    DestroyBlocked {
        /// The stack.
        stack: String,
        /// What blocks it.
        blockers: Vec<Blocker>,
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

/// The stable codes of deploy errors (`SFD…`); assembly and selection errors keep their
/// own (`SFA…`).
pub mod codes {
    use crate::diag::Code;
    /// No region.
    pub const NO_REGION: Code = Code::new("SFD001");
    /// A malformed option.
    pub const USAGE: Code = Code::new("SFD002");
    /// An AWS API call failed.
    pub const API: Code = Code::new("SFD003");
    /// The stack's pinned account or region is not the caller's.
    pub const ENVIRONMENT_MISMATCH: Code = Code::new("SFD004");
    /// A template over the inline limit and no bucket.
    pub const TEMPLATE_NEEDS_BUCKET: Code = Code::new("SFD005");
    /// No staging bucket in this account and region.
    pub const NOT_BOOTSTRAPPED: Code = Code::new("SFD006");
    /// An asset cannot be published.
    pub const ASSET: Code = Code::new("SFD007");
    /// Approval needed and not given.
    pub const APPROVAL_REFUSED: Code = Code::new("SFD008");
    /// An export still imported would be dropped.
    pub const EXPORT_IN_USE: Code = Code::new("SFD009");
    /// The stack is in a state deploy cannot continue from.
    pub const STUCK: Code = Code::new("SFD010");
    /// The change set failed.
    pub const CHANGE_SET_FAILED: Code = Code::new("SFD011");
    /// The stack failed and rolled back.
    pub const FAILED: Code = Code::new("SFD012");
    /// Waited longer than the timeout.
    pub const TIMEOUT: Code = Code::new("SFD013");
    /// A pre-deploy requirement is not met.
    pub const REQUIREMENT_UNMET: Code = Code::new("SFD014");
    /// Something blocks the destroy.
    pub const DESTROY_BLOCKED: Code = Code::new("SFD015");
    /// Writing outputs failed.
    pub const IO: Code = Code::new("SFD016");
}

impl DeployError {
    /// The stable code.
    pub fn code(&self) -> crate::diag::Code {
        match self {
            DeployError::NoRegion => codes::NO_REGION,
            DeployError::Usage { .. } => codes::USAGE,
            DeployError::Select(e) => e.code(),
            DeployError::Assembly(e) => e.code(),
            DeployError::Template(e) => e.code(),
            DeployError::Api(_) => codes::API,
            DeployError::EnvironmentMismatch { .. } => codes::ENVIRONMENT_MISMATCH,
            DeployError::TemplateTooLarge { .. } => codes::TEMPLATE_NEEDS_BUCKET,
            DeployError::NotBootstrapped { .. } => codes::NOT_BOOTSTRAPPED,
            DeployError::Asset { .. } => codes::ASSET,
            DeployError::ApprovalRefused { .. } => codes::APPROVAL_REFUSED,
            DeployError::ExportInUse { .. } => codes::EXPORT_IN_USE,
            DeployError::Stuck { .. } => codes::STUCK,
            DeployError::ChangeSetFailed { .. } => codes::CHANGE_SET_FAILED,
            DeployError::Failed { .. } => codes::FAILED,
            DeployError::Timeout { .. } => codes::TIMEOUT,
            DeployError::RequirementUnmet { .. } => codes::REQUIREMENT_UNMET,
            DeployError::DestroyBlocked { .. } => codes::DESTROY_BLOCKED,
            DeployError::Io { .. } => codes::IO,
        }
    }

    /// The API error kind, for errors that are API errors.
    pub fn api_kind(&self) -> Option<ErrorKind> {
        match self {
            DeployError::Api(e) => Some(e.kind),
            _ => None,
        }
    }
}
