//! The assertion helpers users' tests rely on (issue 11): expectations from handles with no
//! internal names, `$every`, exact role permissions, closest-miss ranking, typed errors.

use serde_json::json;
use stackforge::cfn::iam;
use stackforge::policy::{PolicyDocument, Statement};
use stackforge::testing::{self, Template};
use stackforge::{App, Raw};
use stackforge_modules::refs::Grantee;
use stackforge_modules::table::{Attribute, Table, TableProps};

fn role(s: &mut stackforge::Scope<'_>, id: &str) -> stackforge::Handle<iam::Role> {
    s.add(
        id,
        iam::Role::new(PolicyDocument::assumed_by_service("lambda.amazonaws.com")),
    )
}

#[test]
fn expectations_from_handles_need_no_sub_variable_names() {
    let app = App::new();
    let mut data = app.stack("data");
    let table = Table::new(
        &mut data,
        "Orders",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    );
    let mut api = app.stack("api");
    let reader = role(&mut api, "Reader");
    table.grant_read(&mut data, &reader);
    let t = Template::from_app(&app, "api").unwrap();
    // The template spells the index ARN as `{"Fn::Sub": ["${Var0}/index/*", {"Var0": …}]}`;
    // the test says what it means.
    let arn = testing::import(&app, table.table, Some("Arn"));
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [testing::reference(&app, reader)],
            "PolicyDocument": {"Statement": [{"Resource": [arn.clone(), testing::sub([arn.clone(), json!("/index/*")])]}]}
        }),
    )
    .unwrap();
}

#[test]
fn sub_expectations_match_both_spellings() {
    let app = App::new();
    let mut s = app.stack("s");
    let logs = s.add_raw("Logs", Raw::new("AWS::Logs::LogGroup"));
    s.add_raw(
        "Stream",
        Raw::new("AWS::Logs::LogStream")
            .prop("LogGroupName", logs.reference())
            .prop(
                "LogStreamName",
                stackforge::sub!(logs.get_att::<String>("Arn"), "/x"),
            ),
    );
    let t = Template::from_app(&app, "s").unwrap();
    let want = testing::sub([testing::get_att(&app, logs, "Arn"), json!("/x")]);
    t.has_resource_properties("AWS::Logs::LogStream", json!({"LogStreamName": want}))
        .unwrap();
    // A wrong part is a difference.
    let wrong = testing::sub([testing::get_att(&app, logs, "Arn"), json!("/y")]);
    assert!(t
        .has_resource_properties("AWS::Logs::LogStream", json!({"LogStreamName": wrong}))
        .is_err());
}

#[test]
fn every_element_matches() {
    let t = Template::from_json(
        json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "SecurityGroupIngress": [{"IpProtocol": "tcp", "CidrIp": "10.0.0.0/8"}, {"IpProtocol": "tcp", "CidrIp": "0.0.0.0/0"}]
        }}}}),
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": {"$every": {"IpProtocol": "tcp"}}}),
    )
    .unwrap();
    let err = t
        .has_resource_properties(
            "AWS::EC2::SecurityGroup",
            json!({"SecurityGroupIngress": {"$every": {"CidrIp": "10.0.0.0/8"}}}),
        )
        .unwrap_err();
    assert_eq!(err.differences.len(), 1, "{err}");
    assert!(
        err.differences[0].starts_with("Properties.SecurityGroupIngress[1].CidrIp"),
        "{err}"
    );
}

#[test]
fn a_role_allows_exactly_these_actions_on_these_resources() {
    let app = App::new();
    let mut s = app.stack("s");
    let r = role(&mut s, "Worker");
    let table = Table::new(
        &mut s,
        "Jobs",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    );
    table.grant_write(&mut s, &r);
    let t = Template::from_app(&app, "s").unwrap();
    let arn = testing::get_att(&app, table.table, "Arn");
    t.role_allows_exactly(
        "Worker",
        &[(
            stackforge_modules::grants::DYNAMODB_WRITE,
            std::slice::from_ref(&arn),
        )],
    )
    .unwrap();
    // One action too many is reported, and so is one missing.
    let err = t
        .role_allows_exactly(
            "Worker",
            &[(&["dynamodb:PutItem", "dynamodb:Query"], &[arn])],
        )
        .unwrap_err();
    assert!(
        err.differences
            .iter()
            .any(|d| d.starts_with("allowed but not expected: dynamodb:DeleteItem")),
        "{err}"
    );
    assert!(
        err.differences
            .iter()
            .any(|d| d.starts_with("expected but not allowed: dynamodb:Query")),
        "{err}"
    );
}

#[test]
fn the_closest_miss_is_the_policy_of_the_expected_role() {
    let app = App::new();
    let mut s = app.stack("s");
    let a = role(&mut s, "Alpha");
    let b = role(&mut s, "Beta");
    // Alpha's policy differs from the expectation in two places (Sid and resource); Beta's
    // only in its role. Counting differences alone would show Beta's; the role decides.
    s.grant(
        &a.grant_role(),
        [Statement::allow()
            .sid("Read")
            .action("s3:GetObject")
            .resource("arn:aws:s3:::other/*")],
    );
    s.grant(
        &b.grant_role(),
        [Statement::allow()
            .sid("ReadMine")
            .action("s3:GetObject")
            .resource("arn:aws:s3:::mine/*")],
    );
    let t = Template::from_app(&app, "s").unwrap();
    let err = t
        .has_resource_properties(
            "AWS::IAM::Policy",
            json!({"Roles": [testing::reference(&app, a)],
                   "PolicyDocument": {"Statement": [{"Sid": "ReadMine", "Resource": "arn:aws:s3:::mine/*"}]}}),
        )
        .unwrap_err();
    assert_eq!(err.closest.as_deref(), Some("AlphaDefaultPolicy"), "{err}");
}
