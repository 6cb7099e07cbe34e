//! Schema validation of generated types at synth: each constraint is a typed error with its
//! code and the property path. (The compile-time errors — a wrong enum value, a missing
//! required property, an unknown attribute — are trybuild tests in `codegen/tests/ui`.)

use serde_json::json;
use stackforge::cfn::ecs::{capacity_provider, CapacityProvider};
use stackforge::cfn::iam::Role;
use stackforge::diag::codes;
use stackforge::value::fns;
use stackforge::{App, Code, Tag};

fn role(f: impl FnOnce(&mut Role)) -> App {
    let app = App::new();
    let mut r = Role::new(json!({"Version": "2012-10-17", "Statement": []}));
    f(&mut r);
    app.stack("typed").add("Role", r);
    app
}

/// The single error of an app: its code and property path.
fn only_error(app: &App) -> (Code, String) {
    let err = app.synth().expect_err("the app must be invalid");
    let d = err.diagnostics();
    assert_eq!(d.len(), 1, "{err}");
    assert_eq!(d[0].path.logical_id.as_deref(), Some("Role"));
    (d[0].code, d[0].path.property.clone().unwrap_or_default())
}

#[test]
fn a_too_long_string_is_reported_with_its_path() {
    let app = role(|r| r.role_name = Some("a".repeat(65).into()));
    assert_eq!(
        only_error(&app),
        (codes::STRING_LENGTH, "Properties.RoleName".into())
    );
    // 64 characters is fine; lengths count characters, not bytes.
    assert!(role(|r| r.role_name = Some("a".repeat(64).into()))
        .synth()
        .is_ok());
}

#[test]
fn a_value_that_breaks_the_pattern_is_reported() {
    let app = role(|r| r.role_name = Some("bad name".into()));
    assert_eq!(
        only_error(&app),
        (codes::PATTERN_MISMATCH, "Properties.RoleName".into())
    );
    assert!(role(|r| r.role_name = Some("good-name@x".into()))
        .synth()
        .is_ok());
}

#[test]
fn an_out_of_range_number_is_reported() {
    let app = role(|r| r.max_session_duration = Some(60.into()));
    assert_eq!(
        only_error(&app),
        (codes::NUMBER_RANGE, "Properties.MaxSessionDuration".into())
    );
    assert!(role(|r| r.max_session_duration = Some(3600.into()))
        .synth()
        .is_ok());
}

#[test]
fn too_many_items_are_reported() {
    let app = role(|r| r.tags = Some((0..51).map(|i| Tag::new(format!("k{i}"), "v")).collect()));
    assert_eq!(
        only_error(&app),
        (codes::ITEM_COUNT, "Properties.Tags".into())
    );
}

#[test]
fn nested_rules_report_the_nested_path() {
    let app = App::new();
    let mut asg = capacity_provider::AutoScalingGroupProvider::new(
        "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/x",
    );
    asg.managed_scaling = Some(capacity_provider::ManagedScaling {
        target_capacity: Some(101.into()),
        ..Default::default()
    });
    app.stack("typed").add(
        "Provider",
        CapacityProvider {
            auto_scaling_group_provider: Some(asg),
            ..Default::default()
        },
    );
    let err = app.synth().unwrap_err();
    let d = &err.diagnostics()[0];
    assert_eq!(err.codes(), vec![codes::NUMBER_RANGE]);
    assert_eq!(d.path.logical_id.as_deref(), Some("Provider"));
    assert_eq!(
        d.path.property.as_deref(),
        Some("Properties.AutoScalingGroupProvider.ManagedScaling.TargetCapacity")
    );
}

#[test]
fn intrinsics_are_not_checked_and_all_errors_come_at_once() {
    // An intrinsic's value is known only at deploy time.
    assert!(
        role(|r| r.role_name = Some(fns::join("", vec!["bad name"; 30])))
            .synth()
            .is_ok()
    );
    let app = role(|r| {
        r.role_name = Some("bad name".into());
        r.max_session_duration = Some(1.into());
        r.path = Some("no-slashes".into());
    });
    let codes = app.synth().unwrap_err().codes();
    assert_eq!(codes, vec![codes::NUMBER_RANGE, codes::PATTERN_MISMATCH]);
}

