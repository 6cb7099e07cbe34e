//! Template assertions for your own tests, in the GIVEN/WHEN/THEN style of the CDK's
//! `assertions` module.
//!
//! ```
//! use serde_json::json;
//! use stackforge::{App, Raw, testing::{self, Template}};
//!
//! let app = App::new();
//! let mut s = app.stack("web");
//! let logs = s.add_raw("Logs", Raw::new("AWS::Logs::LogGroup").prop("RetentionInDays", json!(30)));
//! s.add_raw("Stream", Raw::new("AWS::Logs::LogStream")
//!     .prop("LogGroupName", logs.reference())
//!     .prop("LogStreamName", stackforge::sub!(logs.reference(), "-main")));
//! let t = Template::from_app(&app, "web").unwrap();
//! t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
//! t.has_resource_properties("AWS::Logs::LogGroup", json!({"RetentionInDays": 30})).unwrap();
//! // Expectations built from handles, with no logical IDs or Sub variables spelled out.
//! t.has_resource_properties("AWS::Logs::LogStream", json!({
//!     "LogGroupName": testing::reference(&app, logs),
//!     "LogStreamName": testing::sub([testing::reference(&app, logs), json!("-main")]),
//! })).unwrap();
//! ```
//!
//! Expected values are JSON *subsets*: an object matches when every expected key matches
//! (other keys are ignored); arrays must match item for item. Markers loosen that:
//! - `{"$arrayWith": [a, b]}`: an array containing items that match `a` and `b`;
//! - `{"$every": p}`: a non-empty array whose every item matches `p`;
//! - `{"$absent": true}`: a missing key; `{"$any": true}`: any present value;
//! - `{"$sub": [parts…]}` ([`sub`]): an `Fn::Sub` whose text and values, read in order, are
//!   these parts, however the template spells them (`${Db.Arn}` or a Sub variable).
//!
//! Any expected `Fn::Sub` is compared the same way, so a test never names a Sub variable.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value as Json;

use crate::app::App;
use crate::resource::Handle;

/// Why an assertion failed: what was looked for and every difference of the closest match.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AssertionError {
    /// What was expected, in words.
    pub expected: String,
    /// The closest candidate (a logical ID), if any.
    pub closest: Option<String>,
    /// Each difference as `path: reason`.
    pub differences: Vec<String>,
}

