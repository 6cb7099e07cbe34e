//! The seed-system patterns: ContainerRepository, RedisCache, Table, Ec2Instance/Ec2Fleet and
//! Ec2CapacityCluster. GIVEN/WHEN/THEN on the synthesized templates; every bad input is a
//! test on its error code and path. Each template a test synthesizes is written to
//! `target/cfn-lint/patterns-seed/<name>/` for the cfn-lint pass of `scripts/test`.

use serde_json::json;
use stackforge::diag::Diagnostic;
use stackforge::testing::Template;
use stackforge::{App, Code, Requirement, Val};
use stackforge_modules::container_repository::{
    self, ContainerRepository, ContainerRepositoryProps,
};
use stackforge_modules::ec2_capacity_cluster::{
    self, Ec2CapacityCluster, Ec2CapacityClusterProps, ECS_OPTIMIZED_AMI_PARAMETER,
};
use stackforge_modules::ec2_instance::{self, Ec2Fleet, Ec2FleetProps, FleetMember, OS_IMAGES};
use stackforge_modules::table::{self, Attribute, GlobalIndex, Table, TableProps};

use crate::common::write_for_lint;

/// Synthesizes, writes the templates for cfn-lint, and returns the stack's template.
fn synth_ok(app: &App, stack: &str, lint_name: &str) -> Template {
    let a = app.synth().unwrap_or_else(|e| panic!("synth failed: {e}"));
    write_for_lint(&a, "patterns-seed", lint_name);
    Template::from_json(a.stack(stack).expect("stack").template.clone())
}

/// The error diagnostics of an app that must fail.
fn errors(app: &App) -> Vec<Diagnostic> {
    match app.synth() {
        Ok(_) => panic!("synth succeeded but an error was expected"),
        Err(e) => e
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    }
}

/// The pattern's error and the schema's check of the same value (both name the property).
fn pattern_and_schema_error(app: &App, code: Code, schema: Code) -> Diagnostic {
    let errs = errors(app);
    let codes: Vec<Code> = errs.iter().map(|d| d.code).collect();
    assert_eq!(codes.len(), 2, "{errs:#?}");
    assert!(
        codes.contains(&code) && codes.contains(&schema),
        "{errs:#?}"
    );
    errs.into_iter().find(|d| d.code == code).expect("present")
}

fn only_error(app: &App, code: Code) -> Diagnostic {
    let errs = errors(app);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, code, "{errs:#?}");
    errs[0].clone()
}

fn vpc() -> Val<String> {
    Val::from("vpc-0123456789abcdef0")
}

fn subnets() -> Vec<Val<String>> {
    vec![
        Val::from("subnet-0123456789abcdef0"),
        Val::from("subnet-0123456789abcdef1"),
    ]
}

fn ecs_task_role(s: &mut stackforge::Scope<'_>) -> stackforge::Handle<stackforge::cfn::iam::Role> {
    s.add(
        "TaskRole",
        stackforge::cfn::iam::Role::new(json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        })),
    )
}

// ---------------------------------------------------------------- ContainerRepository

#[test]
fn container_repository_is_immutable_scanned_encrypted_and_keeps_the_last_n() {
    // GIVEN a repository with the defaults and EmptyOnDelete
    let app = App::new();
    let mut s = app.stack("registry");
    let repo = ContainerRepository::new(
        &mut s,
        "Api",
        ContainerRepositoryProps {
            repository_name: Some("falafel-api".into()),
            empty_on_delete: true,
            ..Default::default()
        },
    );
    // WHEN a role is granted pull and the stack requires a tag
    let role = ecs_task_role(&mut s);
    repo.grant_pull(&mut s, &role);
    let t = synth_ok(&app, "registry", "container-repository");
    // THEN
    t.has_resource_properties(
        "AWS::ECR::Repository",
        json!({
            "RepositoryName": "falafel-api",
            "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": true},
            "EncryptionConfiguration": {"EncryptionType": "KMS"},
            "EmptyOnDelete": true,
        }),
    )
    .unwrap();
    let text = t.resource("ApiRepository").unwrap()["Properties"]["LifecyclePolicy"]
        ["LifecyclePolicyText"]
        .as_str()
        .unwrap()
        .to_owned();
    let policy: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(policy["rules"][0]["selection"]["countNumber"], 20);
    assert_eq!(policy["rules"][0]["action"]["type"], "expire");
    // Pull on exactly this repository; login is the only `*`.
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{"Ref": "TaskRole"}],
            "PolicyDocument": {"Statement": [
                {"Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                 "Resource": {"Fn::GetAtt": ["ApiRepository", "Arn"]}},
                {"Action": "ecr:GetAuthorizationToken", "Resource": "*"}
            ]}
        }),
    )
    .unwrap();
}

