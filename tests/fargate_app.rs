//! The flagship, `fargate-app` (TechChallengeApp on Fargate + RDS PostgreSQL): a full-template
//! snapshot, and one GIVEN/WHEN/THEN assertion per wiring fact of REFERENCE-APPS.md.
//!
//! Every template synthesized here is written to `target/cfn-lint/examples/fargate-app*/`,
//! where `scripts/test` runs cfn-lint (0 errors, 0 warnings) and checkov (0 failed).

use serde_json::{json, Value};
use stackforge::testing::Template;
use stackforge::Assembly;
use stackforge_examples::fargate_app::{build, Options, APP_PORT, STACK};

use crate::common::{snapshot_settings, write_for_lint};

const CERT: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012";

/// Synthesizes the app; with `lint_name`, also writes it for cfn-lint and checkov (each
/// directory is written by exactly one test, so parallel tests never race on a file).
fn synth(opts: &Options, lint_name: Option<&str>) -> (Assembly, Template) {
    let app = build(opts);
    let a = app
        .synth()
        .unwrap_or_else(|e| panic!("fargate-app synth failed: {e}"));
    if let Some(name) = lint_name {
        write_for_lint(&a, "examples", name);
    }
    let t = Template::from_json(
        a.stack(STACK)
            .expect("the fargate-app stack")
            .template
            .clone(),
    );
    (a, t)
}

/// The default options: HTTP only, one NAT per AZ, desired count 2.
fn default_template() -> Template {
    synth(&Options::default(), None).1
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn container(t: &Template, task_def: &str) -> Value {
    t.resource(task_def).expect("task definition")["Properties"]["ContainerDefinitions"][0].clone()
}

fn env(c: &Value, name: &str) -> Value {
    c["Environment"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["Name"] == name)
        .map(|e| e["Value"].clone())
        .unwrap_or(Value::Null)
}

#[test]
fn template_snapshot() {
    let (a, _) = synth(&Options::default(), Some("fargate-app"));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!(
            "examples__fargate-app-fargate-app",
            a.stack(STACK).unwrap().template
        );
    });
}

#[test]
fn https_and_single_nat_variants_synthesize_cleanly() {
    // GIVEN a certificate and the single-NAT cost mode
    let opts = Options {
        certificate_arn: Some(CERT.into()),
        desired_count: 3,
        single_nat: true,
        ..Options::default()
    };
    // WHEN the app is synthesized
    let (_, t) = synth(&opts, Some("fargate-app-https-single-nat"));
    // THEN HTTP redirects to HTTPS, HTTPS forwards with a TLS 1.2+ policy, and one NAT serves both AZs
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Port": 80, "Protocol": "HTTP", "DefaultActions": [{"Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}),
    ));
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Port": 443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "Certificates": [{"CertificateArn": CERT}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebTargetGroup"}}]}),
    ));
    ok(t.resource_count_is("AWS::EC2::NatGateway", 1));
    ok(t.has_resource_properties("AWS::ECS::Service", json!({"DesiredCount": 3})));
    ok(t.has_output(
        "ServiceUrl",
        json!({"Value": {"Fn::Sub": "https://${WebLoadBalancer.DNSName}"}}),
    ));
    // the service waits for the forwarding (HTTPS) listener
    ok(t.has_resource(
        "AWS::ECS::Service",
        json!({"DependsOn": {"$arrayWith": ["WebHttpsListener"]}}),
    ));
    // the listener ports are the only world-open ingress
    let lb_sg = t.resource("WebLoadBalancerSecurityGroup").unwrap();
    let ports: Vec<i64> = lb_sg["Properties"]["SecurityGroupIngress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["FromPort"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443]);
}

#[test]
fn options_come_from_flags_and_environment_with_secure_defaults() {
    use clap::Parser;
    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        o: Options,
    }
    // GIVEN no flags THEN the defaults are the secure ones
    let d = Cli::try_parse_from(["fargate-app"]).unwrap().o;
    assert_eq!(d, Options::default());
    assert!(!d.single_nat, "one NAT per AZ by default");
    assert_eq!(d.desired_count, 2);
    // GIVEN flags THEN they are read
    let o = Cli::try_parse_from([
        "fargate-app",
        "--certificate-arn",
        CERT,
        "--desired-count",
        "4",
        "--single-nat",
    ])
    .unwrap()
    .o;
    assert_eq!(o.certificate_arn.as_deref(), Some(CERT));
    assert_eq!(o.desired_count, 4);
    assert!(o.single_nat);
}

