//! How deep a value may nest, and the walks that must not recurse.
//!
//! **The limit.** A value nests at most [`MAX_DEPTH`] levels, counted as the JSON objects and
//! lists it renders to (`{"Fn::Join": ["-", [...]]}` is two levels around its list). A
//! template is read back (by `diff`, the deploy engine and CloudFormation's own parser) with
//! serde_json's limit of 128 levels; 100 for a value leaves room for the template's sections
//! around it.
//!
//! **Where it is enforced.** Every [`crate::Val`] carries its depth, so the intrinsic
//! constructors (`fns::join`, `fns::if_`, …) check it in O(1): one that would pass the limit
//! returns a *too deep* value ([`Expr::TooDeep`]) instead, and every value built on that one is
//! too deep as well, in O(1) and constant memory. A raw [`Expr`] (built by hand, or set
//! through `Props`, `Raw::prop`, overrides and aspects) is measured without recursion when it
//! enters a stack, and the part beyond the limit is cut off the same way. Synth reports every
//! too-deep value as `SF023` with its property path, so a program that nests a million
//! `fns::join`s gets a typed error, never a stack overflow.
//!
//! **No recursion on unbounded input.** Dropping an [`Expr`] is iterative (the default `Drop`
//! of nested boxes recurses once per level and overflows long before rendering would), and so
//! are measuring, cutting and the walks that find references. Everything else walks values
//! that are already within the limit.

use serde_json::Value as Json;

use super::{Expr, SubPart};

/// The deepest a value may nest, in rendered JSON objects and lists.
pub const MAX_DEPTH: u32 = 100;

/// The depth of a value that is already too deep (sticky: anything built on it is too).
pub(crate) const POISON: u32 = u32::MAX;

/// The JSON levels a node adds around its children when rendered.
pub(crate) fn own_levels(e: &Expr) -> u32 {
    match e {
        Expr::Null
        | Expr::Bool(_)
        | Expr::Int(_)
        | Expr::Num(_)
        | Expr::Str(_)
        | Expr::Json(_)
        | Expr::TooDeep => 0,
        Expr::List(_)
        | Expr::Map(_)
        | Expr::Ref(_)
        | Expr::Condition(_)
        | Expr::GetAzs(_)
        | Expr::ImportValue(_)
        | Expr::Base64(_) => 1,
        Expr::GetAtt(..)
        | Expr::Join(..)
        | Expr::Select(..)
        | Expr::Split(..)
        | Expr::If(..)
        | Expr::Equals(..)
        | Expr::And(_)
        | Expr::Or(_)
        | Expr::Not(_)
        | Expr::FindInMap(..)
        | Expr::Cidr(..)
        | Expr::Contains(..)
        | Expr::EachMemberEquals(..)
        | Expr::EachMemberIn(..) => 2,
        // `{"Fn::Sub": [text, {"Var0": …}]}`; a Sub of literals only is `{"Fn::Sub": text}`.
        Expr::Sub(parts) => {
            if parts.iter().any(|p| matches!(p, SubPart::Expr(_))) {
                3
            } else {
                1
            }
        }
    }
}

/// The depth of a JSON value (objects and arrays), or `None` once it passes `limit`.
/// Iterative.
pub fn json_depth(v: &Json, limit: u32) -> Option<u32> {
    let mut max = 0;
    let mut stack: Vec<(&Json, u32)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Json::Array(items) => {
                let d = d + 1;
                if d > limit {
                    return None;
                }
                max = max.max(d);
                stack.extend(items.iter().map(|i| (i, d)));
            }
            Json::Object(m) => {
                let d = d + 1;
                if d > limit {
                    return None;
                }
                max = max.max(d);
                stack.extend(m.values().map(|i| (i, d)));
            }
            _ => {}
        }
    }
    Some(max)
}

/// The depth of `e`, or `None` once it passes `limit` (without walking further). Iterative.
pub fn depth(e: &Expr, limit: u32) -> Option<u32> {
    let mut max = 0;
    let mut stack: Vec<(&Expr, u32)> = vec![(e, 0)];
    while let Some((e, acc)) = stack.pop() {
        let here = match e {
            Expr::Json(v) => acc + json_depth(v, limit.saturating_sub(acc))?,
            _ => acc + own_levels(e),
        };
        if here > limit {
            return None;
        }
        max = max.max(here);
        e.for_each_child(&mut |c| stack.push((c, here)));
    }
    Some(max)
}

