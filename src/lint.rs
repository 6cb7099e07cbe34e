//! Template-level checks, run at synth on every stack: what CloudFormation refuses in a
//! template's values and sections, beyond the schema rules of generated types
//! ([`crate::validate`]) and the per-type rules of [`crate::semantic`].
//!
//! - values: too-deep values (`SF023`) and NaN/±∞ (`SF024`) anywhere: resource properties
//!   (typed or `Raw`), overrides, outputs, conditions and rules;
//! - sections: the description (`SF028`), stack tags (`SF029`), resource types (`SF030`,
//!   with the closest registry type), parameter shapes (`SF015`), mappings (`SF026`),
//!   conditions (`SF027`), rules (`SF019`), outputs (`SF025`), ID lengths (`SF003`);
//! - the rendered template: output IDs and export names (including generated ones),
//!   references to names the stack does not define (`SF033`, also inside raw JSON), the
//!   semantic rules of [`crate::semantic`], and literal secrets ([`crate::secrets`], `SF032`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::diag::{codes, Code, DiagPath, Diagnostic};
use crate::stack::{OutputDef, ParamDef, ParamType, Stack};
use crate::value::Expr;
use crate::walk::{JsonWalk, Walk};

fn at(stack: &str, id: &str, property: String) -> DiagPath {
    DiagPath {
        stack: Some(stack.to_owned()),
        logical_id: Some(id.to_owned()).filter(|s| !s.is_empty()),
        property: Some(property).filter(|p| !p.is_empty()),
    }
}

fn err(
    code: Code,
    path: DiagPath,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, path, message, help)
}

/// Every expression of a stack with the logical ID and property path it sits at (resources
/// only when something suspect entered them, see [`crate::depth::bound`]).
fn exprs(s: &Stack) -> Vec<(&str, String, &Expr)> {
    let mut out: Vec<(&str, String, &Expr)> = Vec::new();
    for n in s.graph.node_weights().filter(|n| n.seen.bad) {
        out.push((&n.logical_id, "Properties".to_owned(), &n.props));
        for o in &n.overrides {
            if let Some(v) = &o.value {
                out.push((&n.logical_id, format!("Properties.{}", o.path.join(".")), v));
            }
        }
    }
    for (id, o) in &s.outputs {
        out.push((id, "Value".to_owned(), &o.value));
    }
    for (id, c) in &s.conditions {
        out.push((id, String::new(), c));
    }
    for (id, r) in &s.rules {
        if let Some(c) = &r.condition {
            out.push((id, "RuleCondition".to_owned(), c));
        }
        for (i, (a, _)) in r.assertions.iter().enumerate() {
            out.push((id, format!("Assertions[{i}].Assert"), a));
        }
    }
    out
}

/// True if `e` holds a too-deep value or a non-finite number (a walk without paths: the
/// common case costs nothing more).
fn has_bad_value(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::TooDeep => return true,
            Expr::Num(x) if !x.is_finite() => return true,
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    false
}

/// Too-deep values and non-finite numbers, wherever they are.
pub(crate) fn check_values(s: &Stack, out: &mut Vec<Diagnostic>) {
    for (id, root, e) in exprs(s) {
        if !has_bad_value(e) {
            continue;
        }
        let mut walk = Walk::new(e);
        while let Some((node, n)) = walk.next_node() {
            match node {
                Expr::TooDeep => out.push(err(
                    codes::VALUE_TOO_DEEP,
                    at(&s.name, id, walk.path(n, &root)),
                    format!(
                        "this value nests deeper than {} levels (objects, lists and intrinsic functions); it was cut here",
                        crate::depth::MAX_DEPTH
                    ),
                    "build the value flatter: compute it in Rust, or split it into several properties or resources",
                )),
                Expr::Num(x) if !x.is_finite() => out.push(err(
                    codes::NON_FINITE_NUMBER,
                    at(&s.name, id, walk.path(n, &root)),
                    format!("{x} is not a number JSON can hold (it would be written as null)"),
                    "use a finite number; check the computation that produced it",
                )),
                _ => {}
            }
        }
    }
}

/// The longest template description CloudFormation accepts, in bytes.
pub const MAX_DESCRIPTION_BYTES: usize = 1024;
/// The most tags a stack may carry.
pub const MAX_STACK_TAGS: usize = 50;
/// The longest output description, in bytes.
pub const MAX_OUTPUT_DESCRIPTION_BYTES: usize = 1024;
/// The longest export name.
pub const MAX_EXPORT_NAME: usize = 255;
/// The most entries in one mapping, and in each of its top-level keys.
pub const MAX_MAPPING_ATTRIBUTES: usize = 200;

