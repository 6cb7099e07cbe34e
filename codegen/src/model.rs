//! Schema → intermediate model: one [`TypeModel`] per resource type, with its nested
//! structs, enums and validation rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::names;

/// A value marker (`Val<marker>`).
#[derive(Clone, Debug, PartialEq)]
pub enum Marker {
    Str,
    Int,
    Num,
    Bool,
    Json,
    Enum(usize),
    List(Box<Marker>),
}

/// A field type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    Val(Marker),
    Struct(usize),
    /// The shared Key/Value `crate::resource::Tag` of resource tags; the index is the
    /// shape-only struct.
    Tag(usize),
    /// The shared `crate::resource::KeyValue`: a structural Key/Value pair that is not a tag
    /// (load-balancer attributes, environment variables, …); the index is the shape-only struct.
    KeyValue(usize),
    Vec(Box<Ty>),
    Map(Box<Ty>),
    Boxed(Box<Ty>),
}

/// Validation constraints of one value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RuleIr {
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    pub one_of: Vec<String>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub items: Option<Box<RuleIr>>,
    /// The struct whose shape applies (emitted only if that struct has a shape).
    pub shape: Option<usize>,
    /// `format` names; a value must have one of them (several for an `anyOf` of formats).
    pub formats: Vec<String>,
    /// A write-only property named like a password, token or secret.
    pub secret: bool,
}

#[derive(Clone, Debug)]
pub struct Resolved {
    pub ty: Ty,
    pub rule: RuleIr,
    pub format: Option<String>,
}

#[derive(Debug)]
pub struct Field {
    pub cfn: String,
    pub rust: String,
    pub doc: String,
    pub ty: Ty,
    pub rule: RuleIr,
    pub required: bool,
    pub deprecated: bool,
    pub create_only: bool,
    pub format: Option<String>,
}

#[derive(Debug)]
pub struct StructDef {
    pub name: String,
    /// The schema's description; empty when it has none (no placeholder is made up).
    pub doc: String,
    pub fields: Vec<Field>,
    /// The name the previous naming scheme gave this struct, when it differs.
    pub legacy_name: Option<String>,
    /// Only a shape is emitted (a Key/Value pair: `Tag` or `KeyValue`).
    pub tag_only: bool,
    pub has_shape: bool,
    /// Definition name in the schema (for docs and the table test).
    pub origin: String,
}

#[derive(Debug)]
pub struct EnumDef {
    pub name: String,
    /// The name the previous naming scheme gave this enum, when it differs (a deprecated
    /// alias keeps it working for one release).
    pub legacy_name: Option<String>,
    /// The name before disambiguation (for reuse of identical enums).
    pub stem: String,
    pub doc: String,
    /// (variant, value)
    pub variants: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Attr {
    pub name: String,
    pub method: String,
    pub marker: Marker,
}

#[derive(Debug)]
pub struct TypeModel {
    pub type_name: String,
    pub rust_name: String,
    pub submodule: String,
    pub doc: String,
    pub resource: StructDef,
    pub structs: Vec<StructDef>,
    pub enums: Vec<EnumDef>,
    pub attrs: Vec<Attr>,
    /// A dynamic `Outputs.<name>` attribute (CloudFormation::Stack and friends).
    pub outputs_attr: bool,
    pub ref_doc: String,
    /// The property `Ref` returns, when known.
    pub ref_property: Option<String>,
    pub create_only: Vec<String>,
    pub write_only: Vec<String>,
    pub read_only: Vec<String>,
    pub primary_identifier: Vec<String>,
    pub taggable: bool,
    pub tag_property: Option<String>,
    pub tag_shape: &'static str,
    pub sunset: Option<String>,
    pub deprecated_props: Vec<String>,
}

/// Counts for the report.
#[derive(Default, Debug)]
pub struct Stats {
    pub json_multi_type: usize,
    pub json_untyped: usize,
    pub json_union: usize,
    pub json_free_object: usize,
    pub json_recursive: usize,
    pub non_string_enums: usize,
    pub tag_kv_optional_shared: usize,
    pub readonly_excluded: usize,
    pub attrs_skipped_array: usize,
    pub map_value_rules_skipped: usize,
    pub field_name_collisions: usize,
    pub variant_collisions: usize,
    /// `type property` of every write-only secret property (a literal is an error).
    pub secret_fields: Vec<String>,
}

struct Ctx<'a> {
    schema: &'a Value,
    defs: &'a Map<String, Value>,
    structs: Vec<StructDef>,
    enums: Vec<EnumDef>,
    used_names: BTreeSet<String>,
    /// The names the previous naming scheme would have used (for deprecated aliases).
    legacy_used: BTreeSet<String>,
    reserved: BTreeSet<String>,
    memo: HashMap<String, Resolved>,
    mutate: &'a Mutations,
    type_name: &'a str,
    /// The resource's tag property (always typed `Tag`, whatever it is named).
    tag_property: Option<String>,
    in_progress: BTreeSet<String>,
    stats: &'a mut Stats,
    deprecated: BTreeSet<String>,
    create_only: BTreeSet<String>,
    read_only: BTreeSet<String>,
    write_only: BTreeSet<String>,
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn pointer_to_name(p: &str) -> String {
    p.trim_start_matches("/properties/").replace('/', ".")
}

fn doc_of(o: &Map<String, Value>) -> Option<String> {
    o.get("description")
        .and_then(s)
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
}

/// The `type` of a node, `null` removed.
fn types_of(o: &Map<String, Value>) -> Vec<String> {
    match o.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => {
            let mut v: Vec<String> = a
                .iter()
                .filter_map(|x| x.as_str())
                .filter(|t| *t != "null")
                .map(str::to_owned)
                .collect();
            v.dedup();
            v
        }
        _ => vec![],
    }
}

fn constraints(o: &Map<String, Value>, r: &mut RuleIr) {
    let u = |k: &str| o.get(k).and_then(Value::as_u64);
    let f = |k: &str| o.get(k).and_then(Value::as_f64);
    r.min_len = r.min_len.or(u("minLength"));
    r.max_len = r.max_len.or(u("maxLength"));
    r.min = r.min.or(f("minimum"));
    r.max = r.max.or(f("maximum"));
    if r.pattern.is_none() {
        r.pattern = o.get("pattern").and_then(s).map(str::to_owned);
    }
    r.min_items = r.min_items.or(u("minItems"));
    r.max_items = r.max_items.or(u("maxItems"));
    if r.formats.is_empty() {
        r.formats = formats_of(o);
    }
}

