//! A template built only from generated types (30+ types across the default services, with
//! nested properties set) synthesizes, and is written to `target/cfn-lint/` so that
//! `scripts/lint-templates` holds it to 0 cfn-lint errors and 0 warnings.

use std::collections::BTreeSet;

use serde_json::json;
use stackforge::cfn::{
    applicationautoscaling as aas, cloudwatch, dynamodb, ec2, ecr, ecs, elasticache,
    elasticloadbalancingv2 as elbv2, iam, kms, logs, rds, s3, secretsmanager, ssm,
};
use stackforge::{dynamic, pseudo, sub, App, Tag};

fn build() -> App {
    let app = App::new();
    let mut s = app.stack("typed");

    // Network.
    let vpc = s.add(
        "Vpc",
        ec2::Vpc {
            cidr_block: Some("10.0.0.0/16".into()),
            enable_dns_hostnames: Some(true.into()),
            enable_dns_support: Some(true.into()),
            instance_tenancy: Some(ec2::vpc::InstanceTenancy::Default.into()),
            tags: Some(vec![Tag::new("Name", "typed")]),
            ..Default::default()
        },
    );
    let igw = s.add("Igw", ec2::InternetGateway::default());
    let attach = s.add("IgwAttachment", {
        let mut a = ec2::VpcGatewayAttachment::new(vpc);
        a.internet_gateway_id = Some(igw.into());
        a
    });
    let mut subnets = Vec::new();
    for (i, az) in [0, 1].into_iter().enumerate() {
        let mut sn = ec2::Subnet::new(vpc);
        sn.cidr_block = Some(format!("10.0.{i}.0/24").into());
        sn.availability_zone = Some(stackforge::fns::select(az, stackforge::fns::get_azs()));
        sn.map_public_ip_on_launch = Some(true.into());
        subnets.push(s.add(&format!("Public{i}"), sn));
    }
    let rt = s.add("PublicRoutes", ec2::RouteTable::new(vpc));
    let route = s.add("DefaultRoute", {
        let mut r = ec2::Route::new(rt);
        r.destination_cidr_block = Some("0.0.0.0/0".into());
        r.gateway_id = Some(igw.into());
        r
    });
    s.depends_on(route, attach);
    for (i, sn) in subnets.iter().enumerate() {
        s.add(
            &format!("Public{i}Routes"),
            ec2::SubnetRouteTableAssociation::new(rt, *sn),
        );
    }
    let sg = s.add("WebSg", {
        let mut g = ec2::SecurityGroup::new("web traffic");
        g.vpc_id = Some(vpc.into());
        let mut ingress = ec2::security_group::Ingress::new("tcp");
        ingress.cidr_ip = Some("0.0.0.0/0".into());
        ingress.from_port = Some(443.into());
        ingress.to_port = Some(443.into());
        ingress.description = Some("https".into());
        g.security_group_ingress = Some(vec![ingress]);
        g
    });
    let db_sg = s.add("DbSg", {
        let mut g = ec2::SecurityGroup::new("database");
        g.vpc_id = Some(vpc.into());
        g
    });
    s.add("DbSgFromWeb", {
        let mut i = ec2::SecurityGroupIngress::new("tcp");
        i.group_id = Some(db_sg.attr_group_id());
        i.source_security_group_id = Some(sg.attr_group_id());
        i.from_port = Some(5432.into());
        i.to_port = Some(5432.into());
        i
    });
    let subnet_ids =
        || -> Vec<stackforge::Val<String>> { subnets.iter().map(|h| (*h).into()).collect() };

    // Keys, secrets, parameters, logs.
    let key = s.add(
        "Key",
        kms::Key {
            description: Some("typed data key".into()),
            enable_key_rotation: Some(true.into()),
            key_policy: Some(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "Root",
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                    "Action": "kms:*",
                    "Resource": "*"
                }]
            }).into()),
            ..Default::default()
        },
    );
    s.add("KeyAlias", kms::Alias::new("alias/typed-data", key));
    let secret = s.add(
        "DbSecret",
        secretsmanager::Secret {
            description: Some("database credentials".into()),
            kms_key_id: Some(key.attr_arn()),
            generate_secret_string: Some(secretsmanager::secret::GenerateSecretString {
                secret_string_template: Some(r#"{"username":"app"}"#.into()),
                generate_string_key: Some("password".into()),
                password_length: Some(32.into()),
                exclude_punctuation: Some(true.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    s.add("VpcIdParameter", {
        let mut p = ssm::Parameter::new(ssm::parameter::Type::String, vpc);
        p.description = Some("the VPC".into());
        p
    });
    let log_group = s.add(
        "Logs",
        logs::LogGroup {
            retention_in_days: Some(30.into()),
            kms_key_id: Some(key.attr_arn()),
            ..Default::default()
        },
    );

    // Storage.
    let bucket = s.add(
        "Assets",
        s3::Bucket {
            bucket_encryption: Some(s3::bucket::BucketEncryption::new(vec![
                s3::bucket::ServerSideEncryptionRule {
                    server_side_encryption_by_default: Some({
                        let mut d = s3::bucket::ServerSideEncryptionByDefault::new(
                            s3::bucket::SseAlgorithm::AwsKms,
                        );
                        d.kms_master_key_id = Some(key.attr_arn());
                        d
                    }),
                    bucket_key_enabled: Some(true.into()),
                    ..Default::default()
                },
            ])),
            public_access_block_configuration: Some(s3::bucket::PublicAccessBlockConfiguration {
                block_public_acls: Some(true.into()),
                block_public_policy: Some(true.into()),
                ignore_public_acls: Some(true.into()),
                restrict_public_buckets: Some(true.into()),
            }),
            versioning_configuration: Some(s3::bucket::VersioningConfiguration::new(
                s3::bucket::VersioningStatus::Enabled,
            )),
            ..Default::default()
        },
    );
    s.add(
        "AssetsPolicy",
        s3::BucketPolicy::new(
            bucket,
            json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [
                        {"Fn::GetAtt": ["Assets", "Arn"]},
                        {"Fn::Sub": "${Assets.Arn}/*"}
                    ],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}
                }]
            }),
        ),
    );
    s.add(
        "Sessions",
        dynamodb::Table {
            billing_mode: Some(dynamodb::table::BillingMode::PayPerRequest.into()),
            attribute_definitions: Some(vec![dynamodb::table::AttributeDefinition::new(
                "pk",
                dynamodb::table::AttributeType::S,
            )]),
            point_in_time_recovery_specification: Some(
                dynamodb::table::PointInTimeRecoverySpecification {
                    point_in_time_recovery_enabled: Some(true.into()),
                    ..Default::default()
                },
            ),
            sse_specification: Some(dynamodb::table::SseSpecification::new(true)),
            ..dynamodb::Table::new(vec![dynamodb::table::KeySchemaItem::new("pk", "HASH")])
        },
    );
    let repo = s.add(
        "Repo",
        ecr::Repository {
            image_scanning_configuration: Some(ecr::repository::ImageScanningConfiguration {
                scan_on_push: Some(true.into()),
            }),
            image_tag_mutability: Some(ecr::repository::ImageTagMutability::Immutable.into()),
            ..Default::default()
        },
    );

    // Database and cache.
    let db_subnets = s.add(
        "DbSubnets",
        rds::DbSubnetGroup::new("database subnets", subnet_ids()),
    );
    s.add(
        "Db",
        rds::DbInstance {
            engine: Some("postgres".into()),
            engine_version: Some("17.11".into()),
            db_instance_class: Some("db.t4g.micro".into()),
            allocated_storage: Some("20".into()),
            storage_encrypted: Some(true.into()),
            kms_key_id: Some(key.attr_arn()),
            db_subnet_group_name: Some(db_subnets.into()),
            vpc_security_groups: Some(vec![db_sg.attr_group_id()].into()),
            master_username: Some(dynamic::secrets_manager(secret, Some("username"))),
            master_user_password: Some(dynamic::secrets_manager(secret, Some("password"))),
            deletion_protection: Some(true.into()),
            ..Default::default()
        },
    );
    let cache_subnets = s.add(
        "CacheSubnets",
        elasticache::SubnetGroup::new("cache subnets", subnet_ids()),
    );
    s.add("Cache", {
        let mut r = elasticache::ReplicationGroup::new("session cache");
        r.engine = Some("redis".into());
        r.cache_node_type = Some("cache.t4g.micro".into());
        r.num_cache_clusters = Some(2.into());
        r.automatic_failover_enabled = Some(true.into());
        r.at_rest_encryption_enabled = Some(true.into());
        r.transit_encryption_enabled = Some(true.into());
        r.cache_subnet_group_name = Some(cache_subnets.into());
        r.security_group_ids = Some(vec![db_sg.attr_group_id()].into());
        r
    });

    // Compute.
    let cluster = s.add(
        "Cluster",
        ecs::Cluster {
            cluster_settings: Some(vec![ecs::cluster::ClusterSettings {
                name: Some("containerInsights".into()),
                value: Some("enabled".into()),
            }]),
            ..Default::default()
        },
    );
    let exec_role = s.add(
        "ExecutionRole",
        iam::Role {
            managed_policy_arns: Some(
                vec![sub!(
                    "arn:",
                    pseudo::partition(),
                    ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
                )]
                .into(),
            ),
            ..iam::Role::new(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole"
                }]
            }))
        },
    );
    let mut container = ecs::task_definition::ContainerDefinition::new(
        sub!(repo.attr_repository_uri(), ":1.0.0"),
        "web",
    );
    container.essential = Some(true.into());
    container.port_mappings = Some(vec![ecs::task_definition::PortMapping {
        container_port: Some(8080.into()),
        protocol: Some(ecs::task_definition::Protocol::Tcp.into()),
        ..Default::default()
    }]);
    container.log_configuration = Some({
        let mut l = ecs::task_definition::LogConfiguration::new("awslogs");
        l.options = Some(
            [
                ("awslogs-group".to_owned(), log_group.into()),
                ("awslogs-region".to_owned(), pseudo::region()),
                ("awslogs-stream-prefix".to_owned(), "web".into()),
            ]
            .into_iter()
            .collect(),
        );
        l
    });
    let task = s.add(
        "Task",
        ecs::TaskDefinition {
            family: Some("typed-web".into()),
            cpu: Some("256".into()),
            memory: Some("512".into()),
            network_mode: Some(ecs::task_definition::NetworkMode::Awsvpc.into()),
            requires_compatibilities: Some(
                vec![ecs::task_definition::RequiresCompatibilities::Fargate].into(),
            ),
            execution_role_arn: Some(exec_role.attr_arn()),
            container_definitions: Some(vec![container]),
            ..Default::default()
        },
    );
    let lb = s.add(
        "Alb",
        elbv2::LoadBalancer {
            scheme: Some(elbv2::load_balancer::Scheme::InternetFacing.into()),
            subnets: Some(subnet_ids().into()),
            security_groups: Some(vec![sg.attr_group_id()].into()),
            ..Default::default()
        },
    );
    let tg = s.add(
        "Targets",
        elbv2::TargetGroup {
            port: Some(8080.into()),
            protocol: Some(elbv2::target_group::Protocol::Http.into()),
            target_type: Some(elbv2::target_group::TargetType::Ip.into()),
            vpc_id: Some(vpc.into()),
            health_check_path: Some("/health".into()),
            ..Default::default()
        },
    );
    let listener = s.add("Http", {
        let mut fwd = elbv2::listener::Action::new(elbv2::listener::Type::Forward);
        fwd.target_group_arn = Some(tg.into());
        let mut l = elbv2::Listener::new(vec![fwd], lb);
        l.port = Some(80.into());
        l.protocol = Some(elbv2::listener::Protocol::Http.into());
        l
    });
    let service = s.add(
        "Service",
        ecs::Service {
            cluster: Some(cluster.into()),
            task_definition: Some(task.into()),
            launch_type: Some(ecs::service::LaunchType::Fargate.into()),
            desired_count: Some(2.into()),
            network_configuration: Some(ecs::service::NetworkConfiguration {
                awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                    subnets: Some(subnet_ids().into()),
                    security_groups: Some(vec![sg.attr_group_id()].into()),
                    assign_public_ip: Some(ecs::service::AssignPublicIp::Enabled.into()),
                }),
            }),
            load_balancers: Some(vec![ecs::service::LoadBalancer {
                container_name: Some("web".into()),
                container_port: Some(8080.into()),
                target_group_arn: Some(tg.into()),
                ..Default::default()
            }]),
            ..Default::default()
        },
    );
    s.depends_on(service, listener);
    let target = s.add(
        "ScalingTarget",
        aas::ScalableTarget::new(
            4,
            1,
            sub!("service/", cluster.reference(), "/", service.attr_name()),
            aas::scalable_target::ScalableDimension::EcsServiceDesiredCount,
            aas::scalable_target::ServiceNamespace::Ecs,
        ),
    );
    s.add("CpuScaling", {
        let mut p = aas::ScalingPolicy::new("cpu", aas::scaling_policy::PolicyType::TargetTrackingScaling);
        p.scaling_target_id = Some(target.into());
        p.target_tracking_scaling_policy_configuration = Some({
            let mut c = aas::scaling_policy::TargetTrackingScalingPolicyConfiguration::new(60.0);
            c.predefined_metric_specification = Some(aas::scaling_policy::PredefinedMetricSpecification::new(
                aas::scaling_policy::PredefinedMetricSpecificationType::EcsServiceAverageCpuUtilization,
            ));
            c
        });
        p
    });
    s.add(
        "HighCpu",
        cloudwatch::Alarm {
            comparison_operator: Some(
                cloudwatch::alarm::ComparisonOperator::GreaterThanThreshold.into(),
            ),
            evaluation_periods: Some(3.into()),
            metric_name: Some("CPUUtilization".into()),
            namespace: Some("AWS/ECS".into()),
            statistic: Some(cloudwatch::alarm::Statistic::Average.into()),
            period: Some(60.into()),
            threshold: Some(90.0.into()),
            dimensions: Some(vec![
                cloudwatch::alarm::Dimension::new("ClusterName", cluster),
                cloudwatch::alarm::Dimension::new("ServiceName", service.attr_name()),
            ]),
            ..Default::default()
        },
    );
    app
}

#[test]
fn thirty_generated_types_synthesize_and_are_written_for_cfn_lint() {
    let app = build();
    let assembly = app.synth().expect("synth succeeds");
    let stack = &assembly.stacks[0];
    let resources = stack.template["Resources"].as_object().expect("resources");
    let types: BTreeSet<&str> = resources
        .values()
        .filter_map(|r| r["Type"].as_str())
        .collect();
    assert!(
        types.len() >= 30,
        "only {} distinct types: {types:?}",
        types.len()
    );
    // Nested properties made it through the typed serializers.
    assert_eq!(
        resources["Task"]["Properties"]["ContainerDefinitions"][0]["PortMappings"][0]
            ["ContainerPort"],
        8080
    );
    assert_eq!(resources["Vpc"]["Properties"]["InstanceTenancy"], "default");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/cfn-lint/codegen");
    std::fs::create_dir_all(&dir).expect("create target/cfn-lint/codegen");
    std::fs::write(dir.join("typed-services.template.json"), &stack.pretty)
        .expect("write template");
}