/// Checks of a stack's sections before rendering: description, stack tags, resource types,
/// parameters, mappings, conditions, rules, outputs and the length of every ID.
pub(crate) fn check_sections(s: &Stack, out: &mut Vec<Diagnostic>) {
    let name = s.name.as_str();
    if let Some(d) = &s.description {
        if d.len() > MAX_DESCRIPTION_BYTES {
            out.push(err(
                codes::DESCRIPTION_TOO_LONG,
                at(name, "", "Description".into()),
                format!(
                    "the template description has {} bytes; CloudFormation accepts at most {MAX_DESCRIPTION_BYTES}",
                    d.len()
                ),
                "shorten the description (Scope::set_description); put long text in a README",
            ));
        }
    }
    check_stack_tags(s, out);
    let mut known: BTreeSet<&str> = BTreeSet::new();
    // Under a transform, some types are the macro's to expand: `AWS::Serverless::*` under
    // SAM's, and any type under a custom macro (which may rewrite what it likes).
    let sam = s
        .transforms
        .iter()
        .any(|t| t.starts_with("AWS::Serverless-"));
    let custom_macro = s.transforms.iter().any(|t| !t.starts_with("AWS::"));
    for n in s.graph.node_weights() {
        if known.contains(&*n.type_name) {
            continue;
        }
        if custom_macro || (sam && n.type_name.starts_with("AWS::Serverless::")) {
            continue;
        }
        if let Err((message, help)) = check_type_name(&n.type_name) {
            out.push(err(
                codes::UNKNOWN_RESOURCE_TYPE,
                at(name, &n.logical_id, "Type".into()),
                message,
                help,
            ));
        } else {
            known.insert(&n.type_name);
        }
    }
    let ids = s
        .params
        .keys()
        .map(|k| (k, "parameter"))
        .chain(s.conditions.keys().map(|k| (k, "condition")))
        .chain(s.mappings.keys().map(|k| (k, "mapping")))
        .chain(s.rules.keys().map(|k| (k, "rule")));
    for (id, what) in ids {
        if id.len() > crate::stack::MAX_LOGICAL_ID {
            out.push(err(
                codes::INVALID_LOGICAL_ID,
                at(name, id, String::new()),
                format!(
                    "the {what} ID has {} characters, the limit is {}",
                    id.len(),
                    crate::stack::MAX_LOGICAL_ID
                ),
                "use shorter scope and item ids",
            ));
        }
    }
    for (id, p) in &s.params {
        check_parameter_shape(name, id, p, out);
    }
    for (id, m) in &s.mappings {
        check_mapping(name, id, m, out);
    }
    for (id, c) in &s.conditions {
        check_condition(name, id, c, codes::INVALID_CONDITION, out);
    }
    for (id, r) in &s.rules {
        if let Some(c) = &r.condition {
            check_arity(name, id, "RuleCondition", c, codes::INVALID_RULE, out);
        }
        for (i, (a, _)) in r.assertions.iter().enumerate() {
            check_arity(
                name,
                id,
                &format!("Assertions[{i}].Assert"),
                a,
                codes::INVALID_RULE,
                out,
            );
        }
    }
    for (id, o) in &s.outputs {
        check_output(name, id, o, out);
    }
}

fn check_stack_tags(s: &Stack, out: &mut Vec<Diagnostic>) {
    let name = s.name.as_str();
    if s.tags.len() > MAX_STACK_TAGS {
        out.push(err(
            codes::INVALID_STACK_TAG,
            at(name, "", "Tags".into()),
            format!(
                "{} stack tags; CloudFormation allows at most {MAX_STACK_TAGS}",
                s.tags.len()
            ),
            "keep the tags that cost allocation and ownership need; put the rest on the resources",
        ));
    }
    for (k, v) in &s.tags {
        let path = at(name, "", format!("Tags.{k}"));
        if let Err(why) = check_tag(k, v) {
            out.push(err(
                codes::INVALID_STACK_TAG,
                path,
                why,
                "tag keys have 1 to 128 characters and values up to 256, of letters, digits, spaces and _ . : / = + - @; keys must not start with aws:",
            ));
        }
    }
}

/// Checks one tag as AWS does for stacks and resources: key 1 to 128 characters, value up to
/// 256, letters, digits, white space and `_ . : / = + - @`, and no `aws:` prefix on the key.
pub(crate) fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    let klen = key.chars().count();
    if klen == 0 || klen > 128 {
        return Err(format!(
            "the tag key `{key}` has {klen} characters (1 to 128)"
        ));
    }
    if key.to_lowercase().starts_with("aws:") {
        return Err(format!(
            "the tag key `{key}` starts with `aws:`, which AWS reserves"
        ));
    }
    if let Some(c) = key.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "the tag key `{key}` contains `{}`",
            c.escape_debug()
        ));
    }
    let vlen = value.chars().count();
    if vlen > 256 {
        return Err(format!(
            "the value of tag `{key}` has {vlen} characters (at most 256)"
        ));
    }
    if let Some(c) = value.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "the value of tag `{key}` contains `{}`",
            c.escape_debug()
        ));
    }
    Ok(())
}

