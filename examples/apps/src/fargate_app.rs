//! `fargate-app`, the flagship (seeds 002 and 004): the Servian TechChallengeApp, a Go API
//! with a PostgreSQL database, on Fargate behind a public load balancer, with RDS PostgreSQL
//! Multi-AZ and its generated secret.
//!
//! The wiring facts come from the app's own source (see `REFERENCE-APPS.md`):
//! - the image has an `ENTRYPOINT` and no `CMD`, so the command is `serve`;
//! - `VTT_LISTENHOST=0.0.0.0` (the shipped `localhost` fails every health check) and
//!   `VTT_LISTENPORT` = the container port, from the one [`APP_PORT`] constant;
//! - `VTT_DBTYPE=postgres` (the image otherwise silently uses embedded BoltDB);
//! - `VTT_DBUSER` / `VTT_DBPASSWORD` from the generated secret through ECS `secrets`;
//! - health check `/healthcheck/`;
//! - the app's driver hard-codes `sslmode=disable`, so `rds.force_ssl` is off, on purpose;
//! - `updatedb -s` drops and re-seeds the table: a one-off task, never a sidecar.

use stackforge::{App, Output};
use stackforge_modules::existing::CertificateRef;
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, OneOffTask, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{ForceSsl, PostgresDatabase, PostgresProps};

/// The stack's name.
pub const STACK: &str = "fargate-app";
/// The image.
pub const IMAGE: &str = "servian/techchallengeapp:latest";
/// The port the app listens on: container port, `VTT_LISTENPORT`, target group and SG rule.
pub const APP_PORT: u16 = 3000;
/// The database the app uses (`VTT_DBNAME`, RDS `DBName`).
pub const DB_NAME: &str = "app";
/// Why `rds.force_ssl` is off.
pub const FORCE_SSL_REASON: &str = "TechChallengeApp's lib/pq driver hard-codes sslmode=disable, so it cannot connect to a TLS-only server; traffic stays inside the VPC, between the tasks' and the database's security groups";

/// Command-line options of `fargate-app` (each also from the environment).
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct Options {
    /// ACM certificate ARN: HTTPS (TLS 1.2+) with HTTP redirected to it. Without it the
    /// service is plain HTTP.
    #[arg(
        long,
        env = "FARGATE_APP_CERTIFICATE_ARN",
        value_name = "ARN",
        global = true
    )]
    pub certificate_arn: Option<String>,
    /// Tasks to run (autoscaling keeps between 2 and 6).
    #[arg(
        long,
        env = "FARGATE_APP_DESIRED_COUNT",
        default_value_t = 2,
        global = true
    )]
    pub desired_count: u32,
    /// One NAT gateway instead of one per AZ: cheaper, less available.
    #[arg(long, env = "FARGATE_APP_SINGLE_NAT", global = true)]
    pub single_nat: bool,
    /// Turn deletion protection off on the database and the load balancer, so `destroy` can
    /// delete them: deploy once with this flag, then destroy. The database still leaves a
    /// final snapshot.
    #[arg(long, env = "FARGATE_APP_ALLOW_DESTROY", global = true)]
    pub allow_destroy: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            certificate_arn: None,
            desired_count: 2,
            single_nat: false,
            allow_destroy: false,
        }
    }
}

/// The app: one stack, [`STACK`].
pub fn build(opts: &Options) -> App {
    let app = App::new();
    let mut s = app.stack(STACK);
    s.set_description(
        "fargate-app: Servian TechChallengeApp on Fargate behind an ALB, RDS PostgreSQL Multi-AZ (stackforge flagship)",
    );

    let net = Network::new(
        &mut s,
        "Net",
        NetworkProps {
            single_nat: opts.single_nat,
            ..Default::default()
        },
    );
    let cluster = Cluster::new(&mut s, "Cluster");
    let db = PostgresDatabase::new(
        &mut s,
        "Db",
        &net,
        PostgresProps {
            database_name: DB_NAME.into(),
            force_ssl: ForceSsl::Off {
                reason: FORCE_SSL_REASON.into(),
            },
            deletion_protection: !opts.allow_destroy,
            ..Default::default()
        },
    );
    let certificate = opts
        .certificate_arn
        .as_deref()
        .map(|arn| CertificateRef::from_arn(&mut s, arn));
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: IMAGE.into(),
            container_name: "app".into(),
            command: vec!["serve".into()],
            container_port: APP_PORT,
            environment: vec![
                ("VTT_LISTENHOST".into(), "0.0.0.0".into()),
                ("VTT_LISTENPORT".into(), APP_PORT.to_string().into()),
                ("VTT_DBTYPE".into(), "postgres".into()),
                ("VTT_DBHOST".into(), db.endpoint_address()),
                ("VTT_DBPORT".into(), db.port.to_string().into()),
                ("VTT_DBNAME".into(), DB_NAME.into()),
            ],
            secrets: vec![
                ("VTT_DBUSER".into(), db.username()),
                ("VTT_DBPASSWORD".into(), db.password()),
            ],
            health_check_path: "/healthcheck/".into(),
            desired_count: opts.desired_count.into(),
            min_capacity: 2.into(),
            max_capacity: 6.into(),
            cpu_target_percent: 70.into(),
            memory_target_percent: 80.into(),
            certificate,
            load_balancer_deletion_protection: !opts.allow_destroy,
            ..Default::default()
        },
    );
    // 5432 from the tasks' security group only (and the tasks' matching egress).
    db.allow_from(&mut s, &web);
    // Seeds the database once: `aws ecs run-task …` from the `UpdateDbRunTaskCommand` output.
    OneOffTask::new(
        &mut s,
        "UpdateDb",
        &web,
        vec!["updatedb".into(), "-s".into()],
    );

    s.output(
        "ServiceUrl",
        Output::new(web.url()).description(if opts.certificate_arn.is_some() {
            "The load balancer over HTTPS: point the certificate's domain name at it (CNAME or alias)"
        } else {
            "The app, behind the load balancer (HTTP; pass --certificate-arn for HTTPS)"
        }),
    );
    s.output(
        "DbEndpoint",
        Output::new(db.endpoint_address()).description("PostgreSQL endpoint (private)"),
    );
    s.output(
        "DbSecretArn",
        Output::new(db.secret_arn())
            .description("Secrets Manager secret with the database credentials"),
    );
    app
}