#[test]
fn container_repository_image_and_requirement_name_the_tag() {
    let app = App::new();
    let repo = ContainerRepository::new(
        &mut app.stack("registry"),
        "Api",
        ContainerRepositoryProps {
            repository_name: Some("falafel-api".into()),
            ..Default::default()
        },
    );
    let mut s = app.stack("app");
    s.add_raw(
        "Uses",
        stackforge::Raw::new("AWS::SSM::Parameter")
            .prop("Type", Val::<String>::from("String"))
            .prop("Value", repo.image("v1.2.3")),
    );
    repo.require_image(&mut s, "v1.2.3");
    let a = app.synth().unwrap();
    let app_stack = a.stack("app").unwrap();
    assert_eq!(
        app_stack.requirements,
        vec![Requirement::ImageExists {
            repository: "falafel-api".into(),
            tag: "v1.2.3".into(),
            producer: Some("registry".into()),
        }]
    );
    assert_eq!(app_stack.dependencies, vec!["registry".to_owned()]);
}

#[test]
fn container_repository_rejects_a_bad_name_and_a_bad_tag() {
    let app = App::new();
    let mut s = app.stack("registry");
    let repo = ContainerRepository::new(
        &mut s,
        "Api",
        ContainerRepositoryProps {
            repository_name: Some("Falafel API".into()),
            ..Default::default()
        },
    );
    // The schema's pattern (look-ahead, checked since fancy-regex) breaks too, at the same
    // property: the pattern's own error is reported, once.
    let d = only_error(&app, container_repository::INVALID_REPOSITORY);
    assert_eq!(d.path.logical_id.as_deref(), Some("ApiRepository"));
    assert_eq!(
        d.path.property.as_deref(),
        Some("Properties.RepositoryName")
    );

    let app = App::new();
    let mut s = app.stack("registry");
    let repo2 = ContainerRepository::new(
        &mut s,
        "Api",
        ContainerRepositoryProps {
            repository_name: Some("falafel-api".into()),
            ..Default::default()
        },
    );
    repo2.require_image(&mut s, "latest tag with spaces");
    only_error(&app, container_repository::INVALID_IMAGE_REFERENCE);
    let _ = repo;
}