#[test]
fn container_runs_serve_from_the_public_image_on_port_3000() {
    let t = default_template();
    let c = container(&t, "WebTaskDefinition");
    assert_eq!(c["Image"], "servian/techchallengeapp:latest");
    // the image has an ENTRYPOINT and no CMD
    assert_eq!(c["Command"], json!(["serve"]));
    assert_eq!(
        c["PortMappings"],
        json!([{"ContainerPort": 3000, "Protocol": "tcp"}])
    );
    assert_eq!(APP_PORT, 3000);
}

#[test]
fn environment_is_exactly_the_vtt_settings() {
    let t = default_template();
    let c = container(&t, "WebTaskDefinition");
    assert_eq!(env(&c, "VTT_LISTENHOST"), "0.0.0.0");
    assert_eq!(env(&c, "VTT_LISTENPORT"), "3000");
    assert_eq!(env(&c, "VTT_DBTYPE"), "postgres");
    assert_eq!(
        env(&c, "VTT_DBHOST"),
        json!({"Fn::GetAtt": ["DbInstance", "Endpoint.Address"]})
    );
    assert_eq!(env(&c, "VTT_DBPORT"), "5432");
    assert_eq!(env(&c, "VTT_DBNAME"), "app");
    assert_eq!(c["Environment"].as_array().unwrap().len(), 6);
    // no credentials among the plain variables
    assert_eq!(env(&c, "VTT_DBUSER"), Value::Null);
    assert_eq!(env(&c, "VTT_DBPASSWORD"), Value::Null);
}

#[test]
fn credentials_come_from_the_generated_secret_through_ecs_secrets() {
    let t = default_template();
    let c = container(&t, "WebTaskDefinition");
    assert_eq!(
        c["Secrets"],
        json!([
            {"Name": "VTT_DBUSER", "ValueFrom": {"Fn::Sub": "${DbSecret}:username::"}},
            {"Name": "VTT_DBPASSWORD", "ValueFrom": {"Fn::Sub": "${DbSecret}:password::"}}
        ])
    );
}

#[test]
fn generated_secret_excludes_punctuation_and_is_attached_to_the_instance() {
    let t = default_template();
    ok(t.has_resource_properties(
        "AWS::SecretsManager::Secret",
        json!({"GenerateSecretString": {
            "SecretStringTemplate": "{\"username\":\"postgres\"}",
            "GenerateStringKey": "password",
            "ExcludePunctuation": true,
            "IncludeSpace": false
        }}),
    ));
    ok(t.has_resource_properties(
        "AWS::SecretsManager::SecretTargetAttachment",
        json!({"SecretId": {"Ref": "DbSecret"}, "TargetId": {"Ref": "DbInstance"},
            "TargetType": "AWS::RDS::DBInstance"}),
    ));
    ok(t.has_resource_properties(
        "AWS::RDS::DBInstance",
        json!({
            "MasterUsername": {"Fn::Sub": "{{resolve:secretsmanager:${DbSecret}:SecretString:username}}"},
            "MasterUserPassword": {"Fn::Sub": "{{resolve:secretsmanager:${DbSecret}:SecretString:password}}"},
            "ManageMasterUserPassword": {"$absent": true}
        }),
    ));
}

