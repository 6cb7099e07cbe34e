//! Reading CloudFormation values the way the report needs them: which resources a value
//! refers to (within a stack, and across stacks through exports), and a short text for one.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use stackforge::assembly::LoadedStack;

/// A resource of the assembly: its stack's index (deploy order) and its logical ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// The stack's index in deploy order.
    pub stack: usize,
    /// The logical ID.
    pub id: String,
}

/// One resource of one template.
#[derive(Debug, Clone, Copy)]
pub struct Res<'a> {
    /// The stack's index.
    pub stack: usize,
    /// The logical ID.
    pub id: &'a str,
    /// `AWS::EC2::VPC`, …
    pub ty: &'a str,
    /// The `Properties` object (`Null` when absent).
    pub props: &'a Json,
    /// The `Metadata` object (`Null` when absent).
    pub meta: &'a Json,
}

impl Res<'_> {
    /// The resource's key.
    pub fn key(&self) -> Key {
        Key {
            stack: self.stack,
            id: self.id.to_owned(),
        }
    }
    /// A property.
    pub fn prop(&self, name: &str) -> &Json {
        self.props.get(name).unwrap_or(&Json::Null)
    }
}

static NULL: Json = Json::Null;

/// Every resource of every stack, with the exports that join them.
pub struct Assembly<'a> {
    /// The stacks, in deploy order.
    pub stacks: Vec<&'a LoadedStack>,
    /// Every resource, by key (stack order, then logical ID).
    pub resources: BTreeMap<Key, Res<'a>>,
    /// Export name → the producing stack and the output's value.
    exports: BTreeMap<String, (usize, &'a Json)>,
}

impl<'a> Assembly<'a> {
    /// Indexes the stacks.
    pub fn new(stacks: Vec<&'a LoadedStack>) -> Self {
        let mut resources = BTreeMap::new();
        let mut exports = BTreeMap::new();
        for (i, s) in stacks.iter().enumerate() {
            if let Some(rs) = s.template.get("Resources").and_then(Json::as_object) {
                for (id, r) in rs {
                    let res = Res {
                        stack: i,
                        id,
                        ty: r.get("Type").and_then(Json::as_str).unwrap_or(""),
                        props: r.get("Properties").unwrap_or(&NULL),
                        meta: r.get("Metadata").unwrap_or(&NULL),
                    };
                    resources.insert(res.key(), res);
                }
            }
            if let Some(outs) = s.template.get("Outputs").and_then(Json::as_object) {
                for o in outs.values() {
                    let name = o
                        .get("Export")
                        .and_then(|e| e.get("Name"))
                        .and_then(|n| literal_text(n, s.name()));
                    if let (Some(name), Some(v)) = (name, o.get("Value")) {
                        exports.insert(name, (i, v));
                    }
                }
            }
        }
        Assembly {
            stacks,
            resources,
            exports,
        }
    }

