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
    let mut app = App::new();
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
    let mut app = App::new();
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
    let mut app = App::new();
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
fn generated_types_have_debug_and_partial_eq() {
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
    // Nested types too.
    let m = capacity_provider::ManagedScaling {
        target_capacity: Some(90.into()),
        ..Default::default()
    };
    assert_eq!(
        format!("{m:?}"),
        "ManagedScaling { TargetCapacity: Int(90) }"
    );
    assert_eq!(m.clone(), m);
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
