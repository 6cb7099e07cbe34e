//! `orders-api`: an event-driven orders service in two environments (`dev`, `prod`) plus a
//! shared image registry.
//!
//! ```text
//! HTTP API (IAM auth, access logs, throttling)
//!   POST /orders, GET /orders/{id} -> Function `Api` (code: handlers/api, a deterministic zip)
//!                                        | sqs:SendMessage          | dynamodb:GetItem…
//!                                        v                          v
//!                                   Queue `Orders` (+ DLQ) ----> worker (Fargate, no ALB,
//!                                        ^                        steps on queue depth)
//!                                        |                          | writes Table + Bucket
//!   Schedule `NightlyRedrive` (cron 03:00) -> Function `Redrive`: DLQ -> Orders
//!   Alarms (API 5xx, function errors, DLQ depth, oldest message, worker CPU) -> Topic `Alarms`
//! ```
//!
//! Stacks: `registry` (the worker's ECR repository, shared by both environments), then per
//! environment `<env>-orders`. Everything is a library pattern: no raw resource, no override,
//! no hand-written JSON, no inline code.

use stackforge::clap;
use stackforge::{App, EnvironmentProps, Output, Scope};
use stackforge_modules::alarm::{Alarm, AlarmAction, AlarmProps, Comparison};
use stackforge_modules::bucket::{Bucket, BucketProps};
use stackforge_modules::code::Code;
use stackforge_modules::container_repository::ContainerRepository;
use stackforge_modules::events::{Schedule, ScheduleExpression, ScheduleProps};
use stackforge_modules::fargate::{
    Cluster, QueueProcessingFargateService, QueueProcessingServiceProps,
};
use stackforge_modules::function::{Function, FunctionProps, Runtime};
use stackforge_modules::http_api::{HttpApi, HttpApiProps, RouteAuthorization};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::queue::{DeadLetter, Queue, QueueProps};
use stackforge_modules::table::{Attribute, Table, TableProps};
use stackforge_modules::topic::{Topic, TopicProps};

/// The worker image's repository (CI pushes `orders-worker:<tag>`).
pub const REPOSITORY_NAME: &str = "orders-worker";

/// The handlers' source, next to this crate.
pub fn handlers_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("handlers")
}

/// Command-line options of `orders-api`.
#[derive(clap::Args, Debug, Clone)]
pub struct Options {
    /// The worker image tag (a version or the commit; tags are immutable).
    #[arg(
        long,
        env = "ORDERS_IMAGE_TAG",
        default_value = "v1",
        value_name = "TAG",
        global = true
    )]
    pub image_tag: String,
    /// Where the on-call alarms go (an email address, subscribed in `prod`).
    #[arg(
        long,
        env = "ORDERS_ONCALL_EMAIL",
        default_value = "oncall@example.com",
        value_name = "EMAIL",
        global = true
    )]
    pub oncall_email: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            image_tag: "v1".into(),
            oncall_email: "oncall@example.com".into(),
        }
    }
}

/// What differs between the environments.
#[derive(Clone, Debug)]
pub struct Stage {
    /// The environment's name.
    pub name: &'static str,
    /// One NAT gateway (dev) or one per AZ (prod).
    pub single_nat: bool,
    /// Most workers.
    pub max_workers: i64,
    /// Log retention of the functions and the worker, in days.
    pub log_retention_days: i64,
    /// Requests per second the API accepts.
    pub rate_limit: f64,
    /// Whether the on-call address gets the alarms.
    pub page_oncall: bool,
}

/// `dev` and `prod`.
pub fn stages() -> [Stage; 2] {
    [
        Stage {
            name: "dev",
            single_nat: true,
            max_workers: 2,
            log_retention_days: 14,
            rate_limit: 20.0,
            page_oncall: false,
        },
        Stage {
            name: "prod",
            single_nat: false,
            max_workers: 10,
            log_retention_days: 90,
            rate_limit: 200.0,
            page_oncall: true,
        },
    ]
}

