//! Diagnostics: every problem found while building or synthesizing an app, with a stable
//! code, the path (stack / logical ID / property), and how to fix it.
//!
//! Building never fails halfway: the core, the generated validators and the patterns all
//! push into one collector, and [`crate::App::synth`] / `validate` report everything at once.

use std::fmt;

/// A stable diagnostic code such as `SF002`. Core codes start with `SF0`, validation of
/// generated types with `SF1`, patterns (`stackforge-modules`) with `SFM`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code(&'static str);

impl Code {
    /// A code for a library built on stackforge (patterns use `SFM…`).
    pub const fn new(code: &'static str) -> Self {
        Code(code)
    }
    /// The code as text.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}
impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The `SFA…` codes (assembly, template and stack selection), public as
/// [`crate::assembly::codes`].
pub mod assembly_codes;

/// The codes the core emits. Tests match on these, never on message text.
pub mod codes {
    use super::Code;
    /// A stack name is not letters, digits and hyphens starting with a letter, ≤ 128 chars.
    pub const INVALID_STACK_NAME: Code = Code("SF001");
    /// Two resources (or outputs, parameters, …) of one stack share a logical ID.
    pub const DUPLICATE_LOGICAL_ID: Code = Code("SF002");
    /// A logical ID is empty, not alphanumeric, or longer than 255 characters.
    pub const INVALID_LOGICAL_ID: Code = Code("SF003");
    /// Resources of one stack reference each other in a cycle.
    pub const RESOURCE_CYCLE: Code = Code("SF004");
    /// Stacks of one app reference each other in a cycle.
    pub const STACK_CYCLE: Code = Code("SF005");
    /// A handle, parameter or condition from another `App` was used.
    pub const FOREIGN_APP: Code = Code("SF006");
    /// More than 500 resources in one stack.
    pub const TOO_MANY_RESOURCES: Code = Code("SF007");
    /// More than 200 parameters in one stack.
    pub const TOO_MANY_PARAMETERS: Code = Code("SF008");
    /// More than 200 outputs in one stack (including generated exports).
    pub const TOO_MANY_OUTPUTS: Code = Code("SF009");
    /// More than 200 mappings in one stack.
    pub const TOO_MANY_MAPPINGS: Code = Code("SF010");
    /// The minified template exceeds 1 MB, the hard CloudFormation limit.
    pub const TEMPLATE_TOO_LARGE: Code = Code("SF011");
    /// The minified template exceeds 51,200 bytes: deploy must upload it to S3 (warning).
    pub const TEMPLATE_NEEDS_S3: Code = Code("SF012");
    /// A handle, parameter, condition or mapping of another stack was used where only the
    /// same stack is allowed (options, DependsOn, conditions, mappings, parameters).
    pub const WRONG_STACK: Code = Code("SF013");
    /// A stack has no resources; CloudFormation requires at least one.
    pub const EMPTY_STACK: Code = Code("SF014");
    /// A parameter definition is inconsistent (default not allowed, min above max, …).
    pub const INVALID_PARAMETER: Code = Code("SF015");
    /// A raw override has an empty path, crosses a value that is neither an object nor a
    /// list, or names a list index that is not a number or is out of range.
    pub const INVALID_OVERRIDE: Code = Code("SF016");
    /// An account or region pin is malformed.
    pub const INVALID_ENVIRONMENT: Code = Code("SF017");
    /// An export name is invalid or used twice in one app.
    pub const INVALID_EXPORT: Code = Code("SF018");
    /// A template rule is empty or references something other than parameters.
    pub const INVALID_RULE: Code = Code("SF019");
    /// A stack references a stack of another environment (another account or region).
    pub const CROSS_ENVIRONMENT: Code = Code("SF020");
    /// A value a pattern must check at synth cannot be enumerated (a resource attribute, a
    /// parameter without `AllowedValues`).
    pub const VALUE_NOT_CHECKABLE: Code = Code("SF021");
    /// An IAM policy statement is malformed (an action that is not `service:Action`).
    pub const INVALID_POLICY: Code = Code("SF022");
    /// A value nests deeper than [`crate::depth::MAX_DEPTH`] levels.
    pub const VALUE_TOO_DEEP: Code = Code("SF023");
    /// A number is NaN or infinite: JSON cannot hold it (it would be written as `null`).
    pub const NON_FINITE_NUMBER: Code = Code("SF024");
    /// An output is invalid: a value that is not a string, a dynamic reference to a secret,
    /// a description over 1,024 bytes.
    pub const INVALID_OUTPUT: Code = Code("SF025");
    /// A mapping is not `{top key: {second key: value}}` with valid keys and values, or has
    /// more than 200 entries at a level.
    pub const INVALID_MAPPING: Code = Code("SF026");
    /// A condition uses a resource or an import, or `Fn::And`/`Fn::Or` has other than 2 to
    /// 10 conditions.
    pub const INVALID_CONDITION: Code = Code("SF027");
    /// The template description is longer than 1,024 bytes.
    pub const DESCRIPTION_TOO_LONG: Code = Code("SF028");
    /// A stack tag is invalid (more than 50, an `aws:` key, a bad length or character).
    pub const INVALID_STACK_TAG: Code = Code("SF029");
    /// A resource type is not in the registry (`AWS::S3::Buckt`), is from a service that
    /// has shut down, or is not a type name at all.
    pub const UNKNOWN_RESOURCE_TYPE: Code = Code("SF030");
    /// An override changes a secure setting a pattern protects, without a reason (warning).
    pub const WEAKENED_SETTING: Code = Code("SF031");
    /// A literal secret (a key, a token, a password under a secret name) is in a template.
    pub const SECRET_IN_TEMPLATE: Code = Code("SF032");
    /// `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If` or `Fn::FindInMap` names something the
    /// stack does not define (a resource of another stack hidden in a JSON value).
    pub const UNKNOWN_REFERENCE: Code = Code("SF033");
    /// A schedule expression is not `rate(…)`/`cron(…)` as EventBridge reads them.
    pub const INVALID_SCHEDULE: Code = Code("SF034");
    /// A CloudWatch alarm has an invalid period, or not exactly one metric.
    pub const INVALID_ALARM: Code = Code("SF035");
    /// A security-group rule's ports do not fit its protocol (outside 0-65535, from > to).
    pub const INVALID_PORT_RANGE: Code = Code("SF036");
    /// A resource's properties contradict each other or a rule of the service that the schema
    /// does not express (billing mode and throughput, monitoring and its role, …).
    pub const CONFLICTING_PROPERTIES: Code = Code("SF037");
    /// `RetainExceptOnCreate` given as an `UpdateReplacePolicy` (it is a deletion policy only).
    pub const INVALID_POLICY_ATTRIBUTE: Code = Code("SF038");
    /// A suppression ([`crate::Scope::suppress`]) without a reason, without a rule, or with a
    /// malformed rule name.
    pub const INVALID_SUPPRESSION: Code = Code("SF039");
    /// A string is shorter than `minLength` or longer than `maxLength` (in characters).
    pub const STRING_LENGTH: Code = Code("SF101");
    /// A number is outside `minimum`..=`maximum`.
    pub const NUMBER_RANGE: Code = Code("SF102");
    /// A string does not match the schema's `pattern`.
    pub const PATTERN_MISMATCH: Code = Code("SF103");
    /// A list has fewer than `minItems` or more than `maxItems` items.
    pub const ITEM_COUNT: Code = Code("SF104");
    /// A string is not one of the schema's allowed values.
    pub const NOT_ALLOWED_VALUE: Code = Code("SF105");
    /// A literal does not have the syntax of the schema's `format` (a CIDR, an ID, an ARN,
    /// a date-time, JSON, …).
    pub const FORMAT_MISMATCH: Code = Code("SF106");
}

/// How bad a diagnostic is. Errors stop synth; warnings are reported.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    /// Synth refuses to write templates.
    Error,
    /// Reported; templates are written.
    Warning,
}

