//! `docs/validation.md`, the coverage of cfn-lint's error rules, cannot rot: every rule of
//! the installed cfn-lint is listed with its title, every code named exists, every proof names
//! a test or an item that exists, and the counts are current. Also the structural proof that
//! several "impossible" rows cite.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use stackforge::catalogue::CORE;
use stackforge::App;
use stackforge_examples::{chatbot, ec2_fleet, falafel_api, fargate_app, hello_redis};
use stackforge_modules::catalogue::PATTERNS;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cfn-lint` from `$STACKFORGE_VENV/tools/bin` or `<repo>/.venv/tools/bin`. Missing is a
/// failure, never a skip: `scripts/setup-tools` installs it.
fn cfn_lint() -> PathBuf {
    let venv = std::env::var_os("STACKFORGE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let tool = venv.join("tools").join("bin").join("cfn-lint");
    assert!(
        tool.is_file(),
        "{} is missing: run scripts/setup-tools (pinned in scripts/requirements-tools.txt)",
        tool.display()
    );
    tool
}

/// The E-rules of the installed cfn-lint: id → title.
fn installed_rules() -> BTreeMap<String, String> {
    let out = Command::new(cfn_lint())
        .arg("--list-rules")
        .output()
        .expect("run cfn-lint --list-rules");
    let text = String::from_utf8_lossy(&out.stdout);
    let re = regex::Regex::new(r"^(E\d{4}): (.*)$").unwrap();
    let rules: BTreeMap<String, String> = text
        .lines()
        .filter_map(|l| re.captures(l))
        .map(|c| (c[1].to_owned(), c[2].trim().replace('|', "/")))
        .collect();
    assert!(
        rules.len() > 200,
        "cfn-lint listed only {} E-rules",
        rules.len()
    );
    rules
}

struct Row {
    title: String,
    status: String,
    how: String,
}

fn table() -> (String, BTreeMap<String, Row>) {
    let doc =
        std::fs::read_to_string(repo().join("docs/validation.md")).expect("docs/validation.md");
    let mut rows = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| E")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 4, "a row has 4 cells: {line}");
        let prev = rows.insert(
            cells[0].to_owned(),
            Row {
                title: cells[1].to_owned(),
                status: cells[2].to_owned(),
                how: cells[3].to_owned(),
            },
        );
        assert!(prev.is_none(), "{} is listed twice", cells[0]);
    }
    (doc, rows)
}

fn rust_sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            if !p.ends_with("cfn") {
                rust_sources(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(&std::fs::read_to_string(&p).unwrap_or_default());
        }
    }
}

#[test]
fn the_cfn_lint_coverage_table_is_complete_and_true() {
    let installed = installed_rules();
    let (doc, rows) = table();
    let codes: BTreeSet<&str> = CORE
        .iter()
        .chain(PATTERNS.iter())
        .map(|i| i.code.as_str())
        .collect();
    let mut sources = String::new();
    rust_sources(&repo().join("src"), &mut sources);
    rust_sources(&repo().join("modules/src"), &mut sources);
    let code_re = regex::Regex::new(r"\bSF[AM]?[0-9]{3}\b").unwrap();
    let test_re = regex::Regex::new(r"tests/([a-z_]+)\.rs::([a-z0-9_]+)").unwrap();
    let item_re = regex::Regex::new(r"`stackforge(?:_modules)?::([A-Za-z0-9_:]+)`").unwrap();
    let mut problems = Vec::new();
    for (id, title) in &installed {
        match rows.get(id) {
            None => problems.push(format!("{id} ({title}) is not in docs/validation.md")),
            Some(r) if &r.title != title => problems.push(format!(
                "{id}: the title is `{title}`, the table says `{}`",
                r.title
            )),
            Some(_) => {}
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (id, r) in &rows {
        if !installed.contains_key(id) {
            problems.push(format!("{id} is not a rule of the installed cfn-lint"));
        }
        *counts.entry(r.status.as_str()).or_default() += 1;
        for c in code_re.find_iter(&r.how) {
            if !codes.contains(c.as_str()) {
                problems.push(format!(
                    "{id} names {}, which is not in the catalogue",
                    c.as_str()
                ));
            }
        }
        for t in test_re.captures_iter(&r.how) {
            let file = repo().join("tests").join(format!("{}.rs", &t[1]));
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if !text.contains(&format!("fn {}(", &t[2])) {
                problems.push(format!(
                    "{id} cites tests/{}.rs::{}, which does not exist",
                    &t[1], &t[2]
                ));
            }
        }
        for i in item_re.captures_iter(&r.how) {
            let last = i[1].rsplit("::").next().unwrap_or_default();
            let found = ["fn ", "struct ", "enum ", "trait ", "mod ", "type "]
                .iter()
                .any(|k| sources.contains(&format!("{k}{last}")));
            if !found {
                problems.push(format!("{id} cites `{}`, which does not exist", &i[1]));
            }
        }
        match r.status.as_str() {
            "checked" if code_re.find(&r.how).is_none() => {
                problems.push(format!("{id} is checked but names no code"))
            }
            "impossible" if test_re.find(&r.how).is_none() && item_re.find(&r.how).is_none() => {
                problems.push(format!("{id} is impossible but names no test or type"))
            }
            "missing" if r.how.len() < 10 => {
                problems.push(format!("{id} is missing without a reason"))
            }
            "checked" | "impossible" | "missing" => {}
            other => problems.push(format!("{id} has the status `{other}`")),
        }
    }
    let summary = format!(
        "Counts: **{} checked**, **{} impossible**, **{} missing** ({} rules).",
        counts.get("checked").unwrap_or(&0),
        counts.get("impossible").unwrap_or(&0),
        counts.get("missing").unwrap_or(&0),
        rows.len()
    );
    if !doc.contains(&summary) {
        problems.push(format!(
            "the counts line is stale: it should read `{summary}`"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn example_apps() -> Vec<(&'static str, App)> {
    vec![
        (
            "fargate-app",
            fargate_app::build(&fargate_app::Options::default()),
        ),
        ("chatbot", chatbot::build(&chatbot::Options::default())),
        (
            "hello-redis",
            hello_redis::build(&hello_redis::Options::default()),
        ),
        (
            "falafel-api",
            falafel_api::build(&falafel_api::Options::default()),
        ),
        (
            "ec2-fleet",
            ec2_fleet::build(&ec2_fleet::Options::default()),
        ),
        ("demo", crate::synth_output::demo_app()),
    ]
}

/// The proof several rows cite: templates are JSON that reads back, with only the sections,
/// resource attributes and output keys synth writes, `DependsOn` naming resources of the same
/// template, and no `Transform`, template `Metadata`, `UpdatePolicy` or `CreationPolicy`.
#[test]
fn templates_are_json_with_only_the_sections_synth_writes() {
    let sections: BTreeSet<&str> = [
        "AWSTemplateFormatVersion",
        "Description",
        "Resources",
        "Parameters",
        "Outputs",
        "Conditions",
        "Mappings",
        "Rules",
    ]
    .into();
    let attributes: BTreeSet<&str> = [
        "Type",
        "Properties",
        "DependsOn",
        "DeletionPolicy",
        "UpdateReplacePolicy",
        "Condition",
        "Metadata",
    ]
    .into();
    let output_keys: BTreeSet<&str> = ["Value", "Description", "Export", "Condition"].into();
    let mut templates = 0;
    for (name, app) in example_apps() {
        let a = app.synth().unwrap_or_else(|e| panic!("{name}: {e}"));
        for s in &a.stacks {
            let back: Json = serde_json::from_str(&s.pretty).expect("the template reads back");
            assert_eq!(back, s.template);
            let t = back.as_object().unwrap();
            for k in t.keys() {
                assert!(
                    sections.contains(k.as_str()),
                    "{name}/{}: section {k}",
                    s.name
                );
            }
            assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
            assert!(t["Description"].is_string());
            let resources = t["Resources"].as_object().unwrap();
            assert!(!resources.is_empty());
            for (id, r) in resources {
                for k in r.as_object().unwrap().keys() {
                    assert!(attributes.contains(k.as_str()), "{name}/{id}: {k}");
                }
                for d in r["DependsOn"].as_array().into_iter().flatten() {
                    assert!(
                        resources.contains_key(d.as_str().unwrap()),
                        "{name}/{id}: DependsOn {d}"
                    );
                }
            }
            for (id, o) in t
                .get("Outputs")
                .and_then(Json::as_object)
                .into_iter()
                .flatten()
            {
                for k in o.as_object().unwrap().keys() {
                    assert!(output_keys.contains(k.as_str()), "{name}/{id}: {k}");
                }
            }
            templates += 1;
        }
    }
    assert!(templates >= 9, "{templates}");
}