// ---------------------------------------------------------------- RedisCache
mod redis {
    use super::*;
    use stackforge_modules::existing::{existing_vpc, ExistingSecurityGroup};
    use stackforge_modules::redis_cache::{self, RedisCache, RedisCacheProps};
    use stackforge_modules::refs::ExistingVpc;
    fn net(s: &mut stackforge::Scope<'_>) -> ExistingVpc {
        existing_vpc(
            s,
            "vpc-0123456789abcdef0",
            &["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"],
            &["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        )
    }

    #[test]
    fn redis_cache_is_encrypted_with_a_generated_token_and_multi_az() {
        // GIVEN a cache with two nodes (the default)
        let app = App::new();
        let mut s = app.stack("cache");
        let net = net(&mut s);
        let redis = RedisCache::new(&mut s, "Redis", &net, RedisCacheProps::default());
        // WHEN a peer security group is allowed
        let app_sg = ExistingSecurityGroup::from_id(&mut s, "App", "sg-0123456789abcdef0");
        redis.allow_from(&mut s, &app_sg);
        let t = synth_ok(&app, "cache", "redis-cache");
        // THEN encryption in transit and at rest, the token from the secret, Multi-AZ failover
        t.has_resource_properties(
            "AWS::ElastiCache::ReplicationGroup",
            json!({
                "Engine": "redis",
                "CacheNodeType": "cache.t4g.micro",
                "NumCacheClusters": 2,
                "MultiAZEnabled": true,
                "AutomaticFailoverEnabled": true,
                "TransitEncryptionEnabled": true,
                "AtRestEncryptionEnabled": true,
                "AuthToken": {"Fn::Sub": "{{resolve:secretsmanager:${RedisAuthToken}:SecretString}}"},
                "CacheSubnetGroupName": {"Ref": "RedisSubnets"},
                "SecurityGroupIds": [{"Fn::GetAtt": ["RedisSecurityGroup", "GroupId"]}],
            }),
        )
        .unwrap();
        // The token's rules: 16–128 printable characters without space, `"`, `/`, `@`.
        let id = t
            .has_resource_properties(
                "AWS::SecretsManager::Secret",
                json!({"GenerateSecretString": {"ExcludeCharacters": " \"/@", "PasswordLength": 64}}),
            )
            .unwrap();
        assert_eq!(id, "RedisAuthToken");
        assert!((16..=128).contains(&redis_cache::AUTH_TOKEN_LENGTH));
        // Reachable only from the allowed peer, on the Redis port.
        t.resource_count_is("AWS::EC2::SecurityGroupIngress", 1)
            .unwrap();
        t.has_resource_properties(
            "AWS::EC2::SecurityGroupIngress",
            json!({
                "GroupId": {"Fn::GetAtt": ["RedisSecurityGroup", "GroupId"]},
                "SourceSecurityGroupId": "sg-0123456789abcdef0",
                "FromPort": 6379, "ToPort": 6379, "IpProtocol": "tcp",
            }),
        )
        .unwrap();
        t.has_resource_properties(
            "AWS::EC2::SecurityGroup",
            json!({"SecurityGroupIngress": {"$absent": true}}),
        )
        .unwrap();
    }

    #[test]
    fn a_single_node_redis_has_no_failover() {
        let app = App::new();
        let mut s = app.stack("cache");
        let net = net(&mut s);
        RedisCache::new(
            &mut s,
            "Redis",
            &net,
            RedisCacheProps {
                num_nodes: 1,
                ..Default::default()
            },
        );
        let t = synth_ok(&app, "cache", "redis-single");
        t.has_resource_properties(
            "AWS::ElastiCache::ReplicationGroup",
            json!({"NumCacheClusters": 1, "MultiAZEnabled": false, "AutomaticFailoverEnabled": false}),
        )
        .unwrap();
    }

    #[test]
    fn an_invalid_redis_node_type_is_an_error_with_its_path() {
        for bad in [
            "cache.t4g.huge",
            "t4g.micro",
            "cache.x9.large",
            "cache..micro",
        ] {
            let app = App::new();
            let mut s = app.stack("cache");
            let net = net(&mut s);
            RedisCache::new(
                &mut s,
                "Redis",
                &net,
                RedisCacheProps {
                    node_type: bad.into(),
                    ..Default::default()
                },
            );
            let d = only_error(&app, redis_cache::INVALID_NODE_TYPE);
            assert_eq!(
                d.path.logical_id.as_deref(),
                Some("RedisReplicationGroup"),
                "{bad}"
            );
            assert_eq!(d.path.property.as_deref(), Some("Properties.CacheNodeType"));
        }
        for good in ["cache.t4g.micro", "cache.r7g.large", "cache.m6g.16xlarge"] {
            assert!(redis_cache::check_node_type(good).is_ok(), "{good}");
        }
    }
}

// ---------------------------------------------------------------- Table

#[test]
fn table_defaults_are_on_demand_pitr_encrypted_protected_and_retained() {
    let app = App::new();
    let mut s = app.stack("data");
    let table = Table::new(
        &mut s,
        "Orders",
        TableProps {
            partition_key: Attribute::string("orderId"),
            sort_key: Some(Attribute::number("createdAt")),
            attributes: vec![Attribute::string("customer")],
            global_indexes: vec![GlobalIndex {
                name: "byCustomer".into(),
                partition_key: "customer".into(),
                sort_key: Some("createdAt".into()),
            }],
            ..Default::default()
        },
    );
    let role = ecs_task_role(&mut s);
    table.grant_read_write(&mut s, &role);
    let t = synth_ok(&app, "data", "table");
    t.has_resource(
        "AWS::DynamoDB::Table",
        json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
                "SSESpecification": {"SSEEnabled": true},
                "DeletionProtectionEnabled": true,
                "KeySchema": [
                    {"AttributeName": "orderId", "KeyType": "HASH"},
                    {"AttributeName": "createdAt", "KeyType": "RANGE"}
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "orderId", "AttributeType": "S"},
                    {"AttributeName": "createdAt", "AttributeType": "N"},
                    {"AttributeName": "customer", "AttributeType": "S"}
                ],
                "GlobalSecondaryIndexes": [{"IndexName": "byCustomer", "Projection": {"ProjectionType": "ALL"}}]
            }
        }),
    )
    .unwrap();
    // Least privilege: this table and its indexes, item actions only.
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"PolicyDocument": {"Statement": [{
            "Effect": "Allow",
            "Resource": [
                {"Fn::GetAtt": ["OrdersTable", "Arn"]},
                {"Fn::Sub": "${OrdersTable.Arn}/index/*"}
            ]
        }]}}),
    )
    .unwrap();
    let policy = &t.resource("TaskRoleDefaultPolicy").unwrap()["Properties"]["PolicyDocument"];
    let actions = policy["Statement"][0]["Action"].as_array().unwrap();
    assert!(actions.iter().all(|a| {
        let a = a.as_str().unwrap();
        a.starts_with("dynamodb:") && !a.contains('*') && !a.contains("DeleteTable")
    }));
}

