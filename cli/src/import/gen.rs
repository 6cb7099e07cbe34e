//! Template → Rust source. Every Rust name (module, struct, field, nested type, enum and
//! variant, attribute accessor) comes from stackforge-codegen's model of the type, so the
//! code follows the generator's naming wherever it changes.
//!
//! What the typed model cannot express falls back, one value at a time, to the nearest
//! escape hatch, and each fallback is counted in [`Summary`] and commented in the code:
//! an optional property that does not fit its type becomes an override with its JSON; a
//! resource whose required properties do not fit, or whose type is not generated, becomes a
//! `Raw` resource.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::{Map, Value as Json};
use stackforge_codegen::model::{Field, Marker, StructDef, Ty, TypeModel};
use stackforge_codegen::{names, Loaded};

/// What an import produced besides the code.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// Resources in the template.
    pub resources: usize,
    /// Resources added with their generated type.
    pub typed: usize,
    /// Resources added as `Raw`, with the reason for each (logical ID, type, why).
    pub raw: Vec<(String, String, String)>,
    /// Overrides written for values the type cannot hold (logical ID, path, why).
    pub overrides: Vec<(String, String, String)>,
    /// Values kept as JSON where a typed value was expected (where, why): conditions and
    /// outputs.
    pub untyped: Vec<(String, String)>,
    /// `Fn::GetAtt` of attributes the type does not list (read through `erase().get_att`).
    pub untyped_attributes: usize,
    /// `String` parameters that fill a boolean, number or enum property
    /// (`param.clone().coerce()`: CloudFormation converts the string).
    pub coerced: usize,
    /// Cargo features of `stackforge` the code needs.
    pub features: BTreeSet<String>,
}

impl Summary {
    /// The number of fallbacks of every kind.
    pub fn fallbacks(&self) -> usize {
        self.raw.len() + self.overrides.len() + self.untyped.len() + self.untyped_attributes
    }
}

/// Why a template cannot be imported.
#[derive(Debug, Clone)]
pub struct Unsupported(pub Vec<String>);

/// A parameter's Rust value type.
#[derive(Clone, Copy, PartialEq, Debug)]
enum PKind {
    Str,
    Int,
    Num,
    ListStr,
    ListNum,
}

#[derive(Clone, Copy)]
enum ResKind<'a> {
    Typed(&'a Loaded),
    Raw,
}

/// A piece of Rust code for a value, and whether it is already a `Val<T>` (else a literal
/// that converts with `.into()`).
struct Code {
    text: String,
    val: bool,
}

impl Code {
    fn lit(text: String) -> Self {
        Code { text, val: false }
    }
    fn val(text: String) -> Self {
        Code { text, val: true }
    }
    /// As a `Val<T>` expression.
    fn as_val(&self) -> String {
        if self.val {
            self.text.clone()
        } else {
            format!("Val::from({})", self.text)
        }
    }
    /// For an `Option<Val<T>>` field.
    fn some(&self) -> String {
        if self.val {
            format!("Some({})", self.text)
        } else if self.text.starts_with('-') {
            // `-1.into()` would be `-(1.into())`.
            format!("Some(({}).into())", self.text)
        } else {
            format!("Some({}.into())", self.text)
        }
    }
}

type R<T> = Result<T, String>;

const RESERVED: &[&str] = &[
    "s",
    "json",
    "fns",
    "pseudo",
    "sub",
    "build",
    "val",
    "tag",
    "output",
    "parameter",
    "rule",
    "raw",
    "policy",
    "scope",
    "btree_map",
];

/// The code generator for one template.
pub struct Gen<'a> {
    types: &'a BTreeMap<String, Loaded>,
    params: BTreeMap<String, PKind>,
    /// logical ID → (variable, kind) of resources already added.
    resources: BTreeMap<String, (String, ResKind<'a>)>,
    /// logical ID → variable of every resource (also those not added yet).
    resource_vars: BTreeMap<String, String>,
    param_vars: BTreeMap<String, String>,
    conditions: BTreeMap<String, String>,
    mappings: BTreeMap<String, String>,
    taken: BTreeSet<String>,
    summary: Summary,
    uses: BTreeSet<&'static str>,
    modules: BTreeSet<String>,
    /// Overrides of the resource being written: (path, JSON, why).
    pending: Vec<(Vec<String>, String, String)>,
    errors: Vec<String>,
    /// Variables used after they are defined (the rest are not bound).
    used: BTreeSet<String>,
}

fn lit_str(s: &str) -> String {
    format!("{s:?}")
}