/// The edit distance between two strings (for "did you mean").
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The registry type closest to `t` (by edit distance, case-insensitively), for "did you
/// mean".
pub fn closest_type(t: &str) -> Option<&'static str> {
    let lower = t.to_ascii_lowercase();
    crate::cfn::meta::TYPES
        .iter()
        .map(|m| {
            (
                distance(&lower, &m.type_name.to_ascii_lowercase()),
                m.type_name,
            )
        })
        .min()
        .filter(|(d, _)| *d <= t.len() / 3 + 1)
        .map(|(_, n)| n)
}

/// Checks a resource type name. `AWS::…` types must be in the registry (the metadata table
/// knows every one) and not from a service that has shut down; `Custom::<name>` is a custom
/// resource; any other `Organization::Service::Type` (or `…::MODULE`) is a third-party or
/// private registry type and is allowed. `Err((message, help))` otherwise.
pub(crate) fn check_type_name(t: &str) -> Result<(), (String, String)> {
    if let Some(rest) = t.strip_prefix("Custom::") {
        let ok = !rest.is_empty()
            && rest.len() <= 60
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_@-".contains(c));
        return if ok {
            Ok(())
        } else {
            Err((
                format!("`{t}` is not a custom resource type"),
                "name custom resources `Custom::<name>`, with up to 60 letters, digits and _ @ -"
                    .into(),
            ))
        };
    }
    let parts: Vec<&str> = t.split("::").collect();
    let shape_ok = (3..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && (parts.len() == 3 || parts[3] == "MODULE");
    let aws = parts.first().is_some_and(|p| p.eq_ignore_ascii_case("AWS"));
    if !shape_ok && !aws {
        return Err((
            format!("`{t}` is not a resource type name"),
            "write `Organization::Service::Type` (e.g. AWS::S3::Bucket), or `Custom::<name>` for a custom resource".into(),
        ));
    }
    if !aws {
        return Ok(());
    }
    match crate::cfn::meta::lookup(t) {
        // Shut down before the schemas were taken (synth reads no clock: output stays
        // deterministic).
        Some(m) => match m.lifecycle.filter(|l| {
            l.strip_prefix("shutdown on ").is_some_and(|date| {
                date <= crate::cfn::meta::SCHEMA_DATE.get(..10).unwrap_or_default()
            })
        }) {
            Some(when) => Err((
                format!("`{t}` belongs to a service that has shut down ({when})"),
                "move to the service's replacement; CloudFormation no longer creates this type"
                    .into(),
            )),
            None => Ok(()),
        },
        None => Err((
            format!(
                "`{t}` is not a resource type of the CloudFormation registry (schemas of {})",
                crate::cfn::meta::SCHEMA_DATE
            ),
            match closest_type(t) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "check the type's spelling in the CloudFormation resource reference".into(),
            },
        )),
    }
}

