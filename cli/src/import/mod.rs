//! `stackforge import`: an existing CloudFormation template (JSON, or YAML with the short
//! forms) in, typed stackforge Rust out.
//!
//! The names in the output come from stackforge-codegen's model of each resource type
//! (read from the same schemas the generator reads), so they are the names of `src/cfn/`.
//! Fallbacks (`Raw` resources, overrides, untyped values) are commented in the code and
//! counted in the summary.

pub mod gen;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use stackforge::cli::{exit, Printer};

pub use gen::Summary;

/// Error codes of `import` (stable; see docs/import.md).
pub mod codes {
    /// The template cannot be read or parsed.
    pub const READ: &str = "SFI001";
    /// The template uses something the importer cannot express (listed one by one).
    pub const UNSUPPORTED: &str = "SFI002";
    /// The resource schemas cannot be found or read.
    pub const SCHEMAS: &str = "SFI003";
    /// The output file cannot be written.
    pub const WRITE: &str = "SFI004";
}

/// `stackforge import` arguments.
#[derive(clap::Args, Debug, Clone)]
pub struct ImportArgs {
    /// The template to import (JSON or YAML).
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// Write the Rust here (default: standard output). (`--out` is the assembly directory
    /// of every command, so the file is `--output`.)
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The CloudFormation resource schemas (default: `STACKFORGE_SCHEMAS`, or the cfn-lint
    /// that `scripts/setup-tools` installs in the project's `.venv`).
    #[arg(long, value_name = "DIR")]
    pub schemas: Option<PathBuf>,
}

/// An import failure with its code.
#[derive(Debug)]
pub struct ImportError {
    /// The stable code.
    pub code: &'static str,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(code: &'static str, message: impl Into<String>) -> ImportError {
    ImportError {
        code,
        message: message.into(),
    }
}

/// Finds the schemas: `--schemas`, `STACKFORGE_SCHEMAS`, or a `.venv` with cfn-lint in the
/// current directory, one of its parents, or the source tree this binary was built from.
pub fn schemas_dir(arg: Option<&Path>) -> Result<PathBuf, ImportError> {
    if let Some(a) = arg {
        return Ok(a.to_owned());
    }
    if let Ok(a) = std::env::var("STACKFORGE_SCHEMAS") {
        return Ok(PathBuf::from(a));
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    if let Some(src) = Path::new(env!("CARGO_MANIFEST_DIR")).parent() {
        roots.push(src.to_owned());
    }
    for r in roots {
        if r.join(".venv/tools/bin/python").exists() {
            return stackforge_codegen::find_schemas(&r, None).map_err(|e| err(codes::SCHEMAS, e));
        }
    }
    Err(err(
        codes::SCHEMAS,
        "no resource schemas: pass --schemas DIR (cfn-lint's data/schemas) or set STACKFORGE_SCHEMAS, or run scripts/setup-tools in the project",
    ))
}

/// Imports a parsed template: the Rust source (unformatted) and the summary.
pub fn import_template(
    template: &Json,
    schemas: &Path,
    origin: &str,
) -> Result<(String, Summary), ImportError> {
    let t = template
        .as_object()
        .ok_or_else(|| err(codes::READ, "the template is not an object"))?;
    let types: Vec<&str> = t
        .get("Resources")
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, r)| r.get("Type").and_then(Json::as_str))
        .collect();
    let providers = stackforge_codegen::providers(schemas).map_err(|e| err(codes::SCHEMAS, e))?;
    let mut stats = stackforge_codegen::model::Stats::default();
    let mut applied = Vec::new();
    let loaded: BTreeMap<String, stackforge_codegen::Loaded> =
        stackforge_codegen::load_types(schemas, &providers, Some(&types), &mut stats, &mut applied)
            .map_err(|e| err(codes::SCHEMAS, e))?;
    gen::Gen::new(&loaded)
        .template(t, origin)
        .map_err(|u| {
            err(
                codes::UNSUPPORTED,
                format!("cannot import {origin}: {}", u.0.join("; ")),
            )
        })
}

/// Formats Rust source with rustfmt; the source as it is when rustfmt is not installed.
pub fn format(code: &str) -> (String, bool) {
    let child = std::process::Command::new("rustfmt")
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return (code.to_owned(), false);
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(code.as_bytes());
    }
    match child.wait_with_output() {
        Ok(o) if o.status.success() && !o.stdout.is_empty() => {
            (String::from_utf8_lossy(&o.stdout).into_owned(), true)
        }
        _ => (code.to_owned(), false),
    }
}

/// Writes `text` to `path` through a temporary file in the same directory, so a failure
/// never leaves half a file.
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("import"),
        std::process::id()
    ));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn run_inner(args: &ImportArgs, p: &mut Printer<'_>) -> Result<Summary, ImportError> {
    let template = stackforge::template::read_file(&args.template)
        .map_err(|e| err(codes::READ, e.to_string()))?;
    let schemas = schemas_dir(args.schemas.as_deref())?;
    let origin = args
        .template
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("template")
        .to_owned();
    let (code, summary) = import_template(&template, &schemas, &origin)?;
    let (code, formatted) = format(&code);
    if !formatted {
        p.warn("rustfmt is not available: the code is written unformatted");
    }
    match &args.output {
        Some(path) => write_atomic(path, &code)
            .map_err(|e| err(codes::WRITE, format!("{}: {e}", path.display())))?,
        None => p.result(&code),
    }
    Ok(summary)
}

/// Runs `stackforge import`.
pub fn run(args: &ImportArgs, p: &mut Printer<'_>) -> i32 {
    match run_inner(args, p) {
        Ok(s) => {
            let feats: Vec<&String> = s.features.iter().collect();
            p.warn(&format!(
                "imported {} resources: {} typed, {} raw, {} overrides, {} untyped values; features: {}",
                s.resources,
                s.typed,
                s.raw.len(),
                s.overrides.len(),
                s.untyped.len() + s.untyped_attributes,
                feats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
            ));
            for (id, t, why) in &s.raw {
                p.warn(&format!("  raw {id} ({t}): {why}"));
            }
            for (id, path, why) in &s.overrides {
                p.warn(&format!("  override {id} {path}: {why}"));
            }
            for (at, why) in &s.untyped {
                p.warn(&format!("  untyped {at}: {why}"));
            }
            p.event(
                "import",
                json!({
                    "resources": s.resources,
                    "typed": s.typed,
                    "raw": s.raw.iter().map(|(id, t, why)| json!({"logical_id": id, "type": t, "reason": why})).collect::<Vec<_>>(),
                    "overrides": s.overrides.iter().map(|(id, path, why)| json!({"logical_id": id, "path": path, "reason": why})).collect::<Vec<_>>(),
                    "untyped": s.untyped.iter().map(|(at, why)| json!({"at": at, "reason": why})).collect::<Vec<_>>(),
                    "untyped_attributes": s.untyped_attributes,
                    "features": s.features,
                }),
                true,
            );
            exit::OK
        }
        Err(e) => {
            p.error(Some(e.code), exit::INVALID, &e.message);
            exit::INVALID
        }
    }
}
