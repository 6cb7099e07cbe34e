//! The CLI, run in process with injected writers; the assembly directory it writes; and the
//! inputs `diff --against` refuses.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use clap::CommandFactory;
use serde_json::{json, Value as Json};
use stackforge::assembly::{codes, CloudAssembly};
use stackforge::cli::{exit, run_from, run_program_from, Cli, NoOptions, Program};
use stackforge::{App, Raw};

use crate::synth_output::{demo_app, tempdir};

fn run(args: &[&str]) -> (i32, String, String) {
    run_app(args, demo_app)
}

fn run_app(args: &[&str], app: impl FnOnce() -> App) -> (i32, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_from::<NoOptions>(args.iter().copied(), |_| app(), &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

/// NDJSON lines as values.
fn events(out: &str) -> Vec<Json> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn of_kind<'a>(events: &'a [Json], kind: &str) -> Vec<&'a Json> {
    events.iter().filter(|e| e["event"] == kind).collect()
}

#[test]
fn cli_definition_is_consistent() {
    Cli::<NoOptions>::command().debug_assert();
}

#[test]
fn synth_is_the_default_and_prints_a_summary_and_the_deploy_command() {
    let dir = tempdir("cli-synth");
    let out_dir = dir.join("out");
    let (code, out, err) = run(&["demo", "--out", out_dir.to_str().unwrap()]);
    assert_eq!(code, exit::OK, "{err}");
    assert!(out.contains("shared"), "{out}");
    assert!(out.contains("resources"), "{out}");
    assert!(out.contains("synthesized 2 stack(s) in"), "{out}");
    if cfg!(feature = "deploy") {
        assert!(out.contains(" --features deploy -- deploy"), "{out}");
    } else {
        assert!(
            out.contains("deploy: stackforge deploy --app \"cargo run -q --"),
            "{out}"
        );
    }
    assert!(out_dir.join("shared.template.json").exists());
    assert!(out_dir.join("manifest.json").exists());
}

#[test]
fn json_output_is_one_object_per_event_for_every_verb() {
    let dir = tempdir("cli-json");
    let d = dir.to_str().unwrap();
    let (code, out, _) = run(&["demo", "synth", "--json", "--out", d, "--stack", "service"]);
    assert_eq!(code, exit::OK);
    let ev = events(&out);
    let stacks = of_kind(&ev, "stack");
    assert_eq!(stacks.len(), 1);
    assert_eq!(stacks[0]["name"], "service");
    assert_eq!(stacks[0]["resources"], 2);
    assert_eq!(stacks[0]["sha256"].as_str().map(str::len), Some(64));
    assert_eq!(of_kind(&ev, "synthesized")[0]["stacks"], 1);
    for verb in [
        &["list"][..],
        &["graph"],
        &["validate"],
        &["diff", "--against", d],
    ] {
        let mut args = vec!["demo", "--json"];
        args.extend(verb);
        let (code, out, _) = run(&args);
        assert!(
            code == exit::OK || code == exit::CHANGES,
            "{verb:?}: {code}"
        );
        let ev = events(&out);
        assert!(!ev.is_empty(), "{verb:?} printed no event");
        assert!(ev.iter().all(|e| e["event"].is_string()), "{verb:?}: {out}");
    }
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let dir = tempdir("cli-quiet");
    let d = dir.to_str().unwrap();
    for verb in [&["synth"][..], &["validate"], &["diff", "--against", d]] {
        let mut args = vec!["demo", "--quiet", "--out", d];
        args.extend(verb);
        let (code, out, err) = run(&args);
        assert!(
            code == exit::OK || code == exit::CHANGES,
            "{verb:?}: {code} {err}"
        );
        assert!(out.is_empty() && err.is_empty(), "{verb:?}: {out}{err}");
    }
    let (code, out, err) = run(&["demo", "--quiet", "list", "--stack", "nope"]);
    assert_eq!(code, exit::USAGE);
    assert!(out.is_empty());
    assert!(err.contains("unknown stack"), "{err}");
}

#[test]
fn list_shows_deploy_order_with_dependencies() {
    let (code, out, _) = run(&["demo", "list"]);
    assert_eq!(code, exit::OK);
    assert_eq!(out, "1. shared\n2. service  (after shared)\n");
}

