//! Schema conformance: every generated type checked against the raw CloudFormation schemas
//! in the pinned cfn-lint wheel (installed by `scripts/setup-tools` into `.venv`).
//!
//! This test does not use the generator's model. It reads the schemas itself, parses the
//! generated Rust (`src/cfn/**`) with `syn`, and compares, for every resource type and
//! every nested type reachable from it:
//! - property names: the keys the serializer writes (`props!` lists) are exactly the
//!   schema's writable properties;
//! - the required set: required properties are the non-`Option` fields, the `req` group of
//!   the serializer and the parameters of `new()`;
//! - types: `Val<String|i64|f64|bool>`, enums (with exactly the schema's values), lists,
//!   maps, nested structs, `Tag`/`KeyValue`, and the counted `Json` fallbacks;
//! - constraints: the `Shape` rules (lengths, ranges, patterns, non-string enums, item
//!   counts, nested shapes) equal the schema's.
//!
//! `a_mutated_generator_is_caught` runs the generator with deliberate bugs (a required
//! property dropped, an enum value dropped) and checks that this test reports them.
//!
//! The test lives in the `stackforge-codegen` crate (`publish = false`), so it is not part
//! of the published package.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Item, Lit, Token, Type};

// ---------------------------------------------------------------------------------------
// Finding the schemas

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

/// The schema directory of the pinned cfn-lint; fails loudly when it is not installed.
fn schemas_dir() -> PathBuf {
    if let Ok(d) = std::env::var("STACKFORGE_SCHEMAS") {
        return PathBuf::from(d);
    }
    let py = workspace_root().join(".venv/tools/bin/python");
    let out = std::process::Command::new(&py)
        .args([
            "-c",
            "import cfnlint, os; print(os.path.dirname(cfnlint.__file__))",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): run scripts/setup-tools (this test needs cfn-lint's schemas)",
                py.display()
            )
        });
    assert!(
        out.status.success(),
        "{} cannot import cfnlint: run scripts/setup-tools",
        py.display()
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("data/schemas")
}

fn read_json(p: &Path) -> Value {
    let s = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

// ---------------------------------------------------------------------------------------
// The generated code, as parsed by syn

/// `props! { resource Name = "AWS::…", shape: …; req { a = "A" } opt { b = "B" } }` or
/// `props! { nested Name; … }`.
struct PropsMacro {
    name: String,
    type_name: Option<String>,
    shape: Option<String>,
    req: Vec<(String, String)>,
    opt: Vec<(String, String)>,
}

fn parse_pairs(input: ParseStream) -> syn::Result<Vec<(String, String)>> {
    let content;
    syn::braced!(content in input);
    let mut out = Vec::new();
    while !content.is_empty() {
        let f: syn::Ident = content.parse()?;
        content.parse::<Token![=]>()?;
        let k: syn::LitStr = content.parse()?;
        out.push((f.to_string(), k.value()));
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    Ok(out)
}

impl Parse for PropsMacro {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let kind: syn::Ident = input.parse()?;
        let name: syn::Ident = input.parse()?;
        let mut m = PropsMacro {
            name: name.to_string(),
            type_name: None,
            shape: None,
            req: vec![],
            opt: vec![],
        };
        if kind == "resource" {
            input.parse::<Token![=]>()?;
            m.type_name = Some(input.parse::<syn::LitStr>()?.value());
            input.parse::<Token![,]>()?;
            let _: syn::Ident = input.parse()?; // shape
            input.parse::<Token![:]>()?;
            let e: Expr = input.parse()?;
            m.shape = shape_path(&e);
        }
        input.parse::<Token![;]>()?;
        while !input.is_empty() {
            let g: syn::Ident = input.parse()?;
            let pairs = parse_pairs(input)?;
            if g == "req" {
                m.req = pairs;
            } else {
                m.opt = pairs;
            }
        }
        Ok(m)
    }
}

/// `cfn_enum!(Name, ["a", "b"])`.
struct EnumMacro {
    name: String,
    values: Vec<String>,
}

impl Parse for EnumMacro {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: syn::Ident = input.parse()?;
        input.parse::<Token![,]>()?;
        let content;
        syn::bracketed!(content in input);
        let values: Punctuated<syn::LitStr, Token![,]> =
            content.parse_terminated(|p| p.parse::<syn::LitStr>(), Token![,])?;
        Ok(EnumMacro {
            name: name.to_string(),
            values: values.iter().map(|v| v.value()).collect(),
        })
    }
}

/// `Some(&path::TO_SHAPE)` → the path.
fn shape_path(e: &Expr) -> Option<String> {
    let Expr::Call(c) = e else { return None };
    let Some(Expr::Reference(r)) = c.args.first() else {
        return None;
    };
    let Expr::Path(p) = &*r.expr else { return None };
    Some(path_string(&p.path))
}

fn path_string(p: &syn::Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

#[derive(Debug, Clone, PartialEq, Default)]
struct RuleX {
    min_len: Option<u64>,
    max_len: Option<u64>,
    min: Option<f64>,
    max: Option<f64>,
    pattern: Option<(String, String)>,
    one_of: Vec<String>,
    min_items: Option<u64>,
    max_items: Option<u64>,
    items: Option<Box<RuleX>>,
    shape: Option<String>,
    formats: Vec<String>,
    secret: bool,
}

fn lit_f64(e: &Expr) -> Option<f64> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Float(f) => f.base10_parse().ok(),
            Lit::Int(i) => i.base10_parse().ok(),
            _ => None,
        },
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Neg(_)) => lit_f64(&u.expr).map(|v| -v),
        _ => None,
    }
}

