//! The cloud assembly: the directory `synth` writes and every other tool reads.
//!
//! ```text
//! out/
//!   manifest.json             what is in the assembly (written last; schema below)
//!   <stack>.template.json     one template per stack, pretty JSON
//!   assets/<sha256>.zip       file assets (issue 11), published by deploy
//!   outputs.json              stack outputs, written by deploy (never deleted by synth)
//!   .stackforge.lock          the lock that keeps the set consistent
//! ```
//!
//! [`Assembly::write`](crate::Assembly::write) takes an exclusive lock on `.stackforge.lock`,
//! writes the templates, then `manifest.json` with each template's sha256, and deletes
//! templates the new manifest does not list. [`CloudAssembly::read`] takes a shared lock,
//! refuses an unknown major version and checks every hash, so a reader never sees a
//! manifest from one synth beside templates from another.
//!
//! The manifest's JSON Schema is `docs/manifest.schema.json`; `docs/deploying.md`
//! describes every field.

mod artifact;
mod manifest;
mod read;
mod select;
mod write;

/// Kept at its old path: the stack policy is a setting of a stack ([`crate::stack`]).
pub use crate::stack::StackPolicy;
pub use artifact::{Assembly, EnvironmentArtifact, StackArtifact};
pub use manifest::{Asset, AssetKind, Manifest, RequirementEntry, StackEntry, MANIFEST_VERSION};
pub use read::{AssemblyError, CloudAssembly, LoadedStack, MAX_MANIFEST_FILE};
pub use select::{select, SelectError, StackKey};
pub use write::{write_atomic, write_file_locked, LOCK_FILE, MANIFEST_FILE};

use sha2::{Digest, Sha256};

/// The stable codes of assembly, template and stack-selection errors (`SFA…`). Tests match
/// on these, never on message text.
pub use crate::diag::assembly_codes as codes;

/// CloudFormation accepts at most this many notification ARNs per stack.
pub const MAX_NOTIFICATION_ARNS: usize = 5;

/// Lowercase hex of the sha256 of `bytes`.
/// The bytes of a file asset, shared (cheap to clone with the assembly).
#[derive(Clone, PartialEq, Eq)]
pub struct AssetBytes(std::sync::Arc<[u8]>);

impl AssetBytes {
    /// Wraps the bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        AssetBytes(bytes.into())
    }
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for AssetBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AssetBytes({} bytes)", self.0.len())
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest.iter() {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Checks one notification ARN (`existing` are already set): `Err((message, help))`.
pub(crate) fn check_notification_arn(arn: &str, existing: usize) -> Result<(), (String, String)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty();
    if !ok {
        return Err((
            format!("notification ARN `{arn}` is not an SNS topic ARN"),
            "use `arn:aws:sns:<region>:<account>:<topic>`".to_owned(),
        ));
    }
    if existing >= MAX_NOTIFICATION_ARNS {
        return Err((
            format!("more than {MAX_NOTIFICATION_ARNS} notification ARNs"),
            "CloudFormation accepts at most 5 per stack; send the events to one topic and fan out from it".to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_the_empty_string_and_of_abc() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn notification_arns_must_be_sns_topics_and_at_most_five() {
        assert!(check_notification_arn("arn:aws:sns:us-east-1:123456789012:alerts", 0).is_ok());
        assert!(check_notification_arn("arn:aws:sqs:us-east-1:123456789012:q", 0).is_err());
        assert!(check_notification_arn("alerts", 0).is_err());
        assert!(check_notification_arn("arn:aws:sns:us-east-1:123456789012:alerts", 5).is_err());
    }
}
