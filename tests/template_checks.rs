//! Template-level validation at synth (issue 12, "Outputs and exports", "Template sections",
//! "Rules beyond the schemas"): every case is a mistake that got through before, asserted by
//! its code and path.

use serde_json::json;
use stackforge::cfn::ec2;
use stackforge::diag::codes;
use stackforge::value::dynamic;
use stackforge::{fns, App, EnvironmentProps, Output, Parameter, Raw, Rule};

use crate::common::{e, errors, found};

fn queue() -> Raw {
    Raw::new("AWS::SQS::Queue")
}

#[test]
fn an_export_name_equal_to_a_generated_one_is_sf018() {
    let app = App::new();
    let mut prod = app.stack("prod");
    let t = prod.add_raw("T", queue());
    let mut other = app.stack("other");
    other.add_raw("Uses", queue().prop("Peer", t.reference()));
    other.output("Mine", Output::new("x").export_as("prod:T"));
    assert_eq!(found(&app), [e(codes::INVALID_EXPORT, "Mine", "")]);
    let d = &errors(&app)[0];
    assert_eq!(d.path.stack.as_deref(), Some("other"));
    assert!(d.message.contains("prod/ExportTRef"), "{d}");
}

#[test]
fn output_ids_over_255_characters_are_sf003_including_generated_export_ids() {
    let app = App::new();
    let mut a = app.stack("a");
    let long_id = "R".repeat(250);
    let r = a.add_raw(&long_id, queue());
    a.output(&"O".repeat(256), Output::new("x"));
    let mut b = app.stack("b");
    b.add_raw("User", queue().prop("Peer", r.get_att::<String>("Arn")));
    let got = found(&app);
    assert_eq!(
        got,
        [
            e(
                codes::INVALID_LOGICAL_ID,
                &format!("Export{long_id}Arn"),
                ""
            ),
            e(codes::INVALID_LOGICAL_ID, &"O".repeat(256), ""),
            // `a:` + the logical ID + `:Arn` is over 255 characters too.
            e(
                codes::INVALID_EXPORT,
                &format!("Export{long_id}Arn"),
                "Export.Name"
            ),
        ]
    );
}

#[test]
fn a_secret_dynamic_reference_as_an_output_value_is_sf025() {
    let app = App::new();
    let mut s = app.stack("out");
    let secret = s.add_raw("Secret", Raw::new("AWS::SecretsManager::Secret"));
    s.output(
        "Password",
        Output::new(dynamic::secrets_manager(
            secret.reference(),
            Some("password"),
        )),
    );
    s.output("Pin", Output::new(dynamic::ssm_secure("/prod/pin", None)));
    s.output("Zones", Output::new(fns::get_azs()));
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_OUTPUT, "Password", "Value"),
            e(codes::INVALID_OUTPUT, "Pin", "Value"),
            e(codes::INVALID_OUTPUT, "Zones", "Value"),
        ]
    );
}

#[test]
fn a_description_over_1024_bytes_is_sf028() {
    let app = App::new();
    let mut s = app.stack("d");
    s.add_raw("Q", queue());
    s.set_description("é".repeat(513));
    assert_eq!(
        found(&app),
        [e(codes::DESCRIPTION_TOO_LONG, "", "Description")]
    );
}

#[test]
fn malformed_mappings_are_sf026() {
    let app = App::new();
    let mut s = app.stack("m");
    s.add_raw("Q", queue());
    s.mapping("Flat", json!({"a": "b"}));
    s.mapping("List", json!(["a"]));
    s.mapping(
        "BadKeys",
        json!({"us east": {"Ami": "x"}, "ok": {"a_b": "x"}}),
    );
    s.mapping("Nulls", json!({"top": {"Ami": null}}));
    s.mapping("Empty", json!({}));
    let wide: serde_json::Map<String, serde_json::Value> = (0..201)
        .map(|i| (format!("k{i}"), json!({"v": i})))
        .collect();
    s.mapping("Wide", serde_json::Value::Object(wide));
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_MAPPING, "BadKeys", "ok.a_b"),
            e(codes::INVALID_MAPPING, "BadKeys", "us east"),
            e(codes::INVALID_MAPPING, "Empty", ""),
            e(codes::INVALID_MAPPING, "Flat", "a"),
            e(codes::INVALID_MAPPING, "List", ""),
            e(codes::INVALID_MAPPING, "Nulls", "top.Ami"),
            e(codes::INVALID_MAPPING, "Wide", ""),
        ]
    );
}

