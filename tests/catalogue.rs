//! One catalogue of diagnostic codes for the core, the generated types and the patterns:
//! unique names and numbers, every code defined in the workspace listed with its cause and
//! fix, and `docs/errors.md` generated from it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use stackforge::catalogue::{render_markdown, CodeInfo, CORE, RETIRED};
use stackforge_modules::catalogue::PATTERNS;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn all() -> Vec<&'static CodeInfo> {
    CORE.iter().chain(PATTERNS.iter()).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            // Generated types define no codes; they are 40 MB of text.
            if p.ends_with("src/cfn") || p.ends_with("target") {
                continue;
            }
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `(file, const name, code)` for every `const NAME: Code = Code::new("…")` (or `Code("…")`)
/// in the workspace's sources, plus every other `Code::new("SF…")` literal (name empty).
fn defined_codes() -> Vec<(String, String, String)> {
    let def = regex::Regex::new(
        r#"const\s+([A-Z][A-Z0-9_]*)\s*:\s*(?:stackforge::)?Code\s*=\s*Code(?:::new)?\(\s*"([A-Z0-9]+)"\s*\)"#,
    )
    .unwrap();
    let any = regex::Regex::new(r#"Code(?:::new)?\(\s*"(SF[A-Z]?[0-9]+)"\s*\)"#).unwrap();
    let mut files = Vec::new();
    for dir in [
        "src",
        "modules/src",
        "cli",
        "examples/apps/src",
        "codegen/src",
    ] {
        rust_files(&repo().join(dir), &mut files);
    }
    assert!(
        files.len() > 20,
        "the source scan found only {} files",
        files.len()
    );
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let rel = f.strip_prefix(repo()).unwrap().display().to_string();
        let mut named = BTreeSet::new();
        for c in def.captures_iter(&text) {
            named.insert(c[2].to_owned());
            out.push((rel.clone(), c[1].to_owned(), c[2].to_owned()));
        }
        for c in any.captures_iter(&text) {
            if !named.contains(&c[1]) {
                out.push((rel.clone(), String::new(), c[1].to_owned()));
            }
        }
    }
    out
}

#[test]
fn catalogue_names_and_numbers_are_unique() {
    let mut codes = BTreeMap::new();
    let mut names = BTreeMap::new();
    for i in all() {
        assert!(
            codes.insert(i.code.as_str(), i.name).is_none(),
            "{} is listed twice",
            i.code
        );
        if let Some(old) = names.insert(i.name, i.code.as_str()) {
            panic!("the name {} has two codes: {old} and {}", i.name, i.code);
        }
        assert!(
            !i.meaning.is_empty() && !i.cause.is_empty() && !i.fix.is_empty(),
            "{} needs a meaning, a cause and a fix",
            i.code
        );
        let family_ok = ["SF0", "SF1", "SFA", "SFD", "SFM"]
            .iter()
            .any(|p| i.code.as_str().starts_with(p));
        assert!(family_ok, "{} is in no code family", i.code);
    }
    for r in RETIRED {
        assert!(
            !codes.contains_key(r.code),
            "{} is retired and must not be reused",
            r.code
        );
    }
    // The two names that had two numbers each now have one.
    assert_eq!(names["INVALID_CAPACITY"], "SFM007");
    assert_eq!(names["INVALID_CIDR"], "SFM005");
}

#[test]
fn every_code_defined_in_the_workspace_is_in_the_catalogue() {
    let listed: BTreeMap<&str, &str> = all().iter().map(|i| (i.code.as_str(), i.name)).collect();
    let retired: BTreeSet<&str> = RETIRED.iter().map(|r| r.code).collect();
    let defined = defined_codes();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (file, name, code) in &defined {
        seen.insert(code.clone());
        if retired.contains(code.as_str()) {
            problems.push(format!("{file}: {code} is retired"));
        }
        match listed.get(code.as_str()) {
            None => problems.push(format!(
                "{file}: {code} ({name}) is not in the catalogue (stackforge::catalogue::CORE or stackforge_modules::catalogue::PATTERNS)"
            )),
            Some(n) if !name.is_empty() && n != name => problems.push(format!(
                "{file}: {code} is defined as {name} but catalogued as {n}"
            )),
            Some(_) => {}
        }
    }
    for code in listed.keys() {
        if !seen.contains(*code) {
            problems.push(format!("{code} is catalogued but defined nowhere"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn docs_errors_md_is_generated_from_the_catalogue() {
    let want = render_markdown(&[
        (
            "The core and the generated types (SF0xx, SF1xx)",
            &core_only(),
        ),
        (
            "Assemblies, templates on disk, stack selection (SFAxxx)",
            &family("SFA"),
        ),
        (
            "Deploy, diff and destroy (SFDxxx, the `deploy` feature)",
            &family("SFD"),
        ),
        ("Patterns (SFMxxx, stackforge-modules)", PATTERNS),
    ]);
    let path = repo().join("docs/errors.md");
    if std::env::var_os("STACKFORGE_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let got = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        got == want,
        "docs/errors.md is stale or missing: regenerate it with `STACKFORGE_BLESS=1 cargo test -p stackforge --test tests catalogue` and review the diff"
    );
    for i in all() {
        assert!(
            got.contains(&format!("### {}\n", i.code)),
            "{} is missing",
            i.code
        );
    }
}

fn core_only() -> Vec<CodeInfo> {
    CORE.iter()
        .filter(|i| !i.code.as_str().starts_with("SFA") && !i.code.as_str().starts_with("SFD"))
        .copied()
        .collect()
}

fn family(prefix: &str) -> Vec<CodeInfo> {
    CORE.iter()
        .filter(|i| i.code.as_str().starts_with(prefix))
        .copied()
        .collect()
}