/// Parameter shape rules beyond the value checks (`validate::check_parameter`): valid
/// AWS-specific and SSM types, constraints that fit the type, and length limits.
fn check_parameter_shape(stack: &str, id: &str, p: &ParamDef, out: &mut Vec<Diagnostic>) {
    let mut bad = |prop: &str, message: String, help: &str| {
        out.push(err(
            codes::INVALID_PARAMETER,
            at(stack, id, prop.to_owned()),
            message,
            help.to_owned(),
        ))
    };
    match &p.kind {
        ParamType::AwsSpecific(t) if !is_aws_parameter_type(t) => {
            bad("Type", format!("`{t}` is not an AWS-specific parameter type"), "use one of AWS::EC2::AvailabilityZone::Name, AWS::EC2::Image::Id, AWS::EC2::Instance::Id, AWS::EC2::KeyPair::KeyName, AWS::EC2::SecurityGroup::GroupName, AWS::EC2::SecurityGroup::Id, AWS::EC2::Subnet::Id, AWS::EC2::Volume::Id, AWS::EC2::VPC::Id, AWS::Route53::HostedZone::Id, or List<…> of one");
        }
        ParamType::Ssm(t)
            if !(matches!(t.as_str(), "String" | "List<String>" | "CommaDelimitedList")
                || is_aws_parameter_type(t)) =>
        {
            bad("Type", format!("`AWS::SSM::Parameter::Value<{t}>` is not an SSM parameter type"), "use String, List<String>, CommaDelimitedList or an AWS-specific type inside AWS::SSM::Parameter::Value<…>");
        }
        _ => {}
    }
    let number = p.kind == ParamType::Number;
    if number && (p.allowed_pattern.is_some() || p.min_length.is_some() || p.max_length.is_some()) {
        bad(
            "AllowedPattern",
            "a Number parameter takes no AllowedPattern, MinLength or MaxLength".into(),
            "use MinValue/MaxValue (Parameter::range) for numbers",
        );
    }
    if !number && (p.min_value.is_some() || p.max_value.is_some()) {
        bad(
            "MinValue",
            format!(
                "a {} parameter takes no MinValue or MaxValue",
                p.kind.as_str()
            ),
            "use MinLength/MaxLength or AllowedPattern for text, or make it a Number parameter",
        );
    }
    if let Some(d) = &p.description {
        if d.chars().count() > 4000 {
            bad(
                "Description",
                format!(
                    "the description has {} characters (at most 4000)",
                    d.chars().count()
                ),
                "shorten the description",
            );
        }
    }
    if let Some(d) = &p.default {
        if d.chars().count() > 4096 {
            bad(
                "Default",
                format!(
                    "the default has {} characters (at most 4096)",
                    d.chars().count()
                ),
                "shorten the default",
            );
        }
    }
    if let Some(v) = p.allowed_values.iter().find(|v| v.chars().count() > 4096) {
        bad(
            "AllowedValues",
            format!(
                "an allowed value has {} characters (at most 4096)",
                v.chars().count()
            ),
            "shorten the value",
        );
    }
    if let Some(m) = p.max_length.filter(|m| *m > 4096) {
        bad(
            "MaxLength",
            format!("MaxLength {m} is above 4096"),
            "parameter values have at most 4096 characters",
        );
    }
    // The value checks: the default against the type, AllowedValues, AllowedPattern and the
    // length and value bounds, and AllowedPattern as an ECMAScript regular expression. The
    // type itself was checked above from the typed `ParamType` (with a help that names the
    // valid types), so that finding is not reported twice.
    let spec = crate::validate::ParameterSpec {
        name: id.to_owned(),
        type_name: p.kind.as_str().into_owned(),
        default: p.default.clone(),
        allowed_values: p.allowed_values.clone(),
        allowed_pattern: p.allowed_pattern.clone(),
        min_length: p.min_length.map(u64::from),
        max_length: p.max_length.map(u64::from),
        min_value: p.min_value,
        max_value: p.max_value,
    };
    out.extend(
        crate::validate::check_parameter(&spec, &at(stack, id, String::new()))
            .into_iter()
            .filter(|d| d.path.property.as_deref() != Some("Type")),
    );
}

fn is_aws_parameter_type(t: &str) -> bool {
    const TYPES: &[&str] = &[
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
        "AWS::SSM::Parameter::Name",
    ];
    let inner = t
        .strip_prefix("List<")
        .and_then(|r| r.strip_suffix('>'))
        .unwrap_or(t);
    TYPES.contains(&inner)
}

