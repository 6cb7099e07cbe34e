//! Issue 10: patterns that other infrastructure crates can build on. One test (or more) per
//! point a new user ran into; each failed before the change that fixed it.
//!
//! Templates that synthesize are written to `target/cfn-lint/composability/<test>/`.

use serde_json::json;
use stackforge::cfn::iam;
use stackforge::testing::Template;
use stackforge::{fns, App, Assembly, EnvironmentProps, Output, Parameter, Policy, Raw, Val};
use stackforge_modules::codes;
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::refs::{ExistingRole, Grantee};
use stackforge_modules::table::{Attribute, Table, TableProps};

use crate::common::write_for_lint;

fn web_props() -> ServiceProps {
    ServiceProps {
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        container_port: 8080,
        health_check_path: "/health".into(),
        ..Default::default()
    }
}

fn synth(app: &App, lint_name: &str) -> Assembly {
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    write_for_lint(&a, "composability", lint_name);
    a
}

fn template(a: &Assembly, stack: &str) -> Template {
    Template::from_json(
        a.stack(stack)
            .unwrap_or_else(|| panic!("no stack {stack}"))
            .template
            .clone(),
    )
}

fn ecs_role(s: &mut stackforge::Scope<'_>, id: &str) -> stackforge::Handle<iam::Role> {
    s.add(
        id,
        iam::Role::new(stackforge::policy::PolicyDocument::assumed_by_service(
            "ecs-tasks.amazonaws.com",
        )),
    )
}

// 1. A Network from another stack no longer breaks LoadBalancedFargateService.
#[test]
fn a_network_in_another_stack_orders_stacks_instead_of_cross_stack_depends_on() {
    let app = App::new();
    let mut shared = app.stack("network");
    let net = Network::new(&mut shared, "Net", NetworkProps::default());
    let mut api = app.stack("api");
    let cluster = Cluster::new(&mut api, "Cluster");
    LoadBalancedFargateService::new(&mut api, "Web", &net, &cluster, web_props());
    let a = synth(&app, "network-in-another-stack");
    let t = template(&a, "api");
    for (id, r) in t.json()["Resources"].as_object().unwrap() {
        let deps = r
            .get("DependsOn")
            .map(|d| d.to_string())
            .unwrap_or_default();
        assert!(
            !deps.contains("Net"),
            "{id} has a cross-stack DependsOn: {deps}"
        );
    }
    let api_artifact = a.stack("api").unwrap();
    assert_eq!(api_artifact.dependencies, ["network"]);
    assert_eq!(a.stacks[0].name, "network", "the network deploys first");
    // The subnets and VPC come through imports.
    assert!(t.contains_string("network:NetVpc"));
}

#[test]
fn a_remaining_wrong_stack_error_names_both_resources() {
    let app = App::new();
    let mut a = app.stack("a");
    let topic = a.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    let mut b = app.stack("b");
    b.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    b.set_deletion_policy(topic, Policy::Retain);
    let err = app.synth().unwrap_err();
    let d = err
        .diagnostics()
        .iter()
        .find(|d| d.code == stackforge::diag::codes::WRONG_STACK)
        .expect("SF013");
    assert!(d.message.contains("a/Topic"), "{}", d.message);
    assert!(d.message.contains("`b`"), "{}", d.message);
    assert!(d.help.contains("home_of"), "{}", d.help);
}

// 2. JSON that holds references, public: `json!`.
#[test]
fn json_values_hold_references_across_stacks() {
    let app = App::new();
    let mut shared = app.stack("shared");
    let dlq = shared.add_raw("Dlq", Raw::new("AWS::SQS::Queue"));
    let mut work = app.stack("work");
    work.add_raw(
        "Queue",
        Raw::new("AWS::SQS::Queue").prop(
            "RedrivePolicy",
            stackforge::json!({"deadLetterTargetArn": dlq.get_att::<String>("Arn"), "maxReceiveCount": 5}),
        ),
    );
    let a = synth(&app, "json-with-references");
    let t = template(&a, "work");
    assert_eq!(
        t.resource("Queue").unwrap()["Properties"]["RedrivePolicy"],
        json!({"deadLetterTargetArn": {"Fn::ImportValue": "shared:Dlq:Arn"}, "maxReceiveCount": 5})
    );
    assert_eq!(a.stack("work").unwrap().dependencies, ["shared"]);
}

