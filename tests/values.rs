//! Issue 10, "inputs as values": every value option of every pattern is filled by a template
//! parameter here (one test case per option), and the parameter reaches the property
//! untouched — no override. Options that change which resources exist stay plain Rust and
//! are listed in ARCHITECTURE.md ("Inputs as values").

use serde_json::{json, Value as Json};
use stackforge::{App, Parameter, Scope, Val};
use stackforge_modules::bucket::{Bucket, BucketProps};
use stackforge_modules::ec2_capacity_cluster::{Ec2CapacityCluster, Ec2CapacityClusterProps};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::key::{Key, KeyProps};
use stackforge_modules::log_group::{LogGroup, LogGroupProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::queue::{Queue, QueueProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::table::{Attribute, Table, TableProps};

/// A parameter `P` whose one allowed value is `valid`.
fn param<T: Typed>(s: &mut Scope<'_>, valid: &str) -> Val<T> {
    s.parameter("P", T::parameter().allowed_values([valid]))
}

/// The parameter constructor for each value type.
trait Typed: Sized {
    fn parameter() -> Parameter<Self>;
}
impl Typed for String {
    fn parameter() -> Parameter<String> {
        Parameter::string()
    }
}
impl Typed for i64 {
    fn parameter() -> Parameter<i64> {
        Parameter::integer()
    }
}
impl Typed for bool {
    fn parameter() -> Parameter<bool> {
        Parameter::boolean()
    }
}

fn web() -> ServiceProps {
    ServiceProps {
        image: "public.ecr.aws/nginx/nginx:1.27".into(),
        health_check_path: "/".into(),
        ..Default::default()
    }
}

type Case = (&'static str, fn(&mut Scope<'_>), &'static str, &'static str);

fn service(s: &mut Scope<'_>, props: ServiceProps) {
    let net = Network::new(s, "Net", NetworkProps::default());
    let cluster = Cluster::new(s, "Cluster");
    LoadBalancedFargateService::new(s, "Web", &net, &cluster, props);
}

fn database(s: &mut Scope<'_>, props: PostgresProps) {
    let net = Network::new(s, "Net", NetworkProps::default());
    PostgresDatabase::new(s, "Db", &net, props);
}

/// (option, build with the parameter in it, logical ID, JSON pointer below the resource).
const CASES: &[Case] = &[
    (
        "ServiceProps::image",
        |s| {
            let p = param(s, "nginx:1");
            service(s, ServiceProps { image: p, ..web() })
        },
        "WebTaskDefinition",
        "/Properties/ContainerDefinitions/0/Image",
    ),
    (
        "ServiceProps::cpu",
        |s| {
            let p = param(s, "256");
            service(s, ServiceProps { cpu: p, ..web() })
        },
        "WebTaskDefinition",
        "/Properties/Cpu",
    ),
    (
        "ServiceProps::memory_mib",
        |s| {
            let p = param(s, "512");
            service(
                s,
                ServiceProps {
                    memory_mib: p,
                    ..web()
                },
            )
        },
        "WebTaskDefinition",
        "/Properties/Memory",
    ),
    (
        "ServiceProps::desired_count",
        |s| {
            let p = param(s, "3");
            service(
                s,
                ServiceProps {
                    desired_count: p,
                    ..web()
                },
            )
        },
        "WebService",
        "/Properties/DesiredCount",
    ),
    (
        "ServiceProps::min_capacity",
        |s| {
            let p = param(s, "1");
            service(
                s,
                ServiceProps {
                    min_capacity: p,
                    ..web()
                },
            )
        },
        "WebScalableTarget",
        "/Properties/MinCapacity",
    ),
    (
        "ServiceProps::max_capacity",
        |s| {
            let p = param(s, "9");
            service(
                s,
                ServiceProps {
                    max_capacity: p,
                    ..web()
                },
            )
        },
        "WebScalableTarget",
        "/Properties/MaxCapacity",
    ),
    (
        "ServiceProps::cpu_target_percent",
        |s| {
            let p = param(s, "60");
            service(
                s,
                ServiceProps {
                    cpu_target_percent: p,
                    ..web()
                },
            )
        },
        "WebCpuScaling",
        "/Properties/TargetTrackingScalingPolicyConfiguration/TargetValue",
    ),
    (
        "ServiceProps::memory_target_percent",
        |s| {
            let p = param(s, "60");
            service(
                s,
                ServiceProps {
                    memory_target_percent: p,
                    ..web()
                },
            )
        },
        "WebMemoryScaling",
        "/Properties/TargetTrackingScalingPolicyConfiguration/TargetValue",
    ),
    (
        "ServiceProps::health_check_grace_period_seconds",
        |s| {
            let p = param(s, "120");
            service(
                s,
                ServiceProps {
                    health_check_grace_period_seconds: p,
                    ..web()
                },
            )
        },
        "WebService",
        "/Properties/HealthCheckGracePeriodSeconds",
    ),
    (
        "ServiceProps::log_retention_days",
        |s| {
            let p = param(s, "90");
            service(
                s,
                ServiceProps {
                    log_retention_days: p,
                    ..web()
                },
            )
        },
        "WebLogGroup",
        "/Properties/RetentionInDays",
    ),
    (
        "ServiceProps::ssl_policy",
        |s| {
            let p = param(s, "ELBSecurityPolicy-TLS13-1-3-2021-06");
            let cert = stackforge_modules::existing::CertificateRef::from_arn(
                s,
                "arn:aws:acm:us-east-1:123456789012:certificate/1234",
            );
            service(
                s,
                ServiceProps {
                    ssl_policy: p,
                    certificate: Some(cert),
                    ..web()
                },
            )
        },
        "WebHttpsListener",
        "/Properties/SslPolicy",
    ),
    (
        "ServiceProps::environment",
        |s| {
            let p = param(s, "info");
            service(
                s,
                ServiceProps {
                    environment: vec![("LOG_LEVEL".into(), p)],
                    ..web()
                },
            )
        },
        "WebTaskDefinition",
        "/Properties/ContainerDefinitions/0/Environment/0/Value",
    ),
    (
        "PostgresProps::instance_class",
        |s| {
            let p = param(s, "db.t4g.small");
            database(
                s,
                PostgresProps {
                    instance_class: p,
                    ..Default::default()
                },
            )
        },
        "DbInstance",
        "/Properties/DBInstanceClass",
    ),
    (
        "PostgresProps::allocated_storage_gib",
        |s| {
            let p = param(s, "50");
            database(
                s,
                PostgresProps {
                    allocated_storage_gib: p,
                    ..Default::default()
                },
            )
        },
        "DbInstance",
        "/Properties/AllocatedStorage",
    ),
    (
        "PostgresProps::max_allocated_storage_gib",
        |s| {
            let p = param(s, "500");
            database(
                s,
                PostgresProps {
                    max_allocated_storage_gib: p,
                    ..Default::default()
                },
            )
        },
        "DbInstance",
        "/Properties/MaxAllocatedStorage",
    ),
    (
        "PostgresProps::multi_az",
        |s| {
            let p = param(s, "false");
            database(
                s,
                PostgresProps {
                    multi_az: p,
                    ..Default::default()
                },
            )
        },
        "DbInstance",
        "/Properties/MultiAZ",
    ),
    (
        "PostgresProps::backup_retention_days",
        |s| {
            let p = param(s, "14");
            database(
                s,
                PostgresProps {
                    backup_retention_days: p,
                    ..Default::default()
                },
            )
        },
        "DbInstance",
        "/Properties/BackupRetentionPeriod",
    ),
    (
        "RedisCacheProps::node_type",
        |s| {
            let p = param(s, "cache.t4g.small");
            let net = Network::new(s, "Net", NetworkProps::default());
            RedisCache::new(
                s,
                "Cache",
                &net,
                RedisCacheProps {
                    node_type: p,
                    ..Default::default()
                },
            );
        },
        "CacheReplicationGroup",
        "/Properties/CacheNodeType",
    ),
    (
        "RedisCacheProps::snapshot_retention_days",
        |s| {
            let p = param(s, "3");
            let net = Network::new(s, "Net", NetworkProps::default());
            RedisCache::new(
                s,
                "Cache",
                &net,
                RedisCacheProps {
                    snapshot_retention_days: p,
                    ..Default::default()
                },
            );
        },
        "CacheReplicationGroup",
        "/Properties/SnapshotRetentionLimit",
    ),
    (
        "NetworkProps::flow_log_retention_days",
        |s| {
            let p = param(s, "731");
            Network::new(
                s,
                "Net",
                NetworkProps {
                    flow_log_retention_days: p,
                    ..Default::default()
                },
            );
        },
        "NetFlowLogGroup",
        "/Properties/RetentionInDays",
    ),
    (
        "TableProps::table_name",
        |s| {
            let p = param(s, "orders");
            Table::new(
                s,
                "T",
                TableProps {
                    partition_key: Attribute::string("id"),
                    table_name: Some(p),
                    ..Default::default()
                },
            );
        },
        "TTable",
        "/Properties/TableName",
    ),
    (
        "Ec2CapacityClusterProps::instance_type",
        |s| {
            let p = param(s, "t3.large");
            capacity(
                s,
                Ec2CapacityClusterProps {
                    instance_type: p,
                    ..Default::default()
                },
            )
        },
        "CapacityLaunchTemplate",
        "/Properties/LaunchTemplateData/InstanceType",
    ),
    (
        "Ec2CapacityClusterProps::max_size",
        |s| {
            let p = param(s, "8");
            capacity(
                s,
                Ec2CapacityClusterProps {
                    max_size: p,
                    ..Default::default()
                },
            )
        },
        "CapacityGroup",
        "/Properties/MaxSize",
    ),
    (
        "Ec2CapacityClusterProps::target_capacity_percent",
        |s| {
            let p = param(s, "90");
            capacity(
                s,
                Ec2CapacityClusterProps {
                    target_capacity_percent: p,
                    ..Default::default()
                },
            )
        },
        "CapacityCapacityProvider",
        "/Properties/AutoScalingGroupProvider/ManagedScaling/TargetCapacity",
    ),
    (
        "Ec2CapacityClusterProps::root_volume_gib",
        |s| {
            let p = param(s, "60");
            capacity(
                s,
                Ec2CapacityClusterProps {
                    root_volume_gib: p,
                    ..Default::default()
                },
            )
        },
        "CapacityLaunchTemplate",
        "/Properties/LaunchTemplateData/BlockDeviceMappings/0/Ebs/VolumeSize",
    ),
    (
        "BucketProps::bucket_name",
        |s| {
            let p = param(s, "uploads-example");
            Bucket::new(
                s,
                "B",
                BucketProps {
                    bucket_name: Some(p),
                    ..Default::default()
                },
            );
        },
        "BBucket",
        "/Properties/BucketName",
    ),
    (
        "QueueProps::retention_period_seconds",
        |s| {
            let p = param(s, "86400");
            Queue::new(
                s,
                "Q",
                QueueProps {
                    retention_period_seconds: p,
                    ..Default::default()
                },
            );
        },
        "QQueue",
        "/Properties/MessageRetentionPeriod",
    ),
    (
        "QueueProps::visibility_timeout_seconds",
        |s| {
            let p = param(s, "60");
            Queue::new(
                s,
                "Q",
                QueueProps {
                    visibility_timeout_seconds: p,
                    ..Default::default()
                },
            );
        },
        "QQueue",
        "/Properties/VisibilityTimeout",
    ),
    (
        "KeyProps::pending_window_days",
        |s| {
            let p = param(s, "7");
            Key::new(
                s,
                "K",
                KeyProps {
                    pending_window_days: p,
                    ..Default::default()
                },
            );
        },
        "KKey",
        "/Properties/PendingWindowInDays",
    ),
    (
        "LogGroupProps::retention_days",
        |s| {
            let p = param(s, "30");
            LogGroup::new(
                s,
                "L",
                LogGroupProps {
                    retention_days: p,
                    ..Default::default()
                },
            );
        },
        "LLogGroup",
        "/Properties/RetentionInDays",
    ),
];

fn capacity(s: &mut Scope<'_>, props: Ec2CapacityClusterProps) {
    let net = Network::new(s, "Net", NetworkProps::default());
    let cluster = Cluster::new(s, "Cluster");
    Ec2CapacityCluster::new(
        s,
        "Capacity",
        cluster.name(),
        net.vpc_id.clone(),
        net.private_subnet_ids.clone(),
        props,
    );
}

#[test]
fn every_value_option_is_reached_by_a_parameter() {
    let mut failures = Vec::new();
    for (option, build, logical_id, pointer) in CASES {
        let app = App::new();
        let mut s = app.stack("values");
        build(&mut s);
        let a = match app.synth() {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{option}: {e}"));
                continue;
            }
        };
        let r = &a.stacks[0].template["Resources"][*logical_id];
        let got = r.pointer(pointer).cloned().unwrap_or(Json::Null);
        if got != json!({"Ref": "P"}) {
            failures.push(format!("{option}: {logical_id}{pointer} is {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(CASES.len(), 30);
}