/// A mapping is `{top key: {second key: value}}`: 1 to 200 top keys of letters, digits, `.`
/// and `-`; each with 1 to 200 second keys of letters and digits; values that are strings,
/// numbers, booleans or lists.
fn check_mapping(stack: &str, id: &str, m: &Json, out: &mut Vec<Diagnostic>) {
    let mut bad = |prop: String, message: String| {
        out.push(err(
            codes::INVALID_MAPPING,
            at(stack, id, prop),
            message,
            "write a mapping as {top key: {second key: value}}: keys of letters and digits (top keys may also use . and -), values that are strings, numbers, booleans or lists, at most 200 entries a level",
        ))
    };
    let Some(top) = m.as_object() else {
        bad(
            String::new(),
            format!("mapping `{id}` is {}, not an object of objects", kind(m)),
        );
        return;
    };
    if top.is_empty() || top.len() > MAX_MAPPING_ATTRIBUTES {
        bad(
            String::new(),
            format!(
                "mapping `{id}` has {} top-level keys (1 to {MAX_MAPPING_ATTRIBUTES})",
                top.len()
            ),
        );
    }
    for (k, v) in top {
        let key_ok = !k.is_empty()
            && k.len() <= 255
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !key_ok {
            bad(
                k.clone(),
                format!(
                    "the top-level key `{k}` may use only letters, digits, `.` and `-` (1 to 255)"
                ),
            );
        }
        let Some(second) = v.as_object() else {
            bad(
                k.clone(),
                format!("`{k}` is {}, not an object of second-level keys", kind(v)),
            );
            continue;
        };
        if second.is_empty() || second.len() > MAX_MAPPING_ATTRIBUTES {
            bad(
                k.clone(),
                format!(
                    "`{k}` has {} second-level keys (1 to {MAX_MAPPING_ATTRIBUTES})",
                    second.len()
                ),
            );
        }
        for (k2, v2) in second {
            let at2 = format!("{k}.{k2}");
            if k2.is_empty() || k2.len() > 255 || !k2.chars().all(|c| c.is_ascii_alphanumeric()) {
                bad(
                    at2.clone(),
                    format!(
                        "the second-level key `{k2}` may use only letters and digits (1 to 255)"
                    ),
                );
            }
            if matches!(v2, Json::Null | Json::Object(_)) {
                bad(
                    at2,
                    format!(
                        "the value is {}; mapping values are strings, numbers, booleans or lists",
                        kind(v2)
                    ),
                );
            }
        }
    }
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// `Fn::And`/`Fn::Or` take 2 to 10 conditions.
fn check_arity(stack: &str, id: &str, root: &str, e: &Expr, code: Code, out: &mut Vec<Diagnostic>) {
    let mut walk = Walk::new(e);
    while let Some((node, n)) = walk.next_node() {
        if let Expr::And(items) | Expr::Or(items) = node {
            if !(2..=10).contains(&items.len()) {
                let f = if matches!(node, Expr::And(_)) {
                    "Fn::And"
                } else {
                    "Fn::Or"
                };
                out.push(err(
                    code,
                    at(stack, id, walk.path(n, root)),
                    format!("{f} has {} condition(s); it takes 2 to 10", items.len()),
                    "combine 2 to 10 conditions; nest another Fn::And/Fn::Or for more, or drop the wrapper around a single one",
                ));
            }
        }
    }
}

/// Conditions see parameters, mappings, pseudo parameters and other conditions only.
fn check_condition(stack: &str, id: &str, e: &Expr, code: Code, out: &mut Vec<Diagnostic>) {
    check_arity(stack, id, "", e, code, out);
    let mut walk = Walk::new(e);
    while let Some((node, n)) = walk.next_node() {
        let what = match node {
            Expr::Ref(crate::value::RefTarget::Resource(_)) => "a resource (Ref)",
            Expr::GetAtt(..) => "a resource attribute (Fn::GetAtt)",
            Expr::ImportValue(_) => "an import (Fn::ImportValue)",
            _ => continue,
        };
        out.push(err(
            code,
            at(stack, id, walk.path(n, "")),
            format!(
                "condition `{id}` uses {what}; conditions are evaluated before any resource exists"
            ),
            "compare parameters, pseudo parameters and mapping values only",
        ));
    }
}

fn check_output(stack: &str, id: &str, o: &OutputDef, out: &mut Vec<Diagnostic>) {
    if let Some(d) = &o.description {
        if d.len() > MAX_OUTPUT_DESCRIPTION_BYTES {
            out.push(err(
                codes::INVALID_OUTPUT,
                at(stack, id, "Description".into()),
                format!(
                    "the output description has {} bytes (at most {MAX_OUTPUT_DESCRIPTION_BYTES})",
                    d.len()
                ),
                "shorten the description",
            ));
        }
    }
    let list = match &o.value {
        Expr::List(_) | Expr::Map(_) | Expr::GetAzs(_) | Expr::Split(..) | Expr::Cidr(..) => true,
        Expr::Json(v) => v.is_array() || v.is_object(),
        _ => false,
    };
    if list {
        out.push(err(
            codes::INVALID_OUTPUT,
            at(stack, id, "Value".into()),
            "an output value must be a string, not a list or an object",
            "join a list with fns::join(\",\", list); output one string per value",
        ));
    }
    let mut walk = Walk::new(&o.value);
    while let Some((node, n)) = walk.next_node() {
        let texts: Vec<&str> = match node {
            Expr::Str(s) => vec![s.as_str()],
            Expr::Json(v) => json_strings(v),
            Expr::Sub(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    crate::value::SubPart::Lit(l) => Some(l.as_str()),
                    crate::value::SubPart::Expr(_) => None,
                })
                .collect(),
            _ => continue,
        };
        if texts
            .iter()
            .any(|t| t.contains("{{resolve:secretsmanager:") || t.contains("{{resolve:ssm-secure:"))
        {
            out.push(err(
                codes::INVALID_OUTPUT,
                at(stack, id, walk.path(n, "Value")),
                "the output's value is a dynamic reference to a secret; CloudFormation resolves those only in resource properties, and an output would show the secret to anyone who can describe the stack",
                "output the secret's ARN or name (e.g. secret.reference()) and read the value with Secrets Manager",
            ));
        }
    }
}

/// Every string inside a JSON value. Iterative.
fn json_strings(v: &Json) -> Vec<&str> {
    let mut out = Vec::new();
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Json::String(s) => out.push(s.as_str()),
            Json::Array(a) => stack.extend(a.iter()),
            Json::Object(m) => stack.extend(m.values()),
            _ => {}
        }
    }
    out
}

/// The pseudo parameters `Ref` and `Fn::Sub` may name.
const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// The names a rendered template defines.
struct Names<'a> {
    resources: BTreeSet<&'a str>,
    parameters: BTreeSet<&'a str>,
    conditions: BTreeSet<&'a str>,
    mappings: BTreeSet<&'a str>,
}

