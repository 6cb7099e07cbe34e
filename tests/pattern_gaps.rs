//! The patterns' gaps of issue 12: what was wrongly accepted (a multicast VPC, `db.banana`,
//! 200,000 GiB, TLS 1.0, a malformed image, a 9-hex-digit security group) and wrongly
//! rejected (explicit public subnet CIDRs equal to the defaults), and imports whose errors
//! carried no logical ID.

use stackforge::App;
use stackforge_modules::codes;
use stackforge_modules::container_repository::{
    check_image_reference, ContainerRepository, ContainerRepositoryProps,
};
use stackforge_modules::existing::{
    existing_vpc, CertificateRef, ExistingSecurityGroup, SecretRef,
};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::refs::{ExistingCluster, ExistingRole};

use crate::common::{e, errors, found};

fn net(cidr: &str) -> App {
    let app = App::new();
    let mut s = app.stack("n");
    Network::new(
        &mut s,
        "Net",
        NetworkProps {
            cidr: cidr.into(),
            ..Default::default()
        },
    );
    app
}

#[test]
fn a_vpc_outside_the_private_ranges_is_refused() {
    for bad in [
        "224.0.0.0/16",
        "8.8.0.0/16",
        "127.0.0.0/16",
        "169.254.0.0/16",
        "240.0.0.0/16",
    ] {
        assert_eq!(
            found(&net(bad)),
            [e(codes::INVALID_CIDR, "NetVpc", "Properties.CidrBlock")],
            "{bad}"
        );
    }
    for ok in [
        "10.1.0.0/16",
        "172.16.0.0/16",
        "172.31.0.0/16",
        "192.168.0.0/16",
        "100.64.0.0/16",
    ] {
        assert_eq!(found(&net(ok)), [], "{ok}");
    }
}

#[test]
fn explicit_public_subnet_cidrs_equal_to_the_defaults_are_accepted() {
    let app = App::new();
    let mut s = app.stack("n");
    let n = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            public_subnet_cidrs: Some(vec!["10.0.0.0/24".into(), "10.0.1.0/24".into()]),
            ..Default::default()
        },
    );
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let cidrs: Vec<String> = n.private_cidrs.iter().map(ToString::to_string).collect();
    // The private subnets are where the defaults put them.
    assert_eq!(cidrs, ["10.0.16.0/20", "10.0.32.0/20"]);
    let t = &a.stacks[0].template;
    assert_eq!(
        t["Resources"]["NetPublicSubnet2"]["Properties"]["CidrBlock"],
        "10.0.1.0/24"
    );
    // Explicit private subnets at the start push computed public ones past them.
    let app = App::new();
    let mut s = app.stack("n");
    let n = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            private_subnet_cidrs: Some(vec!["10.0.0.0/20".into(), "10.0.16.0/20".into()]),
            ..Default::default()
        },
    );
    assert_eq!(found(&app), []);
    let public: Vec<String> = n.public_cidrs.iter().map(ToString::to_string).collect();
    assert_eq!(public, ["10.0.32.0/24", "10.0.33.0/24"]);
}

fn web(image: &str) -> ServiceProps {
    ServiceProps {
        image: image.into(),
        container_port: 8080,
        health_check_path: "/health".into(),
        ..Default::default()
    }
}

fn service(props: ServiceProps) -> App {
    let app = App::new();
    let mut s = app.stack("svc");
    let n = Network::new(&mut s, "Net", NetworkProps::default());
    let c = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(&mut s, "Web", &n, &c, props);
    app
}

#[test]
fn a_malformed_image_reference_is_sfm102() {
    assert_eq!(
        found(&service(web("UPPER case/BAD IMAGE::tag"))),
        [e(
            codes::INVALID_IMAGE_REFERENCE,
            "WebTaskDefinition",
            "Properties.ContainerDefinitions[0].Image"
        )]
    );
    for bad in [
        "Nginx",
        "nginx:",
        "nginx::1",
        "nginx:-x",
        "nginx@sha256:abc",
        "my_-repo",
        "repo//name",
        "-repo",
        "registry.example.com:port/app",
        "app:1.0 ",
    ] {
        assert!(check_image_reference(bad).is_err(), "{bad}");
    }
    for ok in [
        "nginx",
        "nginx:1.27",
        "public.ecr.aws/nginx/nginx:1.27",
        "servian/techchallengeapp:latest",
        "localhost:5000/app:dev",
        "Registry.Example.com/team/app_name:v1.2-rc_3",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "team/a.b__c-d---e:g",
    ] {
        assert_eq!(check_image_reference(ok), Ok(()), "{ok}");
    }
}

fn db(props: PostgresProps) -> App {
    let app = App::new();
    let mut s = app.stack("db");
    let n = Network::new(&mut s, "Net", NetworkProps::default());
    PostgresDatabase::new(&mut s, "Db", &n, props);
    app
}

#[test]
fn db_banana_and_200000_gib_are_sfm010() {
    assert_eq!(
        found(&db(PostgresProps {
            instance_class: "db.banana".into(),
            ..Default::default()
        })),
        [e(
            codes::INVALID_DATABASE,
            "DbInstance",
            "Properties.DBInstanceClass"
        )]
    );
    assert_eq!(
        found(&db(PostgresProps {
            allocated_storage_gib: 200_000.into(),
            ..Default::default()
        })),
        [e(
            codes::INVALID_DATABASE,
            "DbInstance",
            "Properties.AllocatedStorage"
        )]
    );
}

