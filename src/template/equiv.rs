//! Semantic equality of two templates: what `stackforge import` promises for a round trip,
//! `synth(import(t)) ≈ t`.
//!
//! Two templates are equivalent when they have the same resources, properties, intrinsics,
//! conditions, parameters, mappings, rules and outputs after [`normalize`], which erases
//! exactly these differences and nothing else:
//!
//! 1. **Key order and whitespace** (the comparison is on parsed JSON values).
//! 2. **Long and short forms of an intrinsic**: `Fn::GetAtt: "A.B"` is `["A", "B"]`;
//!    `Fn::Sub` is compared by its parts (`${A}` and `${A.B}` are `Ref`/`Fn::GetAtt`, a
//!    variable of the map form is its value, `${!x}` is the text `${x}`, and a `Fn::Sub`
//!    without variables is its plain string); a single `DependsOn` or `Transform` is a list
//!    of one, and `DependsOn` is a set.
//! 3. **Scalars CloudFormation coerces alike**: `"80"` and `80`, `"true"` and `true`,
//!    `1.0` and `1`.
//!
//! Three more, each a difference in spelling and never in what CloudFormation creates:
//! an empty section or an empty `Properties` is an absent one; `AWSTemplateFormatVersion`
//! (one value exists) is ignored; a `DependsOn` entry that a `Ref`, `Fn::GetAtt` or
//! `Fn::Sub` of the same resource already implies is dropped (CloudFormation orders the
//! two identically, and synth drops it to keep cfn-lint's W3005 quiet). [`compare`] also
//! accepts a `Description` in the second template when the first has none (synth writes a
//! default one).

use serde_json::{Map, Value as Json};

/// One difference: a JSON pointer into the normalized templates and what differs there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// Where (`/Resources/Queue/Properties/DelaySeconds`).
    pub path: String,
    /// The value in the first template (normalized), or `absent`.
    pub left: String,
    /// The value in the second template (normalized), or `absent`.
    pub right: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ≠ {}", self.path, self.left, self.right)
    }
}

/// Compares `source` (the template imported) with `synthesized` (what synth wrote for the
/// imported program). Empty when they are equivalent.
pub fn compare(source: &Json, synthesized: &Json) -> Vec<Difference> {
    let a = normalize(source);
    let mut b = normalize(synthesized);
    if let (Some(ao), Some(bo)) = (a.as_object(), b.as_object_mut()) {
        if !ao.contains_key("Description") {
            bo.remove("Description");
        }
    }
    let mut out = Vec::new();
    diff(&a, &b, &mut String::new(), &mut out);
    out
}

/// The normal form of a template (see the module docs for what it erases).
pub fn normalize(template: &Json) -> Json {
    let Some(t) = template.as_object() else {
        return value(template);
    };
    let mut out = Map::new();
    for (k, v) in t {
        match k.as_str() {
            "AWSTemplateFormatVersion" => {}
            "Transform" => {
                let list = match v {
                    Json::Array(a) => a.iter().map(value).collect(),
                    other => vec![value(other)],
                };
                if !list.is_empty() {
                    out.insert(k.clone(), Json::Array(list));
                }
            }
            "Resources" => {
                let mut rs = Map::new();
                for (id, r) in v.as_object().into_iter().flatten() {
                    rs.insert(id.clone(), resource(r));
                }
                if !rs.is_empty() {
                    out.insert(k.clone(), Json::Object(rs));
                }
            }
            _ => {
                let n = value(v);
                if !n.as_object().is_some_and(Map::is_empty) {
                    out.insert(k.clone(), n);
                }
            }
        }
    }
    Json::Object(out)
}

fn resource(r: &Json) -> Json {
    let Some(o) = r.as_object() else {
        return value(r);
    };
    let mut refs = Vec::new();
    for (k, v) in o {
        if k != "DependsOn" {
            referenced(v, &mut refs);
        }
    }
    let mut out = Map::new();
    for (k, v) in o {
        match k.as_str() {
            "DependsOn" => {
                let mut list: Vec<String> = match v {
                    Json::Array(a) => a.iter().map(scalar_text).collect(),
                    other => vec![scalar_text(other)],
                };
                list.retain(|d| !refs.contains(d));
                list.sort();
                list.dedup();
                if !list.is_empty() {
                    out.insert(k.clone(), list.into_iter().map(Json::String).collect());
                }
            }
            "Properties" => {
                let n = value(v);
                if !n.as_object().is_some_and(Map::is_empty) {
                    out.insert(k.clone(), n);
                }
            }
            _ => {
                out.insert(k.clone(), value(v));
            }
        }
    }
    Json::Object(out)
}

