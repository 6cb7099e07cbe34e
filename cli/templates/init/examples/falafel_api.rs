//! `falafel-api` (seed 003): a Node API on Fargate with a DynamoDB table, as two stacks.
//!
//! The seed needed two Terraform runs because ECS wanted an image before the repository
//! existed. Here `registry` holds the ECR repository and `app` everything else; `app` refers
//! to the repository through a typed cross-stack reference (an export/import pair and a stack
//! dependency), and declares that its image tag must exist before it is deployed, which the
//! deploy engine checks with `ecr:DescribeImages`.

use stackforge::{App, Output};
use stackforge_modules::container_repository::ContainerRepository;
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::table::{Attribute, Table, TableProps};

/// The repository's name (CI pushes `falafel-api:<tag>`).
pub const REPOSITORY_NAME: &str = "falafel-api";
/// The port the Node API listens on.
pub const PORT: u16 = 3000;
/// The path the API answers 200 on when it can serve requests.
pub const HEALTH_CHECK_PATH: &str = "/health";

/// Command-line options of `falafel-api`.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// The image tag the `app` stack runs: a version or the commit (tags are immutable).
    #[arg(
        long,
        env = "FALAFEL_IMAGE_TAG",
        default_value = "v1",
        value_name = "TAG",
        global = true
    )]
    pub image_tag: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            image_tag: "v1".into(),
        }
    }
}

/// The parts of the app that tests and other programs refer to.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The repository (stack `registry`).
    pub repository: ContainerRepository,
    /// The service (stack `app`).
    pub api: LoadBalancedFargateService,
    /// The table (stack `app`).
    pub table: Table,
}

/// The app: `registry` (the ECR repository), then `app` (network, service, table).
pub fn build(opts: &Options) -> App {
    build_parts(opts).0
}

/// [`build`], also returning the parts.
pub fn build_parts(opts: &Options) -> (App, Parts) {
    let mut app = App::new();

    let repo = crate::registry_stack(
        &mut app,
        "registry",
        "falafel-api registry: the ECR repository the app's image is pushed to (seed 003)",
        "Api",
        REPOSITORY_NAME,
    );

    let mut s = app.stack("app");
    s.set_description(
        "falafel-api app: VPC, Fargate service behind an ALB, DynamoDB table (seed 003)",
    );
    let net = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            single_nat: true,
            ..Default::default()
        },
    );
    let table = Table::new(
        &mut s,
        "Falafels",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    );
    let cluster = Cluster::new(&mut s, "Cluster");
    let api = LoadBalancedFargateService::new(
        &mut s,
        "Api",
        &net,
        &cluster,
        ServiceProps {
            // Typed cross-stack reference: becomes Fn::ImportValue of `registry`'s export.
            image: repo.image(&opts.image_tag),
            ecr_repository_arn: Some(repo.arn()),
            container_port: PORT,
            health_check_path: HEALTH_CHECK_PATH.into(),
            environment: vec![("TABLE_NAME".into(), table.table_name())],
            ..Default::default()
        },
    );
    table.grant_read_write(&mut s, &api);
    // Deploy checks this before it touches `app`.
    repo.require_image(&mut s, &opts.image_tag);
    s.output(
        "ServiceUrl",
        Output::new(api.url()).description("The API behind the load balancer"),
    );
    let parts = Parts {
        repository: repo,
        api,
        table,
    };
    (app, parts)
}
