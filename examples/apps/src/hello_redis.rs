//! `hello-redis` (seed 001): a Flask hello-world with GET/POST `/hello`, backed by Redis.
//!
//! Two stacks: `hello-redis-registry` (the ECR repository, so an image can be pushed before
//! anything runs it) and `hello-redis` (network, Redis, the service behind an ALB). The
//! service runs on Fargate by default; `--ec2` runs it on ECS on EC2 instead
//! (`Ec2CapacityCluster`: the ECS-optimized AMI and user data that joins the cluster, the
//! part the seed's author never got working). The Redis endpoint reaches the container as
//! environment variables, the auth token as an ECS secret.

use serde_json::json;
use stackforge::{App, Expr, Output, Props, Scope, Val};
use stackforge_modules::ec2_capacity_cluster::{Ec2CapacityCluster, Ec2CapacityClusterProps};
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};

/// The port Flask listens on in the container.
pub const PORT: u16 = 5000;

/// Command-line options of `hello-redis`.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// Run the service on ECS on EC2 (an Auto Scaling group on the ECS-optimized AMI)
    /// instead of Fargate.
    #[arg(long, global = true)]
    pub ec2: bool,
    /// The image tag to run: a version or the commit (tags are immutable).
    #[arg(
        long,
        env = "HELLO_REDIS_IMAGE_TAG",
        default_value = "v1",
        value_name = "TAG",
        global = true
    )]
    pub image_tag: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ec2: false,
            image_tag: "v1".into(),
        }
    }
}

/// The app: `hello-redis-registry`, then `hello-redis`.
pub fn build(opts: &Options) -> App {
    let mut app = App::new();
    let repo = crate::registry_stack(
        &mut app,
        "hello-redis-registry",
        "hello-redis registry: the ECR repository (seed 001)",
        "Images",
        "hello-redis",
    );

    let mut s = app.stack("hello-redis");
    s.set_description(if opts.ec2 {
        "hello-redis: Flask + Redis on ECS on EC2 (seed 001)"
    } else {
        "hello-redis: Flask + Redis on Fargate (seed 001)"
    });
    let net = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            single_nat: true,
            ..Default::default()
        },
    );
    let redis = RedisCache::new(&mut s, "Redis", &net, RedisCacheProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: repo.image(&opts.image_tag),
            ecr_repository_arn: Some(repo.arn()),
            container_port: PORT,
            health_check_path: "/hello".into(),
            environment: vec![
                ("REDIS_HOST".into(), redis.endpoint_address()),
                ("REDIS_PORT".into(), redis.endpoint_port()),
                ("REDIS_TLS".into(), Val::from("true")),
            ],
            secrets: vec![("REDIS_AUTH_TOKEN".into(), redis.auth_token_secret().whole())],
            ..Default::default()
        },
    );
    redis.allow_from(&mut s, &web);
    if opts.ec2 {
        run_on_ec2(&mut s, &net, &cluster, &web);
    }
    repo.require_image(&mut s, &opts.image_tag);
    s.output(
        "ServiceUrl",
        Output::new(web.url()).description("GET/POST <this>/hello"),
    );
    app
}

/// Moves the service from Fargate to EC2 capacity: an `Ec2CapacityCluster` becomes the
/// cluster's default capacity provider, the service uses it (instead of the Fargate launch
/// type) and the task definition requires EC2. The flagship's service pattern is Fargate-only,
/// so these are three property overrides (see the report: a `launch` option would remove them).
fn run_on_ec2(
    s: &mut Scope<'_>,
    net: &Network,
    cluster: &Cluster,
    web: &LoadBalancedFargateService,
) {
    let capacity = Ec2CapacityCluster::new(
        s,
        "Capacity",
        cluster.name(),
        net.vpc_id.clone(),
        net.private_subnet_ids.clone(),
        Ec2CapacityClusterProps::default(),
    );
    let mut item = Props::new();
    item.set("CapacityProvider", capacity.capacity_provider_name())
        .set("Weight", Val::<i64>::from(1));
    s.delete_property(web.service, &["LaunchType"]);
    s.delete_property(web.service, &["PlatformVersion"]);
    s.override_property(
        web.service,
        &["CapacityProviderStrategy"],
        Expr::List(vec![item.into_expr()]),
    );
    s.override_property(
        web.task_definition,
        &["RequiresCompatibilities"],
        json!(["EC2"]),
    );
    // The service may only start once the capacity provider is the cluster's.
    s.depends_on(web.service, capacity.associations);
    // Instances join the cluster through the NAT gateway: start them once the routes exist.
    for h in net.egress_ready() {
        s.depends_on(capacity.auto_scaling_group, h);
    }
}
