//! The example systems (chatbot, hello-redis, ec2-fleet, falafel-api) and the GitHub Actions
//! workflow users copy (`examples/ci/`).
//!
//! The workflow is validated against the GitHub workflow JSON schema with the pinned
//! `check-jsonschema` (it ships the schema, so it runs offline). Parsing the YAML alone would
//! not catch a misspelt key.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use stackforge::testing::Template;
use stackforge::{App, Assembly, Diagnostic};
use stackforge::{Requirement, Val};
use stackforge_examples::{chatbot, ec2_fleet, falafel_api, hello_redis};

use crate::common::{snapshot_settings, write_for_lint};
use crate::synth_output::tempdir;

/// Synthesizes an example, writes it for cfn-lint and checkov
/// (`target/cfn-lint/examples/<name>/`), and snapshots every stack as `examples__<name>-<stack>`.
fn synth_example(app: &App, name: &str) -> Assembly {
    let a = app
        .synth()
        .unwrap_or_else(|e| panic!("{name} does not synthesize: {e}"));
    write_for_lint(&a, "examples", name);
    snapshot_settings().bind(|| {
        for s in &a.stacks {
            insta::assert_json_snapshot!(format!("examples__{name}-{}", s.name), s.template);
        }
    });
    a
}

fn template(a: &Assembly, stack: &str) -> Template {
    Template::from_json(a.stack(stack).expect("stack exists").template.clone())
}

fn errors_of(app: &App) -> Vec<Diagnostic> {
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

fn codes(errs: &[Diagnostic]) -> Vec<&str> {
    errs.iter().map(|d| d.code.as_str()).collect()
}

// ---------------------------------------------------------------- chatbot

#[test]
fn chatbot_runs_two_tasks_privately_behind_an_alb_with_the_key_from_secrets_manager() {
    let a = synth_example(&chatbot::build(&chatbot::Options::default()), "chatbot");
    assert_eq!(
        a.stacks.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["chatbot-registry", "chatbot"]
    );
    let t = template(&a, "chatbot");
    // ALB in public subnets; service desired 2 in private subnets, no public IPs.
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"Scheme": "internet-facing", "Subnets": [{"Ref": "NetPublicSubnet1"}, {"Ref": "NetPublicSubnet2"}]}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "DesiredCount": 2,
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": [{"Ref": "NetPrivateSubnet1"}, {"Ref": "NetPrivateSubnet2"}]
            }}
        }),
    )
    .unwrap();
    // NAT for the outbound OpenAI calls.
    t.resource_count_is("AWS::EC2::NatGateway", 1).unwrap();
    t.has_resource_properties(
        "AWS::EC2::Route",
        json!({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"$any": true}}),
    )
    .unwrap();
    // Logs, and scaling on CPU and memory.
    t.resource_count_is("AWS::Logs::LogGroup", 2).unwrap();
    for metric in [
        "ECSServiceAverageCPUUtilization",
        "ECSServiceAverageMemoryUtilization",
    ] {
        t.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            json!({"TargetTrackingScalingPolicyConfiguration": {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}}),
        )
        .unwrap();
    }
    // The image from the repository of the registry stack, through an import.
    let c = &t.resource("WebTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        c["Image"],
        json!({"Fn::Sub": ["${Var0}:v1", {"Var0": {"Fn::ImportValue": "chatbot-registry:ImagesRepository:RepositoryUri"}}]})
    );
    // The OpenAI key as an ECS secret by name; the execution role may read exactly it.
    assert_eq!(c["Secrets"][0]["Name"], "OPENAI_API_KEY");
    assert_eq!(
        c["Secrets"][0]["ValueFrom"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:chatbot/openai-api-key"})
    );
    assert!(c
        .get("Environment")
        .is_none_or(|e| !e.to_string().contains("OPENAI")));
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"Roles": [{"Ref": "WebExecutionRole"}], "PolicyDocument": {"Statement": {"$arrayWith": [{
            "Action": "secretsmanager:GetSecretValue",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:chatbot/openai-api-key-??????"}
        }]}}}),
    )
    .unwrap();
    // Tasks reachable from the ALB only.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({"GroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
               "SourceSecurityGroupId": {"Fn::GetAtt": ["WebLoadBalancerSecurityGroup", "GroupId"]},
               "FromPort": chatbot::PORT, "ToPort": chatbot::PORT}),
    )
    .unwrap();
}