/// The node's `format`, or the formats of an `anyOf`/`oneOf` whose branches only name one
/// (`{"type": "string", "anyOf": [{"format": "AWS::KMS::Key.Arn"}, {"format": "AWS::KMS::Key.Id"}]}`).
fn formats_of(o: &Map<String, Value>) -> Vec<String> {
    if let Some(f) = o.get("format").and_then(s) {
        return vec![f.to_owned()];
    }
    for k in ["anyOf", "oneOf"] {
        let Some(branches) = o.get(k).and_then(Value::as_array) else {
            continue;
        };
        let fs: Vec<String> = branches
            .iter()
            .filter_map(|b| {
                let b = b.as_object()?;
                let only_format = b
                    .keys()
                    .all(|k| k == "format" || k == "type" || k == "description");
                if only_format {
                    b.get("format").and_then(s).map(str::to_owned)
                } else {
                    None
                }
            })
            .collect();
        if !fs.is_empty() && fs.len() == branches.len() {
            return fs;
        }
    }
    vec![]
}

/// A list's format names its items (`AWS::EC2::SecurityGroup.Ids` → `…Id`).
pub fn item_format(f: &str) -> String {
    for (plural, one) in [(".Ids", ".Id"), (".Arns", ".Arn"), (".Names", ".Name")] {
        if let Some(stem) = f.strip_suffix(plural) {
            return format!("{stem}{one}");
        }
    }
    f.to_owned()
}

/// Names of write-only properties that hold a secret value (`MasterUserPassword`,
/// `SecretString`, `AuthToken`, `PrivateKey`); `ClientToken` (an idempotency token) and
/// `RemovePrivateKey` (a key ID) are not secrets.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const ENDINGS: &[&str] = &[
        "password",
        "passwords",
        "passphrase",
        "secret",
        "secretstring",
        "secretkey",
        "secrettoken",
        "token",
        "privatekey",
        "apikey",
        "apikeyvalue",
    ];
    ENDINGS.iter().any(|e| n.ends_with(e))
        && !matches!(n.as_str(), "clienttoken" | "removeprivatekey")
}

const UNION_KEYS: [&str; 3] = ["oneOf", "anyOf", "allOf"];

/// Deliberate generator bugs, switched on only by `--mutate` so the schema conformance test
/// (`codegen/tests/schema.rs`) can show that it catches them.
#[derive(Default, Debug)]
pub struct Mutations {
    /// Types whose first required property is treated as optional.
    pub drop_required: Vec<String>,
    /// Types whose first enum loses its last value.
    pub drop_enum_value: Vec<String>,
}

/// Owner words that say little about an enum and are left out of a disambiguated name
/// (`HttpEndpointDestinationConfiguration` + `S3BackupMode` → `HttpEndpointDestinationS3BackupMode`).
const GENERIC_WORDS: &[&str] = &[
    "Configuration",
    "Config",
    "Specification",
    "Properties",
    "Property",
    "Definition",
    "Settings",
    "Options",
    "Details",
    "Request",
    "Parameters",
];

/// `owner` then the words of `hint` that `owner` does not already say, in UpperCamelCase.
fn merge_words(owner: &[String], hint: &str) -> String {
    let lower: BTreeSet<String> = owner.iter().map(|w| w.to_ascii_lowercase()).collect();
    let mut out: String = owner.iter().map(|w| names::camel(w)).collect();
    for w in names::words(hint) {
        if !lower.contains(&w.to_ascii_lowercase()) {
            out.push_str(&names::camel(&w));
        }
    }
    out
}