#[test]
fn unknown_stack_is_a_usage_error_with_its_code() {
    let (code, out, err) = run(&["demo", "list", "--stack", "nope", "--json"]);
    assert_eq!(code, exit::USAGE);
    assert!(
        err.contains("unknown stack(s) `nope`; this app has: shared, service"),
        "{err}"
    );
    assert_eq!(events(&out)[0]["code"], codes::UNKNOWN_STACK.as_str());
}

/// `--stack` with or without the environment prefix, and patterns over `env/stack`.
#[test]
fn stacks_are_selected_with_or_without_the_environment_prefix() {
    let app = || {
        let app = App::with_prefix("prod-");
        for name in ["api", "web"] {
            app.stack(name)
                .add_raw("Topic", Raw::new("AWS::SNS::Topic"));
        }
        app
    };
    for (arg, expected) in [
        ("api", "1. prod-api\n"),
        ("prod-api", "1. prod-api\n"),
        ("prod/web", "1. prod-web\n"),
        ("prod/*", "1. prod-api\n2. prod-web\n"),
    ] {
        let (code, out, err) = run_app(&["infra", "list", "--stack", arg], app);
        assert_eq!(code, exit::OK, "{arg}: {err}");
        assert_eq!(out, expected, "{arg}");
    }
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
    let bad = || {
        let app = demo_app();
        let mut s = app.stack("service");
        s.add_raw("Work", Raw::new("AWS::SQS::Queue"));
        s.add_raw("bad-id", Raw::new("AWS::SQS::Queue"));
        app
    };
    let (code, out, _) = run_app(&["demo", "validate", "--json"], bad);
    assert_eq!(code, exit::INVALID);
    let ev = events(&out);
    let codes: Vec<_> = of_kind(&ev, "diagnostic")
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["SF002", "SF003"]);
    assert_eq!(of_kind(&ev, "diagnostic")[0]["logical_id"], "Work");
    assert_eq!(of_kind(&ev, "validated")[0]["errors"], 2);
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
    let more = || {
        let app = demo_app();
        app.stack("service")
            .add_raw("Extra", Raw::new("AWS::SQS::Queue"));
        app
    };
    let (code, out, _) = run_app(&["demo", "diff", "--against", dir.to_str().unwrap()], more);
    assert_eq!(code, exit::CHANGES);
    assert!(out.contains("[+] AWS::SQS::Queue Extra"), "{out}");
}

/// Runs `diff --against PATH` on another thread so a hang fails the test instead of
/// blocking it; returns (exit code, stdout, stderr).
fn diff_against(path: &Path, extra: &[&str]) -> (i32, String, String) {
    let path = path.to_string_lossy().into_owned();
    let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut args = vec![
            "demo".to_owned(),
            "diff".to_owned(),
            "--json".to_owned(),
            "--against".to_owned(),
            path,
        ];
        args.extend(extra);
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = run_from::<NoOptions>(args, |_| demo_app(), &mut out, &mut err);
        let _ = tx.send((
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        ));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("diff --against must not hang")
}

fn error_code(out: &str) -> String {
    let ev = events(out);
    let e = of_kind(&ev, "error");
    assert_eq!(e.len(), 1, "one error event: {out}");
    e[0]["code"].as_str().unwrap_or("").to_owned()
}

