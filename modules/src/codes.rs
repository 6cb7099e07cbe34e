//! The stable diagnostic codes of the network, database and Fargate patterns (`SFM0xx`).
//!
//! Tests match these codes, never message text. A code is never reused for another meaning.

use stackforge::Code;

/// `SFM001`: a Fargate task's CPU/memory pair is not one Fargate offers.
pub const INVALID_FARGATE_SIZE: Code = Code::new("SFM001");
/// `SFM002`: a load-balanced service has no (or a malformed) health-check path.
pub const MISSING_HEALTH_CHECK_PATH: Code = Code::new("SFM002");
/// `SFM003`: the target group's port differs from the container port (or a port is 0).
pub const PORT_MISMATCH: Code = Code::new("SFM003");
/// `SFM004`: a secret is passed as a plain environment value (a `{{resolve:secretsmanager…}}`
/// or `{{resolve:ssm-secure…}}` reference, or a literal value under a secret-looking name).
pub const SECRET_IN_ENVIRONMENT: Code = Code::new("SFM004");
/// `SFM005`: a VPC or subnet CIDR is malformed, subnets overlap, or a subnet is outside the
/// VPC (or the VPC is too small for the subnets asked for).
pub const INVALID_CIDR: Code = Code::new("SFM005");
/// `SFM006`: the database engine version is unknown or deprecated.
pub const UNKNOWN_ENGINE_VERSION: Code = Code::new("SFM006");
/// `SFM007`: the desired count is outside the autoscaling min..=max (or min > max).
pub const INVALID_CAPACITY: Code = Code::new("SFM007");
/// `SFM008`: a network shape is invalid (AZ count out of range, no subnets of a kind, …).
pub const INVALID_NETWORK: Code = Code::new("SFM008");
/// `SFM009`: a container or environment variable definition is invalid (empty image or
/// name, duplicate variable, an empty command).
pub const INVALID_CONTAINER: Code = Code::new("SFM009");
/// `SFM010`: a database setting is out of range (storage, backup days, names).
pub const INVALID_DATABASE: Code = Code::new("SFM010");
/// `SFM011`: an imported resource's name, ARN or ID is malformed.
pub const INVALID_IMPORT: Code = Code::new("SFM011");
/// `SFM012`: a scaling target percentage is outside 1..=100.
pub const INVALID_SCALING_TARGET: Code = Code::new("SFM012");
/// `SFM013`: an HTTPS listener policy allows TLS older than 1.2 (or is unknown).
pub const WEAK_TLS_POLICY: Code = Code::new("SFM013");

// ---- The resource patterns (Bucket, Key, Queue, Topic, LogGroup) ----

/// `SFM014`: a bucket that receives load balancer access logs is encrypted with a KMS key
/// (ALB access logs support SSE-S3 only).
pub const LOG_TARGET_KMS_KEY: Code = Code::new("SFM014");
/// `SFM015`: a bucket setting is invalid (lifecycle days, a log prefix, a region code).
pub const INVALID_BUCKET: Code = Code::new("SFM015");
/// `SFM016`: a key setting is invalid (deletion window, rotation period, alias, a `Snapshot`
/// removal policy).
pub const INVALID_KEY: Code = Code::new("SFM016");
/// `SFM017`: a queue setting is invalid (retention, visibility timeout, a name without or
/// with a stray `.fifo`, a dead-letter queue that keeps messages for less time than its
/// source).
pub const INVALID_QUEUE: Code = Code::new("SFM017");
/// `SFM018`: a dead-letter queue's `maxReceiveCount` is outside 1..=1000.
pub const INVALID_MAX_RECEIVE_COUNT: Code = Code::new("SFM018");
/// `SFM019`: a [`crate::key::Key`] given to a pattern does not name, in its key policy, the
/// service that must use it (CloudWatch for an alarm topic, Logs for a log group, SNS for a
/// queue a topic delivers to).
pub const KEY_MISSING_SERVICE: Code = Code::new("SFM019");
/// `SFM020`: a log group retention is not one CloudWatch Logs accepts.
pub const INVALID_LOG_RETENTION: Code = Code::new("SFM020");
/// `SFM021`: a subscription is invalid (an email address without `@`, a queue whose policy
/// does not let the topic send).
pub const INVALID_SUBSCRIPTION: Code = Code::new("SFM021");
/// `SFM022`: a removal policy the resource type does not support (`Snapshot` on a bucket,
/// key, queue or log group).
pub const UNSUPPORTED_REMOVAL_POLICY: Code = Code::new("SFM022");