/// The argument of `Some(x)`.
fn some_arg(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Call(c) => c.args.first(),
        _ => None,
    }
}

fn parse_rule(e: &Expr) -> RuleX {
    let Expr::Struct(s) = e else {
        panic!("a Rule literal, found {}", quote_expr(e))
    };
    let mut r = RuleX::default();
    for f in &s.fields {
        let syn::Member::Named(n) = &f.member else {
            continue;
        };
        let v = &f.expr;
        match n.to_string().as_str() {
            "min_len" => r.min_len = some_arg(v).and_then(lit_f64).map(|x| x as u64),
            "max_len" => r.max_len = some_arg(v).and_then(lit_f64).map(|x| x as u64),
            "min" => r.min = some_arg(v).and_then(lit_f64),
            "max" => r.max = some_arg(v).and_then(lit_f64),
            "min_items" => r.min_items = some_arg(v).and_then(lit_f64).map(|x| x as u64),
            "max_items" => r.max_items = some_arg(v).and_then(lit_f64).map(|x| x as u64),
            "pattern" => {
                if let Some(Expr::Call(c)) = some_arg(v) {
                    let kind = match &*c.func {
                        Expr::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                        _ => None,
                    }
                    .unwrap_or_default();
                    if let Some(Expr::Lit(l)) = c.args.first() {
                        if let Lit::Str(s) = &l.lit {
                            r.pattern = Some((kind, s.value()));
                        }
                    }
                }
            }
            "one_of" => {
                if let Expr::Reference(rf) = v {
                    if let Expr::Array(a) = &*rf.expr {
                        for x in &a.elems {
                            if let Expr::Lit(l) = x {
                                if let Lit::Str(s) = &l.lit {
                                    r.one_of.push(s.value());
                                }
                            }
                        }
                    }
                }
            }
            "items" => {
                if let Some(Expr::Reference(rf)) = some_arg(v) {
                    r.items = Some(Box::new(parse_rule(&rf.expr)));
                }
            }
            "shape" => r.shape = shape_path(v),
            "formats" => {
                if let Expr::Reference(rf) = v {
                    if let Expr::Array(a) = &*rf.expr {
                        for x in &a.elems {
                            if let Expr::Path(p) = x {
                                let last = p.path.segments.last().map(|s| s.ident.to_string());
                                r.formats.extend(last);
                            }
                        }
                    }
                }
            }
            "secret" => {
                r.secret = matches!(v, Expr::Lit(l) if matches!(&l.lit, Lit::Bool(b) if b.value))
            }
            _ => {}
        }
    }
    r
}

