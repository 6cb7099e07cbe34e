//! Scale features against a local moto server, through the CLI code path: concurrent
//! stacks (deploy and destroy), dry runs, parameters per environment, and `--no-rollback`
//! with rollback triggers (moto 5.2.5 ignores `DisableRollback` and `RollbackConfiguration`
//! and never fails a create, so only that the requests are accepted is checked). moto has
//! no drift detection (`DetectStackDrift` and friends are not implemented) and no
//! `CancelUpdateStack`: drift is tested on mocks (`scale.rs`), Ctrl-C on the stub under
//! tmux (`cli/tests/terminal.rs`). The failure paths are the mock tests'.

use stackforge::cli::exit;
use stackforge::{App, EnvironmentProps, Parameter, Raw};
use stackforge_deploy_tests::{small, tempdir, Moto};

use crate::moto::{cli, stack_status};

fn three_independent() -> App {
    let app = App::new();
    for n in ["a", "b", "c"] {
        app.stack(n).add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    }
    app
}

#[test]
fn three_independent_stacks_deploy_and_destroy_two_at_a_time() {
    let moto = Moto::start();
    let dir = tempdir("moto-scale-three");
    let (code, out, err) = cli(
        three_independent,
        &moto,
        &dir,
        &[
            "deploy",
            "--yes",
            "--concurrency",
            "2",
            "--poll-interval",
            "0.1",
        ],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    for s in ["a", "b", "c"] {
        assert_eq!(stack_status(&moto, s), "CREATE_COMPLETE", "{s}");
    }
    assert!(out.contains("done: 3 stack(s) (3 created)"), "{out}");
    let (code, out, err) = cli(
        three_independent,
        &moto,
        &dir,
        &[
            "destroy",
            "--yes",
            "--concurrency",
            "2",
            "--poll-interval",
            "0.1",
        ],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    for s in ["a", "b", "c"] {
        let st = stack_status(&moto, s);
        assert!(st.is_empty() || st == "DELETE_COMPLETE", "{s}: {st}");
    }
}

#[test]
fn dry_run_leaves_no_stack_and_no_update() {
    let moto = Moto::start();
    let dir = tempdir("moto-dry-run");
    let args = ["deploy", "--yes", "--dry-run", "--poll-interval", "0.1"];
    let (code, out, err) = cli(|| small("tiny"), &moto, &dir, &args);
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("[+] Add     AWS::SQS::Queue Queue"), "{out}");
    assert!(
        out.contains("tiny: dry run: change set deleted, nothing changed"),
        "{out}"
    );
    let st = stack_status(&moto, "tiny");
    assert!(
        st.is_empty() || st == "DELETE_COMPLETE",
        "a dry run created `tiny`: {st}"
    );
    assert!(
        !dir.join("outputs.json").exists() || {
            let o = std::fs::read_to_string(dir.join("outputs.json")).unwrap_or_default();
            !o.contains("tiny")
        }
    );

    // Deployed for real, then a dry run of a change: the stack keeps its template.
    let (code, out, err) = cli(
        || small("tiny"),
        &moto,
        &dir,
        &["deploy", "--yes", "--poll-interval", "0.1"],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    let bigger = || {
        let app = small("tiny");
        app.stack("tiny")
            .add_raw("Extra", Raw::new("AWS::SQS::Queue"));
        app
    };
    let (code, out, err) = cli(bigger, &moto, &dir, &args);
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("[+] Add     AWS::SQS::Queue Extra"), "{out}");
    let body = moto.api(
        "cloudformation",
        None,
        "Action=GetTemplate&Version=2010-05-15&StackName=tiny",
    );
    assert!(
        !body.contains("Extra"),
        "the dry run updated the stack:\n{body}"
    );
    assert_eq!(stack_status(&moto, "tiny"), "CREATE_COMPLETE");
}

#[test]
fn no_rollback_and_rollback_triggers_are_accepted() {
    let moto = Moto::start();
    let dir = tempdir("moto-no-rollback");
    let app = || {
        let app = small("tiny");
        let mut s = app.stack("tiny");
        s.add_rollback_alarm("arn:aws:cloudwatch:us-east-1:123456789012:alarm:tiny-errors");
        s.set_rollback_monitoring_minutes(5);
        app
    };
    let (code, out, err) = cli(
        app,
        &moto,
        &dir,
        &["deploy", "--yes", "--no-rollback", "--poll-interval", "0.1"],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(stack_status(&moto, "tiny"), "CREATE_COMPLETE");
}

#[test]
fn parameters_per_environment_reach_each_environments_stacks() {
    let moto = Moto::start();
    let dir = tempdir("moto-env-params");
    let app = || {
        let app = App::new();
        for env in ["prod", "dev"] {
            let e = app.environment(
                env,
                EnvironmentProps {
                    region: Some("us-east-1".into()),
                    ..Default::default()
                },
            );
            let mut s = e.stack("api");
            let name = s.parameter("TopicName", Parameter::<String>::string());
            s.add_raw("Topic", Raw::new("AWS::SNS::Topic").prop("TopicName", name));
        }
        app
    };
    let (code, out, err) = cli(
        app,
        &moto,
        &dir,
        &[
            "deploy",
            "--yes",
            "--poll-interval",
            "0.1",
            "--parameters",
            "prod:TopicName=prod-topic",
            "--parameters",
            "dev:TopicName=dev-topic",
        ],
    );
    assert_eq!(code, exit::OK, "stdout:\n{out}\nstderr:\n{err}");
    for (stack, value) in [("prod-api", "prod-topic"), ("dev-api", "dev-topic")] {
        let body = moto.api(
            "cloudformation",
            None,
            &format!("Action=DescribeStacks&Version=2010-05-15&StackName={stack}"),
        );
        assert!(
            body.contains(&format!("<ParameterValue>{value}</ParameterValue>")),
            "{stack}:\n{body}"
        );
    }
}