impl Ctx<'_> {
    fn taken(&self, name: &str) -> bool {
        self.used_names.contains(name) || self.reserved.contains(name)
    }

    /// The previous naming scheme, kept to compute deprecated aliases: the plain name, else
    /// `<Owner><Name>`, else a number.
    fn legacy_name(&mut self, hint: &str, owner: &str, is_def: bool) -> String {
        let base = names::camel(hint);
        let taken = |n: &str, s: &Self| s.legacy_used.contains(n) || s.reserved.contains(n);
        if is_def && self.reserved.contains(&base) && !self.legacy_used.contains(&base) {
            self.legacy_used.insert(base.clone());
            return base;
        }
        let mut name = base.clone();
        if taken(&name, self) && !owner.is_empty() {
            name = format!("{}{}", names::camel(owner), base);
        }
        let mut n = 2;
        let stem = name.clone();
        while taken(&name, self) {
            name = format!("{stem}{n}");
            n += 1;
        }
        self.legacy_used.insert(name.clone());
        name
    }

    /// A struct name: the plain name, else `<Owner><Name>`, else a number.
    fn unique_name(&mut self, hint: &str, owner: &str, is_def: bool) -> (String, Option<String>) {
        let legacy = self.legacy_name(hint, owner, is_def);
        let base = names::camel(hint);
        let name = if is_def && self.reserved.contains(&base) && !self.used_names.contains(&base) {
            base
        } else {
            let mut name = base.clone();
            if self.taken(&name) && !owner.is_empty() {
                name = format!("{}{}", names::camel(owner), base);
            }
            let mut n = 2;
            let stem = name.clone();
            while self.taken(&name) {
                name = format!("{stem}{n}");
                n += 1;
            }
            name
        };
        self.used_names.insert(name.clone());
        let legacy = (legacy != name).then_some(legacy);
        (name, legacy)
    }

    /// An enum name: the plain name when it is free; else the owner's telling words plus the
    /// words of the name the owner does not already say (`PredefinedMetricSpecification` +
    /// `PredefinedMetricType` → `PredefinedMetricSpecificationType`); else `<Owner><Name>`;
    /// else a number.
    fn enum_name(&mut self, hint: &str, owner: &str, is_def: bool) -> (String, Option<String>) {
        let legacy = self.legacy_name(hint, owner, is_def);
        let base = names::camel(hint);
        let base_ok = (is_def && self.reserved.contains(&base) && !self.used_names.contains(&base))
            || !self.taken(&base);
        let mut candidates = vec![];
        if !owner.is_empty() {
            let ow = names::words(owner);
            let telling: Vec<String> = ow
                .iter()
                .filter(|w| !GENERIC_WORDS.contains(&w.as_str()))
                .cloned()
                .collect();
            candidates.push(merge_words(&telling, hint));
            candidates.push(merge_words(&ow, hint));
            candidates.push(format!("{}{}", names::camel(owner), base));
        }
        let name = if base_ok {
            base
        } else if let Some(c) = candidates.iter().find(|c| !self.taken(c)) {
            c.clone()
        } else {
            let stem = candidates.last().cloned().unwrap_or(base);
            let mut n = 2;
            let mut name = format!("{stem}{n}");
            while self.taken(&name) {
                n += 1;
                name = format!("{stem}{n}");
            }
            name
        };
        self.used_names.insert(name.clone());
        let legacy = (legacy != name).then_some(legacy);
        (name, legacy)
    }

    fn json(&mut self, counter: fn(&mut Stats) -> &mut usize) -> Resolved {
        *counter(self.stats) += 1;
        Resolved {
            ty: Ty::Val(Marker::Json),
            rule: RuleIr::default(),
            format: None,
        }
    }

    fn resolve_def(&mut self, name: &str) -> Resolved {
        if let Some(r) = self.memo.get(name) {
            return r.clone();
        }
        let Some(def) = self.defs.get(name).and_then(Value::as_object) else {
            return self.json(|s| &mut s.json_untyped);
        };
        if self.in_progress.contains(name) {
            return self.json(|s| &mut s.json_recursive);
        }
        self.in_progress.insert(name.to_owned());
        let r = self.resolve_obj(def, name, "", true);
        self.in_progress.remove(name);
        self.memo.insert(name.to_owned(), r.clone());
        r
    }

    /// Resolves a schema node; `hint` names generated types, `owner` disambiguates them.
    fn resolve(&mut self, node: &Value, hint: &str, owner: &str) -> Resolved {
        match node.as_object() {
            Some(o) => self.resolve_obj(o, hint, owner, false),
            None => self.json(|s| &mut s.json_untyped),
        }
    }

    fn resolve_obj(
        &mut self,
        o: &Map<String, Value>,
        hint: &str,
        owner: &str,
        is_def: bool,
    ) -> Resolved {
        if let Some(r) = o.get("$ref").and_then(s) {
            let Some(name) = r.strip_prefix("#/definitions/") else {
                return self.json(|s| &mut s.json_untyped);
            };
            let mut res = self.resolve_def(name);
            if !matches!(res.ty, Ty::Struct(_) | Ty::Tag(_)) {
                constraints(o, &mut res.rule);
            }
            return res;
        }
        let types = types_of(o);
        if types.len() > 1 {
            // Untyped, but a `format` (`json`: a string must parse) still applies.
            let mut r = self.json(|s| &mut s.json_multi_type);
            r.rule.formats = formats_of(o);
            return r;
        }
        let t = match types.first() {
            Some(t) => t.clone(),
            None => {
                if o.contains_key("properties")
                    || UNION_KEYS.iter().any(|k| union_has_properties(o.get(*k)))
                {
                    "object".to_owned()
                } else if o.contains_key("items") {
                    "array".to_owned()
                } else if o
                    .get("enum")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().all(Value::is_string))
                {
                    "string".to_owned()
                } else if o.contains_key("patternProperties") {
                    "object".to_owned()
                } else if UNION_KEYS.iter().any(|k| o.contains_key(*k)) {
                    return self.json(|s| &mut s.json_union);
                } else {
                    return self.json(|s| &mut s.json_untyped);
                }
            }
        };
        let mut rule = RuleIr::default();
        let format = o.get("format").and_then(s).map(str::to_owned);
        match t.as_str() {
            "string" => {
                constraints(o, &mut rule);
                if let Some(values) = o.get("enum").and_then(Value::as_array) {
                    if values.iter().all(Value::is_string) && !values.is_empty() {
                        let vals: Vec<String> = values
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect();
                        let id = self.make_enum(hint, owner, vals, doc_of(o), is_def);
                        return Resolved {
                            ty: Ty::Val(Marker::Enum(id)),
                            rule,
                            format,
                        };
                    }
                    self.stats.non_string_enums += 1;
                    rule.one_of = values
                        .iter()
                        .map(|v| match v {
                            Value::String(s) => s.clone(),
                            v => v.to_string(),
                        })
                        .collect();
                }
                Resolved {
                    ty: Ty::Val(Marker::Str),
                    rule,
                    format,
                }
            }
            "integer" | "number" | "boolean" => {
                constraints(o, &mut rule);
                if o.contains_key("enum") {
                    self.stats.non_string_enums += 1;
                }
                let m = match t.as_str() {
                    "integer" => Marker::Int,
                    "number" => Marker::Num,
                    _ => Marker::Bool,
                };
                Resolved {
                    ty: Ty::Val(m),
                    rule,
                    format,
                }
            }
            "array" => {
                constraints(o, &mut rule);
                // Items of an array definition are named `<Definition>Item`: the definition's
                // own name belongs to the list.
                let item_hint = if is_def {
                    format!("{hint}Item")
                } else {
                    hint.to_owned()
                };
                let item = match o.get("items") {
                    Some(i) => self.resolve(i, &item_hint, owner),
                    None => Resolved {
                        ty: Ty::Val(Marker::Json),
                        rule: RuleIr::default(),
                        format: None,
                    },
                };
                let mut item_rule = item.rule;
                // A format on the list names its items.
                let list_formats = std::mem::take(&mut rule.formats);
                if item_rule.formats.is_empty()
                    && !matches!(item.ty, Ty::Struct(_) | Ty::Tag(_) | Ty::KeyValue(_))
                {
                    item_rule.formats = list_formats.iter().map(|f| item_format(f)).collect();
                }
                if item_rule != RuleIr::default() {
                    rule.items = Some(Box::new(item_rule));
                }
                let ty = match item.ty {
                    Ty::Val(m) => Ty::Val(Marker::List(Box::new(m))),
                    other => Ty::Vec(Box::new(other)),
                };
                Resolved {
                    ty,
                    rule,
                    format: format.or(item.format),
                }
            }
            "object" => self.object(o, hint, owner, is_def),
            _ => self.json(|s| &mut s.json_untyped),
        }
    }

    fn object(
        &mut self,
        o: &Map<String, Value>,
        hint: &str,
        owner: &str,
        is_def: bool,
    ) -> Resolved {
        // Collect properties: own ones plus those of object branches of oneOf/anyOf/allOf
        // (merged into one struct; branch-level `required` only documents alternatives).
        let mut props: BTreeMap<String, Value> = BTreeMap::new();
        if let Some(p) = o.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                props.insert(k.clone(), v.clone());
            }
        }
        for k in UNION_KEYS {
            if let Some(branches) = o.get(k).and_then(Value::as_array) {
                for b in branches {
                    if let Some(p) = b.get("properties").and_then(Value::as_object) {
                        for (k, v) in p {
                            props.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                    }
                }
            }
        }
        let mut required = strs(o.get("required"));
        if let Some(branches) = o.get("allOf").and_then(Value::as_array) {
            for b in branches {
                required.extend(strs(b.get("required")));
            }
        }
        if props.is_empty() {
            // A map: patternProperties or additionalProperties with a schema.
            let value_schema = o
                .get("patternProperties")
                .and_then(Value::as_object)
                .and_then(|pp| {
                    if pp.len() == 1 {
                        pp.values().next()
                    } else {
                        None
                    }
                })
                .or_else(|| o.get("additionalProperties").filter(|a| a.is_object()));
            if let Some(vs) = value_schema {
                let v = self.resolve(vs, &format!("{hint}Value"), owner);
                if v.rule != RuleIr::default() {
                    self.stats.map_value_rules_skipped += 1;
                }
                if matches!(v.ty, Ty::Val(Marker::Json)) {
                    return Resolved {
                        ty: Ty::Val(Marker::Json),
                        rule: RuleIr::default(),
                        format: None,
                    };
                }
                return Resolved {
                    ty: Ty::Map(Box::new(v.ty)),
                    rule: RuleIr::default(),
                    format: None,
                };
            }
            return self.json(|s| &mut s.json_free_object);
        }
        // The shared Key/Value tag.
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        let is_kv = keys == ["Key", "Value"]
            && props
                .values()
                .all(|v| v.get("type").and_then(s) == Some("string") && v.get("enum").is_none());
        if is_kv {
            // The shared `Tag` always emits both keys, which is valid whether or not the
            // schema marks them required.
            if !(required.iter().any(|r| r == "Key") && required.iter().any(|r| r == "Value")) {
                self.stats.tag_kv_optional_shared += 1;
            }
            let id = self.make_struct(hint, owner, o, props, required, true, is_def);
            return Resolved {
                ty: Ty::Tag(id),
                rule: RuleIr {
                    shape: Some(id),
                    ..RuleIr::default()
                },
                format: None,
            };
        }
        let id = self.make_struct(hint, owner, o, props, required, false, is_def);
        Resolved {
            ty: Ty::Struct(id),
            rule: RuleIr {
                shape: Some(id),
                ..RuleIr::default()
            },
            format: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn make_struct(
        &mut self,
        hint: &str,
        owner: &str,
        o: &Map<String, Value>,
        props: BTreeMap<String, Value>,
        required: Vec<String>,
        tag_only: bool,
        is_def: bool,
    ) -> usize {
        let (name, legacy_name) = if tag_only {
            (format!("Tag{}", self.structs.len()), None)
        } else {
            self.unique_name(hint, owner, is_def)
        };
        let id = self.structs.len();
        let doc = doc_of(o).unwrap_or_default();
        self.structs.push(StructDef {
            name: name.clone(),
            doc,
            fields: vec![],
            legacy_name,
            tag_only,
            has_shape: false,
            origin: hint.to_owned(),
        });
        if is_def {
            // Register before recursing so self-references resolve to this struct.
            let r = if tag_only {
                Resolved {
                    ty: Ty::Tag(id),
                    rule: RuleIr {
                        shape: Some(id),
                        ..RuleIr::default()
                    },
                    format: None,
                }
            } else {
                Resolved {
                    ty: Ty::Struct(id),
                    rule: RuleIr {
                        shape: Some(id),
                        ..RuleIr::default()
                    },
                    format: None,
                }
            };
            self.memo.insert(hint.to_owned(), r);
        }
        let fields = self.fields(&props, &required, &name, "");
        self.structs[id].fields = fields;
        id
    }

    /// Fields of an object; `path` is the JSON pointer prefix for resource-level properties
    /// (`/properties`) or empty for nested ones.
    fn fields(
        &mut self,
        props: &BTreeMap<String, Value>,
        required: &[String],
        owner: &str,
        path: &str,
    ) -> Vec<Field> {
        let mut out: Vec<Field> = Vec::new();
        let mut used: BTreeSet<String> = BTreeSet::new();
        for (cfn, node) in props {
            let pointer = format!("{path}/{cfn}");
            if !path.is_empty() && self.read_only.contains(&pointer) {
                self.stats.readonly_excluded += 1;
                continue;
            }
            let mut r = self.resolve(node, cfn, owner);
            r.ty = self.tag_or_key_value(r.ty, cfn);
            if is_secret_name(cfn) && self.is_write_only(path, cfn) {
                match &r.ty {
                    Ty::Val(Marker::Str) | Ty::Val(Marker::Json) => r.rule.secret = true,
                    Ty::Val(Marker::List(m)) if **m == Marker::Str => {
                        let mut item = r.rule.items.take().map(|b| *b).unwrap_or_default();
                        item.secret = true;
                        r.rule.items = Some(Box::new(item));
                    }
                    _ => {}
                }
                if r.rule.secret || r.rule.items.as_ref().is_some_and(|i| i.secret) {
                    self.stats
                        .secret_fields
                        .push(format!("{} {}", self.type_name, cfn));
                }
            }
            let mut rust = names::snake(cfn);
            if used.contains(&rust) {
                self.stats.field_name_collisions += 1;
                let mut n = 2;
                while used.contains(&format!("{rust}_{n}")) {
                    n += 1;
                }
                rust = format!("{rust}_{n}");
            }
            used.insert(rust.clone());
            let doc = node
                .as_object()
                .and_then(doc_of)
                .or_else(|| {
                    node.get("$ref")
                        .and_then(s)
                        .and_then(|r| r.strip_prefix("#/definitions/"))
                        .and_then(|d| self.defs.get(d))
                        .and_then(Value::as_object)
                        .and_then(doc_of)
                })
                .unwrap_or_default();
            out.push(Field {
                cfn: cfn.clone(),
                rust,
                doc,
                ty: r.ty,
                rule: r.rule,
                required: required.contains(cfn),
                deprecated: !path.is_empty() && self.deprecated.contains(&pointer),
                create_only: !path.is_empty() && self.create_only.contains(&pointer),
                format: r.format,
            });
        }
        out
    }

    /// Whether the property `cfn` (at the resource level when `path` is `/properties`, else
    /// in a nested type) is write-only. A nested type is a definition that several places
    /// may use, so any write-only pointer that ends with its name counts.
    fn is_write_only(&self, path: &str, cfn: &str) -> bool {
        if !path.is_empty() {
            return self.write_only.contains(&format!("{path}/{cfn}"));
        }
        self.write_only.iter().any(|p| {
            let p = p.trim_end_matches("/*");
            p.rsplit('/').next() == Some(cfn) && p.matches('/').count() > 1
        })
    }

    /// A Key/Value pair is a resource tag (`Tag`) when its property or its definition is
    /// named like one (`Tags`, `TagSpecifications`, definition `Tag`); any other Key/Value
    /// pair (`LoadBalancerAttributes`, `StepProperties`) is a structural `KeyValue`.
    fn tag_or_key_value(&self, ty: Ty, cfn: &str) -> Ty {
        let tagish = |id: usize| {
            self.tag_property.as_deref() == Some(cfn)
                || cfn.to_ascii_lowercase().contains("tag")
                || self.structs[id].origin.to_ascii_lowercase().contains("tag")
        };
        match ty {
            Ty::Tag(id) if !tagish(id) => Ty::KeyValue(id),
            Ty::Vec(inner) => Ty::Vec(Box::new(self.tag_or_key_value(*inner, cfn))),
            Ty::Map(inner) => Ty::Map(Box::new(self.tag_or_key_value(*inner, cfn))),
            other => other,
        }
    }

    fn make_enum(
        &mut self,
        hint: &str,
        owner: &str,
        values: Vec<String>,
        doc: Option<String>,
        is_def: bool,
    ) -> usize {
        // The same inline enum (same name stem, same values) used by several nested types of
        // one resource is generated once.
        let stem = names::camel(hint);
        if let Some(i) = self
            .enums
            .iter()
            .position(|e| e.stem == stem && e.variants.iter().map(|(_, v)| v).eq(values.iter()))
        {
            return i;
        }
        let mut values = values;
        if self.enums.is_empty()
            && self
                .mutate
                .drop_enum_value
                .iter()
                .any(|t| t == self.type_name)
        {
            values.pop();
        }
        let (name, legacy_name) = self.enum_name(hint, owner, is_def);
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut variants = Vec::new();
        let mut seen_values = BTreeSet::new();
        for v in values {
            if !seen_values.insert(v.clone()) {
                continue;
            }
            let mut n = names::variant(&v);
            if used.contains(&n) {
                self.stats.variant_collisions += 1;
                let stem = n.clone();
                let mut i = 2;
                while used.contains(&n) {
                    n = format!("{stem}V{i}");
                    i += 1;
                }
            }
            used.insert(n.clone());
            variants.push((n, v));
        }
        let doc = doc.unwrap_or_default();
        self.enums.push(EnumDef {
            name,
            legacy_name,
            stem,
            doc,
            variants,
        });
        self.enums.len() - 1
    }
}

fn union_has_properties(v: Option<&Value>) -> bool {
    v.and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|b| b.get("properties").is_some()))
}

