//! [`Function`]: a Lambda function with its code (a deterministic zip in the assembly, or
//! inline), its own log group with a checked retention, a role that has only what grants
//! add, an optional dead-letter queue or on-failure destination, optional VPC placement, and
//! environment values that may be references (secrets are refused as plain values).
//!
//! Logical IDs (for id `Orders`): `OrdersLogGroup` (a [`LogGroup`]), `OrdersRole`,
//! `OrdersRoleDefaultPolicy` (logs, X-Ray and every grant), `OrdersFunction`; with a VPC,
//! `OrdersSecurityGroup`; with an on-failure destination, `OrdersEventInvokeConfig`.
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::code::Code;
//! use stackforge_modules::function::{Function, FunctionProps, Runtime};
//!
//! let app = App::new();
//! let mut s = app.stack("api");
//! let f = Function::new(&mut s, "Hello", FunctionProps {
//!     code: Some(Code::inline("def handler(event, context):\n    return {'statusCode': 200}\n")),
//!     runtime: Runtime::Python313,
//!     ..Default::default()
//! });
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(t["Resources"]["HelloFunction"]["Properties"]["Runtime"], "python3.13");
//! # let _ = f;
//! ```

use std::collections::BTreeSet;

use stackforge::cfn::{ec2, iam, lambda};
use stackforge::policy::{PolicyDocument, Principal, Statement};
use stackforge::{AssetLocation, Grant, GrantRole, Handle, Json, Props, Raw, Scope, Val};

use crate::code::{zip_dir, zip_file, Code};
use crate::codes;
use crate::connections::Connectable;
use crate::existing::SecretRef;
use crate::grants;
use crate::key::KmsKey;
use crate::log_group::{LogGroup, LogGroupProps};
use crate::metrics::{Metric, Statistic};
use crate::queue::Queue;
use crate::refs::{Grantee, VpcRef};
use crate::topic::Topic;

/// Lambda runtimes that are current (none deprecated, per the Lambda runtime lifecycle that
/// cfn-lint ships, as of its 2026-10-20 schemas).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Runtime {
    /// `nodejs22.x`.
    Nodejs22,
    /// `nodejs24.x`.
    Nodejs24,
    /// `python3.11`.
    Python311,
    /// `python3.12`.
    Python312,
    /// `python3.13`.
    Python313,
    /// `python3.14`.
    Python314,
    /// `java11`.
    Java11,
    /// `java17`.
    Java17,
    /// `java21`.
    Java21,
    /// `java25`.
    Java25,
    /// `dotnet10`.
    Dotnet10,
    /// `ruby3.3`.
    Ruby33,
    /// `ruby3.4`.
    Ruby34,
    /// `ruby4.0`.
    Ruby40,
    /// `provided.al2023`: a custom runtime (Rust, Go, …) whose archive holds an executable
    /// `bootstrap`.
    ProvidedAl2023,
}

impl Runtime {
    /// Whether inline code (`ZipFile`) works with this runtime (Node.js and Python only).
    pub fn supports_inline(self) -> bool {
        matches!(
            self,
            Runtime::Nodejs22
                | Runtime::Nodejs24
                | Runtime::Python311
                | Runtime::Python312
                | Runtime::Python313
                | Runtime::Python314
        )
    }
}

impl From<Runtime> for lambda::function::Runtime {
    fn from(r: Runtime) -> Self {
        use lambda::function::Runtime as R;
        match r {
            Runtime::Nodejs22 => R::Nodejs22X,
            Runtime::Nodejs24 => R::Nodejs24X,
            Runtime::Python311 => R::Python311,
            Runtime::Python312 => R::Python312,
            Runtime::Python313 => R::Python313,
            Runtime::Python314 => R::Python314,
            Runtime::Java11 => R::Java11,
            Runtime::Java17 => R::Java17,
            Runtime::Java21 => R::Java21,
            Runtime::Java25 => R::Java25,
            Runtime::Dotnet10 => R::Dotnet10,
            Runtime::Ruby33 => R::Ruby33,
            Runtime::Ruby34 => R::Ruby34,
            Runtime::Ruby40 => R::Ruby40,
            Runtime::ProvidedAl2023 => R::ProvidedAl2023,
        }
    }
}

/// The instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Architecture {
    /// x86_64.
    #[default]
    X86_64,
    /// arm64 (Graviton: cheaper per GB-second).
    Arm64,
}

