//! The corpus of issue 12: bad inputs across the public API (and the CLI), each asserting its
//! code and its path (stack, logical ID, property), and that the first line a user sees
//! names them and the fix. A case that passes silently, panics or reports another code fails
//! the test, with every failing case listed.

use std::collections::BTreeMap;

use serde_json::json;
use stackforge::cfn::{ec2, ecr, logs};
use stackforge::cli::{exit, run_from, NoOptions};
use stackforge::diag::codes as core;
use stackforge::value::dynamic;
use stackforge::{
    fns, App, Code, Diagnostic, EnvironmentProps, Expr, Output, Parameter, Raw, Rule, Scope, Val,
};
use stackforge_modules::codes as sfm;
use stackforge_modules::container_repository::{ContainerRepository, ContainerRepositoryProps};
use stackforge_modules::existing::{CertificateRef, ExistingSecurityGroup, SecretRef};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::table::{GlobalIndex, Table, TableProps};

type Build = Box<dyn Fn(&mut Scope<'_>)>;

/// One bad input: what it is, the code, and where (logical ID and property; the stack is `c`
/// unless the case names another).
struct Case {
    name: String,
    code: Code,
    stack: &'static str,
    id: String,
    prop: String,
    build: Build,
}

fn case(
    name: impl Into<String>,
    code: Code,
    id: &str,
    prop: &str,
    build: impl Fn(&mut Scope<'_>) + 'static,
) -> Case {
    Case {
        name: name.into(),
        code,
        stack: "c",
        id: id.to_owned(),
        prop: prop.to_owned(),
        build: Box::new(build),
    }
}

fn in_stack(mut c: Case, stack: &'static str) -> Case {
    c.stack = stack;
    c
}

fn anchor(s: &mut Scope<'_>) {
    s.add_raw("Anchor", Raw::new("AWS::SQS::Queue"));
}

fn raw(s: &mut Scope<'_>, id: &str, r: Raw) {
    s.add_raw(id, r);
}

fn web(image: &str) -> ServiceProps {
    ServiceProps {
        image: image.into(),
        container_port: 8080,
        health_check_path: "/health".into(),
        ..Default::default()
    }
}

fn service(s: &mut Scope<'_>, props: ServiceProps) {
    let n = Network::new(s, "Net", NetworkProps::default());
    let c = Cluster::new(s, "Cluster");
    LoadBalancedFargateService::new(s, "Web", &n, &c, props);
}

fn database(s: &mut Scope<'_>, props: PostgresProps) {
    let n = Network::new(s, "Net", NetworkProps::default());
    PostgresDatabase::new(s, "Db", &n, props);
}

fn network(s: &mut Scope<'_>, props: NetworkProps) {
    Network::new(s, "Net", props);
}

fn schedule_cases() -> Vec<Case> {
    [
        "rate(5 minute)",
        "rate(1 minutes)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(5)",
        "rate(five minutes)",
        "rate(2 weeks)",
        "every 5 minutes",
        "cron(0 12 * * * *)",
        "cron(0 12 ? * ? *)",
        "cron(0 12 * *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 32 * ? *)",
        "cron(0 12 ? 13 * *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 ? * MON#6 *)",
        "cron(0 12 * * ? 1969)",
        "cron(0/0 12 * * ? *)",
    ]
    .into_iter()
    .map(|expr| {
        case(
            format!("schedule `{expr}`"),
            core::INVALID_SCHEDULE,
            "Rule",
            "Properties.ScheduleExpression",
            move |s| {
                raw(
                    s,
                    "Rule",
                    Raw::new("AWS::Events::Rule").prop("ScheduleExpression", expr),
                )
            },
        )
    })
    .collect()
}

fn alarm_cases() -> Vec<Case> {
    let mut v: Vec<Case> = [0, 15, 45, 59, 61, 90, 100]
        .into_iter()
        .map(|p| {
            case(
                format!("alarm period {p}"),
                core::INVALID_ALARM,
                "Alarm",
                "Properties.Period",
                move |s| {
                    raw(
                        s,
                        "Alarm",
                        Raw::new("AWS::CloudWatch::Alarm")
                            .prop("MetricName", "Errors")
                            .prop("Period", p),
                    )
                },
            )
        })
        .collect();
    v.push(case(
        "alarm without a metric",
        core::INVALID_ALARM,
        "Alarm",
        "Properties.MetricName",
        |s| {
            raw(
                s,
                "Alarm",
                Raw::new("AWS::CloudWatch::Alarm").prop("Period", 60),
            )
        },
    ));
    v.push(case(
        "alarm with two metrics",
        core::INVALID_ALARM,
        "Alarm",
        "Properties.Metrics",
        |s| {
            raw(
                s,
                "Alarm",
                Raw::new("AWS::CloudWatch::Alarm")
                    .prop("MetricName", "Errors")
                    .prop(
                        "Metrics",
                        json!([{"Id": "m1", "Expression": "SUM(METRICS())"}]),
                    ),
            )
        },
    ));
    v.push(case("metric math period 45", core::INVALID_ALARM, "Alarm", "Properties.Metrics[0].MetricStat.Period", |s| {
        raw(
            s,
            "Alarm",
            Raw::new("AWS::CloudWatch::Alarm").prop(
                "Metrics",
                json!([{"Id": "m1", "MetricStat": {"Period": 45, "Stat": "Sum", "Metric": {"MetricName": "E"}}}]),
            ),
        )
    }));
    v
}

fn ingress(protocol: &str, from: i64, to: i64) -> ec2::SecurityGroupIngress {
    let mut r = ec2::SecurityGroupIngress::new(protocol);
    r.group_id = Some("sg-0123456789abcdef0".into());
    r.cidr_ip = Some("10.0.0.0/8".into());
    r.from_port = Some(from.into());
    r.to_port = Some(to.into());
    r
}

fn port_cases() -> Vec<Case> {
    let mut v = vec![
        case(
            "tcp port 70000",
            core::INVALID_PORT_RANGE,
            "Rule",
            "Properties.ToPort",
            |s| {
                s.add("Rule", ingress("tcp", 80, 70_000));
            },
        ),
        case(
            "tcp port -1",
            core::INVALID_PORT_RANGE,
            "Rule",
            "Properties.FromPort",
            |s| {
                s.add("Rule", ingress("tcp", -1, 80));
            },
        ),
        case(
            "udp range backwards",
            core::INVALID_PORT_RANGE,
            "Rule",
            "Properties.ToPort",
            |s| {
                s.add("Rule", ingress("udp", 500, 400));
            },
        ),
        case(
            "icmp type 300",
            core::INVALID_PORT_RANGE,
            "Rule",
            "Properties.FromPort",
            |s| {
                s.add("Rule", ingress("icmp", 300, 0));
            },
        ),
        case(
            "all traffic with a port",
            core::INVALID_PORT_RANGE,
            "Rule",
            "Properties.FromPort",
            |s| {
                s.add("Rule", ingress("-1", 80, -1));
            },
        ),
    ];
    v.push(case(
        "inline group rule port 65536",
        core::INVALID_PORT_RANGE,
        "Group",
        "Properties.SecurityGroupIngress[0].FromPort",
        |s| {
            let mut i = ec2::security_group::Ingress::new("tcp");
            i.from_port = Some(65_536.into());
            i.to_port = Some(65_535.into());
            i.cidr_ip = Some("10.0.0.0/8".into());
            s.add(
                "Group",
                ec2::SecurityGroup {
                    security_group_ingress: Some(vec![i]),
                    ..ec2::SecurityGroup::new("g")
                },
            );
        },
    ));
    v
}

fn type_cases() -> Vec<Case> {
    [
        "AWS::S3::Buckt",
        "AWS::EC2::Instnce",
        "aws::sqs::queue",
        "AWS::S3",
        "Bucket",
        "Custom::",
        "Custom::my thing",
        "AWS::QLDB::Ledger",
        "Acme::Billing::Invoice::Extra",
        "Acme::Bill ing::Invoice",
        "AWS::Serverless::Function",
    ]
    .into_iter()
    .map(|t| {
        case(
            format!("type `{t}`"),
            core::UNKNOWN_RESOURCE_TYPE,
            "R",
            "Type",
            move |s| raw(s, "R", Raw::new(t)),
        )
    })
    .collect()
}

fn tag_cases() -> Vec<Case> {
    let mut v: Vec<Case> = [
        ("aws:owner", "me"),
        ("AWS:Team", "x"),
        ("bad*key", "v"),
        ("key", "bad\u{0}value"),
        ("cost", &*"v".repeat(257)),
        ("", "empty"),
    ]
    .into_iter()
    .map(|(k, v)| {
        let (k, v) = (k.to_owned(), v.to_owned());
        case(
            format!("stack tag `{}`", k.escape_debug()),
            core::INVALID_STACK_TAG,
            "",
            &format!("Tags.{k}"),
            move |s| {
                anchor(s);
                s.tag(k.clone(), v.clone());
            },
        )
    })
    .collect();
    v.push(case(
        "a 129-character tag key",
        core::INVALID_STACK_TAG,
        "",
        &format!("Tags.{}", "k".repeat(129)),
        |s| {
            anchor(s);
            s.tag("k".repeat(129), "v");
        },
    ));
    v.push(case(
        "51 stack tags",
        core::INVALID_STACK_TAG,
        "",
        "Tags",
        |s| {
            anchor(s);
            for i in 0..51 {
                s.tag(format!("k{i}"), "v");
            }
        },
    ));
    v.push(in_stack(
        case(
            "an environment tag with aws:",
            core::INVALID_STACK_TAG,
            "",
            "Tags.aws:env",
            |s| {
                let env = s.app().environment(
                    "prod",
                    EnvironmentProps {
                        tags: [("aws:env".to_owned(), "x".to_owned())].into(),
                        ..Default::default()
                    },
                );
                env.stack("api").add_raw("Q", Raw::new("AWS::SQS::Queue"));
                anchor(s);
            },
        ),
        "prod-api",
    ));
    v
}

fn mapping_cases() -> Vec<Case> {
    let wide_top: serde_json::Map<String, serde_json::Value> = (0..201)
        .map(|i| (format!("k{i}"), json!({"v": i})))
        .collect();
    let wide_second: serde_json::Map<String, serde_json::Value> =
        (0..201).map(|i| (format!("v{i}"), json!(i))).collect();
    let list: Vec<(&str, serde_json::Value, &str)> = vec![
        ("flat", json!({"a": "b"}), "a"),
        ("a list", json!(["a"]), ""),
        ("a string", json!("a"), ""),
        ("null", serde_json::Value::Null, ""),
        ("empty", json!({}), ""),
        ("empty second level", json!({"a": {}}), "a"),
        (
            "a space in a top key",
            json!({"us east": {"A": "x"}}),
            "us east",
        ),
        (
            "an underscore in a second key",
            json!({"top": {"a_b": "x"}}),
            "top.a_b",
        ),
        ("a null value", json!({"top": {"A": null}}), "top.A"),
        ("an object value", json!({"top": {"A": {"x": 1}}}), "top.A"),
        ("201 top keys", serde_json::Value::Object(wide_top), ""),
        (
            "201 second keys",
            json!({"top": serde_json::Value::Object(wide_second)}),
            "top",
        ),
    ];
    list.into_iter()
        .map(|(what, m, at)| {
            case(
                format!("mapping: {what}"),
                core::INVALID_MAPPING,
                "Map",
                at,
                move |s| {
                    anchor(s);
                    s.mapping("Map", m.clone());
                },
            )
        })
        .collect()
}

fn condition_and_rule_cases() -> Vec<Case> {
    vec![
        case(
            "condition on a resource Ref",
            core::INVALID_CONDITION,
            "Cond",
            "Fn::Equals[0]",
            |s| {
                let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.condition("Cond", fns::equals(q.reference(), "x"));
            },
        ),
        case(
            "condition on a GetAtt",
            core::INVALID_CONDITION,
            "Cond",
            "Fn::Equals[1]",
            |s| {
                let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.condition("Cond", fns::equals::<String>("x", q.get_att("Arn")));
            },
        ),
        case(
            "condition on an import",
            core::INVALID_CONDITION,
            "Cond",
            "Fn::Equals[0]",
            |s| {
                anchor(s);
                s.condition(
                    "Cond",
                    fns::equals::<String>(fns::import_value("shared:Vpc"), "x"),
                );
            },
        ),
        case("Fn::And of one", core::INVALID_CONDITION, "Cond", "", |s| {
            anchor(s);
            s.condition(
                "Cond",
                fns::and([fns::equals::<String>(fns::import_value::<String>("x"), "y")]),
            );
        }),
        case(
            "Fn::Or of eleven",
            core::INVALID_CONDITION,
            "Cond",
            "",
            |s| {
                anchor(s);
                let p = s.parameter("Env", Parameter::string());
                s.condition(
                    "Cond",
                    fns::or((0..11).map(|i| fns::equals(p.clone(), format!("v{i}")))),
                );
            },
        ),
        case(
            "rule with no assertion",
            core::INVALID_RULE,
            "Check",
            "Assertions",
            |s| {
                anchor(s);
                s.rule("Check", Rule::new());
            },
        ),
        case("rule on a resource", core::INVALID_RULE, "Check", "", |s| {
            let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
            s.rule(
                "Check",
                Rule::new().assert(fns::equals(q.reference(), "x"), "no"),
            );
        }),
        case(
            "rule Fn::And of one",
            core::INVALID_RULE,
            "Check",
            "Assertions[0].Assert",
            |s| {
                anchor(s);
                let p = s.parameter("Env", Parameter::string());
                s.rule(
                    "Check",
                    Rule::new().assert(fns::and([fns::equals(p, "dev")]), "dev"),
                );
            },
        ),
    ]
}

fn output_cases() -> Vec<Case> {
    vec![
        case(
            "secret dynamic reference as output",
            core::INVALID_OUTPUT,
            "Pw",
            "Value",
            |s| {
                let secret = s.add_raw("Secret", Raw::new("AWS::SecretsManager::Secret"));
                s.output(
                    "Pw",
                    Output::new(dynamic::secrets_manager(
                        secret.reference(),
                        Some("password"),
                    )),
                );
            },
        ),
        case(
            "ssm-secure as output",
            core::INVALID_OUTPUT,
            "Pin",
            "Value",
            |s| {
                anchor(s);
                s.output(
                    "Pin",
                    Output::new(dynamic::ssm_secure("/prod/pin", Some(2))),
                );
            },
        ),
        case("a list output", core::INVALID_OUTPUT, "Azs", "Value", |s| {
            anchor(s);
            s.output("Azs", Output::new(fns::get_azs()));
        }),
        case(
            "a split output",
            core::INVALID_OUTPUT,
            "Parts",
            "Value",
            |s| {
                anchor(s);
                s.output("Parts", Output::new(fns::split(",", "a,b")));
            },
        ),
        case(
            "a literal list output",
            core::INVALID_OUTPUT,
            "Names",
            "Value",
            |s| {
                anchor(s);
                s.output(
                    "Names",
                    Output::new(Val::<stackforge::List<String>>::from(vec!["a", "b"])),
                );
            },
        ),
        case(
            "a 1,025-byte output description",
            core::INVALID_OUTPUT,
            "Out",
            "Description",
            |s| {
                anchor(s);
                s.output("Out", Output::new("x").description("d".repeat(1025)));
            },
        ),
        case(
            "a 256-character output id",
            core::INVALID_LOGICAL_ID,
            &"O".repeat(256),
            "",
            |s| {
                anchor(s);
                s.output(&"O".repeat(256), Output::new("x"));
            },
        ),
        case(
            "export name equal to a generated one",
            core::INVALID_EXPORT,
            "Mine",
            "",
            |s| {
                let mut prod = s.app().stack("prod");
                let t = prod.add_raw("T", Raw::new("AWS::SQS::Queue"));
                s.add_raw(
                    "Uses",
                    Raw::new("AWS::SQS::Queue").prop("Peer", t.reference()),
                );
                s.output("Mine", Output::new("x").export_as("prod:T"));
            },
        ),
        case(
            "export name with a space",
            core::INVALID_EXPORT,
            "Out",
            "",
            |s| {
                anchor(s);
                s.output("Out", Output::new("x").export_as("my export"));
            },
        ),
        case(
            "export name used twice",
            core::INVALID_EXPORT,
            "B",
            "",
            |s| {
                anchor(s);
                s.output("A", Output::new("x").export_as("shared-name"));
                s.output("B", Output::new("y").export_as("shared-name"));
            },
        ),
        case(
            "export name of 256 characters",
            core::INVALID_EXPORT,
            "Out",
            "Export.Name",
            |s| {
                anchor(s);
                s.output("Out", Output::new("x").export_as("e".repeat(256)));
            },
        ),
    ]
}

fn parameter_cases() -> Vec<Case> {
    vec![
        case(
            "AWS-specific type misspelt",
            core::INVALID_PARAMETER,
            "P",
            "Type",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::aws("AWS::EC2::VPC::Idd"));
            },
        ),
        case(
            "SSM type misspelt",
            core::INVALID_PARAMETER,
            "P",
            "Type",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::ssm("AWS::EC2::Image::Idd"));
            },
        ),
        case(
            "list of a wrong type",
            core::INVALID_PARAMETER,
            "P",
            "Type",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::aws_list("AWS::EC2::Subnet::Ids"));
            },
        ),
        case(
            "Number with AllowedPattern",
            core::INVALID_PARAMETER,
            "P",
            "AllowedPattern",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::number().allowed_pattern("[0-9]+"));
            },
        ),
        case(
            "Number with MaxLength",
            core::INVALID_PARAMETER,
            "P",
            "AllowedPattern",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::integer().length(None, Some(3)));
            },
        ),
        case(
            "String with MinValue",
            core::INVALID_PARAMETER,
            "P",
            "MinValue",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::string().range(Some(1.0), None));
            },
        ),
        case(
            "a 4,001-character description",
            core::INVALID_PARAMETER,
            "P",
            "Description",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::string().description("d".repeat(4001)));
            },
        ),
        case(
            "a 4,097-character default",
            core::INVALID_PARAMETER,
            "P",
            "Default",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::string().default_value("d".repeat(4097)));
            },
        ),
        case(
            "a 4,097-character allowed value",
            core::INVALID_PARAMETER,
            "P",
            "AllowedValues",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::string().allowed_values(["d".repeat(4097)]));
            },
        ),
        case(
            "MaxLength 5000",
            core::INVALID_PARAMETER,
            "P",
            "MaxLength",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::string().length(None, Some(5000)));
            },
        ),
        case(
            "default not allowed",
            core::INVALID_PARAMETER,
            "P",
            "Default",
            |s| {
                anchor(s);
                s.parameter(
                    "P",
                    Parameter::string()
                        .allowed_values(["a", "b"])
                        .default_value("c"),
                );
            },
        ),
        case(
            "min above max",
            core::INVALID_PARAMETER,
            "P",
            "MinValue",
            |s| {
                anchor(s);
                s.parameter("P", Parameter::number().range(Some(5.0), Some(1.0)));
            },
        ),
    ]
}