#[test]
fn no_plaintext_password_or_secret_anywhere() {
    for opts in [
        Options::default(),
        Options {
            certificate_arn: Some(CERT.into()),
            ..Options::default()
        },
    ] {
        let (a, t) = synth(&opts, None);
        assert!(!t.contains_string("changeme"));
        let text = a.stack(STACK).unwrap().template.to_string();
        assert!(
            !text.contains("\"MasterUserPassword\":\""),
            "a literal master password"
        );
        assert!(
            !text.contains("\"SecretString\""),
            "a literal secret string"
        );
        // every password-looking value is a dynamic reference
        let db = t.resource("DbInstance").unwrap();
        let pw = db["Properties"]["MasterUserPassword"]["Fn::Sub"]
            .as_str()
            .unwrap();
        assert!(pw.starts_with("{{resolve:secretsmanager:"));
        // no plain environment variable carries a secret
        for (id, _) in t.resources_of_type("AWS::ECS::TaskDefinition") {
            let c = container(&t, id);
            for e in c["Environment"].as_array().unwrap() {
                let name = e["Name"].as_str().unwrap();
                assert!(
                    !name.contains("PASSWORD") && !name.contains("USER"),
                    "{id}: {name}"
                );
                assert!(!e["Value"].to_string().contains("resolve:"), "{id}: {name}");
            }
        }
    }
}

#[test]
fn target_group_health_checks_healthcheck_on_the_container_port() {
    let t = default_template();
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({"Port": 3000, "Protocol": "HTTP", "TargetType": "ip",
            "HealthCheckPath": "/healthcheck/", "Matcher": {"HttpCode": "200"},
            "VpcId": {"Ref": "NetVpc"}}),
    ));
    ok(t.has_resource_properties(
        "AWS::ECS::Service",
        json!({"LoadBalancers": [{"ContainerName": "app", "ContainerPort": 3000,
            "TargetGroupArn": {"Ref": "WebTargetGroup"}}],
            "HealthCheckGracePeriodSeconds": 60}),
    ));
}

#[test]
fn security_groups_chain_internet_to_alb_to_tasks_to_db() {
    let t = default_template();
    // ALB: 80 from the internet (the listener port) and egress only to the tasks on 3000
    ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80, "IpProtocol": "tcp"}],
            "SecurityGroupEgress": [{"DestinationSecurityGroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
                "FromPort": 3000, "ToPort": 3000}]}),
    ));
    // tasks: 3000 only from the ALB's group
    ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({"GroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": ["WebLoadBalancerSecurityGroup", "GroupId"]},
            "FromPort": 3000, "ToPort": 3000, "IpProtocol": "tcp"}),
    ));
    // DB: 5432 only from the tasks' group — the rule seed 004 was missing
    let id = ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({"GroupId": {"Fn::GetAtt": ["DbSecurityGroup", "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
            "FromPort": 5432, "ToPort": 5432, "IpProtocol": "tcp"}),
    ));
    assert_eq!(id, "DbIngressFromWeb");
    ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({"GroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
            "DestinationSecurityGroupId": {"Fn::GetAtt": ["DbSecurityGroup", "GroupId"]},
            "FromPort": 5432, "ToPort": 5432}),
    ));
    // the DB group itself has no inline ingress
    ok(t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"GroupDescription": {"$any": true}, "SecurityGroupIngress": {"$absent": true},
            "SecurityGroupEgress": [{"CidrIp": "255.255.255.255/32"}]}),
    ));
    ok(t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2));
}

#[test]
fn every_rule_has_a_description_and_only_listener_ports_are_world_open() {
    let t = default_template();
    let mut world_open = Vec::new();
    for (id, r) in t.resources_of_type("AWS::EC2::SecurityGroup") {
        for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
            for rule in r["Properties"][key].as_array().into_iter().flatten() {
                assert!(
                    rule["Description"].is_string(),
                    "{id} {key} rule without description"
                );
                if key == "SecurityGroupIngress" && rule["CidrIp"] == "0.0.0.0/0" {
                    world_open.push((id.to_owned(), rule["FromPort"].as_i64().unwrap()));
                }
            }
        }
    }
    for ty in [
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SecurityGroupEgress",
    ] {
        for (id, r) in t.resources_of_type(ty) {
            assert!(
                r["Properties"]["Description"].is_string(),
                "{id} without description"
            );
            assert_ne!(r["Properties"]["CidrIp"], "0.0.0.0/0", "{id}");
        }
    }
    assert_eq!(
        world_open,
        [("WebLoadBalancerSecurityGroup".to_owned(), 80)]
    );
}