/// Logical IDs a value references through `Ref`, `Fn::GetAtt` or `Fn::Sub`.
fn referenced(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(o) if o.len() == 1 => {
            if let Some(r) = o.get("Ref").and_then(Json::as_str) {
                out.push(r.to_owned());
                return;
            }
            if let Some(g) = o.get("Fn::GetAtt") {
                let target = match g {
                    Json::String(s) => s.split('.').next().map(str::to_owned),
                    Json::Array(a) => a.first().and_then(Json::as_str).map(str::to_owned),
                    _ => None,
                };
                out.extend(target);
            }
            if let Some(s) = o.get("Fn::Sub") {
                let text = match s {
                    Json::String(s) => Some(s.as_str()),
                    Json::Array(a) => a.first().and_then(Json::as_str),
                    _ => None,
                };
                for part in sub_parts(text.unwrap_or_default()) {
                    if let SubToken::Var(name) = part {
                        out.push(name.split('.').next().unwrap_or_default().to_owned());
                    }
                }
            }
            for x in o.values() {
                referenced(x, out);
            }
        }
        Json::Object(o) => o.values().for_each(|x| referenced(x, out)),
        Json::Array(a) => a.iter().for_each(|x| referenced(x, out)),
        _ => {}
    }
}

fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Json::Bool(b) => b.to_string(),
        Json::Null => "null".into(),
        other => other.to_string(),
    }
}

/// The normal form of any value below the template's top level.
fn value(v: &Json) -> Json {
    match v {
        Json::Number(_) | Json::Bool(_) => Json::String(scalar_text(v)),
        Json::Array(a) => Json::Array(a.iter().map(value).collect()),
        Json::Object(o) if o.len() == 1 => {
            if let Some(Json::String(s)) = o.get("Fn::GetAtt") {
                if let Some((id, attr)) = s.split_once('.') {
                    return single("Fn::GetAtt", vec![id.into(), attr.into()]);
                }
            }
            if let Some(s) = o.get("Fn::Sub") {
                if let Some(n) = sub(s) {
                    return n;
                }
            }
            Json::Object(o.iter().map(|(k, x)| (k.clone(), value(x))).collect())
        }
        Json::Object(o) => Json::Object(o.iter().map(|(k, x)| (k.clone(), value(x))).collect()),
        other => other.clone(),
    }
}

fn single(key: &str, v: Vec<Json>) -> Json {
    let mut m = Map::new();
    m.insert(key.to_owned(), Json::Array(v));
    Json::Object(m)
}

enum SubToken<'a> {
    Lit(String),
    Var(&'a str),
}

/// Splits a `Fn::Sub` string into text and `${…}` variables (`${!x}` is the text `${x}`).
fn sub_parts(s: &str) -> Vec<SubToken<'_>> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if let Some(escaped) = name.strip_prefix('!') {
                    lit.push_str("${");
                    lit.push_str(escaped);
                    lit.push('}');
                } else {
                    if !lit.is_empty() {
                        out.push(SubToken::Lit(std::mem::take(&mut lit)));
                    }
                    out.push(SubToken::Var(name.trim()));
                }
                rest = &after[j + 1..];
            }
            None => {
                lit.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(SubToken::Lit(lit));
    }
    out
}

/// `Fn::Sub` as a list of parts: text, `Ref`, `Fn::GetAtt` or the value of a variable.
fn sub(s: &Json) -> Option<Json> {
    let (text, vars) = match s {
        Json::String(t) => (t.as_str(), None),
        Json::Array(a) if a.len() == 2 => (a[0].as_str()?, a[1].as_object()),
        _ => return None,
    };
    let mut parts: Vec<Json> = Vec::new();
    let push_lit = |parts: &mut Vec<Json>, l: &str| {
        if let Some(Json::String(prev)) = parts.last_mut() {
            prev.push_str(l);
        } else {
            parts.push(Json::String(l.to_owned()));
        }
    };
    for t in sub_parts(text) {
        match t {
            SubToken::Lit(l) => push_lit(&mut parts, &l),
            SubToken::Var(name) => {
                if let Some(v) = vars.and_then(|m| m.get(name)) {
                    match value(v) {
                        Json::String(l) => push_lit(&mut parts, &l),
                        other => parts.push(other),
                    }
                } else if let Some((id, attr)) = name.split_once('.') {
                    parts.push(single("Fn::GetAtt", vec![id.into(), attr.into()]));
                } else {
                    let mut m = Map::new();
                    m.insert("Ref".into(), name.into());
                    parts.push(Json::Object(m));
                }
            }
        }
    }
    match parts.as_slice() {
        [] => Some(Json::String(String::new())),
        [Json::String(l)] => Some(Json::String(l.clone())),
        _ => Some(single("Fn::Sub (parts)", parts)),
    }
}

fn show(v: Option<&Json>) -> String {
    match v {
        None => "absent".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 200 {
                let cut: String = s.chars().take(200).collect();
                format!("{cut}…")
            } else {
                s
            }
        }
    }
}

