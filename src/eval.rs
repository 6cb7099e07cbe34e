//! What a value can be at deploy time, as far as synth can tell.
//!
//! Pattern options are values ([`crate::Val`]): a literal, a parameter, a condition's
//! `Fn::If`, a mapping lookup. A check that needs the value (a Fargate CPU/memory pair, a
//! desired count within the scaling range) resolves the values together under every
//! assignment of the parameters they depend on: literals give one case, a parameter with
//! `AllowedValues` gives one case per allowed value, conditions and `Fn::FindInMap` are
//! evaluated under each assignment. Anything else (a resource attribute, an import, a
//! parameter without `AllowedValues`) cannot be enumerated, and the check says so.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::stack::{ParamType, Stack};
use crate::value::{number, Expr, RefTarget, SubPart};

/// At most this many parameter assignments are enumerated for one check.
pub const MAX_CASES: usize = 1024;

/// One way the values can resolve: the parameter values that produce it, and the values.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    /// `(parameter name, value)` pairs, sorted by name; empty for literals.
    pub parameters: Vec<(String, String)>,
    /// The resolved values, in the order asked.
    pub values: Vec<Json>,
}

/// How a set of values resolves.
#[derive(Clone, Debug, PartialEq)]
pub enum Resolution {
    /// Every case, one per parameter assignment.
    Known(Vec<Case>),
    /// A value depends on something synth cannot enumerate; the text says what.
    Unknown(String),
}

