//! The stack model: handles, scopes, references, the DAG, and every error kind by its code.

use serde_json::json;
use stackforge::cfn::ecr::Repository;
use stackforge::cfn::logs::LogGroup;
use stackforge::cfn::rds::DbParameterGroup;
use stackforge::diag::codes;
use stackforge::value::{dynamic, fns, pseudo};
use stackforge::{sub, App, Output, Parameter, Policy, Raw};

fn group() -> LogGroup {
    LogGroup::default()
}

fn named(name: impl Into<Val<String>>) -> LogGroup {
    LogGroup {
        log_group_name: Some(name.into()),
        ..LogGroup::default()
    }
}

fn codes_of(app: &App) -> Vec<stackforge::Code> {
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(e) => e.codes(),
    }
}

#[test]
fn scopes_derive_logical_ids_from_the_path() {
    let app = App::new();
    let s = app.stack("demo");
    let mut db = s.child("Db");
    let secret = db.add("Secret", group());
    let mut inner = db.child("Net");
    let sg = inner.add("Group", group());
    assert_eq!(s.logical_id(secret).as_deref(), Some("DbSecret"));
    assert_eq!(s.logical_id(sg).as_deref(), Some("DbNetGroup"));
    let a = app.synth().unwrap();
    let r = a.stacks[0].template["Resources"].as_object().unwrap();
    assert_eq!(r.keys().collect::<Vec<_>>(), ["DbNetGroup", "DbSecret"]);
}

#[test]
fn duplicate_logical_id_is_an_error() {
    let app = App::new();
    let mut s = app.stack("demo");
    s.add("Queue", group());
    s.add("Queue", group());
    // A scope path that collides with a plain id is a duplicate too.
    s.add("TopicPolicy", group());
    s.child("Topic").add("Policy", group());
    let err = app.synth().unwrap_err();
    let dups: Vec<_> = err
        .diagnostics()
        .iter()
        .filter(|d| d.code == codes::DUPLICATE_LOGICAL_ID)
        .collect();
    assert_eq!(dups.len(), 2, "{err}");
    assert_eq!(dups[0].path.stack.as_deref(), Some("demo"));
    assert_eq!(dups[0].path.logical_id.as_deref(), Some("Queue"));
}

#[test]
fn invalid_logical_ids_are_errors() {
    let app = App::new();
    let mut s = app.stack("demo");
    s.add("my-queue", group());
    s.add("", group());
    s.add(&"A".repeat(256), group());
    let err = app.synth().unwrap_err();
    let n = err
        .diagnostics()
        .iter()
        .filter(|d| d.code == codes::INVALID_LOGICAL_ID)
        .count();
    assert_eq!(n, 3, "{err}");
}

#[test]
fn invalid_stack_names_are_errors() {
    for bad in ["1stack", "my_stack", "", "-x", &"a".repeat(129)] {
        let app = App::new();
        app.stack(bad).add("Q", group());
        assert_eq!(codes_of(&app), vec![codes::INVALID_STACK_NAME], "{bad:?}");
    }
    for good in ["a", "web-prod-1", &"a".repeat(128)] {
        let app = App::new();
        app.stack(good).add("Q", group());
        assert!(app.synth().is_ok(), "{good:?}");
    }
}

#[test]
fn environment_prefix_goes_into_stack_and_export_names() {
    let app = App::with_prefix("dev-");
    let mut s = app.stack("net");
    let q = s.add("Queue", group());
    s.output("QueueUrl", Output::new(q.reference()).export());
    let a = app.synth().unwrap();
    assert_eq!(a.stacks[0].name, "dev-net");
    assert_eq!(
        a.stacks[0].template["Outputs"]["QueueUrl"]["Export"]["Name"],
        "dev-net:QueueUrl"
    );
}

#[test]
fn a_resource_cycle_names_every_id_in_order_with_the_reason() {
    let app = App::new();
    let mut s = app.stack("demo");
    // Role -> Policy -> TaskDef -> Role, built through overrides since handles only exist
    // after adding.
    let role = s.add("Role", group());
    let policy = s.add("Policy", named(role.reference()));
    let task = s.add(
        "TaskDef",
        LogGroup {
            kms_key_id: Some(policy.attr_arn()),
            ..LogGroup::default()
        },
    );
    s.override_property(role, &["LogGroupName"], task.reference());
    s.add("Unrelated", group());
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), vec![codes::RESOURCE_CYCLE]);
    let d = &err.diagnostics()[0];
    assert!(
        d.message.contains("Role -> TaskDef -> Policy -> Role"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .contains("Role -> TaskDef (Ref at Properties.LogGroupName)"),
        "{}",
        d.message
    );
    assert!(
        d.message
            .contains("TaskDef -> Policy (GetAtt Arn at Properties.KmsKeyId)"),
        "{}",
        d.message
    );
    assert!(!d.message.contains("Unrelated"));
}