#[test]
fn crate_metadata_names_the_schema_the_types_were_generated_from() {
    let manifest = include_str!("../Cargo.toml");
    assert!(manifest.contains(&format!(
        "cfn-lint = \"{}\"",
        stackforge::cfn::meta::CFN_LINT_VERSION
    )));
    assert!(manifest.contains(&format!(
        "schema-date = \"{}\"",
        stackforge::cfn::meta::SCHEMA_DATE
    )));
}

#[test]
fn structural_key_value_pairs_are_not_tags() {
    use stackforge::cfn::elasticloadbalancingv2::LoadBalancer;
    use stackforge::resource::KeyValue;
    let app = App::new();
    app.stack("typed").add(
        "Lb",
        LoadBalancer {
            // Settings are `KeyValue`s; the resource's tags stay `Tag`s.
            load_balancer_attributes: Some(vec![KeyValue::new(
                "idle_timeout.timeout_seconds",
                "60",
            )]),
            tags: Some(vec![Tag::new("team", "web")]),
            ..Default::default()
        },
    );
    let t = &app.synth().expect("valid").stacks[0].template;
    let p = &t["Resources"]["Lb"]["Properties"];
    assert_eq!(
        p["LoadBalancerAttributes"],
        json!([{"Key": "idle_timeout.timeout_seconds", "Value": "60"}])
    );
    assert_eq!(p["Tags"], json!([{"Key": "team", "Value": "web"}]));
}

#[test]
fn generated_types_have_debug_and_resources_partial_eq() {
    let a = Role::new(json!({"Version": "2012-10-17", "Statement": []}));
    let mut b = a.clone();
    assert_eq!(a, b);
    b.role_name = Some("app".into());
    assert_ne!(a, b);
    // Debug shows the CloudFormation properties the value renders to.
    let shown = format!("{b:?}");
    assert!(shown.starts_with("Role {"), "{shown}");
    assert!(shown.contains("RoleName: Str(\"app\")"), "{shown}");
    assert!(
        !format!("{a:?}").contains("RoleName"),
        "None fields are left out"
    );
    // Nested types too, with the `nested-debug` feature (`full` has it).
    #[cfg(feature = "nested-debug")]
    {
        let m = capacity_provider::ManagedScaling {
            target_capacity: Some(90.into()),
            ..Default::default()
        };
        assert_eq!(
            format!("{m:?}"),
            "ManagedScaling { TargetCapacity: Int(90) }"
        );
    }
    // A resource's Debug shows its nested values either way.
    let provider = CapacityProvider {
        auto_scaling_group_provider: Some({
            let mut p = capacity_provider::AutoScalingGroupProvider::new("arn:aws:autoscaling:x");
            p.managed_scaling = Some(capacity_provider::ManagedScaling {
                target_capacity: Some(90.into()),
                ..Default::default()
            });
            p
        }),
        ..Default::default()
    };
    assert!(
        format!("{provider:?}").contains("\"TargetCapacity\": Int(90)"),
        "{provider:?}"
    );
    // Enums show their CloudFormation value.
    assert_eq!(
        format!("{:?}", capacity_provider::Status::Enabled),
        "ENABLED"
    );
    // PartialEq is on resource types only: on every nested type it would cost about 5% more
    // compile work (BENCHMARKS.md), and resources compare their whole tree.
}

#[test]
fn a_nested_type_shared_by_two_services_is_one_type_under_both_paths() {
    use stackforge::cfn::{ec2, ecs, shared};
    fn takes_ec2(_: ec2::ec2_fleet::AcceleratorCountRequest) {}
    // The ECS copy, the EC2 copy and the shared definition are the same type.
    let from_ecs = ecs::capacity_provider::AcceleratorCountRequest {
        max: Some(2.into()),
        ..Default::default()
    };
    takes_ec2(from_ecs.clone());
    let _: shared::ec2_ecs::AcceleratorCountRequest = from_ecs;
}

#[test]
#[allow(deprecated)]
fn renamed_enums_keep_their_old_name_for_one_release() {
    use stackforge::cfn::applicationautoscaling::scaling_policy as sp;
    use stackforge::CfnEnum;
    let old =
        sp::PredefinedMetricSpecificationPredefinedMetricType::EcsServiceAverageCpuUtilization;
    let new: sp::PredefinedMetricSpecificationType = old;
    assert_eq!(new.as_str(), "ECSServiceAverageCPUUtilization");
}

