//! Aspects (issue 11): rules applied across the whole tree before validation — tags
//! everywhere, a removal policy per environment, checks written in Rust.

use serde_json::json;
use stackforge::aspect::{RemovalPolicy, ResourceMut, Tags};
use stackforge::cfn::{logs, s3};
use stackforge::{App, Code, EnvironmentProps, Policy, Raw};
use stackforge_modules::network::{Network, NetworkProps};

use crate::common::write_for_lint;

#[test]
fn tags_reach_every_taggable_resource_in_its_own_shape() {
    let app = App::new();
    let mut s = app.stack("tagged");
    Network::new(&mut s, "Net", NetworkProps::default());
    s.add_raw(
        "Param",
        Raw::new("AWS::SSM::Parameter")
            .prop("Type", stackforge::Val::<String>::from("String"))
            .prop("Value", stackforge::Val::<String>::from("x")),
    );
    app.add_aspect(Tags::new([("team", "payments"), ("Name", "overridden")]));
    let a = app.synth().unwrap();
    write_for_lint(&a, "aspects", "tags");
    let t = &a.stacks[0].template["Resources"];
    // A Key/Value list: added next to the pattern's own Name tag, which the aspect replaces.
    assert_eq!(
        t["NetVpc"]["Properties"]["Tags"],
        json!([{"Key": "Name", "Value": "overridden"}, {"Key": "team", "Value": "payments"}])
    );
    // A string map.
    assert_eq!(
        t["Param"]["Properties"]["Tags"],
        json!({"Name": "overridden", "team": "payments"})
    );
    // Not taggable: untouched.
    assert!(t["NetGatewayAttachment"]["Properties"]
        .get("Tags")
        .is_none());
}

#[test]
fn a_removal_policy_per_environment_and_synth_leaves_the_app_unchanged() {
    let app = App::new();
    for (name, policy) in [("dev", Policy::Delete), ("prod", Policy::Snapshot)] {
        let env = app.environment(name, EnvironmentProps::default());
        env.add_aspect(RemovalPolicy(policy));
        let mut s = env.stack("data");
        s.add("Logs", logs::LogGroup::default());
        s.add("Bucket", s3::Bucket::default());
    }
    let first = app.synth().unwrap();
    let second = app.synth().unwrap();
    assert_eq!(
        first.stacks[0].pretty, second.stacks[0].pretty,
        "aspects apply once per synth"
    );
    let dev = &first.stack("dev-data").unwrap().template["Resources"];
    let prod = &first.stack("prod-data").unwrap().template["Resources"];
    assert_eq!(dev["Bucket"]["DeletionPolicy"], "Delete");
    // S3 has no snapshot: Retain instead.
    assert_eq!(prod["Bucket"]["DeletionPolicy"], "Retain");
    assert_eq!(prod["Bucket"]["UpdateReplacePolicy"], "Retain");
    // Log groups are not stateful in this sense.
    assert!(prod["Logs"].get("DeletionPolicy").is_none());
}

#[test]
fn a_check_written_in_rust_reports_with_its_own_code_and_path() {
    let app = App::new();
    let mut s = app.stack("checked");
    s.add("Logs", logs::LogGroup::default());
    s.add(
        "Kept",
        logs::LogGroup {
            retention_in_days: Some(30.into()),
            ..Default::default()
        },
    );
    app.add_aspect(|r: &mut ResourceMut<'_>| {
        if r.type_name() == "AWS::Logs::LogGroup" && r.property(&["RetentionInDays"]).is_none() {
            r.error(
                Code::new("ORG001"),
                Some("RetentionInDays"),
                "log groups must expire",
                "set a retention",
            );
        }
    });
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [Code::new("ORG001")]);
    let d = &err.diagnostics()[0];
    assert_eq!(d.path.logical_id.as_deref(), Some("Logs"));
    assert_eq!(
        d.path.property.as_deref(),
        Some("Properties.RetentionInDays")
    );
}

#[test]
fn an_aspect_runs_before_validation() {
    // An aspect that writes a value the schema refuses is caught like any other value.
    let app = App::new();
    let mut s = app.stack("validated");
    s.add("Logs", logs::LogGroup::default());
    app.add_aspect(|r: &mut ResourceMut<'_>| {
        r.set_property(&["LogGroupName"], stackforge::Expr::Str("x".repeat(600)));
    });
    let err = app.synth().unwrap_err();
    assert!(
        err.codes()
            .contains(&stackforge::diag::codes::STRING_LENGTH),
        "{err}"
    );
}

#[test]
fn a_scope_aspect_covers_only_that_scope() {
    let app = App::new();
    let mut s = app.stack("scoped");
    let mut api = s.child("Api");
    api.add("Logs", logs::LogGroup::default());
    api.add_aspect(Tags::new([("part", "api")]));
    s.add("Logs", logs::LogGroup::default());
    let a = app.synth().unwrap();
    let t = &a.stacks[0].template["Resources"];
    assert_eq!(
        t["ApiLogs"]["Properties"]["Tags"],
        json!([{"Key": "part", "Value": "api"}])
    );
    assert!(t["Logs"].get("Properties").is_none());
}
