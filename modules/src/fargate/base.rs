//! The parts every Fargate service shares, public for your own services: the task definition
//! with its log group and roles ([`FargateTaskDefinition`]), containers ([`ContainerSpec`],
//! sidecars included), the tasks' security group, the ECS service itself
//! ([`fargate_service`]) and autoscaling ([`ServiceScaling`]).
//!
//! [`super::LoadBalancedFargateService`] (and the queue-processing service) are thin
//! layers on top.

use std::collections::BTreeSet;

use stackforge::cfn::{applicationautoscaling as aas, cloudwatch, ec2, ecs, iam, logs};
use stackforge::policy::{PolicyDocument, Statement};
use stackforge::value::SubPart;
use stackforge::{pseudo, secrets, sub, Expr, Handle, Json, Scope, Val};

use crate::alarm::{alarm_resource, AlarmAction, AlarmProps, Comparison};
use crate::codes;
use crate::existing::ContainerSecret;
use crate::metrics::Metric;
use crate::network::LOG_RETENTION_DAYS;
use crate::refs::{ClusterRef, Grantee, VpcRef};

/// The CPU/memory combinations Fargate offers: `(cpu units, memory MiB from, to, step)`.
pub const FARGATE_SIZES: &[(u32, u32, u32, u32)] = &[
    (256, 512, 2048, 0), // 512, 1024, 2048
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// Why a CPU/memory pair is not a Fargate size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FargateSizeError {
    /// The CPU value is not one Fargate offers.
    #[error(
        "{cpu} CPU units is not a Fargate size; use one of 256, 512, 1024, 2048, 4096, 8192, 16384"
    )]
    Cpu {
        /// The CPU units asked for.
        cpu: u32,
    },
    /// The memory does not go with the CPU.
    #[error("{memory_mib} MiB is not valid with {cpu} CPU units; Fargate offers {offered} MiB")]
    Memory {
        /// The CPU units.
        cpu: u32,
        /// The memory asked for.
        memory_mib: u32,
        /// What Fargate offers with that CPU.
        offered: String,
    },
}

/// Checks a Fargate task size; the error lists the memory values valid for that CPU.
pub fn check_fargate_size(cpu: u32, memory_mib: u32) -> Result<(), FargateSizeError> {
    let Some(&(_, from, to, step)) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu) else {
        return Err(FargateSizeError::Cpu { cpu });
    };
    let valid: Vec<u32> = if step == 0 {
        vec![512, 1024, 2048]
    } else {
        (from..=to).step_by(step as usize).collect()
    };
    if valid.contains(&memory_mib) {
        return Ok(());
    }
    let offered = if valid.len() > 8 {
        format!(
            "{} to {} in steps of {step}",
            valid[0],
            valid[valid.len() - 1]
        )
    } else {
        valid
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(FargateSizeError::Memory {
        cpu,
        memory_mib,
        offered,
    })
}

/// A JSON scalar as a whole number (CloudFormation writes many numbers as strings).
pub(crate) fn as_u64(v: &Json) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// When a container may start relative to another one (`DependsOn.Condition`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartCondition {
    /// The other container has started.
    Start,
    /// The other container has exited (any code).
    Complete,
    /// The other container has exited with code 0.
    Success,
    /// The other container's health check passes.
    Healthy,
}

impl From<StartCondition> for ecs::task_definition::Condition {
    fn from(c: StartCondition) -> Self {
        use ecs::task_definition::Condition as C;
        match c {
            StartCondition::Start => C::Start,
            StartCondition::Complete => C::Complete,
            StartCondition::Success => C::Success,
            StartCondition::Healthy => C::Healthy,
        }
    }
}

/// A container's own health check (`HealthCheck`), run by the ECS agent.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerHealthCheck {
    /// The command, e.g. `["CMD-SHELL", "curl -f http://localhost/ || exit 1"]`.
    pub command: Vec<String>,
    /// Seconds between checks (5 to 300). Default: `30`.
    pub interval_seconds: u32,
    /// Seconds before a check fails (2 to 60). Default: `5`.
    pub timeout_seconds: u32,
    /// Failures before the container is unhealthy (1 to 10). Default: `3`.
    pub retries: u32,
    /// Seconds of grace after start (0 to 300). Default: `0`.
    pub start_period_seconds: u32,
}

impl ContainerHealthCheck {
    /// A health check with the given command and the ECS defaults.
    pub fn command<S: Into<String>>(command: impl IntoIterator<Item = S>) -> Self {
        ContainerHealthCheck {
            command: command.into_iter().map(Into::into).collect(),
            interval_seconds: 30,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 0,
        }
    }
}