/// A cheap, side-effect-free classification of a node for attribute types.
fn attr_marker(schema: &Value, node: &Value, depth: u32) -> Marker {
    if depth > 20 {
        return Marker::Json;
    }
    if let Some(r) = node.get("$ref").and_then(s) {
        if let Some(def) = r
            .strip_prefix("#/definitions/")
            .and_then(|d| schema["definitions"].get(d))
        {
            return attr_marker(schema, def, depth + 1);
        }
        return Marker::Json;
    }
    let Some(o) = node.as_object() else {
        return Marker::Str;
    };
    let types = types_of(o);
    if types.len() > 1 {
        return Marker::Str;
    }
    match types.first().map(String::as_str) {
        Some("integer") => Marker::Int,
        Some("number") => Marker::Num,
        Some("boolean") => Marker::Bool,
        Some("array") => Marker::List(Box::new(Marker::Str)),
        Some("object") => Marker::Json,
        Some(_) => Marker::Str,
        None if o.contains_key("properties") => Marker::Json,
        None => Marker::Str,
    }
}

/// Walks a `/properties/A/B` pointer through `properties` and `$ref`s.
fn node_at<'a>(schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut parts = pointer.trim_start_matches("/properties/").split('/');
    let mut node = schema.get("properties")?.get(parts.next()?)?;
    for p in parts {
        node = deref(schema, node);
        node = node.get("properties")?.get(p)?;
    }
    Some(deref(schema, node))
}

