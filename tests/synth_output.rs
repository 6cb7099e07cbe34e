//! Synth output: determinism, file layout, atomic writes, the manifest, and a snapshot.

use serde_json::json;
use stackforge::value::{fns, pseudo};
use stackforge::{sub, App, Output, Parameter, Raw, Val};

use crate::common::{snapshot_settings, write_for_lint};

/// A small two-stack app that exercises references, exports, parameters and outputs. Every
/// template it produces is linted by cfn-lint in `scripts/test`.
pub fn demo_app() -> App {
    let app = App::new();
    let mut shared = app.stack("shared");
    shared.set_description("Shared messaging");
    let dlq = shared.add_raw(
        "DeadLetters",
        Raw::new("AWS::SQS::Queue")
            .prop("SqsManagedSseEnabled", Val::from(true))
            .prop("MessageRetentionPeriod", Val::<i64>::from(1_209_600)),
    );
    let topic = shared.add_raw(
        "Alerts",
        Raw::new("AWS::SNS::Topic").prop("KmsMasterKeyId", Val::<String>::from("alias/aws/sns")),
    );
    shared.output(
        "AlertsArn",
        Output::new(topic.reference())
            .description("Alerts topic")
            .export(),
    );

    let mut svc = app.stack("service");
    let env = svc.parameter(
        "Env",
        Parameter::string()
            .allowed_values(["dev", "prod"])
            .default_value("dev"),
    );
    let is_prod = svc.condition("IsProd", fns::equals(env.clone(), "prod"));
    let queue = svc.add_raw(
        "Work",
        Raw::new("AWS::SQS::Queue")
            .prop("SqsManagedSseEnabled", Val::from(true))
            .prop("QueueName", sub!(pseudo::stack_name(), "-", env, "-work"))
            .prop("RedrivePolicy", json!({"maxReceiveCount": 5}))
            .prop(
                "VisibilityTimeout",
                fns::if_(&is_prod, Val::<i64>::from(120), Val::<i64>::from(30)),
            ),
    );
    // The DLQ lives in the other stack: this becomes an export and an import.
    svc.override_property(
        queue,
        &["RedrivePolicy", "deadLetterTargetArn"],
        dlq.get_att::<String>("Arn"),
    );
    svc.add_raw(
        "Subscription",
        Raw::new("AWS::SNS::Subscription")
            .prop("Protocol", Val::<String>::from("sqs"))
            .prop("TopicArn", topic.reference())
            .prop("Endpoint", queue.get_att::<String>("Arn")),
    );
    svc.output("WorkUrl", Output::new(queue.reference()));
    app
}

#[test]
fn same_program_gives_byte_identical_files() {
    let dir1 = tempdir("det1");
    let dir2 = tempdir("det2");
    demo_app().synth().unwrap().write(&dir1).unwrap();
    demo_app().synth().unwrap().write(&dir2).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&dir1)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "service.template.json",
            "shared.template.json"
        ]
    );
    for n in names {
        let a = std::fs::read(dir1.join(&n)).unwrap();
        let b = std::fs::read(dir2.join(&n)).unwrap();
        assert!(a == b, "{n:?} differs between two runs");
    }
}

#[test]
fn templates_are_sorted_pretty_and_complete() {
    let a = demo_app().synth().unwrap();
    let names: Vec<_> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["shared", "service"], "dependencies first");
    let s = &a.stacks[1];
    assert!(s
        .pretty
        .starts_with("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n"));
    assert!(s.pretty.ends_with("}\n"));
    assert_eq!(
        s.template["Description"],
        "service (synthesized by stackforge 0.1.0)"
    );
    let keys: Vec<_> = s.template.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "AWSTemplateFormatVersion",
            "Conditions",
            "Description",
            "Outputs",
            "Parameters",
            "Resources"
        ]
    );
    // No empty objects or arrays the program did not ask for.
    assert!(!s.pretty.contains("{}") && !s.pretty.contains("[]"));
    write_for_lint(&a, "core", "demo");
}

#[test]
fn manifest_lists_stacks_in_dependency_order() {
    let m = demo_app().synth().unwrap().manifest();
    assert_eq!(m["stacks"][0]["name"], "shared");
    assert_eq!(m["stacks"][1]["dependencies"], json!(["shared"]));
    assert_eq!(m["stacks"][1]["parameters"], json!(["Env"]));
    assert_eq!(m["stacks"][1]["outputs"], json!(["WorkUrl"]));
    assert_eq!(
        m["stacks"][0]["outputs"],
        json!(["AlertsArn", "ExportAlertsRef", "ExportDeadLettersArn"])
    );
}

#[test]
fn writes_are_atomic_and_leave_no_temporary_files() {
    let dir = tempdir("atomic");
    demo_app().synth().unwrap().write(&dir).unwrap();
    // A directory where the manifest should go makes the write fail, without leftovers.
    let blocked = tempdir("blocked");
    std::fs::create_dir_all(blocked.join("manifest.json")).unwrap();
    let err = demo_app().synth().unwrap().write(&blocked).unwrap_err();
    assert!(matches!(err, stackforge::SynthError::Io { .. }));
    for d in [&dir, &blocked] {
        let tmp: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "{tmp:?}");
    }
}

#[test]
fn a_failed_synth_writes_nothing() {
    let dir = tempdir("failed");
    let app = demo_app();
    app.stack("service")
        .add_raw("Work", Raw::new("AWS::SQS::Queue"));
    let out = dir.join("out");
    let code = stackforge::cli::run_from::<stackforge::cli::NoOptions>(
        ["prog", "synth", "--out", out.to_str().unwrap()],
        |_| app,
        &mut Vec::new(),
        &mut Vec::new(),
    );
    assert_eq!(code, stackforge::cli::exit::INVALID);
    assert!(!out.exists());
}

#[test]
fn demo_templates_snapshot() {
    let a = demo_app().synth().unwrap();
    snapshot_settings().bind(|| {
        for s in &a.stacks {
            insta::assert_json_snapshot!(format!("core-demo-{}", s.name), s.template);
        }
    });
}

pub fn tempdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("stackforge-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