fn is_intrinsic(v: &Json) -> Option<(&str, &Json)> {
    let o = v.as_object()?;
    if o.len() != 1 {
        return None;
    }
    let (k, x) = o.iter().next()?;
    (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then_some((k.as_str(), x))
}

fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Sub tokens: text (with `${!x}` unescaped) and variable names.
fn sub_tokens(s: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(j) => {
                let name = &after[..j];
                if let Some(esc) = name.strip_prefix('!') {
                    lit.push_str("${");
                    lit.push_str(esc);
                    lit.push('}');
                } else {
                    if !lit.is_empty() {
                        out.push((false, std::mem::take(&mut lit)));
                    }
                    out.push((true, name.trim().to_owned()));
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
        out.push((false, lit));
    }
    out
}

const PSEUDO: &[(&str, &str)] = &[
    ("AWS::AccountId", "pseudo::account_id()"),
    ("AWS::Region", "pseudo::region()"),
    ("AWS::Partition", "pseudo::partition()"),
    ("AWS::StackName", "pseudo::stack_name()"),
    ("AWS::StackId", "pseudo::stack_id()"),
    ("AWS::URLSuffix", "pseudo::url_suffix()"),
];

impl<'a> Gen<'a> {
    /// A generator over the loaded models of the template's types.
    pub fn new(types: &'a BTreeMap<String, Loaded>) -> Self {
        Gen {
            types,
            params: BTreeMap::new(),
            resources: BTreeMap::new(),
            resource_vars: BTreeMap::new(),
            param_vars: BTreeMap::new(),
            conditions: BTreeMap::new(),
            mappings: BTreeMap::new(),
            taken: RESERVED.iter().map(|s| (*s).to_owned()).collect(),
            summary: Summary::default(),
            uses: BTreeSet::new(),
            modules: BTreeSet::new(),
            pending: Vec::new(),
            errors: Vec::new(),
            used: BTreeSet::new(),
        }
    }

    fn var(&mut self, id: &str, suffix: &str) -> String {
        let base = format!("{}{suffix}", names::snake(id));
        let mut v = base.clone();
        let mut n = 2;
        while self.taken.contains(&v) {
            v = format!("{base}_{n}");
            n += 1;
        }
        self.taken.insert(v.clone());
        v
    }

    fn marker_rust(&mut self, loaded: &Loaded, m: &Marker) -> String {
        match m {
            Marker::Str => "String".into(),
            Marker::Int => "i64".into(),
            Marker::Num => "f64".into(),
            Marker::Bool => "bool".into(),
            Marker::Json => {
                self.uses.insert("Json");
                "Json".into()
            }
            Marker::Enum(i) => format!(
                "{}::{}::{}",
                loaded.module, loaded.model.submodule, loaded.model.enums[*i].name
            ),
            Marker::List(x) => {
                self.uses.insert("List");
                format!("List<{}>", self.marker_rust(loaded, x))
            }
        }
    }

    // ----- values -----

    /// A reference by name inside `Fn::Sub` or `Ref`: a pseudo parameter, a parameter or a
    /// resource added before.
    fn ref_code(&mut self, name: &str, want: &Marker) -> R<Code> {
        if name == "AWS::NoValue" {
            self.uses.insert("pseudo");
            let t = match want {
                Marker::Enum(_) => String::new(),
                m => format!("::<{}>", self.marker_plain(m)?),
            };
            return Ok(Code::val(format!("pseudo::no_value{t}()")));
        }
        if name == "AWS::NotificationARNs" {
            self.uses.insert("pseudo");
            return match want {
                Marker::List(x) if **x == Marker::Str => {
                    Ok(Code::val("pseudo::notification_arns()".into()))
                }
                _ => Err("AWS::NotificationARNs where a list is not expected".into()),
            };
        }
        if let Some((_, code)) = PSEUDO.iter().find(|(n, _)| *n == name) {
            self.uses.insert("pseudo");
            return match want {
                Marker::Str => Ok(Code::val((*code).into())),
                _ => Err(format!("`Ref {name}` where a {want:?} is expected")),
            };
        }
        if let Some(kind) = self.params.get(name).copied() {
            let v = self.param_vars[name].clone();
            self.used.insert(v.clone());
            return match (kind, want) {
                (PKind::Str, Marker::Str)
                | (PKind::Int, Marker::Int)
                | (PKind::Num, Marker::Num)
                | (PKind::ListStr, Marker::List(_))
                | (PKind::ListNum, Marker::List(_))
                    if kind != PKind::ListStr
                        || matches!(want, Marker::List(x) if **x == Marker::Str)
                        || kind == PKind::ListNum
                            && matches!(want, Marker::List(x) if **x == Marker::Num) =>
                {
                    Ok(Code::val(format!("{v}.clone()")))
                }
                (PKind::Int, Marker::Str) => Ok(Code::val(format!("{v}.to_text()"))),
                (PKind::Str, Marker::Bool | Marker::Int | Marker::Num | Marker::Enum(_)) => {
                    // CloudFormation converts the string; the template stays as it is.
                    self.summary.coerced += 1;
                    Ok(Code::val(format!("{v}.clone().coerce()")))
                }
                _ => Err(format!(
                    "parameter `{name}` ({kind:?}) where a {want:?} value is expected"
                )),
            };
        }
        if let Some((v, _)) = self.resources.get(name) {
            let v = v.clone();
            self.used.insert(v.clone());
            return match want {
                Marker::Str => Ok(Code::val(format!("{v}.reference()"))),
                _ => Err(format!("`Ref {name}` where a {want:?} is expected")),
            };
        }
        if self.resource_vars.contains_key(name) {
            return Err(format!(
                "`{name}` is referenced before it can be added (a reference cycle)"
            ));
        }
        Err(format!("`Ref {name}` names nothing in the template"))
    }

    fn get_att(&mut self, args: &Json, want: &Marker, generic: bool) -> R<Code> {
        let (id, attr) = match args {
            Json::Array(a) if a.len() == 2 => (
                a[0].as_str()
                    .ok_or("Fn::GetAtt with a computed logical ID")?,
                a[1].as_str()
                    .ok_or("Fn::GetAtt with a computed attribute name")?,
            ),
            Json::String(s) => s.split_once('.').ok_or("Fn::GetAtt without an attribute")?,
            _ => return Err("malformed Fn::GetAtt".into()),
        };
        let Some((v, kind)) = self.resources.get(id).cloned() else {
            return Err(format!(
                "Fn::GetAtt of `{id}`, which is not a resource added before"
            ));
        };
        self.used.insert(v.clone());
        let ty = if generic {
            "::<String>".to_owned()
        } else {
            let loaded = match kind {
                ResKind::Typed(l) => Some(l),
                ResKind::Raw => None,
            };
            match loaded {
                Some(l) => format!("::<{}>", self.marker_rust(l, want)),
                None => format!("::<{}>", self.marker_plain(want)?),
            }
        };
        match kind {
            ResKind::Typed(l) => {
                if let Some(a) = l.model.attrs.iter().find(|a| a.name == attr) {
                    if generic || &a.marker == want {
                        return Ok(Code::val(format!("{v}.{}()", a.method)));
                    }
                }
                self.summary.untyped_attributes += 1;
                Ok(Code::val(format!(
                    "{v}.erase().get_att{ty}({})",
                    lit_str(attr)
                )))
            }
            ResKind::Raw => Ok(Code::val(format!("{v}.get_att{ty}({})", lit_str(attr)))),
        }
    }

    /// `::<T>` for a generic intrinsic whose type the context may not fix (inside `sub!`,
    /// `json!` or an output).
    fn tfish(&mut self, want: &Marker, loaded: Option<&Loaded>) -> R<String> {
        let t = match loaded {
            Some(l) => self.marker_rust(l, want),
            None => self.marker_plain(want)?,
        };
        Ok(format!("::<{t}>"))
    }

    /// A marker's Rust type outside any resource (no enums).
    fn marker_plain(&mut self, m: &Marker) -> R<String> {
        Ok(match m {
            Marker::Str => "String".into(),
            Marker::Int => "i64".into(),
            Marker::Num => "f64".into(),
            Marker::Bool => "bool".into(),
            Marker::Json => {
                self.uses.insert("Json");
                "Json".into()
            }
            Marker::List(x) => {
                self.uses.insert("List");
                format!("List<{}>", self.marker_plain(x)?)
            }
            Marker::Enum(_) => return Err("an enum outside its resource".into()),
        })
    }

    fn sub(&mut self, args: &Json) -> R<Code> {
        let (text, vars) = match args {
            Json::String(t) => (t.as_str(), None),
            Json::Array(a) if a.len() == 2 => (
                a[0].as_str().ok_or("Fn::Sub with a computed string")?,
                Some(a[1].as_object().ok_or("Fn::Sub variables are not a map")?),
            ),
            _ => return Err("malformed Fn::Sub".into()),
        };
        let mut parts: Vec<String> = Vec::new();
        let mut any_var = false;
        for (is_var, t) in sub_tokens(text) {
            if !is_var {
                parts.push(lit_str(&t));
                continue;
            }
            if let Some(v) = vars.and_then(|m| m.get(&t)) {
                let c = self.value(v, &Marker::Str, None)?;
                if c.val {
                    any_var = true;
                    parts.push(c.text);
                } else {
                    parts.push(c.text);
                }
                continue;
            }
            any_var = true;
            let c = if let Some((id, attr)) = t.split_once('.') {
                if self.params.contains_key(id) || id.starts_with("AWS::") {
                    return Err(format!("`${{{t}}}` in Fn::Sub"));
                }
                self.get_att(
                    &Json::Array(vec![id.into(), attr.into()]),
                    &Marker::Str,
                    true,
                )?
            } else if let Some(kind) = self.params.get(t.as_str()).copied() {
                let v = self.param_vars[&t].clone();
                self.used.insert(v.clone());
                match kind {
                    PKind::Str | PKind::Int | PKind::Num => Code::val(format!("&{v}")),
                    _ => return Err(format!("list parameter `{t}` in Fn::Sub")),
                }
            } else {
                self.ref_code(&t, &Marker::Str)?
            };
            parts.push(c.text);
        }
        if !any_var {
            let mut s = String::new();
            for (_, t) in sub_tokens(text) {
                s.push_str(&t);
            }
            // A Sub of text only; synth writes the plain string.
            return Ok(Code::lit(lit_str(&s)));
        }
        self.uses.insert("sub");
        Ok(Code::val(format!("sub!({})", parts.join(", "))))
    }

    /// A value of marker type `want`; `loaded` names enums.
    fn value(&mut self, v: &Json, want: &Marker, loaded: Option<&Loaded>) -> R<Code> {
        if let Some((k, args)) = is_intrinsic(v) {
            return self.intrinsic(k, args, want, loaded);
        }
        match want {
            Marker::Str => match v {
                Json::String(s) => Ok(Code::lit(lit_str(s))),
                Json::Number(_) | Json::Bool(_) => {
                    Ok(Code::lit(lit_str(&scalar_text(v).unwrap_or_default())))
                }
                _ => Err(format!("{} where a string is expected", kind_of(v))),
            },
            Marker::Int => {
                let n = match v {
                    Json::Number(n) => n.as_i64(),
                    Json::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                n.map(|n| Code::lit(n.to_string()))
                    .ok_or_else(|| format!("{} where an integer is expected", kind_of(v)))
            }
            Marker::Num => {
                let n = match v {
                    Json::Number(n) => n.as_f64(),
                    Json::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match n {
                    Some(n) if n.is_finite() => {
                        let t = format!("{n:?}");
                        Ok(Code::lit(if t.contains('.') || t.contains('e') {
                            t
                        } else {
                            format!("{t}.0")
                        }))
                    }
                    _ => Err(format!("{} where a number is expected", kind_of(v))),
                }
            }
            Marker::Bool => match v {
                Json::Bool(b) => Ok(Code::lit(b.to_string())),
                Json::String(s) if s == "true" || s == "false" => Ok(Code::lit(s.clone())),
                _ => Err(format!("{} where a boolean is expected", kind_of(v))),
            },
            Marker::Json => Ok(Code::val(self.json_val(v))),
            Marker::Enum(i) => {
                let l = loaded.ok_or("an enum outside its resource")?;
                let e = &l.model.enums[*i];
                let s = scalar_text(v).ok_or("a non-scalar enum value")?;
                match e.variants.iter().find(|(_, val)| *val == s) {
                    Some((var, _)) => Ok(Code::lit(format!(
                        "{}::{}::{}::{var}",
                        l.module, l.model.submodule, e.name
                    ))),
                    None => Err(format!("`{s}` is not a value of the schema's enum")),
                }
            }
            Marker::List(x) => {
                let Json::Array(items) = v else {
                    return Err(format!("{} where a list is expected", kind_of(v)));
                };
                if items.is_empty() {
                    let t = match loaded {
                        Some(l) => self.marker_rust(l, x),
                        None => self.marker_plain(x)?,
                    };
                    self.uses.insert("Val");
                    return Ok(Code::lit(format!("Vec::<Val<{t}>>::new()")));
                }
                let mut codes = Vec::new();
                for it in items {
                    codes.push(self.value(it, x, loaded)?);
                }
                let mixed = codes.iter().any(|c| c.val) && codes.iter().any(|c| !c.val);
                let parts: Vec<String> = if mixed {
                    self.uses.insert("Val");
                    codes.iter().map(Code::as_val).collect()
                } else {
                    codes.into_iter().map(|c| c.text).collect()
                };
                Ok(Code::lit(format!("vec![{}]", parts.join(", "))))
            }
        }
    }

    fn intrinsic(
        &mut self,
        k: &str,
        args: &Json,
        want: &Marker,
        loaded: Option<&Loaded>,
    ) -> R<Code> {
        let list_str = Marker::List(Box::new(Marker::Str));
        match k {
            "Ref" => {
                let name = args.as_str().ok_or("Ref of a computed name")?;
                self.ref_code(name, want)
            }
            "Fn::GetAtt" => self.get_att(args, want, false),
            "Fn::Sub" if *want == Marker::Str => self.sub(args),
            "Fn::Join" if *want == Marker::Str => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or("malformed Fn::Join")?;
                let d = a[0].as_str().ok_or("Fn::Join with a computed delimiter")?;
                let items = self.value(&a[1], &list_str, None)?;
                self.uses.insert("fns");
                Ok(Code::val(format!(
                    "fns::join({}, {})",
                    lit_str(d),
                    items.text
                )))
            }
            "Fn::Select" => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or("malformed Fn::Select")?;
                let i = match &a[0] {
                    Json::Number(n) => n.as_u64(),
                    Json::String(s) => s.parse().ok(),
                    _ => None,
                }
                .and_then(|i| u32::try_from(i).ok())
                .ok_or("Fn::Select with a computed index")?;
                let list = self.value(&a[1], &Marker::List(Box::new(want.clone())), loaded)?;
                self.uses.insert("fns");
                let t = self.tfish(want, loaded)?;
                Ok(Code::val(format!("fns::select{t}({i}, {})", list.text)))
            }
            "Fn::Split" if matches!(want, Marker::List(x) if **x == Marker::Str) => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or("malformed Fn::Split")?;
                let d = a[0].as_str().ok_or("Fn::Split with a computed delimiter")?;
                let src = self.value(&a[1], &Marker::Str, None)?;
                self.uses.insert("fns");
                Ok(Code::val(format!(
                    "fns::split({}, {})",
                    lit_str(d),
                    src.text
                )))
            }
            "Fn::GetAZs" if matches!(want, Marker::List(x) if **x == Marker::Str) => {
                self.uses.insert("fns");
                if args.as_str() == Some("") {
                    return Ok(Code::val("fns::get_azs()".into()));
                }
                let region = self.value(args, &Marker::Str, None)?;
                Ok(Code::val(format!("fns::get_azs_in({})", region.text)))
            }
            "Fn::Base64" if *want == Marker::Str => {
                let c = self.value(args, &Marker::Str, None)?;
                self.uses.insert("fns");
                Ok(Code::val(format!("fns::base64({})", c.text)))
            }
            "Fn::ImportValue" => {
                let c = self.value(args, &Marker::Str, None)?;
                self.uses.insert("fns");
                let t = self.tfish(want, loaded)?;
                Ok(Code::val(format!("fns::import_value{t}({})", c.text)))
            }
            "Fn::Cidr" if matches!(want, Marker::List(x) if **x == Marker::Str) => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 3)
                    .ok_or("malformed Fn::Cidr")?;
                let num = |v: &Json| match v {
                    Json::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
                    Json::String(s) => s.parse().ok(),
                    _ => None,
                };
                let (n, b) = (
                    num(&a[1]).ok_or("Fn::Cidr with a computed count")?,
                    num(&a[2]).ok_or("Fn::Cidr with computed bits")?,
                );
                let ip = self.value(&a[0], &Marker::Str, None)?;
                self.uses.insert("fns");
                Ok(Code::val(format!("fns::cidr({}, {n}, {b})", ip.text)))
            }
            "Fn::FindInMap" => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 3)
                    .ok_or("malformed Fn::FindInMap")?;
                let name = a[0]
                    .as_str()
                    .ok_or("Fn::FindInMap with a computed map name")?;
                let m = self
                    .mappings
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("Fn::FindInMap of unknown mapping `{name}`"))?;
                self.used.insert(m.clone());
                let k1 = self.value(&a[1], &Marker::Str, None)?;
                let k2 = self.value(&a[2], &Marker::Str, None)?;
                self.uses.insert("fns");
                let t = self.tfish(want, loaded)?;
                Ok(Code::val(format!(
                    "fns::find_in_map{t}(&{m}, {}, {})",
                    k1.text, k2.text
                )))
            }
            "Fn::If" => {
                let a = args
                    .as_array()
                    .filter(|a| a.len() == 3)
                    .ok_or("malformed Fn::If")?;
                let name = a[0].as_str().ok_or("Fn::If with a computed condition")?;
                let c = self
                    .conditions
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("Fn::If of unknown condition `{name}`"))?;
                self.used.insert(c.clone());
                let t = self.value(&a[1], want, loaded)?;
                let e = self.value(&a[2], want, loaded)?;
                self.uses.insert("fns");
                let ty = self.tfish(want, loaded)?;
                Ok(Code::val(format!(
                    "fns::if_{ty}(&{c}, {}, {})",
                    t.text, e.text
                )))
            }
            other => Err(format!("`{other}` where a {want:?} is expected")),
        }
    }

    /// `json!(…)` of a JSON value, with references interpolated as typed values where they
    /// can be (so they stay dependencies), and kept as written otherwise.
    fn json_val(&mut self, v: &Json) -> String {
        self.uses.insert("json");
        format!("json!({})", self.json_body(v))
    }

    fn json_body(&mut self, v: &Json) -> String {
        if let Some((k, _)) = is_intrinsic(v) {
            if matches!(
                k,
                "Ref" | "Fn::GetAtt" | "Fn::Sub" | "Fn::Join" | "Fn::ImportValue"
            ) {
                let mark = self.used.clone();
                let uses = self.uses.clone();
                let attrs = self.summary.untyped_attributes;
                match self.value(v, &Marker::Str, None) {
                    Ok(c) if c.val => return format!("({})", c.text),
                    _ => {
                        self.used = mark;
                        self.uses = uses;
                        self.summary.untyped_attributes = attrs;
                    }
                }
            }
        }
        match v {
            Json::Object(o) => {
                let items: Vec<String> = o
                    .iter()
                    .map(|(k, x)| format!("{}: {}", lit_str(k), self.json_body(x)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            Json::Array(a) => {
                let items: Vec<String> = a.iter().map(|x| self.json_body(x)).collect();
                format!("[{}]", items.join(", "))
            }
            Json::String(s) => lit_str(s),
            other => other.to_string(),
        }
    }

    /// Plain JSON (`serde_json::json!`), for mappings and metadata.
    fn plain_json(&mut self, v: &Json) -> String {
        self.uses.insert("serde_json");
        fn body(v: &Json) -> String {
            match v {
                Json::Object(o) => format!(
                    "{{{}}}",
                    o.iter()
                        .map(|(k, x)| format!("{}: {}", lit_str(k), body(x)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Json::Array(a) => {
                    format!("[{}]", a.iter().map(body).collect::<Vec<_>>().join(", "))
                }
                Json::String(s) => lit_str(s),
                other => other.to_string(),
            }
        }
        format!("serde_json::json!({})", body(v))
    }

    // ----- typed structs -----

    fn ty_value(&mut self, v: &Json, ty: &Ty, l: &'a Loaded, path: &mut Vec<String>) -> R<String> {
        match ty {
            Ty::Val(m) => self.value(v, m, Some(l)).map(|c| c.text),
            Ty::Struct(i) => {
                let s = &l.model.structs[*i];
                let name = format!("{}::{}::{}", l.module, l.model.submodule, s.name);
                self.struct_value(v, s, &name, l, path)
            }
            Ty::Tag(_) | Ty::KeyValue(_) => {
                let o = v.as_object().ok_or("a tag that is not an object")?;
                if o.len() != 2 {
                    return Err("a tag without exactly Key and Value".into());
                }
                let k = self.value(o.get("Key").ok_or("a tag without Key")?, &Marker::Str, None)?;
                let val = self.value(
                    o.get("Value").ok_or("a tag without Value")?,
                    &Marker::Str,
                    None,
                )?;
                if matches!(ty, Ty::KeyValue(_)) {
                    // A structural Key/Value pair (load-balancer attributes, …), not a tag.
                    return Ok(format!(
                        "stackforge::resource::KeyValue::new({}, {})",
                        k.text, val.text
                    ));
                }
                self.uses.insert("Tag");
                Ok(format!("Tag::new({}, {})", k.text, val.text))
            }
            Ty::Vec(x) => {
                let Json::Array(items) = v else {
                    return Err(format!("{} where a list is expected", kind_of(v)));
                };
                let mut out = Vec::new();
                for (i, it) in items.iter().enumerate() {
                    path.push(i.to_string());
                    let r = self.ty_value(it, x, l, path);
                    path.pop();
                    out.push(r?);
                }
                if out.is_empty() {
                    return Ok("Vec::new()".into());
                }
                Ok(format!("vec![{}]", out.join(", ")))
            }
            Ty::Map(x) => {
                let Json::Object(o) = v else {
                    return Err(format!("{} where a map is expected", kind_of(v)));
                };
                if is_intrinsic(v).is_some() {
                    return Err("an intrinsic where a map is expected".into());
                }
                let mut out = Vec::new();
                for (k, it) in o {
                    path.push(k.clone());
                    let r = self.ty_value(it, x, l, path);
                    path.pop();
                    let r = r?;
                    let r = match &**x {
                        Ty::Val(_) => format!("Val::from({r})"),
                        _ => r,
                    };
                    out.push(format!("({}.to_owned(), {r})", lit_str(k)));
                }
                self.uses.insert("BTreeMap");
                if matches!(&**x, Ty::Val(_)) {
                    self.uses.insert("Val");
                }
                Ok(format!("BTreeMap::from([{}])", out.join(", ")))
            }
            Ty::Boxed(x) => Ok(format!("Box::new({})", self.ty_value(v, x, l, path)?)),
        }
    }

    /// A field value inside a struct literal or `new(…)`.
    fn field_value(
        &mut self,
        v: &Json,
        f: &Field,
        l: &'a Loaded,
        path: &mut Vec<String>,
    ) -> R<String> {
        match &f.ty {
            Ty::Val(m) => {
                let c = self.value(v, m, Some(l))?;
                Ok(if f.required { c.text } else { c.some() })
            }
            t => {
                let x = self.ty_value(v, t, l, path)?;
                Ok(if f.required { x } else { format!("Some({x})") })
            }
        }
    }

    /// A struct value (the resource's properties or a nested type). Optional fields that do
    /// not fit become pending overrides at `path`; a required one fails the struct.
    fn struct_value(
        &mut self,
        v: &Json,
        s: &StructDef,
        name: &str,
        l: &'a Loaded,
        path: &mut Vec<String>,
    ) -> R<String> {
        if is_intrinsic(v).is_some() {
            return Err(format!(
                "{} where a `{}` is expected",
                is_intrinsic(v).map(|(k, _)| k).unwrap_or_default(),
                s.name
            ));
        }
        let o = v
            .as_object()
            .ok_or_else(|| format!("{} where a `{}` is expected", kind_of(v), s.name))?;
        let mut req: BTreeMap<&str, String> = BTreeMap::new();
        let mut opt: Vec<String> = Vec::new();
        let mut local_pending = Vec::new();
        for (k, x) in o {
            path.push(k.clone());
            let field = s.fields.iter().find(|f| &f.cfn == k);
            let r = match field {
                Some(f) => self.field_value(x, f, l, path),
                None => Err(format!("`{k}` is not a property of the schema")),
            };
            match (r, field) {
                (Ok(code), Some(f)) if f.required => {
                    req.insert(f.rust.as_str(), code);
                }
                (Ok(code), Some(f)) => opt.push(format!("{}: {code}", f.rust)),
                (Err(why), Some(f)) if f.required => {
                    path.pop();
                    return Err(format!("required `{}`: {why}", f.cfn));
                }
                (Err(why), _) => {
                    local_pending.push((path.clone(), x.clone(), why));
                }
                (Ok(_), None) => {}
            }
            path.pop();
        }
        let missing: Vec<&Field> = s
            .fields
            .iter()
            .filter(|f| f.required && !req.contains_key(f.rust.as_str()))
            .collect();
        if let Some(f) = missing.first() {
            return Err(format!("required property `{}` is missing", f.cfn));
        }
        for (p, x, why) in local_pending {
            let j = self.json_val(&x);
            self.pending.push((p, j, why));
        }
        let base = if s.fields.iter().any(|f| f.required) {
            let args: Vec<String> = s
                .fields
                .iter()
                .filter(|f| f.required)
                .map(|f| req.remove(f.rust.as_str()).unwrap_or_default())
                .collect();
            format!("{name}::new(\n{})", args.join(",\n"))
        } else {
            "Default::default()".to_owned()
        };
        if opt.is_empty() {
            return Ok(if base == "Default::default()" {
                format!("{name}::default()")
            } else {
                base
            });
        }
        Ok(format!("{name} {{\n{},\n..{base}\n}}", opt.join(",\n")))
    }
}

fn kind_of(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(o) if o.len() == 1 && is_intrinsic(v).is_some() => "an intrinsic",
        Json::Object(_) => "an object",
    }
}

// ----- the template -----

fn refs_of(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(o) => {
            if o.len() == 1 {
                if let Some(r) = o.get("Ref").and_then(Json::as_str) {
                    out.insert(r.to_owned());
                }
                if let Some(g) = o.get("Fn::GetAtt") {
                    match g {
                        Json::Array(a) => {
                            if let Some(id) = a.first().and_then(Json::as_str) {
                                out.insert(id.to_owned());
                            }
                        }
                        Json::String(s) => {
                            out.insert(s.split('.').next().unwrap_or_default().to_owned());
                        }
                        _ => {}
                    }
                }
                if let Some(s) = o.get("Fn::Sub") {
                    let text = match s {
                        Json::String(t) => Some(t.as_str()),
                        Json::Array(a) => a.first().and_then(Json::as_str),
                        _ => None,
                    };
                    for (var, t) in sub_tokens(text.unwrap_or_default()) {
                        if var {
                            out.insert(t.split('.').next().unwrap_or_default().to_owned());
                        }
                    }
                }
            }
            o.values().for_each(|x| refs_of(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| refs_of(x, out)),
        _ => {}
    }
}

fn cond_refs(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(o) => {
            if let (1, Some(c)) = (o.len(), o.get("Condition").and_then(Json::as_str)) {
                out.insert(c.to_owned());
            }
            o.values().for_each(|x| cond_refs(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| cond_refs(x, out)),
        _ => {}
    }
}

/// Orders `items` so that each comes after what it names in `deps` (template order
/// otherwise; members of a cycle keep template order).
fn topo(items: &[String], deps: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::new();
    let mut left: Vec<String> = items.to_vec();
    while !left.is_empty() {
        let pos = left.iter().position(|i| {
            deps.get(i).is_none_or(|d| {
                d.iter()
                    .all(|x| done.contains(x) || !items.contains(x) || x == i)
            })
        });
        let i = left.remove(pos.unwrap_or(0));
        done.insert(i.clone());
        out.push(i);
    }
    out
}

const PARAM_KEYS: &[&str] = &[
    "Type",
    "Description",
    "Default",
    "NoEcho",
    "AllowedValues",
    "AllowedPattern",
    "ConstraintDescription",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
];

impl<'a> Gen<'a> {
    /// Writes `build(s)` for `template`.
    pub fn template(
        mut self,
        t: &Map<String, Json>,
        origin: &str,
    ) -> Result<(String, Summary), Unsupported> {
        let mut body = String::new();
        let empty = Map::new();
        let section = |k: &str| t.get(k).and_then(Json::as_object).unwrap_or(&empty);
        for k in t.keys() {
            if !matches!(
                k.as_str(),
                "AWSTemplateFormatVersion"
                    | "Description"
                    | "Metadata"
                    | "Transform"
                    | "Parameters"
                    | "Mappings"
                    | "Conditions"
                    | "Rules"
                    | "Resources"
                    | "Outputs"
            ) {
                self.errors.push(format!("template section `{k}`"));
            }
        }
        if let Some(d) = t.get("Description") {
            match d.as_str() {
                Some(d) => {
                    let _ = writeln!(body, "s.set_description({});", lit_str(d));
                }
                None => self
                    .errors
                    .push("a Description that is not a string".into()),
            }
        }
        match t.get("Transform") {
            None => {}
            Some(Json::String(x)) => {
                let _ = writeln!(body, "s.add_transform({});", lit_str(x));
            }
            Some(Json::Array(a)) if a.iter().all(Json::is_string) => {
                for x in a.iter().filter_map(Json::as_str) {
                    let _ = writeln!(body, "s.add_transform({});", lit_str(x));
                }
            }
            Some(_) => self.errors.push("a Transform with parameters".into()),
        }
        for (k, v) in section("Metadata") {
            let j = self.plain_json(v);
            let _ = writeln!(body, "s.set_template_metadata({}, {j});", lit_str(k));
        }

        // Parameters.
        let mut param_lines = Vec::new();
        for (id, p) in section("Parameters") {
            let v = self.var(id, "");
            let line = self.parameter(id, p, &v);
            self.param_vars.insert(id.clone(), v.clone());
            param_lines.push((v, line));
        }
        // Mappings.
        let mut map_lines = Vec::new();
        for (id, m) in section("Mappings") {
            let v = self.var(id, "");
            let j = self.plain_json(m);
            self.mappings.insert(id.clone(), v.clone());
            map_lines.push((v, format!("s.mapping({}, {j})", lit_str(id))));
        }
        // Resource variables first: conditions may name them only through parameters, but
        // names must not collide.
        let resources = section("Resources");
        let ids: Vec<String> = resources.keys().cloned().collect();
        for id in &ids {
            let v = self.var(id, "");
            self.resource_vars.insert(id.clone(), v);
        }
        // Conditions, in dependency order.
        let conds = section("Conditions");
        let cids: Vec<String> = conds.keys().cloned().collect();
        let mut cdeps = BTreeMap::new();
        for (id, c) in conds {
            let mut d = BTreeSet::new();
            cond_refs(c, &mut d);
            cdeps.insert(id.clone(), d);
        }
        let mut cond_vars = BTreeMap::new();
        for id in &cids {
            cond_vars.insert(id.clone(), self.var(id, ""));
        }
        let mut cond_lines = Vec::new();
        for id in topo(&cids, &cdeps) {
            let v = cond_vars[&id].clone();
            let e = match self.cond(&conds[&id]) {
                Ok(e) => e,
                Err(why) => {
                    self.summary
                        .untyped
                        .push((format!("Conditions/{id}"), why.clone()));
                    self.uses.insert("fns");
                    format!(
                        "fns::equals({}, true) /* untyped: {} */",
                        self.json_val(&conds[&id]),
                        why.replace("*/", "* /")
                    )
                }
            };
            self.conditions.insert(id.clone(), v.clone());
            cond_lines.push((v, format!("s.condition({}, {e})", lit_str(&id))));
        }
        // Resources, in dependency order.
        let mut rdeps = BTreeMap::new();
        for (id, r) in resources {
            let mut d = BTreeSet::new();
            refs_of(r, &mut d);
            if let Some(x) = r.get("DependsOn") {
                match x {
                    Json::String(s) => {
                        d.insert(s.clone());
                    }
                    Json::Array(a) => {
                        d.extend(a.iter().filter_map(Json::as_str).map(str::to_owned))
                    }
                    _ => {}
                }
            }
            rdeps.insert(id.clone(), d);
        }
        let mut res_blocks = Vec::new();
        for id in topo(&ids, &rdeps) {
            let block = self.resource(&id, &resources[&id]);
            res_blocks.push((self.resource_vars[&id].clone(), block));
        }
        // Rules.
        let mut tail = String::new();
        for (id, r) in section("Rules") {
            match self.rule(r) {
                Ok(code) => {
                    self.uses.insert("Rule");
                    let _ = writeln!(tail, "s.rule({}, {code});", lit_str(id));
                }
                Err(why) => self.errors.push(format!("rule `{id}`: {why}")),
            }
        }
        // Outputs.
        for (id, o) in section("Outputs") {
            match self.output(id, o) {
                Ok(code) => {
                    self.uses.insert("Output");
                    let _ = writeln!(tail, "s.output({}, {code});", lit_str(id));
                }
                Err(why) => self.errors.push(format!("output `{id}`: {why}")),
            }
        }

        if !self.errors.is_empty() {
            return Err(Unsupported(self.errors));
        }
        let bind = |used: &BTreeSet<String>, v: &str, e: &str| {
            if used.contains(v) {
                format!("let {v} = {e};\n")
            } else {
                format!("{e};\n")
            }
        };
        let mut out = String::new();
        for (v, l) in &param_lines {
            out.push_str(&bind(&self.used, v, l));
        }
        for (v, l) in &map_lines {
            out.push_str(&bind(&self.used, v, l));
        }
        for (v, l) in &cond_lines {
            out.push_str(&bind(&self.used, v, l));
        }
        body.push_str(&out);
        for (v, (expr, rest)) in &res_blocks {
            if rest.is_empty() {
                body.push_str(&bind(&self.used, v, expr));
            } else {
                let _ = writeln!(body, "let {v} = {expr};");
                body.push_str(rest);
            }
        }
        body.push_str(&tail);

        let mut head = String::new();
        let _ = writeln!(
            head,
            "//! Imported by `stackforge import` from `{origin}`: {} resources ({} typed, {} raw), {} overrides, {} untyped values.",
            self.summary.resources,
            self.summary.typed,
            self.summary.raw.len(),
            self.summary.overrides.len(),
            self.summary.untyped.len() + self.summary.untyped_attributes
        );
        let feats: Vec<String> = self
            .summary
            .features
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect();
        if !feats.is_empty() {
            let _ = writeln!(
                head,
                "//! Needs the stackforge features {}.",
                feats.join(", ")
            );
        }
        head.push('\n');
        let mut modules: Vec<&String> = self.modules.iter().collect();
        modules.sort();
        if !modules.is_empty() {
            let list: Vec<&str> = modules.iter().map(|s| s.as_str()).collect();
            let _ = writeln!(head, "use stackforge::cfn::{{{}}};", list.join(", "));
        }
        // Imports from what the code uses (not from what was tried and rolled back).
        let mut items: Vec<&str> = vec!["Scope"];
        for (name, marks) in [
            ("Json", &["Json>", "Json,"][..]),
            ("List", &["List<"][..]),
            ("Output", &["Output::"][..]),
            ("Parameter", &["Parameter::"][..]),
            ("Policy", &["Policy::"][..]),
            ("Raw", &["Raw::"][..]),
            ("Rule", &["Rule::"][..]),
            ("Tag", &["Tag::new"][..]),
            ("Val", &["Val::", "Val<"][..]),
            ("fns", &["fns::"][..]),
            ("json", &["json!("][..]),
            ("pseudo", &["pseudo::"][..]),
            ("sub", &["sub!("][..]),
        ] {
            let text = body.replace("serde_json::json!(", "");
            // A mark counts at a word start (`iam::Policy::new` is not `Policy::`).
            let at_word = |m: &str| {
                text.match_indices(m).any(|(i, _)| {
                    !text[..i]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                })
            };
            if marks.iter().any(|m| at_word(m)) {
                items.push(name);
            }
        }
        items.sort_by_key(|s| {
            (
                s.chars().next().is_some_and(char::is_lowercase),
                s.to_string(),
            )
        });
        let _ = writeln!(head, "use stackforge::{{{}}};", items.join(", "));
        if body.contains("BTreeMap::") {
            let _ = writeln!(head, "use std::collections::BTreeMap;");
        }
        let _ = writeln!(
            head,
            "\n/// Builds the stack imported from `{origin}` (logical IDs unchanged).\npub fn build(s: &mut Scope) {{"
        );
        let code = format!("{head}{body}}}\n");
        Ok((code, self.summary))
    }

    fn parameter(&mut self, id: &str, p: &Json, _var: &str) -> String {
        let Some(o) = p.as_object() else {
            self.errors
                .push(format!("parameter `{id}` is not an object"));
            return String::new();
        };
        for k in o.keys() {
            if !PARAM_KEYS.contains(&k.as_str()) {
                self.errors.push(format!("parameter `{id}`: key `{k}`"));
            }
        }
        let ty = o.get("Type").and_then(Json::as_str).unwrap_or("String");
        self.uses.insert("Parameter");
        let default_is_int = o
            .get("Default")
            .and_then(scalar_text)
            .is_none_or(|d| d.trim().parse::<i64>().is_ok());
        let (ctor, kind) = match ty {
            "String" => ("Parameter::string()".to_owned(), PKind::Str),
            "Number" if default_is_int => ("Parameter::integer()".to_owned(), PKind::Int),
            "Number" => ("Parameter::number()".to_owned(), PKind::Num),
            "CommaDelimitedList" => (
                "Parameter::comma_delimited_list()".to_owned(),
                PKind::ListStr,
            ),
            "List<Number>" => ("Parameter::number_list()".to_owned(), PKind::ListNum),
            t => {
                if let Some(inner) = t
                    .strip_prefix("AWS::SSM::Parameter::Value<")
                    .and_then(|x| x.strip_suffix('>'))
                {
                    if inner.starts_with("List<") || inner == "CommaDelimitedList" {
                        self.errors
                            .push(format!("parameter `{id}`: SSM list type `{t}`"));
                    }
                    (format!("Parameter::ssm({})", lit_str(inner)), PKind::Str)
                } else if let Some(inner) =
                    t.strip_prefix("List<").and_then(|x| x.strip_suffix('>'))
                {
                    (
                        format!("Parameter::aws_list({})", lit_str(inner)),
                        PKind::ListStr,
                    )
                } else if t.starts_with("AWS::") {
                    (format!("Parameter::aws({})", lit_str(t)), PKind::Str)
                } else {
                    self.errors.push(format!("parameter `{id}`: type `{t}`"));
                    ("Parameter::string()".to_owned(), PKind::Str)
                }
            }
        };
        self.params.insert(id.to_owned(), kind);
        let mut e = ctor;
        let text = |k: &str| o.get(k).and_then(scalar_text);
        if let Some(d) = text("Description") {
            let _ = write!(e, "\n.description({})", lit_str(&d));
        }
        if let Some(d) = text("Default") {
            let _ = write!(e, "\n.default_value({})", lit_str(&d));
        } else if let Some(Json::Array(a)) = o.get("Default") {
            let d: Vec<String> = a.iter().filter_map(scalar_text).collect();
            let _ = write!(e, "\n.default_value({})", lit_str(&d.join(",")));
        }
        if o.get("NoEcho").and_then(scalar_text).as_deref() == Some("true") {
            e.push_str("\n.no_echo()");
        }
        if let Some(Json::Array(a)) = o.get("AllowedValues") {
            let vals: Vec<String> = a
                .iter()
                .filter_map(scalar_text)
                .map(|x| lit_str(&x))
                .collect();
            let _ = write!(e, "\n.allowed_values([{}])", vals.join(", "));
        }
        if let Some(x) = text("AllowedPattern") {
            let _ = write!(e, "\n.allowed_pattern({})", lit_str(&x));
        }
        if let Some(x) = text("ConstraintDescription") {
            let _ = write!(e, "\n.constraint_description({})", lit_str(&x));
        }
        let num = |k: &str| text(k).and_then(|x| x.parse::<f64>().ok());
        let opt_u32 = |x: Option<f64>| match x {
            Some(n) => format!("Some({})", n as u32),
            None => "None".into(),
        };
        let opt_f64 = |x: Option<f64>| match x {
            Some(n) => format!("Some({n:?})"),
            None => "None".into(),
        };
        if o.contains_key("MinLength") || o.contains_key("MaxLength") {
            let _ = write!(
                e,
                ".length({}, {})",
                opt_u32(num("MinLength")),
                opt_u32(num("MaxLength"))
            );
        }
        if o.contains_key("MinValue") || o.contains_key("MaxValue") {
            let _ = write!(
                e,
                ".range({}, {})",
                opt_f64(num("MinValue")),
                opt_f64(num("MaxValue"))
            );
        }
        format!("s.parameter({}, {e})", lit_str(id))
    }

    /// A condition expression.
    fn cond(&mut self, v: &Json) -> R<String> {
        let (k, args) = is_intrinsic(v).ok_or("a condition that is not an intrinsic")?;
        self.uses.insert("fns");
        let list = |a: &Json| {
            a.as_array()
                .cloned()
                .ok_or_else(|| format!("malformed {k}"))
        };
        match k {
            "Condition" => {
                let n = args.as_str().ok_or("Condition of a computed name")?;
                let c = self
                    .conditions
                    .get(n)
                    .cloned()
                    .ok_or_else(|| format!("unknown condition `{n}`"))?;
                self.used.insert(c.clone());
                Ok(format!("{c}.expr()"))
            }
            "Fn::And" | "Fn::Or" => {
                let items = list(args)?;
                let mut parts = Vec::new();
                for i in &items {
                    parts.push(self.cond(i)?);
                }
                let f = if k == "Fn::And" { "and" } else { "or" };
                Ok(format!("fns::{f}([{}])", parts.join(", ")))
            }
            "Fn::Not" => {
                let items = list(args)?;
                let [one] = items.as_slice() else {
                    return Err("Fn::Not of more than one condition".into());
                };
                Ok(format!("fns::not({})", self.cond(one)?))
            }
            "Fn::Equals" => {
                let items = list(args)?;
                let [a, b] = items.as_slice() else {
                    return Err("Fn::Equals of more than two values".into());
                };
                let want = [a, b]
                    .iter()
                    .find_map(|x| match is_intrinsic(x) {
                        Some(("Ref", Json::String(n))) => self.params.get(n.as_str()).copied(),
                        _ => None,
                    })
                    .map(|k| match k {
                        PKind::Int => Marker::Int,
                        PKind::Num => Marker::Num,
                        PKind::ListStr => Marker::List(Box::new(Marker::Str)),
                        PKind::ListNum => Marker::List(Box::new(Marker::Num)),
                        PKind::Str => Marker::Str,
                    })
                    .unwrap_or(Marker::Str);
                let x = self.value(a, &want, None)?;
                let y = self.value(b, &want, None)?;
                if !x.val && !y.val {
                    let t = self.marker_plain(&want)?;
                    self.uses.insert("Val");
                    return Ok(format!(
                        "fns::equals(Val::<{t}>::from({}), {})",
                        x.text, y.text
                    ));
                }
                Ok(format!("fns::equals({}, {})", x.text, y.text))
            }
            "Fn::Contains" | "Fn::EachMemberEquals" | "Fn::EachMemberIn" => {
                let items = list(args)?;
                let [a, b] = items.as_slice() else {
                    return Err(format!("malformed {k}"));
                };
                let ls = Marker::List(Box::new(Marker::Str));
                let x = self.value(a, &ls, None)?;
                let y = self.value(
                    b,
                    if k == "Fn::EachMemberIn" {
                        &ls
                    } else {
                        &Marker::Str
                    },
                    None,
                )?;
                let f = match k {
                    "Fn::Contains" => "contains",
                    "Fn::EachMemberEquals" => "each_member_equals",
                    _ => "each_member_in",
                };
                Ok(format!("fns::{f}({}, {})", x.text, y.text))
            }
            other => Err(format!("`{other}` in a condition")),
        }
    }

    fn rule(&mut self, r: &Json) -> R<String> {
        let o = r.as_object().ok_or("not an object")?;
        let mut e = match o.get("RuleCondition") {
            Some(c) => format!("Rule::when({})", self.cond(c)?),
            None => "Rule::new()".to_owned(),
        };
        for a in o
            .get("Assertions")
            .and_then(Json::as_array)
            .ok_or("no Assertions")?
        {
            if let Some(k) = a.as_object().and_then(|o| {
                o.keys()
                    .find(|k| *k != "Assert" && *k != "AssertDescription")
            }) {
                return Err(format!("an assertion with the key `{k}`"));
            }
            let c = self.cond(a.get("Assert").ok_or("an assertion without Assert")?)?;
            let d = match a.get("AssertDescription") {
                None => "",
                Some(d) => d.as_str().ok_or("a computed AssertDescription")?,
            };
            let _ = write!(e, ".assert({c}, {})", lit_str(d));
        }
        Ok(e)
    }

    fn output(&mut self, id: &str, o: &Json) -> R<String> {
        let o = o.as_object().ok_or("not an object")?;
        for k in o.keys() {
            if !matches!(k.as_str(), "Value" | "Description" | "Export" | "Condition") {
                return Err(format!("key `{k}`"));
            }
        }
        let v = o.get("Value").ok_or("no Value")?;
        let value = match self.value(v, &Marker::Str, None) {
            Ok(c) => c.text,
            Err(_) => match self.value(v, &Marker::List(Box::new(Marker::Str)), None) {
                Ok(c) if c.val => c.text,
                _ => {
                    self.summary
                        .untyped
                        .push((format!("Outputs/{id}"), "a value of no single type".into()));
                    self.json_val(v)
                }
            },
        };
        let mut e = format!("Output::new({value})");
        if let Some(d) = o.get("Description").and_then(scalar_text) {
            let _ = write!(e, "\n.description({})", lit_str(&d));
        }
        if let Some(x) = o.get("Export") {
            let name = x.get("Name").ok_or("an Export without Name")?;
            match name.as_str() {
                Some(n) => {
                    let _ = write!(e, ".export_as({})", lit_str(n));
                }
                None => {
                    let c = self.value(name, &Marker::Str, None)?;
                    let _ = write!(e, ".export_as_value({})", c.text);
                }
            }
        }
        if let Some(c) = o.get("Condition") {
            let n = c.as_str().ok_or("a computed Condition")?;
            let v = self
                .conditions
                .get(n)
                .cloned()
                .ok_or_else(|| format!("unknown condition `{n}`"))?;
            self.used.insert(v.clone());
            let _ = write!(e, ".condition(&{v})");
        }
        Ok(e)
    }

    /// One resource: the `s.add…` expression and the statements after it (options,
    /// overrides).
    fn resource(&mut self, id: &str, r: &Json) -> (String, String) {
        self.summary.resources += 1;
        let v = self.resource_vars[id].clone();
        let Some(o) = r.as_object() else {
            self.errors
                .push(format!("resource `{id}` is not an object"));
            return (String::new(), String::new());
        };
        let type_name = o
            .get("Type")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned();
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "Type"
                    | "Properties"
                    | "DependsOn"
                    | "DeletionPolicy"
                    | "UpdateReplacePolicy"
                    | "Condition"
                    | "Metadata"
                    | "CreationPolicy"
                    | "UpdatePolicy"
            ) {
                self.errors
                    .push(format!("resource `{id}`: attribute `{k}`"));
            }
        }
        let empty = Json::Object(Map::new());
        let props = o.get("Properties").unwrap_or(&empty);
        self.pending.clear();
        let mut comment = String::new();
        let typed = match self.types.get(type_name.as_str()) {
            Some(l) => {
                let m: &TypeModel = &l.model;
                let name = format!("{}::{}", l.module, m.rust_name);
                let mut path = Vec::new();
                match self.struct_value(props, &m.resource, &name, l, &mut path) {
                    Ok(code) => Some((code, l)),
                    Err(why) => {
                        self.pending.clear();
                        comment = format!("// Raw: {why}.\n");
                        self.summary
                            .raw
                            .push((id.to_owned(), type_name.clone(), why));
                        None
                    }
                }
            }
            None => {
                let why = if type_name.starts_with("Custom::") {
                    "a custom resource (the core has no typed `Custom::<name>`)".to_owned()
                } else {
                    format!("no generated type for `{type_name}`")
                };
                comment = format!("// Raw: {why}.\n");
                self.summary
                    .raw
                    .push((id.to_owned(), type_name.clone(), why));
                None
            }
        };
        let kind = match &typed {
            Some((_, l)) => ResKind::Typed(l),
            None => ResKind::Raw,
        };
        let expr = match typed {
            Some((code, l)) => {
                self.summary.typed += 1;
                self.summary.features.insert(l.feature.clone());
                self.modules.insert(l.module.clone());
                format!("s.add({}, {code})", lit_str(id))
            }
            None => {
                self.uses.insert("Raw");
                let mut e = format!("Raw::new({})", lit_str(&type_name));
                for (k, x) in props.as_object().into_iter().flatten() {
                    let c = match self.value(x, &Marker::Str, None) {
                        Ok(c) => c.text,
                        Err(_) => self.json_val(x),
                    };
                    let _ = write!(e, ".prop({}, {c})", lit_str(k));
                }
                format!("{comment}s.add_raw({}, {e})", lit_str(id))
            }
        };
        // Options and overrides.
        let mut rest = String::new();
        let pending = std::mem::take(&mut self.pending);
        for (path, j, why) in pending {
            let p: Vec<String> = path.iter().map(|x| lit_str(x)).collect();
            let _ = writeln!(
                rest,
                "s.override_property_because({v}, &[{}], {j}, {});",
                p.join(", "),
                lit_str(&format!("stackforge import: {why}"))
            );
            self.summary
                .overrides
                .push((id.to_owned(), path.join("."), why));
        }
        if let Some(d) = o.get("DependsOn") {
            let list: Vec<&str> = match d {
                Json::String(s) => vec![s.as_str()],
                Json::Array(a) => a.iter().filter_map(Json::as_str).collect(),
                _ => vec![],
            };
            for on in list {
                match self.resources.get(on) {
                    Some((w, _)) => {
                        let w = w.clone();
                        self.used.insert(w.clone());
                        let _ = writeln!(rest, "s.depends_on({v}, {w});");
                    }
                    None => self.errors.push(format!(
                        "resource `{id}`: DependsOn `{on}` (unknown or a cycle)"
                    )),
                }
            }
        }
        for (k, f) in [
            ("DeletionPolicy", "set_deletion_policy"),
            ("UpdateReplacePolicy", "set_update_replace_policy"),
        ] {
            if let Some(p) = o.get(k) {
                match p.as_str() {
                    Some(p @ ("Delete" | "Retain" | "RetainExceptOnCreate" | "Snapshot")) => {
                        self.uses.insert("Policy");
                        let _ = writeln!(rest, "s.{f}({v}, Policy::{p});");
                    }
                    _ => self.errors.push(format!("resource `{id}`: {k} {p}")),
                }
            }
        }
        if let Some(c) = o.get("Condition") {
            match c.as_str().and_then(|n| self.conditions.get(n).cloned()) {
                Some(cv) => {
                    self.used.insert(cv.clone());
                    let _ = writeln!(rest, "s.set_condition({v}, &{cv});");
                }
                None => self.errors.push(format!("resource `{id}`: Condition {c}")),
            }
        }
        for (k, f) in [
            ("CreationPolicy", "set_creation_policy"),
            ("UpdatePolicy", "set_update_policy"),
        ] {
            if let Some(p) = o.get(k) {
                let j = self.plain_json(p);
                let _ = writeln!(rest, "s.{f}({v}, {j});");
            }
        }
        if let Some(md) = o.get("Metadata") {
            match md.as_object() {
                Some(md) => {
                    for (k, x) in md {
                        let j = self.plain_json(x);
                        let _ = writeln!(rest, "s.set_metadata({v}, {}, {j});", lit_str(k));
                    }
                }
                None => self
                    .errors
                    .push(format!("resource `{id}`: Metadata is not a map")),
            }
        }
        if !rest.is_empty() {
            self.used.insert(v.clone());
        }
        self.resources.insert(id.to_owned(), (v, kind));
        (expr, rest)
    }
}
