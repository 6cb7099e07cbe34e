//! The secure-by-default patterns of `stackforge-modules` behind the flagship: Network,
//! security-group wiring, Cluster, LoadBalancedFargateService, PostgresDatabase, existing
//! resources and OneOffTask. Every bad input is a test that matches its `SFM0xx` code.
//!
//! Templates that synthesize are written to `target/cfn-lint/modules/<test>/` for cfn-lint.

use serde_json::json;
use stackforge::testing::Template;
use stackforge::{App, Code, Scope};
use stackforge_modules::codes;
use stackforge_modules::existing::{existing_vpc, ExistingSecurityGroup, SecretRef};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, OneOffTask, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{ForceSsl, PostgresDatabase, PostgresProps};

use crate::common::write_for_lint;

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// A service that is valid as given; tests change one thing.
fn web_props() -> ServiceProps {
    ServiceProps {
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        container_port: 8080,
        health_check_path: "/health".into(),
        ..Default::default()
    }
}

/// GIVEN a network, a cluster, a database and a service built with these props.
fn app_with(
    net_props: NetworkProps,
    db_props: PostgresProps,
    web: ServiceProps,
    extra: impl FnOnce(&mut Scope<'_>, &Network, &LoadBalancedFargateService, &PostgresDatabase),
) -> App {
    let app = App::new();
    let mut s = app.stack("patterns");
    let net = Network::new(&mut s, "Net", net_props);
    let cluster = Cluster::new(&mut s, "Cluster");
    let db = PostgresDatabase::new(&mut s, "Db", &net, db_props);
    let svc = LoadBalancedFargateService::new(&mut s, "Web", &net, &cluster, web);
    db.allow_from(&mut s, &svc);
    extra(&mut s, &net, &svc, &db);
    app
}

fn web_app(web: ServiceProps) -> App {
    app_with(
        NetworkProps::default(),
        PostgresProps::default(),
        web,
        |_, _, _, _| {},
    )
}

/// WHEN it is synthesized THEN it fails with exactly these codes, at these logical IDs.
fn assert_fails(app: &App, code: Code, logical_id: &str) {
    let err = app.synth().expect_err("synth should fail");
    assert_eq!(err.codes(), vec![code], "{err}");
    assert!(
        err.diagnostics()
            .iter()
            .any(|d| d.code == code && d.path.logical_id.as_deref() == Some(logical_id)),
        "no {code} at {logical_id}: {err}"
    );
}

fn synth_ok(app: &App, lint_name: &str) -> Template {
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    write_for_lint(&a, "modules", lint_name);
    Template::from_json(a.stacks[0].template.clone())
}

// ---- bad input: one test per error ----

#[test]
fn invalid_fargate_cpu_memory_pair_is_sfm001() {
    for (cpu, mem) in [(256, 4096), (512, 512), (300, 1024), (8192, 18432)] {
        let app = web_app(ServiceProps {
            cpu: cpu.into(),
            memory_mib: mem.into(),
            ..web_props()
        });
        assert_fails(&app, codes::INVALID_FARGATE_SIZE, "WebTaskDefinition");
    }
}

#[test]
fn missing_health_check_path_is_sfm002() {
    for path in ["", "healthcheck", "/has space"] {
        let app = web_app(ServiceProps {
            health_check_path: path.into(),
            ..web_props()
        });
        assert_fails(&app, codes::MISSING_HEALTH_CHECK_PATH, "WebTargetGroup");
    }
}

#[test]
fn container_port_differing_from_target_group_is_sfm003() {
    let app = web_app(ServiceProps {
        target_group_port: Some(80),
        ..web_props()
    });
    assert_fails(&app, codes::PORT_MISMATCH, "WebTargetGroup");
    // the same port is fine (and redundant)
    let app = web_app(ServiceProps {
        target_group_port: Some(8080),
        ..web_props()
    });
    synth_ok(&app, "same-target-group-port");
}

#[test]
fn secret_as_plain_environment_value_is_sfm004() {
    // a dynamic reference would be resolved into the task definition in plain text
    synth_ok(&web_app(web_props()), "secret-env-baseline");
    let mut props = web_props();
    props.environment = vec![(
        "DB_PASSWORD".into(),
        stackforge::dynamic::secrets_manager("prod/db", Some("password")),
    )];
    assert_fails(
        &web_app(props),
        codes::SECRET_IN_ENVIRONMENT,
        "WebTaskDefinition",
    );
    // seed 002's `VTT_DBPASSWORD=changeme`
    let mut props = web_props();
    props.environment = vec![("VTT_DBPASSWORD".into(), "changeme".into())];
    assert_fails(
        &web_app(props),
        codes::SECRET_IN_ENVIRONMENT,
        "WebTaskDefinition",
    );
    // an SSM SecureString reference too
    let mut props = web_props();
    props.environment = vec![(
        "TOKEN_FILE".into(),
        stackforge::dynamic::ssm_secure("/app/token", None),
    )];
    assert_fails(
        &web_app(props),
        codes::SECRET_IN_ENVIRONMENT,
        "WebTaskDefinition",
    );
}

#[test]
fn overlapping_subnet_cidrs_are_sfm005() {
    let app = app_with(
        NetworkProps {
            public_subnet_cidrs: Some(vec!["10.0.0.0/24".into(), "10.0.1.0/24".into()]),
            private_subnet_cidrs: Some(vec!["10.0.0.128/25".into(), "10.0.32.0/20".into()]),
            ..Default::default()
        },
        PostgresProps::default(),
        web_props(),
        |_, _, _, _| {},
    );
    assert_fails(&app, codes::INVALID_CIDR, "NetPublicSubnet1");
}

#[test]
fn out_of_vpc_subnet_cidr_is_sfm005() {
    let app = app_with(
        NetworkProps {
            private_subnet_cidrs: Some(vec!["10.1.16.0/20".into(), "10.0.32.0/20".into()]),
            ..Default::default()
        },
        PostgresProps::default(),
        web_props(),
        |_, _, _, _| {},
    );
    assert_fails(&app, codes::INVALID_CIDR, "NetPrivateSubnet1");
}

#[test]
fn malformed_or_too_small_vpc_cidr_is_sfm005() {
    for cidr in ["10.0.0.1/16", "10.0.0.0/8", "not-a-cidr"] {
        let app = app_with(
            NetworkProps {
                cidr: cidr.into(),
                ..Default::default()
            },
            PostgresProps::default(),
            web_props(),
            |_, _, _, _| {},
        );
        assert_fails(&app, codes::INVALID_CIDR, "NetVpc");
    }
    // a /24 VPC cannot hold two /20 private subnets (the patterns that need subnets then
    // report their own consequences, under another code)
    let app = app_with(
        NetworkProps {
            cidr: "10.0.0.0/24".into(),
            ..Default::default()
        },
        PostgresProps::default(),
        web_props(),
        |_, _, _, _| {},
    );
    let err = app.synth().unwrap_err();
    assert!(
        err.diagnostics().iter().any(
            |d| d.code == codes::INVALID_CIDR && d.path.logical_id.as_deref() == Some("NetVpc")
        ),
        "{err}"
    );
}

#[test]
fn unknown_or_deprecated_engine_version_is_sfm006() {
    for v in ["14.12", "17", "16.4", "9.6.22", "17.99"] {
        let app = app_with(
            NetworkProps::default(),
            PostgresProps {
                engine_version: v.into(),
                ..Default::default()
            },
            web_props(),
            |_, _, _, _| {},
        );
        assert_fails(&app, codes::UNKNOWN_ENGINE_VERSION, "DbInstance");
    }
}

#[test]
fn desired_count_above_max_capacity_is_sfm007() {
    let app = web_app(ServiceProps {
        desired_count: 7.into(),
        max_capacity: 6.into(),
        ..web_props()
    });
    assert_fails(&app, codes::INVALID_CAPACITY, "WebService");
    let app = web_app(ServiceProps {
        min_capacity: 4.into(),
        max_capacity: 3.into(),
        desired_count: 3.into(),
        ..web_props()
    });
    let err = app.synth().unwrap_err();
    assert_eq!(err.codes(), vec![codes::INVALID_CAPACITY]);
}

#[test]
fn every_problem_is_reported_at_once() {
    // GIVEN four mistakes WHEN synthesized THEN all four codes come back together
    let app = app_with(
        NetworkProps {
            private_subnet_cidrs: Some(vec!["10.1.0.0/20".into(), "10.0.32.0/20".into()]),
            ..Default::default()
        },
        PostgresProps {
            engine_version: "14.12".into(),
            ..Default::default()
        },
        ServiceProps {
            cpu: 256.into(),
            memory_mib: 8192.into(),
            health_check_path: String::new(),
            ..web_props()
        },
        |_, _, _, _| {},
    );
    let err = app.synth().unwrap_err();
    assert_eq!(
        err.codes(),
        vec![
            codes::INVALID_FARGATE_SIZE,
            codes::MISSING_HEALTH_CHECK_PATH,
            codes::INVALID_CIDR,
            codes::UNKNOWN_ENGINE_VERSION,
        ]
    );
}

// ---- behaviour ----

#[test]
fn single_nat_routes_every_private_subnet_through_one_gateway_and_flow_logs_can_be_off() {
    let app = app_with(
        NetworkProps {
            single_nat: true,
            flow_logs: false,
            az_count: 3,
            ..Default::default()
        },
        PostgresProps::default(),
        web_props(),
        |_, _, _, _| {},
    );
    let t = synth_ok(&app, "single-nat-3az");
    ok(t.resource_count_is("AWS::EC2::NatGateway", 1));
    ok(t.resource_count_is("AWS::EC2::Subnet", 6));
    ok(t.resource_count_is("AWS::EC2::FlowLog", 0));
    for n in 1..=3 {
        let r = t.resource(&format!("NetPrivateRoute{n}")).unwrap();
        assert_eq!(
            r["Properties"]["NatGatewayId"],
            json!({"Ref": "NetNatGateway1"})
        );
    }
    ok(t.has_resource_properties("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.2.0/24"})));
    ok(t.has_resource_properties("AWS::EC2::Subnet", json!({"CidrBlock": "10.0.48.0/20"})));
}