/// One container of a task: the main one or a sidecar.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSpec {
    /// The container's name (letters, digits, `-`, `_`). Default: `app`.
    pub name: String,
    /// The image. Default: empty, which is an error.
    pub image: Val<String>,
    /// The ECR repository (ARN) the image comes from; the execution role may pull from it.
    /// Default: `None` (a public registry).
    pub ecr_repository_arn: Option<Val<String>>,
    /// The command (the image's `CMD` when empty). Default: empty.
    pub command: Vec<String>,
    /// Ports the container listens on (TCP). Default: none.
    pub ports: Vec<u16>,
    /// Plain environment variables. A secret here is an error. Default: empty.
    pub environment: Vec<(String, Val<String>)>,
    /// Secrets from Secrets Manager (ECS `secrets`/`valueFrom`). Default: empty.
    pub secrets: Vec<(String, ContainerSecret)>,
    /// A read-only root filesystem. Default: `true`.
    pub readonly_root_filesystem: bool,
    /// The task stops when this container stops. Default: `true`.
    pub essential: bool,
    /// The container's own health check. Default: `None`.
    pub health_check: Option<ContainerHealthCheck>,
    /// Containers this one waits for, and for what. Default: none.
    pub depends_on: Vec<(String, StartCondition)>,
}

impl Default for ContainerSpec {
    fn default() -> Self {
        ContainerSpec {
            name: "app".into(),
            image: Val::from(""),
            ecr_repository_arn: None,
            command: Vec::new(),
            ports: Vec::new(),
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: true,
            essential: true,
            health_check: None,
            depends_on: Vec::new(),
        }
    }
}

/// Options of [`FargateTaskDefinition`].
#[derive(Clone, Debug, PartialEq)]
pub struct TaskDefinitionProps {
    /// Task CPU units (256 … 16384), checked with `memory_mib`. Default: `256`.
    pub cpu: Val<i64>,
    /// Task memory in MiB. Default: `512`.
    pub memory_mib: Val<i64>,
    /// The containers; the first is the main one. Default: none (an error).
    pub containers: Vec<ContainerSpec>,
    /// Retention of the log group, in days (a CloudWatch Logs value). Default: `30`.
    pub log_retention_days: Val<i64>,
    /// The log stream prefix. Default: `service`.
    pub log_stream_prefix: String,
    /// `RequiresCompatibilities`: `FARGATE`, or `EC2` for tasks placed by an EC2 capacity
    /// provider. Default: `FARGATE`.
    pub on_ec2: bool,
    /// A customer key for the log group (a [`crate::key::Key`] must name
    /// [`crate::key::KeyService::Logs`], `SFM019`). Default: `None` (CloudWatch Logs encrypts
    /// with an AWS-owned key; the checkov and guard findings are skipped with that reason).
    pub log_kms_key: Option<crate::key::KmsKey>,
}

impl Default for TaskDefinitionProps {
    fn default() -> Self {
        TaskDefinitionProps {
            cpu: 256.into(),
            memory_mib: 512.into(),
            containers: Vec::new(),
            log_retention_days: 30.into(),
            log_stream_prefix: "service".into(),
            on_ec2: false,
            log_kms_key: None,
        }
    }
}

/// A Fargate task definition with its log group, execution role and task role.
///
/// Logical IDs (under the scope given): `LogGroup`, `ExecutionRole`,
/// `ExecutionRoleDefaultPolicy`, `TaskRole`, `TaskDefinition`.
#[derive(Clone, Debug)]
pub struct FargateTaskDefinition {
    /// The log group (`<scope>LogGroup`).
    pub log_group: Handle<logs::LogGroup>,
    /// The execution role (`<scope>ExecutionRole`): pulls images, writes logs, reads secrets.
    pub execution_role: Handle<iam::Role>,
    /// The task role (`<scope>TaskRole`): the application's own permissions, from grants.
    pub task_role: Handle<iam::Role>,
    /// The task definition (`<scope>TaskDefinition`).
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The options it was made with.
    pub props: TaskDefinitionProps,
}

impl Grantee for FargateTaskDefinition {
    fn grant_role(&self) -> stackforge::GrantRole {
        self.task_role.grant_role()
    }
}

/// A trust policy for ECS tasks, from this account only.
pub fn ecs_tasks_trust() -> Val<Json> {
    PolicyDocument::assumed_by_service("ecs-tasks.amazonaws.com").into()
}

