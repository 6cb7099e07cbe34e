//! Shared helpers for the integration tests.

use std::path::PathBuf;

use stackforge::{App, Assembly, Code, Diagnostic};

/// `target/cfn-lint/<group>/<name>/`: every template a test writes there is linted by
/// `scripts/test` with cfn-lint (0 errors, 0 warnings); `examples/` also goes to checkov.
pub fn lint_dir(group: &str, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("cfn-lint").join(group).join(name)
}

/// Writes an assembly for the cfn-lint pass of `scripts/test`.
pub fn write_for_lint(a: &Assembly, group: &str, name: &str) {
    let dir = lint_dir(group, name);
    a.write(&dir).expect("write templates for cfn-lint");
}

/// insta settings that keep snapshots in the top-level `snapshots/` folder.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// The errors of a synth (none when it succeeds).
pub fn errors(app: &App) -> Vec<Diagnostic> {
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    }
}

/// `(code, logical id, property)` of every error, sorted.
pub fn found(app: &App) -> Vec<(Code, String, String)> {
    let mut v: Vec<_> = errors(app)
        .iter()
        .map(|d| {
            (
                d.code,
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

/// One expected `(code, logical id, property)`.
pub fn e(code: Code, id: &str, prop: &str) -> (Code, String, String) {
    (code, id.to_owned(), prop.to_owned())
}
