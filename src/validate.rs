//! Checks literal values against the rules generated from the resource schemas, and
//! template parameters against CloudFormation's rules for them.
//!
//! Intrinsics are not checked (their value is known only at deploy time), and neither are
//! dynamic references (`{{resolve:…}}`), which CloudFormation replaces before it validates.
//! Semantics follow JSON Schema: `pattern` is a search (unanchored unless the pattern
//! anchors itself) with ECMAScript's meaning ([`ecma_to_rust`]), lengths count characters
//! (code points), not bytes.
//!
//! Entry points: [`check_props`] (a typed resource's properties), [`check_override`] (a
//! raw override of a typed resource) and [`check_parameter`] (a template parameter); synth
//! runs all three. Non-finite numbers and too-deep values are the lint pass's (`SF024`,
//! `SF023`), wherever they are.

mod ecma;
mod format;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use fancy_regex::{Regex, RegexBuilder};

use crate::diag::{codes, Code, DiagPath, Diagnostic};
use crate::resource::{Pattern, Rule, Shape};
use crate::value::Expr;

/// The compiled-size limit for schema patterns (the default of 10 MiB rejects a few large
/// alternations in the schemas). The generator checks patterns with the same limit.
pub const PATTERN_SIZE_LIMIT: usize = 64 << 20;

/// How many backtracking steps a pattern with look-around or back-references may take on
/// one value before the check gives up (and reports nothing): values are short, so only a
/// pathological pattern comes near.
const BACKTRACK_LIMIT: usize = 1_000_000;

/// An ECMAScript pattern the checks cannot use: it has no equivalent in the engine (see
/// [`ecma_to_rust`]), or it does not compile. Synth reports an `AllowedPattern` like this as
/// `SF015`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(String);

impl PatternError {
    /// The code synth reports for a parameter's `AllowedPattern` that fails like this
    /// ([`codes::INVALID_PARAMETER`]).
    pub fn code(&self) -> Code {
        codes::INVALID_PARAMETER
    }
}

/// Rewrites an ECMAScript (JSON Schema) pattern into the syntax of the engine the checks
/// use, keeping ECMAScript's meaning: `\d` and `\w` ASCII, `\s` ECMAScript's white space
/// (U+FEFF yes, U+0085 no), `.` without line terminators, UTF-16 surrogate escapes as
/// code points. `Err` says what cannot be expressed.
pub fn ecma_to_rust(pattern: &str) -> Result<String, PatternError> {
    ecma::translate(pattern).map_err(PatternError)
}

/// Compiles an ECMAScript pattern as the checks do; `Err` says why it cannot be.
pub fn compile_pattern(pattern: &str) -> Result<Regex, PatternError> {
    let translated = ecma_to_rust(pattern)?;
    RegexBuilder::new(&translated)
        .delegate_size_limit(PATTERN_SIZE_LIMIT)
        .backtrack_limit(BACKTRACK_LIMIT)
        .build()
        .map_err(|e| PatternError(e.to_string()))
}

/// Checks a resource's `Properties` against its shape, pushing one diagnostic per problem:
/// the schema's rules where literals are given.
pub fn check_props(props: &Expr, shape: &Shape, base: &DiagPath, out: &mut Vec<Diagnostic>) {
    let mut path = String::from("Properties");
    check_object(props, shape, &mut path, base, out);
}

/// Checks the value of a raw override of a typed resource (`path` is below `Properties`,
/// list items by index, as for `Scope::override_property`) against the rule the schema has
/// for that place. Places the shape does not constrain (or does
/// not know) are not checked.
pub fn check_override(
    shape: &'static Shape,
    path: &[String],
    value: &Expr,
    base: &DiagPath,
    diags: &mut Vec<Diagnostic>,
) {
    let mut at = String::from("Properties");
    for k in path {
        if k.parse::<usize>().is_ok() {
            at.push_str(&format!("[{k}]"));
        } else {
            at.push('.');
            at.push_str(k);
        }
    }
    let mut shape = Some(shape);
    let mut rule: Option<&'static Rule> = None;
    for k in path {
        rule = match (rule, shape) {
            // Into a list: the item rule.
            (Some(r), _) if k.parse::<usize>().is_ok() => r.items,
            // Into an object: the field's rule.
            (Some(r), _) => r.shape.and_then(|s| s.rule(k)),
            (None, Some(s)) => s.rule(k),
            (None, None) => None,
        };
        shape = None;
        if rule.is_none() {
            return;
        }
    }
    if let Some(r) = rule {
        let mut p = at;
        check(value, r, &mut p, base, diags);
    } else if let Some(s) = shape {
        let mut p = at;
        check_object(value, s, &mut p, base, diags);
    }
}

