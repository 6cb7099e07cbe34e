//! Reading an assembly from disk (or taking one straight from synth): the manifest's
//! version, every template's sha256, all under a shared lock.

use std::path::{Component, Path, PathBuf};

use serde_json::Value as Json;

use super::manifest::{Manifest, StackEntry, MANIFEST_VERSION};
use super::select::{select, SelectError, StackKey};
use super::write::{lock_dir, MANIFEST_FILE};
use super::Assembly;
use super::{codes, sha256_hex};
use crate::diag::Code;
use crate::template::{self, ReadError, MAX_TEMPLATE_FILE};

/// The largest `manifest.json` read (16 MiB).
pub const MAX_MANIFEST_FILE: u64 = 16 * 1024 * 1024;

/// Why an assembly could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssemblyError {
    /// The directory is not an assembly.
    #[error("{} is not a stackforge assembly: {reason}. Run the program's `synth` (or `stackforge deploy --app \"<command>\"`) to write one", dir.display())]
    NotAnAssembly {
        /// The directory.
        dir: PathBuf,
        /// Why not.
        reason: String,
    },
    /// The manifest or a template could not be read.
    #[error(transparent)]
    File(#[from] ReadError),
    /// The manifest's major version is unknown.
    #[error("{} has manifest version {found}; this stackforge reads version {supported}. Use the stackforge that wrote it, or synthesize again with this one", path.display())]
    Version {
        /// The manifest.
        path: PathBuf,
        /// The version it has.
        found: String,
        /// The version this build reads.
        supported: u64,
    },
    /// The manifest does not match its schema.
    #[error("{} does not match the manifest schema (docs/manifest.schema.json): {message}", path.display())]
    Invalid {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A template's hash differs from the manifest's: it was changed or replaced after synth.
    #[error("stack `{stack}`: {} has sha256 {actual}, but the manifest says {expected}; it was changed after synth. Synthesize again", path.display())]
    HashMismatch {
        /// The stack.
        stack: String,
        /// The template file.
        path: PathBuf,
        /// The manifest's hash.
        expected: String,
        /// The file's hash.
        actual: String,
    },
    /// The lock could not be taken.
    #[error("cannot lock {}: {source}", dir.display())]
    Lock {
        /// The directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

impl AssemblyError {
    /// The stable code (`SFA…`).
    pub fn code(&self) -> Code {
        match self {
            AssemblyError::NotAnAssembly { .. } => codes::NOT_AN_ASSEMBLY,
            AssemblyError::File(e) => e.code(),
            AssemblyError::Version { .. } => codes::MANIFEST_VERSION,
            AssemblyError::Invalid { .. } => codes::MANIFEST_INVALID,
            AssemblyError::HashMismatch { .. } => codes::HASH_MISMATCH,
            AssemblyError::Lock { .. } => codes::LOCK,
        }
    }
}

/// One stack of an assembly with its template.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedStack {
    /// The manifest entry.
    pub entry: StackEntry,
    /// The template.
    pub template: Json,
}

impl LoadedStack {
    /// The stack name.
    pub fn name(&self) -> &str {
        &self.entry.name
    }
    /// The minified JSON deploy sends.
    pub fn minified(&self) -> String {
        self.template.to_string()
    }
}

/// An assembly as the deploy engine and `diff` consume it: the manifest and every template,
/// checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudAssembly {
    /// The directory it was read from (`None`: straight from synth).
    pub dir: Option<PathBuf>,
    /// The manifest.
    pub manifest: Manifest,
    /// The stacks in deploy order, with their templates.
    pub stacks: Vec<LoadedStack>,
}

impl CloudAssembly {
    /// The assembly of a synth, without going through the disk.
    pub fn from_synth(a: &Assembly) -> CloudAssembly {
        let manifest = a.to_manifest();
        let stacks = manifest
            .stacks
            .iter()
            .zip(&a.stacks)
            .map(|(entry, s)| LoadedStack {
                entry: entry.clone(),
                template: s.template.clone(),
            })
            .collect();
        CloudAssembly {
            dir: None,
            manifest,
            stacks,
        }
    }

    /// Reads the assembly in `dir` under a shared lock: the manifest (major version
    /// [`MANIFEST_VERSION`]), then every template, each checked against its sha256.
    pub fn read(dir: &Path) -> Result<CloudAssembly, AssemblyError> {
        match std::fs::metadata(dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReadError::NotFound {
                    origin: dir.display().to_string(),
                }
                .into())
            }
            Err(e) => {
                return Err(ReadError::Unreadable {
                    origin: dir.display().to_string(),
                    source: e,
                }
                .into())
            }
            Ok(m) if !m.is_dir() => {
                return Err(AssemblyError::NotAnAssembly {
                    dir: dir.to_owned(),
                    reason: "it is not a directory".to_owned(),
                })
            }
            Ok(_) => {}
        }
        let _lock = lock_dir(dir, false).map_err(|source| AssemblyError::Lock {
            dir: dir.to_owned(),
            source,
        })?;
        let path = dir.join(MANIFEST_FILE);
        let bytes = match template::read_regular_file(&path, MAX_MANIFEST_FILE) {
            Err(ReadError::NotFound { .. }) => {
                return Err(AssemblyError::NotAnAssembly {
                    dir: dir.to_owned(),
                    reason: format!("it has no {MANIFEST_FILE}"),
                })
            }
            other => other?,
        };
        let manifest = parse_manifest(&bytes, &path)?;
        let mut stacks = Vec::with_capacity(manifest.stacks.len());
        for entry in &manifest.stacks {
            let file = dir.join(&entry.template);
            let bytes = template::read_regular_file(&file, MAX_TEMPLATE_FILE)?;
            let actual = sha256_hex(&bytes);
            if actual != entry.sha256 {
                return Err(AssemblyError::HashMismatch {
                    stack: entry.name.clone(),
                    path: file,
                    expected: entry.sha256.clone(),
                    actual,
                });
            }
            let origin = file.display().to_string();
            let text = String::from_utf8(bytes).map_err(|_| ReadError::Syntax {
                origin: origin.clone(),
                format: "UTF-8",
                at: template::Position::default(),
                message: "invalid UTF-8".to_owned(),
            })?;
            let template = template::parse(&text, &origin)?;
            stacks.push(LoadedStack {
                entry: entry.clone(),
                template,
            });
        }
        Ok(CloudAssembly {
            dir: Some(dir.to_owned()),
            manifest,
            stacks,
        })
    }

    /// The stack called `name` (full name).
    pub fn stack(&self, name: &str) -> Option<&LoadedStack> {
        self.stacks.iter().find(|s| s.entry.name == name)
    }

    /// The stacks `patterns` select (see [`select`]), in deploy order; all for none.
    pub fn select(&self, patterns: &[String]) -> Result<Vec<&LoadedStack>, SelectError> {
        let keys: Vec<StackKey<'_>> = self
            .stacks
            .iter()
            .map(|s| StackKey {
                name: &s.entry.name,
                environment: s.entry.environment.as_deref(),
            })
            .collect();
        Ok(select(&keys, patterns)?
            .into_iter()
            .map(|i| &self.stacks[i])
            .collect())
    }
}