fn diff(a: &Json, b: &Json, path: &mut String, out: &mut Vec<Difference>) {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let len = path.len();
                path.push('/');
                path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => diff(l, r, path, out),
                    (l, r) => out.push(Difference {
                        path: path.clone(),
                        left: show(l),
                        right: show(r),
                    }),
                }
                path.truncate(len);
            }
        }
        (Json::Array(x), Json::Array(y)) if x.len() == y.len() => {
            for (i, (l, r)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                diff(l, r, path, out);
                path.truncate(len);
            }
        }
        _ if a == b => {}
        _ => out.push(Difference {
            path: if path.is_empty() {
                "/".into()
            } else {
                path.clone()
            },
            left: show(Some(a)),
            right: show(Some(b)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn same(a: Json, b: Json) {
        let d = compare(&a, &b);
        assert!(d.is_empty(), "expected equivalent, got {d:?}");
    }

    fn differ(a: Json, b: Json, path: &str) {
        let d = compare(&a, &b);
        assert!(
            d.iter().any(|d| d.path.starts_with(path)),
            "expected a difference at {path}, got {d:?}"
        );
    }

    fn q(props: Json) -> Json {
        json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": props}}})
    }

    #[test]
    fn key_order_is_not_a_difference() {
        let a: Json =
            serde_json::from_str(r#"{"Resources":{"Q":{"Type":"T","Properties":{"A":1,"B":2}}}}"#)
                .unwrap_or_default();
        let b: Json = serde_json::from_str(
            r#"{ "Resources" : { "Q" : { "Properties" : { "B" : 2 , "A" : 1 }, "Type" : "T" } } }"#,
        )
        .unwrap_or_default();
        same(a, b);
    }

    #[test]
    fn coerced_scalars_are_equal_and_other_scalars_are_not() {
        same(
            q(json!({"DelaySeconds": "80"})),
            q(json!({"DelaySeconds": 80})),
        );
        same(
            q(json!({"FifoQueue": "true"})),
            q(json!({"FifoQueue": true})),
        );
        same(q(json!({"X": 1.0})), q(json!({"X": 1})));
        differ(
            q(json!({"DelaySeconds": "80"})),
            q(json!({"DelaySeconds": 81})),
            "/Resources/Q/Properties/DelaySeconds",
        );
        differ(
            q(json!({"FifoQueue": "True"})),
            q(json!({"FifoQueue": true})),
            "/Resources/Q/Properties/FifoQueue",
        );
    }

    #[test]
    fn long_and_short_forms_of_get_att_and_sub_are_equal() {
        same(
            q(json!({"A": {"Fn::GetAtt": "B.Arn"}})),
            q(json!({"A": {"Fn::GetAtt": ["B", "Arn"]}})),
        );
        same(
            q(json!({"A": {"Fn::Sub": "arn:${AWS::Partition}:s3:::${B}/${B.Arn}"}})),
            q(
                json!({"A": {"Fn::Sub": ["arn:${AWS::Partition}:s3:::${B}/${X}", {"X": {"Fn::GetAtt": ["B", "Arn"]}}]}}),
            ),
        );
        same(
            q(json!({"A": {"Fn::Sub": "plain ${!Literal}"}})),
            q(json!({"A": "plain ${Literal}"})),
        );
        differ(
            q(json!({"A": {"Fn::Sub": "${B}"}})),
            q(json!({"A": {"Fn::Sub": "${C}"}})),
            "/Resources/Q/Properties/A",
        );
    }

    #[test]
    fn depends_on_is_a_set_and_implied_entries_are_dropped() {
        let a = json!({"Resources": {"Q": {"Type": "T", "DependsOn": "B", "Properties": {"X": {"Ref": "B"}}}}});
        let b = json!({"Resources": {"Q": {"Type": "T", "Properties": {"X": {"Ref": "B"}}}}});
        same(a, b);
        let a = json!({"Resources": {"Q": {"Type": "T", "DependsOn": ["C", "B"]}}});
        let b = json!({"Resources": {"Q": {"Type": "T", "DependsOn": ["B", "C"]}}});
        same(a, b);
        let a = json!({"Resources": {"Q": {"Type": "T", "DependsOn": "C"}}});
        let b = json!({"Resources": {"Q": {"Type": "T"}}});
        differ(a, b, "/Resources/Q/DependsOn");
    }

    #[test]
    fn a_default_description_is_accepted_only_when_the_source_has_none() {
        same(
            json!({"Resources": {}}),
            json!({"AWSTemplateFormatVersion": "2010-09-09", "Description": "x (synthesized by stackforge)", "Resources": {}}),
        );
        differ(
            json!({"Description": "mine", "Resources": {}}),
            json!({"Description": "other", "Resources": {}}),
            "/Description",
        );
    }

    #[test]
    fn a_missing_resource_property_or_output_is_a_difference() {
        differ(q(json!({"A": 1})), q(json!({})), "/Resources/Q/Properties");
        differ(
            json!({"Resources": {}, "Outputs": {"O": {"Value": "x"}}}),
            json!({"Resources": {}}),
            "/Outputs",
        );
        differ(
            json!({"Resources": {}, "Transform": "AWS::Serverless-2016-10-31"}),
            json!({"Resources": {}}),
            "/Transform",
        );
        same(
            json!({"Resources": {}, "Transform": "AWS::LanguageExtensions"}),
            json!({"Resources": {}, "Transform": ["AWS::LanguageExtensions"]}),
        );
    }
}