#[test]
fn chatbot_never_puts_the_key_in_the_template() {
    // GIVEN a key imported by ARN
    let opts = chatbot::Options {
        openai_secret: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:openai-AbCdEf".into(),
        ..Default::default()
    };
    let a = chatbot::build(&opts).synth().unwrap();
    let t = template(&a, "chatbot");
    let c = &t.resource("WebTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"][0];
    assert_eq!(c["Secrets"][0]["ValueFrom"], opts.openai_secret.as_str());
    // THEN nothing that looks like a key value or a resolve of it is in any template
    for s in &a.stacks {
        assert!(!s.pretty.contains("sk-"), "{}", s.name);
        assert!(!s.pretty.contains("resolve:secretsmanager"), "{}", s.name);
    }
}

// ---------------------------------------------------------------- hello-redis

fn hello_redis_wiring(t: &Template) {
    // Redis in private subnets, encrypted, with the generated token.
    t.has_resource_properties(
        "AWS::ElastiCache::SubnetGroup",
        json!({"SubnetIds": [{"Ref": "NetPrivateSubnet1"}, {"Ref": "NetPrivateSubnet2"}]}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ElastiCache::ReplicationGroup",
        json!({"TransitEncryptionEnabled": true, "AtRestEncryptionEnabled": true,
               "AuthToken": {"Fn::Sub": "{{resolve:secretsmanager:${RedisAuthToken}:SecretString}}"}}),
    )
    .unwrap();
    // Endpoint as env, token as a secret.
    let c = &t.resource("WebTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        c["Environment"],
        json!([
            {"Name": "REDIS_HOST", "Value": {"Fn::GetAtt": ["RedisReplicationGroup", "PrimaryEndPoint.Address"]}},
            {"Name": "REDIS_PORT", "Value": {"Fn::GetAtt": ["RedisReplicationGroup", "PrimaryEndPoint.Port"]}},
            {"Name": "REDIS_TLS", "Value": "true"}
        ])
    );
    assert_eq!(
        c["Secrets"],
        json!([{"Name": "REDIS_AUTH_TOKEN", "ValueFrom": {"Ref": "RedisAuthToken"}}])
    );
    // Redis reachable only from the service's security group, on 6379.
    t.resource_count_is("AWS::EC2::SecurityGroupIngress", 2)
        .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({"GroupId": {"Fn::GetAtt": ["RedisSecurityGroup", "GroupId"]},
               "SourceSecurityGroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
               "FromPort": 6379, "ToPort": 6379}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({"GroupId": {"Fn::GetAtt": ["WebServiceSecurityGroup", "GroupId"]},
               "DestinationSecurityGroupId": {"Fn::GetAtt": ["RedisSecurityGroup", "GroupId"]},
               "FromPort": 6379}),
    )
    .unwrap();
}

#[test]
fn hello_redis_on_fargate_wires_redis_endpoint_and_token() {
    let a = synth_example(
        &hello_redis::build(&hello_redis::Options::default()),
        "hello-redis",
    );
    let t = template(&a, "hello-redis");
    hello_redis_wiring(&t);
    t.has_resource_properties("AWS::ECS::Service", json!({"LaunchType": "FARGATE"}))
        .unwrap();
    t.resource_count_is("AWS::AutoScaling::AutoScalingGroup", 0)
        .unwrap();
}

#[test]
fn hello_redis_on_ec2_runs_on_the_capacity_provider_with_a_working_agent() {
    let opts = hello_redis::Options {
        ec2: true,
        ..Default::default()
    };
    let a = synth_example(&hello_redis::build(&opts), "hello-redis-ec2");
    let t = template(&a, "hello-redis");
    hello_redis_wiring(&t);
    // The service uses the capacity provider, not Fargate; the task requires EC2.
    t.has_resource(
        "AWS::ECS::Service",
        json!({
            "DependsOn": {"$arrayWith": ["CapacityAssociations"]},
            "Properties": {
                "LaunchType": {"$absent": true},
                "CapacityProviderStrategy": [{"CapacityProvider": {"Ref": "CapacityCapacityProvider"}, "Weight": 1}]
            }
        }),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({"RequiresCompatibilities": ["EC2"], "NetworkMode": "awsvpc"}),
    )
    .unwrap();
    // The part seed 001 never got working: the ECS-optimized AMI and the cluster's name.
    let data = &t.resource("CapacityLaunchTemplate").unwrap()["Properties"]["LaunchTemplateData"];
    assert_eq!(
        data["ImageId"],
        "{{resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id}}"
    );
    assert_eq!(
        data["UserData"],
        json!({"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n"}})
    );
    // Instances in the private subnets.
    t.has_resource_properties(
        "AWS::AutoScaling::AutoScalingGroup",
        json!({"VPCZoneIdentifier": [{"Ref": "NetPrivateSubnet1"}, {"Ref": "NetPrivateSubnet2"}]}),
    )
    .unwrap();
    t.has_resource_properties(
        "AWS::ECS::ClusterCapacityProviderAssociations",
        json!({"Cluster": {"Ref": "Cluster"}}),
    )
    .unwrap();
}