fn keys<'a>(t: &'a Json, section: &str) -> BTreeSet<&'a str> {
    t.get(section)
        .and_then(Json::as_object)
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Checks of a rendered template: output IDs and export names, references to names the
/// template does not define (`SF033`, also inside JSON values), the semantic rules of each
/// resource type, and literal secrets (`SF032`).
pub(crate) fn check_template(stacks: &[Stack], s: &Stack, t: &Json, out: &mut Vec<Diagnostic>) {
    let name = s.name.as_str();
    if let Some(outputs) = t.get("Outputs").and_then(Json::as_object) {
        for (id, o) in outputs {
            if id.len() > crate::stack::MAX_LOGICAL_ID {
                out.push(err(
                    codes::INVALID_LOGICAL_ID,
                    at(name, id, String::new()),
                    format!(
                        "the output ID has {} characters, the limit is {}{}",
                        id.len(),
                        crate::stack::MAX_LOGICAL_ID,
                        if id.starts_with("Export") { " (it is generated for a cross-stack reference: Export + the resource's logical ID + the attribute)" } else { "" }
                    ),
                    "use a shorter output id, or a shorter logical ID for the resource other stacks reference",
                ));
            }
            if let Some(n) = o.pointer("/Export/Name").and_then(Json::as_str) {
                if n.len() > MAX_EXPORT_NAME {
                    out.push(err(
                        codes::INVALID_EXPORT,
                        at(name, id, "Export.Name".into()),
                        format!(
                            "the export name has {} characters, the limit is {MAX_EXPORT_NAME}",
                            n.len()
                        ),
                        "use shorter stack names and logical IDs, or export_as a shorter name",
                    ));
                }
            }
        }
    }
    let names = Names {
        resources: keys(t, "Resources"),
        parameters: keys(t, "Parameters"),
        conditions: keys(t, "Conditions"),
        mappings: keys(t, "Mappings"),
    };
    // References synth writes from handles are right by construction; only raw JSON can
    // hold hand-written ones, so only resources that received some are walked.
    let mut roots: Vec<(&str, &str, &Json)> = Vec::new();
    if let Some(rs) = t.get("Resources").and_then(Json::as_object) {
        for (id, r) in rs {
            let raw_json = s
                .ids
                .get(id)
                .and_then(|i| s.graph.node_weight(*i))
                .is_some_and(|n| n.seen.json);
            if let Some(p) = r.get("Properties").filter(|_| raw_json) {
                roots.push((id, "Properties", p));
            }
        }
    }
    if let Some(os) = t.get("Outputs").and_then(Json::as_object) {
        for (id, o) in os {
            if let Some(v) = o.get("Value") {
                roots.push((id, "Value", v));
            }
        }
    }
    if let Some(cs) = t.get("Conditions").and_then(Json::as_object) {
        for (id, c) in cs {
            roots.push((id, "", c));
        }
    }
    // An owner already reported for naming another stack's or app's item is not reported
    // again for the name that leaves in its template.
    let reported: BTreeSet<String> = out
        .iter()
        .filter(|d| d.code == codes::WRONG_STACK || d.code == codes::FOREIGN_APP)
        .filter(|d| d.path.stack.as_deref() == Some(name))
        .filter_map(|d| d.path.logical_id.clone())
        .collect();
    for (id, root, v) in &roots {
        if !reported.contains(*id) {
            check_references(stacks, s, &names, id, root, v, out);
        }
    }
    // A path a pattern already reported (its own code, e.g. SFM007 for group sizes) is not
    // reported again by the generic rule.
    let taken: BTreeSet<DiagPath> = out
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.path.clone())
        .collect();
    if let Some(rs) = t.get("Resources").and_then(Json::as_object) {
        for (id, r) in rs {
            let ty = r.get("Type").and_then(Json::as_str).unwrap_or("");
            if let Some(p) = r.get("Properties") {
                for (code, f) in crate::semantic::check(ty, p) {
                    let path = at(name, id, f.property);
                    if !taken.contains(&path) {
                        out.push(err(code, path, f.message, f.help));
                    }
                }
            }
        }
    }
    scan_secrets(name, t, out);
}

fn other_stack_of<'a>(stacks: &'a [Stack], s: &Stack, id: &str) -> Option<&'a str> {
    stacks
        .iter()
        .find(|o| o.index != s.index && o.ids.contains_key(id))
        .map(|o| o.name.as_str())
}

fn unknown(
    stacks: &[Stack],
    s: &Stack,
    owner: &str,
    path: String,
    what: &str,
    target: &str,
    out: &mut Vec<Diagnostic>,
) {
    let help = match other_stack_of(stacks, s, target) {
        Some(other) => format!("`{target}` is a resource of stack `{other}`: reference it through its handle (a typed value, or json! with the handle's value), so synth exports it there and imports it here"),
        None => format!("name a {what} of this stack, or use the handle's typed reference instead of a name written by hand"),
    };
    out.push(err(
        codes::UNKNOWN_REFERENCE,
        at(&s.name, owner, path),
        format!("`{target}` is not a {what} of stack `{}`", s.name),
        help,
    ));
}