/// Issue 12: `diff --against` with a bad input reported "49 resource change(s)" and exit 3
/// (or hung on a FIFO). Each now fails with a typed error.
#[test]
fn diff_against_refuses_every_bad_input_with_its_code() {
    let dir = tempdir("cli-against");
    let assembly = dir.join("out");
    let (code, _, _) = run(&["demo", "--out", assembly.to_str().unwrap()]);
    assert_eq!(code, exit::OK);

    let mut cases: Vec<(PathBuf, &[&str], stackforge::Code)> = Vec::new();
    // A missing directory.
    cases.push((dir.join("missing"), &[], codes::NOT_FOUND));
    // A directory that is no assembly.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    cases.push((empty, &[], codes::NOT_AN_ASSEMBLY));
    // A directory in place of a template in an assembly.
    let holed = dir.join("holed");
    run(&["demo", "--out", holed.to_str().unwrap()]);
    std::fs::remove_file(holed.join("shared.template.json")).unwrap();
    std::fs::create_dir_all(holed.join("shared.template.json")).unwrap();
    cases.push((holed, &[], codes::NOT_A_FILE));
    // A template edited after synth.
    let edited = dir.join("edited");
    run(&["demo", "--out", edited.to_str().unwrap()]);
    std::fs::write(edited.join("shared.template.json"), "{\"Resources\": {}}").unwrap();
    cases.push((edited, &[], codes::HASH_MISMATCH));
    // JSON that is no template.
    cases.push((
        assembly.join("manifest.json"),
        &["--stack", "shared"],
        codes::NOT_A_TEMPLATE,
    ));
    // A file under a file: unreadable.
    cases.push((
        assembly.join("manifest.json").join("x.json"),
        &["--stack", "shared"],
        codes::UNREADABLE,
    ));
    // An oversized file (sparse: no disk).
    let big = dir.join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(5 * 1024 * 1024)
        .unwrap();
    cases.push((big, &["--stack", "shared"], codes::TOO_LARGE));
    // Broken JSON.
    let broken = dir.join("broken.json");
    std::fs::write(&broken, "{\"Resources\": ").unwrap();
    cases.push((broken, &["--stack", "shared"], codes::SYNTAX));
    // A FIFO (would block forever if opened).
    #[cfg(unix)]
    {
        let fifo = dir.join("fifo.json");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(status.success());
        cases.push((fifo, &["--stack", "shared"], codes::NOT_A_FILE));
    }
    // One template, two stacks selected.
    cases.push((
        assembly.join("shared.template.json"),
        &[],
        codes::ONE_TEMPLATE,
    ));
    for (path, extra, code) in cases {
        let (exit_code, out, err) = diff_against(&path, extra);
        assert!(
            exit_code == exit::INVALID || exit_code == exit::USAGE,
            "{}: exit {exit_code}\n{out}{err}",
            path.display()
        );
        assert_eq!(error_code(&out), code.as_str(), "{}: {err}", path.display());
        assert!(!out.contains("resource change"), "{out}");
    }
}

/// Issue 12: top-level Metadata and Transform changes were ignored.
#[test]
fn diff_compares_every_template_section() {
    let dir = tempdir("cli-sections");
    let a = demo_app().synth().unwrap();
    let mut t = a.stack("shared").unwrap().template.clone();
    t["Metadata"] = json!({"Owner": "team-a"});
    t["Transform"] = json!("AWS::LanguageExtensions");
    let file = dir.join("shared.json");
    std::fs::write(&file, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    let (code, out, err) = diff_against(&file, &["--stack", "shared"]);
    assert_eq!(code, exit::CHANGES, "{out}{err}");
    let ev = events(&out);
    let d = of_kind(&ev, "diff");
    assert_eq!(d[0]["sections"], json!(["Metadata", "Transform"]), "{out}");
    assert_eq!(d[0]["resources"], json!([]));
}

/// JSON to block YAML with CloudFormation's short forms (`!Ref`, `!GetAtt A.B`, `!Sub`, …),
/// strings double-quoted (a JSON string is a YAML double-quoted scalar).
#[cfg(feature = "yaml")]
fn to_yaml(v: &Json, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Json::Object(m) if m.is_empty() => out.push_str(" {}\n"),
        Json::Array(a) if a.is_empty() => out.push_str(" []\n"),
        Json::Object(m) if m.len() == 1 && short_form(m).is_some() => {
            let (tag, inner) = short_form(m).unwrap_or_default();
            out.push_str(&format!(" !{tag}"));
            to_yaml(&inner, indent, out);
        }
        Json::Object(m) => {
            out.push('\n');
            for (k, v) in m {
                out.push_str(&format!("{pad}{}:", serde_json::to_string(k).unwrap()));
                to_yaml(v, indent + 2, out);
            }
        }
        Json::Array(a) => {
            out.push('\n');
            for v in a {
                out.push_str(&format!("{pad}-"));
                to_yaml(v, indent + 2, out);
            }
        }
        scalar => out.push_str(&format!(" {scalar}\n")),
    }
}

#[cfg(feature = "yaml")]
fn short_form(m: &serde_json::Map<String, Json>) -> Option<(String, Json)> {
    let (k, v) = m.iter().next()?;
    match (k.as_str(), v) {
        ("Ref", Json::String(_)) => Some(("Ref".into(), v.clone())),
        ("Fn::GetAtt", Json::Array(a)) if a.len() == 2 && a.iter().all(Json::is_string) => Some((
            "GetAtt".into(),
            json!(format!("{}.{}", a[0].as_str()?, a[1].as_str()?)),
        )),
        (k, _) if k.starts_with("Fn::") => Some((k.trim_start_matches("Fn::").into(), v.clone())),
        _ => None,
    }
}