#[test]
fn an_invalid_redis_node_type_in_hello_redis_is_reported_with_its_path() {
    let app = hello_redis::build(&hello_redis::Options::default());
    // A second cache with a node type ElastiCache does not have.
    let mut s = app.stack("hello-redis");
    let net = stackforge_modules::existing::existing_vpc(
        &mut s,
        "vpc-0123456789abcdef0",
        &["subnet-0123456789abcdef0"],
        &["subnet-0123456789abcdef1", "subnet-0123456789abcdef2"],
    );
    stackforge_modules::redis_cache::RedisCache::new(
        &mut s,
        "Sessions",
        &net,
        stackforge_modules::redis_cache::RedisCacheProps {
            node_type: "cache.t4g.enormous".into(),
            ..Default::default()
        },
    );
    let errs = errors_of(&app);
    assert_eq!(codes(&errs), ["SFM103"]);
    assert_eq!(
        errs[0].path.logical_id.as_deref(),
        Some("SessionsReplicationGroup")
    );
    assert_eq!(
        errs[0].path.property.as_deref(),
        Some("Properties.CacheNodeType")
    );
}

// ---------------------------------------------------------------- falafel-api

#[test]
fn falafel_api_is_two_stacks_in_order_with_a_typed_cross_stack_image_reference() {
    let a = synth_example(
        &falafel_api::build(&falafel_api::Options::default()),
        "falafel-api",
    );
    // `registry` first, `app` depends on it.
    assert_eq!(
        a.stacks.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["registry", "app"]
    );
    let app_stack = a.stack("app").unwrap();
    assert_eq!(app_stack.dependencies, ["registry"]);
    // The pre-deploy requirement: this tag in this repository, produced by `registry`.
    assert_eq!(
        app_stack.requirements,
        [Requirement::ImageExists {
            repository: falafel_api::REPOSITORY_NAME.into(),
            tag: "v1".into(),
            producer: Some("registry".into()),
        }]
    );
    let manifest = a.manifest();
    assert_eq!(
        manifest["stacks"][1]["requirements"][0]["kind"],
        "image-exists"
    );

    let registry = template(&a, "registry");
    registry
        .has_resource_properties(
            "AWS::ECR::Repository",
            json!({"RepositoryName": "falafel-api", "ImageTagMutability": "IMMUTABLE", "EmptyOnDelete": true}),
        )
        .unwrap();
    registry
        .has_output(
            "RepositoryUri",
            json!({"Value": {"Fn::GetAtt": ["ApiRepository", "RepositoryUri"]}}),
        )
        .unwrap();
    registry
        .has_output(
            "ExportApiRepositoryRepositoryUri",
            json!({"Export": {"Name": "registry:ApiRepository:RepositoryUri"}}),
        )
        .unwrap();

    let t = template(&a, "app");
    let c = &t.resource("ApiTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"][0];
    assert_eq!(
        c["Image"],
        json!({"Fn::Sub": ["${Var0}:v1", {"Var0": {"Fn::ImportValue": "registry:ApiRepository:RepositoryUri"}}]})
    );
    assert_eq!(
        c["Environment"],
        json!([{"Name": "TABLE_NAME", "Value": {"Ref": "FalafelsTable"}}])
    );
    // The table: on-demand, PITR, encryption, protected and retained.
    t.has_resource(
        "AWS::DynamoDB::Table",
        json!({"DeletionPolicy": "Retain", "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "SSESpecification": {"SSEEnabled": true},
            "DeletionProtectionEnabled": true
        }}),
    )
    .unwrap();
    // Least privilege on exactly that table, for the task role (`grant_read_write(&service)`).
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"Roles": [{"Ref": "ApiTaskRole"}], "PolicyDocument": {"Statement": [{"Resource": [
            {"Fn::GetAtt": ["FalafelsTable", "Arn"]},
            {"Fn::Sub": "${FalafelsTable.Arn}/index/*"}
        ]}]}}),
    )
    .unwrap();
    // Pull from exactly that repository, for the execution role.
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({"Roles": [{"Ref": "ApiExecutionRole"}], "PolicyDocument": {"Statement": {"$arrayWith": [{
            "Sid": "PullImage",
            "Resource": {"Fn::ImportValue": "registry:ApiRepository:Arn"}
        }]}}}),
    )
    .unwrap();
}