fn reference_cases() -> Vec<Case> {
    let list: Vec<(&str, serde_json::Value)> = vec![
        ("Ref to nothing", json!({"Ref": "Nope"})),
        ("GetAtt to nothing", json!({"Fn::GetAtt": ["Nope", "Arn"]})),
        ("GetAtt string form", json!({"Fn::GetAtt": "Nope.Arn"})),
        (
            "GetAtt of a parameter",
            json!({"Fn::GetAtt": ["Env", "Arn"]}),
        ),
        ("Sub naming nothing", json!({"Fn::Sub": "${Nope}-x"})),
        (
            "Sub attribute of nothing",
            json!({"Fn::Sub": "${Nope.Arn}"}),
        ),
        (
            "Sub variable list without it",
            json!({"Fn::Sub": ["${A}-${B}", {"A": "x"}]}),
        ),
        ("If on no condition", json!({"Fn::If": ["Nope", "a", "b"]})),
        (
            "FindInMap of no mapping",
            json!({"Fn::FindInMap": ["Nope", "a", "b"]}),
        ),
        (
            "Ref deep inside a policy",
            json!({"Statement": [{"Resource": [{"Ref": "Nope"}]}]}),
        ),
    ];
    let mut v: Vec<Case> = list
        .into_iter()
        .map(|(what, j)| {
            case(
                format!("raw JSON: {what}"),
                core::UNKNOWN_REFERENCE,
                "Q",
                "Properties.P",
                move |s| {
                    s.parameter("Env", Parameter::string());
                    s.add_raw(
                        "Q",
                        Raw::new("AWS::SQS::Queue").prop("P", fns::json(j.clone())),
                    );
                },
            )
        })
        .collect();
    // The path goes to the intrinsic itself.
    v.last_mut().unwrap().prop = "Properties.P.Statement[0].Resource[0]".into();
    v.push(case(
        "a hand-written Ref built with json!",
        core::UNKNOWN_REFERENCE,
        "Q",
        "Properties.P",
        |s| {
            s.add_raw(
                "Q",
                Raw::new("AWS::SQS::Queue").prop("P", stackforge::json!({"Ref": "Nope"})),
            );
        },
    ));
    v.push(case(
        "a hand-written GetAtt in an override",
        core::UNKNOWN_REFERENCE,
        "Q",
        "Properties.P.Q",
        |s| {
            let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
            s.override_property(
                q,
                &["P", "Q"],
                stackforge::json!({"Fn::GetAtt": ["Nope", "Arn"]}),
            );
        },
    ));
    v.push(case(
        "a cross-stack GetAtt hidden in raw JSON",
        core::UNKNOWN_REFERENCE,
        "Q",
        "Properties.P",
        |s| {
            s.app()
                .stack("shared")
                .add_raw("Topic", Raw::new("AWS::SNS::Topic"));
            s.add_raw(
                "Q",
                Raw::new("AWS::SQS::Queue")
                    .prop("P", fns::json(json!({"Fn::GetAtt": ["Topic", "TopicArn"]}))),
            );
        },
    ));
    v
}