/// Where a function runs in a VPC: private subnets and the VPC of their security group.
#[derive(Clone, Debug, PartialEq)]
pub struct VpcPlacement {
    /// The VPC (for the function's security group).
    pub vpc_id: Val<String>,
    /// The subnets (private, with a NAT route for AWS APIs).
    pub subnet_ids: Vec<Val<String>>,
    /// Resources the function waits for (the NAT routes).
    pub wait_for: Vec<Handle<Raw>>,
}

impl VpcPlacement {
    /// The private subnets of any VPC (a [`crate::network::Network`] of this or another stack,
    /// an [`crate::refs::ExistingVpc`]).
    pub fn private(vpc: &dyn VpcRef) -> Self {
        VpcPlacement {
            vpc_id: vpc.vpc_id(),
            subnet_ids: vpc.private_subnet_ids(),
            wait_for: vpc.egress_dependencies(),
        }
    }
}

/// Where asynchronous invocations go after their last failed attempt.
#[derive(Clone, Debug, PartialEq)]
pub enum Destination {
    /// An SQS queue (the function may send to it).
    Queue(Queue),
    /// An SNS topic (the function may publish to it).
    Topic(Topic),
}

impl Destination {
    fn arn(&self) -> Val<String> {
        match self {
            Destination::Queue(q) => q.arn(),
            Destination::Topic(t) => t.arn(),
        }
    }
    fn grant(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        match self {
            Destination::Queue(q) => q.grant_send(scope, grantee),
            Destination::Topic(t) => t.grant_publish(scope, grantee),
        }
    }
}

/// Options of [`Function`].
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionProps {
    /// The code: a directory or file (zipped deterministically into the assembly), inline
    /// source for a one-file Node.js or Python handler, or an S3 object.
    /// Default: `None`, which is an error (`SFM040`).
    pub code: Option<Code>,
    /// The handler (`file.function` for Python and Node.js).
    /// Default: `index.handler`.
    pub handler: Val<String>,
    /// The runtime. Default: [`Runtime::Python313`].
    pub runtime: Runtime,
    /// The instruction set. Default: [`Architecture::X86_64`].
    pub architecture: Architecture,
    /// Memory in MiB, 128–10,240 (`SFM041`). Default: `128`.
    pub memory_mib: Val<i64>,
    /// Timeout in seconds, 1–900 (`SFM041`). Default: `3` (Lambda's).
    pub timeout_seconds: Val<i64>,
    /// Plain environment variables; values may be references (a table name, a queue URL).
    /// A secret here is an error (`SFM004`): use `secrets`. Default: empty.
    pub environment: Vec<(String, Val<String>)>,
    /// Secrets: the variable holds the secret's ARN (never its value), and the function may
    /// read the secret (`secretsmanager:GetSecretValue`). Default: empty.
    pub secrets: Vec<(String, SecretRef)>,
    /// Retention of the function's log group, in days (a CloudWatch Logs value, `SFM020`).
    /// Default: `30`.
    pub log_retention_days: Val<i64>,
    /// Concurrent executions reserved for (and capping) the function.
    /// Default: `None` (the account's unreserved pool; checkov's CKV_AWS_115 is skipped with
    /// that reason).
    pub reserved_concurrency: Option<Val<i64>>,
    /// Run in a VPC's private subnets, with its own security group ([`Connectable`]).
    /// Default: `None` (Lambda's network; checkov's CKV_AWS_117 is skipped with that reason).
    pub vpc: Option<VpcPlacement>,
    /// A dead-letter queue for failed asynchronous invocations (`DeadLetterConfig`); the
    /// function may send to it. Conflicts with `on_failure` (`SFM041`).
    /// Default: `None`.
    pub dead_letter_queue: Option<Queue>,
    /// An on-failure destination for asynchronous invocations (`AWS::Lambda::EventInvokeConfig`,
    /// which also carries the event and its error). Conflicts with `dead_letter_queue`.
    /// Default: `None`.
    pub on_failure: Option<Destination>,
    /// X-Ray active tracing (the role may put trace segments). Default: `true`.
    pub tracing: bool,
    /// A customer key for the environment variables (the role may decrypt with it).
    /// Default: `None` (Lambda's AWS-managed key; checkov's CKV_AWS_173 is skipped with that
    /// reason when there are variables).
    pub kms_key: Option<KmsKey>,
    /// The description. Default: `None`.
    pub description: Option<Val<String>>,
}

