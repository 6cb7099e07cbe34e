//! The CLI, run in process with injected writers.

use clap::CommandFactory;
use stackforge::cli::{exit, run_from, Cli, NoOptions};

use crate::synth_output::{demo_app, tempdir};

fn run(args: &[&str]) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_from::<NoOptions>(args.iter().copied(), |_| demo_app(), &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn cli_definition_is_consistent() {
    Cli::<NoOptions>::command().debug_assert();
}

#[test]
fn synth_is_the_default_and_prints_a_summary() {
    let dir = tempdir("cli-synth");
    let out_dir = dir.join("out");
    let (code, out, err) = run(&["demo", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, exit::OK, "{err}");
    assert!(out.contains("shared"), "{out}");
    assert!(out.contains("resources"), "{out}");
    assert!(out.contains("synthesized 2 stack(s) in"), "{out}");
    assert!(
        out.contains("cargo run --example demo --features deploy -- deploy"),
        "{out}"
    );
    assert!(out_dir.join("shared.template.json").exists());
    assert!(out_dir.join("manifest.json").exists());
}

#[test]
fn synth_json_output_is_machine_readable() {
    let dir = tempdir("cli-json");
    let (code, out, _) = run(&[
        "demo",
        "synth",
        "--json",
        "--out",
        dir.to_str().unwrap(),
        "--stack",
        "service",
    ]);
    assert_eq!(code, exit::OK);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["stacks"].as_array().unwrap().len(), 1);
    assert_eq!(v["stacks"][0]["name"], "service");
    assert_eq!(v["stacks"][0]["resources"], 2);
}

#[test]
fn list_shows_deploy_order_with_dependencies() {
    let (code, out, _) = run(&["demo", "list"]);
    assert_eq!(code, exit::OK);
    assert_eq!(out, "1. shared\n2. service  (after shared)\n");
}

#[test]
fn unknown_stack_is_a_usage_error() {
    let (code, _, err) = run(&["demo", "list", "--stack", "nope"]);
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains("unknown stack(s) `nope`; this app has: shared, service"),
        "{err}"
    );
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let (code, dot, _) = run(&["demo", "graph"]);
    assert_eq!(code, exit::OK);
    assert!(dot.starts_with("digraph stackforge {"));
    assert!(
        dot.contains(
            "service_Subscription -> service_Work [label=\"GetAtt Arn at Properties.Endpoint\"]"
        ),
        "{dot}"
    );
    assert!(dot.contains("\"service\" -> \"shared\" [style=dashed]"));
    let (code, mermaid, _) = run(&["demo", "graph", "--format", "mermaid"]);
    assert_eq!(code, exit::OK);
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("service -.-> shared"));
}

#[test]
fn validate_reports_all_errors_with_codes() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_from::<NoOptions>(
        ["demo", "validate", "--json"],
        |_| {
            let app = demo_app();
            let mut s = app.stack("service");
            s.add_raw("Work", stackforge::Raw::new("AWS::SQS::Queue"));
            s.add_raw("bad-id", stackforge::Raw::new("AWS::SQS::Queue"));
            app
        },
        &mut out,
        &mut err,
    );
    assert_eq!(code, exit::INVALID);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["errors"], 2);
    let codes: Vec<_> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["SF002", "SF003"]);
    assert_eq!(v["diagnostics"][0]["logical_id"], "Work");
    let (code, out, _) = run(&["demo", "validate"]);
    assert_eq!(code, exit::OK);
    assert_eq!(out, "0 error(s), 0 warning(s)\n");
}

#[test]
fn offline_diff_distinguishes_changes_from_no_changes() {
    let dir = tempdir("cli-diff");
    let (code, _, _) = run(&["demo", "--out", dir.to_str().unwrap()]);
    assert_eq!(code, exit::OK);
    let (code, out, _) = run(&["demo", "diff", "--against", dir.to_str().unwrap()]);
    assert_eq!(code, exit::OK, "{out}");
    assert!(out.contains("shared: no changes"));
    let mut out = Vec::new();
    let code = run_from::<NoOptions>(
        ["demo", "diff", "--against", dir.to_str().unwrap()],
        |_| {
            let app = demo_app();
            app.stack("service")
                .add_raw("Extra", stackforge::Raw::new("AWS::SQS::Queue"));
            app
        },
        &mut out,
        &mut Vec::new(),
    );
    assert_eq!(code, exit::CHANGES);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("[+] AWS::SQS::Queue Extra"), "{out}");
}

#[cfg(not(feature = "deploy"))]
#[test]
fn online_commands_without_the_feature_print_the_command_to_use() {
    for sub in ["deploy", "destroy", "diff"] {
        let (code, _, err) = run(&["fargate-app", sub]);
        assert_eq!(code, exit::FEATURE_DISABLED);
        assert!(
            err.contains(&format!(
                "cargo run --example fargate-app --features deploy -- {sub}"
            )),
            "{err}"
        );
    }
}

#[test]
fn bad_arguments_are_usage_errors() {
    let (code, _, err) = run(&["demo", "graph", "--format", "png"]);
    assert_eq!(code, exit::USAGE);
    assert!(err.contains("png"));
    let (code, out, _) = run(&["demo", "--help"]);
    assert_eq!(code, exit::OK);
    assert!(out.contains("synth"));
}
