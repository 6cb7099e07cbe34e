//! How the engine behaves: every default is written here once. The CLI maps its flags onto
//! [`Options`] and leaves unset ones at these defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How a template is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Create a change set, review it, execute it (the default).
    #[default]
    ChangeSet,
    /// `CreateStack` / `UpdateStack`, reviewed against the local diff.
    Direct,
}

/// When deploy asks before it changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Never ask.
    Never,
    /// Ask when IAM statements or security-group rules widen, or a stateful resource is
    /// replaced or deleted (the default).
    #[default]
    Broadening,
    /// Ask for any change.
    AnyChange,
}

/// The default time to wait for one stack: one hour.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);
/// The default time between polls of a stack's status and events.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The default first wait after a throttled call (it doubles, up to 30 s).
pub const DEFAULT_THROTTLE_BACKOFF: Duration = Duration::from_secs(1);
/// Attempts of one call while it is throttled.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The engine's options. `Options::default()` is what the CLI does without flags.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Change set or direct.
    pub method: Method,
    /// When to ask.
    pub approval: Approval,
    /// Approve everything that would be asked (`--yes`).
    pub yes: bool,
    /// How long to wait for one stack before giving up (CloudFormation keeps going).
    pub timeout: Duration,
    /// Time between polls.
    pub poll_interval: Duration,
    /// First wait after a throttled call.
    pub throttle_backoff: Duration,
    /// Attempts of one call while throttled.
    pub max_attempts: u32,
    /// Template parameters `(key, value)`; values are never printed.
    pub parameters: Vec<(String, String)>,
    /// Tags for every stack, on top of (and overriding) the manifest's.
    pub tags: BTreeMap<String, String>,
    /// The CloudFormation service role.
    pub role_arn: Option<String>,
    /// The bucket for templates over 51,200 bytes instead of the staging bucket.
    pub bucket: Option<String>,
    /// Overrides the manifest's termination protection for every stack.
    pub termination_protection: Option<bool>,
    /// Listen for Ctrl-C while waiting (a terminal): offers CancelUpdateStack.
    pub handle_ctrl_c: bool,
    /// Where `outputs.json` goes (`None`: not written).
    pub outputs_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            method: Method::default(),
            approval: Approval::default(),
            yes: false,
            timeout: DEFAULT_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            throttle_backoff: DEFAULT_THROTTLE_BACKOFF,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            parameters: Vec::new(),
            tags: BTreeMap::new(),
            role_arn: None,
            bucket: None,
            termination_protection: None,
            handle_ctrl_c: false,
            outputs_dir: None,
        }
    }
}

impl Options {
    /// Options for tests and scripts: no waiting between polls or after throttling.
    pub fn immediate() -> Self {
        Options {
            poll_interval: Duration::ZERO,
            throttle_backoff: Duration::ZERO,
            ..Options::default()
        }
    }
}

/// A malformed `Key=Value` argument ([`parse_parameters`], [`parse_tags`]); its code is
/// [`super::codes::USAGE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArgumentError {
    /// A parameter argument without `=` or without a key. Named by position only: it may be
    /// a secret typed without its key.
    #[error("--parameters #{position}: expected Key=Value")]
    Parameter {
        /// Its position among the parameter arguments, from 1.
        position: usize,
    },
    /// A tag argument without `=` or without a key.
    #[error("--tag `{argument}`: expected Key=Value")]
    Tag {
        /// The argument as given.
        argument: String,
    },
}

impl ArgumentError {
    /// The code: [`super::codes::USAGE`].
    pub fn code(&self) -> crate::diag::Code {
        super::codes::USAGE
    }
}

/// Parses `Key=Value` parameter arguments. The error names the argument by position only:
/// it may be a secret typed without its key.
pub fn parse_parameters(raw: &[String]) -> Result<Vec<(String, String)>, ArgumentError> {
    raw.iter()
        .enumerate()
        .map(|(i, p)| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(ArgumentError::Parameter { position: i + 1 }),
        })
        .collect()
}

/// Parses `Key=Value` tag arguments.
pub fn parse_tags(raw: &[String]) -> Result<BTreeMap<String, String>, ArgumentError> {
    raw.iter()
        .map(|t| match t.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => Err(ArgumentError::Tag {
                argument: t.clone(),
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_and_a_malformed_one_is_not_echoed() {
        let ok = parse_parameters(&["Env=prod".into(), "Empty=".into(), "Url=a=b".into()]);
        assert_eq!(
            ok.expect("valid"),
            [
                ("Env".to_owned(), "prod".to_owned()),
                ("Empty".to_owned(), String::new()),
                ("Url".to_owned(), "a=b".to_owned())
            ]
        );
        let e = parse_parameters(&["Env=dev".into(), "hunter2".into()]).expect_err("no key");
        assert_eq!(e, ArgumentError::Parameter { position: 2 });
        let e = e.to_string();
        assert!(!e.contains("hunter2") && e.contains("#2"), "{e}");
    }

    #[test]
    fn tags_parse() {
        let t = parse_tags(&["team=web".into(), "cost=1".into()]).expect("valid");
        assert_eq!(t["team"], "web");
        let e = parse_tags(&["=x".into()]).expect_err("no key");
        assert_eq!(e.code().as_str(), "SFD002");
        assert_eq!(e.to_string(), "--tag `=x`: expected Key=Value");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let o = Options::default();
        assert_eq!(o.timeout.as_secs(), 3600);
        assert_eq!(o.method, Method::ChangeSet);
        assert_eq!(o.approval, Approval::Broadening);
        assert!(!o.yes);
    }
}