impl FargateTaskDefinition {
    /// Creates the log group, the roles and the task definition in `scope` (a pattern's own
    /// scope), checking the size, the containers and the retention.
    pub fn new(scope: &mut Scope<'_>, props: TaskDefinitionProps) -> Self {
        let label = scope.path().to_owned();
        check_task(scope, &props);
        if let Some(k) = &props.log_kms_key {
            k.require(
                scope,
                crate::key::KeyService::Logs,
                "LogGroup",
                "Properties.KmsKeyId",
                "CloudWatch Logs cannot use it and creating the log group fails",
            );
        }
        let log_group = scope.add(
            "LogGroup",
            logs::LogGroup {
                retention_in_days: Some(props.log_retention_days.clone()),
                kms_key_id: props.log_kms_key.as_ref().map(crate::key::KmsKey::arn),
                ..Default::default()
            },
        );
        if props.log_kms_key.is_none() {
            scope.suppress(
                log_group,
                stackforge::Suppression::because("Encrypted at rest by CloudWatch Logs with an AWS-owned key; set log_kms_key to a Key that names KeyService::Logs for a customer key")
                    .checkov("CKV_AWS_158")
                    .guard("CLOUDWATCH_LOG_GROUP_ENCRYPTED"),
            );
        }
        if let Some(days) = props.log_retention_days.as_literal().filter(|d| *d < 365) {
            scope.skip_checkov(
                log_group,
                "CKV_AWS_338",
                &format!("Application logs are kept {days} days by design (cost); set log_retention_days to 365 or more to keep them a year"),
            );
        }
        let execution_role = scope.add(
            "ExecutionRole",
            iam::Role {
                description: Some(
                    format!("{label}: pulls the image, writes its logs, reads its secrets").into(),
                ),
                ..iam::Role::new(ecs_tasks_trust())
            },
        );
        let task_role = scope.add(
            "TaskRole",
            iam::Role {
                description: Some(
                    format!("{label}: the application's own permissions (none by default)").into(),
                ),
                ..iam::Role::new(ecs_tasks_trust())
            },
        );
        scope.grant(
            &execution_role.grant_role(),
            execution_statements(&props, log_group),
        );
        let task_definition = scope.add(
            "TaskDefinition",
            task_definition(&props, log_group, execution_role, task_role),
        );
        FargateTaskDefinition {
            log_group,
            execution_role,
            task_role,
            task_definition,
            props,
        }
    }

    /// Another task definition on the same roles and log group, for a one-off command
    /// (`<scope>TaskDefinition` in the scope given): the main container with `command`.
    pub fn one_off(
        &self,
        scope: &mut Scope<'_>,
        command: Vec<String>,
    ) -> Handle<ecs::TaskDefinition> {
        let mut props = self.props.clone();
        props.containers.truncate(1);
        if let Some(main) = props.containers.first_mut() {
            main.command = command;
            main.ports.clear();
        }
        props.log_stream_prefix = "one-off".into();
        scope.add(
            "TaskDefinition",
            task_definition(&props, self.log_group, self.execution_role, self.task_role),
        )
    }

    /// The main container's name.
    pub fn main_container(&self) -> &str {
        self.props
            .containers
            .first()
            .map_or("app", |c| c.name.as_str())
    }
}

/// Pull (ECR only), own logs, exactly the secrets used: as grant statements.
fn execution_statements(
    props: &TaskDefinitionProps,
    log_group: Handle<logs::LogGroup>,
) -> Vec<Statement> {
    let mut out = vec![Statement::allow()
        .sid("OwnLogs")
        .actions(["logs:CreateLogStream", "logs:PutLogEvents"])
        .resource(log_group.attr_arn())];
    let mut secrets: Vec<Val<String>> = Vec::new();
    let mut repos: Vec<Val<String>> = Vec::new();
    for c in &props.containers {
        for (_, s) in &c.secrets {
            if !secrets.contains(&s.iam_resource) {
                secrets.push(s.iam_resource.clone());
            }
        }
        if let Some(r) = &c.ecr_repository_arn {
            if !repos.contains(r) {
                repos.push(r.clone());
            }
        }
    }
    if !secrets.is_empty() {
        out.push(
            Statement::allow()
                .sid("ReadSecrets")
                .action("secretsmanager:GetSecretValue")
                .resources(secrets),
        );
    }
    if !repos.is_empty() {
        out.push(
            Statement::allow()
                .sid("PullImage")
                .actions([
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ])
                .resources(repos),
        );
        out.push(
            Statement::allow()
                .sid("EcrLogin")
                .action("ecr:GetAuthorizationToken")
                .resource("*"),
        );
    }
    out
}

fn container_definition(
    c: &ContainerSpec,
    log_group: Handle<logs::LogGroup>,
    stream_prefix: &str,
) -> ecs::task_definition::ContainerDefinition {
    use ecs::task_definition as td;
    let mut d = td::ContainerDefinition::new(c.image.clone(), c.name.clone());
    d.essential = Some(c.essential.into());
    if !c.command.is_empty() {
        d.command = Some(c.command.clone().into());
    }
    if !c.ports.is_empty() {
        d.port_mappings = Some(
            c.ports
                .iter()
                .map(|p| td::PortMapping {
                    container_port: Some(i64::from(*p).into()),
                    protocol: Some(td::Protocol::Tcp.into()),
                    ..Default::default()
                })
                .collect(),
        );
    }
    if !c.environment.is_empty() {
        d.environment = Some(
            c.environment
                .iter()
                .map(|(k, v)| td::KeyValuePair {
                    name: Some(k.clone().into()),
                    value: Some(v.clone()),
                })
                .collect(),
        );
    }
    if !c.secrets.is_empty() {
        d.secrets = Some(
            c.secrets
                .iter()
                .map(|(k, v)| td::Secret::new(k.clone(), v.value_from.clone()))
                .collect(),
        );
    }
    if let Some(h) = &c.health_check {
        d.health_check = Some(td::HealthCheck {
            command: Some(h.command.clone().into()),
            interval: Some(i64::from(h.interval_seconds).into()),
            timeout: Some(i64::from(h.timeout_seconds).into()),
            retries: Some(i64::from(h.retries).into()),
            start_period: Some(i64::from(h.start_period_seconds).into()),
        });
    }
    if !c.depends_on.is_empty() {
        d.depends_on = Some(
            c.depends_on
                .iter()
                .map(|(name, cond)| td::ContainerDependency {
                    container_name: Some(name.clone().into()),
                    condition: Some(ecs::task_definition::Condition::from(*cond).into()),
                })
                .collect(),
        );
    }
    let mut log = td::LogConfiguration::new("awslogs");
    log.options = Some(
        [
            ("awslogs-group".to_owned(), log_group.reference()),
            ("awslogs-region".to_owned(), pseudo::region()),
            ("awslogs-stream-prefix".to_owned(), Val::from(stream_prefix)),
        ]
        .into_iter()
        .collect(),
    );
    d.log_configuration = Some(log);
    d.readonly_root_filesystem = Some(c.readonly_root_filesystem.into());
    d.privileged = Some(false.into());
    d
}