#[test]
fn explicit_depends_on_cycle_is_reported() {
    let app = App::new();
    let mut s = app.stack("demo");
    let a = s.add("A", group());
    let b = s.add("B", group());
    s.depends_on(a, b);
    s.depends_on(b, a);
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), vec![codes::RESOURCE_CYCLE]);
    assert!(err.diagnostics()[0].message.contains("A -> B (DependsOn)"));
}

#[test]
fn references_imply_dependencies_and_redundant_depends_on_is_dropped() {
    let app = App::new();
    let mut s = app.stack("demo");
    let a = s.add("A", group());
    let b = s.add("B", named(a.attr_arn()));
    let c = s.add("C", group());
    s.depends_on(b, a); // already implied by the GetAtt: must not be emitted (cfn-lint W3005)
    s.depends_on(b, c); // not implied: emitted
    let t = &app.synth().unwrap().stacks[0];
    assert_eq!(t.template["Resources"]["B"]["DependsOn"], json!(["C"]));
    assert!(t.template["Resources"]["A"].get("DependsOn").is_none());
    let pos = |id: &str| t.resource_order.iter().position(|x| x == id);
    assert!(pos("A") < pos("B"), "{:?}", t.resource_order);
}

#[test]
fn cross_stack_reference_becomes_export_and_import_with_stack_order() {
    let app = App::new();
    // Create the consumer first, so the order comes from the reference, not creation order.
    app.stack("app").add("Placeholder", group());
    let repo = app.stack("registry").add("Repo", Repository::default());
    let mut consumer = app.stack("app");
    consumer.add("Uses", named(repo.attr_repository_uri()));
    consumer.add("UsesRef", named(repo.reference()));
    let a = app.synth().unwrap();
    let names: Vec<_> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["registry", "app"]);
    assert_eq!(a.stacks[1].dependencies, ["registry"]);
    let producer = &a.stacks[0].template;
    assert_eq!(
        producer["Outputs"]["ExportRepoRepositoryUri"],
        json!({"Value": {"Fn::GetAtt": ["Repo", "RepositoryUri"]}, "Export": {"Name": "registry:Repo:RepositoryUri"}, "Description": "Exported for other stacks of this app (Repo)"})
    );
    assert_eq!(
        producer["Outputs"]["ExportRepoRef"]["Export"]["Name"],
        "registry:Repo"
    );
    let consumer = &a.stacks[1].template;
    assert_eq!(
        consumer["Resources"]["Uses"]["Properties"]["LogGroupName"],
        json!({"Fn::ImportValue": "registry:Repo:RepositoryUri"})
    );
    assert_eq!(
        consumer["Resources"]["UsesRef"]["Properties"]["LogGroupName"],
        json!({"Fn::ImportValue": "registry:Repo"})
    );
    let manifest = a.manifest();
    assert_eq!(manifest["stacks"][1]["dependencies"], json!(["registry"]));
}

#[test]
fn cross_stack_cycle_is_an_error_naming_both_stacks() {
    let app = App::new();
    let a_q = app.stack("alpha").add("Q", group());
    let b_q = app.stack("beta").add("Q", named(a_q.attr_arn()));
    app.stack("alpha").add("Back", named(b_q.attr_arn()));
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), vec![codes::STACK_CYCLE]);
    let msg = &err.diagnostics()[0].message;
    assert!(msg.contains("alpha -> beta -> alpha"), "{msg}");
}

#[test]
fn export_value_keeps_an_export_without_consumers() {
    let app = App::new();
    let mut s = app.stack("registry");
    let repo = s.add("Repo", Repository::default());
    s.export_value(&repo.attr_arn());
    let a = app.synth().unwrap();
    assert_eq!(
        a.stacks[0].template["Outputs"]["ExportRepoArn"]["Export"]["Name"],
        "registry:Repo:Arn"
    );
    // Only resources of the scope's own stack can be kept exported.
    let other = App::new();
    let q = other.stack("one").add("Q", group());
    other.stack("two").export_value(&q.reference());
    other.stack("two").add("X", group());
    assert_eq!(codes_of(&other), vec![codes::INVALID_EXPORT]);
}