/// What [`bound`] saw in a value: what synth must look at again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// A too-deep value or a non-finite number (reported with their paths at synth).
    pub(crate) bad: bool,
    /// A raw JSON object or list, or a map shaped like an intrinsic, which may hold
    /// hand-written intrinsics (`{"Ref": …}`) whose names synth checks.
    pub(crate) json: bool,
}

impl std::ops::BitOrAssign for Seen {
    fn bitor_assign(&mut self, o: Seen) {
        self.bad |= o.bad;
        self.json |= o.json;
    }
}

/// Cuts every part of `e` that nests deeper than [`MAX_DEPTH`], replacing it with
/// [`Expr::TooDeep`] (which synth reports with its path), and says what synth must check
/// again ([`Seen`]); the other values need no second walk. Iterative; `base` is the depth `e`
/// sits at.
pub(crate) fn bound(e: &mut Expr, base: u32) -> Seen {
    let mut seen = Seen::default();
    let mut stack: Vec<(&mut Expr, u32)> = vec![(e, base)];
    while let Some((e, acc)) = stack.pop() {
        if matches!(e, Expr::TooDeep) || matches!(e, Expr::Num(x) if !x.is_finite()) {
            seen.bad = true;
            continue;
        }
        match e {
            Expr::Json(v) => seen.json |= v.is_array() || v.is_object(),
            // A hand-written intrinsic built as a map (`json!({"Ref": "Name"})`).
            Expr::Map(m) if m.len() == 1 => {
                seen.json |= m
                    .keys()
                    .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
            }
            _ => {}
        }
        let here = match e {
            Expr::Json(v) => json_depth(v, MAX_DEPTH.saturating_sub(acc)).map(|d| acc + d),
            _ => Some(acc + own_levels(e)),
        };
        let Some(here) = here.filter(|h| *h <= MAX_DEPTH) else {
            *e = Expr::TooDeep;
            seen.bad = true;
            continue;
        };
        match e {
            Expr::List(items) | Expr::And(items) | Expr::Or(items) => {
                stack.extend(items.iter_mut().map(|c| (c, here)));
            }
            Expr::Map(m) => stack.extend(m.values_mut().map(|c| (c, here))),
            Expr::Sub(parts) => stack.extend(parts.iter_mut().filter_map(|p| match p {
                SubPart::Expr(c) => Some((c, here)),
                SubPart::Lit(_) => None,
            })),
            Expr::Join(_, c)
            | Expr::Split(_, c)
            | Expr::GetAzs(c)
            | Expr::ImportValue(c)
            | Expr::Not(c)
            | Expr::Base64(c) => stack.push((&mut **c, here)),
            Expr::Select(a, b)
            | Expr::Equals(a, b)
            | Expr::If(_, a, b)
            | Expr::FindInMap(_, a, b)
            | Expr::Contains(a, b)
            | Expr::EachMemberEquals(a, b)
            | Expr::EachMemberIn(a, b) => {
                stack.push((&mut **a, here));
                stack.push((&mut **b, here));
            }
            Expr::Cidr(a, b, c) => {
                stack.push((&mut **a, here));
                stack.push((&mut **b, here));
                stack.push((&mut **c, here));
            }
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Num(_)
            | Expr::Str(_)
            | Expr::Json(_)
            | Expr::Ref(_)
            | Expr::GetAtt(..)
            | Expr::Condition(_)
            | Expr::TooDeep => {}
        }
    }
    seen
}

/// Replaces a JSON value that nests deeper than `limit` with `null`; true if it did. The
/// deep value is taken apart without recursion.
pub(crate) fn bound_json(v: &mut Json, limit: u32) -> bool {
    if json_depth(v, limit).is_some() {
        return false;
    }
    drop_json(std::mem::take(v));
    true
}