#[test]
fn a_dynamodb_index_key_that_is_not_an_attribute_is_an_error_with_its_path() {
    let app = App::new();
    let mut s = app.stack("data");
    Table::new(
        &mut s,
        "Orders",
        TableProps {
            partition_key: Attribute::string("orderId"),
            global_indexes: vec![GlobalIndex {
                name: "byCustomer".into(),
                partition_key: "customer".into(),
                sort_key: None,
            }],
            ..Default::default()
        },
    );
    let d = only_error(&app, table::UNDECLARED_KEY);
    assert_eq!(d.path.logical_id.as_deref(), Some("OrdersTable"));
    assert_eq!(
        d.path.property.as_deref(),
        Some("Properties.GlobalSecondaryIndexes[0].KeySchema[0].AttributeName")
    );
}

#[test]
fn an_attribute_declared_with_two_types_is_an_error() {
    let app = App::new();
    Table::new(
        &mut app.stack("data"),
        "Orders",
        TableProps {
            partition_key: Attribute::string("id"),
            attributes: vec![Attribute::number("id")],
            ..Default::default()
        },
    );
    only_error(&app, table::CONFLICTING_ATTRIBUTE);
}

// ---------------------------------------------------------------- Ec2Instance / Ec2Fleet

fn fleet(members: Vec<FleetMember>, admin: Option<&str>, allow: bool) -> App {
    let app = App::new();
    let mut s = app.stack("fleet");
    Ec2Fleet::new(
        &mut s,
        "Fleet",
        vpc(),
        Val::from("subnet-0123456789abcdef0"),
        Ec2FleetProps {
            members,
            admin_cidr: admin.map(str::to_owned),
            allow_world_admin: allow,
            ..Default::default()
        },
    );
    app
}

#[test]
fn fleet_instances_use_public_ssm_amis_imdsv2_encrypted_roots_and_ssm() {
    let members: Vec<FleetMember> = OS_IMAGES
        .iter()
        .enumerate()
        .map(|(i, o)| FleetMember::new(&format!("Host{i}"), o.name, "t3.small"))
        .collect();
    let app = fleet(members, None, false);
    let t = synth_ok(&app, "fleet", "ec2-fleet-all-os");
    t.resource_count_is("AWS::EC2::Instance", OS_IMAGES.len())
        .unwrap();
    for (i, o) in OS_IMAGES.iter().enumerate() {
        let inst = t.resource(&format!("FleetHost{i}Instance")).unwrap();
        assert_eq!(
            inst["Properties"]["ImageId"],
            format!("{{{{resolve:ssm:{}}}}}", o.ssm_parameter)
        );
        let lt = &t.resource(&format!("FleetHost{i}LaunchTemplate")).unwrap()["Properties"]
            ["LaunchTemplateData"];
        assert_eq!(lt["MetadataOptions"]["HttpTokens"], "required");
        assert_eq!(lt["BlockDeviceMappings"][0]["DeviceName"], o.root_device);
        assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["Encrypted"], true);
    }
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({"ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"}]}),
    )
    .unwrap();
    // No key pair anywhere; SSH/RDP not open at all by default.
    assert!(!t.contains_string("KeyName"));
    let sg = &t.resource("FleetSecurityGroup").unwrap()["Properties"]["SecurityGroupIngress"];
    let ports: Vec<i64> = sg
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["FromPort"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, vec![80, 443]);
}