fn task_definition(
    props: &TaskDefinitionProps,
    log_group: Handle<logs::LogGroup>,
    execution_role: Handle<iam::Role>,
    task_role: Handle<iam::Role>,
) -> ecs::TaskDefinition {
    use ecs::task_definition as td;
    ecs::TaskDefinition {
        cpu: Some(props.cpu.to_text()),
        memory: Some(props.memory_mib.to_text()),
        network_mode: Some(td::NetworkMode::Awsvpc.into()),
        requires_compatibilities: Some(
            vec![if props.on_ec2 {
                td::RequiresCompatibilities::Ec2
            } else {
                td::RequiresCompatibilities::Fargate
            }]
            .into(),
        ),
        execution_role_arn: Some(execution_role.attr_arn()),
        task_role_arn: Some(task_role.attr_arn()),
        container_definitions: Some(
            props
                .containers
                .iter()
                .map(|c| container_definition(c, log_group, &props.log_stream_prefix))
                .collect(),
        ),
        ..Default::default()
    }
}

/// Names whose literal value is certainly a secret.
/// The literal text of a value: the string, or the literal pieces of an `Fn::Sub`.
fn literal_parts(e: &Expr) -> Vec<&str> {
    match e {
        Expr::Str(s) => vec![s.as_str()],
        Expr::Sub(parts) => parts
            .iter()
            .filter_map(|p| match p {
                SubPart::Lit(l) => Some(l.as_str()),
                SubPart::Expr(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn mentions_secret_resolve(e: &Expr) -> bool {
    const NEEDLES: &[&str] = &["{{resolve:secretsmanager:", "{{resolve:ssm-secure:"];
    let hit = |s: &str| NEEDLES.iter().any(|n| s.contains(n));
    match e {
        Expr::Str(s) => hit(s),
        Expr::Json(serde_json::Value::String(s)) => hit(s),
        Expr::Sub(parts) => parts.iter().any(|p| match p {
            SubPart::Lit(s) => hit(s),
            SubPart::Expr(e) => mentions_secret_resolve(e),
        }),
        other => {
            let mut found = false;
            other.for_each_child(&mut |c| found |= mentions_secret_resolve(c));
            found
        }
    }
}

/// Checks plain environment variables, wherever they go (an ECS container, a Lambda
/// function): each name non-empty and defined once (`seen` collects the names, so secrets
/// defined next to them can be checked against them), and no secret as a plain value — a
/// `{{resolve:secretsmanager:…}}`/`{{resolve:ssm-secure:…}}` reference or a literal under a
/// secret-looking name (`*PASSWORD`, `*SECRET`, `*TOKEN`, `*API_KEY`, …) is
/// [`codes::SECRET_IN_ENVIRONMENT`]. Problems are reported at `id`, property `at(index)`;
/// `fix` is the help line for a secret.
pub fn check_environment<'e>(
    s: &mut Scope<'_>,
    id: &str,
    at: &dyn Fn(usize) -> String,
    environment: &'e [(String, Val<String>)],
    seen: &mut BTreeSet<&'e str>,
    fix: &str,
) {
    for (i, (k, v)) in environment.iter().enumerate() {
        let here = at(i);
        if k.is_empty() || !seen.insert(k.as_str()) {
            s.error(
                codes::INVALID_CONTAINER,
                id,
                Some(&here),
                format!("environment variable `{k}` is empty or defined twice"),
                "define each variable once",
            );
        }
        // By value and by name (stackforge::secrets): an AWS key, a URL with a password,
        // a token, or any literal under a secret name such as DB_PASS.
        let found = match v.as_literal() {
            Some(l) => secrets::scan_named(k, l).map(|f| f.what),
            None => literal_parts(v.expr())
                .iter()
                .find_map(|l| secrets::scan_value(l))
                .map(|f| f.what),
        };
        let found = found.or_else(|| {
            mentions_secret_resolve(v.expr()).then(|| "a dynamic reference to a secret".to_owned())
        });
        if let Some(what) = found {
            s.error(
                codes::SECRET_IN_ENVIRONMENT,
                id,
                Some(&here),
                format!("`{k}` passes {what} as a plain environment value: it would be readable in the resource's configuration"),
                fix.to_owned(),
            );
        }
    }
}

/// Checks the task's size, containers and retention, reporting at `TaskDefinition` and
/// `LogGroup` of the scope.
pub(crate) fn check_task(s: &mut Scope<'_>, p: &TaskDefinitionProps) {
    s.check_values(
        codes::INVALID_FARGATE_SIZE,
        "TaskDefinition",
        Some("Properties.Memory"),
        &[p.cpu.expr(), p.memory_mib.expr()],
        |v| {
            let cpu = as_u64(&v[0])
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0);
            let mem = as_u64(&v[1])
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0);
            check_fargate_size(cpu, mem).map_err(|e| e.to_string())
        },
    );
    s.check_values(
        codes::INVALID_CONTAINER,
        "LogGroup",
        Some("Properties.RetentionInDays"),
        &[p.log_retention_days.expr()],
        |v| match as_u64(&v[0]) {
            Some(d) if LOG_RETENTION_DAYS.iter().any(|r| u64::from(*r) == d) => Ok(()),
            _ => Err(format!(
                "{} days is not a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …)",
                v[0]
            )),
        },
    );
    if p.containers.is_empty() {
        s.error(
            codes::INVALID_CONTAINER,
            "TaskDefinition",
            Some("Properties.ContainerDefinitions"),
            "the task has no container",
            "give at least the main container",
        );
    }
    let mut names = BTreeSet::new();
    for (ci, c) in p.containers.iter().enumerate() {
        let at = |field: &str| format!("Properties.ContainerDefinitions[{ci}].{field}");
        if c.image.as_literal().is_some_and(|i| i.trim().is_empty()) {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some(&at("Image")),
                format!("container `{}` has no image", c.name),
                "set image, e.g. servian/techchallengeapp:latest",
            );
        } else if let Some(Err(why)) = c
            .image
            .as_literal()
            .map(crate::container_repository::check_image_reference)
        {
            s.error(
                codes::INVALID_IMAGE_REFERENCE,
                "TaskDefinition",
                Some(&at("Image")),
                why.to_string(),
                "write the image as [registry/]repository[:tag][@sha256:digest] in lower case, e.g. public.ecr.aws/nginx/nginx:1.27",
            );
        }
        let name_ok = !c.name.is_empty()
            && c.name.len() <= 255
            && c.name
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
        if !name_ok || !names.insert(c.name.as_str()) {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some(&at("Name")),
                format!("`{}` is not a container name, or is used twice", c.name),
                "use letters, digits, - and _, once per task",
            );
        }
        for p in &c.ports {
            if *p == 0 {
                s.error(
                    codes::PORT_MISMATCH,
                    "TaskDefinition",
                    Some(&at("PortMappings")),
                    format!("container `{}` listens on port 0", c.name),
                    "give the port the container listens on",
                );
            }
        }
        let mut seen = BTreeSet::new();
        check_environment(
            s,
            "TaskDefinition",
            &|i| at(&format!("Environment[{i}]")),
            &c.environment,
            &mut seen,
            "move it to `secrets` (e.g. db.password() or SecretRef::field), which becomes ECS secrets/valueFrom",
        );
        for (i, (k, _)) in c.secrets.iter().enumerate() {
            if k.is_empty() || !seen.insert(k.as_str()) {
                s.error(
                    codes::INVALID_CONTAINER,
                    "TaskDefinition",
                    Some(&at(&format!("Secrets[{i}]"))),
                    format!("`{k}` is empty or also defined as another variable or secret"),
                    "define each variable once",
                );
            }
        }
    }
    for (ci, c) in p.containers.iter().enumerate() {
        for (i, (other, _)) in c.depends_on.iter().enumerate() {
            if other == &c.name || !names.contains(other.as_str()) {
                s.error(
                    codes::INVALID_CONTAINER,
                    "TaskDefinition",
                    Some(&format!("Properties.ContainerDefinitions[{ci}].DependsOn[{i}]")),
                    format!("container `{}` waits for `{other}`, which is not another container of the task", c.name),
                    "name another container of the same task",
                );
            }
        }
    }
}