#[test]
fn handles_of_another_app_are_rejected() {
    let first = App::new();
    let q = first.stack("one").add("Q", group());
    let second = App::new();
    second.stack("two").add("Uses", named(q.reference()));
    let mut s = second.stack("two");
    s.set_deletion_policy(q, Policy::Retain);
    assert_eq!(codes_of(&second), vec![codes::FOREIGN_APP]);
    assert_eq!(second.synth().unwrap_err().diagnostics().len(), 2);
}

#[test]
fn resource_options_of_another_stack_are_rejected() {
    let app = App::new();
    let q = app.stack("one").add("Q", group());
    let mut two = app.stack("two");
    let x = two.add("X", group());
    two.depends_on(x, q);
    two.set_deletion_policy(q, Policy::Retain);
    assert_eq!(codes_of(&app), vec![codes::WRONG_STACK]);
}

#[test]
fn every_error_is_reported_in_one_pass() {
    let app = App::new();
    app.stack("bad_name").add("Q", group());
    let mut s = app.stack("ok");
    s.add("Q", group());
    s.add("Q", group());
    s.add("bad-id", group());
    app.stack("empty");
    let codes = codes_of(&app);
    assert_eq!(
        codes,
        vec![
            codes::INVALID_STACK_NAME,
            codes::DUPLICATE_LOGICAL_ID,
            codes::INVALID_LOGICAL_ID,
            codes::EMPTY_STACK
        ]
    );
}

#[test]
fn quotas_are_checked() {
    let app = App::new();
    let mut s = app.stack("big");
    for i in 0..501 {
        s.add(&format!("Q{i}"), group());
    }
    for i in 0..201 {
        s.parameter(&format!("P{i}"), Parameter::string());
        s.output(&format!("O{i}"), Output::new(pseudo::region()));
        s.mapping(&format!("M{i}"), json!({"a": {"b": "c"}}));
    }
    let codes = codes_of(&app);
    for c in [
        codes::TOO_MANY_RESOURCES,
        codes::TOO_MANY_PARAMETERS,
        codes::TOO_MANY_OUTPUTS,
        codes::TOO_MANY_MAPPINGS,
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
}

#[test]
fn template_size_is_measured_on_minified_json() {
    // 60 KB of description: over the inline limit (warning), under 1 MB. Raw on purpose:
    // typed properties would reject values this long at synth.
    let app = App::new();
    let mut s = app.stack("large");
    for i in 0..30 {
        s.add_raw(
            &format!("T{i}"),
            Raw::new("AWS::SNS::Topic").prop(
                "DisplayName",
                stackforge::Val::<String>::from("x".repeat(2_000)),
            ),
        );
    }
    let a = app.synth().unwrap();
    assert!(a.stacks[0].minified_bytes > 51_200);
    assert_eq!(a.stacks[0].minified_bytes, a.stacks[0].minified().len());
    assert!(a.stacks[0].pretty.len() > a.stacks[0].minified_bytes);
    assert_eq!(
        a.warnings.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::TEMPLATE_NEEDS_S3]
    );
    // Over 1 MB is an error.
    let app = App::new();
    let mut s = app.stack("huge");
    for i in 0..11 {
        s.add_raw(
            &format!("T{i}"),
            Raw::new("AWS::SNS::Topic").prop(
                "DisplayName",
                stackforge::Val::<String>::from("x".repeat(100_000)),
            ),
        );
    }
    assert_eq!(codes_of(&app), vec![codes::TEMPLATE_TOO_LARGE]);
}