impl Default for FunctionProps {
    fn default() -> Self {
        FunctionProps {
            code: None,
            handler: "index.handler".into(),
            runtime: Runtime::Python313,
            architecture: Architecture::X86_64,
            memory_mib: 128.into(),
            timeout_seconds: 3.into(),
            environment: Vec::new(),
            secrets: Vec::new(),
            log_retention_days: 30.into(),
            reserved_concurrency: None,
            vpc: None,
            dead_letter_queue: None,
            on_failure: None,
            tracing: true,
            kms_key: None,
            description: None,
        }
    }
}

/// A Lambda function.
#[derive(Clone, Debug)]
pub struct Function {
    /// The `AWS::Lambda::Function` (id `<id>Function`).
    pub function: Handle<lambda::Function>,
    /// The execution role (id `<id>Role`): logs, tracing and grants only.
    pub role: Handle<iam::Role>,
    /// The function's log group (id `<id>LogGroup`).
    pub log_group: LogGroup,
    /// The security group, with [`FunctionProps::vpc`] (id `<id>SecurityGroup`).
    pub security_group: Option<Handle<ec2::SecurityGroup>>,
    /// The on-failure destination's configuration, with [`FunctionProps::on_failure`]
    /// (id `<id>EventInvokeConfig`).
    pub event_invoke_config: Option<Handle<lambda::EventInvokeConfig>>,
    /// Where the code asset is, for code from a directory or file.
    pub asset: Option<AssetLocation>,
    /// The pattern's full path.
    pub name: String,
}

/// A trust policy for Lambda. No `aws:SourceAccount` condition: Lambda's service principal
/// does not send it when it assumes a function's role, so the condition would make the role
/// unusable.
fn lambda_trust() -> Val<Json> {
    PolicyDocument::new([Statement::allow()
        .principal(Principal::service("lambda.amazonaws.com"))
        .action("sts:AssumeRole")])
    .into()
}

impl Function {
    /// Creates the function, its log group and its role under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: FunctionProps) -> Self {
        let name = scope.logical_id_for(id);
        let log_group = LogGroup::new(
            scope,
            id,
            LogGroupProps {
                retention_days: props.log_retention_days.clone(),
                ..Default::default()
            },
        );
        let mut s = scope.child(id);
        check(&mut s, &props);

        let role = s.add(
            "Role",
            iam::Role {
                description: Some(
                    format!("{name}: the function's own permissions (logs, tracing, grants)")
                        .into(),
                ),
                managed_policy_arns: props.vpc.as_ref().map(|_| {
                    // Creating and deleting the function's network interfaces needs
                    // `ec2:*NetworkInterface*` on `*`, which cannot be scoped to resources:
                    // AWS's managed policy for exactly that, as the CDK uses.
                    vec![stackforge::sub!(
                        "arn:",
                        stackforge::pseudo::partition(),
                        ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
                    )]
                    .into()
                }),
                ..iam::Role::new(lambda_trust())
            },
        );
        let grantee = role.grant_role();
        log_group.grant_write(&mut s, &role);
        if props.tracing {
            s.grant(
                &grantee,
                [grants::allow_unnamed(
                    &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                    vec![Val::from("*")],
                )],
            );
        }
        for (_, secret) in &props.secrets {
            s.grant(
                &grantee,
                [grants::allow_unnamed(
                    grants::SECRET_READ,
                    vec![secret.iam_resource.clone()],
                )],
            );
        }
        if let Some(k) = &props.kms_key {
            s.grant(
                &grantee,
                [grants::key_statement(&k.arn(), grants::KeyUse::Decrypt)],
            );
        }
        if let Some(q) = &props.dead_letter_queue {
            q.grant_send(&mut s, &role);
        }
        if let Some(d) = &props.on_failure {
            d.grant(&mut s, &role);
        }

        let security_group = props.vpc.as_ref().map(|v| {
            s.add(
                "SecurityGroup",
                ec2::SecurityGroup {
                    vpc_id: Some(v.vpc_id.clone()),
                    security_group_egress: Some(vec![{
                        let mut e = ec2::security_group::Egress::new("tcp");
                        e.cidr_ip = Some("0.0.0.0/0".into());
                        e.from_port = Some(443.into());
                        e.to_port = Some(443.into());
                        e.description = Some("HTTPS out: AWS APIs (through NAT)".into());
                        e
                    }]),
                    ..ec2::SecurityGroup::new(format!(
                        "{name} function: no ingress; HTTPS out plus what allow_from adds"
                    ))
                },
            )
        });