#[test]
fn flow_log_role_may_write_only_its_own_group() {
    let t = synth_ok(&web_app(web_props()), "defaults");
    ok(t.has_resource_properties(
        "AWS::EC2::FlowLog",
        json!({"ResourceId": {"Ref": "NetVpc"}, "ResourceType": "VPC", "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs", "LogGroupName": {"Ref": "NetFlowLogGroup"},
            "DeliverLogsPermissionArn": {"Fn::GetAtt": ["NetFlowLogRole", "Arn"]}}),
    ));
    let role = t.resource("NetFlowLogRole").unwrap();
    assert_eq!(
        role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
        json!({"Fn::GetAtt": ["NetFlowLogGroup", "Arn"]})
    );
    ok(t.has_resource_properties("AWS::Logs::LogGroup", json!({"RetentionInDays": 365})));
}

#[test]
fn database_defaults_force_ssl_on_and_a_reasonless_off_is_refused() {
    let t = synth_ok(&web_app(web_props()), "db-defaults");
    ok(t.has_resource_properties(
        "AWS::RDS::DBParameterGroup",
        json!({"Family": "postgres17", "Parameters": {"rds.force_ssl": "1"}}),
    ));
    let app = app_with(
        NetworkProps::default(),
        PostgresProps {
            force_ssl: ForceSsl::Off { reason: " ".into() },
            ..Default::default()
        },
        web_props(),
        |_, _, _, _| {},
    );
    assert_fails(&app, codes::INVALID_DATABASE, "DbParameterGroup");
}