fn deref<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..10 {
        match node
            .get("$ref")
            .and_then(s)
            .and_then(|r| r.strip_prefix("#/definitions/"))
        {
            Some(d) => match schema["definitions"].get(d) {
                Some(n) => node = n,
                None => break,
            },
            None => break,
        }
    }
    node
}

/// cfn-lint's `_getatts.py` special cases (cfn-lint 1.58.0).
const ALL_PROPERTY_TYPES: &[&str] = &[
    "AWS::Amplify::Branch",
    "AWS::Amplify::Domain",
    "AWS::AppSync::DomainName",
    "AWS::AppSync::FunctionConfiguration",
    "AWS::AppSync::Resolver",
    "AWS::AutoScaling::AutoScalingGroup",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::Backup::LogicallyAirGappedBackupVault",
    "AWS::CodeArtifact::Domain",
    "AWS::CodeArtifact::Repository",
    "AWS::EC2::CapacityReservation",
    "AWS::EC2::Instance",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::Subnet",
    "AWS::EC2::VPC",
    "AWS::EFS::MountTarget",
    "AWS::EKS::Nodegroup",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::Events::EventBus",
    "AWS::EventSchemas::Discoverer",
    "AWS::EventSchemas::Registry",
    "AWS::EventSchemas::Schema",
    "AWS::GameLift::GameSessionQueue",
    "AWS::GameLift::MatchmakingConfiguration",
    "AWS::GameLift::MatchmakingRuleSet",
    "AWS::Grafana::Workspace",
    "AWS::Greengrass::ConnectorDefinition",
    "AWS::Greengrass::CoreDefinition",
    "AWS::Greengrass::DeviceDefinition",
    "AWS::Greengrass::FunctionDefinition",
    "AWS::Greengrass::Group",
    "AWS::Greengrass::LoggerDefinition",
    "AWS::Greengrass::ResourceDefinition",
    "AWS::Greengrass::SubscriptionDefinition",
    "AWS::ImageBuilder::Component",
    "AWS::ImageBuilder::ContainerRecipe",
    "AWS::ImageBuilder::DistributionConfiguration",
    "AWS::ImageBuilder::ImagePipeline",
    "AWS::ImageBuilder::ImageRecipe",
    "AWS::ImageBuilder::InfrastructureConfiguration",
    "AWS::ManagedBlockchain::Node",
    "AWS::Neptune::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBParameterGroup",
    "AWS::RedshiftServerless::Workgroup",
    "AWS::RoboMaker::RobotApplication",
    "AWS::RoboMaker::SimulationApplication",
    "AWS::Route53Resolver::ResolverRule",
    "AWS::Route53Resolver::ResolverRuleAssociation",
    "AWS::S3::AccessPoint",
    "AWS::SageMaker::DataQualityJobDefinition",
    "AWS::SageMaker::ModelBiasJobDefinition",
    "AWS::SageMaker::ModelExplainabilityJobDefinition",
    "AWS::SageMaker::ModelQualityJobDefinition",
    "AWS::SageMaker::MonitoringSchedule",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
    "AWS::StepFunctions::Activity",
];