fn deep_and_number_cases() -> Vec<Case> {
    vec![
        case(
            "a million nested joins",
            core::VALUE_TOO_DEEP,
            "Q",
            "Properties.P",
            |s| {
                let mut v: Val<String> = "x".into();
                for _ in 0..1_000_000 {
                    v = fns::join(",", vec![v]);
                }
                raw(s, "Q", Raw::new("AWS::SQS::Queue").prop("P", v));
            },
        ),
        case(
            "a raw list 10,000 deep",
            core::VALUE_TOO_DEEP,
            "Q",
            &format!("Properties.P{}", "[0]".repeat(99)),
            |s| {
                let mut e = Expr::Null;
                for _ in 0..10_000 {
                    e = Expr::List(vec![e]);
                }
                raw(s, "Q", Raw::new("AWS::SQS::Queue").prop("P", e));
            },
        ),
        case(
            "deep JSON",
            core::VALUE_TOO_DEEP,
            "Q",
            "Properties.P",
            |s| {
                let mut j = serde_json::Value::Null;
                for _ in 0..1_000 {
                    j = serde_json::Value::Array(vec![j]);
                }
                raw(s, "Q", Raw::new("AWS::SQS::Queue").prop("P", fns::json(j)));
            },
        ),
        case(
            "NaN in a raw property",
            core::NON_FINITE_NUMBER,
            "Q",
            "Properties.P",
            |s| {
                raw(
                    s,
                    "Q",
                    Raw::new("AWS::SQS::Queue").prop("P", Val::<f64>::from(f64::NAN)),
                );
            },
        ),
        case(
            "infinity in an output",
            core::NON_FINITE_NUMBER,
            "Out",
            "Value",
            |s| {
                anchor(s);
                s.output("Out", Output::new(Val::<f64>::from(f64::INFINITY)));
            },
        ),
        case(
            "-infinity in an override",
            core::NON_FINITE_NUMBER,
            "Q",
            "Properties.P",
            |s| {
                let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.override_property(q, &["P"], Expr::Num(f64::NEG_INFINITY));
            },
        ),
        case(
            "NaN inside an Fn::If",
            core::NON_FINITE_NUMBER,
            "Q",
            "Properties.P.Fn::If[1]",
            |s| {
                let p = s.parameter("Env", Parameter::string().allowed_values(["a", "b"]));
                let c = s.condition("IsA", fns::equals(p, "a"));
                raw(
                    s,
                    "Q",
                    Raw::new("AWS::SQS::Queue").prop("P", fns::if_::<f64>(&c, 1.0, f64::NAN)),
                );
            },
        ),
    ]
}