#[test]
fn database_is_postgres_17_multi_az_encrypted_backed_up_and_protected() {
    let t = default_template();
    ok(t.has_resource(
        "AWS::RDS::DBInstance",
        json!({"DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
            "Properties": {"Engine": "postgres", "EngineVersion": "17.9", "DBName": "app",
                "MultiAZ": true, "StorageEncrypted": true, "BackupRetentionPeriod": 7,
                "DeletionProtection": true, "PubliclyAccessible": false, "Port": "5432",
                "DBSubnetGroupName": {"Ref": "DbSubnetGroup"},
                "DBParameterGroupName": {"Ref": "DbParameterGroup"}}}),
    ));
    ok(t.has_resource_properties(
        "AWS::RDS::DBSubnetGroup",
        json!({"SubnetIds": [{"Ref": "NetPrivateSubnet1"}, {"Ref": "NetPrivateSubnet2"}]}),
    ));
}

#[test]
fn force_ssl_is_off_with_the_documented_reason() {
    let t = default_template();
    let pg = t.resource("DbParameterGroup").unwrap();
    assert_eq!(pg["Properties"]["Family"], "postgres17");
    assert_eq!(
        pg["Properties"]["Parameters"],
        json!({"rds.force_ssl": "0"})
    );
    let d = pg["Properties"]["Description"].as_str().unwrap();
    assert!(
        d.starts_with("rds.force_ssl=0: ") && d.contains("sslmode=disable"),
        "{d}"
    );
    // and the matching checkov finding is skipped with the same reason
    let skips = &t.resource("DbInstance").unwrap()["Metadata"]["checkov"]["skip"];
    assert!(skips.to_string().contains("CKV2_AWS_69"));
}

#[test]
fn updatedb_is_a_separate_one_off_task_never_a_sidecar() {
    let t = default_template();
    // the service's task has exactly one container, running serve
    let svc = &t.resource("WebTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"];
    assert_eq!(svc.as_array().unwrap().len(), 1);
    assert!(!svc.to_string().contains("updatedb"));
    // the one-off task shares image, environment and secrets, with its own command
    let web = container(&t, "WebTaskDefinition");
    let seed = container(&t, "UpdateDbTaskDefinition");
    assert_eq!(seed["Command"], json!(["updatedb", "-s"]));
    assert_eq!(seed["Image"], web["Image"]);
    assert_eq!(seed["Environment"], web["Environment"]);
    assert_eq!(seed["Secrets"], web["Secrets"]);
    assert!(seed.get("PortMappings").is_none());
    ok(t.resource_count_is("AWS::ECS::TaskDefinition", 2));
    ok(t.resource_count_is("AWS::ECS::Service", 1));
    // and the output is the exact command line
    ok(t.has_output(
        "UpdateDbRunTaskCommand",
        json!({"Value": {"Fn::Sub": "aws ecs run-task --region ${AWS::Region} --cluster ${Cluster} --task-definition ${UpdateDbTaskDefinition} --launch-type FARGATE --count 1 --network-configuration \"awsvpcConfiguration={subnets=[${NetPrivateSubnet1},${NetPrivateSubnet2}],securityGroups=[${WebServiceSecurityGroup.GroupId}],assignPublicIp=DISABLED}\""}}),
    ));
}

#[test]
fn service_runs_privately_with_circuit_breaker_and_scales_on_cpu_and_memory() {
    let t = default_template();
    ok(t.has_resource_properties(
        "AWS::ECS::Service",
        json!({"LaunchType": "FARGATE", "DesiredCount": 2,
            "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}},
            "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED",
                "Subnets": [{"Ref": "NetPrivateSubnet1"}, {"Ref": "NetPrivateSubnet2"}]}}}),
    ));
    ok(t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({"MinCapacity": 2, "MaxCapacity": 6, "ScalableDimension": "ecs:service:DesiredCount"}),
    ));
    for (metric, target) in [
        ("ECSServiceAverageCPUUtilization", 70),
        ("ECSServiceAverageMemoryUtilization", 80),
    ] {
        ok(t.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            json!({"PolicyType": "TargetTrackingScaling", "ScalingTargetId": {"Ref": "WebScalableTarget"},
                "TargetTrackingScalingPolicyConfiguration": {"TargetValue": target,
                    "PredefinedMetricSpecification": {"PredefinedMetricType": metric}}}),
        ));
    }
    ok(t.has_resource_properties(
        "AWS::ECS::Cluster",
        json!({"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}),
    ));
}

#[test]
fn alb_is_public_in_public_subnets_and_drops_invalid_headers() {
    let t = default_template();
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"Scheme": "internet-facing", "Type": "application",
            "Subnets": [{"Ref": "NetPublicSubnet1"}, {"Ref": "NetPublicSubnet2"}],
            "LoadBalancerAttributes": {"$arrayWith": [
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}]}}),
    ));
    // without a certificate, HTTP forwards to the target group
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "WebTargetGroup"}}]}),
    ));
    ok(t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1));
}