        let (code, asset) = function_code(&mut s, &props);
        let mut variables = Props::new();
        for (k, v) in &props.environment {
            variables.set(k, v.clone());
        }
        for (k, secret) in &props.secrets {
            variables.set(k, secret.arn.clone());
        }
        let has_variables = !props.environment.is_empty() || !props.secrets.is_empty();
        let f = lambda::Function {
            description: props.description.clone(),
            handler: Some(props.handler.clone()),
            runtime: Some(lambda::function::Runtime::from(props.runtime).into()),
            architectures: Some(
                vec![match props.architecture {
                    Architecture::X86_64 => lambda::function::Architectures::X8664,
                    Architecture::Arm64 => lambda::function::Architectures::Arm64,
                }]
                .into(),
            ),
            memory_size: Some(props.memory_mib.clone()),
            timeout: Some(props.timeout_seconds.clone()),
            environment: has_variables.then(|| lambda::function::Environment {
                variables: Some(Val::from_expr(variables.into_expr())),
            }),
            kms_key_arn: props.kms_key.as_ref().map(KmsKey::arn),
            logging_config: Some(lambda::function::LoggingConfig {
                log_group: Some(log_group.log_group_name()),
                log_format: Some(lambda::function::LogFormat::Json.into()),
                ..Default::default()
            }),
            reserved_concurrent_executions: props.reserved_concurrency.clone(),
            tracing_config: props.tracing.then(|| lambda::function::TracingConfig {
                mode: Some(lambda::function::Mode::Active.into()),
            }),
            dead_letter_config: props.dead_letter_queue.as_ref().map(|q| {
                lambda::function::DeadLetterConfig {
                    target_arn: Some(q.arn()),
                }
            }),
            vpc_config: props.vpc.as_ref().zip(security_group).map(|(v, sg)| {
                lambda::function::VpcConfig {
                    security_group_ids: Some(vec![sg.attr_group_id()].into()),
                    subnet_ids: Some(v.subnet_ids.clone().into()),
                    ..Default::default()
                }
            }),
            ..lambda::Function::new(code, role.attr_arn())
        };
        let function = s.add("Function", f);
        // Lambda checks the role's permissions (the dead-letter queue, the VPC) when it
        // creates the function: it waits for every grant.
        s.wait_for_grants(function, &grantee);
        if let Some(v) = &props.vpc {
            for h in &v.wait_for {
                s.depends_on(function, *h);
            }
        }
        let event_invoke_config = props.on_failure.as_ref().map(|d| {
            let mut c = lambda::EventInvokeConfig::new(function.reference(), "$LATEST");
            c.destination_config = Some(lambda::event_invoke_config::DestinationConfig {
                on_failure: Some(lambda::event_invoke_config::OnFailure::new(d.arn())),
                ..Default::default()
            });
            let h = s.add("EventInvokeConfig", c);
            s.wait_for_grants(h, &grantee);
            h
        });