#[cfg(feature = "yaml")]
#[test]
fn yaml_templates_with_short_forms_round_trip_through_diff() {
    let dir = tempdir("cli-yaml");
    let a = demo_app().synth().unwrap();
    for s in &a.stacks {
        let mut yaml = String::from("# the same template, written as a person would in YAML\n");
        let mut body = String::new();
        to_yaml(&s.template, 0, &mut body);
        yaml.push_str(body.trim_start_matches('\n'));
        assert!(
            yaml.contains("!Ref") || yaml.contains("!GetAtt") || yaml.contains("!Sub"),
            "{yaml}"
        );
        let file = dir.join(format!("{}.yaml", s.name));
        std::fs::write(&file, &yaml).unwrap();
        let (code, out, err) = diff_against(&file, &["--stack", &s.name]);
        assert_eq!(code, exit::OK, "{}:\n{yaml}\n{out}{err}", s.name);
    }
}

#[cfg(not(feature = "yaml"))]
#[test]
fn yaml_without_the_yaml_feature_is_a_typed_error() {
    let dir = tempdir("cli-yaml-off");
    let file = dir.join("t.yaml");
    std::fs::write(&file, "Resources:\n  T:\n    Type: AWS::SNS::Topic\n").unwrap();
    let (_, out, _) = diff_against(&file, &["--stack", "shared"]);
    assert_eq!(error_code(&out), codes::YAML_UNSUPPORTED.as_str());
}