const EXCEPTIONS: &[(&str, &[&str])] = &[
    (
        "AWS::AppMesh::GatewayRoute",
        &[
            "GatewayRouteName",
            "MeshName",
            "MeshOwner",
            "VirtualGatewayName",
        ],
    ),
    ("AWS::AppMesh::Mesh", &["MeshName"]),
    (
        "AWS::AppMesh::Route",
        &["MeshName", "MeshOwner", "RouteName", "VirtualRouterName"],
    ),
    (
        "AWS::AppMesh::VirtualGateway",
        &["MeshName", "MeshOwner", "VirtualGatewayName"],
    ),
    (
        "AWS::AppMesh::VirtualNode",
        &["MeshName", "MeshOwner", "VirtualNodeName"],
    ),
    (
        "AWS::AppMesh::VirtualRouter",
        &["MeshName", "MeshOwner", "VirtualRouterName"],
    ),
    (
        "AWS::AppMesh::VirtualService",
        &["MeshName", "MeshOwner", "VirtualServiceName"],
    ),
    ("AWS::AppSync::DataSource", &["Name"]),
    ("AWS::Cloud9::EnvironmentEC2", &["Name"]),
    ("AWS::CloudWatch::InsightRule", &["RuleName"]),
    ("AWS::DocDB::DBCluster", &["Port"]),
    ("AWS::Greengrass::ConnectorDefinition", &["Name"]),
    ("AWS::Greengrass::CoreDefinition", &["Name"]),
    ("AWS::Greengrass::DeviceDefinition", &["Name"]),
    ("AWS::Greengrass::FunctionDefinition", &["Name"]),
    ("AWS::Greengrass::Group", &["Name", "RoleArn"]),
    ("AWS::Greengrass::LoggerDefinition", &["Name"]),
    ("AWS::Greengrass::ResourceDefinition", &["Name"]),
    ("AWS::Greengrass::SubscriptionDefinition", &["Name"]),
    ("AWS::IoT1Click::Device", &["Enabled"]),
    (
        "AWS::IoT1Click::Placement",
        &["PlacementName", "ProjectName"],
    ),
    ("AWS::IoT1Click::Project", &["ProjectName"]),
    (
        "AWS::Kinesis::StreamConsumer",
        &["ConsumerName", "StreamARN"],
    ),
    ("AWS::ManagedBlockchain::Member", &["NetworkId"]),
    ("AWS::MediaConvert::JobTemplate", &["Name"]),
    ("AWS::MediaConvert::Preset", &["Name"]),
    ("AWS::MediaConvert::Queue", &["Name"]),
    ("AWS::MediaLive::Input", &["Destinations", "Sources"]),
    ("AWS::OpsWorks::Instance", &["AvailabilityZone"]),
    ("AWS::OpsWorks::UserProfile", &["SshUsername"]),
    (
        "AWS::Route53Resolver::ResolverEndpoint",
        &["Direction", "Name"],
    ),
    ("AWS::SageMaker::CodeRepository", &["CodeRepositoryName"]),
    ("AWS::SageMaker::Endpoint", &["EndpointName"]),
    ("AWS::SageMaker::EndpointConfig", &["EndpointConfigName"]),
    ("AWS::SageMaker::Model", &["ModelName"]),
    (
        "AWS::SageMaker::NotebookInstance",
        &["NotebookInstanceName"],
    ),
    (
        "AWS::SageMaker::NotebookInstanceLifecycleConfig",
        &["NotebookInstanceLifecycleConfigName"],
    ),
    ("AWS::SageMaker::Workteam", &["WorkteamName"]),
    ("AWS::ServiceDiscovery::Service", &["Name"]),
    ("AWS::Transfer::User", &["ServerId", "UserName"]),
];

/// What `Ref` returns where it is not "the single primary identifier" (composite
/// identifiers) or where the CloudFormation docs are worth pinning: `(type, the property
/// `Ref` returns or `None` for an opaque generated ID, source)`.
pub const REF_OVERRIDES: &[(&str, Option<&str>, &str)] = &[
    ("AWS::ApplicationAutoScaling::ScalableTarget", None, "CFN docs: `Ref` returns a generated ID (`service/cluster/svc|ecs:service:DesiredCount|ecs`)"),
    ("AWS::ApplicationAutoScaling::ScalingPolicy", Some("Arn"), "CFN docs: `Ref` returns the policy ARN"),
    ("AWS::EC2::EIP", Some("PublicIp"), "CFN docs: `Ref` returns the Elastic IP address"),
    ("AWS::ECS::Cluster", Some("ClusterName"), "CFN docs: `Ref` returns the cluster name"),
    ("AWS::ECS::Service", Some("ServiceArn"), "CFN docs: `Ref` returns the service ARN"),
];

fn attr_walk(
    schema: &Value,
    node: &Value,
    path: &str,
    out: &mut Vec<(String, Marker)>,
    depth: u32,
) {
    if depth > 12 {
        return;
    }
    let node = deref(schema, node);
    let types = node
        .get("type")
        .map(|t| match t {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => vec![],
        })
        .unwrap_or_default();
    if types.iter().any(|t| t == "object") {
        if let Some(p) = node.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                attr_walk(schema, v, &format!("{path}.{k}"), out, depth + 1);
            }
        }
    } else if types.iter().any(|t| t == "array") {
        let it = node.get("items").map(|i| deref(schema, i));
        let it_t = it.and_then(|i| i.get("type")).and_then(s);
        if matches!(it_t, Some("object") | Some("array")) {
            return;
        }
        out.push((path.to_owned(), Marker::List(Box::new(Marker::Str))));
    } else {
        out.push((path.to_owned(), attr_marker(schema, node, 0)));
    }
}