#[test]
fn execution_role_reads_exactly_the_db_secret_and_writes_only_its_logs() {
    let t = default_template();
    let role = t.resource("WebExecutionRole").unwrap();
    // No inline policies: the permissions are one separate AWS::IAM::Policy on the role.
    assert!(role["Properties"]["Policies"].is_null());
    let policy = t.resource("WebExecutionRoleDefaultPolicy").unwrap();
    assert_eq!(
        policy["Properties"]["Roles"],
        json!([{"Ref": "WebExecutionRole"}])
    );
    assert_eq!(
        policy["Properties"]["PolicyDocument"]["Statement"],
        json!([
            {"Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": {"Fn::GetAtt": ["WebLogGroup", "Arn"]}},
            {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": {"Ref": "DbSecret"}}
        ])
    );
    assert!(role["Properties"]["ManagedPolicyArns"].is_null());
    // the task role is separate and has no permissions
    let task_role = t.resource("WebTaskRole").unwrap();
    assert!(task_role["Properties"]["Policies"].is_null());
    ok(t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({"ExecutionRoleArn": {"Fn::GetAtt": ["WebExecutionRole", "Arn"]},
            "TaskRoleArn": {"Fn::GetAtt": ["WebTaskRole", "Arn"]}, "Cpu": "256", "Memory": "512"}),
    ));
    ok(t.has_resource_properties("AWS::Logs::LogGroup", json!({"RetentionInDays": 30})));
}

#[test]
fn outputs_are_url_endpoint_secret_and_command() {
    let t = default_template();
    ok(t.has_output(
        "ServiceUrl",
        json!({"Value": {"Fn::Sub": "http://${WebLoadBalancer.DNSName}"}}),
    ));
    ok(t.has_output(
        "DbEndpoint",
        json!({"Value": {"Fn::GetAtt": ["DbInstance", "Endpoint.Address"]}}),
    ));
    ok(t.has_output("DbSecretArn", json!({"Value": {"Ref": "DbSecret"}})));
    ok(t.has_output("UpdateDbRunTaskCommand", json!({"Value": {"$any": true}})));
}

#[test]
fn network_is_two_azs_with_literal_cidrs_and_a_nat_per_az() {
    let t = default_template();
    ok(t.has_resource_properties("AWS::EC2::VPC", json!({"CidrBlock": "10.0.0.0/16"})));
    for (id, cidr, az) in [
        ("NetPublicSubnet1", "10.0.0.0/24", 0),
        ("NetPublicSubnet2", "10.0.1.0/24", 1),
        ("NetPrivateSubnet1", "10.0.16.0/20", 0),
        ("NetPrivateSubnet2", "10.0.32.0/20", 1),
    ] {
        let p = &t.resource(id).unwrap()["Properties"];
        assert_eq!(p["CidrBlock"], cidr, "{id}");
        assert_eq!(
            p["AvailabilityZone"],
            json!({"Fn::Select": [az, {"Fn::GetAZs": ""}]}),
            "{id}"
        );
        assert_eq!(p["MapPublicIpOnLaunch"], false, "{id}");
    }
    assert!(!t.contains_string("Fn::Cidr"));
    ok(t.resource_count_is("AWS::EC2::NatGateway", 2));
    ok(t.resource_count_is("AWS::EC2::FlowLog", 1));
    // no Lambda-backed custom resources anywhere
    for (_, r) in t.json()["Resources"].as_object().unwrap().iter() {
        let ty = r["Type"].as_str().unwrap();
        assert!(
            ty.starts_with("AWS::")
                && !ty.starts_with("AWS::Lambda")
                && !ty.starts_with("AWS::CloudFormation::CustomResource"),
            "{ty}"
        );
    }
}

