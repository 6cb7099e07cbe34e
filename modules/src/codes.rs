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