// 3. Grants on any grantee, placed in the grantee's stack.
#[test]
fn a_grant_to_a_role_of_another_stack_lands_in_the_roles_stack() {
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
    let role = ecs_role(&mut api, "Worker");
    let grant = table.grant_read(&mut data, &role);
    assert_eq!(grant.stack, "api");
    assert_eq!(grant.logical_id, "WorkerDefaultPolicy");
    let a = synth(&app, "grant-across-stacks");
    let t = template(&a, "api");
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"Roles": [{"Ref": "Worker"}], "PolicyDocument": {"Statement": [{
            "Action": stackforge_modules::grants::DYNAMODB_READ,
            "Resource": [stackforge::testing::import(&app, table.table, Some("Arn")),
                         stackforge::testing::sub([stackforge::testing::import(&app, table.table, Some("Arn")), json!("/index/*")])]
        }]}}),
    )
    .unwrap();
    assert_eq!(a.stack("api").unwrap().dependencies, ["data"]);
    assert!(a.stack("data").unwrap().dependencies.is_empty());
}

#[test]
fn a_grant_to_an_existing_role_goes_into_the_granting_stack() {
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
    let legacy =
        ExistingRole::from_arn(&data, "Legacy", "arn:aws:iam::123456789012:role/legacy-app");
    table.grant_write(&mut data, &legacy);
    let a = synth(&app, "grant-existing-role");
    let t = template(&a, "data");
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"Roles": ["legacy-app"], "PolicyName": {"Fn::Sub": "${AWS::StackName}-LegacyDefaultPolicy"}}),
    )
    .unwrap();
}

#[test]
fn grants_to_one_role_collect_in_one_policy_and_a_service_waits_for_it() {
    let app = App::new();
    let mut s = app.stack("svc");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(&mut s, "Web", &net, &cluster, web_props());
    for id in ["A", "B"] {
        let t = Table::new(
            &mut s,
            id,
            TableProps {
                partition_key: Attribute::string("id"),
                ..Default::default()
            },
        );
        t.grant_read_write(&mut s, &web);
    }
    let a = synth(&app, "grants-collect");
    let t = template(&a, "svc");
    t.resource_count_is("AWS::IAM::Policy", 2).unwrap(); // execution + task role
    let policy = t.resource("WebTaskRoleDefaultPolicy").unwrap();
    let sids: Vec<&str> = policy["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap())
        .collect();
    // IAM wants unique Sids in one policy (cfn-lint E3510).
    assert_eq!(sids, ["ReadWriteTable", "ReadWriteTable2"]);
    let deps = &t.resource("WebService").unwrap()["DependsOn"];
    assert!(
        deps.as_array()
            .unwrap()
            .contains(&json!("WebTaskRoleDefaultPolicy")),
        "{deps}"
    );
}

#[test]
fn an_invalid_action_in_a_grant_is_an_error() {
    let app = App::new();
    let mut s = app.stack("s");
    let role = ecs_role(&mut s, "Role");
    s.grant(
        &role.grant_role(),
        [stackforge::policy::Statement::allow()
            .action("GetObject")
            .resource("*")],
    );
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [stackforge::diag::codes::INVALID_POLICY]);
}

