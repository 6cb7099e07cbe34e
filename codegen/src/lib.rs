//! stackforge-codegen as a library: the schema model and the naming rules that produce
//! `src/cfn/`, for tools that must name generated items exactly as the generator does
//! (`stackforge import` writes Rust that uses them).
//!
//! The binary (`src/main.rs`) and every library user go through the same [`load_types`], so
//! a rename in [`names`] or [`model`] reaches the importer without a second table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

// The model and emitter are the generator's internals: their fields are documented where the
// generated code is, not one by one.
#[allow(missing_docs)]
pub mod emit;
#[allow(missing_docs)]
pub mod features;
#[allow(missing_docs)]
pub mod fixups;
#[allow(missing_docs)]
pub mod model;
#[allow(missing_docs)]
pub mod names;
#[allow(missing_docs)]
pub mod share;
// The ECMAScript-to-Rust regex translation the core uses at synth, to check every schema
// pattern the same way. A copy of `src/validate/ecma.rs`, so that this crate packages on its
// own (the CLI's `import` depends on it); `the_ecma_translator_is_the_cores` keeps the two equal.
#[allow(dead_code)]
mod ecma;

/// The region whose provider list picks the schemas.
pub const REGION: &str = "us-east-1";

/// Where the schemas are: `arg`, `STACKFORGE_SCHEMAS`, or the cfn-lint in `root/.venv`.
pub fn find_schemas(root: &Path, arg: Option<String>) -> Result<PathBuf, String> {
    if let Some(a) = arg.or_else(|| std::env::var("STACKFORGE_SCHEMAS").ok()) {
        return Ok(PathBuf::from(a));
    }
    let py = root.join(".venv/tools/bin/python");
    let out = std::process::Command::new(&py)
        .args([
            "-c",
            "import cfnlint, os; print(os.path.dirname(cfnlint.__file__))",
        ])
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} ({e}); run scripts/setup-tools or pass --schemas DIR",
                py.display()
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "{} cannot import cfnlint; run scripts/setup-tools",
            py.display()
        ));
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(Path::new(&dir).join("data/schemas"))
}

/// Reads a JSON file.
pub fn read_json(p: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{}: {e}", p.display()))
}

/// `AWS::S3::Bucket` → `S3`; third-party types keep their organisation (`Alexa::ASK`).
pub fn service_of(type_name: &str) -> String {
    let parts: Vec<&str> = type_name.split("::").collect();
    if parts.first() == Some(&"AWS") && parts.len() > 1 {
        parts[1].to_owned()
    } else if parts.len() > 1 {
        format!("{}::{}", parts[0], parts[1])
    } else {
        type_name.to_owned()
    }
}

/// The provider list: type name → schema file hash.
pub fn providers(schemas: &Path) -> Result<BTreeMap<String, String>, String> {
    let providers = read_json(&schemas.join(format!("providers/{REGION}.json")))?;
    Ok(providers
        .as_object()
        .ok_or("providers file is not an object")?
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect())
}

/// One generated type, as the generator sees it.
pub struct Loaded {
    /// The service (`S3`).
    pub service: String,
    /// The Rust module under `crate::cfn` (`s3`).
    pub module: String,
    /// The cargo feature that compiles it.
    pub feature: String,
    /// The model (Rust names of the struct, its fields, nested structs, enums, attributes).
    pub model: model::TypeModel,
}

/// Builds the models of `types` (all generated types when `None`) exactly as the generator
/// does: same fixups, same feature filter. Types without a schema are left out; the
/// fixups applied are pushed to `applied`.
pub fn load_types(
    schemas: &Path,
    providers: &BTreeMap<String, String>,
    types: Option<&[&str]>,
    stats: &mut model::Stats,
    applied: &mut Vec<&'static str>,
) -> Result<BTreeMap<String, Loaded>, String> {
    let mut out = BTreeMap::new();
    for (type_name, hash) in providers {
        if types.is_some_and(|t| !t.contains(&type_name.as_str())) {
            continue;
        }
        let mut schema = read_json(&schemas.join(format!("resources/{hash}.json")))?;
        fixups::apply(type_name, &mut schema, applied);
        let service = service_of(type_name);
        let Ok(feature) = features::feature(&service) else {
            continue;
        };
        let m = model::build(type_name, &schema, stats, &model::Mutations::default());
        out.insert(
            type_name.clone(),
            Loaded {
                module: features::module(&service),
                service,
                feature,
                model: m,
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod copy_tests {
    #[test]
    fn the_ecma_translator_is_the_cores() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let core = std::fs::read_to_string(dir.join("../src/validate/ecma.rs")).unwrap();
        let ours = std::fs::read_to_string(dir.join("src/ecma.rs")).unwrap();
        assert!(
            core == ours,
            "codegen/src/ecma.rs differs from src/validate/ecma.rs: copy it again"
        );
    }
}