#[test]
fn logical_ids_are_pinned() {
    let t = default_template();
    let ids: Vec<&str> = t.json()["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        ids,
        [
            "Cluster",
            "DbIngressFromWeb",
            "DbInstance",
            "DbMonitoringRole",
            "DbParameterGroup",
            "DbSecret",
            "DbSecretAttachment",
            "DbSecurityGroup",
            "DbSubnetGroup",
            "NetFlowLog",
            "NetFlowLogGroup",
            "NetFlowLogRole",
            "NetGatewayAttachment",
            "NetInternetGateway",
            "NetNatEip1",
            "NetNatEip2",
            "NetNatGateway1",
            "NetNatGateway2",
            "NetPrivateRoute1",
            "NetPrivateRoute2",
            "NetPrivateRouteTable1",
            "NetPrivateRouteTable2",
            "NetPrivateSubnet1",
            "NetPrivateSubnet1RouteTableAssociation",
            "NetPrivateSubnet2",
            "NetPrivateSubnet2RouteTableAssociation",
            "NetPublicRoute",
            "NetPublicRouteTable",
            "NetPublicSubnet1",
            "NetPublicSubnet1RouteTableAssociation",
            "NetPublicSubnet2",
            "NetPublicSubnet2RouteTableAssociation",
            "NetVpc",
            "UpdateDbTaskDefinition",
            "WebCpuScaling",
            "WebEgressToDb",
            "WebExecutionRole",
            "WebExecutionRoleDefaultPolicy",
            "WebHttpListener",
            "WebLoadBalancer",
            "WebLoadBalancerSecurityGroup",
            "WebLogGroup",
            "WebMemoryScaling",
            "WebScalableTarget",
            "WebService",
            "WebServiceIngressFromLoadBalancer",
            "WebServiceSecurityGroup",
            "WebTargetGroup",
            "WebTaskDefinition",
            "WebTaskRole",
        ]
    );
}

#[test]
fn every_checkov_skip_has_a_written_reason_listed_in_security_md() {
    let security = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/SECURITY.md"))
        .expect("SECURITY.md exists");
    for opts in [
        Options::default(),
        Options {
            certificate_arn: Some(CERT.into()),
            ..Options::default()
        },
    ] {
        let lint = opts
            .certificate_arn
            .is_some()
            .then_some("fargate-app-https");
        let (_, t) = synth(&opts, lint);
        for (id, r) in t.json()["Resources"].as_object().unwrap() {
            for skip in r["Metadata"]["checkov"]["skip"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let check = skip["id"].as_str().unwrap();
                let reason = skip["comment"].as_str().unwrap_or("");
                assert!(reason.len() > 20, "{id} {check}: no written reason");
                assert!(
                    security.contains(check),
                    "SECURITY.md does not list {check} ({id})"
                );
            }
            assert!(
                r["Metadata"]["cfn-lint"].is_null(),
                "{id}: a cfn-lint suppression"
            );
        }
    }
}

#[test]
fn allow_destroy_turns_deletion_protection_off_but_keeps_the_final_snapshot() {
    // GIVEN the default THEN the database and the load balancer are protected
    let t = default_template();
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"LoadBalancerAttributes": {"$arrayWith": [{"Key": "deletion_protection.enabled", "Value": "true"}]}}),
    ));
    // GIVEN --allow-destroy THEN both can be deleted, and the database still snapshots
    let (_, t) = synth(
        &Options {
            allow_destroy: true,
            ..Options::default()
        },
        None,
    );
    ok(t.has_resource(
        "AWS::RDS::DBInstance",
        json!({"DeletionPolicy": "Snapshot", "Properties": {"DeletionProtection": false}}),
    ));
    ok(t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"LoadBalancerAttributes": {"$arrayWith": [{"Key": "deletion_protection.enabled", "Value": "false"}]}}),
    ));
}
