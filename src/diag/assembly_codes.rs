//! The stable codes of assembly, template and stack-selection errors (`SFA…`). Tests match
//! on these, never on message text. Defined beside the diagnostics so every layer (templates,
//! the assembly, diff, the catalogue) can name them; the public path is
//! [`crate::assembly::codes`].

use super::Code;

/// A file or directory the command needs does not exist.
pub const NOT_FOUND: Code = Code::new("SFA001");
/// A file exists but cannot be read (permissions, I/O error).
pub const UNREADABLE: Code = Code::new("SFA002");
/// A directory, FIFO, socket or device where a regular file is expected.
pub const NOT_A_FILE: Code = Code::new("SFA003");
/// A file over the size limit.
pub const TOO_LARGE: Code = Code::new("SFA004");
/// Not valid JSON or YAML.
pub const SYNTAX: Code = Code::new("SFA005");
/// Valid JSON or YAML, but not a CloudFormation template.
pub const NOT_A_TEMPLATE: Code = Code::new("SFA006");
/// A YAML template, and this build has no `yaml` feature.
pub const YAML_UNSUPPORTED: Code = Code::new("SFA007");
/// A YAML alias (`*name`): rejected, CloudFormation does not support them.
pub const YAML_ALIAS: Code = Code::new("SFA008");
/// A YAML tag that is not a CloudFormation short form.
pub const YAML_TAG: Code = Code::new("SFA009");
/// The manifest's major version is not one this build reads.
pub const MANIFEST_VERSION: Code = Code::new("SFA010");
/// A template's sha256 differs from the manifest's.
pub const HASH_MISMATCH: Code = Code::new("SFA011");
/// The manifest does not match its schema.
pub const MANIFEST_INVALID: Code = Code::new("SFA012");
/// The assembly's lock could not be taken.
pub const LOCK: Code = Code::new("SFA013");
/// A directory without `manifest.json`.
pub const NOT_AN_ASSEMBLY: Code = Code::new("SFA014");
/// A key appears twice in one mapping.
pub const DUPLICATE_KEY: Code = Code::new("SFA015");
/// Nesting deeper than the reader's limit.
pub const TOO_DEEP: Code = Code::new("SFA016");
/// `--stack` names a stack the assembly does not have.
pub const UNKNOWN_STACK: Code = Code::new("SFA017");
/// `--stack` matches several stacks of different environments.
pub const AMBIGUOUS_STACK: Code = Code::new("SFA018");
/// A `--stack` glob pattern is malformed.
pub const BAD_PATTERN: Code = Code::new("SFA019");
/// A per-stack deploy setting is invalid (notification ARN, stack policy).
pub const INVALID_STACK_SETTING: Code = Code::new("SFA020");
/// `diff --against FILE` names one template, and not exactly one stack is selected.
pub const ONE_TEMPLATE: Code = Code::new("SFA021");