/// Builds the model of one resource type.
pub fn build(type_name: &str, schema: &Value, stats: &mut Stats, mutate: &Mutations) -> TypeModel {
    let empty = Map::new();
    let defs = schema
        .get("definitions")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let ptrs = |k: &str| -> BTreeSet<String> { strs(schema.get(k)).into_iter().collect() };
    let read_only = ptrs("readOnlyProperties");
    let mut ctx = Ctx {
        schema,
        defs,
        structs: vec![],
        enums: vec![],
        used_names: BTreeSet::new(),
        legacy_used: BTreeSet::new(),
        reserved: BTreeSet::new(),
        memo: HashMap::new(),
        mutate,
        type_name,
        tag_property: schema
            .pointer("/tagging/tagProperty")
            .and_then(s)
            .and_then(|p| p.strip_prefix("/properties/"))
            .filter(|p| !p.contains('/'))
            .map(str::to_owned),
        in_progress: BTreeSet::new(),
        stats,
        deprecated: ptrs("deprecatedProperties"),
        create_only: ptrs("createOnlyProperties"),
        read_only: read_only.clone(),
        write_only: ptrs("writeOnlyProperties"),
    };
    let _ = ctx.schema;
    let rust_name = names::camel(type_name.rsplit("::").next().unwrap_or(type_name));
    // Reserve definition names first so inline types never take them.
    for d in defs.keys() {
        ctx.reserved.insert(names::camel(d));
    }
    let props_obj = schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // Writable properties: read-only ones are attributes, not inputs. A property whose every
    // nested field is read-only (`/properties/Endpoint/Address`, …) is read-only too.
    let mut props: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in &props_obj {
        let p = format!("/properties/{k}");
        if read_only.contains(&p) {
            ctx.stats.readonly_excluded += 1;
            continue;
        }
        let nested_ro: Vec<&String> = read_only
            .iter()
            .filter(|r| r.starts_with(&format!("{p}/")))
            .collect();
        if !nested_ro.is_empty() {
            let node = deref(schema, v);
            if let Some(sub) = node.get("properties").and_then(Value::as_object) {
                if sub
                    .keys()
                    .all(|sk| read_only.contains(&format!("{p}/{sk}")))
                {
                    ctx.stats.readonly_excluded += 1;
                    continue;
                }
            }
        }
        props.insert(k.clone(), v.clone());
    }
    let mut required = strs(schema.get("required"));
    if mutate.drop_required.iter().any(|t| t == type_name) && !required.is_empty() {
        required.remove(0);
    }
    let fields = ctx.fields(&props, &required, &rust_name, "/properties");
    let resource = StructDef {
        name: rust_name.clone(),
        doc: doc_of(schema.as_object().unwrap_or(&empty)).unwrap_or_default(),
        fields,
        legacy_name: None,
        tag_only: false,
        has_shape: false,
        origin: type_name.to_owned(),
    };

    // Attributes.
    let mut attr_list: Vec<(String, Marker)> = Vec::new();
    let mut outputs_attr = false;
    if ALL_PROPERTY_TYPES.contains(&type_name) {
        for (k, v) in &props_obj {
            attr_walk(schema, v, k, &mut attr_list, 0);
        }
    } else {
        if let Some((_, ex)) = EXCEPTIONS.iter().find(|(t, _)| *t == type_name) {
            for n in *ex {
                let m = node_at(schema, &format!("/properties/{n}"))
                    .map(|nd| attr_marker(schema, nd, 0))
                    .unwrap_or(Marker::Str);
                attr_list.push(((*n).to_owned(), m));
            }
        }
        let outputs_types = [
            "AWS::CloudFormation::Stack",
            "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
        ];
        if type_name == outputs_types[0] {
            outputs_attr = true;
        } else {
            for ro in &read_only {
                if type_name == outputs_types[1] && ro == "/properties/Outputs" {
                    outputs_attr = true;
                    continue;
                }
                if ro.contains('*') {
                    ctx.stats.attrs_skipped_array += 1;
                    continue;
                }
                let m = node_at(schema, ro)
                    .map(|nd| attr_marker(schema, nd, 0))
                    .unwrap_or(Marker::Str);
                attr_list.push((pointer_to_name(ro), m));
            }
        }
    }
    attr_list.sort_by(|a, b| a.0.cmp(&b.0));
    attr_list.dedup_by(|a, b| a.0 == b.0);
    let mut used = BTreeSet::new();
    let mut attrs = Vec::new();
    for (name, marker) in attr_list {
        let mut method = format!(
            "attr_{}",
            name.split('.')
                .map(names::snake)
                .map(|s| s.trim_end_matches('_').to_owned())
                .collect::<Vec<_>>()
                .join("_")
        );
        if used.contains(&method) {
            let mut n = 2;
            while used.contains(&format!("{method}_{n}")) {
                n += 1;
            }
            method = format!("{method}_{n}");
        }
        used.insert(method.clone());
        attrs.push(Attr {
            name,
            method,
            marker,
        });
    }

    let primary_identifier: Vec<String> = strs(schema.get("primaryIdentifier"))
        .iter()
        .map(|p| pointer_to_name(p))
        .collect();
    let ref_doc = match REF_OVERRIDES.iter().find(|(t, _, _)| *t == type_name) {
        Some((_, Some(p), why)) => format!("`Ref` returns the `{p}` ({why})."),
        Some((_, None, why)) => format!("`Ref` returns an opaque identifier ({why})."),
        None if primary_identifier.len() == 1 => {
            format!("`Ref` returns the `{}`.", primary_identifier[0])
        }
        None => "`Ref` returns an opaque identifier string.".to_owned(),
    };
    let tagging = schema.get("tagging");
    let taggable = tagging
        .and_then(|t| t.get("taggable"))
        .and_then(Value::as_bool)
        .or_else(|| schema.get("taggable").and_then(Value::as_bool))
        .unwrap_or(false);
    let tag_property = tagging
        .and_then(|t| t.get("tagProperty"))
        .and_then(s)
        .map(pointer_to_name);
    let tag_shape = match (&tag_property, taggable) {
        (_, false) => "None",
        (None, true) => "Other",
        (Some(tp), true) => match ctx_field_ty(&resource, tp) {
            Some(Ty::Vec(inner)) if matches!(**inner, Ty::Tag(_)) => "KeyValueList",
            Some(Ty::Map(_)) => "Map",
            Some(Ty::Val(Marker::Json)) => "Json",
            Some(_) => "Other",
            None => "Other",
        },
    };
    let sunset = schema.get("lifecycle").map(|l| {
        format!(
            "{} on {}",
            l.get("status").and_then(s).unwrap_or("deprecated"),
            l.get("date").and_then(s).unwrap_or("an unspecified date")
        )
    });
    let mut m = TypeModel {
        type_name: type_name.to_owned(),
        submodule: names::snake(type_name.rsplit("::").next().unwrap_or(type_name)),
        rust_name,
        doc: String::new(),
        resource,
        structs: ctx.structs,
        enums: ctx.enums,
        attrs,
        outputs_attr,
        ref_doc,
        ref_property: match REF_OVERRIDES.iter().find(|(t, _, _)| *t == type_name) {
            Some((_, p, _)) => p.map(str::to_owned),
            None if primary_identifier.len() == 1 => Some(primary_identifier[0].clone()),
            None => None,
        },
        create_only: strs(schema.get("createOnlyProperties"))
            .iter()
            .map(|p| pointer_to_name(p))
            .collect(),
        write_only: strs(schema.get("writeOnlyProperties"))
            .iter()
            .map(|p| pointer_to_name(p))
            .collect(),
        read_only: read_only.iter().map(|p| pointer_to_name(p)).collect(),
        primary_identifier,
        taggable,
        tag_property,
        tag_shape,
        sunset,
        deprecated_props: strs(schema.get("deprecatedProperties"))
            .iter()
            .map(|p| pointer_to_name(p))
            .collect(),
    };
    m.doc = m.resource.doc.clone();
    finish(&mut m);
    m
}

