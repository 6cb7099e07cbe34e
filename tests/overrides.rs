//! Raw overrides (issue 12, "Overrides"): a path through a list indexes into it, a path that
//! cannot be followed is `SF016`, and an override that changes a secure setting a pattern
//! protects is a warning (`SF031`) that names the setting, unless the call says why.

use serde_json::json;
use stackforge::cfn::logs::LogGroup;
use stackforge::diag::codes;
use stackforge::{App, Diagnostic, Tag};
use stackforge_modules::container_repository::{ContainerRepository, ContainerRepositoryProps};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::table::{Table, TableProps};

fn tagged() -> LogGroup {
    LogGroup {
        tags: Some(vec![Tag::new("team", "a"), Tag::new("env", "dev")]),
        ..LogGroup::default()
    }
}

fn errors(app: &App) -> Vec<Diagnostic> {
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    }
}

/// `(code, logical id, property)` of each diagnostic.
fn where_(ds: &[Diagnostic]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = ds
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_path_through_a_list_indexes_into_it() {
    let app = App::new();
    let mut s = app.stack("o");
    let g = s.add("Logs", tagged());
    s.override_property(g, &["Tags", "0", "Value"], json!("b"));
    s.delete_property(g, &["Tags", "1"]);
    let a = app.synth().unwrap();
    let t = &a.stacks[0].template;
    assert_eq!(
        t["Resources"]["Logs"]["Properties"]["Tags"],
        json!([{"Key": "team", "Value": "b"}])
    );
}

#[test]
fn a_path_that_cannot_be_followed_is_sf016_with_its_path() {
    let app = App::new();
    let mut s = app.stack("o");
    let g = s.add(
        "Logs",
        LogGroup {
            log_group_name: Some("app".into()),
            ..tagged()
        },
    );
    s.override_property(g, &["Tags", "5", "Value"], json!("x"));
    s.override_property(g, &["Tags", "first", "Value"], json!("x"));
    s.override_property(g, &["LogGroupName", "Nested"], json!("x"));
    s.override_property(g, &["Tags", "-1"], json!("x"));
    s.delete_property(g, &["Tags", "2"]);
    s.override_property(g, &[], json!("x"));
    assert_eq!(
        where_(&errors(&app)),
        [
            (
                "SF016".to_owned(),
                "Logs".to_owned(),
                "Properties.".to_owned()
            ),
            (
                "SF016".into(),
                "Logs".into(),
                "Properties.LogGroupName.Nested".into()
            ),
            ("SF016".into(), "Logs".into(), "Properties.Tags.-1".into()),
            ("SF016".into(), "Logs".into(), "Properties.Tags.2".into()),
            (
                "SF016".into(),
                "Logs".into(),
                "Properties.Tags.5.Value".into()
            ),
            (
                "SF016".into(),
                "Logs".into(),
                "Properties.Tags.first.Value".into()
            ),
        ]
    );
}

fn web() -> ServiceProps {
    ServiceProps {
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        container_port: 8080,
        health_check_path: "/health".into(),
        ..Default::default()
    }
}

struct Parts {
    net: Network,
    db: PostgresDatabase,
    svc: LoadBalancedFargateService,
    table: Table,
    repo: ContainerRepository,
}

/// Every pattern with protected settings, in one stack; `change` overrides some of them.
fn patterns(change: impl FnOnce(&mut stackforge::Scope<'_>, &Parts)) -> Vec<Diagnostic> {
    let app = App::new();
    let mut s = app.stack("secure");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let db = PostgresDatabase::new(&mut s, "Db", &net, PostgresProps::default());
    let svc = LoadBalancedFargateService::new(&mut s, "Web", &net, &cluster, web());
    let table = Table::new(&mut s, "Orders", TableProps::default());
    let repo = ContainerRepository::new(&mut s, "Images", ContainerRepositoryProps::default());
    let parts = Parts {
        net,
        db,
        svc,
        table,
        repo,
    };
    change(&mut s, &parts);
    match app.synth() {
        Ok(a) => a.warnings,
        Err(e) => panic!("{e}"),
    }
}

fn weakened(ds: &[Diagnostic]) -> Vec<(String, String)> {
    let mut v: Vec<_> = ds
        .iter()
        .filter(|d| d.code == codes::WEAKENED_SETTING)
        .map(|d| {
            (
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn publicly_accessible_on_the_database_is_a_warning_that_names_the_setting() {
    let w = patterns(|s, p| {
        s.override_property(p.db.instance, &["PubliclyAccessible"], json!(true));
    });
    assert_eq!(
        weakened(&w),
        [(
            "DbInstance".to_owned(),
            "Properties.PubliclyAccessible".to_owned()
        )]
    );
    let d = w
        .iter()
        .find(|d| d.code == codes::WEAKENED_SETTING)
        .unwrap();
    assert!(!d.is_error());
    assert!(d.message.contains("public access"), "{d}");
    assert!(d.help.contains("override_property_because"), "{d}");
}

#[test]
fn postgres_open_to_the_world_on_the_database_security_group_is_a_warning() {
    let w = patterns(|s, p| {
        s.override_property(
            p.db.security_group,
            &["SecurityGroupIngress"],
            json!([{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "0.0.0.0/0"}]),
        );
    });
    assert_eq!(
        weakened(&w),
        [(
            "DbSecurityGroup".to_owned(),
            "Properties.SecurityGroupIngress".to_owned()
        )]
    );
    assert!(w.iter().any(|d| d.message.contains("open ingress")));
}

#[test]
fn every_patterns_protected_settings_are_marked() {
    let w = patterns(|s, p| {
        s.delete_property(p.db.instance, &["StorageEncrypted"]);
        s.override_property(p.db.instance, &["DeletionProtection"], json!(false));
        s.override_property(
            p.db.parameter_group,
            &["Parameters", "rds.force_ssl"],
            json!("0"),
        );
        s.override_property(
            p.svc.service,
            &[
                "NetworkConfiguration",
                "AwsvpcConfiguration",
                "AssignPublicIp",
            ],
            json!("ENABLED"),
        );
        s.override_property(
            p.svc.service_security_group,
            &["SecurityGroupIngress"],
            json!([{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]),
        );
        s.override_property(
            p.net.public_subnets[0],
            &["MapPublicIpOnLaunch"],
            json!(true),
        );
        s.override_property(
            p.table.table,
            &["SSESpecification", "SSEEnabled"],
            json!(false),
        );
        s.delete_property(p.table.table, &["PointInTimeRecoverySpecification"]);
        s.override_property(p.repo.repository, &["ImageTagMutability"], json!("MUTABLE"));
    });
    assert_eq!(
        weakened(&w),
        [
            (
                "DbInstance".to_owned(),
                "Properties.DeletionProtection".to_owned()
            ),
            ("DbInstance".into(), "Properties.StorageEncrypted".into()),
            (
                "DbParameterGroup".into(),
                "Properties.Parameters.rds.force_ssl".into()
            ),
            (
                "ImagesRepository".into(),
                "Properties.ImageTagMutability".into()
            ),
            (
                "NetPublicSubnet1".into(),
                "Properties.MapPublicIpOnLaunch".into()
            ),
            (
                "OrdersTable".into(),
                "Properties.PointInTimeRecoverySpecification".into()
            ),
            ("OrdersTable".into(), "Properties.SSESpecification".into()),
            (
                "WebService".into(),
                "Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp".into()
            ),
            (
                "WebServiceSecurityGroup".into(),
                "Properties.SecurityGroupIngress".into()
            ),
        ]
    );
}

#[test]
fn an_override_that_says_why_or_leaves_protected_settings_alone_is_silent() {
    let w = patterns(|s, p| {
        s.override_property_because(
            p.db.instance,
            &["PubliclyAccessible"],
            json!(true),
            "a throw-away demo database reached from a laptop",
        );
        s.delete_property_because(
            p.table.table,
            &["PointInTimeRecoverySpecification"],
            "a cache table rebuilt from the source of truth",
        );
        // Not protected: the backup window.
        s.override_property(
            p.db.instance,
            &["PreferredBackupWindow"],
            json!("03:00-04:00"),
        );
        // Same value: nothing changes.
        s.override_property(p.db.instance, &["StorageEncrypted"], json!(true));
    });
    assert_eq!(weakened(&w), Vec::<(String, String)>::new(), "{w:#?}");
}
