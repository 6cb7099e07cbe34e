//! Least-privilege grants on any [`Grantee`]: the actions each resource pattern grants, and the
//! KMS statements added automatically when a granted resource is encrypted with a customer key.
//!
//! Every grant goes through [`stackforge::Scope::grant`]: the statements land in one
//! `AWS::IAM::Policy` per grantee per stack (`<role>DefaultPolicy`), in the grantee's stack,
//! so a grant across stacks never makes a stack cycle. The action lists below are the whole
//! contract; tests pin each of them.

use stackforge::policy::Statement;
use stackforge::{Grant, Scope, Val};

use crate::refs::Grantee;

/// S3 object reads (on `<bucket>/*`).
pub const S3_READ_OBJECTS: &[&str] = &["s3:GetObject"];
/// S3 listing (on the bucket itself).
pub const S3_LIST: &[&str] = &["s3:ListBucket"];
/// S3 object writes and deletes (on `<bucket>/*`).
pub const S3_WRITE_OBJECTS: &[&str] =
    &["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"];
/// S3 puts under a key prefix (on `<bucket>/<prefix>*`).
pub const S3_PUT_OBJECTS: &[&str] = &["s3:PutObject", "s3:AbortMultipartUpload"];
/// DynamoDB item reads (on the table and its indexes).
pub const DYNAMODB_READ: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
/// DynamoDB item writes (on the table).
pub const DYNAMODB_WRITE: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];
/// SQS sends.
pub const SQS_SEND: &[&str] = &[
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
];
/// SQS receives and deletes.
pub const SQS_CONSUME: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
];
/// Moving a dead-letter queue's messages back (`StartMessageMoveTask`), on the dead-letter
/// queue: the task reads and deletes them there.
pub const SQS_REDRIVE_SOURCE: &[&str] = &[
    "sqs:CancelMessageMoveTask",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ListMessageMoveTasks",
    "sqs:ReceiveMessage",
    "sqs:StartMessageMoveTask",
];
/// Moving a dead-letter queue's messages back, on the queue they return to.
pub const SQS_REDRIVE_DESTINATION: &[&str] = &["sqs:SendMessage"];
/// SNS publishing.
pub const SNS_PUBLISH: &[&str] = &["sns:Publish"];
/// Secrets Manager reads.
pub const SECRET_READ: &[&str] = &[
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
];
/// KMS encryption (writers of encrypted data).
pub const KMS_ENCRYPT: &[&str] = &["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"];
/// KMS decryption (readers of encrypted data).
pub const KMS_DECRYPT: &[&str] = &["kms:Decrypt"];
/// ECR image pulls (on the repository).
pub const ECR_PULL: &[&str] = &[
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
];
/// CloudWatch Logs writes (on the log group's streams).
pub const LOGS_WRITE: &[&str] = &["logs:CreateLogStream", "logs:PutLogEvents"];

/// An `Allow` statement for `actions` on `resources`, with a `Sid`.
pub fn allow(sid: &str, actions: &[&str], resources: Vec<Val<String>>) -> Statement {
    Statement::allow()
        .sid(sid)
        .actions(actions.iter().copied())
        .resources(resources)
}

/// What a grantee must be able to do with a customer key to use data encrypted with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUse {
    /// Read encrypted data.
    Decrypt,
    /// Write encrypted data (SQS and S3 writers also need to decrypt data keys).
    Encrypt,
    /// Both.
    Both,
}

/// The statement a grantee needs on `key_arn` for `usage`.
pub fn key_statement(key_arn: &Val<String>, usage: KeyUse) -> Statement {
    let actions: Vec<&str> = match usage {
        KeyUse::Decrypt => KMS_DECRYPT.to_vec(),
        KeyUse::Encrypt | KeyUse::Both => KMS_DECRYPT.iter().chain(KMS_ENCRYPT).copied().collect(),
    };
    let sid = match usage {
        KeyUse::Decrypt => "DecryptWithKey",
        KeyUse::Encrypt | KeyUse::Both => "UseKey",
    };
    allow(sid, &actions, vec![key_arn.clone()])
}

/// Grants `statements` to `grantee`, plus the key statement when the resource is encrypted
/// with a customer key.
pub fn grant(
    scope: &mut Scope<'_>,
    grantee: &dyn Grantee,
    mut statements: Vec<Statement>,
    key: Option<(&Val<String>, KeyUse)>,
) -> Grant {
    if let Some((arn, usage)) = key {
        statements.push(key_statement(arn, usage));
    }
    scope.grant(&grantee.grant_role(), statements)
}

// ---- The resource patterns' additions (Bucket, Key, Queue, Topic, LogGroup) ----

/// KMS use by a writer of data that S3, SQS or SNS encrypts with a customer key on its behalf
/// (through `kms:ViaService`): a data key, and `kms:Decrypt` (S3 multipart uploads and SQS
/// data-key reuse need it).
pub const KMS_VIA_SERVICE_WRITE: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey"];
/// KMS use by a reader of data that S3 or SQS decrypts on its behalf.
pub const KMS_VIA_SERVICE_READ: &[&str] = &["kms:Decrypt"];
/// What a service principal that writes encrypted messages (CloudWatch alarms into an
/// encrypted topic, SNS or EventBridge into an encrypted queue) needs in the key policy.
pub const KMS_SERVICE_PRINCIPAL: &[&str] = &["kms:Decrypt", "kms:GenerateDataKey*"];
/// What CloudWatch Logs needs in the key policy of a key that encrypts log groups (the AWS
/// documented statement).
pub const KMS_LOGS: &[&str] = &[
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
];
/// SNS publishing from CloudWatch alarms (the topic policy of an alarm topic).
pub const SNS_ALARM_PUBLISH: &[&str] = &["sns:Publish"];
/// SNS delivery into a subscribed queue (the queue policy).
pub const SQS_SNS_DELIVERY: &[&str] = &["sqs:SendMessage"];

/// An `Allow` statement for `actions` on `resources`, without a `Sid`.
///
/// IAM requires a statement's `Sid` to be unique within a policy, and one grantee's policy
/// collects the statements of every resource granted to it, from any stack (two stacks may
/// both have a `DataBucket`), so the resource patterns' grants leave `Sid` out.
pub fn allow_unnamed(actions: &[&str], resources: Vec<Val<String>>) -> Statement {
    Statement::allow()
        .actions(actions.iter().copied())
        .resources(resources)
}

/// The statement a grantee needs on a customer key to use data that `service` (`s3`, `sqs`,
/// `sns`) encrypts or decrypts with it on the grantee's behalf: `actions` on the key, only
/// through that service (`kms:ViaService`, in the key's own region), so the grant does not
/// let the role call KMS directly. No `Sid` (see [`allow_unnamed`]); identical statements from
/// several grants on one key are added once.
pub fn key_via_service(key_arn: &Val<String>, service: &str, actions: &[&str]) -> Statement {
    allow_unnamed(actions, vec![key_arn.clone()]).condition(
        "StringEquals",
        "kms:ViaService",
        crate::key::via_service(service, key_arn),
    )
}