// 5. Pattern options are values: parameters and conditions reach them without overrides.
#[test]
fn a_parameter_switches_sizes_through_fn_if_without_overrides() {
    let app = App::new();
    let mut s = app.stack("sized");
    let size = s.parameter(
        "Size",
        Parameter::string()
            .allowed_values(["small", "large"])
            .default_value("small"),
    );
    let large = s.condition("Large", fns::equals(size, "large"));
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    PostgresDatabase::new(
        &mut s,
        "Db",
        &net,
        PostgresProps {
            instance_class: fns::if_(&large, "db.m6g.large", "db.t4g.micro"),
            allocated_storage_gib: fns::if_(&large, 50, 20),
            ..Default::default()
        },
    );
    let cluster = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            cpu: fns::if_(&large, 1024, 256),
            memory_mib: fns::if_(&large, 2048, 512),
            desired_count: fns::if_(&large, 4, 2),
            ..web_props()
        },
    );
    let a = synth(&app, "parameter-switches-sizes");
    let t = template(&a, "sized");
    t.has_resource_properties(
        "AWS::RDS::DBInstance",
        json!({"DBInstanceClass": {"Fn::If": ["Large", "db.m6g.large", "db.t4g.micro"]},
               "AllocatedStorage": {"Fn::If": ["Large", "50", "20"]}}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({"Cpu": {"Fn::If": ["Large", "1024", "256"]}, "Memory": {"Fn::If": ["Large", "2048", "512"]}}),
    )
    .unwrap();
    assert!(
        t.json().get("Rules").is_none(),
        "every case is valid: no rule needed"
    );
}

#[test]
fn a_bad_value_in_one_branch_is_an_error_that_names_the_case() {
    let app = App::new();
    let mut s = app.stack("sized");
    let size = s.parameter(
        "Size",
        Parameter::string().allowed_values(["small", "large"]),
    );
    let large = s.condition("Large", fns::equals(size, "large"));
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    PostgresDatabase::new(
        &mut s,
        "Db",
        &net,
        PostgresProps {
            instance_class: fns::if_(&large, "db.banana", "db.t4g.micro"),
            ..Default::default()
        },
    );
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [codes::INVALID_DATABASE]);
    let d = &err.diagnostics()[0];
    assert_eq!(d.path.logical_id.as_deref(), Some("DbInstance"));
    assert!(
        d.message.contains("db.banana") && d.message.contains("Size = large"),
        "{}",
        d.message
    );
}

#[test]
fn independent_parameters_get_a_template_rule_for_the_invalid_combinations() {
    let app = App::new();
    let mut s = app.stack("rules");
    let cpu = s.parameter("Cpu", Parameter::integer().allowed_values(["256", "1024"]));
    let memory = s.parameter(
        "Memory",
        Parameter::integer().allowed_values(["512", "2048"]),
    );
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            cpu,
            memory_mib: memory,
            ..web_props()
        },
    );
    let a = synth(&app, "parameter-rules");
    let t = template(&a, "rules");
    let rules = t.json()["Rules"].as_object().expect("a Rules section");
    // 256 CPU with 512 or 2048 MiB and 1024 with 2048 work; 1024 CPU with 512 MiB does not.
    assert_eq!(rules.len(), 1, "{rules:?}");
    let rule = &rules["WebTaskDefinitionCheck1"];
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        json!({"Fn::Not": [{"Fn::And": [
            {"Fn::Equals": [{"Ref": "Cpu"}, "1024"]},
            {"Fn::Equals": [{"Ref": "Memory"}, "512"]}
        ]}]})
    );
}

#[test]
fn a_value_synth_cannot_enumerate_is_sf021() {
    let app = App::new();
    let mut s = app.stack("open");
    let count = s.parameter("Count", Parameter::integer());
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            desired_count: count,
            ..web_props()
        },
    );
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [stackforge::diag::codes::VALUE_NOT_CHECKABLE]);
    assert_eq!(
        err.diagnostics()[0].path.logical_id.as_deref(),
        Some("WebService")
    );
}