/// Resolves `exprs` together in `stack`.
pub(crate) fn resolve(stack: &Stack, exprs: &[&Expr]) -> Resolution {
    let mut params = BTreeSet::new();
    let mut seen_conditions = BTreeSet::new();
    for e in exprs {
        collect_params(stack, e, &mut params, &mut seen_conditions);
    }
    let mut domains: Vec<(String, Vec<String>, bool)> = Vec::new();
    for p in &params {
        let Some(def) = stack.params.get(p) else {
            return Resolution::Unknown(format!("parameter `{p}` is not defined in this stack"));
        };
        if def.allowed_values.is_empty() {
            return Resolution::Unknown(format!(
                "parameter `{p}` has no AllowedValues, so its value is only known at deploy"
            ));
        }
        domains.push((
            p.clone(),
            def.allowed_values.clone(),
            def.kind == ParamType::Number,
        ));
    }
    let total = domains
        .iter()
        .try_fold(1usize, |acc, (_, v, _)| acc.checked_mul(v.len()));
    if total.is_none_or(|t| t > MAX_CASES) {
        return Resolution::Unknown(format!(
            "the parameters {} allow more than {MAX_CASES} combinations",
            params.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let mut cases = Vec::new();
    let mut index = vec![0usize; domains.len()];
    loop {
        let assignment: BTreeMap<&str, (&str, bool)> = domains
            .iter()
            .zip(&index)
            .map(|((name, vals, num), i)| (name.as_str(), (vals[*i].as_str(), *num)))
            .collect();
        let cx = Cx {
            stack,
            assignment: &assignment,
        };
        let mut values = Vec::with_capacity(exprs.len());
        for e in exprs {
            match cx.value(e, 0) {
                Ok(v) => values.push(v),
                Err(why) => return Resolution::Unknown(why),
            }
        }
        cases.push(Case {
            parameters: assignment
                .iter()
                .map(|(k, (v, _))| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            values,
        });
        // Next assignment (odometer order).
        let mut k = domains.len();
        loop {
            if k == 0 {
                return Resolution::Known(cases);
            }
            k -= 1;
            index[k] += 1;
            if index[k] < domains[k].1.len() {
                break;
            }
            index[k] = 0;
        }
    }
}

fn collect_params(
    stack: &Stack,
    e: &Expr,
    out: &mut BTreeSet<String>,
    conditions: &mut BTreeSet<String>,
) {
    match e {
        Expr::Ref(RefTarget::Parameter(p)) => {
            out.insert(p.name.clone());
        }
        Expr::If(c, ..) | Expr::Condition(c) if conditions.insert(c.name.clone()) => {
            if let Some(ce) = stack.conditions.get(&c.name) {
                collect_params(stack, ce, out, conditions);
            }
        }
        _ => {}
    }
    e.for_each_child(&mut |c| collect_params(stack, c, out, conditions));
}

struct Cx<'a> {
    stack: &'a Stack,
    assignment: &'a BTreeMap<&'a str, (&'a str, bool)>,
}

/// Conditions may name each other; a chain deeper than this is a cycle.
const MAX_CONDITION_DEPTH: usize = 64;

impl Cx<'_> {
    fn value(&self, e: &Expr, depth: usize) -> Result<Json, String> {
        Ok(match e {
            Expr::Null => Json::Null,
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(n) => Json::from(*n),
            Expr::Num(n) => number(*n),
            Expr::Str(s) => Json::String(s.clone()),
            Expr::Json(v) => v.clone(),
            Expr::List(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.value(i, depth))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Map(m) => Json::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.value(v, depth)?)))
                    .collect::<Result<_, String>>()?,
            ),
            Expr::Ref(RefTarget::Parameter(p)) => {
                let Some((v, num)) = self.assignment.get(p.name.as_str()) else {
                    return Err(format!("parameter `{}` is not enumerable", p.name));
                };
                if *num {
                    v.parse::<f64>().map(number).map_err(|_| {
                        format!("parameter `{}` allows `{v}`, which is not a number", p.name)
                    })?
                } else {
                    Json::String((*v).to_owned())
                }
            }
            Expr::If(c, a, b) => {
                if self.condition(&c.name, depth)? {
                    self.value(a, depth)?
                } else {
                    self.value(b, depth)?
                }
            }
            Expr::FindInMap(m, top, second) => {
                let top = text(&self.value(top, depth)?);
                let second = text(&self.value(second, depth)?);
                self.stack
                    .mappings
                    .get(&m.name)
                    .and_then(|map| map.get(&top))
                    .and_then(|t| t.get(&second))
                    .cloned()
                    .ok_or_else(|| format!("mapping `{}` has no entry {top}/{second}", m.name))?
            }
            Expr::Sub(parts) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        SubPart::Lit(l) => s.push_str(l),
                        SubPart::Expr(e) => s.push_str(&text(&self.value(e, depth)?)),
                    }
                }
                Json::String(s)
            }
            Expr::Join(d, list) => match self.value(list, depth)? {
                Json::Array(items) => {
                    Json::String(items.iter().map(text).collect::<Vec<_>>().join(d))
                }
                _ => return Err("Fn::Join of something that is not a list".into()),
            },
            Expr::Select(i, list) => {
                let i = self.value(i, depth)?;
                let i = i
                    .as_u64()
                    .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
                    .ok_or("Fn::Select with a non-numeric index")?;
                match self.value(list, depth)? {
                    Json::Array(items) => items
                        .get(usize::try_from(i).unwrap_or(usize::MAX))
                        .cloned()
                        .ok_or("Fn::Select index out of range")?,
                    _ => return Err("Fn::Select of something that is not a list".into()),
                }
            }
            Expr::Ref(RefTarget::Resource(_)) | Expr::GetAtt(..) => {
                return Err("a resource attribute is only known at deploy".into())
            }
            Expr::ImportValue(_) => return Err("an imported value is only known at deploy".into()),
            Expr::Ref(RefTarget::Pseudo(p)) => {
                return Err(format!("`{}` is only known at deploy", p.name()))
            }
            _ => return Err("this intrinsic is only evaluated at deploy".into()),
        })
    }

    fn condition(&self, name: &str, depth: usize) -> Result<bool, String> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(format!("condition `{name}` refers to itself"));
        }
        let e = self
            .stack
            .conditions
            .get(name)
            .ok_or_else(|| format!("condition `{name}` is not defined in this stack"))?;
        self.truth(e, depth + 1)
    }

    fn truth(&self, e: &Expr, depth: usize) -> Result<bool, String> {
        match e {
            Expr::Equals(a, b) => Ok(text(&self.value(a, depth)?) == text(&self.value(b, depth)?)),
            Expr::And(items) => items
                .iter()
                .try_fold(true, |acc, i| Ok(acc && self.truth(i, depth)?)),
            Expr::Or(items) => items
                .iter()
                .try_fold(false, |acc, i| Ok(acc || self.truth(i, depth)?)),
            Expr::Not(i) => Ok(!self.truth(i, depth)?),
            Expr::Condition(c) => self.condition(&c.name, depth),
            Expr::Bool(b) => Ok(*b),
            _ => Err("a condition that synth cannot evaluate".into()),
        }
    }
}

/// A scalar as CloudFormation compares it: strings as they are, numbers and booleans as text.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
