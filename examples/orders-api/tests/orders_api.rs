//! `orders-api`: its templates (written for cfn-lint and checkov), its wiring facts, and the
//! friction points of issue 11 that it exercises.

use std::path::PathBuf;

use orders_api::{build, build_parts, Options};
use stackforge::testing::Template;
use stackforge::Assembly;

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn synth() -> Assembly {
    let a = build(&Options::default())
        .synth()
        .unwrap_or_else(|e| panic!("{e}"));
    // scripts/lint-templates (cfn-lint 0/0) and scripts/checkov-templates read these.
    a.write(&target_dir().join("cfn-lint/examples/orders-api"))
        .expect("write templates for cfn-lint and checkov");
    a
}

fn template(a: &Assembly, stack: &str) -> Template {
    Template::from_json(
        a.stack(stack)
            .unwrap_or_else(|| panic!("no stack {stack}"))
            .template
            .clone(),
    )
}

#[test]
fn synthesizes_the_registry_and_two_environments() {
    let a = synth();
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["registry", "dev-orders", "prod-orders"]);
}