/// The parts of one environment that tests refer to.
#[derive(Clone, Debug)]
pub struct Parts {
    /// The HTTP API.
    pub api: HttpApi,
    /// The API's function.
    pub api_function: Function,
    /// The orders queue (with its dead-letter queue).
    pub queue: Queue,
    /// The worker.
    pub worker: QueueProcessingFargateService,
    /// The orders table.
    pub table: Table,
    /// The receipts bucket.
    pub bucket: Bucket,
    /// The re-drive function.
    pub redrive: Function,
    /// The nightly schedule.
    pub schedule: Schedule,
    /// The alarm topic.
    pub alarms: Topic,
    /// The alarms.
    pub alarm_list: Vec<Alarm>,
}

/// The app: `registry`, then `dev-orders` and `prod-orders`.
pub fn build(opts: &Options) -> App {
    build_parts(opts).0
}

/// [`build`], also returning each environment's parts.
pub fn build_parts(opts: &Options) -> (App, Vec<Parts>) {
    let app = App::new();
    let mut r = app.stack("registry");
    r.set_description("orders-api registry: the worker image's ECR repository (both environments)");
    let repo = ContainerRepository::new(
        &mut r,
        "Worker",
        stackforge_modules::container_repository::ContainerRepositoryProps {
            repository_name: Some(REPOSITORY_NAME.into()),
            empty_on_delete: true,
            ..Default::default()
        },
    );
    r.output(
        "RepositoryUri",
        Output::new(repo.uri()).description("docker push <this>:<tag>"),
    );
    let mut parts = Vec::new();
    for stage in stages() {
        let env = app.environment(
            stage.name,
            EnvironmentProps {
                tags: [("app".to_owned(), "orders-api".to_owned())].into(),
                ..Default::default()
            },
        );
        let mut s = env.stack("orders");
        s.set_description(format!(
            "orders-api ({}): HTTP API, functions, queue with DLQ, Fargate worker, table, bucket, schedule, alarms",
            stage.name
        ));
        parts.push(environment(&mut s, &stage, &repo, opts));
    }
    (app, parts)
}