/// Parses and checks a manifest's bytes.
pub(crate) fn parse_manifest(bytes: &[u8], path: &Path) -> Result<Manifest, AssemblyError> {
    let invalid = |message: String| AssemblyError::Invalid {
        path: path.to_owned(),
        message,
    };
    let value: Json = serde_json::from_slice(bytes).map_err(|e| ReadError::Syntax {
        origin: path.display().to_string(),
        format: "JSON",
        at: template::Position {
            line: e.line(),
            column: e.column(),
        },
        message: e.to_string(),
    })?;
    let major = match value.get("version") {
        Some(Json::Number(n)) => n.as_u64(),
        Some(Json::String(s)) => s.split('.').next().and_then(|m| m.parse().ok()),
        _ => return Err(invalid("`version` is missing".to_owned())),
    };
    if major != Some(MANIFEST_VERSION) {
        return Err(AssemblyError::Version {
            path: path.to_owned(),
            found: value["version"].to_string(),
            supported: MANIFEST_VERSION,
        });
    }
    let mut value = value;
    if let Some(v) = value.get_mut("version") {
        *v = Json::from(MANIFEST_VERSION);
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
    for s in &manifest.stacks {
        if !is_hex64(&s.sha256) {
            return Err(invalid(format!(
                "stack `{}`: `sha256` must be 64 lowercase hex digits",
                s.name
            )));
        }
        if !is_inside(&s.template) {
            return Err(invalid(format!(
                "stack `{}`: `template` must be a path inside the assembly, got `{}`",
                s.name, s.template
            )));
        }
    }
    for a in &manifest.assets {
        if let super::AssetKind::FileZip { path, .. } = &a.kind {
            if !is_inside(path) {
                return Err(invalid(format!(
                    "asset `{}`: `path` must be inside the assembly, got `{path}`",
                    a.id
                )));
            }
        }
    }
    Ok(manifest)
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A relative path that stays inside the directory (no `..`, no root).
fn is_inside(p: &str) -> bool {
    !p.is_empty()
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(version: &str, sha: &str, template: &str) -> String {
        format!("{{\"version\": {version}, \"generator\": \"t\", \"stacks\": [{{\"name\": \"a\", \"template\": \"{template}\", \"sha256\": \"{sha}\"}}]}}")
    }

    #[test]
    fn unknown_major_versions_are_refused_and_minor_ones_read() {
        let sha = "0".repeat(64);
        let p = Path::new("m.json");
        let e =
            parse_manifest(manifest("2", &sha, "a.template.json").as_bytes(), p).expect_err("v2");
        assert_eq!(e.code(), codes::MANIFEST_VERSION);
        assert!(parse_manifest(manifest("\"1.3\"", &sha, "a.template.json").as_bytes(), p).is_ok());
        let e = parse_manifest(b"{\"generator\": \"t\", \"stacks\": []}", p).expect_err("none");
        assert_eq!(e.code(), codes::MANIFEST_INVALID);
    }

    #[test]
    fn hashes_and_paths_are_checked() {
        let p = Path::new("m.json");
        let e = parse_manifest(manifest("1", "abc", "a.template.json").as_bytes(), p)
            .expect_err("short hash");
        assert_eq!(e.code(), codes::MANIFEST_INVALID);
        let sha = "0".repeat(64);
        for bad in ["../x.json", "/etc/passwd", ""] {
            let e = parse_manifest(manifest("1", &sha, bad).as_bytes(), p).expect_err(bad);
            assert_eq!(e.code(), codes::MANIFEST_INVALID, "{bad}");
        }
    }
}