fn quote_expr(e: &Expr) -> String {
    format!("{}", quote::quote!(#e))
}

/// One parsed module: its items by name.
#[derive(Default)]
struct Module {
    structs: HashMap<String, Vec<(String, Type)>>,
    enums: HashMap<String, Vec<String>>,
    props: HashMap<String, PropsMacro>,
    uses: HashMap<String, String>,
    shapes: HashMap<String, Vec<(String, RuleX)>>,
    /// `new()` parameter names per struct.
    news: HashMap<String, Vec<String>>,
    resources: Vec<(String, String)>,
}

fn collect(items: &[Item], path: &str, out: &mut HashMap<String, Module>) {
    let mut m = Module::default();
    for it in items {
        match it {
            Item::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .filter_map(|f| f.ident.as_ref().map(|i| (i.to_string(), f.ty.clone())))
                    .collect();
                m.structs.insert(s.ident.to_string(), fields);
            }
            Item::Macro(mac) => {
                let name = mac.mac.path.segments.last().map(|s| s.ident.to_string());
                match name.as_deref() {
                    Some("props") => {
                        let p: PropsMacro = mac.mac.parse_body().expect("props! parses");
                        if let Some(t) = &p.type_name {
                            m.resources.push((t.clone(), p.name.clone()));
                        }
                        m.props.insert(p.name.clone(), p);
                    }
                    Some("cfn_enum") => {
                        let e: EnumMacro = mac.mac.parse_body().expect("cfn_enum! parses");
                        m.enums.insert(e.name, e.values);
                    }
                    _ => {}
                }
            }
            Item::Use(u) => collect_use(&u.tree, String::new(), &mut m.uses),
            Item::Static(s) => {
                if let Expr::Call(c) = &*s.expr {
                    if let Some(Expr::Reference(r)) = c.args.first() {
                        if let Expr::Array(a) = &*r.expr {
                            let rules = a
                                .elems
                                .iter()
                                .filter_map(|t| match t {
                                    Expr::Tuple(t) => {
                                        let name = match &t.elems[0] {
                                            Expr::Lit(l) => match &l.lit {
                                                Lit::Str(s) => s.value(),
                                                _ => return None,
                                            },
                                            _ => return None,
                                        };
                                        Some((name, parse_rule(&t.elems[1])))
                                    }
                                    _ => None,
                                })
                                .collect();
                            m.shapes.insert(s.ident.to_string(), rules);
                        }
                    }
                }
            }
            Item::Impl(i) if i.trait_.is_none() => {
                if let Type::Path(tp) = &*i.self_ty {
                    let name = tp.path.segments.last().map(|s| s.ident.to_string());
                    for ii in &i.items {
                        if let syn::ImplItem::Fn(f) = ii {
                            if f.sig.ident == "new" {
                                let params = f
                                    .sig
                                    .inputs
                                    .iter()
                                    .filter_map(|a| match a {
                                        syn::FnArg::Typed(pt) => match &*pt.pat {
                                            syn::Pat::Ident(pi) => Some(pi.ident.to_string()),
                                            _ => None,
                                        },
                                        _ => None,
                                    })
                                    .collect();
                                if let Some(n) = &name {
                                    m.news.insert(n.clone(), params);
                                }
                            }
                        }
                    }
                }
            }
            Item::Mod(md) => {
                if let Some((_, items)) = &md.content {
                    collect(items, &format!("{path}::{}", md.ident), out);
                }
            }
            _ => {}
        }
    }
    out.insert(path.to_owned(), m);
}

fn collect_use(t: &syn::UseTree, prefix: String, out: &mut HashMap<String, String>) {
    match t {
        syn::UseTree::Path(p) => {
            let pre = if prefix.is_empty() {
                p.ident.to_string()
            } else {
                format!("{prefix}::{}", p.ident)
            };
            collect_use(&p.tree, pre, out);
        }
        syn::UseTree::Name(n) => {
            out.insert(n.ident.to_string(), format!("{prefix}::{}", n.ident));
        }
        syn::UseTree::Rename(r) => {
            out.insert(r.rename.to_string(), format!("{prefix}::{}", r.ident));
        }
        syn::UseTree::Group(g) => {
            for i in &g.items {
                collect_use(i, prefix.clone(), out);
            }
        }
        syn::UseTree::Glob(_) => {}
    }
}

/// The generated tree under `root` (a workspace or a generator `--out` directory).
struct Generated {
    modules: HashMap<String, Module>,
    /// CloudFormation type → (module path, struct name).
    resources: BTreeMap<String, (String, String)>,
}

impl Generated {
    fn load(root: &Path) -> Generated {
        let mut modules = HashMap::new();
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        for (dir, prefix) in [
            ("src/cfn", "crate::cfn"),
            ("src/cfn/shared", "crate::cfn::shared"),
        ] {
            let rd = std::fs::read_dir(root.join(dir))
                .unwrap_or_else(|e| panic!("{}: {e}", root.join(dir).display()));
            for e in rd.flatten() {
                let p = e.path();
                let stem = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or_default()
                    .to_owned();
                if p.extension().is_some_and(|x| x == "rs")
                    && !["mod", "meta"].contains(&stem.as_str())
                {
                    let modpath = if dir == "src/cfn" && stem == "shared" {
                        continue;
                    } else {
                        format!("{prefix}::{stem}")
                    };
                    files.push((p, modpath));
                }
            }
        }
        for (p, modpath) in files {
            let src =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let file = syn::parse_file(&src).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            collect(&file.items, &modpath, &mut modules);
        }
        let mut resources = BTreeMap::new();
        for (path, m) in &modules {
            for (t, name) in &m.resources {
                resources.insert(t.clone(), (path.clone(), name.clone()));
            }
        }
        Generated { modules, resources }
    }

    /// Follows `pub use` re-exports to the defining module and name.
    fn resolve(&self, full: &str) -> Option<(String, String)> {
        let (module, name) = full.rsplit_once("::")?;
        let m = self.modules.get(module)?;
        if m.structs.contains_key(name) || m.enums.contains_key(name) || m.shapes.contains_key(name)
        {
            return Some((module.to_owned(), name.to_owned()));
        }
        let target = m.uses.get(name)?;
        self.resolve(target)
    }
}

// ---------------------------------------------------------------------------------------
// What the schema says

/// Counts of the documented fallbacks met while checking.
#[derive(Debug, Default)]
struct Fallbacks {
    json_multi_type: usize,
    json_union: usize,
    json_free_object: usize,
    json_untyped: usize,
    non_string_enum: usize,
    map_values_rules_not_checked: usize,
    nested_read_only_fields: usize,
    unsupported_patterns: usize,
}

fn types_of(o: &Map<String, Value>) -> Vec<String> {
    match o.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(a)) => {
            let mut v: Vec<String> = a
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .map(str::to_owned)
                .collect();
            v.dedup();
            v
        }
        _ => vec![],
    }
}

const UNIONS: [&str; 3] = ["oneOf", "anyOf", "allOf"];