fn environment(
    s: &mut Scope<'_>,
    stage: &Stage,
    repo: &ContainerRepository,
    opts: &Options,
) -> Parts {
    let net = Network::new(
        s,
        "Net",
        NetworkProps {
            single_nat: stage.single_nat,
            ..Default::default()
        },
    );
    let cluster = Cluster::new(s, "Cluster");
    let table = Table::new(
        s,
        "Orders",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    );
    let bucket = Bucket::new(s, "Receipts", BucketProps::default());
    let queue = Queue::new(
        s,
        "Orders",
        QueueProps {
            // Above the worker's processing time.
            visibility_timeout_seconds: 120.into(),
            dead_letter: Some(DeadLetter::default()),
            ..Default::default()
        },
    );
    let dead_letter = queue
        .dead_letter
        .as_deref()
        .cloned()
        .unwrap_or_else(|| queue.clone());

    let api_function = Function::new(
        s,
        "Api",
        FunctionProps {
            code: Some(Code::from_dir(handlers_dir().join("api"))),
            runtime: Runtime::Python313,
            memory_mib: 256.into(),
            timeout_seconds: 10.into(),
            log_retention_days: stage.log_retention_days.into(),
            environment: vec![
                ("QUEUE_URL".into(), queue.queue_url()),
                ("TABLE_NAME".into(), table.table_name()),
            ],
            ..Default::default()
        },
    );
    queue.grant_send(s, &api_function);
    table.grant_read(s, &api_function);

    let api = HttpApi::new(
        s,
        "Http",
        HttpApiProps {
            throttling_rate_limit: stage.rate_limit.into(),
            throttling_burst_limit: ((stage.rate_limit * 2.0) as i64).into(),
            access_log_retention_days: stage.log_retention_days.into(),
            ..Default::default()
        },
    );
    api.add_route(
        s,
        "CreateOrder",
        "POST /orders",
        &api_function,
        RouteAuthorization::Iam,
    );
    api.add_route(
        s,
        "GetOrder",
        "GET /orders/{id}",
        &api_function,
        RouteAuthorization::Iam,
    );

    let worker = QueueProcessingFargateService::new(
        s,
        "Worker",
        &net,
        &cluster,
        &queue,
        QueueProcessingServiceProps {
            image: repo.image(&opts.image_tag),
            ecr_repository_arn: Some(repo.arn()),
            environment: vec![
                ("TABLE_NAME".into(), table.table_name()),
                ("RECEIPTS_BUCKET".into(), bucket.bucket_name()),
            ],
            max_capacity: stage.max_workers.into(),
            log_retention_days: stage.log_retention_days.into(),
            ..Default::default()
        },
    );
    table.grant_write(s, &worker);
    bucket.grant_put(s, &worker, "receipts/");
    repo.require_image(s, &opts.image_tag);

    let redrive = Function::new(
        s,
        "Redrive",
        FunctionProps {
            code: Some(Code::from_file(
                handlers_dir().join("redrive").join("index.py"),
            )),
            runtime: Runtime::Python313,
            timeout_seconds: 30.into(),
            log_retention_days: stage.log_retention_days.into(),
            environment: vec![
                ("DEAD_LETTER_QUEUE_ARN".into(), dead_letter.arn()),
                ("QUEUE_ARN".into(), queue.arn()),
            ],
            ..Default::default()
        },
    );
    // A message-move task reads the DLQ and sends to its source queue.
    queue.grant_redrive(s, &redrive);
    let schedule = Schedule::new(
        s,
        "NightlyRedrive",
        ScheduleProps {
            schedule: ScheduleExpression::cron("0 3 * * ? *"),
            targets: vec![(&redrive).into()],
            description: Some(
                "Moves the orders dead-letter queue back to the orders queue at 03:00 UTC".into(),
            ),
            ..Default::default()
        },
    );

    let alarms = Topic::new(s, "Alarms", TopicProps::default());
    if stage.page_oncall {
        alarms.subscribe_email(s, "Oncall", opts.oncall_email.clone());
    }
    let to_topic = || vec![AlarmAction::from(&alarms)];
    let alarm_list = vec![
        Alarm::new(
            s,
            "Api5xx",
            AlarmProps {
                threshold: 5.0.into(),
                actions: to_topic(),
                ..AlarmProps::new(api.metric_5xx())
            },
        ),
        Alarm::new(
            s,
            "ApiErrors",
            AlarmProps {
                threshold: 1.0.into(),
                actions: to_topic(),
                ..AlarmProps::new(api_function.metric_errors())
            },
        ),
        Alarm::new(
            s,
            "DeadLetters",
            AlarmProps {
                threshold: 1.0.into(),
                actions: to_topic(),
                ..AlarmProps::new(dead_letter.metric_depth())
            },
        ),
        Alarm::new(
            s,
            "OldestOrder",
            AlarmProps {
                threshold: 900.0.into(),
                evaluation_periods: 3.into(),
                actions: to_topic(),
                ..AlarmProps::new(queue.metric_age_of_oldest())
            },
        ),
        Alarm::new(
            s,
            "WorkerCpu",
            AlarmProps {
                threshold: 90.0.into(),
                comparison: Comparison::GreaterThanOrEqual,
                evaluation_periods: 3.into(),
                actions: to_topic(),
                ..AlarmProps::new(worker.metric_cpu())
            },
        ),
    ];
    s.output(
        "ApiUrl",
        Output::new(api.url()).description("The orders API (SigV4-signed requests)"),
    );
    Parts {
        api,
        api_function,
        queue,
        worker,
        table,
        bucket,
        redrive,
        schedule,
        alarms,
        alarm_list,
    }
}
