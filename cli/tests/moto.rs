//! The `stackforge` binary against a local moto server: `--app`, deploy, diff, destroy,
//! `--json`, bootstrap, and asset and large-template uploads to the staging bucket.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use stackforge::assembly::{sha256_hex, Asset};
use stackforge::cli::exit;
use stackforge_deploy_tests::{large, small, tempdir, Moto};

const ACCOUNT: &str = "123456789012";

/// The `tiny-app` example, built by `cargo test` beside this test.
fn tiny_app() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let app = dir
        .join("examples")
        .join(format!("tiny-app{}", std::env::consts::EXE_SUFFIX));
    assert!(
        app.is_file(),
        "{} is missing: cargo test builds the crate's examples",
        app.display()
    );
    app
}

/// Runs `stackforge <args> --endpoint-url <moto>` with dummy credentials.
fn stackforge(moto: &Moto, out: &Path, args: &[&str]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_stackforge"));
    c.args(args)
        .args(["--endpoint-url", &moto.url, "--out"])
        .arg(out)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/nonexistent/stackforge-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/stackforge-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("STACKFORGE_OUT")
        .env_remove("STACKFORGE_APP");
    let o = c.output().expect("stackforge runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn stack_status(moto: &Moto, name: &str) -> String {
    let body = moto.api(
        "cloudformation",
        None,
        &format!("Action=DescribeStacks&Version=2010-05-15&StackName={name}"),
    );
    body.split("<StackStatus>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or("")
        .to_owned()
}

/// Checks every NDJSON line against `docs/events.schema.json` with the pinned
/// check-jsonschema (missing is a failure: `scripts/setup-tools` installs it).
fn check_event_schema(out: &str, name: &str) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = std::env::var_os("STACKFORGE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".venv"));
    let tool = venv.join("tools/bin/check-jsonschema");
    assert!(
        tool.is_file(),
        "{} is missing: run scripts/setup-tools",
        tool.display()
    );
    let dir = tempdir(name);
    let files: Vec<PathBuf> = out
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let f = dir.join(format!("{i:04}.json"));
            std::fs::write(&f, l).expect("write an event");
            f
        })
        .collect();
    assert!(!files.is_empty());
    let o = Command::new(tool)
        .arg("--schemafile")
        .arg(repo.join("docs/events.schema.json"))
        .args(&files)
        .output()
        .expect("check-jsonschema runs");
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        out
    );
}

