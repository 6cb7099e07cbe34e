//! The stable diagnostic codes of the patterns (`SFMxxx`), all in one place; the modules that
//! emit them re-export theirs. [`crate::catalogue::PATTERNS`] describes each one (cause and
//! fix) for `docs/errors.md`.
//!
//! Tests match these codes, never message text. A code is never reused for another meaning
//! (`stackforge::catalogue::RETIRED` lists the retired numbers).

use stackforge::Code;

/// `SFM001`: a Fargate task's CPU/memory pair is not one Fargate offers.
pub const INVALID_FARGATE_SIZE: Code = Code::new("SFM001");
/// `SFM002`: a load-balanced service has no (or a malformed) health-check path.
pub const MISSING_HEALTH_CHECK_PATH: Code = Code::new("SFM002");
/// `SFM003`: the target group's port differs from the container port, or a port is 0.
pub const PORT_MISMATCH: Code = Code::new("SFM003");
/// `SFM004`: a secret is passed as a plain environment value (a `{{resolve:secretsmanager…}}`
/// or `{{resolve:ssm-secure…}}` reference, or a literal value under a secret-looking name).
pub const SECRET_IN_ENVIRONMENT: Code = Code::new("SFM004");
/// `SFM005`: a CIDR is malformed or not allowed: a VPC or subnet CIDR, overlapping subnets, a
/// subnet outside the VPC (or a VPC too small for the subnets asked for), a VPC outside the
/// private ranges, an instance's admin CIDR.
pub const INVALID_CIDR: Code = Code::new("SFM005");
/// `SFM006`: the database engine version is unknown or deprecated.
pub const UNKNOWN_ENGINE_VERSION: Code = Code::new("SFM006");
/// `SFM007`: a capacity is inconsistent: a desired count outside the autoscaling min..=max,
/// min above max, an Auto Scaling group's sizes or a capacity provider's target capacity.
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

// ---- Serverless and worker building blocks, metrics and alarms (SFM040–SFM059) ----

/// `SFM040`: a code asset cannot be packaged (missing, empty, unreadable, a symlinked
/// directory, a name that is not UTF-8, over Lambda's 250 MB unzipped limit), or a function
/// has no code.
pub const INVALID_CODE_ASSET: Code = Code::new("SFM040");
/// `SFM041`: a function setting is out of range (memory 128–10,240 MiB, timeout 1–900 s,
/// reserved concurrency, an empty handler) or conflicts with another (a dead-letter queue and
/// an on-failure destination).
pub const INVALID_FUNCTION: Code = Code::new("SFM041");
/// `SFM042`: an HTTP API route key is malformed (`METHOD /path` or `$default`), used twice,
/// or the stage's throttling is out of range.
pub const INVALID_ROUTE: Code = Code::new("SFM042");
/// Schedules and alarm periods: the patterns report the core's codes for the same mistakes
/// (`SF034` a malformed schedule expression, `SF035` an alarm period or evaluation periods out
/// of range), so one mistake has one code whether a pattern or a typed resource made it.
/// `SFM043` and `SFM044` are retired.
pub use stackforge::diag::codes::{INVALID_ALARM, INVALID_SCHEDULE};
/// `SFM045`: a metric dimension holds the wrong attribute of the right resource, so the alarm
/// would watch a series that never exists and never fire: a load balancer's `Ref` (its ARN)
/// where CloudWatch wants `LoadBalancerFullName`, a queue's URL where it wants `QueueName`, an
/// ECS service's ARN where it wants its name, a function's ARN where it wants its name.
pub const WRONG_METRIC_DIMENSION: Code = Code::new("SFM045");
/// `SFM046`: an alarm's statistic does not suit its metric (a count metric must use `Sum`), or
/// it has no action.
pub const INVALID_ALARM_SETUP: Code = Code::new("SFM046");
/// `SFM047`: step-scaling steps are empty, overlap, or change nothing.
pub const INVALID_SCALING_STEPS: Code = Code::new("SFM047");
/// `SFM048`: an EventBridge rule has no target, more than five, or an event pattern that is
/// not a JSON object.
pub const INVALID_EVENT_RULE: Code = Code::new("SFM048");

// ---- Patterns added in the first wave's later work (SFM101–SFM108) ----

/// `SFM101`: the repository name or the lifecycle count is invalid.
pub const INVALID_REPOSITORY: Code = Code::new("SFM101");
/// `SFM102`: an image reference is malformed (not `registry/repository[:tag|@sha256:digest]`),
/// or an image requirement names a repository without a literal name or a bad tag.
pub const INVALID_IMAGE_REFERENCE: Code = Code::new("SFM102");
/// `SFM103`: the node type is not an ElastiCache node type.
pub const INVALID_NODE_TYPE: Code = Code::new("SFM103");
/// `SFM104`: the node count or port is out of range.
pub const INVALID_CACHE_SIZE: Code = Code::new("SFM104");
/// `SFM105`: an index key names an attribute that is not declared.
pub const UNDECLARED_KEY: Code = Code::new("SFM105");
/// `SFM106`: an attribute is declared twice with different types, or an index name repeats.
pub const CONFLICTING_ATTRIBUTE: Code = Code::new("SFM106");
/// `SFM107`: no public SSM AMI parameter is known for the operating system.
pub const UNKNOWN_OS: Code = Code::new("SFM107");
/// `SFM108`: SSH/RDP open to the world without the explicit allowance.
pub const WORLD_OPEN_ADMIN: Code = Code::new("SFM108");