/// `${Name}` and `${Name.Attr}` in a Sub string (not `${!…}`), as `(name, has attribute)`.
fn sub_names(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        if rest.starts_with('!') {
            continue;
        }
        let Some(end) = rest.find('}') else { break };
        let inner = rest[..end].trim();
        match inner.split_once('.') {
            Some((n, _)) => out.push((n, true)),
            None => out.push((inner, false)),
        }
        rest = &rest[end + 1..];
    }
    out
}

fn check_references(
    stacks: &[Stack],
    s: &Stack,
    names: &Names<'_>,
    owner: &str,
    root: &str,
    v: &Json,
    out: &mut Vec<Diagnostic>,
) {
    let referable = |n: &str| {
        names.resources.contains(n) || names.parameters.contains(n) || PSEUDO.contains(&n)
    };
    let mut walk = JsonWalk::new(v);
    while let Some((node, _)) = walk.next_node() {
        let Some(m) = node.as_object().filter(|m| m.len() == 1) else {
            continue;
        };
        let Some((k, arg)) = m.iter().next() else {
            continue;
        };
        let path = || walk.path(root);
        match (k.as_str(), arg) {
            ("Ref", Json::String(n)) if !referable(n) => {
                unknown(stacks, s, owner, path(), "resource or parameter", n, out)
            }
            ("Fn::GetAtt", a) => {
                let target = match a {
                    Json::Array(items) => items.first().and_then(Json::as_str),
                    Json::String(s) => s.split_once('.').map(|(n, _)| n),
                    _ => None,
                };
                if let Some(n) = target.filter(|n| !names.resources.contains(n)) {
                    unknown(stacks, s, owner, path(), "resource", n, out);
                }
            }
            ("Fn::Sub", a) => {
                let (text, vars) = match a {
                    Json::String(t) => (Some(t.as_str()), None),
                    Json::Array(items) => (
                        items.first().and_then(Json::as_str),
                        items.get(1).and_then(Json::as_object),
                    ),
                    _ => (None, None),
                };
                for (n, attr) in sub_names(text.unwrap_or("")) {
                    let ok = vars.is_some_and(|v| v.contains_key(n))
                        || if attr {
                            names.resources.contains(n)
                        } else {
                            referable(n)
                        };
                    if !ok {
                        unknown(stacks, s, owner, path(), "resource or parameter", n, out);
                    }
                }
            }
            ("Fn::If", Json::Array(items)) => {
                if let Some(c) = items.first().and_then(Json::as_str) {
                    if !names.conditions.contains(c) {
                        unknown(stacks, s, owner, path(), "condition", c, out);
                    }
                }
            }
            ("Condition", Json::String(c))
                if root.is_empty() && !names.conditions.contains(c.as_str()) =>
            {
                unknown(stacks, s, owner, path(), "condition", c, out)
            }
            ("Fn::FindInMap", Json::Array(items)) => {
                if let Some(n) = items.first().and_then(Json::as_str) {
                    if !names.mappings.contains(n) {
                        unknown(stacks, s, owner, path(), "mapping", n, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// True for `Ref`, `Condition` and `Fn::…` keys.
fn intrinsic_key(k: &str) -> bool {
    k == "Ref" || k == "Condition" || k.starts_with("Fn::")
}

/// Literal secrets in a rendered template (see [`crate::secrets`]): by value anywhere, and by
/// name under JSON keys, `Name`/`Value` (or `Key`/`Value`) pairs, parameters, outputs and
/// mappings. A resource's write-only properties are checked by value only (the schema rules
/// report literal passwords there). A path that already has an error (a pattern's `SFM004`)
/// is not reported twice.
fn scan_secrets(stack: &str, t: &Json, out: &mut Vec<Diagnostic>) {
    use crate::secrets::{scan_named, scan_value};
    let taken: BTreeSet<DiagPath> = out
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.path.clone())
        .collect();
    let mut found: Vec<(String, String, String)> = Vec::new();
    // Names repeat (property names, `Key`, `Value`): their strength is computed once.
    let mut strengths: std::collections::HashMap<String, crate::secrets::NameStrength> =
        std::collections::HashMap::new();
    let mut named = |name: &str, value: &str| {
        let strength = match strengths.get(name) {
            Some(s) => *s,
            None => {
                let s = crate::secrets::name_strength(name);
                strengths.insert(name.to_owned(), s);
                s
            }
        };
        crate::secrets::scan_named_as(name, strength, value)
    };
    let mut scan_tree = |owner: &str,
                         root: &str,
                         v: &Json,
                         write_only: &[&str],
                         found: &mut Vec<(String, String, String)>| {
        let mut walk = JsonWalk::new(v);
        while let Some((node, top)) = walk.next_node() {
            match node {
                Json::Object(m) => {
                    // A `Name`/`Value` (or `Key`/`Value`) pair: the value under the name.
                    let value = m.get("Value").and_then(Json::as_str);
                    let pair = value.and_then(|value| {
                        m.get("Name")
                            .or_else(|| m.get("Key"))
                            .and_then(Json::as_str)
                            .map(|n| (n, value))
                    });
                    if let Some((n, value)) = pair {
                        let reference_type = m
                            .get("Type")
                            .and_then(Json::as_str)
                            .is_some_and(|ty| ty == "PARAMETER_STORE" || ty == "SECRETS_MANAGER");
                        if let Some(f) = (!reference_type).then(|| named(n, value)).flatten() {
                            found.push((owner.to_owned(), walk.path(root), f.what));
                        }
                    }
                    for (k, x) in m {
                        let Json::String(sv) = x else { continue };
                        if pair.is_some() && k == "Value" {
                            continue;
                        }
                        let by_value_only =
                            intrinsic_key(k) || (top && write_only.contains(&k.as_str()));
                        let f = if by_value_only {
                            scan_value(sv)
                        } else {
                            named(k, sv)
                        };
                        if let Some(f) = f {
                            let p = walk.path(root);
                            let p = if p.is_empty() {
                                k.clone()
                            } else {
                                format!("{p}.{k}")
                            };
                            found.push((owner.to_owned(), p, f.what));
                        }
                    }
                }
                Json::Array(items) => {
                    for (i, x) in items.iter().enumerate() {
                        if let Some(f) = x.as_str().and_then(scan_value) {
                            found.push((
                                owner.to_owned(),
                                format!("{}[{i}]", walk.path(root)),
                                f.what,
                            ));
                        }
                    }
                }
                Json::String(sv) if top => {
                    if let Some(f) = scan_value(sv) {
                        found.push((owner.to_owned(), root.to_owned(), f.what));
                    }
                }
                _ => {}
            }
        }
    };
    if let Some(rs) = t.get("Resources").and_then(Json::as_object) {
        for (id, r) in rs {
            let ty = r.get("Type").and_then(Json::as_str).unwrap_or("");
            let write_only = crate::cfn::meta::lookup(ty).map_or(&[][..], |m| m.write_only);
            if let Some(p) = r.get("Properties") {
                scan_tree(id, "Properties", p, write_only, &mut found);
            }
            if let Some(md) = r.get("Metadata") {
                scan_tree(id, "Metadata", md, &[], &mut found);
            }
        }
    }
    if let Some(ps) = t.get("Parameters").and_then(Json::as_object) {
        for (id, p) in ps {
            if let Some(d) = p.get("Default").and_then(Json::as_str) {
                if let Some(f) = scan_named(id, d) {
                    found.push((id.clone(), "Default".into(), f.what));
                }
            }
            if let Some(vs) = p.get("AllowedValues").and_then(Json::as_array) {
                for (i, v) in vs.iter().enumerate() {
                    if let Some(f) = v.as_str().and_then(|v| scan_named(id, v)) {
                        found.push((id.clone(), format!("AllowedValues[{i}]"), f.what));
                    }
                }
            }
        }
    }
    if let Some(os) = t.get("Outputs").and_then(Json::as_object) {
        for (id, o) in os {
            match o.get("Value") {
                Some(Json::String(v)) => {
                    if let Some(f) = scan_named(id, v) {
                        found.push((id.clone(), "Value".into(), f.what));
                    }
                }
                Some(v) => scan_tree(id, "Value", v, &[], &mut found),
                None => {}
            }
            if let Some(f) = o
                .get("Description")
                .and_then(Json::as_str)
                .and_then(scan_value)
            {
                found.push((id.clone(), "Description".into(), f.what));
            }
        }
    }
    if let Some(ms) = t.get("Mappings").and_then(Json::as_object) {
        for (id, m) in ms {
            scan_tree(id, "", m, &[], &mut found);
        }
    }
    if let Some(f) = t
        .get("Description")
        .and_then(Json::as_str)
        .and_then(scan_value)
    {
        found.push((String::new(), "Description".into(), f.what));
    }
    for (owner, property, what) in found {
        let path = at(stack, &owner, property);
        if taken.contains(&path) {
            continue;
        }
        out.push(err(
            codes::SECRET_IN_TEMPLATE,
            path,
            format!("{what} is written into the template, where anyone who can read the stack sees it"),
            "keep secrets out of templates: store the value in Secrets Manager and use a dynamic reference (stackforge::dynamic::secrets_manager) or ECS secrets; for a parameter, use NoEcho without a default",
        ));
    }
}