/// Drops a JSON value without recursing (serde_json's own drop recurses once per level).
pub fn drop_json(v: Json) {
    let mut stack = vec![v];
    while let Some(mut v) = stack.pop() {
        match &mut v {
            Json::Array(items) => stack.extend(items.drain(..).filter(has_json_children)),
            Json::Object(m) => {
                let m = std::mem::take(m);
                stack.extend(m.into_iter().map(|(_, v)| v).filter(has_json_children));
            }
            _ => {}
        }
    }
}

fn has_json_children(v: &Json) -> bool {
    match v {
        Json::Array(a) => !a.is_empty(),
        Json::Object(m) => !m.is_empty(),
        _ => false,
    }
}

/// True if dropping `e` would drop another node that has children of its own: only those
/// need the explicit stack.
#[cfg_attr(test, allow(dead_code))]
fn has_children(e: &Expr) -> bool {
    match e {
        Expr::Null
        | Expr::Bool(_)
        | Expr::Int(_)
        | Expr::Num(_)
        | Expr::Str(_)
        | Expr::Ref(_)
        | Expr::GetAtt(..)
        | Expr::Condition(_)
        | Expr::TooDeep => false,
        Expr::Json(v) => has_json_children(v),
        Expr::List(v) | Expr::And(v) | Expr::Or(v) => !v.is_empty(),
        Expr::Map(m) => !m.is_empty(),
        Expr::Sub(parts) => parts.iter().any(|p| matches!(p, SubPart::Expr(_))),
        _ => true,
    }
}

/// Moves the children of `e` that have children themselves onto `out`; the rest are dropped
/// here (they are leaves, so their drop does not recurse).
#[cfg_attr(test, allow(dead_code))]
fn detach(e: &mut Expr, out: &mut Vec<Expr>) {
    let take = |b: &mut Box<Expr>, out: &mut Vec<Expr>| {
        if has_children(b) {
            out.push(std::mem::replace(&mut **b, Expr::Null));
        }
    };
    match e {
        Expr::List(v) | Expr::And(v) | Expr::Or(v) => out.extend(v.drain(..).filter(has_children)),
        Expr::Map(m) => {
            let m = std::mem::take(m);
            out.extend(m.into_values().filter(has_children));
        }
        Expr::Sub(parts) => {
            for p in parts.drain(..) {
                if let SubPart::Expr(c) = p {
                    if has_children(&c) {
                        out.push(c);
                    }
                }
            }
        }
        Expr::Json(v) => {
            if has_json_children(v) {
                drop_json(std::mem::take(v));
            }
        }
        Expr::Join(_, c)
        | Expr::Split(_, c)
        | Expr::GetAzs(c)
        | Expr::ImportValue(c)
        | Expr::Not(c)
        | Expr::Base64(c) => take(c, out),
        Expr::Select(a, b)
        | Expr::Equals(a, b)
        | Expr::If(_, a, b)
        | Expr::FindInMap(_, a, b)
        | Expr::Contains(a, b)
        | Expr::EachMemberEquals(a, b)
        | Expr::EachMemberIn(a, b) => {
            take(a, out);
            take(b, out);
        }
        Expr::Cidr(a, b, c) => {
            take(a, out);
            take(b, out);
            take(c, out);
        }
        Expr::Null
        | Expr::Bool(_)
        | Expr::Int(_)
        | Expr::Num(_)
        | Expr::Str(_)
        | Expr::Ref(_)
        | Expr::GetAtt(..)
        | Expr::Condition(_)
        | Expr::TooDeep => {}
    }
}

// Not in the crate's own unit-test build: the generated table test in `src/cfn/tests`
// (which codegen is about to stop emitting) moves fields out of an `Expr`, which a type with
// `Drop` forbids. Every other build, integration tests included, has the iterative drop;
// `tests/depth.rs` checks it. Remove the `cfg` once `src/cfn/tests` is regenerated or gone.
#[cfg(not(test))]
impl Drop for Expr {
    /// Iterative: a value nested a million levels deep drops without overflowing the stack.
    fn drop(&mut self) {
        if !has_children(self) {
            return;
        }
        let mut stack = Vec::new();
        detach(self, &mut stack);
        while let Some(mut e) = stack.pop() {
            detach(&mut e, &mut stack);
        }
    }
}