fn check_object(
    e: &Expr,
    shape: &Shape,
    path: &mut String,
    base: &DiagPath,
    out: &mut Vec<Diagnostic>,
) {
    let Expr::Map(m) = e else { return };
    for (k, v) in m {
        if let Some(rule) = shape.rule(k) {
            let len = path.len();
            path.push('.');
            path.push_str(k);
            check(v, rule, path, base, out);
            path.truncate(len);
        }
    }
}

fn diag(base: &DiagPath, path: &str, code: Code, msg: String, help: String) -> Diagnostic {
    Diagnostic::error(
        code,
        DiagPath {
            property: Some(path.to_owned()),
            ..base.clone()
        },
        msg,
        help,
    )
}

fn check(e: &Expr, rule: &Rule, path: &mut String, base: &DiagPath, out: &mut Vec<Diagnostic>) {
    match e {
        Expr::Str(s) => check_str(s, rule, path, base, out),
        Expr::Json(serde_json::Value::String(s)) => check_str(s, rule, path, base, out),
        Expr::Int(n) => check_num(*n as f64, true, rule, path, base, out),
        Expr::Num(n) => check_num(*n, false, rule, path, base, out),
        Expr::List(items) => {
            let n = items.len() as u32;
            if let Some(min) = rule.min_items {
                if n < min {
                    out.push(diag(
                        base,
                        path,
                        codes::ITEM_COUNT,
                        format!("{n} item(s), at least {min} required"),
                        format!("give at least {min}"),
                    ));
                }
            }
            if let Some(max) = rule.max_items {
                if n > max {
                    out.push(diag(
                        base,
                        path,
                        codes::ITEM_COUNT,
                        format!("{n} items, at most {max} allowed"),
                        format!("remove {} item(s)", n - max),
                    ));
                }
            }
            if let Some(item) = rule.items {
                for (i, v) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    check(v, item, path, base, out);
                    path.truncate(len);
                }
            }
        }
        Expr::Map(_) => {
            if let Some(shape) = rule.shape {
                check_object(e, shape, path, base, out);
            }
        }
        _ => {}
    }
}

/// A `{{resolve:…}}` dynamic reference: CloudFormation substitutes it before validating.
fn is_dynamic_reference(s: &str) -> bool {
    s.contains("{{resolve:")
}

fn check_str(s: &str, rule: &Rule, path: &str, base: &DiagPath, out: &mut Vec<Diagnostic>) {
    if is_dynamic_reference(s) {
        return;
    }
    if rule.secret {
        out.push(diag(
            base,
            path,
            codes::SECRET_IN_TEMPLATE,
            "a literal secret in a write-only secret property: it would be stored in the template in plain text".to_owned(),
            "use a dynamic reference, e.g. `dynamic::secrets_manager(secret.reference(), Some(\"password\"))` \
             ({{resolve:secretsmanager:<secret>:SecretString:password}}) or `dynamic::ssm_secure(\"/name\", None)`, \
             or let the service manage it (ManageMasterUserPassword)"
                .to_owned(),
        ));
    }
    if rule.min_len.is_some() || rule.max_len.is_some() {
        let n = s.chars().count() as u32;
        if let Some(min) = rule.min_len {
            if n < min {
                out.push(diag(
                    base,
                    path,
                    codes::STRING_LENGTH,
                    format!("{n} character(s), at least {min} required"),
                    format!("use a value of {min} or more characters"),
                ));
            }
        }
        if let Some(max) = rule.max_len {
            if n > max {
                out.push(diag(
                    base,
                    path,
                    codes::STRING_LENGTH,
                    format!("{n} characters, at most {max} allowed"),
                    format!("shorten the value to {max} characters"),
                ));
            }
        }
    }
    if !rule.one_of.is_empty() && !rule.one_of.contains(&s) {
        let shown: Vec<&str> = rule.one_of.iter().take(12).copied().collect();
        out.push(diag(
            base,
            path,
            codes::NOT_ALLOWED_VALUE,
            format!("`{s}` is not an allowed value"),
            format!(
                "use one of: {}{}",
                shown.join(", "),
                if rule.one_of.len() > 12 { ", …" } else { "" }
            ),
        ));
    }
    if let Some(Pattern::Regex(p)) = rule.pattern {
        if let Some(re) = compiled(p) {
            // An engine error (the backtracking limit) decides nothing.
            if matches!(re.is_match(s), Ok(false)) {
                out.push(diag(
                    base,
                    path,
                    codes::PATTERN_MISMATCH,
                    format!("`{s}` does not match the pattern `{p}`"),
                    "change the value so it matches the schema's pattern".to_owned(),
                ));
            }
        }
    }
    if !rule.formats.is_empty() && !rule.formats.iter().any(|f| format::check_str(*f, s)) {
        out.push(format_diag(base, path, rule, &format!("`{s}`")));
    }
}