    /// The resource with this key.
    pub fn get(&self, k: &Key) -> Option<&Res<'a>> {
        self.resources.get(k)
    }

    /// Resources of one type, in key order.
    pub fn of_type<'s>(&'s self, ty: &'s str) -> impl Iterator<Item = &'s Res<'a>> + 's {
        self.resources.values().filter(move |r| r.ty == ty)
    }

    /// The display name of a resource: its logical ID, prefixed with its stack when the
    /// assembly has several.
    pub fn name(&self, k: &Key) -> String {
        if self.stacks.len() > 1 {
            format!("{}/{}", self.stacks[k.stack].name(), k.id)
        } else {
            k.id.clone()
        }
    }

    /// The export named `name`, if a stack of this assembly makes it.
    pub fn export(&self, name: &str) -> Option<(usize, &'a Json)> {
        self.exports.get(name).copied()
    }

    /// The one resource `v` stands for: `Ref`, `Fn::GetAtt`, or `Fn::ImportValue` of an
    /// export of this assembly whose value is one of those.
    pub fn target(&self, stack: usize, v: &Json) -> Option<Key> {
        self.target_depth(stack, v, 0)
    }

    fn target_depth(&self, stack: usize, v: &Json, depth: u8) -> Option<Key> {
        let o = v.as_object()?;
        if o.len() != 1 || depth > 8 {
            return None;
        }
        let id = if let Some(r) = o.get("Ref").and_then(Json::as_str) {
            r.to_owned()
        } else if let Some(g) = o.get("Fn::GetAtt") {
            match g {
                Json::Array(a) => a.first()?.as_str()?.to_owned(),
                Json::String(s) => s.split('.').next()?.to_owned(),
                _ => return None,
            }
        } else if let Some(name) = o.get("Fn::ImportValue") {
            let name = literal_text(name, self.stacks[stack].name())?;
            let (producer, value) = self.export(&name)?;
            return self.target_depth(producer, value, depth + 1);
        } else {
            return None;
        };
        let k = Key { stack, id };
        self.resources.contains_key(&k).then_some(k)
    }

    /// The resources `v` stands for, as a list (`[Ref A, Ref B]`) or one value.
    pub fn targets(&self, stack: usize, v: &Json) -> Vec<Key> {
        match v {
            Json::Array(a) => a.iter().filter_map(|x| self.target(stack, x)).collect(),
            other => self.target(stack, other).into_iter().collect(),
        }
    }

    /// Every resource `v` refers to anywhere inside it (`Ref`, `Fn::GetAtt`, `${X}` in
    /// `Fn::Sub`, imports of this assembly's exports), sorted and without repeats.
    pub fn refs(&self, stack: usize, v: &Json) -> Vec<Key> {
        let mut out = Vec::new();
        let mut todo = vec![v];
        while let Some(v) = todo.pop() {
            match v {
                Json::Array(a) => todo.extend(a.iter()),
                Json::Object(o) => {
                    if let Some(k) = self.target(stack, v) {
                        out.push(k);
                        continue;
                    }
                    if let Some(sub) = o.get("Fn::Sub") {
                        let text = match sub {
                            Json::String(s) => Some(s.as_str()),
                            Json::Array(a) => {
                                if let Some(vars) = a.get(1) {
                                    todo.push(vars);
                                }
                                a.first().and_then(Json::as_str)
                            }
                            _ => None,
                        };
                        for name in text.map(sub_names).unwrap_or_default() {
                            let k = Key {
                                stack,
                                id: name.to_owned(),
                            };
                            if self.resources.contains_key(&k) {
                                out.push(k);
                            }
                        }
                        continue;
                    }
                    todo.extend(o.values());
                }
                _ => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// The resource names in a `Fn::Sub` string: `${X}` and `${X.Attr}`, not `${!X}` nor
/// pseudo parameters.
fn sub_names(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = &rest[..end];
        if !inner.starts_with('!') && !inner.starts_with("AWS::") {
            out.push(inner.split('.').next().unwrap_or(inner));
        }
        rest = &rest[end..];
    }
    out
}

/// A string value known at synth: a literal, or `Fn::Sub` whose only variable is
/// `${AWS::StackName}`.
pub fn literal_text(v: &Json, stack_name: &str) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Object(o) if o.len() == 1 => {
            let s = o.get("Fn::Sub")?.as_str()?;
            let replaced = s.replace("${AWS::StackName}", stack_name);
            (!replaced.contains("${")).then_some(replaced)
        }
        _ => None,
    }
}

/// A short text for a value: literals as they are, `Ref X` as `X`, `GetAtt X.A` as `X.A`,
/// `Fn::Sub` as its string, an import as `import NAME`, anything else as compact JSON.
pub fn show(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(a) => a.iter().map(show).collect::<Vec<_>>().join(", "),
        Json::Object(o) if o.len() == 1 => {
            let (k, x) = o
                .iter()
                .next()
                .map(|(k, x)| (k.as_str(), x))
                .unwrap_or(("", v));
            match (k, x) {
                ("Ref", Json::String(s)) => s.clone(),
                ("Fn::GetAtt", Json::Array(a)) => a.iter().map(show).collect::<Vec<_>>().join("."),
                ("Fn::GetAtt", Json::String(s)) => s.clone(),
                ("Fn::Sub", Json::String(s)) => s.clone(),
                ("Fn::Sub", Json::Array(a)) => a.first().map(show).unwrap_or_default(),
                ("Fn::ImportValue", x) => format!("import {}", show(x)),
                ("Fn::Join", Json::Array(a)) => {
                    let sep = a.first().and_then(Json::as_str).unwrap_or("");
                    match a.get(1) {
                        Some(Json::Array(parts)) => {
                            parts.iter().map(show).collect::<Vec<_>>().join(sep)
                        }
                        _ => v.to_string(),
                    }
                }
                _ => v.to_string(),
            }
        }
        Json::Object(_) => v.to_string(),
    }
}

/// An integer property: a number, or a string of digits (CloudFormation accepts both).
pub fn int(v: &Json) -> Option<i64> {
    match v {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A boolean property: `true`/`false` or their strings.
pub fn boolean(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A value that may be one item or a list of them, as a list.
pub fn list(v: &Json) -> Vec<&Json> {
    match v {
        Json::Array(a) => a.iter().collect(),
        Json::Null => Vec::new(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sub_names_skip_pseudo_parameters_and_escapes() {
        assert_eq!(
            sub_names("${A}:${B.Arn}/${AWS::Region}/${!Literal}"),
            ["A", "B"]
        );
    }

    #[test]
    fn show_is_short() {
        assert_eq!(show(&json!({"Ref": "X"})), "X");
        assert_eq!(show(&json!({"Fn::GetAtt": ["X", "Arn"]})), "X.Arn");
        assert_eq!(show(&json!({"Fn::ImportValue": "a:b"})), "import a:b");
        assert_eq!(show(&json!(["a", 1])), "a, 1");
    }
}