fn ndjson(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn app_then_deploy_diff_json_and_destroy() {
    let moto = Moto::start();
    let dir = tempdir("cli-app");
    let app = tiny_app();
    let app = app.to_str().expect("utf-8 path");
    // A first deploy in JSON: identity, change set, review, resource events, finished.
    let json_dir = tempdir("cli-app-json");
    let (code, json_out, err) = stackforge(
        &moto,
        &json_dir,
        &[
            "deploy",
            "--json",
            "--app",
            app,
            "--yes",
            "--poll-interval",
            "0.2",
        ],
    );
    assert_eq!(code, exit::OK, "{err}");
    check_event_schema(&json_out, "cli-events-create");
    let kinds: Vec<Value> = ndjson(&json_out)
        .into_iter()
        .map(|e| e["event"].clone())
        .collect();
    for k in [
        "identity",
        "change-set-created",
        "review",
        "started",
        "finished",
    ] {
        assert!(kinds.iter().any(|e| e == k), "{k}: {json_out}");
    }
    let (code, out, _) = stackforge(
        &moto,
        &json_dir,
        &["destroy", "--json", "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK, "{out}");
    check_event_schema(&out, "cli-events-destroy");

    let (code, out, err) = stackforge(
        &moto,
        &dir,
        &["deploy", "--app", app, "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.starts_with("account 123456789012 region us-east-1"),
        "{out}"
    );
    assert!(out.contains("tiny: CREATE_COMPLETE"), "{out}");
    // The app's own synth summary went to stderr, into STACKFORGE_OUT.
    assert!(err.contains("synthesized 1 stack(s)"), "{err}");
    assert!(dir.join("manifest.json").is_file());
    assert_eq!(stack_status(&moto, "tiny"), "CREATE_COMPLETE");

    // The assembly on disk, without --app: nothing to change.
    let (code, out, _) = stackforge(&moto, &dir, &["diff"]);
    assert_eq!(code, exit::OK, "{out}");
    assert!(out.contains("tiny: no changes"), "{out}");

    // --json: one object per line, identity first, the result last.
    let (code, out, err) = stackforge(
        &moto,
        &dir,
        &["deploy", "--json", "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK, "{err}");
    check_event_schema(&out, "cli-events-nochange");
    let events = ndjson(&out);
    assert_eq!(events[0]["event"], "identity", "{out}");
    assert_eq!(events[0]["account"], ACCOUNT);
    let last = events.last().expect("events");
    assert_eq!(last["event"], "finished", "{out}");
    assert_eq!(last["outcome"], "no-changes");

    // --quiet: nothing on stdout.
    let (code, out, _) = stackforge(
        &moto,
        &dir,
        &["destroy", "--quiet", "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK);
    assert!(out.is_empty(), "{out}");
    let s = stack_status(&moto, "tiny");
    assert!(s.is_empty() || s == "DELETE_COMPLETE", "{s}");
}

#[test]
fn a_tampered_template_or_an_unknown_manifest_version_is_refused() {
    let moto = Moto::start();
    let dir = tempdir("cli-tampered");
    small("tiny")
        .synth()
        .expect("synth")
        .write(&dir)
        .expect("write");
    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    std::fs::write(&manifest, text.replace("\"version\": 1", "\"version\": 2")).expect("write");
    let (code, out, err) = stackforge(&moto, &dir, &["deploy", "--yes", "--json"]);
    assert_eq!(code, exit::INVALID, "{err}");
    assert!(out.contains("\"code\":\"SFA010\""), "{out}");
    std::fs::write(&manifest, &text).expect("write");
    std::fs::write(dir.join("tiny.template.json"), "{\"Resources\": {}}\n").expect("write");
    let (code, out, err) = stackforge(&moto, &dir, &["deploy", "--yes", "--json"]);
    assert_eq!(code, exit::INVALID, "{err}");
    assert!(out.contains("\"code\":\"SFA011\""), "{out}");
    assert!(
        stack_status(&moto, "tiny").is_empty(),
        "nothing was deployed"
    );
}

#[test]
fn bootstrap_then_assets_and_large_templates_go_to_the_staging_bucket_once() {
    let moto = Moto::start();
    let dir = tempdir("cli-bootstrap");
    let bucket = format!("stackforge-staging-{ACCOUNT}-us-east-1");

    // Before bootstrap: a template over the inline limit has nowhere to go.
    large("big")
        .synth()
        .expect("synth")
        .write(&dir)
        .expect("write");
    let (code, _, err) = stackforge(&moto, &dir, &["deploy", "--yes"]);
    assert_eq!(code, exit::INVALID, "{err}");
    assert!(err.contains("stackforge bootstrap"), "{err}");

    let (code, out, err) = stackforge(
        &moto,
        &dir,
        &["bootstrap", "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(
        stack_status(&moto, "StackforgeBootstrap"),
        "CREATE_COMPLETE"
    );
    let buckets = moto.request("GET", "/", "s3", "");
    assert!(
        buckets.contains(&format!("<Name>{bucket}</Name>")),
        "{buckets}"
    );
    let repos = moto.api(
        "ecr",
        Some("AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"),
        "{}",
    );
    assert!(repos.contains("stackforge-assets"), "{repos}");
    // Bootstrapping again changes nothing.
    let (code, out, err) = stackforge(
        &moto,
        &dir,
        &["bootstrap", "--yes", "--poll-interval", "0.2"],
    );
    assert_eq!(code, exit::OK, "{err}");
    assert!(out.contains("no changes"), "{out}");

    // An assembly with a file asset and a large template.
    let zip = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0".to_vec();
    let sha = sha256_hex(&zip);
    let mut a = large("big").synth().expect("synth");
    a.assets.push(Asset::file_zip(&sha, vec!["big".into()]));
    a.write(&dir).expect("write");
    std::fs::create_dir_all(dir.join("assets")).expect("assets/");
    std::fs::write(dir.join(format!("assets/{sha}.zip")), &zip).expect("zip");
    let deploy = [
        "deploy",
        "--yes",
        "--method",
        "direct",
        "--poll-interval",
        "0.2",
    ];
    let (code, out, err) = stackforge(&moto, &dir, &deploy);
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains(&format!(
            "asset {sha}: uploaded to s3://{bucket}/assets/{sha}.zip"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "uploaded to https://{bucket}.s3.us-east-1.amazonaws.com/templates/"
        )),
        "{out}"
    );
    assert_eq!(stack_status(&moto, "big"), "CREATE_COMPLETE");
    let listing = moto.request("GET", &format!("/{bucket}?list-type=2"), "s3", "");
    assert!(
        listing.contains(&format!("<Key>assets/{sha}.zip</Key>")),
        "{listing}"
    );
    assert!(listing.contains("<Key>templates/"), "{listing}");

    // Again: the asset is there under its key, so it is not uploaded again.
    let (code, out, err) = stackforge(&moto, &dir, &deploy);
    assert_eq!(code, exit::OK, "{err}");
    assert!(
        out.contains(&format!(
            "asset {sha}: already in s3://{bucket}/assets/{sha}.zip"
        )),
        "{out}"
    );

    // A container-image asset: designed, not published yet, with a clear error.
    let manifest = dir.join("manifest.json");
    let mut m: Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("manifest")).expect("JSON");
    m["assets"] = serde_json::json!([{"id": sha, "kind": "container-image", "directory": "assets/image", "dockerfile": "Dockerfile", "repository": "stackforge-assets", "tag": sha, "stacks": ["big"]}]);
    std::fs::write(&manifest, m.to_string()).expect("write");
    let (code, out, err) = stackforge(&moto, &dir, &["deploy", "--yes", "--json"]);
    assert_eq!(code, exit::INVALID, "{err}");
    assert!(
        out.contains("\"code\":\"SFD007\"") && err.contains("Docker"),
        "{out}{err}"
    );
    check_event_schema(&out, "cli-events-error");
}
