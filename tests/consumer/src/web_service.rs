//! `WebService`: the platform team's own pattern. A load-balanced Fargate service with its
//! Postgres database, Redis cache and an uploads bucket only its task role may use, plus an
//! alarm on the load balancer's 5xx responses. Built from `stackforge-modules` patterns and
//! generated types only: no overrides, no hand-written JSON, no copied children.
//!
//! Logical IDs (pattern id `Orders`): `OrdersWeb…`, `OrdersDb…`, `OrdersCache…`,
//! `OrdersUploads…`, `OrdersErrorsAlarm`, and the rules `OrdersDbIngressFromOrdersWeb`,
//! `OrdersCacheIngressFromOrdersWeb`.

use stackforge::cfn::cloudwatch::{alarm, Alarm};
use stackforge::{fns, GrantRole, Handle, Parameter, Scope, Val};
use stackforge_modules::bucket::{Bucket, BucketProps};
use stackforge_modules::fargate::{LoadBalancedFargateService, ServiceProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::refs::{ClusterRef, Grantee, VpcRef};

/// The sizes a service runs at. Every one is a value, so a parameter can switch them.
#[derive(Clone, Debug, PartialEq)]
pub struct Sizes {
    /// Task CPU units.
    pub cpu: Val<i64>,
    /// Task memory (MiB).
    pub memory_mib: Val<i64>,
    /// Tasks to run.
    pub desired_count: Val<i64>,
    /// The database instance class.
    pub db_instance_class: Val<String>,
    /// The cache node type.
    pub cache_node_type: Val<String>,
}

impl Sizes {
    /// The small size as literals.
    pub fn small() -> Self {
        Sizes {
            cpu: 256.into(),
            memory_mib: 512.into(),
            desired_count: 2.into(),
            db_instance_class: "db.t4g.micro".into(),
            cache_node_type: "cache.t4g.micro".into(),
        }
    }

    /// A `Size` parameter (`small` or `large`, default `small`) and the sizes it selects,
    /// through a condition `Large` and `Fn::If`.
    pub fn by_parameter(scope: &mut Scope<'_>) -> Self {
        let size = scope.parameter(
            "Size",
            Parameter::string()
                .allowed_values(["small", "large"])
                .default_value("small")
                .description(
                    "small: 0.25 vCPU tasks and burstable instances; large: 1 vCPU and m6g/r7g",
                ),
        );
        let large = scope.condition("Large", fns::equals(size, "large"));
        Sizes {
            cpu: fns::if_(&large, 1024, 256),
            memory_mib: fns::if_(&large, 2048, 512),
            desired_count: fns::if_(&large, 4, 2),
            db_instance_class: fns::if_(&large, "db.m6g.large", "db.t4g.micro"),
            cache_node_type: fns::if_(&large, "cache.r7g.large", "cache.t4g.micro"),
        }
    }
}

/// Options of [`WebService`].
#[derive(Clone, Debug, PartialEq)]
pub struct WebServiceProps {
    /// The container image. Default: none (required).
    pub image: Val<String>,
    /// The port the container listens on. Default: `8080`.
    pub container_port: u16,
    /// The health-check path. Default: `/health`.
    pub health_check_path: String,
    /// The sizes. Default: [`Sizes::small`].
    pub sizes: Sizes,
    /// An SNS topic (ARN) the 5xx alarm notifies. Default: none.
    pub alarm_topic: Option<Val<String>>,
}

impl Default for WebServiceProps {
    fn default() -> Self {
        WebServiceProps {
            image: Val::from(""),
            container_port: 8080,
            health_check_path: "/health".into(),
            sizes: Sizes::small(),
            alarm_topic: None,
        }
    }
}

/// A web service with its data stores.
#[derive(Clone, Debug)]
pub struct WebService {
    /// The load-balanced service (`<id>Web…`).
    pub service: LoadBalancedFargateService,
    /// The database (`<id>Db…`).
    pub db: PostgresDatabase,
    /// The cache (`<id>Cache…`).
    pub cache: RedisCache,
    /// The uploads bucket (`<id>Uploads…`), read and written by the service only.
    pub uploads: Bucket,
    /// The alarm on the load balancer's target 5xx responses (`<id>ErrorsAlarm`).
    pub errors_alarm: Handle<Alarm>,
}

impl WebService {
    /// Creates the service and its data stores in `network`, on `cluster` (either may be in
    /// another stack of the app).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        network: &dyn VpcRef,
        cluster: &dyn ClusterRef,
        props: WebServiceProps,
    ) -> Self {
        let mut s = scope.child(id);
        let sizes = props.sizes;
        let db = PostgresDatabase::new(
            &mut s,
            "Db",
            network,
            PostgresProps {
                instance_class: sizes.db_instance_class,
                ..Default::default()
            },
        );
        let cache = RedisCache::new(
            &mut s,
            "Cache",
            network,
            RedisCacheProps {
                node_type: sizes.cache_node_type,
                ..Default::default()
            },
        );
        let uploads = Bucket::new(&mut s, "Uploads", BucketProps::default());
        let service = LoadBalancedFargateService::new(
            &mut s,
            "Web",
            network,
            cluster,
            ServiceProps {
                image: props.image,
                container_port: props.container_port,
                health_check_path: props.health_check_path,
                cpu: sizes.cpu,
                memory_mib: sizes.memory_mib,
                desired_count: sizes.desired_count,
                environment: vec![
                    ("DB_HOST".into(), db.endpoint_address()),
                    ("DB_PORT".into(), db.endpoint_port()),
                    ("REDIS_HOST".into(), cache.endpoint_address()),
                    ("REDIS_PORT".into(), cache.endpoint_port()),
                    ("UPLOADS_BUCKET".into(), uploads.bucket_name()),
                ],
                secrets: vec![
                    ("DB_USER".into(), db.username()),
                    ("DB_PASSWORD".into(), db.password()),
                    ("REDIS_AUTH_TOKEN".into(), cache.auth_token_secret().whole()),
                ],
                ..Default::default()
            },
        );
        db.allow_from(&mut s, &service);
        cache.allow_from(&mut s, &service);
        uploads.grant_read_write(&mut s, &service);

        let mut errors = Alarm {
            alarm_description: Some(
                format!("{}: the load balancer's targets answer 5xx", s.path()).into(),
            ),
            namespace: Some("AWS/ApplicationELB".into()),
            metric_name: Some("HTTPCode_Target_5XX_Count".into()),
            dimensions: Some(vec![alarm::Dimension::new(
                "LoadBalancer",
                service.load_balancer.attr_load_balancer_full_name(),
            )]),
            statistic: Some(alarm::Statistic::Sum.into()),
            period: Some(60.into()),
            evaluation_periods: Some(5.into()),
            datapoints_to_alarm: Some(3.into()),
            threshold: Some(5.0.into()),
            comparison_operator: Some(
                alarm::ComparisonOperator::GreaterThanOrEqualToThreshold.into(),
            ),
            treat_missing_data: Some(alarm::TreatMissingData::NotBreaching.into()),
            ..Default::default()
        };
        if let Some(topic) = props.alarm_topic {
            errors.alarm_actions = Some(vec![topic].into());
        }
        let errors_alarm = s.add("ErrorsAlarm", errors);
        WebService {
            service,
            db,
            cache,
            uploads,
            errors_alarm,
        }
    }
}

impl Grantee for WebService {
    fn grant_role(&self) -> GrantRole {
        self.service.grant_role()
    }
}