#[test]
fn the_tls_1_0_listener_policy_is_sfm013() {
    let app = App::new();
    let mut s = app.stack("svc");
    let n = Network::new(&mut s, "Net", NetworkProps::default());
    let c = Cluster::new(&mut s, "Cluster");
    let cert = CertificateRef::from_arn(
        &mut s,
        "arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab",
    );
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &n,
        &c,
        ServiceProps {
            certificate: Some(cert),
            ssl_policy: "ELBSecurityPolicy-2016-08".into(),
            ..web("nginx:1.27")
        },
    );
    assert_eq!(
        found(&app),
        [e(
            codes::WEAK_TLS_POLICY,
            "WebHttpsListener",
            "Properties.SslPolicy"
        )]
    );
}

#[test]
fn imports_are_reported_under_a_logical_id_with_the_field() {
    let app = App::new();
    let mut s = app.stack("imports");
    s.add_raw("Anchor", stackforge::Raw::new("AWS::SQS::Queue"));
    ExistingSecurityGroup::from_id(&mut s, "Shared", "sg-123456789");
    existing_vpc(
        &mut s,
        "vpc-0a1b2c3d",
        &["subnet-0a1b2c3d", "subnet-xyz"],
        &["subnet-0a1b2c3d4e5f6a7b8"],
    );
    SecretRef::from_name(&mut s, "bad name!");
    CertificateRef::from_arn(&mut s, "arn:aws:iam::123456789012:role/x");
    ExistingCluster::from_name(&s, "bad cluster");
    ExistingRole::from_arn(&s, "Deployer", "arn:aws:s3:::bucket");
    let mut scoped = s.child("Api");
    ExistingRole::from_name(&scoped, "Runner", "not a role/name");
    ExistingCluster::from_name(&scoped, "");
    let _ = &mut scoped;
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_IMPORT, "ApiExistingCluster", "ClusterName"),
            e(codes::INVALID_IMPORT, "ApiRunner", "RoleName"),
            e(codes::INVALID_IMPORT, "Certificate", "CertificateArn"),
            e(codes::INVALID_IMPORT, "Deployer", "RoleArn"),
            e(codes::INVALID_IMPORT, "ExistingCluster", "ClusterName"),
            e(codes::INVALID_IMPORT, "ExistingSecret", "SecretName"),
            e(codes::INVALID_IMPORT, "ExistingVpc", "PublicSubnetIds[1]"),
            e(codes::INVALID_IMPORT, "Shared", "GroupId"),
        ]
    );
}

#[test]
fn an_image_requirement_error_names_the_repository() {
    let app = App::new();
    let mut registry = app.stack("registry");
    let unnamed =
        ContainerRepository::new(&mut registry, "Images", ContainerRepositoryProps::default());
    let named = ContainerRepository::new(
        &mut registry,
        "Api",
        ContainerRepositoryProps {
            repository_name: Some("api".into()),
            ..Default::default()
        },
    );
    let mut svc = app.stack("svc");
    svc.add_raw("Anchor", stackforge::Raw::new("AWS::SQS::Queue"));
    unnamed.require_image(&mut svc, "1.0");
    named.require_image(&mut svc, "-bad");
    let errs = errors(&app);
    assert!(
        errs.iter()
            .all(|d| d.path.stack.as_deref() == Some("registry")),
        "{errs:#?}"
    );
    assert_eq!(
        found(&app),
        [
            e(codes::INVALID_IMAGE_REFERENCE, "ApiRepository", "ImageTag"),
            e(
                codes::INVALID_IMAGE_REFERENCE,
                "ImagesRepository",
                "Properties.RepositoryName"
            ),
        ]
    );
}

/// Another App's handle or condition in `depends_on` and `set_condition` is SF006 (issue 12
/// saw SF013), whichever side is foreign.
#[test]
fn another_apps_handle_in_depends_on_or_set_condition_is_sf006() {
    let other = App::new();
    let mut o = other.stack("other");
    let foreign = o.add_raw("Foreign", stackforge::Raw::new("AWS::SQS::Queue"));
    let foreign_cond = o.condition("Never", stackforge::fns::equals::<String>("a", "b"));

    let app = App::new();
    let mut s = app.stack("main");
    let local = s.add_raw("Local", stackforge::Raw::new("AWS::SQS::Queue"));
    let cond = s.condition("Always", stackforge::fns::equals::<String>("a", "a"));
    s.depends_on(local, foreign);
    s.depends_on(foreign, local);
    s.set_condition(local, &foreign_cond);
    s.set_condition(foreign, &cond);
    s.override_property(foreign, &["X"], serde_json::json!(1));
    assert_eq!(
        found(&app),
        [
            e(stackforge::diag::codes::FOREIGN_APP, "", "Condition"),
            e(stackforge::diag::codes::FOREIGN_APP, "", "DependsOn"),
            e(stackforge::diag::codes::FOREIGN_APP, "", "override"),
            e(stackforge::diag::codes::FOREIGN_APP, "Local", "Condition"),
            e(stackforge::diag::codes::FOREIGN_APP, "Local", "DependsOn"),
        ]
    );
}