#[test]
fn falafel_api_list_shows_registry_before_app() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = stackforge::cli::run_from::<falafel_api::Options>(
        ["falafel-api", "list"],
        falafel_api::build,
        &mut out,
        &mut err,
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    let registry = out.find("registry").expect("registry listed");
    let app = out.find("app").expect("app listed");
    assert!(registry < app, "{out}");
    // The tag is an option (and FALAFEL_IMAGE_TAG in CI), after the subcommand too.
    let mut out = Vec::new();
    let code = stackforge::cli::run_from::<falafel_api::Options>(
        ["falafel-api", "list", "--image-tag", "3f2c1ab"],
        |o| {
            assert_eq!(o.image_tag, "3f2c1ab");
            falafel_api::build(o)
        },
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0);
}

#[test]
fn a_reference_from_registry_back_to_app_is_a_stack_cycle() {
    // GIVEN the falafel-api app
    let (app, parts) = falafel_api::build_parts(&falafel_api::Options::default());
    // WHEN the registry stack references something of the app stack (here the app's
    // execution role, as a repository policy naming its pullers would; grant_pull avoids it
    // by adding the grant on the role's side)
    let mut registry = app.stack("registry");
    registry.add_raw(
        "PullerList",
        stackforge::Raw::new("AWS::SSM::Parameter")
            .prop("Type", Val::<String>::from("String"))
            .prop("Value", parts.api.execution_role.attr_arn()),
    );
    // THEN synth refuses with the stack-cycle code, naming both stacks
    let errs = errors_of(&app);
    assert_eq!(codes(&errs), ["SF005"], "{errs:#?}");
    let text = errs[0].to_string();
    assert!(text.contains("registry") && text.contains("app"), "{text}");
}

// ---------------------------------------------------------------- ec2-fleet

#[test]
fn ec2_fleet_builds_one_instance_per_table_row_with_public_dns_outputs() {
    // GIVEN the example's table WHEN it is built
    let a = synth_example(
        &ec2_fleet::build(&ec2_fleet::Options::default()),
        "ec2-fleet",
    );
    let t = template(&a, "ec2-fleet");
    // THEN one instance per row, each from its OS's public SSM parameter
    t.resource_count_is("AWS::EC2::Instance", ec2_fleet::FLEET.len())
        .unwrap();
    let oses: Vec<&str> = ec2_fleet::FLEET.iter().map(|r| r.1).collect();
    assert_eq!(
        oses,
        [
            "amazon-linux-2023",
            "ubuntu-24.04",
            "debian-12",
            "windows-server-2022"
        ]
    );
    for (id, os, _) in ec2_fleet::FLEET {
        let image = stackforge_modules::ec2_instance::os_image(os).unwrap();
        t.has_resource_properties(
            "AWS::EC2::Instance",
            json!({
                "ImageId": format!("{{{{resolve:ssm:{}}}}}", image.ssm_parameter),
                "NetworkInterfaces": [{"AssociatePublicIpAddress": true, "SubnetId": {"Ref": "NetPublicSubnet"}}]
            }),
        )
        .unwrap();
        t.has_output(
            &format!("{id}PublicDnsName"),
            json!({"Value": {"Fn::GetAtt": [format!("Fleet{id}Instance"), "PublicDnsName"]}}),
        )
        .unwrap();
    }
    // The VPC has DNS hostnames, so public DNS names exist.
    t.has_resource_properties(
        "AWS::EC2::VPC",
        json!({"EnableDnsHostnames": true, "EnableDnsSupport": true}),
    )
    .unwrap();
    // HTTP/HTTPS open; no SSH or RDP at all.
    let ingress = t.resource("FleetSecurityGroup").unwrap()["Properties"]["SecurityGroupIngress"]
        .as_array()
        .unwrap()
        .clone();
    let ports: Vec<i64> = ingress
        .iter()
        .map(|r| r["FromPort"].as_i64().unwrap())
        .collect();
    assert_eq!(ports, [80, 443]);
    // IMDSv2 on every launch template.
    assert_eq!(
        t.find_resources(
            "AWS::EC2::LaunchTemplate",
            &json!({"Properties": {"LaunchTemplateData": {"MetadataOptions": {"HttpTokens": "required"}}}})
        )
        .len(),
        ec2_fleet::FLEET.len()
    );
}

