//! Template assertions for your own tests, in the GIVEN/WHEN/THEN style of the CDK's
//! `assertions` module.
//!
//! ```
//! use serde_json::json;
//! use stackforge::{App, Raw, testing::Template};
//!
//! let mut app = App::new();
//! app.stack("web").add_raw("Logs", Raw::new("AWS::Logs::LogGroup").prop("RetentionInDays", json!(30)));
//! let t = Template::from_app(&app, "web").unwrap();
//! t.resource_count_is("AWS::Logs::LogGroup", 1).unwrap();
//! t.has_resource_properties("AWS::Logs::LogGroup", json!({"RetentionInDays": 30})).unwrap();
//! ```
//!
//! Expected values are JSON *subsets*: an object matches when every expected key matches
//! (other keys are ignored); arrays must match item for item. Three markers loosen that:
//! `{"$arrayWith": [a, b]}` matches an array containing items that match `a` and `b`;
//! `{"$absent": true}` matches a missing key; `{"$any": true}` matches any present value.

use serde_json::Value as Json;

use crate::app::App;

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
    pub fn from_app(app: &App, stack: &str) -> Result<Self, String> {
        let a = app.synth().map_err(|e| e.to_string())?;
        a.stack(stack)
            .map(|s| Template::from_json(s.template.clone()))
            .ok_or_else(|| {
                format!(
                    "no stack `{stack}`; the app has {}",
                    a.stacks
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
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
    pub fn resource_count_is(&self, type_name: &str, n: usize) -> Result<(), String> {
        let found = self.resources_of_type(type_name);
        if found.len() == n {
            Ok(())
        } else {
            Err(format!(
                "expected {n} resource(s) of type {type_name}, found {}: {}",
                found.len(),
                found.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
            ))
        }
    }

    /// Some resource of the type has `Properties` matching `expected`; returns its logical ID.
    /// The error names the closest resource and every difference.
    pub fn has_resource_properties(
        &self,
        type_name: &str,
        expected: Json,
    ) -> Result<String, String> {
        self.matching(type_name, &serde_json::json!({ "Properties": expected }))
    }

    /// Some resource of the type matches `expected` as a whole (for `DeletionPolicy`,
    /// `DependsOn`, `Metadata`, …); returns its logical ID.
    pub fn has_resource(&self, type_name: &str, expected: Json) -> Result<String, String> {
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

    fn matching(&self, type_name: &str, expected: &Json) -> Result<String, String> {
        let candidates = self.resources_of_type(type_name);
        if candidates.is_empty() {
            return Err(format!("no resource of type {type_name} in the template"));
        }
        let mut best: Option<(&str, Vec<String>)> = None;
        for (id, r) in candidates {
            let m = mismatches(expected, r, "");
            if m.is_empty() {
                return Ok(id.to_owned());
            }
            if best.as_ref().is_none_or(|(_, b)| m.len() < b.len()) {
                best = Some((id, m));
            }
        }
        let (id, m) = best.unwrap_or_default();
        Err(format!(
            "no {type_name} matches; the closest is {id}, which differs at:\n  {}",
            m.join("\n  ")
        ))
    }

    /// The output with an id matches `expected` (`{"Value": …, "Export": …}`).
    pub fn has_output(&self, id: &str, expected: Json) -> Result<(), String> {
        match self.json.get("Outputs").and_then(|o| o.get(id)) {
            None => Err(format!("no output `{id}`")),
            Some(o) => {
                let m = mismatches(&expected, o, "");
                if m.is_empty() {
                    Ok(())
                } else {
                    Err(format!("output `{id}` differs at:\n  {}", m.join("\n  ")))
                }
            }
        }
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

/// Every place where `actual` does not match the `expected` subset, as `path: reason`.
pub fn mismatches(expected: &Json, actual: &Json, path: &str) -> Vec<String> {
    let here = if path.is_empty() { "<root>" } else { path };
    match expected {
        Json::Object(e) if e.contains_key("$any") => Vec::new(),
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