fn override_cases() -> Vec<Case> {
    fn tagged() -> logs::LogGroup {
        logs::LogGroup {
            log_group_name: Some("app".into()),
            tags: Some(vec![stackforge::Tag::new("a", "b")]),
            ..Default::default()
        }
    }
    let list: Vec<(&str, Vec<&'static str>, bool)> = vec![
        ("index out of range", vec!["Tags", "3", "Value"], true),
        ("index not a number", vec!["Tags", "x", "Value"], true),
        ("negative index", vec!["Tags", "-1"], true),
        ("through a string", vec!["LogGroupName", "x"], true),
        ("delete out of range", vec!["Tags", "1"], false),
        (
            "into a tag's string value",
            vec!["Tags", "0", "Value", "x"],
            true,
        ),
    ];
    let mut v: Vec<Case> = list
        .into_iter()
        .map(|(what, path, set)| {
            let prop = format!("Properties.{}", path.join("."));
            case(
                format!("override {what}"),
                core::INVALID_OVERRIDE,
                "Logs",
                &prop,
                move |s| {
                    let g = s.add("Logs", tagged());
                    if set {
                        s.override_property(g, &path, json!("x"));
                    } else {
                        s.delete_property(g, &path);
                    }
                },
            )
        })
        .collect();
    v.push(case(
        "override with an empty key",
        core::INVALID_OVERRIDE,
        "Logs",
        "Properties.Tags.",
        |s| {
            let g = s.add("Logs", tagged());
            s.override_property(g, &["Tags", ""], json!("x"));
        },
    ));
    v
}

