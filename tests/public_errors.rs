//! Typed errors on every public function (issue 16): no `pub fn` of the libraries
//! (`stackforge`, `stackforge-modules`) has `Result<_, String>`, `Result<_, &str>`,
//! `Result<_, (String, String)>` or `Box<dyn Error>` in its signature (arguments included:
//! a callback's error is part of the API), and no `FromStr`/`TryFrom` has `type Err =
//! String`. Each public check returns a `thiserror` type with a `code()`. `pub(crate)`
//! functions may keep strings: they are no one's API.

use std::path::{Path, PathBuf};

use crate::layers::code_only;

/// The untyped error types.
fn untyped(error: &str) -> bool {
    let e: String = error.split_whitespace().collect::<Vec<_>>().join(" ");
    matches!(
        e.as_str(),
        "String" | "&str" | "&'static str" | "(String, String)" | "std::string::String"
    ) || (e.starts_with("Box<dyn") && e.contains("Error"))
}

/// The error argument of every `Result<T, E>` in `text` (nested ones included).
fn result_errors(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = text[from..].find("Result<") {
        let start = from + p + "Result<".len();
        from = start;
        let before = text[..start - "Result<".len()].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `IoResult<`, `SynthResult<`: another type
        }
        let (mut depth, mut comma, mut end) = (1usize, None, None);
        for (i, c) in text[start..].char_indices() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' | ')' | ']' if text[start..][..i].ends_with('-') => {} // `->`
                '>' | ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(start + i);
                        break;
                    }
                }
                ',' if depth == 1 => comma = Some(start + i + 1),
                _ => {}
            }
        }
        if let (Some(c), Some(e)) = (comma, end) {
            out.push(text[c..e].trim().to_owned());
        }
    }
    out
}

/// Each public function's signature (`pub fn` up to its body or `;`) and each `type Err =` /
/// `type Error =`, with its line, whose error is untyped.
fn untyped_in(code: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut from = 0;
    while let Some(p) = code[from..].find("pub ") {
        let at = from + p;
        from = at + 4;
        if code[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        // `pub fn`, `pub const fn`, `pub async fn`, `pub unsafe fn`, `pub const unsafe fn`.
        let rest = &code[at + 4..];
        let mut words = rest.split_whitespace();
        let mut is_fn = false;
        for w in words.by_ref().take(4) {
            match w {
                "const" | "async" | "unsafe" | "extern" => continue,
                "fn" => is_fn = true,
                _ => {}
            }
            break;
        }
        if !is_fn {
            continue;
        }
        let end = rest.find(['{', ';']).map_or(rest.len(), |e| e);
        let sig = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        if result_errors(&sig).iter().any(|e| untyped(e)) {
            found.push((line_of(at), format!("pub {sig}")));
        }
    }
    for assoc in ["type Err", "type Error"] {
        let mut from = 0;
        while let Some(p) = code[from..].find(assoc) {
            let at = from + p;
            from = at + assoc.len();
            let rest = &code[at + assoc.len()..];
            let Some(rest) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let ty = rest.split(';').next().unwrap_or_default();
            if untyped(ty.trim()) {
                found.push((line_of(at), format!("{assoc} ={ty};")));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn no_public_function_returns_an_untyped_error() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("modules/src"), &mut files);
    assert!(files.len() > 50, "{} files", files.len());
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read a source file");
        for (line, sig) in untyped_in(&code_only(&text)) {
            let shown = f.strip_prefix(root).unwrap_or(f).display();
            problems.push(format!("{shown}:{line}: {sig}"));
        }
    }
    assert!(
        problems.is_empty(),
        "public signatures with an untyped error (use a thiserror type with a `code()`):\n  {}",
        problems.join("\n  ")
    );
}

/// The check itself fails on each untyped form, and passes typed ones and crate-private
/// functions.
#[test]
fn the_signature_check_reports_each_untyped_form() {
    let bad = [
        "pub fn a(x: &str) -> Result<(), String> {}",
        "pub fn b() -> Result<Vec<(String, String)>, String>;",
        "pub const fn c() -> Result<u8, &'static str> {}",
        "pub fn d(\n    x: u8,\n) -> Result<(), (String, String)> {}",
        "pub fn e(check: impl Fn(&[u8]) -> Result<(), String>) {}",
        "pub async fn f() -> Result<(), Box<dyn std::error::Error + Send>> {}",
        "impl FromStr for X { type Err = String; }",
        "pub fn g() -> std::result::Result<BTreeMap<String, Vec<String>>, String> {}",
    ];
    for b in bad {
        assert_eq!(untyped_in(b).len(), 1, "{b}");
    }
    let good = [
        "pub fn a(x: &str) -> Result<(), StackNameError> {}",
        "pub fn b() -> Result<String, EngineVersionError> {}",
        "pub(crate) fn c() -> Result<(), String> {}",
        "fn d() -> Result<(), String> {}",
        "pub fn e<E: Display>(check: impl Fn(&[u8]) -> Result<(), E>) {}",
        "pub fn f() -> Result<Vec<(String, String)>, ArgumentError> {}",
        "impl FromStr for X { type Err = CidrError; }",
        "pub fn g() -> IoResult<(), String> {}",
    ];
    for g in good {
        assert_eq!(untyped_in(g), Vec::new(), "{g}");
    }
}