/// Where a problem is: stack, logical ID, property path. Any part may be absent.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct DiagPath {
    /// The stack's name.
    pub stack: Option<String>,
    /// The logical ID of the resource (or parameter, output, …).
    pub logical_id: Option<String>,
    /// The property path inside it, e.g. `Properties.Tags[0].Key`.
    pub property: Option<String>,
}

impl fmt::Display for DiagPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [&self.stack, &self.logical_id, &self.property]
            .into_iter()
            .filter_map(|p| p.as_deref())
            .collect();
        if parts.is_empty() {
            f.write_str("<app>")
        } else {
            f.write_str(&parts.join("/"))
        }
    }
}

/// One problem, with its code, path, message and fix.
///
/// Displayed as one line that names the stack, the resource, the property and the fix
/// (`error[SF103] web/Bucket/Properties.BucketName: … does not match …; fix: …`); a message
/// with more lines (a cycle's edges) continues below it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub path: DiagPath,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let (first, rest) = self
            .message
            .split_once('\n')
            .unwrap_or((self.message.as_str(), ""));
        write!(f, "{word}[{}] {}: {first}", self.code, self.path)?;
        if !self.help.is_empty() {
            write!(f, "; fix: {}", self.help)?;
        }
        if !rest.is_empty() {
            write!(f, "\n{rest}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

impl Diagnostic {
    /// An error.
    pub fn error(
        code: Code,
        path: DiagPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            path,
            message: message.into(),
            help: help.into(),
        }
    }
    /// A warning.
    pub fn warning(
        code: Code,
        path: DiagPath,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, path, message, help)
        }
    }
    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Why synth failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// The app has errors; every one of them is listed.
    #[error("{} error(s):\n{}", .0.iter().filter(|d| d.is_error()).count(), render(.0))]
    Invalid(Vec<Diagnostic>),
    /// Writing the output failed. Nothing half-written is left behind.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl SynthError {
    /// The diagnostics, for [`SynthError::Invalid`].
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            SynthError::Invalid(d) => d,
            SynthError::Io { .. } => &[],
        }
    }
    /// The distinct codes of all errors, sorted, for tests.
    pub fn codes(&self) -> Vec<Code> {
        let mut c: Vec<Code> = self
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code)
            .collect();
        c.sort();
        c.dedup();
        c
    }
}

fn render(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