fn secret_cases() -> Vec<Case> {
    // (A Lambda function may not set AWS_SECRET_ACCESS_KEY at all: that is SF037, so the
    // Lambda cases use another name for a secret key.)
    let env: Vec<(&str, &str)> = vec![
        ("DB_PASS", "hunter2"),
        ("DATABASE_URL", "postgres://app:hunter2@db/app"),
        ("GITHUB_TOKEN", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
        ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("STRIPE", "sk_live_0123456789abcdefghijklmn"),
        ("SLACK_HOOK", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
        ("SESSION", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ];
    let mut v: Vec<Case> = env
        .iter()
        .map(|(k, val)| {
            let k = k.replace("AWS_SECRET", "S3_SECRET");
            let (k, val) = (k.to_string(), val.to_string());
            case(
                format!("Lambda environment {k}"),
                core::SECRET_IN_TEMPLATE,
                "Fn",
                &format!("Properties.Environment.Variables.{k}"),
                move |s| {
                    raw(
                        s,
                        "Fn",
                        Raw::new("AWS::Lambda::Function").prop(
                            "Environment",
                            json!({"Variables": {k.clone(): val.clone()}}),
                        ),
                    )
                },
            )
        })
        .collect();
    v.extend(env.iter().map(|(k, val)| {
        let (k, val) = (k.to_string(), val.to_string());
        case(
            format!("container environment {k}"),
            sfm::SECRET_IN_ENVIRONMENT,
            "WebTaskDefinition",
            "Properties.ContainerDefinitions[0].Environment[0]",
            move |s| {
                let mut p = web("nginx:1.27");
                p.environment = vec![(k.clone(), val.clone().into())];
                service(s, p);
            },
        )
    }));
    v.push(case(
        "a private key in metadata",
        core::SECRET_IN_TEMPLATE,
        "Q",
        "Metadata.Key",
        |s| {
            let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
            s.set_metadata(
                q,
                "Key",
                json!("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            );
        },
    ));
    v.push(case(
        "a password parameter default",
        core::SECRET_IN_TEMPLATE,
        "DbPassword",
        "Default",
        |s| {
            anchor(s);
            s.parameter(
                "DbPassword",
                Parameter::string().no_echo().default_value("changeme"),
            );
        },
    ));
    v.push(case(
        "an access key output",
        core::SECRET_IN_TEMPLATE,
        "Key",
        "Value",
        |s| {
            anchor(s);
            s.output("Key", Output::new("AKIAIOSFODNN7EXAMPLE"));
        },
    ));
    v.push(case(
        "a token in a mapping",
        core::SECRET_IN_TEMPLATE,
        "Map",
        "prod.Token",
        |s| {
            anchor(s);
            s.mapping(
                "Map",
                json!({"prod": {"Token": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}}),
            );
        },
    ));
    v.push(case(
        "a key in a tag value",
        core::SECRET_IN_TEMPLATE,
        "Q",
        "Properties.Tags[0]",
        |s| {
            raw(
                s,
                "Q",
                Raw::new("AWS::SQS::Queue").prop(
                    "Tags",
                    json!([{"Key": "deploy_token", "Value": "abc123def"}]),
                ),
            );
        },
    ));
    v
}

fn service_rule_cases() -> Vec<Case> {
    let list: Vec<(&str, Raw, &str)> = vec![
        (
            "on-demand table with throughput",
            Raw::new("AWS::DynamoDB::Table")
                .prop("BillingMode", "PAY_PER_REQUEST")
                .prop(
                    "ProvisionedThroughput",
                    json!({"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}),
                ),
            "Properties.ProvisionedThroughput",
        ),
        (
            "provisioned table without throughput",
            Raw::new("AWS::DynamoDB::Table").prop(
                "KeySchema",
                json!([{"AttributeName": "id", "KeyType": "HASH"}]),
            ),
            "Properties.ProvisionedThroughput",
        ),
        (
            "RDS monitoring without a role",
            Raw::new("AWS::RDS::DBInstance").prop("MonitoringInterval", 60),
            "Properties.MonitoringRoleArn",
        ),
        (
            "RDS role without monitoring",
            Raw::new("AWS::RDS::DBInstance")
                .prop("MonitoringInterval", 0)
                .prop("MonitoringRoleArn", "arn:aws:iam::123456789012:role/m"),
            "Properties.MonitoringRoleArn",
        ),
        (
            "KMS key on unencrypted storage",
            Raw::new("AWS::RDS::DBCluster").prop("KmsKeyId", "alias/k"),
            "Properties.StorageEncrypted",
        ),
        (
            "ASG min above max",
            Raw::new("AWS::AutoScaling::AutoScalingGroup")
                .prop("MinSize", "4")
                .prop("MaxSize", "2"),
            "Properties.MaxSize",
        ),
        (
            "ASG desired above max",
            Raw::new("AWS::AutoScaling::AutoScalingGroup")
                .prop("MinSize", "1")
                .prop("MaxSize", "2")
                .prop("DesiredCapacity", "3"),
            "Properties.DesiredCapacity",
        ),
        (
            "no essential container",
            Raw::new("AWS::ECS::TaskDefinition").prop(
                "ContainerDefinitions",
                json!([{"Name": "a", "Image": "nginx", "Essential": "false"}]),
            ),
            "Properties.ContainerDefinitions",
        ),
        (
            "Fargate DAEMON service",
            Raw::new("AWS::ECS::Service")
                .prop("LaunchType", "FARGATE")
                .prop("SchedulingStrategy", "DAEMON"),
            "Properties.SchedulingStrategy",
        ),
        (
            "ALB in one subnet",
            Raw::new("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .prop("Subnets", json!(["subnet-0a1b2c3d"])),
            "Properties.Subnets",
        ),
        (
            "Lambda reserved variable",
            Raw::new("AWS::Lambda::Function")
                .prop("Environment", json!({"Variables": {"AWS_REGION": "x"}})),
            "Properties.Environment.Variables.AWS_REGION",
        ),
        (
            "FIFO queue name",
            Raw::new("AWS::SQS::Queue")
                .prop("FifoQueue", true)
                .prop("QueueName", "jobs"),
            "Properties.QueueName",
        ),
        (
            "standard queue named .fifo",
            Raw::new("AWS::SQS::Queue").prop("QueueName", "jobs.fifo"),
            "Properties.QueueName",
        ),
    ];
    list.into_iter()
        .map(|(what, r, prop)| {
            case(what, core::CONFLICTING_PROPERTIES, "R", prop, move |s| {
                raw(s, "R", r.clone())
            })
        })
        .collect()
}

fn core_cases() -> Vec<Case> {
    vec![
        in_stack(
            case(
                "stack name with a space",
                core::INVALID_STACK_NAME,
                "",
                "",
                |s| {
                    s.app()
                        .stack("bad name")
                        .add_raw("Q", Raw::new("AWS::SQS::Queue"));
                    anchor(s);
                },
            ),
            "bad name",
        ),
        case(
            "duplicate logical ID",
            core::DUPLICATE_LOGICAL_ID,
            "Q",
            "",
            |s| {
                s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
            },
        ),
        case(
            "logical ID with a dash",
            core::INVALID_LOGICAL_ID,
            "my-queue",
            "",
            |s| {
                s.add_raw("my-queue", Raw::new("AWS::SQS::Queue"));
            },
        ),
        case(
            "logical ID over 255",
            core::INVALID_LOGICAL_ID,
            &"Q".repeat(256),
            "",
            |s| {
                s.add_raw(&"Q".repeat(256), Raw::new("AWS::SQS::Queue"));
            },
        ),
        case("resource cycle", core::RESOURCE_CYCLE, "A", "", |s| {
            let a = s.add_raw("A", Raw::new("AWS::SQS::Queue"));
            let b = s.add_raw(
                "B",
                Raw::new("AWS::SQS::Queue").prop("P", a.get_att::<String>("Arn")),
            );
            s.override_property(a, &["P"], b.get_att::<String>("Arn"));
        }),
        case(
            "DependsOn another App",
            core::FOREIGN_APP,
            "Q",
            "DependsOn",
            |s| {
                // A handle is an id: it outlives the app it came from.
                let other = App::new();
                let f = other.stack("o").add_raw("F", Raw::new("AWS::SQS::Queue"));
                let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.depends_on(q, f);
            },
        ),
        case(
            "condition of another App",
            core::FOREIGN_APP,
            "Q",
            "Condition",
            |s| {
                let other = App::new();
                let c = other
                    .stack("o")
                    .condition("C", fns::equals::<String>("a", "b"));
                let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue"));
                s.set_condition(q, &c);
            },
        ),
        in_stack(
            case("empty stack", core::EMPTY_STACK, "", "", |s| {
                s.app().stack("empty");
                anchor(s);
            }),
            "empty",
        ),
        case(
            "action without a service",
            core::INVALID_POLICY,
            "",
            "",
            |s| {
                let r = s.add_raw("Role", Raw::new("AWS::IAM::Role"));
                s.grant(
                    &stackforge::GrantRole {
                        name: r.reference(),
                        label: String::new(),
                    },
                    [stackforge::policy::Statement::allow()
                        .action("GetObject")
                        .resource("*")],
                );
            },
        ),
        case(
            "pinned account of 11 digits",
            core::INVALID_ENVIRONMENT,
            "",
            "",
            |s| {
                anchor(s);
                s.pin_environment("12345678901", "eu-west-1");
            },
        ),
        case(
            "description over 1,024 bytes",
            core::DESCRIPTION_TOO_LONG,
            "",
            "Description",
            |s| {
                anchor(s);
                s.set_description("d".repeat(1025));
            },
        ),
        case(
            "typed string too long",
            core::STRING_LENGTH,
            "Repo",
            "Properties.RepositoryName",
            |s| {
                s.add(
                    "Repo",
                    ecr::Repository {
                        repository_name: Some("r".repeat(300).into()),
                        ..Default::default()
                    },
                );
            },
        ),
        case(
            "typed number out of range",
            core::NUMBER_RANGE,
            "Key",
            "Properties.PendingWindowInDays",
            |s| {
                s.add(
                    "Key",
                    stackforge::cfn::kms::Key {
                        pending_window_in_days: Some(3.into()),
                        ..Default::default()
                    },
                );
            },
        ),
    ]
}

fn pattern_cases() -> Vec<Case> {
    let mut v: Vec<Case> = [
        "224.0.0.0/16",
        "8.8.0.0/16",
        "127.0.0.0/16",
        "10.0.0.0/8",
        "10.0.0.1/16",
        "banana",
        "10.0.0.0/33",
    ]
    .into_iter()
    .map(|cidr| {
        case(
            format!("VPC CIDR `{cidr}`"),
            sfm::INVALID_CIDR,
            "NetVpc",
            "Properties.CidrBlock",
            move |s| {
                network(
                    s,
                    NetworkProps {
                        cidr: cidr.into(),
                        ..Default::default()
                    },
                )
            },
        )
    })
    .collect();
    v.push(case(
        "az_count 0",
        sfm::INVALID_NETWORK,
        "NetVpc",
        "",
        |s| {
            network(
                s,
                NetworkProps {
                    az_count: 0,
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "overlapping explicit subnets",
        sfm::INVALID_CIDR,
        "NetPublicSubnet1",
        "Properties.CidrBlock",
        |s| {
            network(
                s,
                NetworkProps {
                    public_subnet_cidrs: Some(vec!["10.0.0.0/24".into(), "10.0.0.128/25".into()]),
                    ..Default::default()
                },
            )
        },
    ));
    v.extend(
        [
            "UPPER case/BAD IMAGE::tag",
            "Nginx",
            "nginx:",
            "nginx@sha256:abc",
            "repo//name",
            "my_-repo",
        ]
        .into_iter()
        .map(|image| {
            case(
                format!("image `{image}`"),
                sfm::INVALID_IMAGE_REFERENCE,
                "WebTaskDefinition",
                "Properties.ContainerDefinitions[0].Image",
                move |s| service(s, web(image)),
            )
        }),
    );
    v.push(case(
        "empty image",
        sfm::INVALID_CONTAINER,
        "WebTaskDefinition",
        "Properties.ContainerDefinitions[0].Image",
        |s| service(s, web("")),
    ));
    v.push(case(
        "no health check path",
        sfm::MISSING_HEALTH_CHECK_PATH,
        "WebTargetGroup",
        "Properties.HealthCheckPath",
        |s| {
            service(
                s,
                ServiceProps {
                    health_check_path: String::new(),
                    ..web("nginx:1.27")
                },
            )
        },
    ));
    v.push(case(
        "Fargate 256 CPU with 4096 MiB",
        sfm::INVALID_FARGATE_SIZE,
        "WebTaskDefinition",
        "Properties.Memory",
        |s| {
            service(
                s,
                ServiceProps {
                    cpu: 256.into(),
                    memory_mib: 4096.into(),
                    ..web("nginx:1.27")
                },
            )
        },
    ));
    v.push(case(
        "TLS 1.0 listener policy",
        sfm::WEAK_TLS_POLICY,
        "WebHttpsListener",
        "Properties.SslPolicy",
        |s| {
            let cert =
                CertificateRef::from_arn(s, "arn:aws:acm:eu-west-1:123456789012:certificate/abc");
            service(
                s,
                ServiceProps {
                    certificate: Some(cert),
                    ssl_policy: "ELBSecurityPolicy-2016-08".into(),
                    ..web("nginx:1.27")
                },
            )
        },
    ));
    v.push(case(
        "db.banana",
        sfm::INVALID_DATABASE,
        "DbInstance",
        "Properties.DBInstanceClass",
        |s| {
            database(
                s,
                PostgresProps {
                    instance_class: "db.banana".into(),
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "200,000 GiB",
        sfm::INVALID_DATABASE,
        "DbInstance",
        "Properties.AllocatedStorage",
        |s| {
            database(
                s,
                PostgresProps {
                    allocated_storage_gib: 200_000.into(),
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "0 days of backups",
        sfm::INVALID_DATABASE,
        "DbInstance",
        "Properties.BackupRetentionPeriod",
        |s| {
            database(
                s,
                PostgresProps {
                    backup_retention_days: 0.into(),
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "database name with a dash",
        sfm::INVALID_DATABASE,
        "DbInstance",
        "Properties.DBName",
        |s| {
            database(
                s,
                PostgresProps {
                    database_name: "my-db".into(),
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "engine 9.6",
        sfm::UNKNOWN_ENGINE_VERSION,
        "DbInstance",
        "Properties.EngineVersion",
        |s| {
            database(
                s,
                PostgresProps {
                    engine_version: "9.6".into(),
                    ..Default::default()
                },
            )
        },
    ));
    v.push(case(
        "security group with 9 hex digits",
        sfm::INVALID_IMPORT,
        "Shared",
        "GroupId",
        |s| {
            anchor(s);
            ExistingSecurityGroup::from_id(s, "Shared", "sg-123456789");
        },
    ));
    v.push(case(
        "secret name with a space",
        sfm::INVALID_IMPORT,
        "ExistingSecret",
        "SecretName",
        |s| {
            anchor(s);
            SecretRef::from_name(s, "my secret");
        },
    ));
    v.push(case(
        "certificate ARN of IAM",
        sfm::INVALID_IMPORT,
        "Certificate",
        "CertificateArn",
        |s| {
            anchor(s);
            CertificateRef::from_arn(s, "arn:aws:iam::123456789012:role/x");
        },
    ));
    v.push(case(
        "cache node type",
        sfm::INVALID_NODE_TYPE,
        "CacheReplicationGroup",
        "Properties.CacheNodeType",
        |s| {
            let n = Network::new(s, "Net", NetworkProps::default());
            RedisCache::new(
                s,
                "Cache",
                &n,
                RedisCacheProps {
                    node_type: "cache.banana".into(),
                    ..Default::default()
                },
            );
        },
    ));
    v.push(case(
        "index on an undeclared attribute",
        sfm::UNDECLARED_KEY,
        "OrdersTable",
        "Properties.GlobalSecondaryIndexes[0].KeySchema[0].AttributeName",
        |s| {
            Table::new(
                s,
                "Orders",
                TableProps {
                    global_indexes: vec![GlobalIndex {
                        name: "ByX".into(),
                        partition_key: "x".into(),
                        sort_key: None,
                    }],
                    ..Default::default()
                },
            );
        },
    ));
    v.push(case(
        "repository name in upper case",
        sfm::INVALID_REPOSITORY,
        "ImagesRepository",
        "Properties.RepositoryName",
        |s| {
            ContainerRepository::new(
                s,
                "Images",
                ContainerRepositoryProps {
                    repository_name: Some("Images".into()),
                    ..Default::default()
                },
            );
        },
    ));
    v
}

fn all_cases() -> Vec<Case> {
    let mut v = Vec::new();
    v.extend(schedule_cases());
    v.extend(alarm_cases());
    v.extend(port_cases());
    v.extend(type_cases());
    v.extend(tag_cases());
    v.extend(mapping_cases());
    v.extend(condition_and_rule_cases());
    v.extend(output_cases());
    v.extend(parameter_cases());
    v.extend(reference_cases());
    v.extend(deep_and_number_cases());
    v.extend(override_cases());
    v.extend(secret_cases());
    v.extend(service_rule_cases());
    v.extend(core_cases());
    v.extend(pattern_cases());
    v
}

/// Checks one case; `Err` says what went wrong.
fn check(c: &Case) -> Result<(), String> {
    let app = App::new();
    {
        let mut s = app.stack("c");
        (c.build)(&mut s);
    }
    let errs: Vec<Diagnostic> = match app.synth() {
        Ok(_) => return Err("synth succeeded".into()),
        Err(e) => e
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    };
    let others: Vec<String> = errs
        .iter()
        .filter(|d| d.code != c.code)
        .map(ToString::to_string)
        .collect();
    if !others.is_empty() {
        return Err(format!("other codes too:\n    {}", others.join("\n    ")));
    }
    let hit = errs.iter().find(|d| {
        d.path.stack.as_deref() == Some(c.stack)
            && d.path.logical_id.as_deref().unwrap_or("") == c.id
            && d.path.property.as_deref().unwrap_or("") == c.prop
    });
    let Some(d) = hit else {
        return Err(format!(
            "no {} at {}/{}/{}; got:\n    {}",
            c.code,
            c.stack,
            c.id,
            c.prop,
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    };
    // The first line names the stack, the resource, the property and the fix.
    let first = d.to_string();
    let first = first.lines().next().unwrap_or_default();
    let mut want = vec![c.stack.to_owned()];
    want.extend(
        [c.id.clone(), c.prop.clone()]
            .into_iter()
            .filter(|x| !x.is_empty()),
    );
    let place = format!("[{}] {}:", c.code, want.join("/"));
    if !first.contains(&place) || !first.contains("; fix: ") || d.help.trim().is_empty() {
        return Err(format!(
            "the first line does not name the place and the fix: {first}"
        ));
    }
    Ok(())
}

#[test]
fn every_bad_input_gets_its_code_and_path() {
    let cases = all_cases();
    assert!(cases.len() >= 150, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for c in &cases {
        *per_code.entry(c.code.to_string()).or_default() += 1;
        if let Err(why) = check(c) {
            failures.push(format!("{}: {why}", c.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Breadth: the corpus reaches many codes.
    assert!(per_code.len() >= 40, "{per_code:?}");
}

/// The CLI reports the same problems: `validate --json` lists code and path, `synth` prints
/// the first line and exits with INVALID, and writes nothing.
#[test]
fn the_cli_reports_bad_inputs_with_code_and_path() {
    let cases: Vec<Case> = all_cases()
        .into_iter()
        .filter(|c| c.stack == "c")
        .step_by(12)
        .collect();
    assert!(cases.len() >= 12, "{}", cases.len());
    let dir = crate::synth_output::tempdir("corpus-cli");
    for c in &cases {
        let build = |_: &NoOptions| {
            let app = App::new();
            {
                let mut s = app.stack("c");
                (c.build)(&mut s);
            }
            app
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_from::<NoOptions>(["prog", "validate", "--json"], build, &mut out, &mut err);
        assert_eq!(code, exit::INVALID, "{}", c.name);
        // `--json` prints one event per line (docs/events.schema.json).
        let events: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let v = serde_json::Value::from(events.clone());
        let found = events.iter().any(|d| {
            d["event"] == "diagnostic"
                && d["code"] == c.code.as_str()
                && d["stack"] == c.stack
                && d["logical_id"].as_str().unwrap_or("") == c.id
                && d["property"].as_str().unwrap_or("") == c.prop
        });
        assert!(found, "{}: {v}", c.name);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let target = dir.join("out");
        let code = run_from::<NoOptions>(
            ["prog", "synth", "--out", target.to_str().unwrap()],
            build,
            &mut out,
            &mut err,
        );
        assert_eq!(code, exit::INVALID, "{}", c.name);
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.lines()
                .any(|l| l.contains(&format!("[{}] c/", c.code)) && l.contains("; fix: ")),
            "{}: {err}",
            c.name
        );
        assert!(
            !target.join("manifest.json").exists(),
            "{}: synth wrote output",
            c.name
        );
    }
}