/// The object's properties: its own and those of the object branches of oneOf/anyOf/allOf.
fn properties(o: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut props = BTreeMap::new();
    if let Some(p) = o.get("properties").and_then(Value::as_object) {
        for (k, v) in p {
            props.insert(k.clone(), v.clone());
        }
    }
    for u in UNIONS {
        for b in o.get(u).and_then(Value::as_array).into_iter().flatten() {
            if let Some(p) = b.get("properties").and_then(Value::as_object) {
                for (k, v) in p {
                    props.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
    props
}

fn strs(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(str::to_owned))
        .collect()
}

/// `required`, plus that of allOf branches (oneOf/anyOf branches are alternatives).
fn required(o: &Map<String, Value>) -> BTreeSet<String> {
    let mut r: BTreeSet<String> = strs(o.get("required")).into_iter().collect();
    for b in o
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        r.extend(strs(b.get("required")));
    }
    r
}

/// Adds the constraints of `node` that are not set yet (a definition's own constraints win
/// over those of the property that refers to it).
fn constraints(node: &Map<String, Value>, r: &mut RuleX) {
    let u = |k: &str| node.get(k).and_then(Value::as_u64);
    let f = |k: &str| node.get(k).and_then(Value::as_f64);
    r.min_len = r.min_len.or(u("minLength"));
    r.max_len = r.max_len.or(u("maxLength"));
    r.min = r.min.or(f("minimum"));
    r.max = r.max.or(f("maximum"));
    r.min_items = r.min_items.or(u("minItems"));
    r.max_items = r.max_items.or(u("maxItems"));
    if r.pattern.is_none() {
        if let Some(p) = node.get("pattern").and_then(Value::as_str) {
            r.pattern = Some((String::new(), p.to_owned()));
        }
    }
    if r.formats.is_empty() {
        r.formats = formats(node);
    }
}

/// The checks of schema formats, restated: a format name and the `Format` variant.
const FORMATS: &[(&str, &str)] = &[
    ("date-time", "DateTime"),
    ("timestamp", "DateTime"),
    ("json", "Json"),
    ("ipv4-network", "Ipv4Network"),
    ("ipv6-network", "Ipv6Network"),
    ("int64", "Int64"),
    ("double", "Double"),
    ("uri", "Uri"),
    ("AWS::EC2::VPC.Id", "VpcId"),
    ("AWS::EC2::Subnet.Id", "SubnetId"),
    ("AWS::EC2::SecurityGroup.Id", "SecurityGroupId"),
    ("AWS::EC2::SecurityGroup.Name", "SecurityGroupName"),
    ("AWS::EC2::Image.Id", "ImageId"),
    ("AWS::IAM::Role.Arn", "IamRoleArn"),
    ("AWS::KMS::Key.Arn", "KmsKeyArn"),
    ("AWS::KMS::Key.Id", "KmsKeyId"),
    ("AWS::KMS::Alias.AliasName", "KmsAliasName"),
    ("AWS::Lambda::Function.Arn", "LambdaFunctionArn"),
    ("AWS::Logs::LogGroup.Name", "LogGroupName"),
    ("AWS::S3::Bucket.Name", "S3BucketName"),
    ("AWS::SNS::Topic.Arn", "SnsTopicArn"),
    ("AWS::ACM::Certificate.Arn", "AcmCertificateArn"),
];

/// The format names of a node: its `format`, or an `anyOf`/`oneOf` of format-only branches.
fn format_names(node: &Map<String, Value>) -> Vec<String> {
    if let Some(f) = node.get("format").and_then(Value::as_str) {
        return vec![f.to_owned()];
    }
    for k in ["anyOf", "oneOf"] {
        let Some(b) = node.get(k).and_then(Value::as_array) else {
            continue;
        };
        let fs: Vec<String> = b
            .iter()
            .filter_map(Value::as_object)
            .filter(|o| {
                o.keys()
                    .all(|k| ["format", "type", "description"].contains(&k.as_str()))
            })
            .filter_map(|o| o.get("format").and_then(Value::as_str).map(str::to_owned))
            .collect();
        if !fs.is_empty() && fs.len() == b.len() {
            return fs;
        }
    }
    vec![]
}

/// The checked formats of names: all of them known, else none (nothing valid is rejected).
fn checked_formats(names: &[String]) -> Vec<String> {
    let known: Vec<String> = names
        .iter()
        .filter_map(|n| {
            FORMATS
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, v)| (*v).to_owned())
        })
        .collect();
    if known.len() == names.len() {
        let mut k = known;
        k.dedup();
        k
    } else {
        vec![]
    }
}

fn formats(node: &Map<String, Value>) -> Vec<String> {
    checked_formats(&format_names(node))
}

/// A list's format names its items.
fn item_format(f: &str) -> String {
    for (plural, one) in [(".Ids", ".Id"), (".Arns", ".Arn"), (".Names", ".Name")] {
        if let Some(stem) = f.strip_suffix(plural) {
            return format!("{stem}{one}");
        }
    }
    f.to_owned()
}

/// A write-only property that holds a secret value (`MasterUserPassword`, `SecretString`,
/// `AuthToken`, …; not `ClientToken`, an idempotency token).
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
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
    ]
    .iter()
    .any(|e| n.ends_with(e))
        && n != "clienttoken"
        && n != "removeprivatekey"
}

fn is_key_value(props: &BTreeMap<String, Value>) -> bool {
    props.keys().map(String::as_str).eq(["Key", "Value"])
        && props.values().all(|v| {
            v.get("type").and_then(Value::as_str) == Some("string") && v.get("enum").is_none()
        })
}

