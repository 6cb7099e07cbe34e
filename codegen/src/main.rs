//! stackforge-codegen: generates `src/cfn/` (typed CloudFormation resources) from the
//! registry schemas that ship inside the pinned cfn-lint.
//!
//! ```text
//! cargo run -p stackforge-codegen               # regenerate into the workspace
//! cargo run -p stackforge-codegen -- --check    # regenerate into a temp dir, fail on any diff
//! ```
//! Schemas are found via `--schemas DIR`, `STACKFORGE_SCHEMAS`, or the project venv
//! (`.venv/tools/bin/python -c 'import cfnlint'`).

use stackforge_codegen::{
    emit, features, find_schemas, fixups, model, read_json, service_of, share, REGION,
};

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Top-level errors go through anyhow (`Error: …` and a non-zero exit); `--check` finding a
/// difference is not an error but exit code 1.
fn main() -> anyhow::Result<ExitCode> {
    use anyhow::Context as _;
    run()
        .map_err(anyhow::Error::msg)
        .context("stackforge-codegen failed")
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("codegen/ has a parent")
        .to_path_buf()
}

/// The cfn-lint version: from the wheel's dist-info next to the schemas.
fn cfn_lint_version(schemas: &Path) -> String {
    let site = schemas
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent);
    if let Some(site) = site {
        if let Ok(rd) = std::fs::read_dir(site) {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("cfn_lint-") && n.ends_with(".dist-info"))
                .collect();
            names.sort();
            if let Some(n) = names.last() {
                return n
                    .trim_start_matches("cfn_lint-")
                    .trim_end_matches(".dist-info")
                    .to_owned();
            }
        }
    }
    "unknown".to_owned()
}