impl fmt::Display for AssertionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expected)?;
        if let Some(c) = &self.closest {
            write!(f, "; the closest is {c}, which differs at:")?;
        }
        for d in &self.differences {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AssertionError {}

impl AssertionError {
    fn plain(message: impl Into<String>) -> Self {
        AssertionError {
            expected: message.into(),
            closest: None,
            differences: Vec::new(),
        }
    }
}

/// The expectation `{"Ref": <logical ID>}` for a resource of `app`, from its handle.
pub fn reference<R>(app: &App, h: Handle<R>) -> Json {
    serde_json::json!({ "Ref": app.logical_id(h).unwrap_or_default() })
}

/// The expectation `{"Fn::GetAtt": [<logical ID>, attr]}` from a handle.
pub fn get_att<R>(app: &App, h: Handle<R>, attribute: &str) -> Json {
    serde_json::json!({ "Fn::GetAtt": [app.logical_id(h).unwrap_or_default(), attribute] })
}

/// The expectation `{"Fn::ImportValue": <export>}` for a stack that uses a resource of
/// another stack (its `Ref` when `attribute` is `None`).
pub fn import<R>(app: &App, h: Handle<R>, attribute: Option<&str>) -> Json {
    let stack = app.stack_name_of(h).unwrap_or_default();
    let id = app.logical_id(h).unwrap_or_default();
    let name = match attribute {
        None => format!("{stack}:{id}"),
        Some(a) => {
            let dashed: String = a
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            format!("{stack}:{id}:{dashed}")
        }
    };
    serde_json::json!({ "Fn::ImportValue": name })
}

/// The expectation of an `Fn::Sub` by its parts in order: strings are literal text, anything
/// else a value (`reference(…)`, `get_att(…)`, `import(…)`, a pseudo parameter
/// `{"Ref": "AWS::Region"}`).
pub fn sub(parts: impl IntoIterator<Item = Json>) -> Json {
    serde_json::json!({ "$sub": parts.into_iter().collect::<Vec<_>>() })
}

/// A synthesized template to assert on.
#[derive(Debug, Clone)]
pub struct Template {
    json: Json,
}

impl Template {
    /// Wraps template JSON.
    pub fn from_json(json: Json) -> Self {
        Template { json }
    }

    /// Synthesizes `app` and takes the stack called `stack` (full name).
    pub fn from_app(app: &App, stack: &str) -> Result<Self, AssertionError> {
        let a = app
            .synth()
            .map_err(|e| AssertionError::plain(format!("synth failed: {e}")))?;
        a.stack(stack)
            .map(|s| Template::from_json(s.template.clone()))
            .ok_or_else(|| {
                AssertionError::plain(format!(
                    "no stack `{stack}`; the app has {}",
                    a.stacks
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    /// The template JSON.
    pub fn json(&self) -> &Json {
        &self.json
    }

    /// `(logical ID, resource)` of every resource of a type, sorted by logical ID.
    pub fn resources_of_type(&self, type_name: &str) -> Vec<(&str, &Json)> {
        self.json
            .get("Resources")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, r)| r.get("Type").and_then(Json::as_str) == Some(type_name))
                    .map(|(k, v)| (k.as_str(), v))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The resource with a logical ID.
    pub fn resource(&self, logical_id: &str) -> Option<&Json> {
        self.json.get("Resources").and_then(|r| r.get(logical_id))
    }

    /// Exactly `n` resources of a type.
    pub fn resource_count_is(&self, type_name: &str, n: usize) -> Result<(), AssertionError> {
        let found = self.resources_of_type(type_name);
        if found.len() == n {
            Ok(())
        } else {
            Err(AssertionError::plain(format!(
                "expected {n} resource(s) of type {type_name}, found {}: {}",
                found.len(),
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            )))
        }
    }

    /// Some resource of the type has `Properties` matching `expected`; returns its logical ID.
    /// The error names the closest resource and every difference.
    pub fn has_resource_properties(
        &self,
        type_name: &str,
        expected: Json,
    ) -> Result<String, AssertionError> {
        self.matching(type_name, &serde_json::json!({ "Properties": expected }))
    }

    /// Some resource of the type matches `expected` as a whole (for `DeletionPolicy`,
    /// `DependsOn`, `Metadata`, …); returns its logical ID.
    pub fn has_resource(&self, type_name: &str, expected: Json) -> Result<String, AssertionError> {
        self.matching(type_name, &expected)
    }

    /// Every logical ID of the type whose resource matches `expected` as a whole.
    pub fn find_resources(&self, type_name: &str, expected: &Json) -> Vec<String> {
        self.resources_of_type(type_name)
            .into_iter()
            .filter(|(_, r)| mismatches(expected, r, "").is_empty())
            .map(|(k, _)| k.to_owned())
            .collect()
    }

    /// The closest miss is the candidate with the fewest differences at identifying places
    /// (`Ref`/`GetAtt` targets, `Roles`, names), then the fewest differences overall, then the
    /// first logical ID: a policy of the expected role is shown before another role's policy
    /// that happens to differ less.
    fn matching(&self, type_name: &str, expected: &Json) -> Result<String, AssertionError> {
        let candidates = self.resources_of_type(type_name);
        if candidates.is_empty() {
            return Err(AssertionError::plain(format!(
                "no resource of type {type_name} in the template"
            )));
        }
        let mut best: Option<((usize, usize), &str, Vec<String>)> = None;
        for (id, r) in candidates {
            let m = mismatches(expected, r, "");
            if m.is_empty() {
                return Ok(id.to_owned());
            }
            let identifying = m.iter().filter(|d| is_identifying(d)).count();
            let rank = (identifying, m.len());
            if best.as_ref().is_none_or(|(b, _, _)| rank < *b) {
                best = Some((rank, id, m));
            }
        }
        let (_, id, m) = best.unwrap_or_default();
        Err(AssertionError {
            expected: format!("no {type_name} matches"),
            closest: Some(id.to_owned()),
            differences: m,
        })
    }

    /// The output with an id matches `expected` (`{"Value": …, "Export": …}`).
    pub fn has_output(&self, id: &str, expected: Json) -> Result<(), AssertionError> {
        match self.json.get("Outputs").and_then(|o| o.get(id)) {
            None => Err(AssertionError::plain(format!("no output `{id}`"))),
            Some(o) => {
                let m = mismatches(&expected, o, "");
                if m.is_empty() {
                    Ok(())
                } else {
                    Err(AssertionError {
                        expected: format!("output `{id}` does not match"),
                        closest: Some(id.to_owned()),
                        differences: m,
                    })
                }
            }
        }
    }

    /// The `Allow` statements that apply to a role: its inline `Policies` and every
    /// `AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` that names it (`{"Ref": role}`), as
    /// `(action, resource)` pairs (the resource as canonical JSON text).
    pub fn role_permissions(&self, role_logical_id: &str) -> BTreeSet<(String, String)> {
        let role_ref = serde_json::json!({ "Ref": role_logical_id });
        let mut docs: Vec<&Json> = Vec::new();
        if let Some(role) = self.resource(role_logical_id) {
            if let Some(list) = role
                .pointer("/Properties/Policies")
                .and_then(Json::as_array)
            {
                docs.extend(list.iter().filter_map(|p| p.get("PolicyDocument")));
            }
        }
        for ty in ["AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"] {
            for (_, p) in self.resources_of_type(ty) {
                let names = p
                    .pointer("/Properties/Roles")
                    .and_then(Json::as_array)
                    .is_some_and(|roles| roles.contains(&role_ref));
                if names {
                    docs.extend(p.pointer("/Properties/PolicyDocument"));
                }
            }
        }
        let as_list = |v: Option<&Json>| -> Vec<Json> {
            match v {
                Some(Json::Array(a)) => a.clone(),
                Some(other) => vec![other.clone()],
                None => Vec::new(),
            }
        };
        let mut out = BTreeSet::new();
        for doc in docs {
            for st in as_list(doc.get("Statement")) {
                if st.get("Effect").and_then(Json::as_str) != Some("Allow") {
                    continue;
                }
                for a in as_list(st.get("Action")) {
                    for r in as_list(st.get("Resource")) {
                        out.insert((a.as_str().unwrap_or_default().to_owned(), canonical(&r)));
                    }
                }
            }
        }
        out
    }

    /// The role's `Allow` statements grant exactly these actions on these resources, nothing
    /// more and nothing less. Each entry is `(actions, resources)`: every action is allowed on
    /// every resource of its entry.
    pub fn role_allows_exactly(
        &self,
        role_logical_id: &str,
        expected: &[(&[&str], &[Json])],
    ) -> Result<(), AssertionError> {
        let want: BTreeSet<(String, String)> = expected
            .iter()
            .flat_map(|(actions, resources)| {
                actions.iter().flat_map(move |a| {
                    resources
                        .iter()
                        .map(move |r| ((*a).to_owned(), canonical(r)))
                })
            })
            .collect();
        let have = self.role_permissions(role_logical_id);
        if want == have {
            return Ok(());
        }
        let mut differences: Vec<String> = have
            .difference(&want)
            .map(|(a, r)| format!("allowed but not expected: {a} on {r}"))
            .collect();
        differences.extend(
            want.difference(&have)
                .map(|(a, r)| format!("expected but not allowed: {a} on {r}")),
        );
        Err(AssertionError {
            expected: format!(
                "role {role_logical_id} does not have exactly the expected permissions"
            ),
            closest: None,
            differences,
        })
    }

    /// True if `needle` occurs in any string of the template (to prove a secret is absent).
    pub fn contains_string(&self, needle: &str) -> bool {
        fn walk(v: &Json, needle: &str) -> bool {
            match v {
                Json::String(s) => s.contains(needle),
                Json::Array(a) => a.iter().any(|x| walk(x, needle)),
                Json::Object(o) => o.iter().any(|(k, x)| k.contains(needle) || walk(x, needle)),
                _ => false,
            }
        }
        walk(&self.json, needle)
    }
}

/// A resource as comparable text: `Fn::Sub` normalized, keys sorted.
fn canonical(v: &Json) -> String {
    let mut v = normalize_sub(v);
    v.sort_all_objects();
    v.to_string()
}

/// A difference at a place that identifies what a resource is about.
fn is_identifying(difference: &str) -> bool {
    let path = difference.split(':').next().unwrap_or_default();
    [
        "Ref",
        "Fn::GetAtt",
        "Roles",
        "Name",
        "Type",
        "Fn::ImportValue",
    ]
    .iter()
    .any(|k| path.contains(k))
}

/// An `Fn::Sub` as `{"$sub": [parts]}`: literal text runs and values, with `${Id}`,
/// `${Id.Attr}` and Sub variables resolved; anything else unchanged (recursively).
fn normalize_sub(v: &Json) -> Json {
    match v {
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
            let (text, vars) = match &o["Fn::Sub"] {
                Json::String(s) => (s.as_str(), None),
                Json::Array(a) if a.len() == 2 => {
                    (a[0].as_str().unwrap_or_default(), a[1].as_object())
                }
                _ => return v.clone(),
            };
            let mut parts: Vec<Json> = Vec::new();
            let mut lit = String::new();
            let mut rest = text;
            while let Some(start) = rest.find("${") {
                lit.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                if let Some(stripped) = after.strip_prefix('!') {
                    lit.push_str("${");
                    rest = stripped;
                    continue;
                }
                let Some(end) = after.find('}') else {
                    lit.push_str(&rest[start..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                let value = match vars.and_then(|m| m.get(name)) {
                    Some(val) => normalize_sub(val),
                    None => match name.split_once('.') {
                        Some((id, attr)) => serde_json::json!({"Fn::GetAtt": [id, attr]}),
                        None => serde_json::json!({"Ref": name}),
                    },
                };
                if !lit.is_empty() {
                    parts.push(Json::String(std::mem::take(&mut lit)));
                }
                parts.push(value);
                rest = &after[end + 1..];
            }
            lit.push_str(rest);
            if !lit.is_empty() {
                parts.push(Json::String(lit));
            }
            serde_json::json!({ "$sub": parts })
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("$sub") => {
            // Merge adjacent literal parts so `["a", "b"]` equals `["ab"]`.
            let mut parts: Vec<Json> = Vec::new();
            for p in o["$sub"].as_array().cloned().unwrap_or_default() {
                match (parts.last_mut(), &p) {
                    (Some(Json::String(prev)), Json::String(s)) => prev.push_str(s),
                    (_, Json::String(s)) if s.is_empty() => {}
                    _ => parts.push(normalize_sub(&p)),
                }
            }
            serde_json::json!({ "$sub": parts })
        }
        Json::Object(o) => Json::Object(
            o.iter()
                .map(|(k, x)| (k.clone(), normalize_sub(x)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(normalize_sub).collect()),
        other => other.clone(),
    }
}

/// Every place where `actual` does not match the `expected` subset, as `path: reason`.
pub fn mismatches(expected: &Json, actual: &Json, path: &str) -> Vec<String> {
    let here = if path.is_empty() { "<root>" } else { path };
    match expected {
        Json::Object(e) if e.contains_key("$any") => Vec::new(),
        Json::Object(e)
            if e.len() == 1 && (e.contains_key("$sub") || e.contains_key("Fn::Sub")) =>
        {
            let (want, have) = (normalize_sub(expected), normalize_sub(actual));
            if want == have {
                Vec::new()
            } else {
                vec![format!(
                    "{here}: expected {}, found {}",
                    short(expected),
                    short(actual)
                )]
            }
        }
        Json::Object(e) if e.contains_key("$every") => {
            let Some(items) = actual.as_array().filter(|a| !a.is_empty()) else {
                return vec![format!(
                    "{here}: expected a non-empty array, found {}",
                    short(actual)
                )];
            };
            items
                .iter()
                .enumerate()
                .flat_map(|(i, a)| mismatches(&e["$every"], a, &format!("{path}[{i}]")))
                .collect()
        }
        Json::Object(e) if e.contains_key("$arrayWith") => {
            let Some(items) = actual.as_array() else {
                return vec![format!(
                    "{here}: expected an array, found {}",
                    short(actual)
                )];
            };
            let wanted = e["$arrayWith"].as_array().cloned().unwrap_or_default();
            wanted
                .iter()
                .filter(|w| !items.iter().any(|a| mismatches(w, a, path).is_empty()))
                .map(|w| format!("{here}: no item matches {}", short(w)))
                .collect()
        }
        Json::Object(e) => {
            let Some(a) = actual.as_object() else {
                return vec![format!(
                    "{here}: expected an object, found {}",
                    short(actual)
                )];
            };
            let mut out = Vec::new();
            for (k, ev) in e {
                let p = format!("{path}{}{k}", if path.is_empty() { "" } else { "." });
                let absent = ev.get("$absent").is_some();
                match (a.get(k), absent) {
                    (None, true) => {}
                    (Some(v), true) => {
                        out.push(format!("{p}: expected absent, found {}", short(v)))
                    }
                    (None, false) => out.push(format!("{p}: missing (expected {})", short(ev))),
                    (Some(v), false) => out.extend(mismatches(ev, v, &p)),
                }
            }
            out
        }
        Json::Array(e) => {
            let Some(a) = actual.as_array() else {
                return vec![format!(
                    "{here}: expected an array, found {}",
                    short(actual)
                )];
            };
            if a.len() != e.len() {
                return vec![format!(
                    "{here}: expected {} item(s), found {}: {}",
                    e.len(),
                    a.len(),
                    short(actual)
                )];
            }
            e.iter()
                .zip(a)
                .enumerate()
                .flat_map(|(i, (ev, av))| mismatches(ev, av, &format!("{path}[{i}]")))
                .collect()
        }
        _ => {
            if expected == actual {
                Vec::new()
            } else {
                vec![format!(
                    "{here}: expected {}, found {}",
                    short(expected),
                    short(actual)
                )]
            }
        }
    }
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}
