//! Template-level checks, run at synth on every stack: what CloudFormation refuses in a
//! template's values and sections, beyond the schema rules of generated types
//! ([`crate::validate`]) and the per-type rules of [`crate::semantic`].
//!
//! - values: too-deep values (`SF023`) and NaN/±∞ (`SF024`) anywhere: resource properties
//!   (typed or `Raw`), overrides, outputs, conditions and rules.

use crate::diag::{codes, Code, DiagPath, Diagnostic};
use crate::stack::Stack;
use crate::value::Expr;
use crate::walk::Walk;

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

/// Every expression of a stack with the logical ID and property path it sits at.
fn exprs(s: &Stack) -> Vec<(&str, String, &Expr)> {
    let mut out: Vec<(&str, String, &Expr)> = Vec::new();
    for n in s.graph.node_weights() {
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

/// Too-deep values and non-finite numbers, wherever they are.
pub(crate) fn check_values(s: &Stack, out: &mut Vec<Diagnostic>) {
    for (id, root, e) in exprs(s) {
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