#[test]
fn parameters_conditions_and_mappings_render() {
    let app = App::new();
    let mut s = app.stack("demo");
    let env = s.parameter(
        "Env",
        Parameter::string()
            .allowed_values(["dev", "prod"])
            .default_value("dev")
            .description("environment"),
    );
    let size = s.parameter(
        "Size",
        Parameter::number()
            .range(Some(1.0), Some(10.0))
            .default_value("2"),
    );
    let secret = s.parameter(
        "Token",
        Parameter::string().no_echo().length(Some(16), None),
    );
    let is_prod = s.condition("IsProd", fns::equals(env.clone(), "prod"));
    let map = s.mapping("Sizes", json!({"dev": {"count": 1}, "prod": {"count": 3}}));
    let q = s.add(
        "Q",
        LogGroup {
            retention_in_days: Some(fns::find_in_map::<i64>(&map, env.clone(), "count")),
            log_group_name: Some(fns::if_(
                &is_prod,
                sub!("prod-", pseudo::stack_name()),
                Val::no_value(),
            )),
            kms_key_id: Some(secret),
            ..LogGroup::default()
        },
    );
    s.output("Size", Output::new(size));
    s.set_condition(q, &is_prod);
    s.output("Url", Output::new(q.reference()).condition(&is_prod));
    let t = app.synth().unwrap().stacks.remove(0).template;
    assert_eq!(
        t["Parameters"]["Env"],
        json!({"Type": "String", "AllowedValues": ["dev", "prod"], "Default": "dev", "Description": "environment"})
    );
    assert_eq!(
        t["Parameters"]["Size"],
        json!({"Type": "Number", "MinValue": 1, "MaxValue": 10, "Default": "2"})
    );
    assert_eq!(
        t["Parameters"]["Token"],
        json!({"Type": "String", "NoEcho": true, "MinLength": 16})
    );
    assert_eq!(
        t["Conditions"]["IsProd"],
        json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]})
    );
    let p = &t["Resources"]["Q"]["Properties"];
    assert_eq!(
        p["RetentionInDays"],
        json!({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "count"]})
    );
    assert_eq!(
        p["LogGroupName"],
        json!({"Fn::If": ["IsProd", {"Fn::Sub": "prod-${AWS::StackName}"}, {"Ref": "AWS::NoValue"}]})
    );
    assert_eq!(t["Resources"]["Q"]["Condition"], "IsProd");
    assert_eq!(t["Outputs"]["Url"]["Condition"], "IsProd");
    // A parameter whose default is not allowed is an error.
    let bad = App::new();
    let mut s = bad.stack("b");
    s.parameter(
        "P",
        Parameter::string().allowed_values(["a"]).default_value("b"),
    );
    s.add("Q", group());
    assert_eq!(codes_of(&bad), vec![codes::INVALID_PARAMETER]);
}

use stackforge::Val;

#[test]
fn intrinsics_render_as_cloudformation_expects() {
    let app = App::new();
    let mut s = app.stack("demo");
    let q = s.add("Q", group());
    let azs = fns::get_azs();
    // Raw on purpose: the probe puts every intrinsic under its own property name.
    let v = s.add_raw(
        "V",
        Raw::new("Custom::Probe")
            .prop("A", fns::select(0, azs.clone()))
            .prop("B", fns::join(",", fns::split("|", "a|b")))
            .prop(
                "C",
                fns::base64(sub!(
                    "#!/bin/bash\necho ${HOME} ",
                    q.attr_arn(),
                    " ",
                    pseudo::region()
                )),
            )
            .prop("D", fns::cidr("10.0.0.0/16", 4, 8))
            .prop("E", fns::import_value::<String>("other-export"))
            .prop(
                "F",
                dynamic::secrets_manager(q.reference(), Some("password")),
            )
            .prop(
                "G",
                dynamic::ssm(
                    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                ),
            )
            .prop("H", sub!("plain text only")),
    );
    let _ = v;
    let t = app.synth().unwrap().stacks.remove(0).template;
    let p = &t["Resources"]["V"]["Properties"];
    assert_eq!(p["A"], json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}));
    assert_eq!(
        p["B"],
        json!({"Fn::Join": [",", {"Fn::Split": ["|", "a|b"]}]})
    );
    assert_eq!(
        p["C"],
        json!({"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ${!HOME} ${Q.Arn} ${AWS::Region}"}})
    );
    assert_eq!(p["D"], json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}));
    assert_eq!(p["E"], json!({"Fn::ImportValue": "other-export"}));
    assert_eq!(
        p["F"],
        json!({"Fn::Sub": "{{resolve:secretsmanager:${Q}:SecretString:password}}"})
    );
    assert_eq!(
        p["G"],
        json!(
            "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}}"
        )
    );
    assert_eq!(p["H"], json!("plain text only"));
}