#[test]
fn ec2_fleet_refuses_an_unknown_os_and_world_open_admin() {
    // An OS missing from the OS table: SFM107 on that instance.
    let rows = [("Rhel", "red-hat-9", "t3.micro")];
    let errs = errors_of(&ec2_fleet::build_fleet(
        &rows,
        &ec2_fleet::Options::default(),
    ));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code.as_str(), "SFM107");
    assert_eq!(
        errs[0].path.logical_id.as_deref(),
        Some("FleetRhelInstance")
    );
    // --admin-cidr 0.0.0.0/0 without --allow-world-admin: SFM108.
    let world = ec2_fleet::Options {
        admin_cidr: Some("0.0.0.0/0".into()),
        allow_world_admin: false,
    };
    let errs = errors_of(&ec2_fleet::build(&world));
    assert_eq!(
        errs.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(),
        ["SFM108"]
    );
    // With the allowance it builds, and RDP/SSH open only as asked.
    let allowed = ec2_fleet::Options {
        allow_world_admin: true,
        ..world
    };
    let a = ec2_fleet::build(&allowed)
        .synth()
        .expect("explicitly allowed");
    write_for_lint(&a, "examples", "ec2-fleet-world-admin");
    let t = template(&a, "ec2-fleet");
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({"SecurityGroupIngress": {"$arrayWith": [
            {"CidrIp": "0.0.0.0/0", "FromPort": 22},
            {"CidrIp": "0.0.0.0/0", "FromPort": 3389}
        ]}}),
    )
    .unwrap();
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `check-jsonschema` from `$STACKFORGE_VENV/tools/bin` or `<repo>/.venv/tools/bin`.
/// Missing is a failure, never a skip: `scripts/setup-tools` installs it.
fn check_jsonschema() -> PathBuf {
    let venv = std::env::var_os("STACKFORGE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let tool = venv.join("tools").join("bin").join("check-jsonschema");
    assert!(
        tool.is_file(),
        "{} is missing: run scripts/setup-tools (pinned in scripts/requirements-tools.txt)",
        tool.display()
    );
    tool
}

fn validate(files: &[&Path]) -> (bool, String) {
    let out = Command::new(check_jsonschema())
        .args(["--builtin-schema", "vendor.github-workflows"])
        .args(files)
        .output()
        .expect("run check-jsonschema");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn workflows() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/ci"))
        .expect("examples/ci exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect();
    files.sort();
    files
}

#[test]
fn ci_workflows_match_the_github_workflow_schema() {
    let files = workflows();
    assert!(!files.is_empty(), "no workflow in examples/ci");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (ok, report) = validate(&refs);
    assert!(ok, "{report}");
}

#[test]
fn the_schema_check_rejects_a_broken_workflow() {
    // GIVEN the real workflow with one misspelt key
    let src = std::fs::read_to_string(repo().join("examples/ci/stackforge.yml")).unwrap();
    let broken = src.replacen("runs-on:", "run-on:", 1);
    assert_ne!(src, broken);
    let dir = tempdir("ci-broken");
    let path = dir.join("broken.yml");
    std::fs::write(&path, broken).unwrap();
    // WHEN it is validated THEN the schema check fails (so the passing test above means something)
    let (ok, report) = validate(&[&path]);
    assert!(!ok, "a workflow without runs-on passed: {report}");
}

#[test]
fn the_workflow_deploys_registry_then_pushes_the_image_then_deploys_app() {
    let src = std::fs::read_to_string(repo().join("examples/ci/stackforge.yml")).unwrap();
    let at = |needle: &str| {
        src.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` is missing from the workflow"))
    };
    // PR: synth + snapshot check + diff comment; main: OIDC deploy.
    at("pull_request:");
    at("INSTA_UPDATE: \"no\"");
    at("-- diff");
    at("gh pr comment");
    at("id-token: write");
    at("aws-actions/configure-aws-credentials@");
    assert!(
        !src.contains("AWS_SECRET_ACCESS_KEY"),
        "use OIDC, not stored keys"
    );
    // The order the two falafel-api stacks need.
    let registry = at("deploy --stack registry");
    let push = at("docker/build-push-action@");
    let app = at("deploy --yes --require-approval never");
    assert!(
        registry < push && push < app,
        "registry, then the image push, then app"
    );
}

// ---------------------------------------------------------------- CLIs

#[test]
fn example_clis_are_consistent() {
    use clap::CommandFactory;
    use stackforge::cli::Cli;
    Cli::<chatbot::Options>::command().debug_assert();
    Cli::<hello_redis::Options>::command().debug_assert();
    Cli::<ec2_fleet::Options>::command().debug_assert();
    Cli::<falafel_api::Options>::command().debug_assert();
}

#[test]
fn hello_redis_ec2_flag_switches_the_variant() {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = stackforge::cli::run_from::<hello_redis::Options>(
        ["hello-redis", "validate", "--ec2"],
        |o| {
            assert!(o.ec2);
            hello_redis::build(o)
        },
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
}