#[test]
fn database_typed_accessors() {
    let app = app_with(
        NetworkProps::default(),
        PostgresProps::default(),
        web_props(),
        |s, _, _, db| {
            s.output("Host", stackforge::Output::new(db.endpoint_address()));
            s.output("Port", stackforge::Output::new(db.endpoint_port()));
            s.output("Secret", stackforge::Output::new(db.secret_arn()));
            s.output(
                "PasswordFrom",
                stackforge::Output::new(db.password().value_from),
            );
        },
    );
    let t = synth_ok(&app, "db-accessors");
    ok(t.has_output(
        "Host",
        json!({"Value": {"Fn::GetAtt": ["DbInstance", "Endpoint.Address"]}}),
    ));
    ok(t.has_output(
        "Port",
        json!({"Value": {"Fn::GetAtt": ["DbInstance", "Endpoint.Port"]}}),
    ));
    ok(t.has_output("Secret", json!({"Value": {"Ref": "DbSecret"}})));
    ok(t.has_output(
        "PasswordFrom",
        json!({"Value": {"Fn::Sub": "${DbSecret}:password::"}}),
    ));
}

#[test]
fn secret_imported_by_name_gets_the_suffix_wildcard_in_iam() {
    let app = App::new();
    let mut s = app.stack("imported");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let api_key = SecretRef::from_name(&mut s, "prod/openai");
    let _web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            secrets: vec![("OPENAI_API_KEY".into(), api_key.whole())],
            ..web_props()
        },
    );
    let t = synth_ok(&app, "secret-by-name");
    ok(t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({"ContainerDefinitions": [{"Secrets": [{"Name": "OPENAI_API_KEY",
            "ValueFrom": {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/openai"}}]}]}),
    ));
    let policy = t.resource("WebExecutionRoleDefaultPolicy").unwrap();
    assert_eq!(
        policy["Properties"]["PolicyDocument"]["Statement"][1]["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/openai-??????"})
    );
}

#[test]
fn ecr_image_grants_pull_on_that_repository_only() {
    let repo = "arn:aws:ecr:us-east-1:123456789012:repository/web";
    let app = web_app(ServiceProps {
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1".into(),
        ecr_repository_arn: Some(repo.into()),
        ..web_props()
    });
    let t = synth_ok(&app, "ecr-image");
    let st = &t.resource("WebExecutionRoleDefaultPolicy").unwrap()["Properties"]["PolicyDocument"]
        ["Statement"];
    assert!(st
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["Sid"] == "PullImage" && s["Resource"] == repo));
    assert!(st
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["Action"] == "ecr:GetAuthorizationToken"));
    // without secrets there is no secrets statement at all
    assert!(!st.to_string().contains("secretsmanager"));
}

#[test]
fn existing_vpc_and_security_group_by_id() {
    let app = App::new();
    let mut s = app.stack("existing");
    let net = existing_vpc(
        &mut s,
        "vpc-0123456789abcdef0",
        &["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
        &["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    );
    let bastion = ExistingSecurityGroup::from_id(&mut s, "Bastion", "sg-0123456789abcdef0");
    let db = PostgresDatabase::new(&mut s, "Db", &net, PostgresProps::default());
    db.allow_from(&mut s, &bastion);
    let t = synth_ok(&app, "existing-vpc");
    ok(t.resource_count_is("AWS::EC2::VPC", 0));
    ok(t.resource_count_is("AWS::EC2::Subnet", 0));
    ok(t.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        json!({"SubnetIds": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]}),
    ));
    let id = ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({"SourceSecurityGroupId": "sg-0123456789abcdef0", "FromPort": 5432, "ToPort": 5432,
            "Description": "Db: TCP 5432 from Bastion only"}),
    ));
    assert_eq!(id, "DbIngressFromBastion");
    // an existing group does not restrict egress, so no egress rule is added for it
    ok(t.resource_count_is("AWS::EC2::SecurityGroupEgress", 0));

    // malformed IDs are refused
    let app = App::new();
    let mut s = app.stack("bad");
    let net = existing_vpc(&mut s, "vpc-xyz", &["subnet-1"], &["sub-2"]);
    ExistingSecurityGroup::from_id(&mut s, "X", "sg-nothex!");
    stackforge_modules::existing::CertificateRef::from_arn(&mut s, "arn:aws:iam::1:cert/x");
    SecretRef::from_name(&mut s, "has spaces!");
    PostgresDatabase::new(&mut s, "Db", &net, PostgresProps::default());
    let err = app.synth().unwrap_err();
    assert!(err.codes().contains(&codes::INVALID_IMPORT), "{err}");
    let imports = err
        .diagnostics()
        .iter()
        .filter(|d| d.code == codes::INVALID_IMPORT)
        .count();
    assert_eq!(imports, 6, "{err}");
}

#[test]
fn container_mistakes_are_sfm009() {
    // no image
    let app = web_app(ServiceProps {
        image: "".into(),
        ..web_props()
    });
    assert_fails(&app, codes::INVALID_CONTAINER, "WebTaskDefinition");
    // a variable defined twice (as plain and as secret)
    let app = App::new();
    let mut s = app.stack("dup");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let key = SecretRef::from_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            environment: vec![("API_URL".into(), "https://example.com".into())],
            secrets: vec![("API_URL".into(), key.whole())],
            ..web_props()
        },
    );
    assert_fails(&app, codes::INVALID_CONTAINER, "WebTaskDefinition");
}