// 6. Nested patterns: one naming rule, no doubled prefixes.
#[test]
fn nested_patterns_name_their_rules_from_full_paths_without_doubling() {
    let app = App::new();
    let s = app.stack("nested");
    let mut api = s.child("Api");
    let net = Network::new(&mut api, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut api, "Cluster");
    let web = LoadBalancedFargateService::new(&mut api, "Web", &net, &cluster, web_props());
    let db = PostgresDatabase::new(&mut api, "Db", &net, PostgresProps::default());
    let cache = RedisCache::new(&mut api, "Cache", &net, RedisCacheProps::default());
    db.allow_from(&mut api, &web);
    cache.allow_from(&mut api, &web);
    let a = synth(&app, "nested-naming");
    let t = template(&a, "nested");
    for id in [
        "ApiDbIngressFromApiWeb",
        "ApiWebEgressToApiDb",
        "ApiCacheIngressFromApiWeb",
        "ApiWebEgressToApiCache",
        "ApiWebServiceIngressFromLoadBalancer",
    ] {
        assert!(t.resource(id).is_some(), "{id} missing");
    }
    assert!(!t.json()["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.contains("ApiApi")));
}

#[test]
fn a_rule_between_stacks_lives_in_the_consumers_stack() {
    let app = App::new();
    let mut data = app.stack("data");
    let net = Network::new(&mut data, "Net", NetworkProps::default());
    let db = PostgresDatabase::new(&mut data, "Db", &net, PostgresProps::default());
    let mut api = app.stack("api");
    let cluster = Cluster::new(&mut api, "Cluster");
    let web = LoadBalancedFargateService::new(&mut api, "Web", &net, &cluster, web_props());
    // Called with the database's scope: the rule still goes where it makes no stack cycle.
    db.allow_from(&mut data, &web);
    let a = synth(&app, "rule-across-stacks");
    let t = template(&a, "api");
    assert!(t.resource("DbIngressFromWeb").is_some());
    assert!(t.resource("WebEgressToDb").is_some());
    assert_eq!(a.stack("api").unwrap().dependencies, ["data"]);
}

// 7. Several stacks open at once (the trybuild pass test is
// codegen/tests/pass/several_stacks_open.rs); here, a grant from one open stack to another.
#[test]
fn several_stacks_stay_open_while_a_grant_crosses_them() {
    let app = App::new();
    let mut a = app.stack("a");
    let mut b = app.stack("b");
    let role = ecs_role(&mut a, "Reader");
    let table = Table::new(
        &mut b,
        "T",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    );
    table.grant_read(&mut b, &role);
    a.output("RoleArn", Output::new(role.attr_arn()));
    b.output("TableName", Output::new(table.table_name()));
    let assembly = synth(&app, "several-open");
    assert!(template(&assembly, "a")
        .resource("ReaderDefaultPolicy")
        .is_some());
}

fn assert_send<T: Send>() {}

#[test]
fn app_is_send() {
    assert_send::<App>();
}

// 8. Environments (stages) in one program, with a shared stack.
fn two_environments() -> App {
    let app = App::new();
    let mut registry = app.stack("registry");
    let repo = registry.add_raw("Repo", Raw::new("AWS::ECR::Repository"));
    for (name, region) in [("dev", "eu-west-1"), ("prod", "eu-west-1")] {
        let env = app.environment(
            name,
            EnvironmentProps {
                account: Some("123456789012".into()),
                region: Some(region.into()),
                ..Default::default()
            },
        );
        let mut s = env.stack("api");
        s.add_raw(
            "Logs",
            Raw::new("AWS::Logs::LogGroup").prop(
                "LogGroupName",
                stackforge::sub!(repo.reference(), "-", name),
            ),
        );
    }
    app
}

#[test]
fn two_environments_share_a_stack_and_get_their_own_manifest_sections() {
    let app = two_environments();
    let a = synth(&app, "two-environments");
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["registry", "dev-api", "prod-api"]);
    assert_eq!(
        a.stack("prod-api").unwrap().environment.as_deref(),
        Some("prod")
    );
    assert_eq!(a.stack("registry").unwrap().environment, None);
    let m = a.manifest();
    assert_eq!(m["environments"][1]["name"], "prod");
    assert_eq!(m["environments"][1]["stacks"], json!(["prod-api"]));
    assert_eq!(m["environments"][0]["region"], "eu-west-1");
    // Both environments import the one registry.
    assert_eq!(a.stack("dev-api").unwrap().dependencies, ["registry"]);
    assert_eq!(a.stack("prod-api").unwrap().dependencies, ["registry"]);
}

#[test]
fn a_reference_across_accounts_is_sf020_with_both_stacks() {
    let app = App::new();
    let a_env = app.environment(
        "dev",
        EnvironmentProps {
            account: Some("111111111111".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        },
    );
    let b_env = app.environment(
        "prod",
        EnvironmentProps {
            account: Some("222222222222".into()),
            region: Some("eu-west-1".into()),
            ..Default::default()
        },
    );
    let mut dev = a_env.stack("data");
    let topic = dev.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    let mut prod = b_env.stack("api");
    prod.add_raw(
        "Sub",
        Raw::new("AWS::SNS::Subscription").prop("TopicArn", topic.reference()),
    );
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [stackforge::diag::codes::CROSS_ENVIRONMENT]);
    let m = &err.diagnostics()[0].message;
    assert!(m.contains("prod-api") && m.contains("dev-data"), "{m}");
}

#[test]
fn an_invalid_environment_is_sf017() {
    let app = App::new();
    app.environment(
        "prod",
        EnvironmentProps {
            account: Some("1234".into()),
            role_arn: Some("not-an-arn".into()),
            ..Default::default()
        },
    )
    .stack("api")
    .add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), [stackforge::diag::codes::INVALID_ENVIRONMENT]);
    assert_eq!(err.diagnostics().len(), 2);
}