/// A security group for a service's tasks: HTTPS out (image pulls, AWS APIs through NAT) and
/// whatever `allow_from` adds; no ingress until a load balancer or peer opens a port.
pub fn task_security_group(
    scope: &mut Scope<'_>,
    id: &str,
    vpc: &dyn VpcRef,
    description: String,
) -> Handle<ec2::SecurityGroup> {
    let sg = scope.add(
        id,
        ec2::SecurityGroup {
            vpc_id: Some(vpc.vpc_id()),
            security_group_egress: Some(vec![{
                let mut e = ec2::security_group::Egress::new("tcp");
                e.cidr_ip = Some("0.0.0.0/0".into());
                e.from_port = Some(443.into());
                e.to_port = Some(443.into());
                e.description = Some(
                    "HTTPS out: image pulls, Secrets Manager, CloudWatch Logs (through NAT)".into(),
                );
                e
            }]),
            ..ec2::SecurityGroup::new(description)
        },
    );
    scope.protect(sg, &["SecurityGroupIngress"], "open ingress");
    sg
}

/// How a service gets compute: Fargate, or an EC2 capacity provider.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Capacity {
    /// Fargate (`LaunchType: FARGATE`).
    #[default]
    Fargate,
    /// An ECS capacity provider, e.g. an [`crate::ec2_capacity_cluster::Ec2CapacityCluster`]'s
    /// (`CapacityProviderStrategy`); the task definition then requires EC2.
    Provider(Val<String>),
}

