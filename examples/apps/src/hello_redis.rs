//! `hello-redis` (seed 001): a Flask hello-world with GET/POST `/hello`, backed by Redis.
//!
//! Two stacks: `hello-redis-registry` (the ECR repository, so an image can be pushed before
//! anything runs it) and `hello-redis` (network, Redis, the service behind an ALB). The
//! service runs on Fargate by default; `--ec2` runs it on ECS on EC2 instead
//! (`Ec2CapacityCluster`: the ECS-optimized AMI and user data that joins the cluster, the
//! part the seed's author never got working). The Redis endpoint reaches the container as
//! environment variables, the auth token as an ECS secret.

use stackforge::{App, Output, Val};
use stackforge_modules::ec2_capacity_cluster::{Ec2CapacityCluster, Ec2CapacityClusterProps};
use stackforge_modules::fargate::{Capacity, Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::refs::VpcRef;

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
    // `--ec2`: an Auto Scaling group on the ECS-optimized AMI becomes the cluster's capacity
    // provider, and the service runs on it instead of Fargate.
    let capacity = opts.ec2.then(|| {
        Ec2CapacityCluster::new(
            &mut s,
            "Capacity",
            cluster.name(),
            net.vpc_id.clone(),
            net.private_subnet_ids.clone(),
            Ec2CapacityClusterProps::default(),
        )
    });
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
            capacity: capacity.as_ref().map_or(Capacity::Fargate, |c| {
                Capacity::Provider(c.capacity_provider_name())
            }),
            ..Default::default()
        },
    );
    redis.allow_from(&mut s, &web);
    if let Some(capacity) = &capacity {
        // The service may only start once the capacity provider is the cluster's.
        s.depends_on(web.service, capacity.associations);
        // Instances join the cluster through the NAT gateway: start them once the routes exist.
        for h in net.egress_dependencies() {
            s.depends_on(capacity.auto_scaling_group, h);
        }
    }
    repo.require_image(&mut s, &opts.image_tag);
    s.output(
        "ServiceUrl",
        Output::new(web.url()).description("GET/POST <this>/hello"),
    );
    app
}
