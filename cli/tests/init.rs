//! `stackforge init` end to end: the new crate is written outside the workspace with its
//! dependency pointed at this checkout, then `cargo test` and `cargo run -- synth` run there
//! (offline, with a target directory under this checkout's `target/` so the dependencies
//! build once), the template lints clean with the pinned cfn-lint, and the workflow passes
//! `check-jsonschema --builtin-schema vendor.github-workflows`. The tools come from
//! `scripts/setup-tools`; the test fails when they are missing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn tool(name: &str) -> PathBuf {
    let p = checkout().join(".venv/tools/bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup-tools",
        p.display()
    );
    p
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

fn init_and_build(name: &str, flags: &[&str]) -> PathBuf {
    let base = std::env::temp_dir().join(format!("stackforge-init-test-{}", std::process::id()));
    let dir = base.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&base).unwrap();
    assert!(
        !dir.starts_with(checkout()),
        "the crate must be outside the workspace"
    );
    let out = run(Command::new(env!("CARGO_BIN_EXE_stackforge"))
        .arg("init")
        .arg(name)
        .arg("--dir")
        .arg(&dir)
        .arg("--stackforge-path")
        .arg(checkout())
        .args(flags));
    assert!(out.contains("cargo test"), "{out}");
    for f in [
        "Cargo.toml",
        "src/main.rs",
        "src/tests.rs",
        "README.md",
        ".gitignore",
        ".github/workflows/ci.yml",
    ] {
        assert!(dir.join(f).is_file(), "{f} is missing");
    }
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    assert!(readme.contains("cargo test") && readme.contains("cargo run -- synth"));
    // The workspace's lockfile: the same versions it already built, resolvable offline.
    std::fs::copy(checkout().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let cargo = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO"));
        c.arg(args[0])
            .arg("--offline")
            .args(&args[1..])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", checkout().join("target/init-test"))
            // The recorded snapshot must match: nothing is written.
            .env("INSTA_UPDATE", "no")
            .env_remove("CARGO_MANIFEST_DIR");
        c
    };
    // The scaffold is formatted as `cargo fmt` would write it.
    run(Command::new(env!("CARGO"))
        .args(["fmt", "--check"])
        .current_dir(&dir));
    run(&mut cargo(&["test"]));
    run(&mut cargo(&["run", "--", "synth", "--out", "out"]));
    let templates: Vec<PathBuf> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".template.json"))
        .collect();
    assert!(!templates.is_empty());
    run(Command::new(tool("cfn-lint")).arg("--").args(&templates));
    run(Command::new(tool("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(dir.join(".github/workflows/ci.yml")));
    dir
}

#[test]
fn init_makes_a_crate_whose_tests_pass_and_whose_template_lints_clean() {
    let dir = init_and_build("demo", &[]);
    let t = std::fs::read_to_string(dir.join("out/demo.template.json")).unwrap();
    assert!(t.contains("AWS::ECS::Service") && !t.contains("AWS::RDS::DBInstance"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn init_with_a_database_and_a_cache_wires_both() {
    let dir = init_and_build("demo-full", &["--with-database", "--with-cache"]);
    let t = std::fs::read_to_string(dir.join("out/demo-full.template.json")).unwrap();
    for want in [
        "AWS::RDS::DBInstance",
        "AWS::ElastiCache::ReplicationGroup",
        "DbIngressFromWeb",
        "CacheIngressFromWeb",
    ] {
        assert!(t.contains(want), "{want} is missing");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn init_from_the_flagship_example_passes_its_own_tests() {
    let dir = init_and_build("my-flagship", &["--example", "fargate-app"]);
    let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
    assert!(main.contains("stackforge::run!(example::build)"));
    let t = std::fs::read_to_string(dir.join("out/fargate-app.template.json")).unwrap();
    assert!(t.contains("servian/techchallengeapp"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn init_refuses_a_bad_name_without_writing_anything() {
    let base = std::env::temp_dir().join(format!("stackforge-init-bad-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_stackforge"))
        .args(["init", "My_Infra", "--dir"])
        .arg(&base)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("lower-case"));
    assert!(!base.exists());
}