/// A type's path (without generic arguments) and its type arguments.
fn ty_parts(t: &Type) -> (String, Vec<Type>) {
    let Type::Path(tp) = t else {
        return (String::new(), vec![]);
    };
    let args = match tp.path.segments.last().map(|s| &s.arguments) {
        Some(syn::PathArguments::AngleBracketed(a)) => a
            .args
            .iter()
            .filter_map(|g| match g {
                syn::GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    (path_string(&tp.path), args)
}

/// The argument of `what<T>`, if `t` is one.
fn strip(t: &Type, what: &str) -> Option<Type> {
    let (p, a) = ty_parts(t);
    (p == what).then(|| a.into_iter().next()).flatten()
}

fn show(t: &Type) -> String {
    quote::quote!(#t).to_string().replace(' ', "")
}

/// What a value inherits from the place it is in: a list's formats (for its items) and
/// whether it is a write-only secret property.
#[derive(Default, Clone)]
struct Inherit {
    formats: Vec<String>,
    secret: bool,
}

struct Checker<'a> {
    write_only: BTreeSet<String>,
    gen: &'a Generated,
    schema: &'a Value,
    type_name: &'a str,
    errors: Vec<String>,
    fallbacks: &'a mut Fallbacks,
    /// (definition or place, struct, shape) already checked.
    seen: BTreeSet<(String, String, Option<String>)>,
}

impl<'a> Checker<'a> {
    fn err(&mut self, at: &str, msg: String) {
        self.errors.push(format!("{} {at}: {msg}", self.type_name));
    }

    /// Follows `$ref`s; returns the node and the last definition name.
    fn deref<'v>(&self, node: &'v Value) -> (&'v Value, Option<String>)
    where
        'a: 'v,
    {
        let mut n = node;
        let mut def = None;
        for _ in 0..16 {
            let Some(d) = n
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
            else {
                break;
            };
            match self.schema.get("definitions").and_then(|x| x.get(d)) {
                Some(x) => {
                    def = Some(d.to_owned());
                    n = x;
                }
                None => break,
            }
        }
        (n, def)
    }

    /// Checks a struct against an object schema: property names, required set, and every
    /// field's type and rule (from `shape`, the struct's shape static if it has one).
    #[allow(clippy::too_many_arguments)]
    fn check_object(
        &mut self,
        at: &str,
        module: &str,
        name: &str,
        props: &BTreeMap<String, Value>,
        req: &BTreeSet<String>,
        shape: Option<(String, Vec<(String, RuleX)>)>,
        rules_checked: bool,
    ) {
        let gen = self.gen;
        let m = &gen.modules[module];
        let Some(pm) = m.props.get(name) else {
            self.err(
                at,
                format!("no serializer (`props!`) for `{module}::{name}`"),
            );
            return;
        };
        let fields = m.structs.get(name).cloned().unwrap_or_default();
        let keys: BTreeMap<&str, (&str, bool)> = pm
            .req
            .iter()
            .map(|(f, k)| (k.as_str(), (f.as_str(), true)))
            .chain(
                pm.opt
                    .iter()
                    .map(|(f, k)| (k.as_str(), (f.as_str(), false))),
            )
            .collect();
        let want: BTreeSet<&str> = props.keys().map(String::as_str).collect();
        let got: BTreeSet<&str> = keys.keys().copied().collect();
        if want != got {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            self.err(
                at,
                format!("property names differ: missing {missing:?}, extra {extra:?}"),
            );
        }
        let want_req: BTreeSet<&str> = req
            .iter()
            .map(String::as_str)
            .filter(|r| props.contains_key(*r))
            .collect();
        let got_req: BTreeSet<&str> = keys
            .iter()
            .filter(|(_, (_, r))| *r)
            .map(|(k, _)| *k)
            .collect();
        if want_req != got_req {
            self.err(
                at,
                format!("required set differs: schema {want_req:?}, generated {got_req:?}"),
            );
        }
        let new_params: BTreeSet<&str> = m
            .news
            .get(name)
            .map(|v| v.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let req_fields: BTreeSet<&str> =
            keys.values().filter(|(_, r)| *r).map(|(f, _)| *f).collect();
        if new_params != req_fields {
            self.err(
                at,
                format!("new() takes {new_params:?}; the required fields are {req_fields:?}"),
            );
        }
        let (shape_module, rules) = match &shape {
            Some((sm, rules)) => (sm.clone(), rules.clone()),
            None => (module.to_owned(), vec![]),
        };
        for (n, _) in &rules {
            if !props.contains_key(n) {
                self.err(
                    at,
                    format!("a rule for `{n}`, which the schema does not have"),
                );
            }
        }
        for (key, node) in props {
            let Some((field, is_req)) = keys.get(key.as_str()).copied() else {
                continue;
            };
            let Some((_, ty)) = fields.iter().find(|(f, _)| f == field) else {
                self.err(
                    at,
                    format!("field `{field}` (`{key}`) is not in the struct"),
                );
                continue;
            };
            let opt = strip(ty, "std::option::Option");
            let ty = match (is_req, opt) {
                (true, None) => ty.clone(),
                (false, Some(t)) => t,
                (true, Some(_)) => {
                    self.err(at, format!("required `{key}` is an Option"));
                    continue;
                }
                (false, None) => {
                    self.err(at, format!("optional `{key}` is not an Option"));
                    continue;
                }
            };
            let got = rules
                .iter()
                .find(|(n, _)| n == key)
                .map(|(_, r)| r.clone())
                .unwrap_or_default();
            let write_only = if at == "Properties" {
                self.write_only.contains(&format!("/properties/{key}"))
            } else {
                self.write_only.iter().any(|p| {
                    let p = p.trim_end_matches("/*");
                    p.rsplit('/').next() == Some(key.as_str()) && p.matches('/').count() > 1
                })
            };
            let inherit = Inherit {
                formats: vec![],
                secret: secret_name(key) && write_only,
            };
            self.check_value(
                &format!("{at}.{key}"),
                node,
                &ty,
                key,
                &got,
                &shape_module,
                rules_checked,
                &inherit,
            );
        }
    }

    /// Compares the scalar constraints and pattern of a rule.
    fn compare_scalar(&mut self, at: &str, want: &RuleX, got: &RuleX) {
        let s = |r: &RuleX| {
            (
                r.min_len,
                r.max_len,
                r.min,
                r.max,
                r.one_of.clone(),
                r.min_items,
                r.max_items,
                (r.formats.clone(), r.secret),
            )
        };
        if s(want) != s(got) {
            self.err(
                at,
                format!(
                    "constraints differ (min/max length, min/max, one_of, min/max items, (formats, secret)): schema {:?}, generated {:?}",
                    s(want),
                    s(got)
                ),
            );
        }
        match (&want.pattern, &got.pattern) {
            (None, None) => {}
            (Some((_, w)), Some((kind, g))) if w == g => {
                if kind == "Unsupported" {
                    self.fallbacks.unsupported_patterns += 1;
                }
            }
            (w, g) => self.err(
                at,
                format!("pattern differs: schema {w:?}, generated {g:?}"),
            ),
        }
    }

    /// Checks one value: its generated type `ty` and its rule `got` against `node`.
    #[allow(clippy::too_many_arguments)]
    fn check_value(
        &mut self,
        at: &str,
        node: &Value,
        ty: &Type,
        key: &str,
        got: &RuleX,
        module: &str,
        rules_checked: bool,
        inherit: &Inherit,
    ) {
        let (n, def) = self.deref(node);
        let Some(o) = n.as_object() else {
            self.fallbacks.json_untyped += 1;
            return self.expect_json(at, ty, got, "untyped");
        };
        let types = types_of(o);
        if types.len() > 1 {
            self.fallbacks.json_multi_type += 1;
            // Untyped, but a format still applies (`json`).
            let want = RuleX {
                formats: formats(o),
                secret: inherit.secret,
                ..RuleX::default()
            };
            if rules_checked {
                self.compare_scalar(at, &want, got);
            }
            return self.expect_json(at, ty, &RuleX::default(), "several types");
        }
        let props = properties(o);
        let t = match types.first() {
            Some(t) => t.clone(),
            None if !props.is_empty() => "object".into(),
            None if o.contains_key("items") => "array".into(),
            None if o
                .get("enum")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().all(Value::is_string)) =>
            {
                "string".into()
            }
            None if o.contains_key("patternProperties") => "object".into(),
            None if UNIONS.iter().any(|u| o.contains_key(*u)) => {
                self.fallbacks.json_union += 1;
                return self.expect_json(at, ty, got, "a union");
            }
            None => {
                self.fallbacks.json_untyped += 1;
                return self.expect_json(at, ty, got, "untyped");
            }
        };
        let mut want = RuleX::default();
        if t != "object" {
            constraints(o, &mut want);
            if def.is_some() {
                if let Some(referrer) = node.as_object() {
                    constraints(referrer, &mut want);
                }
            }
        }
        match t.as_str() {
            "string" | "integer" | "number" | "boolean" => {
                let Some(marker) = strip(ty, "crate::value::Val") else {
                    return self.err(at, format!("expected a Val, found `{}`", show(ty)));
                };
                self.check_scalar(at, o, &t, &marker, &mut want);
                if want.formats.is_empty() {
                    want.formats = checked_formats(&inherit.formats);
                }
                want.secret = inherit.secret && t == "string";
                if rules_checked {
                    self.compare_scalar(at, &want, got);
                    if got.items.is_some() || got.shape.is_some() {
                        self.err(at, "a list or object rule on a scalar".into());
                    }
                }
            }
            "array" => {
                // A list's formats name its items; a list of secret strings has secret items.
                want.formats.clear();
                let item_inherit = Inherit {
                    formats: format_names(o).iter().map(|f| item_format(f)).collect(),
                    secret: inherit.secret,
                };
                if rules_checked {
                    self.compare_scalar(at, &want, got);
                }
                let item_node = o.get("items").cloned().unwrap_or(Value::Bool(true));
                let item_got = got.items.as_deref().cloned().unwrap_or_default();
                let list =
                    strip(ty, "crate::value::Val").and_then(|m| strip(&m, "crate::value::List"));
                let item_ty: Type = match (list, strip(ty, "std::vec::Vec")) {
                    (Some(m), _) => syn::parse_quote!(crate::value::Val<#m>),
                    (None, Some(t)) => t,
                    _ => return self.err(at, format!("expected a list, found `{}`", show(ty))),
                };
                let item_is_val = strip(&item_ty, "crate::value::Val").is_some();
                let item_inherit = if item_is_val {
                    item_inherit
                } else {
                    Inherit::default()
                };
                self.check_value(
                    &format!("{at}[]"),
                    &item_node,
                    &item_ty,
                    key,
                    &item_got,
                    module,
                    rules_checked,
                    &item_inherit,
                );
                if got.shape.is_some() {
                    self.err(at, "an object rule on a list".into());
                }
            }
            "object" => self.check_object_value(at, o, def, ty, key, got, module, rules_checked),
            _ => {
                self.fallbacks.json_untyped += 1;
                self.expect_json(at, ty, got, "of an unknown type")
            }
        }
    }

    fn check_scalar(
        &mut self,
        at: &str,
        o: &Map<String, Value>,
        t: &str,
        marker: &Type,
        want: &mut RuleX,
    ) {
        let (m, _) = ty_parts(marker);
        if t == "string" {
            let values = o.get("enum").and_then(Value::as_array);
            if let Some(values) = values.filter(|a| !a.is_empty() && a.iter().all(Value::is_string))
            {
                let mut schema: Vec<String> = values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect();
                schema.sort();
                schema.dedup();
                let generated = self
                    .gen
                    .resolve(&m)
                    .and_then(|(mm, n)| self.gen.modules[&mm].enums.get(&n).cloned());
                match generated {
                    Some(mut g) => {
                        g.sort();
                        if g != schema {
                            self.err(
                                at,
                                format!(
                                    "enum `{m}` values differ: schema {schema:?}, generated {g:?}"
                                ),
                            );
                        }
                    }
                    None => self.err(at, format!("expected an enum, found `{m}`")),
                }
                return;
            }
            if let Some(values) = values {
                self.fallbacks.non_string_enum += 1;
                want.one_of = values
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| v.to_string())
                    })
                    .collect();
            }
        } else if o.contains_key("enum") {
            self.fallbacks.non_string_enum += 1;
        }
        let expected = match t {
            "string" => "std::string::String",
            "integer" => "i64",
            "number" => "f64",
            _ => "bool",
        };
        if m != expected {
            self.err(at, format!("expected Val<{expected}>, found Val<{m}>"));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_object_value(
        &mut self,
        at: &str,
        o: &Map<String, Value>,
        def: Option<String>,
        ty: &Type,
        key: &str,
        got: &RuleX,
        module: &str,
        rules_checked: bool,
    ) {
        let props = properties(o);
        if rules_checked {
            self.compare_scalar(at, &RuleX::default(), got);
        }
        if props.is_empty() {
            let value_schema = o
                .get("patternProperties")
                .and_then(Value::as_object)
                .filter(|pp| pp.len() == 1)
                .and_then(|pp| pp.values().next())
                .or_else(|| o.get("additionalProperties").filter(|a| a.is_object()));
            let Some(vs) = value_schema else {
                self.fallbacks.json_free_object += 1;
                return self.expect_json(at, ty, got, "a free-form object");
            };
            let (p, args) = ty_parts(ty);
            if p == "std::collections::BTreeMap" && args.len() == 2 {
                // Rules of map values are not generated (counted).
                self.fallbacks.map_values_rules_not_checked += 1;
                let none = RuleX::default();
                self.check_value(
                    &format!("{at}{{}}"),
                    vs,
                    &args[1],
                    key,
                    &none,
                    module,
                    false,
                    &Inherit::default(),
                );
            } else {
                self.expect_json(at, ty, got, "a map of untyped values");
            }
            return;
        }
        if is_key_value(&props) {
            let (p, _) = ty_parts(ty);
            let tag_property = self
                .schema
                .pointer("/tagging/tagProperty")
                .and_then(Value::as_str)
                .map(|t| t.trim_start_matches("/properties/"));
            let tagish = key.to_ascii_lowercase().contains("tag")
                || def
                    .as_deref()
                    .is_some_and(|d| d.to_ascii_lowercase().contains("tag"))
                || tag_property == Some(key);
            let expected = if tagish {
                "crate::resource::Tag"
            } else {
                "crate::resource::KeyValue"
            };
            if p != expected {
                self.err(
                    at,
                    format!("a Key/Value pair typed `{p}`, expected `{expected}`"),
                );
            }
            if !rules_checked {
                return;
            }
            // Its constraints are in a shape of its own.
            let mut want = Vec::new();
            for (k, v) in &props {
                let mut r = RuleX::default();
                if let Some(vo) = v.as_object() {
                    constraints(vo, &mut r);
                }
                if r != RuleX::default() {
                    want.push((k.clone(), r));
                }
            }
            let got_rules = match &got.shape {
                Some(s) => match self.gen.shape(module, s) {
                    Some((_, r)) => r.clone(),
                    None => return self.err(at, format!("shape `{s}` not found")),
                },
                None => vec![],
            };
            let names =
                |r: &[(String, RuleX)]| r.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            if names(&want) != names(&got_rules) {
                return self.err(
                    at,
                    format!(
                        "Key/Value constraints differ: schema {want:?}, generated {got_rules:?}"
                    ),
                );
            }
            for ((n, w), (_, g)) in want.iter().zip(&got_rules) {
                self.compare_scalar(&format!("{at}.{n}"), w, g);
            }
            return;
        }
        let ty = strip(ty, "std::boxed::Box").unwrap_or_else(|| ty.clone());
        let (p, _) = ty_parts(&ty);
        let Some((smod, name)) = self.gen.resolve(&p) else {
            return self.err(at, format!("expected a struct, found `{p}`"));
        };
        if !self.gen.modules[&smod].structs.contains_key(&name) {
            return self.err(at, format!("expected a struct, found `{p}`"));
        }
        let shape = match (&got.shape, rules_checked) {
            (Some(s), true) => match self.gen.shape(module, s) {
                Some(x) => Some(x.clone()),
                None => return self.err(at, format!("shape `{s}` not found")),
            },
            _ => None,
        };
        let visit = (
            def.unwrap_or_else(|| at.to_owned()),
            format!("{smod}::{name}"),
            got.shape.clone().filter(|_| rules_checked),
        );
        if !self.seen.insert(visit) {
            return;
        }
        let req = required(o);
        self.check_object(at, &smod, &name, &props, &req, shape, rules_checked);
    }

    fn expect_json(&mut self, at: &str, ty: &Type, got: &RuleX, why: &str) {
        let inner = strip(ty, "crate::value::Val").map(|m| ty_parts(&m).0);
        if inner.as_deref() != Some("crate::value::Json") {
            self.err(
                at,
                format!("{why}: expected Val<Json>, found `{}`", show(ty)),
            );
        }
        if *got != RuleX::default() {
            self.err(at, format!("{why}: a rule on an untyped value: {got:?}"));
        }
    }
}

impl Generated {
    /// A shape by the path written in a rule, seen from `module`: its module and rules.
    fn shape(&self, module: &str, path: &str) -> Option<(String, Vec<(String, RuleX)>)> {
        let full = if let Some(rest) = path.strip_prefix("self::") {
            format!("{module}::{rest}")
        } else if path.starts_with("crate::") {
            path.to_owned()
        } else {
            format!("{module}::{path}")
        };
        let (m, n) = self.resolve(&full)?;
        let rules = self.modules.get(&m)?.shapes.get(&n)?.clone();
        Some((m, rules))
    }
}

// ---------------------------------------------------------------------------------------
// The check

/// The generator's documented fixups (`codegen/src/fixups.rs`), restated: deliberate
/// deviations from a schema, each with the reason. A fixup whose quirk is gone fails here.
fn apply_fixups(type_name: &str, schema: &mut Value) {
    // cfn-lint lets `KeySchema` be the list or legacy free-form JSON (`oneOf`);
    // CloudFormation documents the list, which is the generated type.
    if type_name == "AWS::DynamoDB::Table" {
        let prop = schema
            .pointer_mut("/properties/KeySchema")
            .expect("DynamoDB::Table has KeySchema");
        let list = prop
            .get("oneOf")
            .and_then(Value::as_array)
            .and_then(|b| {
                b.iter().find(|x| {
                    x.get("$ref").and_then(Value::as_str) == Some("#/definitions/KeySchema")
                })
            })
            .cloned()
            .expect("the KeySchema quirk is gone: delete this fixup (and the generator's)");
        *prop = list;
    }
}

struct Report {
    types: usize,
    errors: Vec<String>,
    fallbacks: Fallbacks,
}

/// Checks the generated tree under `root` against the schemas; `only` limits the types.
fn check(root: &Path, only: Option<&[&str]>) -> Report {
    let schemas = schemas_dir();
    let providers = read_json(&schemas.join("providers/us-east-1.json"));
    let providers = providers.as_object().expect("providers is an object");
    let gen = Generated::load(root);
    let mut report = Report {
        types: 0,
        errors: vec![],
        fallbacks: Fallbacks::default(),
    };
    for (type_name, hash) in providers {
        if only.is_some_and(|o| !o.contains(&type_name.as_str())) {
            continue;
        }
        report.types += 1;
        let hash = hash.as_str().expect("a schema hash");
        let mut schema = read_json(&schemas.join(format!("resources/{hash}.json")));
        apply_fixups(type_name, &mut schema);
        let Some((module, name)) = gen.resources.get(type_name) else {
            report
                .errors
                .push(format!("{type_name}: no generated type"));
            continue;
        };
        let read_only: BTreeSet<String> =
            strs(schema.get("readOnlyProperties")).into_iter().collect();
        let o = schema.as_object().expect("a schema object");
        let mut checker = Checker {
            write_only: strs(schema.get("writeOnlyProperties"))
                .into_iter()
                .collect(),
            gen: &gen,
            schema: &schema,
            type_name,
            errors: vec![],
            fallbacks: &mut report.fallbacks,
            seen: BTreeSet::new(),
        };
        // Writable properties: read-only ones are attributes, and so is a property whose
        // every nested property is read-only.
        let mut props = BTreeMap::new();
        for (k, v) in o
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let p = format!("/properties/{k}");
            if read_only.contains(&p) {
                continue;
            }
            let nested: Vec<&String> = read_only
                .iter()
                .filter(|r| r.starts_with(&format!("{p}/")))
                .collect();
            if !nested.is_empty() {
                let sub = checker
                    .deref(v)
                    .0
                    .get("properties")
                    .and_then(Value::as_object);
                if sub.is_some_and(|s| s.keys().all(|sk| read_only.contains(&format!("{p}/{sk}"))))
                {
                    continue;
                }
                // A nested read-only property stays a field of its (shared) definition.
                checker.fallbacks.nested_read_only_fields += nested.len();
            }
            props.insert(k.clone(), v.clone());
        }
        let req: BTreeSet<String> = strs(o.get("required")).into_iter().collect();
        // Every resource has a shape (`Shape::EMPTY` when the schema constrains nothing), so
        // synth checks all its literals.
        let shape = match gen.modules[module]
            .props
            .get(name)
            .and_then(|p| p.shape.clone())
        {
            None => {
                report.errors.push(format!("{type_name}: no shape"));
                continue;
            }
            Some(s) if s == "crate::resource::Shape::EMPTY" => Some((module.clone(), vec![])),
            Some(s) => Some(
                gen.shape(module, &s)
                    .unwrap_or_else(|| panic!("{type_name}: shape {s} not found")),
            ),
        };
        checker.check_object("Properties", module, name, &props, &req, shape, true);
        report.errors.extend(checker.errors);
    }
    report
}

#[test]
fn every_generated_type_matches_its_schema() {
    let report = check(&workspace_root(), None);
    eprintln!(
        "checked {} types against the schemas; fallbacks: {:?}",
        report.types, report.fallbacks
    );
    assert!(report.types > 1800, "only {} types checked", report.types);
    assert!(
        report.errors.is_empty(),
        "{} mismatches between the generated types and the schemas:\n{}",
        report.errors.len(),
        report
            .errors
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The generator run with deliberate bugs: this test must report each of them, and only
/// them.
#[test]
fn a_mutated_generator_is_caught() {
    let out = workspace_root().join("target/schema-test/mutated");
    let _ = std::fs::remove_dir_all(&out);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_stackforge-codegen"))
        .arg("--out")
        .arg(&out)
        .args(["--mutate", "drop-required=AWS::IAM::Role"])
        .args(["--mutate", "drop-enum-value=AWS::EC2::VPC"])
        .status()
        .expect("run the generator");
    assert!(status.success(), "the generator failed");
    let types = ["AWS::IAM::Role", "AWS::EC2::VPC", "AWS::EC2::Subnet"];
    let report = check(&out, Some(&types));
    let by_type = |t: &str| -> Vec<&String> {
        report
            .errors
            .iter()
            .filter(|e| e.starts_with(&format!("{t} ")))
            .collect()
    };
    let role = by_type("AWS::IAM::Role");
    assert!(
        role.iter().any(|e| e.contains("required set differs")),
        "the dropped required property is not reported: {:?}",
        report.errors
    );
    let vpc = by_type("AWS::EC2::VPC");
    assert!(
        vpc.iter().any(|e| e.contains("values differ")),
        "the dropped enum value is not reported: {:?}",
        report.errors
    );
    assert!(
        by_type("AWS::EC2::Subnet").is_empty(),
        "{:?}",
        report.errors
    );
    assert_eq!(report.errors.len(), role.len() + vpc.len());
}