/// Issue 12: two concurrent synths into one directory could leave a manifest from one beside
/// templates from the other. Two writers and a reader, 200 rounds: the reader always sees
/// one consistent set (every hash matches, only listed templates exist).
#[test]
fn concurrent_synths_and_a_reader_never_see_a_mixed_assembly() {
    let dir = tempdir("cli-race");
    let variant = |extra: &'static str| {
        move || {
            let app = App::new();
            let mut a = app.stack("common");
            a.add_raw(
                "Topic",
                Raw::new("AWS::SNS::Topic")
                    .prop("DisplayName", stackforge::Val::<String>::from(extra)),
            );
            app.stack(extra)
                .add_raw("Queue", Raw::new("AWS::SQS::Queue"));
            app.synth().expect("synthesizes")
        }
    };
    let a = variant("alpha")();
    let b = variant("beta")();
    let rounds = 200;
    a.write(&dir).expect("first write");
    let writing = std::sync::atomic::AtomicUsize::new(2);
    std::thread::scope(|s| {
        for asm in [&a, &b] {
            let (dir, writing) = (&dir, &writing);
            s.spawn(move || {
                for _ in 0..rounds {
                    asm.write(dir).expect("write");
                }
                writing.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
        let (dir, writing) = (&dir, &writing);
        s.spawn(move || {
            let mut reads = 0;
            while reads < rounds || writing.load(std::sync::atomic::Ordering::SeqCst) > 0 {
                let c = CloudAssembly::read(dir)
                    .unwrap_or_else(|e| panic!("read {reads}: an inconsistent assembly: {e}"));
                let names: Vec<&str> = c.stacks.iter().map(|s| s.name()).collect();
                assert!(
                    names == ["common", "alpha"] || names == ["common", "beta"],
                    "{names:?}"
                );
                assert_eq!(
                    c.stacks[0].template["Resources"]["Topic"]["Properties"]["DisplayName"],
                    names[1],
                    "a template of one synth beside the manifest of the other"
                );
                reads += 1;
            }
        });
    });
    // The last writer's set, and nothing of the other's.
    let c = CloudAssembly::read(&dir).expect("consistent");
    let last = c.stacks[1].name().to_owned();
    let gone = if last == "alpha" { "beta" } else { "alpha" };
    assert!(
        !dir.join(format!("{gone}.template.json")).exists(),
        "a stale template is left"
    );
}

#[cfg(not(feature = "deploy"))]
#[test]
fn online_commands_without_the_feature_point_at_the_standalone_cli_and_the_feature() {
    for sub in ["deploy", "destroy", "diff", "bootstrap"] {
        let (code, _, err) = run(&["fargate-app", sub]);
        assert_eq!(code, exit::FEATURE_DISABLED);
        assert!(
            err.contains(&format!("stackforge {sub} --app \"cargo run -q --")),
            "{err}"
        );
        assert!(
            err.contains(&format!("--features deploy -- {sub}")),
            "{err}"
        );
        assert!(err.contains("cargo install stackforge-cli"), "{err}");
    }
}

#[test]
fn a_programs_own_name_version_and_description_are_shown() {
    let program = Program {
        name: "infra".into(),
        version: "2.3.4",
        about: Some("Our platform's infrastructure"),
        package: "infra",
    };
    let mut out = Vec::new();
    let code = run_program_from::<NoOptions>(
        program.clone(),
        ["infra", "-V"],
        |_| demo_app(),
        &mut out,
        &mut Vec::new(),
    );
    assert_eq!(code, exit::OK);
    assert_eq!(String::from_utf8(out).unwrap(), "infra 2.3.4\n");
    let mut out = Vec::new();
    run_program_from::<NoOptions>(
        program,
        ["infra", "--help"],
        |_| demo_app(),
        &mut out,
        &mut Vec::new(),
    );
    let help = String::from_utf8(out).unwrap();
    assert!(help.starts_with("Our platform's infrastructure"), "{help}");
    assert!(!help.contains("Infrastructure as code for AWS"), "{help}");
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

/// `<repo>/.venv/tools/bin/<tool>` (or under `STACKFORGE_VENV`): missing is a failure,
/// never a skip; `scripts/setup-tools` installs it.
fn venv_tool(tool: &str) -> PathBuf {
    let venv = std::env::var_os("STACKFORGE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let path = venv.join("tools").join("bin").join(tool);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-tools (pinned in scripts/requirements-tools.txt)",
        path.display()
    );
    path
}

/// The manifest every synth writes matches `docs/manifest.schema.json`, and the schema
/// rejects a manifest without hashes.
#[test]
fn the_manifest_matches_its_json_schema() {
    let dir = tempdir("cli-schema");
    let mut a = demo_app().synth().unwrap();
    a.assets.push(stackforge::assembly::Asset::file_zip(
        &"ab".repeat(32),
        vec!["service".into()],
    ));
    a.write(&dir).unwrap();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/manifest.schema.json");
    let check = |file: &Path| {
        std::process::Command::new(venv_tool("check-jsonschema"))
            .arg("--schemafile")
            .arg(&schema)
            .arg(file)
            .output()
            .expect("check-jsonschema runs")
    };
    let ok = check(&dir.join("manifest.json"));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let mut m: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["stacks"][0].as_object_mut().unwrap().remove("sha256");
    let bad = dir.join("bad.json");
    std::fs::write(&bad, m.to_string()).unwrap();
    assert!(
        !check(&bad).status.success(),
        "a manifest without sha256 must fail"
    );
}

/// A crate outside the workspace that depends on stackforge with default features gets no
/// AWS SDK, tokio or hyper; with `default-features = false`, not even clap.
#[test]
fn a_user_crate_with_default_features_compiles_no_aws_sdk() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tree = |name: &str, dep: &str| -> String {
        let dir = tempdir(name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            format!("[package]\nname = \"infra\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nstackforge = {{ path = {:?}{dep} }}\n\n[workspace]\n", repo.display().to_string()),
        )
        .unwrap();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        // Its own lockfile, from the local registry cache first (no network needed).
        let run = |offline: bool| {
            let mut c = std::process::Command::new(&cargo);
            c.args(["tree", "-e", "normal", "--prefix", "none"])
                .current_dir(&dir);
            if offline {
                c.arg("--offline");
            }
            c.env_remove("CARGO_TARGET_DIR")
                .output()
                .expect("cargo tree runs")
        };
        let mut out = run(true);
        if !out.status.success() {
            out = run(false);
        }
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(dir.join("Cargo.lock").exists(), "its own lockfile");
        String::from_utf8(out.stdout).unwrap()
    };
    let default = tree("outside-default", "");
    assert!(
        default.lines().any(|l| l.starts_with("stackforge v")),
        "{default}"
    );
    for banned in ["aws-", "tokio", "hyper"] {
        let hits: Vec<&str> = default.lines().filter(|l| l.starts_with(banned)).collect();
        assert!(hits.is_empty(), "{banned}: {hits:?}");
    }
    assert!(
        default.lines().any(|l| l.starts_with("clap v")),
        "the cli feature is on by default"
    );
    let bare = tree("outside-bare", ", default-features = false");
    assert!(!bare.lines().any(|l| l.starts_with("clap")), "{bare}");
}
