//! No dangling links: every relative link in the README, `docs/` and the other top-level
//! documents points at a file that exists (and, for `#anchor` into Markdown, at a heading
//! that exists), and every repository path a code comment names (`docs/fargate-app.md`,
//! `scripts/setup-tools`) exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown documents people read: the README and the top-level documents, `docs/`,
/// and the crates' own READMEs.
fn documents() -> Vec<PathBuf> {
    let r = root();
    let mut out: Vec<PathBuf> = [
        "README.md",
        "ARCHITECTURE.md",
        "CHANGELOG.md",
        "SECURITY.md",
        "BENCHMARKS.md",
        "cli/README.md",
        "examples/orders-api/README.md",
    ]
    .iter()
    .map(|p| r.join(p))
    .filter(|p| p.exists())
    .collect();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(r.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    out.extend(docs);
    out
}

/// Every `.rs` file under the hand-written source folders (not the generated `src/cfn/`).
fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo: Vec<PathBuf> = [
        "src",
        "modules",
        "examples",
        "cli/src",
        "codegen/src",
        "tests",
        "benches",
    ]
    .iter()
    .map(|d| root().join(d))
    .collect();
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.ends_with("src/cfn") || p.ends_with("target") {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(md: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(md).unwrap_or_default();
    let mut out = BTreeSet::new();
    let mut fence = false;
    // Markdown inside a heading: links keep their text, code spans their content.
    let link = Regex::new(r"\[([^\]]*)\]\([^)]*\)").unwrap();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        }
        if !fence && line.starts_with('#') {
            let h = line.trim_start_matches('#');
            let h = link.replace_all(h, "$1");
            let base = slug(&h.replace('`', ""));
            let mut s = base.clone();
            let mut n = 1;
            while out.contains(&s) {
                s = format!("{base}-{n}");
                n += 1;
            }
            out.insert(s);
        }
    }
    out
}

/// Checks one relative target from `from`; `Err` says what is wrong.
fn check_target(from: &Path, target: &str) -> Result<(), String> {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        from.to_owned()
    } else {
        from.parent().unwrap().join(path)
    };
    if !file.exists() {
        return Err(format!("`{target}`: {} does not exist", file.display()));
    }
    if let Some(a) = anchor {
        if file.extension().is_some_and(|e| e == "md") && !anchors(&file).contains(a) {
            return Err(format!(
                "`{target}`: no heading with the anchor #{a} in {}",
                file.display()
            ));
        }
    }
    Ok(())
}

fn is_external(t: &str) -> bool {
    t.contains("://") || t.starts_with("mailto:")
}

#[test]
fn no_dangling_relative_link_in_the_readme_and_docs() {
    let link =
        Regex::new(r#"\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)|(?:src|href)="([^"]+)""#).unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let mut fence = false;
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fence = !fence;
                continue;
            }
            if fence {
                continue;
            }
            for c in link.captures_iter(line) {
                let t = c.get(1).or(c.get(2)).unwrap().as_str();
                if is_external(t) {
                    continue;
                }
                checked += 1;
                if let Err(e) = check_target(&doc, t) {
                    bad.push(format!(
                        "{}:{}: {e}",
                        doc.strip_prefix(root()).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the pattern right?"
    );
    assert!(bad.is_empty(), "dangling links:\n{}", bad.join("\n"));
}

#[test]
fn every_repository_path_a_code_comment_names_exists() {
    let path = Regex::new(
        r"(?:^|[\s`(\[])((?:docs|scripts|examples|snapshots|benches|cli|codegen|modules)/[A-Za-z0-9_.\-/]*[A-Za-z0-9_])",
    )
    .unwrap();
    let mut bad = Vec::new();
    let mut checked = 0;
    for src in sources() {
        let text = std::fs::read_to_string(&src).unwrap();
        for (n, line) in text.lines().enumerate() {
            let Some(i) = line.find("//") else { continue };
            let comment = &line[i..];
            for c in path.captures_iter(comment) {
                let p = c.get(1).unwrap().as_str();
                // Placeholders and globs are not paths (`docs/<name>.md`, `examples/*.rs`).
                if comment[c.get(1).unwrap().end()..].starts_with(['<', '*', '{']) {
                    continue;
                }
                checked += 1;
                if !root().join(p).exists() {
                    bad.push(format!(
                        "{}:{}: `{p}` does not exist",
                        src.strip_prefix(root()).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        checked > 10,
        "only {checked} paths found: is the pattern right?"
    );
    assert!(
        bad.is_empty(),
        "code comments name paths that do not exist:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checks_catch_a_dangling_link_and_a_missing_anchor() {
    let readme = root().join("README.md");
    assert!(check_target(&readme, "docs/no-such-page.md").is_err());
    assert!(check_target(&readme, "docs/getting-started.md#no-such-heading").is_err());
    assert!(check_target(&readme, "docs/getting-started.md").is_ok());
    assert_eq!(
        slug("Coming from the CDK / Terraform"),
        "coming-from-the-cdk--terraform"
    );
}