#[test]
fn conditions_on_resources_and_bad_arity_are_sf027_and_rules_sf019() {
    let app = App::new();
    let mut s = app.stack("c");
    let q = s.add_raw("Q", queue());
    let env = s.parameter("Env", Parameter::string().allowed_values(["dev", "prod"]));
    s.condition("OnQueue", fns::equals(q.reference(), "x"));
    s.condition("Single", fns::and([fns::equals(env.clone(), "dev")]));
    s.condition(
        "Eleven",
        fns::or((0..11).map(|i| fns::equals(env.clone(), format!("v{i}")))),
    );
    s.rule(
        "Lonely",
        Rule::new().assert(fns::or([fns::equals(env.clone(), "dev")]), "dev only"),
    );
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_RULE, "Lonely", "Assertions[0].Assert"),
            e(codes::INVALID_CONDITION, "Eleven", ""),
            e(codes::INVALID_CONDITION, "OnQueue", "Fn::Equals[0]"),
            e(codes::INVALID_CONDITION, "Single", ""),
        ]
    );
}

#[test]
fn stack_tags_over_50_or_reserved_or_malformed_are_sf029() {
    let app = App::new();
    let mut s = app.stack("t");
    s.add_raw("Q", queue());
    for i in 0..51 {
        s.tag(format!("k{i}"), "v");
    }
    let mut t = app.stack("u");
    t.add_raw("Q", queue());
    t.tag("aws:owner", "me");
    t.tag("AWS:Team", "x");
    t.tag("k".repeat(129), "v");
    t.tag("cost", "v".repeat(257));
    t.tag("bad*key", "v");
    let env = app.environment(
        "prod",
        EnvironmentProps {
            tags: [("aws:cloudformation:stack".to_owned(), "x".to_owned())].into(),
            ..Default::default()
        },
    );
    env.stack("api").add_raw("Q", queue());
    let mut got: Vec<(String, String)> = errors(&app)
        .iter()
        .map(|d| {
            assert_eq!(d.code, codes::INVALID_STACK_TAG, "{d}");
            (
                d.path.stack.clone().unwrap(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    let long = format!("Tags.{}", "k".repeat(129));
    assert_eq!(
        got,
        [
            (
                "prod-api".to_owned(),
                "Tags.aws:cloudformation:stack".to_owned()
            ),
            ("t".into(), "Tags".into()),
            ("u".into(), "Tags.AWS:Team".into()),
            ("u".into(), "Tags.aws:owner".into()),
            ("u".into(), "Tags.bad*key".into()),
            ("u".into(), "Tags.cost".into()),
            ("u".into(), long),
        ]
    );
}

#[test]
fn a_raw_type_no_registry_has_is_sf030_with_the_closest_type() {
    let app = App::new();
    let mut s = app.stack("types");
    s.add_raw("Bucket", Raw::new("AWS::S3::Buckt"));
    s.add_raw("Lower", Raw::new("aws::sqs::queue"));
    s.add_raw("Spaces", Raw::new("Custom::My Thing"));
    s.add_raw("NoType", Raw::new("Bucket"));
    s.add_raw("Gone", Raw::new("AWS::QLDB::Ledger"));
    // Allowed: custom resources, third-party and private registry types, modules.
    s.add_raw("Custom", Raw::new("Custom::Seeder"));
    s.add_raw("ThirdParty", Raw::new("Acme::Billing::Invoice"));
    s.add_raw("Module", Raw::new("Acme::Network::Vpc::MODULE"));
    s.add_raw("Skill", Raw::new("Alexa::ASK::Skill"));
    let errs = errors(&app);
    let got: Vec<(String, String)> = {
        let mut v: Vec<_> = errs
            .iter()
            .map(|d| {
                assert_eq!(d.code, codes::UNKNOWN_RESOURCE_TYPE, "{d}");
                assert_eq!(d.path.property.as_deref(), Some("Type"));
                (d.path.logical_id.clone().unwrap(), d.help.clone())
            })
            .collect();
        v.sort();
        v
    };
    let ids: Vec<&str> = got.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(
        ids,
        ["Bucket", "Gone", "Lower", "NoType", "Spaces"],
        "{errs:#?}"
    );
    assert!(got[0].1.contains("`AWS::S3::Bucket`"), "{}", got[0].1);
    assert!(got[2].1.contains("`AWS::SQS::Queue`"), "{}", got[2].1);
    let gone = errs
        .iter()
        .find(|d| d.path.logical_id.as_deref() == Some("Gone"))
        .unwrap();
    assert!(gone.message.contains("shut down"), "{gone}");
}

#[test]
fn parameter_shapes_are_sf015() {
    let app = App::new();
    let mut s = app.stack("p");
    s.add_raw("Q", queue());
    s.parameter("Vpc", Parameter::aws("AWS::EC2::VPC::Idd"));
    s.parameter("Ami", Parameter::ssm("AWS::EC2::Image::Idd"));
    s.parameter("Count", Parameter::integer().allowed_pattern("[0-9]+"));
    s.parameter("Name", Parameter::string().range(Some(1.0), Some(3.0)));
    s.parameter("Long", Parameter::string().description("d".repeat(4001)));
    s.parameter("Subnets", Parameter::aws_list("AWS::EC2::Subnet::Id"));
    s.parameter("Image", Parameter::ssm("AWS::EC2::Image::Id"));
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_PARAMETER, "Ami", "Type"),
            e(codes::INVALID_PARAMETER, "Count", "AllowedPattern"),
            e(codes::INVALID_PARAMETER, "Long", "Description"),
            e(codes::INVALID_PARAMETER, "Name", "MinValue"),
            e(codes::INVALID_PARAMETER, "Vpc", "Type"),
        ]
    );
}

#[test]
fn a_cross_stack_get_att_hidden_in_a_json_value_is_sf033() {
    let app = App::new();
    let mut shared = app.stack("shared");
    let topic = shared.add_raw("Alerts", Raw::new("AWS::SNS::Topic"));
    let mut svc = app.stack("svc");
    svc.add_raw(
        "Policy",
        Raw::new("AWS::SQS::QueuePolicy").prop(
            "PolicyDocument",
            fns::json(json!({"Statement": [{"Resource": {"Fn::GetAtt": ["Alerts", "TopicArn"]}}]})),
        ),
    );
    svc.add_raw("Q", queue().prop("Name", fns::json(json!({"Ref": "Nope"}))));
    svc.add_raw(
        "Q2",
        queue().prop(
            "Name",
            fns::json(json!({"Fn::Sub": "${Nope2}-${AWS::Region}-${!Literal}"})),
        ),
    );
    svc.add_raw(
        "Q3",
        queue().prop(
            "Name",
            fns::json(json!({"Fn::If": ["NoCondition", "a", "b"]})),
        ),
    );
    svc.add_raw(
        "Q4",
        queue().prop(
            "Name",
            fns::json(json!({"Fn::FindInMap": ["NoMap", "a", "b"]})),
        ),
    );
    let errs = errors(&app);
    assert_eq!(
        found(&app),
        [
            e(
                codes::UNKNOWN_REFERENCE,
                "Policy",
                "Properties.PolicyDocument.Statement[0].Resource"
            ),
            e(codes::UNKNOWN_REFERENCE, "Q", "Properties.Name"),
            e(codes::UNKNOWN_REFERENCE, "Q2", "Properties.Name"),
            e(codes::UNKNOWN_REFERENCE, "Q3", "Properties.Name"),
            e(codes::UNKNOWN_REFERENCE, "Q4", "Properties.Name"),
        ]
    );
    let policy = errs
        .iter()
        .find(|d| d.path.logical_id.as_deref() == Some("Policy"))
        .unwrap();
    assert!(policy.help.contains("stack `shared`"), "{policy}");
    // The typed way works: the handle becomes an export and an import.
    let _ = topic;
}

#[test]
fn schedule_alarm_and_port_rules_beyond_the_schemas() {
    let app = App::new();
    let mut s = app.stack("rules");
    s.add_raw(
        "Every5",
        Raw::new("AWS::Events::Rule").prop("ScheduleExpression", "rate(5 minute)"),
    );
    s.add_raw(
        "Daily",
        Raw::new("AWS::Events::Rule").prop("ScheduleExpression", "cron(0 12 * * * *)"),
    );
    s.add_raw(
        "Fine",
        Raw::new("AWS::Events::Rule").prop("ScheduleExpression", "rate(1 hour)"),
    );
    s.add_raw(
        "Odd",
        Raw::new("AWS::CloudWatch::Alarm")
            .prop("MetricName", "CPUUtilization")
            .prop("Period", 45),
    );
    s.add_raw(
        "Blind",
        Raw::new("AWS::CloudWatch::Alarm").prop("Period", 60),
    );
    let mut rule = ec2::SecurityGroupIngress::new("tcp");
    rule.group_id = Some("sg-0123456789abcdef0".into());
    rule.cidr_ip = Some("10.0.0.0/8".into());
    rule.from_port = Some(70_000.into());
    rule.to_port = Some(70_000.into());
    s.add("Wide", rule);
    assert_eq!(
        found(&app),
        [
            e(
                codes::INVALID_SCHEDULE,
                "Daily",
                "Properties.ScheduleExpression"
            ),
            e(
                codes::INVALID_SCHEDULE,
                "Every5",
                "Properties.ScheduleExpression"
            ),
            e(codes::INVALID_ALARM, "Blind", "Properties.MetricName"),
            e(codes::INVALID_ALARM, "Odd", "Properties.Period"),
            e(codes::INVALID_PORT_RANGE, "Wide", "Properties.FromPort"),
            e(codes::INVALID_PORT_RANGE, "Wide", "Properties.ToPort"),
        ]
    );
}

#[test]
fn literal_secrets_in_templates_are_sf032_by_value_and_by_name() {
    let app = App::new();
    let mut s = app.stack("leaky");
    s.add_raw(
        "Fn",
        Raw::new("AWS::Lambda::Function").prop(
            "Environment",
            json!({"Variables": {
                "DB_PASS": "hunter2",
                "DATABASE_URL": "postgres://app:hunter2@db/app",
                "GITHUB": "ghp_0123456789abcdefghijABCDEFGHIJ012345",
                "DB_HOST": "db.internal",
                "SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
            }}),
        ),
    );
    s.parameter(
        "DbPassword",
        Parameter::string().no_echo().default_value("changeme"),
    );
    s.output("Key", Output::new("AKIAIOSFODNN7EXAMPLE"));
    assert_eq!(
        found(&app),
        [
            e(codes::SECRET_IN_TEMPLATE, "DbPassword", "Default"),
            e(
                codes::SECRET_IN_TEMPLATE,
                "Fn",
                "Properties.Environment.Variables.DATABASE_URL"
            ),
            e(
                codes::SECRET_IN_TEMPLATE,
                "Fn",
                "Properties.Environment.Variables.DB_PASS"
            ),
            e(
                codes::SECRET_IN_TEMPLATE,
                "Fn",
                "Properties.Environment.Variables.GITHUB"
            ),
            e(codes::SECRET_IN_TEMPLATE, "Key", "Value"),
        ]
    );
    // The message never repeats the secret.
    for d in errors(&app) {
        assert!(!d.to_string().contains("hunter2"), "{d}");
    }
}

#[test]
fn service_rules_the_schemas_do_not_express_are_sf037() {
    let app = App::new();
    let mut s = app.stack("svc");
    let r = |t: &str| Raw::new(t);
    s.add_raw(
        "OnDemand",
        r("AWS::DynamoDB::Table")
            .prop("BillingMode", "PAY_PER_REQUEST")
            .prop(
                "ProvisionedThroughput",
                json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}),
            ),
    );
    s.add_raw(
        "Provisioned",
        r("AWS::DynamoDB::Table").prop("KeySchema", json!([])),
    );
    s.add_raw(
        "Monitored",
        r("AWS::RDS::DBInstance").prop("MonitoringInterval", 60),
    );
    s.add_raw(
        "Keyed",
        r("AWS::RDS::DBInstance")
            .prop("KmsKeyId", "alias/db")
            .prop("StorageEncrypted", false),
    );
    s.add_raw(
        "Group",
        r("AWS::AutoScaling::AutoScalingGroup")
            .prop("MinSize", "3")
            .prop("MaxSize", "1"),
    );
    s.add_raw(
        "Desired",
        r("AWS::AutoScaling::AutoScalingGroup")
            .prop("MinSize", "1")
            .prop("MaxSize", "2")
            .prop("DesiredCapacity", "5"),
    );
    s.add_raw(
        "Task",
        r("AWS::ECS::TaskDefinition").prop(
            "ContainerDefinitions",
            json!([{"Name": "a", "Image": "nginx", "Essential": false}]),
        ),
    );
    s.add_raw(
        "Daemon",
        r("AWS::ECS::Service")
            .prop("LaunchType", "FARGATE")
            .prop("SchedulingStrategy", "DAEMON"),
    );
    s.add_raw(
        "Alb",
        r("AWS::ElasticLoadBalancingV2::LoadBalancer").prop("Subnets", json!(["subnet-0a1b2c3d"])),
    );
    s.add_raw(
        "Fn",
        r("AWS::Lambda::Function").prop(
            "Environment",
            json!({"Variables": {"AWS_REGION": "eu-west-1", "BIG": "x".repeat(5000)}}),
        ),
    );
    s.add_raw(
        "Fifo",
        r("AWS::SQS::Queue")
            .prop("FifoQueue", true)
            .prop("QueueName", "orders"),
    );
    s.add_raw(
        "Dedup",
        r("AWS::SQS::Queue").prop("ContentBasedDeduplication", true),
    );
    let c = codes::CONFLICTING_PROPERTIES;
    assert_eq!(
        found(&app),
        [
            e(c, "Alb", "Properties.Subnets"),
            e(c, "Daemon", "Properties.SchedulingStrategy"),
            e(c, "Dedup", "Properties.ContentBasedDeduplication"),
            e(c, "Desired", "Properties.DesiredCapacity"),
            e(c, "Fifo", "Properties.QueueName"),
            e(c, "Fn", "Properties.Environment.Variables"),
            e(c, "Fn", "Properties.Environment.Variables.AWS_REGION"),
            e(c, "Group", "Properties.MaxSize"),
            e(c, "Keyed", "Properties.StorageEncrypted"),
            e(c, "Monitored", "Properties.MonitoringRoleArn"),
            e(c, "OnDemand", "Properties.ProvisionedThroughput"),
            e(c, "Provisioned", "Properties.ProvisionedThroughput"),
            e(c, "Task", "Properties.ContainerDefinitions"),
        ]
    );
}