#[test]
fn an_os_missing_from_the_table_is_an_error_with_its_path() {
    let app = fleet(
        vec![FleetMember::new("Old", "red-hat-9", "t3.micro")],
        None,
        false,
    );
    let d = only_error(&app, ec2_instance::UNKNOWN_OS);
    assert_eq!(d.path.logical_id.as_deref(), Some("FleetOldInstance"));
    assert_eq!(d.path.property.as_deref(), Some("Properties.ImageId"));
}

#[test]
fn world_open_ssh_needs_the_explicit_allowance() {
    let linux = || vec![FleetMember::new("Web", "ubuntu-24.04", "t3.micro")];
    // WHEN the admin CIDR is the world without the allowance THEN SFM108 on the SG
    let d = only_error(
        &fleet(linux(), Some("0.0.0.0/0"), false),
        ec2_instance::WORLD_OPEN_ADMIN,
    );
    assert_eq!(d.path.logical_id.as_deref(), Some("FleetSecurityGroup"));
    only_error(
        &fleet(linux(), Some("::/0"), false),
        ec2_instance::WORLD_OPEN_ADMIN,
    );
    // An invalid CIDR is its own error (and breaks the schema's ipv4-network format).
    pattern_and_schema_error(
        &fleet(linux(), Some("10.0.0.0/33"), false),
        ec2_instance::INVALID_CIDR,
        stackforge::diag::codes::FORMAT_MISMATCH,
    );
    // WHEN the admin CIDR is a real network THEN SSH is open to it only
    let t = synth_ok(
        &fleet(linux(), Some("203.0.113.0/24"), false),
        "fleet",
        "ec2-fleet-admin-cidr",
    );
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": {"$arrayWith": [{"CidrIp": "203.0.113.0/24", "FromPort": 22, "ToPort": 22}]}}),
    )
    .unwrap();
    // WHEN the world is explicitly allowed THEN it synthesizes
    fleet(linux(), Some("0.0.0.0/0"), true)
        .synth()
        .expect("allowed explicitly");
}

// ---------------------------------------------------------------- Ec2CapacityCluster

#[test]
fn ec2_capacity_joins_the_cluster_on_the_ecs_optimized_ami() {
    let app = App::new();
    let mut s = app.stack("ecs");
    let cluster = s.add("Cluster", stackforge::cfn::ecs::Cluster::default());
    let cap = Ec2CapacityCluster::new(
        &mut s,
        "Capacity",
        cluster.reference(),
        vpc(),
        subnets(),
        Ec2CapacityClusterProps::default(),
    );
    let t = synth_ok(&app, "ecs", "ec2-capacity-cluster");
    let data = &t.resource("CapacityLaunchTemplate").unwrap()["Properties"]["LaunchTemplateData"];
    // The ECS-optimized AMI from its public SSM parameter: the agent is installed.
    assert_eq!(
        ECS_OPTIMIZED_AMI_PARAMETER,
        "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"
    );
    assert_eq!(
        data["ImageId"],
        "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id}}"
    );
    // The user data names the cluster, so the agent registers with it.
    assert_eq!(
        data["UserData"],
        json!({"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n"}})
    );
    assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
    t.has_resource_properties(
        "AWS::AutoScaling::AutoScalingGroup",
        json!({
            "VPCZoneIdentifier": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "MinSize": "1", "MaxSize": "3",
            "LaunchTemplate": {"LaunchTemplateId": {"Fn::GetAtt": ["CapacityLaunchTemplate", "LaunchTemplateId"]}}
        }),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::CapacityProvider",
        json!({"AutoScalingGroupProvider": {
            "AutoScalingGroupArn": {"Ref": "CapacityGroup"},
            "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 100}
        }}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        json!({"Cluster": {"Ref": "Cluster"}, "CapacityProviders": [{"Ref": "CapacityCapacityProvider"}]}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({"ManagedPolicyArns": {"$arrayWith": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"}]}}),
    )
    .unwrap();
    let _ = cap;
}

#[test]
fn ec2_capacity_rejects_inconsistent_sizes() {
    let app = App::new();
    let mut s = app.stack("ecs");
    Ec2CapacityCluster::new(
        &mut s,
        "Capacity",
        Val::from("my-cluster"),
        vpc(),
        subnets(),
        Ec2CapacityClusterProps {
            min_size: 4.into(),
            max_size: 2.into(),
            ..Default::default()
        },
    );
    only_error(&app, ec2_capacity_cluster::INVALID_CAPACITY);
}