#[test]
fn sub_with_an_imported_value_uses_a_variable() {
    let app = App::new();
    let repo = app.stack("registry").add("Repo", Repository::default());
    app.stack("app")
        .add("Q", named(sub!("img-", repo.attr_repository_uri(), ":v1")));
    let a = app.synth().unwrap();
    assert_eq!(
        a.stack("app").unwrap().template["Resources"]["Q"]["Properties"]["LogGroupName"],
        json!({"Fn::Sub": ["img-${Var0}:v1", {"Var0": {"Fn::ImportValue": "registry:Repo:RepositoryUri"}}]})
    );
}

#[test]
fn overrides_take_key_lists_so_dotted_keys_work() {
    let app = App::new();
    let mut s = app.stack("demo");
    let pg = s.add("Params", DbParameterGroup::new("x", "postgres16"));
    s.override_property(pg, &["Parameters", "rds.force_ssl"], json!("0"));
    s.delete_property(pg, &["Description"]);
    s.override_property(pg, &[], json!(1));
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), vec![codes::INVALID_OVERRIDE]);
    let app = App::new();
    let mut s = app.stack("demo");
    let pg = s.add("Params", DbParameterGroup::new("x", "postgres16"));
    s.override_property(pg, &["Parameters", "rds.force_ssl"], json!("0"));
    s.delete_property(pg, &["Description"]);
    let t = app.synth().unwrap().stacks.remove(0).template;
    assert_eq!(
        t["Resources"]["Params"]["Properties"],
        json!({"Family": "postgres16", "Parameters": {"rds.force_ssl": "0"}})
    );
}

#[test]
fn resource_attributes_render() {
    let app = App::new();
    let mut s = app.stack("demo");
    let q = s.add("Q", group());
    s.set_policies(q, Policy::Snapshot);
    s.set_metadata(q, "Owner", json!("team"));
    s.suppress_cfn_lint(
        q,
        "W3011",
        "the queue is replaced together with its consumers",
    );
    s.skip_checkov(q, "CKV_AWS_27", "messages hold no sensitive data");
    s.tag("project", "demo");
    s.set_description("A demo");
    s.pin_environment("123456789012", "eu-west-1");
    let a = app.synth().unwrap();
    let st = &a.stacks[0];
    let r = &st.template["Resources"]["Q"];
    assert_eq!(r["DeletionPolicy"], "Snapshot");
    assert_eq!(r["UpdateReplacePolicy"], "Snapshot");
    assert_eq!(
        r["Metadata"]["cfn-lint"],
        json!({"config": {"ignore_checks": ["W3011"]}})
    );
    assert_eq!(
        r["Metadata"]["stackforge:suppressions"]["W3011"],
        "the queue is replaced together with its consumers"
    );
    assert_eq!(r["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_27");
    assert_eq!(st.template["Description"], "A demo");
    assert_eq!(st.account.as_deref(), Some("123456789012"));
    assert_eq!(
        a.manifest()["stacks"][0]["tags"],
        json!({"project": "demo"})
    );
    let bad = App::new();
    let mut s = bad.stack("x");
    s.pin_environment("12345", "moon");
    s.add("Q", group());
    assert_eq!(bad.synth().unwrap_err().diagnostics().len(), 2);
    assert_eq!(codes_of(&bad), vec![codes::INVALID_ENVIRONMENT]);
}

#[test]
fn items_of_another_stack_are_rejected() {
    let app = App::new();
    let p = app.stack("one").parameter("P", Parameter::string());
    app.stack("one").add("Q", group());
    app.stack("two").add("Q", named(p));
    assert_eq!(codes_of(&app), vec![codes::WRONG_STACK]);
}

#[test]
fn parameter_bounds_that_cross_are_errors() {
    let app = App::new();
    let mut s = app.stack("b");
    s.parameter("Name", Parameter::string().length(Some(10), Some(2)));
    s.parameter("Size", Parameter::number().range(Some(5.0), Some(1.0)));
    s.parameter("Ok", Parameter::number().range(Some(1.0), Some(1.0)));
    s.add("Q", group());
    let err = app.synth().unwrap_err();
    let found: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.code,
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                codes::INVALID_PARAMETER,
                "Name".to_owned(),
                "MinLength".to_owned()
            ),
            (
                codes::INVALID_PARAMETER,
                "Size".to_owned(),
                "MinValue".to_owned()
            ),
        ]
    );
    assert!(err.diagnostics()[0]
        .message
        .contains("MinLength 10 is above MaxLength 2"));
}