fn run() -> Result<ExitCode, String> {
    let mut check = false;
    let mut schemas_arg = None;
    let mut out_dir = None;
    let mut mutate = model::Mutations::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--check" => check = true,
            "--schemas" => schemas_arg = Some(args.next().ok_or("--schemas needs a directory")?),
            "--out" => out_dir = Some(PathBuf::from(args.next().ok_or("--out needs a directory")?)),
            "--mutate" => {
                // Test-only: a deliberate generator bug (see model::Mutations).
                let m = args.next().ok_or("--mutate needs KIND=TYPE")?;
                match m.split_once('=') {
                    Some(("drop-required", t)) => mutate.drop_required.push(t.to_owned()),
                    Some(("drop-enum-value", t)) => mutate.drop_enum_value.push(t.to_owned()),
                    _ => return Err(format!("unknown mutation `{m}`")),
                }
            }
            "-h" | "--help" => {
                println!("usage: stackforge-codegen [--check] [--schemas DIR] [--out DIR]\n\n  --out DIR   write the generated files under DIR instead of the workspace\n              (src/cfn/…, codegen/UNSUPPORTED_PATTERNS.md, Cargo.toml)");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let start = Instant::now();
    let src_root = workspace_root();
    let root = out_dir.clone().unwrap_or_else(|| src_root.clone());
    let schemas = find_schemas(&src_root, schemas_arg)?;
    let version = read_json(&schemas.join("version.json"))?;
    let schema_date = version["schema_date"]
        .as_str()
        .unwrap_or("unknown")
        .to_owned();
    let cfn_lint_version = cfn_lint_version(&schemas);
    let providers = read_json(&schemas.join(format!("providers/{REGION}.json")))?;
    let providers: BTreeMap<String, String> = providers
        .as_object()
        .ok_or("providers file is not an object")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();

    let mut stats = model::Stats::default();
    // Every `format` in the schemas, read-only properties included.
    let mut schema_formats: BTreeMap<String, usize> = BTreeMap::new();
    let mut applied = Vec::new();
    let mut by_service: BTreeMap<String, Vec<model::TypeModel>> = BTreeMap::new();
    let mut errors = Vec::new();
    for (type_name, hash) in &providers {
        let mut schema = read_json(&schemas.join(format!("resources/{hash}.json")))?;
        fixups::apply(type_name, &mut schema, &mut applied);
        count_formats(&schema, &mut schema_formats);
        let service = service_of(type_name);
        if let Err(e) = features::feature(&service) {
            if !errors.contains(&e) {
                errors.push(e);
            }
            continue;
        }
        let m = model::build(type_name, &schema, &mut stats, &mutate);
        by_service.entry(service).or_default().push(m);
    }
    errors.extend(fixups::stale(&applied));
    // Type names must be unique within a service module.
    for (svc, types) in &by_service {
        let mut seen = BTreeMap::new();
        for t in types {
            if let Some(other) = seen.insert(t.rust_name.clone(), t.type_name.clone()) {
                errors.push(format!(
                    "{svc}: {} and {other} both map to `{}`: add a rename",
                    t.type_name, t.rust_name
                ));
            }
            if seen.contains_key(&t.submodule) {
                errors.push(format!("{svc}: submodule name `{}` collides", t.submodule));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }

    let mut env = emit::Env {
        schema_date: schema_date.clone(),
        cfn_lint_version: cfn_lint_version.clone(),
        unsupported: vec![],
        supported_count: 0,
        supported_uses: 0,
        checked: HashMap::new(),
        formats: Default::default(),
        types: HashMap::new(),
        aliases: 0,
        alias_collisions: 0,
    };
    for (svc, types) in &by_service {
        for t in types {
            let ref_id = t.ref_property.clone();
            let attrs = t
                .attrs
                .iter()
                .map(|a| (a.name.clone(), a.method.clone()))
                .collect();
            let path = format!("crate::cfn::{}::{}", features::module(svc), t.rust_name);
            env.types.insert(t.type_name.clone(), (path, ref_id, attrs));
        }
    }
    // Shared nested definitions (see share.rs).
    let shared = {
        let flat: Vec<(&model::TypeModel, String)> = by_service
            .iter()
            .flat_map(|(svc, types)| {
                let f = features::feature(svc).unwrap_or_default();
                types.iter().map(move |t| (t, f.clone()))
            })
            .collect();
        share::compute(&flat)
    };
    // A shared struct's shape exists when any copy's resource reaches it; make every copy
    // agree, so references and the static match.
    {
        let mut ti = 0;
        for types in by_service.values_mut() {
            for t in types.iter_mut() {
                for (si, s) in t.structs.iter_mut().enumerate() {
                    if let Some(item) = shared.struct_item(ti, si) {
                        s.has_shape = item.has_shape;
                    }
                }
                ti += 1;
            }
        }
    }
    let mut files: BTreeMap<PathBuf, String> = BTreeMap::new();
    let header = env.header();
    let mut n_structs = 0;
    let mut n_enums = 0;
    let mut n_attrs = 0;
    let mut mod_rs = String::new();
    let mut meta_rows: Vec<(String, String)> = Vec::new();
    let mut flat_types: Vec<(&model::TypeModel, String)> = Vec::new();
    for (svc, types) in &by_service {
        let module = features::module(svc);
        let feature = features::feature(svc)?;
        let mut out = header.clone();
        let _ = writeln!(
            out,
            "\n//! `{}` resource types ({} types). Feature `{feature}`.\n",
            if svc.contains("::") {
                svc.clone()
            } else {
                format!("AWS::{svc}")
            },
            types.len()
        );
        for t in types {
            let tc = emit::TypeCtx {
                m: t,
                svc: module.clone(),
                ti: flat_types.len(),
                shared: &shared,
            };
            tc.emit(&mut out, &mut env);
            flat_types.push((t, module.clone()));
            n_structs += 1 + t.structs.iter().filter(|s| !s.tag_only).count();
            n_enums += t.enums.len();
            n_attrs += t.attrs.len();
            meta_rows.push((t.type_name.clone(), meta_row(t, &feature)));
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        files.insert(PathBuf::from(format!("src/cfn/{module}.rs")), out);
        let _ = writeln!(
            mod_rs,
            "#[cfg(feature = \"{feature}\")]\n#[rustfmt::skip]\npub mod {module};"
        );
    }
    // The shared group modules.
    let mut shared_rs = String::new();
    for (g, group) in &shared.groups {
        let cfg = if group.features.len() == 1 {
            format!(
                "feature = {:?}",
                group.features.iter().next().unwrap_or(&String::new())
            )
        } else {
            format!(
                "any({})",
                group
                    .features
                    .iter()
                    .map(|f| format!("feature = {f:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(shared_rs, "#[cfg({cfg})]\n#[rustfmt::skip]\npub mod {g};");
        let mut out = header.clone();
        let users: std::collections::BTreeSet<&str> = group
            .items
            .iter()
            .flat_map(|i| shared.items[*i].members.iter())
            .map(|(t, _)| flat_types[*t].0.type_name.as_str())
            .collect();
        let _ = writeln!(
            out,
            "\n//! Nested types shared by {} resource types (features {}), defined once and\n//! re-exported from each type's module.\n",
            users.len(),
            group
                .features
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for &i in &group.items {
            let item = &shared.items[i];
            let (t, module) = &flat_types[item.rep.0];
            let tc = emit::TypeCtx {
                m: t,
                svc: module.clone(),
                ti: item.rep.0,
                shared: &shared,
            };
            tc.emit_shared(&mut out, item, &mut env);
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        files.insert(PathBuf::from(format!("src/cfn/shared/{g}.rs")), out);
    }
    files.insert(
        PathBuf::from("src/cfn/shared.rs"),
        shared_file(&header, &shared_rs),
    );
    files.insert(PathBuf::from("src/cfn/mod.rs"), mod_file(&header, &mod_rs));
    meta_rows.sort();
    files.insert(
        PathBuf::from("src/cfn/meta.rs"),
        meta_file(&header, &schema_date, &cfn_lint_version, &meta_rows),
    );
    env.supported_count = env.checked.values().filter(|w| w.is_none()).count();
    files.insert(
        PathBuf::from("codegen/UNSUPPORTED_PATTERNS.md"),
        unsupported_file(&env),
    );
    files.insert(
        PathBuf::from("docs/validation-formats.md"),
        formats_doc(&env, &stats, &schema_formats),
    );
    let cargo_toml_path = src_root.join("Cargo.toml");
    let cargo_toml = std::fs::read_to_string(&cargo_toml_path).map_err(|e| e.to_string())?;
    let new_cargo = cargo_features(&cargo_toml, &by_service, &schema_date, &cfn_lint_version)?;
    files.insert(PathBuf::from("Cargo.toml"), new_cargo);

    let shared_copies: usize = shared.items.iter().map(|i| i.members.len()).sum();
    eprintln!(
        "  shared: {} items in {} group modules replace {shared_copies} copies; {} left unshared (name taken in their group); {} deprecated aliases ({} skipped: name reused)",
        shared.items.len(),
        shared.groups.len(),
        shared.name_collisions,
        env.aliases,
        env.alias_collisions
    );
    let distinct_unsupported: std::collections::BTreeSet<&String> =
        env.unsupported.iter().map(|(p, _)| p).collect();
    let n_types: usize = by_service.values().map(Vec::len).sum();
    eprintln!(
        "stackforge-codegen: {n_types} types in {} services; {n_structs} structs, {n_enums} enums, {n_attrs} attributes",
        by_service.len()
    );
    eprintln!(
        "  patterns: {} distinct ({} uses) checked (ECMAScript semantics, fancy-regex); {} distinct ({} uses) NOT checked at synth (codegen/UNSUPPORTED_PATTERNS.md)",
        env.supported_count,
        env.supported_uses,
        distinct_unsupported.len(),
        env.unsupported.len()
    );
    let (fu, fc): (usize, usize) = env
        .formats
        .values()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    eprintln!(
        "  formats: {} names, {fu} uses, {fc} checked, {} NOT checked (docs/validation-formats.md):",
        env.formats.len(),
        fu - fc
    );
    for (name, (uses, checked)) in &env.formats {
        eprintln!("    {name}: {uses} uses, {checked} checked");
    }
    eprintln!(
        "  secrets: {} write-only password/token/secret properties reject literals (docs/validation-formats.md)",
        stats.secret_fields.len()
    );
    let secret_fields = std::mem::take(&mut stats.secret_fields);
    eprintln!("  fallbacks: {stats:?}");
    stats.secret_fields = secret_fields;

    if check {
        let mut diffs = Vec::new();
        for (rel, content) in &files {
            let current = std::fs::read_to_string(root.join(rel)).unwrap_or_default();
            if &current != content {
                diffs.push(rel.display().to_string());
            }
        }
        for stale in stale_files(&root, &files) {
            diffs.push(format!("{stale} (not generated any more)"));
        }
        if diffs.is_empty() {
            eprintln!(
                "  check: generated code is up to date ({:.1} s)",
                start.elapsed().as_secs_f64()
            );
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!("error: generated code is out of date; run scripts/codegen. Differences:");
        for d in diffs.iter().take(50) {
            eprintln!("  {d}");
        }
        return Ok(ExitCode::FAILURE);
    }
    for stale in stale_files(&root, &files) {
        std::fs::remove_file(root.join(&stale)).map_err(|e| format!("{stale}: {e}"))?;
    }
    for (rel, content) in &files {
        let p = root.join(rel);
        if std::fs::read_to_string(&p).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        std::fs::create_dir_all(p.parent().expect("has parent")).map_err(|e| e.to_string())?;
        std::fs::write(&p, content).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    eprintln!(
        "  wrote {} files in {:.1} s",
        files.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Generated files under `src/cfn/` that the current run did not produce.
fn stale_files(root: &Path, files: &BTreeMap<PathBuf, String>) -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["src/cfn", "src/cfn/tests", "src/cfn/shared"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                let rel = PathBuf::from(dir).join(e.file_name());
                if rel.extension().is_some_and(|x| x == "rs") && !files.contains_key(&rel) {
                    out.push(rel.display().to_string());
                }
            }
        }
    }
    out.sort();
    out
}

fn mod_file(header: &str, mods: &str) -> String {
    format!(
        "{header}
//! Typed CloudFormation resources, generated from the registry schemas: one module per
//! service, each behind a cargo feature (see the README, \"Features\"), plus [`meta`], the
//! per-type metadata table, which is always compiled, and [`shared`], the nested types that
//! several resource types define identically (each compiled when a feature that uses it is
//! on, and re-exported from every type's module).
//!
//! Naming: `AWS::EC2::VPC` is [`ec2::Vpc`](crate::cfn) (UpperCamelCase words, acronyms
//! capitalised once); its nested definitions and enums live in `ec2::vpc`; fields are
//! snake_case (`cidr_block`), Rust keywords get a trailing `_` (`type_`); attributes are
//! `Handle<Vpc>::attr_*` methods (`attr_cidr_block_associations`).
//!
//! Lints the generated code cannot satisfy are allowed here, in one place:
//! - `missing_docs`: a nested type or enum the schema does not describe has no doc (rather
//!   than a made-up placeholder); every field and enum variant is documented;
//! - `deprecated`: the serializers read deprecated properties;
//! - `clippy::too_many_arguments`: `new()` takes every required property;
//! - `clippy::large_enum_variant`, `clippy::module_inception`, `clippy::doc_markdown`,
//!   `clippy::doc_lazy_continuation`, `clippy::tabs_in_doc_comments`,
//!   `clippy::empty_docs`, `clippy::too_long_first_doc_paragraph`: schema descriptions are
//!   copied verbatim (trimmed);
//! - `clippy::type_complexity`: field types are spelled with absolute paths;
//! - `non_camel_case_types`: enum variants derived from values such as `V1_0`;
//! - rustdoc's `bare_urls`, `broken_intra_doc_links`, `invalid_html_tags`,
//!   `invalid_rust_codeblocks`: schema descriptions are Markdown/HTML of mixed quality.
#![allow(
    missing_docs,
    deprecated,
    non_camel_case_types,
    clippy::too_many_arguments,
    clippy::large_enum_variant,
    clippy::module_inception,
    clippy::doc_markdown,
    clippy::doc_lazy_continuation,
    clippy::doc_overindented_list_items,
    clippy::tabs_in_doc_comments,
    clippy::empty_docs,
    clippy::too_long_first_doc_paragraph,
    clippy::needless_update,
    clippy::type_complexity,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags,
    rustdoc::invalid_rust_codeblocks
)]

#[rustfmt::skip]
pub mod meta;
pub mod shared;

{mods}"
    )
}

fn shared_file(header: &str, mods: &str) -> String {
    format!(
        "{header}
//! Nested types that several resource types define identically, emitted once. Each group
//! module is compiled when any feature of the types that use it is on, and every item is
//! re-exported from each of those types' modules (`quicksight::analysis::Visual` is
//! `shared::quicksight::Visual`): use either path.
//!
//! `dead_code` is allowed: with only some of a group's features on, a shape may be reached
//! only from types whose feature is off.
#![allow(dead_code)]

{mods}"
    )
}

fn strs(v: &[String]) -> String {
    v.iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One row of the metadata table: the fields that differ from `TypeMeta::EMPTY`.
fn meta_row(t: &model::TypeModel, feature: &str) -> String {
    let mut out = String::from("    TypeMeta {\n");
    let mut field = |name: &str, value: String, empty: &str| {
        if value != empty {
            let _ = writeln!(out, "        {name}: {value},");
        }
    };
    field("type_name", format!("{:?}", t.type_name), "");
    field("feature", format!("{feature:?}"), "");
    field("create_only", format!("&[{}]", strs(&t.create_only)), "&[]");
    field("write_only", format!("&[{}]", strs(&t.write_only)), "&[]");
    field("read_only", format!("&[{}]", strs(&t.read_only)), "&[]");
    field(
        "primary_identifier",
        format!("&[{}]", strs(&t.primary_identifier)),
        "&[]",
    );
    let opt = |v: &Option<String>| {
        v.as_ref()
            .map(|p| format!("Some({p:?})"))
            .unwrap_or_else(|| "None".into())
    };
    field("ref_returns", opt(&t.ref_property), "None");
    field("taggable", t.taggable.to_string(), "false");
    field("tag_property", opt(&t.tag_property), "None");
    field(
        "tag_shape",
        format!("TagShape::{}", t.tag_shape),
        "TagShape::None",
    );
    field("lifecycle", opt(&t.sunset), "None");
    field(
        "deprecated_properties",
        format!("&[{}]", strs(&t.deprecated_props)),
        "&[]",
    );
    out.push_str("        ..TypeMeta::EMPTY\n    },\n");
    out
}

fn meta_file(header: &str, date: &str, version: &str, rows: &[(String, String)]) -> String {
    let mut out = format!(
        "{header}
//! Metadata for every CloudFormation type of the schemas, compiled whatever features are
//! on: what `diff` and deploy need (replacement on createOnly changes, write-only
//! properties, identifiers, tagging).

/// The `schema_date` of the schemas the types were generated from.
pub const SCHEMA_DATE: &str = {date:?};
/// The cfn-lint release whose schemas were used.
pub const CFN_LINT_VERSION: &str = {version:?};

/// How a type takes tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagShape {{
    /// Not taggable.
    None,
    /// A list of the shared Key/Value [`crate::resource::Tag`].
    KeyValueList,
    /// A string map (`{{\"key\": \"value\"}}`), e.g. `AWS::SSM::Parameter`.
    Map,
    /// Free-form JSON.
    Json,
    /// Another shape (extra fields such as `PropagateAtLaunch`, or nested tag lists).
    Other,
}}

/// Metadata of one type. Property paths are dotted (`Endpoint.Address`); `*` marks list items.
#[derive(Debug)]
pub struct TypeMeta {{
    /// `AWS::EC2::VPC`.
    pub type_name: &'static str,
    /// The cargo feature that enables the type's module.
    pub feature: &'static str,
    /// Properties whose change replaces the resource.
    pub create_only: &'static [&'static str],
    /// Properties CloudFormation never returns (secrets and the like).
    pub write_only: &'static [&'static str],
    /// Properties that are outputs only (the `Fn::GetAtt` attributes).
    pub read_only: &'static [&'static str],
    /// The primary identifier (what `Ref` returns when it has one part).
    pub primary_identifier: &'static [&'static str],
    /// The property `Ref` returns (the single primary identifier or a documented override);
    /// `None` when `Ref` returns an opaque or composite identifier.
    pub ref_returns: Option<&'static str>,
    /// Whether the type takes tags.
    pub taggable: bool,
    /// The tag property, if any.
    pub tag_property: Option<&'static str>,
    /// The shape of the tag property.
    pub tag_shape: TagShape,
    /// The lifecycle status and date (`sunset on 2026-09-30`), if the schema has one.
    pub lifecycle: Option<&'static str>,
    /// Deprecated properties.
    pub deprecated_properties: &'static [&'static str],
}}

impl TypeMeta {{
    /// A row with every field empty (rows list only what differs).
    pub const EMPTY: TypeMeta = TypeMeta {{
        type_name: \"\",
        feature: \"\",
        create_only: &[],
        write_only: &[],
        read_only: &[],
        primary_identifier: &[],
        ref_returns: None,
        taggable: false,
        tag_property: None,
        tag_shape: TagShape::None,
        lifecycle: None,
        deprecated_properties: &[],
    }};
}}

/// Looks a type up by name.
pub fn lookup(type_name: &str) -> Option<&'static TypeMeta> {{
    TYPES
        .binary_search_by(|t| t.type_name.cmp(type_name))
        .ok()
        .map(|i| &TYPES[i])
}}

/// Every type, sorted by name.
pub static TYPES: &[TypeMeta] = &[
"
    );
    for (_, r) in rows {
        out.push_str(r);
    }
    out.push_str("];\n");
    out
}

fn unsupported_file(env: &emit::Env) -> String {
    let mut by_pattern: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (p, site) in &env.unsupported {
        by_pattern.entry(p).or_default().push(site);
    }
    let mut out = format!(
        "<!-- @generated by stackforge-codegen (cfn-lint {}, schema date {}). DO NOT EDIT. -->\n\
         # Schema patterns that are not checked\n\n\
         Schema patterns are ECMAScript regular expressions. stackforge checks them with\n\
         `fancy-regex` (look-around and back-references included) after rewriting them to keep\n\
         ECMAScript's meaning (`src/validate/ecma.rs`: `\\d` and `\\w` ASCII, `\\s` ECMAScript's\n\
         white space, UTF-16 surrogate escapes as code points). {} distinct patterns ({} uses) are\n\
         checked. The {} below ({} uses) cannot be, and are emitted as `Pattern::Unsupported`:\n\
         synth does not check them (cfn-lint still does).\n\n",
        env.cfn_lint_version,
        env.schema_date,
        env.supported_count,
        env.supported_uses,
        by_pattern.len(),
        env.unsupported.len(),
    );
    for (p, sites) in by_pattern {
        let mut sites = sites.clone();
        sites.sort_unstable();
        sites.dedup();
        let why = env
            .checked
            .get(p)
            .cloned()
            .flatten()
            .unwrap_or_default()
            .replace('\n', " ");
        let _ = writeln!(
            out,
            "- `{}` ({} uses): {}\n  - why: {}",
            p.replace('`', "\\`"),
            sites.len(),
            sites
                .iter()
                .take(5)
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
            why.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    out
}

/// `docs/validation-formats.md`: which formats and patterns synth checks, with counts, and
/// the secret properties that reject literals.
/// Counts every `format` keyword in a schema.
fn count_formats(v: &serde_json::Value, out: &mut BTreeMap<String, usize>) {
    match v {
        serde_json::Value::Object(o) => {
            if let Some(serde_json::Value::String(f)) = o.get("format") {
                *out.entry(f.clone()).or_default() += 1;
            }
            for x in o.values() {
                count_formats(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| count_formats(x, out)),
        _ => {}
    }
}

fn formats_doc(
    env: &emit::Env,
    stats: &model::Stats,
    schema_formats: &BTreeMap<String, usize>,
) -> String {
    let mut out = format!(
        "<!-- @generated by stackforge-codegen (cfn-lint {}, schema date {}). DO NOT EDIT. -->\n\
         # What synth checks in literal values\n\n\
         Generated from the schemas by `scripts/codegen`; counts are rules in the generated code\n\
         (a nested type shared by several resource types counts once).\n\n\
         ## Formats\n\n\
         A schema `format` is checked on literal values (`SF106`) when stackforge knows its\n\
         syntax (`stackforge::resource::Format`). A rule whose `anyOf` names a format without one\n\
         is not checked at all, so nothing valid is rejected.\n\n\
         | format | uses | checked | |\n|---|---:|---:|---|\n",
        env.cfn_lint_version, env.schema_date
    );
    let (mut total, mut checked) = (0, 0);
    for (name, (uses, ok)) in &env.formats {
        total += uses;
        checked += ok;
        let note = if let Some((_, why)) = emit::UNCHECKED_FORMATS.iter().find(|(n, _)| n == name) {
            format!("not checked: {why}")
        } else if emit::FORMATS.iter().any(|(n, _)| n == name) {
            if ok < uses {
                "checked where every alternative is known".to_owned()
            } else {
                "checked".to_owned()
            }
        } else {
            "not checked: not a format stackforge knows".to_owned()
        };
        let _ = writeln!(
            out,
            "| `{}` | {uses} | {ok} | {note} |",
            name.replace('|', "\\|")
        );
    }
    let _ = writeln!(
        out,
        "| **total** | **{total}** | **{checked}** | {} format names, {} uses not checked |\n",
        env.formats.len(),
        total - checked
    );
    let only_read_only: Vec<String> = schema_formats
        .iter()
        .filter(|(f, _)| {
            !env.formats.contains_key(*f) && !env.formats.contains_key(&model::item_format(f))
        })
        .map(|(f, n)| format!("`{}` ({n})", f.replace('|', "\\|")))
        .collect();
    let _ = writeln!(
        out,
        "The schemas name {} formats in {} places. A list's format (`AWS::EC2::Subnet.Ids`) is\n\
         checked on its items (`AWS::EC2::Subnet.Id`). These appear only on read-only properties\n\
         (attributes) or in definitions no writable property uses, so there is no input to check:\n\
         {}.\n",
        schema_formats.len(),
        schema_formats.values().sum::<usize>(),
        only_read_only.join(", ")
    );
    let distinct: std::collections::BTreeSet<&String> =
        env.unsupported.iter().map(|(p, _)| p).collect();
    let _ = writeln!(
        out,
        "## Patterns\n\n\
         {} distinct patterns ({} uses) are checked with ECMAScript semantics; {} distinct ({} uses)\n\
         are not, each listed with the reason in `codegen/UNSUPPORTED_PATTERNS.md`.\n",
        env.supported_count,
        env.supported_uses,
        distinct.len(),
        env.unsupported.len()
    );
    let _ = writeln!(
        out,
        "## Secret properties\n\n\
         A literal value in one of these {} write-only properties named like a password, token or\n\
         secret is an error (`SF032`); use a dynamic reference (`{{{{resolve:secretsmanager:…}}}}`,\n\
         `{{{{resolve:ssm-secure:…}}}}`) or a reference to a `NoEcho` parameter.\n",
        stats.secret_fields.len()
    );
    let mut fields = stats.secret_fields.clone();
    fields.sort();
    fields.dedup();
    for f in fields {
        let _ = writeln!(out, "- `{f}`");
    }
    out
}

/// The one generated feature that is not a service.
const NESTED_DEBUG: &str =
    "# `Debug` on the nested property types too (resource types and enums always have it, and a\n\
# resource's `Debug` shows its nested values): about a tenth more compile work for the\n\
# generated code (BENCHMARKS.md), so it is opt-in. `full` turns it on.\n\
nested-debug = []\n";

fn cargo_features(
    current: &str,
    by_service: &BTreeMap<String, Vec<model::TypeModel>>,
    date: &str,
    version: &str,
) -> Result<String, String> {
    const START: &str = "# --- generated service features (codegen owns the block below) ---\n";
    const END: &str = "# --- end of generated service features ---\n";
    let (a, rest) = current
        .split_once(START)
        .ok_or("Cargo.toml: start marker missing")?;
    let (_, b) = rest
        .split_once(END)
        .ok_or("Cargo.toml: end marker missing")?;
    let mut own: Vec<(String, String, usize)> = Vec::new();
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (svc, types) in by_service {
        let f = features::feature(svc)?;
        if features::OWN.contains(&svc.as_str()) {
            own.push((f, svc.clone(), types.len()));
        } else {
            groups.entry(f).or_default().push(svc.clone());
        }
    }
    let mut block = String::from(START);
    let _ = writeln!(
        block,
        "# Schemas: cfn-lint {version}, schema date {date}. One feature per common service, named"
    );
    let _ = writeln!(
        block,
        "# after its module; the long tail is grouped by topic (`group-*`). `full` enables all."
    );
    let all: Vec<String> = own
        .iter()
        .map(|(f, _, _)| f.clone())
        .chain(groups.keys().cloned())
        .chain(["nested-debug".to_owned()])
        .collect();
    let _ = writeln!(
        block,
        "full = [\n{}\n]",
        all.chunks(8)
            .map(|c| format!(
                "    {},",
                c.iter()
                    .map(|f| format!("{f:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .collect::<Vec<_>>()
            .join("\n")
    );
    block.push_str(NESTED_DEBUG);
    for (f, svc, n) in &own {
        let _ = writeln!(block, "# AWS::{svc} ({n} types)\n{f} = []");
    }
    for (f, svcs) in &groups {
        let doc = features::GROUPS
            .iter()
            .find(|g| g.0 == f)
            .map(|g| g.1)
            .unwrap_or("");
        let _ = writeln!(block, "# {doc}: {}", svcs.join(", "));
        let _ = writeln!(block, "{f} = []");
    }
    block.push_str(END);
    let default_line = format!(
        "default-services = [{}]",
        features::DEFAULT
            .iter()
            .map(|s| format!("{:?}", features::module(s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut head = String::new();
    let mut found = false;
    for line in a.split_inclusive('\n') {
        if line.starts_with("default-services = ") {
            head.push_str(&default_line);
            head.push('\n');
            found = true;
        } else {
            head.push_str(line);
        }
    }
    if !found {
        return Err("Cargo.toml: `default-services = [...]` line missing".into());
    }
    Ok(format!("{head}{block}{b}"))
}