        // checkov findings that are choices made in the props, each with its reason.
        if props.reserved_concurrency.is_none() {
            s.skip_checkov(function, "CKV_AWS_115", "No reserved concurrency: the function shares the account's unreserved pool; set FunctionProps::reserved_concurrency to cap it");
        }
        if props.vpc.is_none() {
            s.skip_checkov(function, "CKV_AWS_117", "The function reaches only AWS APIs, so it runs in Lambda's network; set FunctionProps::vpc to place it in private subnets");
        }
        if props.dead_letter_queue.is_none() {
            let why = if props.on_failure.is_some() {
                "Failed asynchronous invocations go to an on-failure destination (AWS::Lambda::EventInvokeConfig), which carries the error too"
            } else {
                "The function is invoked synchronously (the caller sees the error), so it has no dead-letter queue; set FunctionProps::dead_letter_queue for asynchronous invocations"
            };
            s.skip_checkov(function, "CKV_AWS_116", why);
        }
        if props.kms_key.is_none() && has_variables {
            s.skip_checkov(function, "CKV_AWS_173", "Environment variables are encrypted at rest with Lambda's AWS-managed key and hold no secret (secrets are refused as plain values); set FunctionProps::kms_key for a customer key");
        }
        Function {
            function,
            role,
            log_group,
            security_group,
            event_invoke_config,
            asset,
            name,
        }
    }

    /// The function's ARN (`GetAtt Arn`).
    pub fn arn(&self) -> Val<String> {
        self.function.attr_arn()
    }

    /// The function's name (`Ref`).
    pub fn function_name(&self) -> Val<String> {
        self.function.reference()
    }

    /// Lets `principal` (a service, e.g. `events.amazonaws.com`) invoke the function from
    /// `source_arn` only: an `AWS::Lambda::Permission` with id `id` at the root of `scope`'s
    /// stack (the naming rule: `id` names both ends).
    pub fn allow_invoke(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        principal: &str,
        source_arn: Val<String>,
    ) -> Handle<lambda::Permission> {
        let mut p = lambda::Permission::new("lambda:InvokeFunction", self.arn(), principal);
        p.source_arn = Some(source_arn);
        p.source_account = Some(stackforge::pseudo::account_id());
        scope.root().add(id, p)
    }

    /// Lets `grantee` invoke the function (`lambda:InvokeFunction` on its ARN).
    pub fn grant_invoke(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        grants::grant(
            scope,
            grantee,
            vec![grants::allow_unnamed(
                &["lambda:InvokeFunction"],
                vec![self.arn()],
            )],
            None,
        )
    }

    fn lambda_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/Lambda", name).dimension("FunctionName", self.function_name())
    }

    /// Invocations that failed (`Errors`, a count, `FunctionName`).
    pub fn metric_errors(&self) -> Metric {
        Metric {
            statistic: Statistic::Sum,
            kind: crate::metrics::MetricKind::Count,
            ..self.lambda_metric("Errors")
        }
    }

    /// Invocations refused for lack of concurrency (`Throttles`, a count).
    pub fn metric_throttles(&self) -> Metric {
        Metric {
            statistic: Statistic::Sum,
            kind: crate::metrics::MetricKind::Count,
            ..self.lambda_metric("Throttles")
        }
    }

    /// p99 duration of invocations, in milliseconds (`Duration`).
    pub fn metric_duration(&self) -> Metric {
        self.lambda_metric("Duration")
            .statistic(Statistic::Percentile(99.0))
    }
}

impl Grantee for Function {
    fn grant_role(&self) -> GrantRole {
        self.role.grant_role()
    }
}

impl Connectable for Function {
    /// The function's security group. A function outside a VPC has none (the empty string),
    /// and `allow_from` such a function is an error (`SFM008`).
    fn security_group_id(&self) -> Val<String> {
        self.security_group
            .map_or_else(|| Val::from(""), |g| g.attr_group_id())
    }
    fn connection_name(&self) -> &str {
        &self.name
    }
    fn restricts_egress(&self) -> bool {
        true
    }
}

/// The `Code` property, staging a directory or file as an asset.
fn function_code(
    s: &mut Scope<'_>,
    p: &FunctionProps,
) -> (lambda::function::Code, Option<AssetLocation>) {
    let mut code = lambda::function::Code::default();
    let staged = |s: &mut Scope<'_>, zipped: Result<Vec<u8>, crate::code::CodeError>| match zipped {
        Ok(bytes) => Some(s.add_asset(bytes)),
        Err(e) => {
            s.error(
                codes::INVALID_CODE_ASSET,
                "Function",
                Some("Properties.Code"),
                format!("the code cannot be packaged: {e}"),
                "point Code::from_dir / Code::from_file at the built handler",
            );
            None
        }
    };
    let asset = match &p.code {
        None => {
            s.error(
                codes::INVALID_CODE_ASSET,
                "Function",
                Some("Properties.Code"),
                "the function has no code",
                "set code: Some(Code::from_dir(\"…\")) (or Code::inline for a one-file handler)",
            );
            None
        }
        Some(Code::Directory(d)) => staged(s, zip_dir(d)),
        Some(Code::File(f)) => staged(s, zip_file(f)),
        Some(Code::Inline(src)) => {
            code.zip_file = Some(src.clone().into());
            None
        }
        Some(Code::S3 { bucket, key }) => {
            code.s3_bucket = Some(bucket.clone());
            code.s3_key = Some(key.clone());
            None
        }
    };
    if let Some(a) = &asset {
        code.s3_bucket = Some(a.bucket.clone());
        code.s3_key = Some(a.key.clone());
    }
    (code, asset)
}