fn format_diag(base: &DiagPath, path: &str, rule: &Rule, shown: &str) -> Diagnostic {
    let names: Vec<&str> = rule.formats.iter().map(|f| f.name()).collect();
    diag(
        base,
        path,
        codes::FORMAT_MISMATCH,
        format!("{shown} is not a valid {}", names.join(" or ")),
        format!(
            "give {} (or a reference to the resource, which is checked at deploy)",
            rule.formats
                .iter()
                .map(|f| format::example(*f))
                .collect::<Vec<_>>()
                .join(", or ")
        ),
    )
}

fn check_num(
    n: f64,
    integer: bool,
    rule: &Rule,
    path: &str,
    base: &DiagPath,
    out: &mut Vec<Diagnostic>,
) {
    // Non-finite numbers are reported once, wherever they are, by the lint pass (`SF024`).
    if !n.is_finite() {
        return;
    }
    if let Some(min) = rule.min {
        if n < min {
            out.push(diag(
                base,
                path,
                codes::NUMBER_RANGE,
                format!("{n} is below the minimum {min}"),
                format!(
                    "use a value from {min}{}",
                    rule.max.map(|m| format!(" to {m}")).unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(max) = rule.max {
        if n > max {
            out.push(diag(
                base,
                path,
                codes::NUMBER_RANGE,
                format!("{n} is above the maximum {max}"),
                format!("use a value up to {max}"),
            ));
        }
    }
    if !rule.formats.is_empty()
        && !rule
            .formats
            .iter()
            .any(|f| format::check_number(*f, n, integer))
    {
        out.push(format_diag(base, path, rule, &n.to_string()));
    }
}

/// Compiles schema patterns once per process. A pattern the generator verified always
/// compiles; should one not, it is skipped rather than failing the user's synth.
fn compiled(p: &'static str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut guard = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    guard
        .entry(p)
        .or_insert_with(|| compile_pattern(p).ok())
        .clone()
}

// ---------------------------------------------------------------------------------------
// Template parameters

/// A template parameter as the checks see it: plain data, so any caller can fill it in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParameterSpec {
    /// The parameter's logical ID.
    pub name: String,
    /// `Type`: `String`, `Number`, `List<Number>`, `CommaDelimitedList`, an AWS-specific
    /// type (`AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`) or an SSM parameter type
    /// (`AWS::SSM::Parameter::Value<String>`).
    pub type_name: String,
    /// `Default`, as written in the template.
    pub default: Option<String>,
    /// `AllowedValues`.
    pub allowed_values: Vec<String>,
    /// `AllowedPattern`: CloudFormation matches it against the whole value (each item of a
    /// `CommaDelimitedList`).
    pub allowed_pattern: Option<String>,
    /// `MinLength`.
    pub min_length: Option<u64>,
    /// `MaxLength`.
    pub max_length: Option<u64>,
    /// `MinValue`.
    pub min_value: Option<f64>,
    /// `MaxValue`.
    pub max_value: Option<f64>,
}

/// The AWS-specific parameter types CloudFormation accepts (also inside `List<…>` and
/// `AWS::SSM::Parameter::Value<…>`).
const AWS_PARAMETER_TYPES: &[&str] = &[
    "AWS::EC2::AvailabilityZone::Name",
    "AWS::EC2::Image::Id",
    "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName",
    "AWS::EC2::SecurityGroup::GroupName",
    "AWS::EC2::SecurityGroup::Id",
    "AWS::EC2::Subnet::Id",
    "AWS::EC2::Volume::Id",
    "AWS::EC2::VPC::Id",
    "AWS::Route53::HostedZone::Id",
];

fn valid_parameter_type(t: &str) -> bool {
    let plain = |t: &str| {
        matches!(t, "String" | "Number" | "CommaDelimitedList") || AWS_PARAMETER_TYPES.contains(&t)
    };
    let list = |t: &str| {
        t.strip_prefix("List<")
            .and_then(|x| x.strip_suffix('>'))
            .is_some_and(|x| x == "Number" || x == "String" || AWS_PARAMETER_TYPES.contains(&x))
    };
    if t == "AWS::SSM::Parameter::Name" {
        return true;
    }
    if let Some(inner) = t
        .strip_prefix("AWS::SSM::Parameter::Value<")
        .and_then(|x| x.strip_suffix('>'))
    {
        return plain(inner) && inner != "Number" || list(inner) && inner != "List<Number>";
    }
    (plain(t) || list(t)) && t != "List<String>"
}

/// Checks a template parameter: its type, its `AllowedPattern` (a valid regular
/// expression) and its default against the type, `AllowedValues`, `AllowedPattern`,
/// `MinLength`/`MaxLength` and `MinValue`/`MaxValue`. `base` locates the parameter (its
/// logical ID); diagnostics name the field (`Type`, `Default`, `AllowedPattern`).
pub fn check_parameter(p: &ParameterSpec, base: &DiagPath) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |field: &str| DiagPath {
        property: Some(field.to_owned()),
        ..base.clone()
    };
    let t = p.type_name.as_str();
    if !valid_parameter_type(t) {
        out.push(Diagnostic::error(
            codes::INVALID_PARAMETER,
            at("Type"),
            format!("`{t}` is not a CloudFormation parameter type"),
            "use String, Number, List<Number>, CommaDelimitedList, an AWS-specific type such as AWS::EC2::VPC::Id (or List<…> of one) or AWS::SSM::Parameter::Value<…>",
        ));
    }
    let pattern = match p.allowed_pattern.as_deref() {
        // CloudFormation matches the whole value.
        Some(pat) => match compile_pattern(&format!("^(?:{pat})$")) {
            Ok(re) => Some((pat, re)),
            Err(e) => {
                out.push(Diagnostic::error(
                    codes::INVALID_PARAMETER,
                    at("AllowedPattern"),
                    format!("`{pat}` is not a valid regular expression: {e}"),
                    "fix the regular expression (look-around and back-references are fine)",
                ));
                None
            }
        },
        None => None,
    };
    let Some(default) = p.default.as_deref() else {
        return out;
    };
    let bad_default = |out: &mut Vec<Diagnostic>, msg: String, help: &str| {
        out.push(Diagnostic::error(
            codes::INVALID_PARAMETER,
            at("Default"),
            msg,
            help.to_owned(),
        ));
    };
    let is_list = t == "CommaDelimitedList" || t.starts_with("List<");
    let items: Vec<&str> = if is_list {
        default.split(',').map(str::trim).collect()
    } else {
        vec![default]
    };
    let numeric = t == "Number" || t == "List<Number>";
    for item in &items {
        if numeric {
            match item.parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    if let Some(min) = p.min_value.filter(|m| n < *m) {
                        bad_default(
                            &mut out,
                            format!("default {item} is below MinValue {min}"),
                            "raise the default or lower MinValue",
                        );
                    }
                    if let Some(max) = p.max_value.filter(|m| n > *m) {
                        bad_default(
                            &mut out,
                            format!("default {item} is above MaxValue {max}"),
                            "lower the default or raise MaxValue",
                        );
                    }
                }
                _ => bad_default(
                    &mut out,
                    format!("default `{item}` is not a number, but the parameter is a {t}"),
                    "give a number (digits, an optional sign, decimal point and exponent)",
                ),
            }
        }
        if let Some((pat, re)) = &pattern {
            if matches!(re.is_match(item), Ok(false)) {
                bad_default(
                    &mut out,
                    format!("default `{item}` does not match AllowedPattern `{pat}`"),
                    "change the default (CloudFormation matches the whole value) or the pattern",
                );
            }
        }
    }
    let n = default.chars().count() as u64;
    if let Some(min) = p.min_length.filter(|m| n < *m) {
        bad_default(
            &mut out,
            format!("default has {n} character(s), MinLength is {min}"),
            "lengthen the default or lower MinLength",
        );
    }
    if let Some(max) = p.max_length.filter(|m| n > *m) {
        bad_default(
            &mut out,
            format!("default has {n} characters, MaxLength is {max}"),
            "shorten the default or raise MaxLength",
        );
    }
    if !p.allowed_values.is_empty() && !p.allowed_values.iter().any(|v| v == default) {
        bad_default(
            &mut out,
            format!("default `{default}` is not one of AllowedValues"),
            "add it to AllowedValues or change the default",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, s: &str) -> bool {
        compile_pattern(pattern)
            .expect("compiles")
            .is_match(s)
            .expect("decides")
    }

    #[test]
    fn word_and_digit_classes_are_ascii() {
        assert!(matches(r"^\w+$", "abc_09"));
        assert!(!matches(r"^\w+$", "é"));
        assert!(!matches(r"^[\w-]+$", "é"));
        assert!(matches(r"^\d$", "7"));
        assert!(!matches(r"^\d$", "\u{0663}"), "ARABIC-INDIC DIGIT THREE");
    }

    #[test]
    fn space_is_ecmascript_white_space() {
        assert!(matches(r"^\s$", "\u{FEFF}"));
        assert!(!matches(r"^\s$", "\u{85}"));
        assert!(matches(r"^[\s]$", "\u{FEFF}"));
        assert!(!matches(r"^[\s]$", "\u{85}"));
        assert!(matches(r"^\S$", "\u{85}"));
    }

    #[test]
    fn look_around_is_checked() {
        let tag_key = r"^(?!aws:)[a-zA-Z+-=._:/]+$";
        assert!(matches(tag_key, "team"));
        assert!(!matches(tag_key, "aws:cloudformation:stack-name"));
    }
}