/// What [`fargate_service`] needs besides the task definition.
#[derive(Clone)]
pub struct ServiceSpec<'a> {
    /// The cluster.
    pub cluster: &'a dyn ClusterRef,
    /// The network (tasks go into its private subnets).
    pub vpc: &'a dyn VpcRef,
    /// The tasks' security group.
    pub security_group: Handle<ec2::SecurityGroup>,
    /// Tasks to run.
    pub desired_count: Val<i64>,
    /// Seconds ECS ignores failing load-balancer health checks after a task starts (only
    /// with a load balancer).
    pub health_check_grace_period_seconds: Option<Val<i64>>,
    /// Load-balancer attachments.
    pub load_balancers: Vec<ecs::service::LoadBalancer>,
    /// Fargate or a capacity provider.
    pub capacity: Capacity,
}

/// Creates the ECS service (`<scope>Service`): private subnets without public IPs,
/// deployment circuit breaker with rollback, rolling updates at 100–200 %, ECS-managed tags.
/// It waits for the network's NAT routes and for the task role's grants.
pub fn fargate_service(
    scope: &mut Scope<'_>,
    task: &FargateTaskDefinition,
    spec: ServiceSpec<'_>,
) -> Handle<ecs::Service> {
    let (launch_type, platform_version, strategy) = match &spec.capacity {
        Capacity::Fargate => (
            Some(ecs::service::LaunchType::Fargate.into()),
            Some("LATEST".into()),
            None,
        ),
        Capacity::Provider(name) => (
            None,
            None,
            Some(vec![ecs::service::CapacityProviderStrategyItem {
                capacity_provider: Some(name.clone()),
                weight: Some(1.into()),
                ..Default::default()
            }]),
        ),
    };
    let svc = ecs::Service {
        cluster: Some(spec.cluster.cluster_name()),
        launch_type,
        platform_version,
        capacity_provider_strategy: strategy,
        task_definition: Some(task.task_definition.reference()),
        desired_count: Some(spec.desired_count),
        health_check_grace_period_seconds: spec.health_check_grace_period_seconds,
        enable_ecs_managed_tags: Some(true.into()),
        deployment_configuration: Some(ecs::service::DeploymentConfiguration {
            deployment_circuit_breaker: Some(ecs::service::DeploymentCircuitBreaker::new(
                true, true,
            )),
            maximum_percent: Some(200.into()),
            minimum_healthy_percent: Some(100.into()),
            ..Default::default()
        }),
        load_balancers: (!spec.load_balancers.is_empty()).then_some(spec.load_balancers),
        network_configuration: Some(ecs::service::NetworkConfiguration {
            awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                assign_public_ip: Some(ecs::service::AssignPublicIp::Disabled.into()),
                security_groups: Some(vec![spec.security_group.attr_group_id()].into()),
                subnets: Some(spec.vpc.private_subnet_ids().into()),
            }),
        }),
        ..Default::default()
    };
    let service = scope.add("Service", svc);
    scope.protect(
        service,
        &[
            "NetworkConfiguration",
            "AwsvpcConfiguration",
            "AssignPublicIp",
        ],
        "public IPs for tasks",
    );
    // Tasks need the NAT routes to pull images, and their permissions before they start.
    for h in spec.vpc.egress_dependencies() {
        scope.depends_on(service, h);
    }
    scope.wait_for_grants(service, &task.task_role.grant_role());
    scope.wait_for_grants(service, &task.execution_role.grant_role());
    service
}

/// Application Auto Scaling of an ECS service's desired count.
///
/// Logical IDs (under the scope given): `ScalableTarget`, `CpuScaling`, `MemoryScaling`, and
/// whatever the step policies add.
#[derive(Clone, Debug)]
pub struct ServiceScaling {
    /// The scalable target (`<scope>ScalableTarget`).
    pub scalable_target: Handle<aas::ScalableTarget>,
    /// The service's path label, for policy names.
    label: String,
}