fn check(s: &mut Scope<'_>, p: &FunctionProps) {
    s.check_values(
        codes::INVALID_FUNCTION,
        "Function",
        Some("Properties.MemorySize"),
        &[p.memory_mib.expr()],
        |v| match crate::key::whole(&v[0]) {
            Some(m) if (128..=10_240).contains(&m) => Ok(()),
            _ => Err(format!("memory {} MiB is outside 128..=10240", v[0])),
        },
    );
    s.check_values(
        codes::INVALID_FUNCTION,
        "Function",
        Some("Properties.Timeout"),
        &[p.timeout_seconds.expr()],
        |v| match crate::key::whole(&v[0]) {
            Some(t) if (1..=900).contains(&t) => Ok(()),
            _ => Err(format!("a timeout of {} s is outside 1..=900", v[0])),
        },
    );
    if let Some(c) = &p.reserved_concurrency {
        s.check_values(
            codes::INVALID_FUNCTION,
            "Function",
            Some("Properties.ReservedConcurrentExecutions"),
            &[c.expr()],
            |v| match crate::key::whole(&v[0]) {
                Some(n) if n >= 0 => Ok(()),
                _ => Err(format!("reserved concurrency {} is not a count", v[0])),
            },
        );
    }
    if p.handler.as_literal().is_some_and(|h| h.trim().is_empty()) {
        s.error(
            codes::INVALID_FUNCTION,
            "Function",
            Some("Properties.Handler"),
            "the handler is empty",
            "name the entry point, e.g. index.handler",
        );
    }
    if p.dead_letter_queue.is_some() && p.on_failure.is_some() {
        s.error(
            codes::INVALID_FUNCTION,
            "Function",
            Some("Properties.DeadLetterConfig"),
            "both a dead-letter queue and an on-failure destination are set; Lambda would send each failed event to both",
            "keep one: on_failure (carries the error) or dead_letter_queue",
        );
    }
    if let Some(Code::Inline(src)) = &p.code {
        if !p.runtime.supports_inline() {
            s.error(
                codes::INVALID_CODE_ASSET,
                "Function",
                Some("Properties.Code.ZipFile"),
                format!(
                    "inline code needs a Node.js or Python runtime, not {:?}",
                    p.runtime
                ),
                "use Code::from_dir or Code::from_file",
            );
        }
        if src.trim().is_empty() || src.len() > 4096 {
            s.error(
                codes::INVALID_CODE_ASSET,
                "Function",
                Some("Properties.Code.ZipFile"),
                format!("inline code is {} bytes; it must be 1 to 4096", src.len()),
                "use Code::from_file for a larger handler",
            );
        }
    }
    let mut seen = BTreeSet::new();
    crate::fargate::base::check_environment(
        s,
        "Function",
        &|i| format!("Properties.Environment.Variables[{i}]"),
        &p.environment,
        &mut seen,
        "move it to `secrets` (a SecretRef): the variable then holds the secret's ARN and the function may read it",
    );
    for (i, (k, _)) in p.secrets.iter().enumerate() {
        if k.is_empty() || !seen.insert(k.as_str()) {
            s.error(
                codes::INVALID_CONTAINER,
                "Function",
                Some(&format!("Properties.Environment.Variables[secrets {i}]")),
                format!("`{k}` is empty or also defined as another variable or secret"),
                "define each variable once",
            );
        }
    }
}

impl Topic {
    /// Subscribes a [`Function`] (`<topic><function>Subscription`) and lets SNS invoke it from
    /// this topic only (`<topic><function>Permission`, a typed `AWS::Lambda::Permission` whose
    /// `SourceArn` is the topic), both at the root of `scope`'s stack. The typed counterpart
    /// of [`Topic::subscribe_lambda`], which takes any function ARN.
    pub fn subscribe_function(
        &self,
        scope: &mut Scope<'_>,
        function: &Function,
    ) -> Handle<stackforge::cfn::sns::Subscription> {
        let prefix = format!("{}{}", self.name, function.name);
        function.allow_invoke(
            scope,
            &format!("{prefix}Permission"),
            "sns.amazonaws.com",
            self.arn(),
        );
        scope.root().add(
            &format!("{prefix}Subscription"),
            stackforge::cfn::sns::Subscription {
                endpoint: Some(function.arn()),
                ..stackforge::cfn::sns::Subscription::new("lambda", self.arn())
            },
        )
    }
}