#[test]
fn values_fill_options_from_imports_too() {
    // An option that needs no check at synth accepts any value, an import included.
    let app = App::new();
    let mut s = app.stack("imports");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: fns::import_value::<String>("shared-image-uri"),
            ..web_props()
        },
    );
    let a = synth(&app, "values-from-imports");
    let t = template(&a, "imports");
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({"ContainerDefinitions": [{"Image": {"Fn::ImportValue": "shared-image-uri"}}]}),
    )
    .unwrap();
    let _unused: Val<String> = Val::from("keep the import used");
}

#[test]
fn retain_except_on_create_is_a_deletion_policy_only() {
    let app = App::new();
    let mut s = app.stack("p");
    let t = s.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    s.set_policies(t, Policy::RetainExceptOnCreate);
    let a = app.synth().unwrap();
    let r = &a.stacks[0].template["Resources"]["Topic"];
    assert_eq!(r["DeletionPolicy"], "RetainExceptOnCreate");
    assert_eq!(r["UpdateReplacePolicy"], "Retain");
    s.set_update_replace_policy(t, Policy::RetainExceptOnCreate);
    assert_eq!(
        app.synth().unwrap_err().codes(),
        [stackforge::diag::codes::INVALID_POLICY_ATTRIBUTE]
    );
}

#[test]
fn list_and_stack_take_environment_patterns() {
    let run = |args: &[&str]| {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = stackforge::cli::run_from::<stackforge::cli::NoOptions>(
            args.iter().copied(),
            |_| two_environments(),
            &mut out,
            &mut err,
        );
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    };
    let (code, out, err) = run(&["platform", "list", "--stack", "prod/*"]);
    assert_eq!(code, 0, "{err}");
    let listed: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(listed, ["prod-api"], "{out}");
    // A short name that two environments have is ambiguous, and says so.
    let (code, _, err) = run(&["platform", "list", "--stack", "api"]);
    assert_ne!(code, 0);
    assert!(err.contains("prod-api") && err.contains("dev-api"), "{err}");
    // With the environment it is not.
    let (code, out, _) = run(&["platform", "list", "--stack", "dev/api"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("dev-api") && !out.contains("prod-api"),
        "{out}"
    );
}