fn ctx_field_ty<'a>(r: &'a StructDef, name: &str) -> Option<&'a Ty> {
    r.fields.iter().find(|f| f.cfn == name).map(|f| &f.ty)
}

fn rule_nonempty(r: &RuleIr, structs: &[StructDef]) -> bool {
    r.min_len.is_some()
        || r.max_len.is_some()
        || r.min.is_some()
        || r.max.is_some()
        || r.pattern.is_some()
        || !r.one_of.is_empty()
        || r.min_items.is_some()
        || r.max_items.is_some()
        || !r.formats.is_empty()
        || r.secret
        || r.items.as_ref().is_some_and(|i| rule_nonempty(i, structs))
        || r.shape.is_some_and(|s| structs[s].has_shape)
}

/// Computes which structs have shapes (fixpoint) and boxes recursive struct fields.
fn finish(m: &mut TypeModel) {
    loop {
        let mut changed = false;
        for i in 0..m.structs.len() {
            if !m.structs[i].has_shape
                && m.structs[i]
                    .fields
                    .iter()
                    .any(|f| rule_nonempty(&f.rule, &m.structs))
            {
                m.structs[i].has_shape = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    m.resource.has_shape = m
        .resource
        .fields
        .iter()
        .any(|f| rule_nonempty(&f.rule, &m.structs));
    // Emit only the shapes a resource shape can reach (map values carry no rules).
    let mut reached = vec![false; m.structs.len()];
    fn visit(r: &RuleIr, structs: &[StructDef], reached: &mut Vec<bool>) {
        if let Some(i) = &r.items {
            visit(i, structs, reached);
        }
        if let Some(s) = r.shape {
            if structs[s].has_shape && !reached[s] {
                reached[s] = true;
                for f in &structs[s].fields {
                    visit(&f.rule, structs, reached);
                }
            }
        }
    }
    for f in &m.resource.fields {
        visit(&f.rule, &m.structs, &mut reached);
    }
    for (s, r) in m.structs.iter_mut().zip(reached) {
        s.has_shape = r;
    }
    // Direct struct edges (not through Vec/Map, which already indirect).
    let n = m.structs.len();
    let direct = |s: &StructDef| -> Vec<usize> {
        s.fields
            .iter()
            .filter_map(|f| {
                if let Ty::Struct(t) = f.ty {
                    Some(t)
                } else {
                    None
                }
            })
            .collect()
    };
    let edges: Vec<Vec<usize>> = m.structs.iter().map(direct).collect();
    let reaches = |from: usize, to: usize| -> bool {
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(x) = stack.pop() {
            if x == to {
                return true;
            }
            if std::mem::replace(&mut seen[x], true) {
                continue;
            }
            stack.extend(edges[x].iter().copied());
        }
        false
    };
    for i in 0..n {
        for fi in 0..m.structs[i].fields.len() {
            if let Ty::Struct(t) = m.structs[i].fields[fi].ty {
                if reaches(t, i) {
                    let f = &mut m.structs[i].fields[fi];
                    f.ty = Ty::Boxed(Box::new(Ty::Struct(t)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        names::words(s)
    }

    #[test]
    fn disambiguated_enum_names_do_not_repeat_the_owner() {
        assert_eq!(
            merge_words(
                &words("PredefinedMetricSpecification"),
                "PredefinedMetricType"
            ),
            "PredefinedMetricSpecificationType"
        );
        let telling: Vec<String> = words("HttpEndpointDestinationConfiguration")
            .into_iter()
            .filter(|w| !GENERIC_WORDS.contains(&w.as_str()))
            .collect();
        assert_eq!(
            merge_words(&telling, "S3BackupMode"),
            "HttpEndpointDestinationS3BackupMode"
        );
    }

    /// A schema with two different enums called `Mode` under two definitions.
    fn two_modes() -> Value {
        serde_json::json!({
            "properties": {
                "A": {"$ref": "#/definitions/First"},
                "B": {"$ref": "#/definitions/SecondSpecification"}
            },
            "definitions": {
                "First": {"type": "object", "properties": {"Mode": {"type": "string", "enum": ["x", "y"]}}},
                "SecondSpecification": {"type": "object", "properties": {"Mode": {"type": "string", "enum": ["z"]}}}
            }
        })
    }

    #[test]
    fn a_renamed_enum_remembers_its_old_name() {
        let mut stats = Stats::default();
        let m = build("AWS::X::Y", &two_modes(), &mut stats, &Mutations::default());
        let names: Vec<(&str, Option<&str>)> = m
            .enums
            .iter()
            .map(|e| (e.name.as_str(), e.legacy_name.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                ("Mode", None),
                ("SecondMode", Some("SecondSpecificationMode"))
            ]
        );
    }

    #[test]
    fn key_value_pairs_are_tags_only_when_named_like_tags() {
        let schema = serde_json::json!({
            "properties": {
                "Tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
                "Attributes": {"type": "array", "items": {"$ref": "#/definitions/Attribute"}}
            },
            "definitions": {
                "Tag": {"type": "object", "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}}},
                "Attribute": {"type": "object", "properties": {"Key": {"type": "string"}, "Value": {"type": "string"}}}
            }
        });
        let m = build(
            "AWS::X::Y",
            &schema,
            &mut Stats::default(),
            &Mutations::default(),
        );
        let ty = |n: &str| m.resource.fields.iter().find(|f| f.cfn == n).map(|f| &f.ty);
        assert!(matches!(ty("Tags"), Some(Ty::Vec(t)) if matches!(**t, Ty::Tag(_))));
        assert!(matches!(ty("Attributes"), Some(Ty::Vec(t)) if matches!(**t, Ty::KeyValue(_))));
    }

    #[test]
    fn mutations_break_the_model_on_purpose() {
        let schema = serde_json::json!({
            "properties": {"Name": {"type": "string"}, "Mode": {"type": "string", "enum": ["a", "b"]}},
            "required": ["Name"]
        });
        let plain = build(
            "AWS::X::Y",
            &schema,
            &mut Stats::default(),
            &Mutations::default(),
        );
        assert!(plain.resource.fields.iter().any(|f| f.required));
        assert_eq!(plain.enums[0].variants.len(), 2);
        let mutate = Mutations {
            drop_required: vec!["AWS::X::Y".into()],
            drop_enum_value: vec!["AWS::X::Y".into()],
        };
        let broken = build("AWS::X::Y", &schema, &mut Stats::default(), &mutate);
        assert!(!broken.resource.fields.iter().any(|f| f.required));
        assert_eq!(broken.enums[0].variants.len(), 1);
    }
}
