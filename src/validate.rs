//! Checks literal property values against the rules generated from the resource schemas.
//!
//! Intrinsics are not checked (their value is known only at deploy time). Semantics follow
//! JSON Schema: `pattern` is a search (unanchored unless the pattern anchors itself), and
//! lengths count characters (code points), not bytes.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::{Regex, RegexBuilder};

/// The compiled-size limit for schema patterns (the `regex` default of 10 MiB rejects a few
/// large alternations in the schemas). The generator checks patterns with the same limit.
pub const PATTERN_SIZE_LIMIT: usize = 64 << 20;

use crate::diag::{codes, DiagPath, Diagnostic};
use crate::resource::{Pattern, Rule, Shape};
use crate::value::Expr;

/// Checks a resource's `Properties` against its shape, pushing one diagnostic per problem.
pub fn check_props(props: &Expr, shape: &Shape, base: &DiagPath, out: &mut Vec<Diagnostic>) {
    let mut path = String::from("Properties");
    check_object(props, shape, &mut path, base, out);
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

fn diag(
    base: &DiagPath,
    path: &str,
    code: crate::diag::Code,
    msg: String,
    help: String,
) -> Diagnostic {
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
        Expr::Int(n) => check_num(*n as f64, rule, path, base, out),
        Expr::Num(n) => check_num(*n, rule, path, base, out),
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

fn check_str(s: &str, rule: &Rule, path: &str, base: &DiagPath, out: &mut Vec<Diagnostic>) {
    // A dynamic reference (`{{resolve:secretsmanager:…}}`) is replaced at deploy time: the
    // schema's length, values and pattern apply to what it resolves to, not to the reference
    // (cfn-lint skips them too).
    if s.contains("{{resolve:") {
        return;
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
            if !re.is_match(s) {
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
}

fn check_num(n: f64, rule: &Rule, path: &str, base: &DiagPath, out: &mut Vec<Diagnostic>) {
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
        .or_insert_with(|| {
            RegexBuilder::new(p)
                .size_limit(PATTERN_SIZE_LIMIT)
                .build()
                .ok()
        })
        .clone()
}