impl ServiceScaling {
    /// Scales `service` of `cluster` between `min` and `max` tasks. `desired` is checked to lie
    /// within them.
    pub fn new(
        scope: &mut Scope<'_>,
        cluster: &dyn ClusterRef,
        service: Handle<ecs::Service>,
        min: Val<i64>,
        max: Val<i64>,
        desired: &Val<i64>,
    ) -> Self {
        scope.check_values(
            codes::INVALID_CAPACITY,
            "ScalableTarget",
            Some("Properties.MaxCapacity"),
            &[min.expr(), max.expr()],
            |v| match (as_u64(&v[0]), as_u64(&v[1])) {
                (Some(lo), Some(hi)) if lo <= hi && hi >= 1 => Ok(()),
                (Some(lo), Some(hi)) => Err(format!(
                    "min capacity {lo} is above max capacity {hi} (or the maximum is 0)"
                )),
                _ => Err(format!(
                    "capacities {} / {} are not whole numbers",
                    v[0], v[1]
                )),
            },
        );
        scope.check_values(
            codes::INVALID_CAPACITY,
            "Service",
            Some("Properties.DesiredCount"),
            &[min.expr(), max.expr(), desired.expr()],
            |v| match (as_u64(&v[0]), as_u64(&v[1]), as_u64(&v[2])) {
                (Some(lo), Some(hi), Some(d)) if lo > hi || (lo..=hi).contains(&d) => Ok(()),
                (Some(lo), Some(hi), Some(d)) => Err(format!(
                    "desired count {d} is outside the autoscaling range {lo}..={hi}; scaling would immediately override it"
                )),
                _ => Err(format!("the desired count {} is not a whole number", v[2])),
            },
        );
        let label = scope.path().to_owned();
        let scalable_target = scope.add(
            "ScalableTarget",
            aas::ScalableTarget::new(
                max,
                min,
                sub!("service/", cluster.cluster_name(), "/", service.attr_name()),
                aas::scalable_target::ScalableDimension::EcsServiceDesiredCount,
                aas::scalable_target::ServiceNamespace::Ecs,
            ),
        );
        ServiceScaling {
            scalable_target,
            label,
        }
    }

    /// Target tracking on a predefined ECS metric (average CPU or memory utilisation):
    /// `<scope><id>`, with a 60-second cooldown each way. `target_percent` is checked (1–100).
    pub fn track(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        metric: aas::scaling_policy::PredefinedMetricSpecificationType,
        target_percent: Val<i64>,
    ) -> Handle<aas::ScalingPolicy> {
        scope.check_values(
            codes::INVALID_SCALING_TARGET,
            id,
            Some("Properties.TargetTrackingScalingPolicyConfiguration.TargetValue"),
            &[target_percent.expr()],
            |v| match as_u64(&v[0]) {
                Some(p) if (1..=100).contains(&p) => Ok(()),
                _ => Err(format!(
                    "the target is {}; it must be 1 to 100 percent",
                    v[0]
                )),
            },
        );
        let suffix = id.strip_suffix("Scaling").unwrap_or(id).to_lowercase();
        let mut p = aas::ScalingPolicy::new(
            format!("{}-{suffix}", self.label),
            aas::scaling_policy::PolicyType::TargetTrackingScaling,
        );
        p.scaling_target_id = Some(self.scalable_target.reference());
        let mut cfg = aas::scaling_policy::TargetTrackingScalingPolicyConfiguration::new(
            Val::<f64>::from_expr(target_percent.into_expr()),
        );
        cfg.predefined_metric_specification = Some(
            aas::scaling_policy::PredefinedMetricSpecification::new(metric),
        );
        cfg.scale_in_cooldown = Some(60.into());
        cfg.scale_out_cooldown = Some(60.into());
        p.target_tracking_scaling_policy_configuration = Some(cfg);
        scope.add(id, p)
    }
}

/// One step of step scaling: when the metric is at or above (or at or below) `at`, change the
/// desired count by `change` tasks.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingStep {
    /// The metric value where the step starts.
    pub at: f64,
    /// Tasks to add (positive, for steps above) or remove (negative, for steps below).
    pub change: i64,
    /// True for a step that applies at or above `at` (scale out), false at or below (scale
    /// in).
    pub above: bool,
}

impl ScalingStep {
    /// When the metric is `>= at`, add `change` tasks (until the next step up).
    pub fn at_or_above(at: f64, change: i64) -> Self {
        ScalingStep {
            at,
            change,
            above: true,
        }
    }
    /// When the metric is `<= at`, remove `-change` tasks (`change` is negative).
    pub fn at_or_below(at: f64, change: i64) -> Self {
        ScalingStep {
            at,
            change,
            above: false,
        }
    }
}

/// The policies and alarms of [`ServiceScaling::step`]: one pair per direction that has
/// steps.
#[derive(Clone, Debug, PartialEq)]
pub struct StepScaling {
    /// Scale-out policy (`<scope><id>ScaleOutPolicy`) and its alarm (`…ScaleOutAlarm`).
    pub scale_out: Option<(Handle<aas::ScalingPolicy>, Handle<cloudwatch::Alarm>)>,
    /// Scale-in policy (`<scope><id>ScaleInPolicy`) and its alarm (`…ScaleInAlarm`).
    pub scale_in: Option<(Handle<aas::ScalingPolicy>, Handle<cloudwatch::Alarm>)>,
}