#[test]
fn one_off_task_needs_a_command() {
    let app = app_with(
        NetworkProps::default(),
        PostgresProps::default(),
        web_props(),
        |s, _, web, _| {
            OneOffTask::new(s, "Migrate", web, vec![]);
        },
    );
    assert_fails(&app, codes::INVALID_CONTAINER, "MigrateTaskDefinition");
}

#[test]
fn pattern_logical_ids_derive_from_the_pattern_id() {
    let app = App::new();
    let s = app.stack("ids");
    let mut inner = s.child("Prod");
    let net = Network::new(
        &mut inner,
        "Net",
        NetworkProps {
            flow_logs: false,
            az_count: 2,
            ..Default::default()
        },
    );
    let db = PostgresDatabase::new(&mut inner, "Db", &net, PostgresProps::default());
    assert_eq!(
        inner.logical_id(db.instance).as_deref(),
        Some("ProdDbInstance")
    );
    assert_eq!(inner.logical_id(db.secret).as_deref(), Some("ProdDbSecret"));
    assert_eq!(inner.logical_id(net.vpc), Some("ProdNetVpc".to_owned()));
    assert_eq!(
        inner.logical_id(net.private_subnets[1]).as_deref(),
        Some("ProdNetPrivateSubnet2")
    );
}