// ---------------------------------------------------------------------------------------
// Values the schemas forbid (issue 12): each case asserts the code and the path.

/// The errors of an app, as (code, logical ID, property path).
fn errors_of(app: &App) -> Vec<(Code, String, String)> {
    match app.synth() {
        Ok(_) => vec![],
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| {
                (
                    d.code,
                    d.path.logical_id.clone().unwrap_or_default(),
                    d.path.property.clone().unwrap_or_default(),
                )
            })
            .collect(),
    }
}

fn one<R: stackforge::Resource>(id: &str, r: R) -> App {
    let app = App::new();
    app.stack("typed").add(id, r);
    app
}

#[test]
fn non_finite_numbers_are_errors_not_null() {
    use stackforge::cfn::cloudwatch::Alarm;
    for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let app = one(
            "Alarm",
            Alarm {
                threshold: Some(n.into()),
                metric_name: Some("CPUUtilization".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            errors_of(&app),
            [(
                codes::NON_FINITE_NUMBER,
                "Alarm".into(),
                "Properties.Threshold".into()
            )],
            "{n}"
        );
    }
    // Also where the schema has no rule at all, and inside intrinsics.
    let mut ingress = stackforge::cfn::ec2::SecurityGroupIngress::new("tcp");
    ingress.from_port = Some(stackforge::Val::from_expr(stackforge::Expr::Num(f64::NAN)));
    assert_eq!(
        errors_of(&one("In", ingress)),
        [(
            codes::NON_FINITE_NUMBER,
            "In".into(),
            "Properties.FromPort".into()
        )]
    );
    assert!(one(
        "Alarm",
        Alarm {
            threshold: Some(90.5.into()),
            metric_name: Some("CPUUtilization".into()),
            ..Default::default()
        }
    )
    .synth()
    .is_ok());
}

#[test]
fn schema_formats_are_checked() {
    use stackforge::cfn::ec2::{SecurityGroupIngress, Subnet};
    let ingress = |cidr: &str| {
        let mut i = SecurityGroupIngress::new("tcp");
        i.cidr_ip = Some(cidr.into());
        one("In", i)
    };
    for bad in ["10.0.0.0/33", "banana", "10.0.0.1/24"] {
        assert_eq!(
            errors_of(&ingress(bad)),
            [(
                codes::FORMAT_MISMATCH,
                "In".into(),
                "Properties.CidrIp".into()
            )],
            "{bad}"
        );
    }
    assert!(ingress("10.0.0.0/16").synth().is_ok());
    // A security group ID with 9 hex digits; a VPC ID that is no VPC ID.
    let mut i = SecurityGroupIngress::new("tcp");
    i.group_id = Some("sg-123456789".into());
    assert_eq!(
        errors_of(&one("In", i)),
        [(
            codes::FORMAT_MISMATCH,
            "In".into(),
            "Properties.GroupId".into()
        )]
    );
    assert_eq!(
        errors_of(&one("Net", Subnet::new("my-vpc"))),
        [(
            codes::FORMAT_MISMATCH,
            "Net".into(),
            "Properties.VpcId".into()
        )]
    );
    assert!(one("Net", Subnet::new("vpc-0123456789abcdef0"))
        .synth()
        .is_ok());
    // A reference is checked at deploy, not here.
    let app = App::new();
    let mut s = app.stack("typed");
    let vpc = s.add("Vpc", stackforge::cfn::ec2::Vpc::default());
    s.add("Net", Subnet::new(vpc));
    assert!(app.synth().is_ok());
}

#[test]
fn look_around_patterns_are_checked_so_an_aws_tag_key_is_caught() {
    use stackforge::cfn::elasticache::{
        global_replication_group::GlobalReplicationGroupMember, GlobalReplicationGroup,
    };
    let group = |key: &str| {
        let mut g = GlobalReplicationGroup::new(vec![GlobalReplicationGroupMember::default()]);
        g.tags = Some(vec![Tag::new(key, "v")]);
        one("Group", g)
    };
    assert_eq!(
        errors_of(&group("aws:owner")),
        [(
            codes::PATTERN_MISMATCH,
            "Group".into(),
            "Properties.Tags[0].Key".into()
        )]
    );
    assert!(group("owner").synth().is_ok());
}

#[test]
fn word_and_digit_classes_are_ascii_as_in_ecmascript() {
    // RoleName: `[\w+=,.@-]+`.
    let app = role(|r| r.role_name = Some("café".into()));
    assert_eq!(
        only_error(&app),
        (codes::PATTERN_MISMATCH, "Properties.RoleName".into())
    );
    // ManagedPolicyArns: `arn:(aws[a-zA-Z-]*)?:iam::(\d{12}|aws):policy/…`, with
    // ARABIC-INDIC digits.
    let app = role(|r| {
        r.managed_policy_arns =
            Some(vec!["arn:aws:iam::\u{661}\u{662}\u{663}\u{664}\u{665}\u{666}\u{667}\u{668}\u{669}\u{660}\u{661}\u{662}:policy/p"].into())
    });
    assert_eq!(
        only_error(&app),
        (
            codes::PATTERN_MISMATCH,
            "Properties.ManagedPolicyArns[0]".into()
        )
    );
    assert!(role(
        |r| r.managed_policy_arns = Some(vec!["arn:aws:iam::123456789012:policy/p"].into())
    )
    .synth()
    .is_ok());
}

#[test]
fn white_space_is_ecmascript_white_space() {
    use stackforge::cfn::ssm::OpsItem;
    // OpsItem Title: `^(?!\s*$).+$`. U+FEFF is white space in ECMAScript, so a title of
    // only U+FEFF is blank.
    let app = one("Item", OpsItem::new("d", "s", "\u{FEFF}"));
    assert_eq!(
        errors_of(&app),
        [(
            codes::PATTERN_MISMATCH,
            "Item".into(),
            "Properties.Title".into()
        )]
    );
    // U+0085 is not white space in ECMAScript: a title of it is not blank…
    assert!(one("Item", OpsItem::new("d", "s", "\u{85}"))
        .synth()
        .is_ok());
    // …and a tag key limited to `[a-zA-Z0-9\s…]` rejects it (S3 Storage Lens).
    use stackforge::cfn::s3::storage_lens::{AccountLevel, BucketLevel, StorageLensConfiguration};
    use stackforge::cfn::s3::StorageLens;
    let lens = |key: &str| {
        let mut l = StorageLens::new(StorageLensConfiguration::new(
            AccountLevel::new(BucketLevel::default()),
            "lens",
            true,
        ));
        l.tags = Some(vec![Tag::new(key, "v")]);
        one("Lens", l)
    };
    assert_eq!(
        errors_of(&lens("a\u{85}b")),
        [(
            codes::PATTERN_MISMATCH,
            "Lens".into(),
            "Properties.Tags[0].Key".into()
        )]
    );
    assert!(lens("a\u{FEFF}b").synth().is_ok());
    assert!(lens("a b").synth().is_ok());
}

#[test]
fn literal_passwords_are_errors_and_dynamic_references_are_fine() {
    use stackforge::cfn::rds::DbInstance;
    use stackforge::cfn::secretsmanager::Secret;
    use stackforge::value::dynamic;
    let db = |password: stackforge::Val<String>| {
        one(
            "Db",
            DbInstance {
                master_user_password: Some(password),
                ..Default::default()
            },
        )
    };
    let app = db("hunter2".into());
    assert_eq!(
        errors_of(&app),
        [(
            codes::SECRET_IN_TEMPLATE,
            "Db".into(),
            "Properties.MasterUserPassword".into()
        )]
    );
    let help = app.synth().unwrap_err().diagnostics()[0].help.clone();
    assert!(help.contains("{{resolve:secretsmanager:"), "{help}");
    assert!(db(dynamic::secrets_manager("prod/db", Some("password")))
        .synth()
        .is_ok());
    assert!(db(dynamic::ssm_secure("/prod/db/password", Some(3)))
        .synth()
        .is_ok());
    let app = one(
        "Secret",
        Secret {
            secret_string: Some("{\"password\":\"hunter2\"}".into()),
            ..Default::default()
        },
    );
    assert_eq!(
        errors_of(&app),
        [(
            codes::SECRET_IN_TEMPLATE,
            "Secret".into(),
            "Properties.SecretString".into()
        )]
    );
}

#[test]
fn a_dynamic_reference_is_not_held_to_the_value_s_pattern_or_length() {
    // Role names are at most 64 characters of `[\w+=,.@-]`; CloudFormation resolves the
    // reference before it validates.
    let app = role(|r| {
        r.role_name = Some(
            "{{resolve:ssm:/platform/shared-services/identity/names/the-application-role-name}}"
                .into(),
        )
    });
    assert!(app.synth().is_ok(), "{:?}", errors_of(&app));
}

// ---------------------------------------------------------------------------------------
// The checks the core calls: parameters and overrides.

mod parameters {
    use stackforge::diag::{codes, DiagPath};
    use stackforge::validate::{check_parameter, ParameterSpec};
    use stackforge::Code;

    fn check(p: ParameterSpec) -> Vec<(Code, String)> {
        let base = DiagPath {
            stack: Some("s".into()),
            logical_id: Some(p.name.clone()),
            property: None,
        };
        check_parameter(&p, &base)
            .into_iter()
            .map(|d| {
                assert_eq!(d.path.logical_id.as_deref(), Some(p.name.as_str()));
                (d.code, d.path.property.unwrap_or_default())
            })
            .collect()
    }

    fn param(type_name: &str, default: &str) -> ParameterSpec {
        ParameterSpec {
            name: "P".into(),
            type_name: type_name.into(),
            default: Some(default.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_number_default_must_be_a_number_within_range() {
        assert_eq!(
            check(param("Number", "abc")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert_eq!(
            check(param("Number", "NaN")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert!(check(param("Number", "-1.5e3")).is_empty());
        let ranged = |d: &str| ParameterSpec {
            min_value: Some(1.0),
            max_value: Some(10.0),
            ..param("Number", d)
        };
        assert_eq!(
            check(ranged("0")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert_eq!(
            check(ranged("11")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert!(check(ranged("10")).is_empty());
        assert_eq!(
            check(param("List<Number>", "1,two,3")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
    }

    #[test]
    fn a_default_must_match_the_allowed_pattern_and_length() {
        let p = |d: &str| ParameterSpec {
            allowed_pattern: Some("[a-z]+".into()),
            max_length: Some(5),
            ..param("String", d)
        };
        assert!(check(p("abc")).is_empty());
        // AllowedPattern applies to the whole value.
        assert_eq!(
            check(p("abc1")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert_eq!(
            check(p("abcdef")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        let list = ParameterSpec {
            allowed_pattern: Some("[a-z]+".into()),
            ..param("CommaDelimitedList", "a,b,C")
        };
        assert_eq!(check(list), [(codes::INVALID_PARAMETER, "Default".into())]);
    }

    #[test]
    fn an_allowed_pattern_with_look_around_is_accepted_and_a_broken_one_is_not() {
        let p = |pattern: &str, d: &str| ParameterSpec {
            allowed_pattern: Some(pattern.into()),
            ..param("String", d)
        };
        assert!(check(p("(?!aws:).*", "app")).is_empty());
        assert_eq!(
            check(p("(?!aws:).*", "aws:app")),
            [(codes::INVALID_PARAMETER, "Default".into())]
        );
        assert_eq!(
            check(p("[a-", "x")),
            [(codes::INVALID_PARAMETER, "AllowedPattern".into())]
        );
    }

    #[test]
    fn types_and_allowed_values() {
        for ok in [
            "String",
            "Number",
            "List<Number>",
            "CommaDelimitedList",
            "AWS::EC2::VPC::Id",
            "List<AWS::EC2::Subnet::Id>",
            "AWS::SSM::Parameter::Name",
            "AWS::SSM::Parameter::Value<String>",
            "AWS::SSM::Parameter::Value<List<AWS::EC2::Subnet::Id>>",
        ] {
            let p = ParameterSpec {
                name: "P".into(),
                type_name: ok.into(),
                ..Default::default()
            };
            assert!(check(p).is_empty(), "{ok}");
        }
        for bad in [
            "string",
            "Integer",
            "List<String>",
            "AWS::EC2::Vpc::Id",
            "AWS::SSM::Parameter::Value<Number>",
        ] {
            let p = ParameterSpec {
                name: "P".into(),
                type_name: bad.into(),
                ..Default::default()
            };
            assert_eq!(
                check(p),
                [(codes::INVALID_PARAMETER, "Type".into())],
                "{bad}"
            );
        }
        let p = ParameterSpec {
            allowed_values: vec!["a".into(), "b".into()],
            ..param("String", "c")
        };
        assert_eq!(check(p), [(codes::INVALID_PARAMETER, "Default".into())]);
    }
}

mod overrides {
    use stackforge::cfn::iam::Role;
    use stackforge::diag::{codes, DiagPath};
    use stackforge::validate::check_override;
    use stackforge::{Code, Expr, Resource};

    fn check(path: &[&str], value: Expr) -> Vec<(Code, String)> {
        let base = DiagPath {
            stack: Some("s".into()),
            logical_id: Some("Role".into()),
            property: None,
        };
        let shape = Role::shape().expect("Role has a shape");
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        let mut out = Vec::new();
        check_override(shape, &path, &value, &base, &mut out);
        out.into_iter()
            .map(|d| (d.code, d.path.property.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn override_values_are_checked_against_the_schema() {
        assert_eq!(
            check(&["RoleName"], Expr::Str("a".repeat(500))),
            [(codes::STRING_LENGTH, "Properties.RoleName".into())]
        );
        assert!(check(&["RoleName"], Expr::Str("app".into())).is_empty());
        // Through a list, by index, into the item's shape.
        assert_eq!(
            check(&["Tags", "0", "Key"], Expr::Str("k".repeat(200))),
            [(codes::STRING_LENGTH, "Properties.Tags[0].Key".into())]
        );
        // Non-finite numbers are the lint pass's (once, at synth: `through_the_scope`).
        assert!(check(&["MaxSessionDuration"], Expr::Num(f64::INFINITY)).is_empty());
        // An object value is checked with the shape of the place it lands.
        let tag = Expr::Map(
            [("Key".to_owned(), Expr::Str("k".repeat(200)))]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            check(&["Tags", "0"], tag),
            [(codes::STRING_LENGTH, "Properties.Tags[0].Key".into())]
        );
        // Places the schema does not constrain are not checked.
        assert!(check(&["Unknown", "Deep"], Expr::Str("x".repeat(999))).is_empty());
    }
}

/// The value checks run at synth for what the scope API builds: parameters and raw
/// overrides, each problem reported once.
mod through_the_scope {
    use super::errors_of;
    use stackforge::cfn::iam::Role;
    use stackforge::diag::codes;
    use stackforge::{App, Expr, Parameter};

    fn role(app: &App) -> stackforge::Handle<Role> {
        let mut s = app.stack("typed");
        s.add(
            "Role",
            Role::new(serde_json::json!({"Version": "2012-10-17"})),
        )
    }

    #[test]
    fn a_parameter_default_is_checked_against_its_pattern_and_bounds() {
        let app = App::new();
        let mut s = app.stack("typed");
        s.parameter(
            "Env",
            Parameter::string()
                .allowed_pattern("(?!prod)[a-z]+")
                .default_value("prod"),
        );
        s.parameter("Size", Parameter::number().default_value("big"));
        s.parameter("Broken", Parameter::string().allowed_pattern("(unclosed"));
        role(&app);
        assert_eq!(
            errors_of(&app),
            [
                (
                    codes::INVALID_PARAMETER,
                    "Broken".into(),
                    "AllowedPattern".into()
                ),
                (codes::INVALID_PARAMETER, "Env".into(), "Default".into()),
                (codes::INVALID_PARAMETER, "Size".into(), "Default".into()),
            ]
        );
    }

    #[test]
    fn a_default_outside_allowed_values_is_reported_once() {
        let app = App::new();
        app.stack("typed").parameter(
            "P",
            Parameter::string().allowed_values(["a"]).default_value("b"),
        );
        role(&app);
        assert_eq!(
            errors_of(&app),
            [(codes::INVALID_PARAMETER, "P".into(), "Default".into())]
        );
    }

    #[test]
    fn an_override_value_is_checked_against_the_schema_at_synth() {
        let app = App::new();
        let r = role(&app);
        let mut s = app.stack("typed");
        s.override_property(r, &["RoleName"], Expr::Str("a".repeat(500)));
        s.override_property(r, &["MaxSessionDuration"], Expr::Num(f64::NAN));
        assert_eq!(
            errors_of(&app),
            [
                (
                    codes::NON_FINITE_NUMBER,
                    "Role".into(),
                    "Properties.MaxSessionDuration".into()
                ),
                (
                    codes::STRING_LENGTH,
                    "Role".into(),
                    "Properties.RoleName".into()
                ),
            ]
        );
    }
}