impl ServiceScaling {
    /// Step scaling on `metric`, as the CDK's queue-processing services do: the steps above
    /// make one policy and one alarm (`metric >= lowest step`), the steps below another pair
    /// (`metric <= highest step`); each step's interval is relative to its alarm's threshold.
    /// Steps are checked (`SFM047`): none, two at the same value, or a step that changes
    /// nothing or goes the wrong way.
    pub fn step(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        metric: &Metric,
        steps: &[ScalingStep],
    ) -> StepScaling {
        let mut problems = Vec::new();
        if steps.is_empty() {
            problems.push("no scaling steps".to_owned());
        }
        for st in steps {
            if !st.at.is_finite() {
                problems.push(format!("a step at {} is not a number", st.at));
            }
            if st.above && st.change <= 0 || !st.above && st.change >= 0 {
                problems.push(format!(
                    "the step at {} changes the count by {}: steps above add tasks (change > 0), steps below remove them (change < 0)",
                    st.at, st.change
                ));
            }
        }
        let mut up: Vec<&ScalingStep> = steps.iter().filter(|s| s.above).collect();
        let mut down: Vec<&ScalingStep> = steps.iter().filter(|s| !s.above).collect();
        up.sort_by(|a, b| a.at.total_cmp(&b.at));
        down.sort_by(|a, b| b.at.total_cmp(&a.at));
        for w in up.windows(2).chain(down.windows(2)) {
            if w[0].at == w[1].at {
                problems.push(format!("two steps start at {}", w[0].at));
            }
        }
        if let (Some(lo), Some(hi)) = (down.first(), up.first()) {
            if lo.at >= hi.at {
                problems.push(format!(
                    "the scale-in step at {} is not below the scale-out step at {}",
                    lo.at, hi.at
                ));
            }
        }
        for p in &problems {
            scope.error(
                codes::INVALID_SCALING_STEPS,
                &format!("{id}ScaleOutPolicy"),
                Some("Properties.StepScalingPolicyConfiguration.StepAdjustments"),
                p.clone(),
                "give steps such as at_or_below(0.0, -1), at_or_above(100.0, 1), at_or_above(500.0, 5)",
            );
        }
        let scale_out = (!up.is_empty()).then(|| {
            let t = up[0].at;
            let adjustments = up
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    let mut a = aas::scaling_policy::StepAdjustment::new(st.change);
                    a.metric_interval_lower_bound = Some((st.at - t).into());
                    a.metric_interval_upper_bound = up.get(i + 1).map(|n| (n.at - t).into());
                    a
                })
                .collect();
            self.step_pair(
                scope,
                &format!("{id}ScaleOut"),
                metric,
                t,
                true,
                adjustments,
            )
        });
        let scale_in = (!down.is_empty()).then(|| {
            let t = down[0].at;
            let adjustments = down
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    let mut a = aas::scaling_policy::StepAdjustment::new(st.change);
                    a.metric_interval_upper_bound = Some((st.at - t).into());
                    a.metric_interval_lower_bound = down.get(i + 1).map(|n| (n.at - t).into());
                    a
                })
                .collect();
            self.step_pair(
                scope,
                &format!("{id}ScaleIn"),
                metric,
                t,
                false,
                adjustments,
            )
        });
        StepScaling {
            scale_out,
            scale_in,
        }
    }

    fn step_pair(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        metric: &Metric,
        threshold: f64,
        above: bool,
        adjustments: Vec<aas::scaling_policy::StepAdjustment>,
    ) -> (Handle<aas::ScalingPolicy>, Handle<cloudwatch::Alarm>) {
        let mut p = aas::ScalingPolicy::new(
            format!("{}-{}", self.label, id.to_lowercase()),
            aas::scaling_policy::PolicyType::StepScaling,
        );
        p.scaling_target_id = Some(self.scalable_target.reference());
        p.step_scaling_policy_configuration =
            Some(aas::scaling_policy::StepScalingPolicyConfiguration {
                adjustment_type: Some(aas::scaling_policy::AdjustmentType::ChangeInCapacity.into()),
                cooldown: Some(300.into()),
                metric_aggregation_type: Some(
                    aas::scaling_policy::MetricAggregationType::Maximum.into(),
                ),
                step_adjustments: Some(adjustments),
                ..Default::default()
            });
        let policy = scope.add(&format!("{id}Policy"), p);
        let props = AlarmProps {
            threshold: threshold.into(),
            comparison: if above {
                Comparison::GreaterThanOrEqual
            } else {
                Comparison::LessThanOrEqual
            },
            actions: vec![AlarmAction {
                arn: policy.reference(),
            }],
            description: Some(
                format!(
                    "{}: scale {} when {} {} {threshold}",
                    self.label,
                    if above { "out" } else { "in" },
                    metric.name,
                    if above { ">=" } else { "<=" }
                )
                .into(),
            ),
            ..AlarmProps::new(metric.clone())
        };
        let alarm = alarm_resource(scope, &format!("{id}Alarm"), &props);
        (policy, alarm)
    }
}
