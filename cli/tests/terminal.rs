//! The `stackforge` binary on a real terminal: tmux runs it, the tests read the pane as a
//! person sees it (the progress line, the approval prompt, the final summary) and press
//! keys (`y`, Enter, Ctrl-C). The endpoint is the stub in `stackforge_deploy_tests::stub`,
//! which holds a stack in UPDATE_IN_PROGRESS or CREATE_IN_PROGRESS until told otherwise.
//!
//! tmux is required: `scripts/setup-tools` installs it; a missing tmux fails these tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use stackforge::{App, Output, Raw};
use stackforge_deploy_tests::stub::{Hold, Stub};
use stackforge_deploy_tests::tempdir;

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

/// `tiny` as deployed before: the queue and its output, without the topic.
fn deployed_before() -> String {
    let app = App::new();
    let mut s = app.stack("tiny");
    let q = s.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    s.output("QueueUrl", Output::new(q.reference()));
    app.synth().expect("synth").stacks[0].template.to_string()
}

/// A tmux server of its own (its own socket), killed on drop.
struct Pane {
    socket: String,
}

impl Pane {
    /// Runs `command` in a new 160x48 pane; the pane stays after it exits.
    fn run(name: &str, command: &str) -> Pane {
        let which = Command::new("tmux").arg("-V").output();
        assert!(
            which.as_ref().is_ok_and(|o| o.status.success()),
            "tmux is missing: run scripts/setup-tools (it installs tmux), or apt-get install tmux"
        );
        let socket = format!("stackforge-{}-{name}", std::process::id());
        let pane = Pane { socket };
        let status = pane
            .tmux(&["new-session", "-d", "-s", "t", "-x", "160", "-y", "48"])
            .arg(format!("{command}; echo \"[exit $?]\"; sleep 300"))
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        pane
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]).args(args);
        c
    }

    /// The pane's text now.
    fn text(&self) -> String {
        let o = self
            .tmux(&["capture-pane", "-p", "-J", "-t", "t"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Waits (up to 60 s) until the pane shows `needle`; returns the pane.
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let t = self.text();
            if t.contains(needle) {
                return t;
            }
            assert!(
                !t.contains("[exit ") && start.elapsed() < Duration::from_secs(60),
                "the pane never showed `{needle}`:\n{t}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status().expect("send-keys").success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).status();
    }
}

/// The command line: `stackforge deploy --app tiny-app` against the stub, with dummy
/// credentials and nothing from the user's AWS config.
fn deploy_command(stub: &Stub, out: &Path, extra: &str) -> String {
    format!(
        "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u STACKFORGE_OUT -u STACKFORGE_APP \
         AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
         AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true \
         {bin} deploy --app {app} --out {out} --endpoint-url {url} --poll-interval 0.2 {extra}",
        bin = env!("CARGO_BIN_EXE_stackforge"),
        app = tiny_app().display(),
        out = out.display(),
        url = stub.url,
    )
}

#[test]
fn approval_prompt_progress_and_final_summary_on_a_terminal() {
    let stub = Stub::start(Some(deployed_before()), Hold::Polls(15));
    let out = tempdir("tmux-approve");
    let pane = Pane::run(
        "approve",
        &deploy_command(&stub, &out, "--require-approval any-change"),
    );
    // The change, then the question, and nothing runs before the answer.
    let t = pane.wait_for("Deploy these changes to `tiny`? [y/N]");
    assert!(t.contains("account 123456789012 region us-east-1"), "{t}");
    assert!(t.contains("[+] Add     AWS::SNS::Topic Topic"), "{t}");
    assert!(!stub.actions().contains(&"ExecuteChangeSet".to_owned()));
    pane.keys(&["y", "Enter"]);
    // The progress line: a spinner with the stack, its status and the time.
    let t = pane.wait_for("tiny: UPDATE_IN_PROGRESS (");
    assert!(t.contains("tiny: executing change set"), "{t}");
    // The end: the stack's line and the summary.
    let t = pane.wait_for("[exit ");
    assert!(t.contains("[exit 0]"), "{t}");
    assert!(t.contains("tiny: UPDATE_COMPLETE in "), "{t}");
    assert!(t.contains("done: 1 stack(s) (1 updated) in "), "{t}");
    assert!(
        t.lines().any(|l| l.starts_with("  tiny ")
            && l.contains("updated")
            && l.ends_with("UPDATE_COMPLETE")),
        "{t}"
    );
    // The spinner is gone at the end: no line still says IN_PROGRESS after the summary.
    let after = t.split("done: 1 stack(s)").nth(1).unwrap_or_default();
    assert!(!after.contains("IN_PROGRESS"), "{t}");
}

#[test]
fn refusing_at_the_prompt_deploys_nothing() {
    let stub = Stub::start(Some(deployed_before()), Hold::Polls(1));
    let out = tempdir("tmux-refuse");
    let pane = Pane::run(
        "refuse",
        &deploy_command(&stub, &out, "--require-approval any-change"),
    );
    pane.wait_for("Deploy these changes to `tiny`? [y/N]");
    pane.keys(&["n", "Enter"]);
    let t = pane.wait_for("[exit ");
    assert!(t.contains("[exit 6]"), "{t}");
    assert!(t.contains("not approved"), "{t}");
    let actions = stub.actions();
    assert!(
        !actions.contains(&"ExecuteChangeSet".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"DeleteChangeSet".to_owned()),
        "{actions:?}"
    );
}

#[test]
fn ctrl_c_during_an_update_cancels_it_and_reports_the_rollback() {
    let stub = Stub::start(Some(deployed_before()), Hold::Forever);
    let out = tempdir("tmux-cancel");
    let pane = Pane::run("cancel", &deploy_command(&stub, &out, "--yes"));
    pane.wait_for("tiny: UPDATE_IN_PROGRESS (");
    pane.keys(&["C-c"]);
    let t = pane.wait_for("(CancelUpdateStack)? It rolls back to the previous template. [y/N]");
    assert!(
        !stub.actions().contains(&"CancelUpdateStack".to_owned()),
        "{t}"
    );
    pane.keys(&["y", "Enter"]);
    let t = pane.wait_for("[exit ");
    assert!(
        stub.actions().contains(&"CancelUpdateStack".to_owned()),
        "{:?}",
        stub.actions()
    );
    assert!(
        t.contains("tiny: update cancelled; waiting for the rollback"),
        "{t}"
    );
    assert!(
        t.contains("tiny: rollback outcome: UPDATE_ROLLBACK_COMPLETE"),
        "{t}"
    );
    assert!(t.contains("[exit 4]"), "{t}");
}

#[test]
fn ctrl_c_during_a_create_prints_the_remedy() {
    let stub = Stub::start(None, Hold::Forever);
    let out = tempdir("tmux-create");
    let pane = Pane::run("create", &deploy_command(&stub, &out, "--yes"));
    pane.wait_for("tiny: CREATE_IN_PROGRESS (");
    pane.keys(&["C-c"]);
    let t = pane.wait_for("[exit ");
    assert!(
        !stub.actions().contains(&"CancelUpdateStack".to_owned()),
        "{:?}",
        stub.actions()
    );
    assert!(t.contains("a create cannot be cancelled"), "{t}");
    assert!(t.contains("stackforge destroy --stack tiny"), "{t}");
    assert!(t.contains("[exit 4]"), "{t}");
}
