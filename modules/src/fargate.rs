//! [`Cluster`], [`LoadBalancedFargateService`] and [`OneOffTask`]: a web container on Fargate
//! behind a public Application Load Balancer, secure by default.
//!
//! - The ALB sits in the public subnets, drops invalid header fields, and is the only thing
//!   open to the internet (its listener ports, nothing else). With a certificate, HTTP
//!   redirects to HTTPS and HTTPS uses a TLS 1.2+ policy.
//! - Tasks run in the private subnets without public IPs. The container port is given once
//!   ([`ServiceProps::container_port`]) and drives the port mapping, the target group, the
//!   load balancer's container port, and the security-group rules, so they cannot disagree.
//! - Secrets are [`ContainerSecret`]s: ECS `secrets`/`valueFrom`, never plain environment
//!   values; a secret-looking environment value is an error ([`codes::SECRET_IN_ENVIRONMENT`]).
//! - The execution role may pull the image (ECR only when the image is in ECR), write its own
//!   log group, and read exactly the secrets the container uses. The task role is separate.
//! - Deployment circuit breaker with rollback, a health-check grace period, and target-tracking
//!   autoscaling on CPU and memory.
//!
//! Logical IDs (pattern id `Web`): `WebLoadBalancerSecurityGroup`, `WebServiceSecurityGroup`,
//! `WebServiceIngressFromLoadBalancer`, `WebLoadBalancer`, `WebTargetGroup`,
//! `WebHttpListener`, `WebHttpsListener`, `WebLogGroup`, `WebExecutionRole`, `WebTaskRole`,
//! `WebTaskDefinition`, `WebService`, `WebScalableTarget`, `WebCpuScaling`,
//! `WebMemoryScaling`.

use serde_json::json;
use stackforge::cfn::{
    applicationautoscaling as aas, ec2, ecs, elasticloadbalancingv2 as elb, iam, logs,
};
use stackforge::value::SubPart;
use stackforge::{pseudo, resource::KeyValue, sub, Expr, Handle, Output, Scope, Val};

use crate::codes;
use crate::connections::{allow_tcp_from, Connectable};
use crate::existing::{CertificateRef, ContainerSecret};
use crate::network::{json_val, Network, LOG_RETENTION_DAYS};

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

/// Checks a Fargate task size; the error lists the memory values valid for that CPU.
pub fn check_fargate_size(cpu: u32, memory_mib: u32) -> Result<(), String> {
    let Some(&(_, from, to, step)) = FARGATE_SIZES.iter().find(|(c, ..)| *c == cpu) else {
        return Err(format!(
            "{cpu} CPU units is not a Fargate size; use one of {}",
            FARGATE_SIZES
                .iter()
                .map(|(c, ..)| c.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    };
    let valid: Vec<u32> = if step == 0 {
        vec![512, 1024, 2048]
    } else {
        (from..=to).step_by(step as usize).collect()
    };
    if valid.contains(&memory_mib) {
        Ok(())
    } else {
        Err(format!(
            "{memory_mib} MiB is not valid with {cpu} CPU units; Fargate offers {} MiB",
            if valid.len() > 8 {
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
            }
        ))
    }
}

/// An ECS cluster with Container Insights on. Its logical ID is the pattern id itself
/// (`Cluster`).
#[derive(Clone, Copy, Debug)]
pub struct Cluster {
    /// The cluster.
    pub cluster: Handle<ecs::Cluster>,
}

impl Cluster {
    /// Creates the cluster with logical ID `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str) -> Self {
        let cluster = scope.add(
            id,
            ecs::Cluster {
                cluster_settings: Some(vec![ecs::cluster::ClusterSettings {
                    name: Some("containerInsights".into()),
                    value: Some("enabled".into()),
                }]),
                ..Default::default()
            },
        );
        Cluster { cluster }
    }

    /// The cluster's name (its `Ref`).
    pub fn name(&self) -> Val<String> {
        self.cluster.reference()
    }
}

/// Options of [`LoadBalancedFargateService`].
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProps {
    /// The container image (`servian/techchallengeapp:latest`, an ECR URI, …): a value, so
    /// it can also be a reference such as `repo.image("v1")` of a `ContainerRepository` in
    /// this or another stack.
    /// Default: empty, which is an error: an image is required.
    pub image: Val<String>,
    /// The ECR repository (ARN) the image comes from; the execution role may pull from it.
    /// Default: `None` (a public registry, which needs no pull permission).
    pub ecr_repository_arn: Option<Val<String>>,
    /// The container's name.
    /// Default: `app`.
    pub container_name: String,
    /// The container's command (the image's `CMD` when empty).
    /// Default: empty.
    pub command: Vec<String>,
    /// The port the container listens on: the port mapping, the target group port and the
    /// security-group rule from the load balancer all use it.
    /// Default: `80`.
    pub container_port: u16,
    /// The target group's port, if you must state it: anything but `container_port` is an
    /// error ([`codes::PORT_MISMATCH`]).
    /// Default: `None` (the container port).
    pub target_group_port: Option<u16>,
    /// Plain environment variables (name, value). Secrets do not go here: a
    /// `{{resolve:secretsmanager…}}` value or a literal under a secret-looking name
    /// (`*PASSWORD`, `*SECRET`, `*TOKEN`, `*API_KEY`) is an error.
    /// Default: empty.
    pub environment: Vec<(String, Val<String>)>,
    /// Secrets (name, value from Secrets Manager), as ECS `secrets`/`valueFrom`. The execution
    /// role may read exactly these.
    /// Default: empty.
    pub secrets: Vec<(String, ContainerSecret)>,
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).
    /// Default: `256`.
    pub cpu: u32,
    /// Task memory in MiB, valid for the CPU (checked at synth).
    /// Default: `512`.
    pub memory_mib: u32,
    /// The target group's health-check path, e.g. `/healthcheck/`. Required: the default `/`
    /// of many frameworks answers 200 even when the app is broken.
    /// Default: empty, which is an error ([`codes::MISSING_HEALTH_CHECK_PATH`]).
    pub health_check_path: String,
    /// HTTP codes a healthy target answers.
    /// Default: `200`.
    pub healthy_http_codes: String,
    /// Seconds ECS ignores failing health checks after a task starts.
    /// Default: `60`.
    pub health_check_grace_period_seconds: u32,
    /// Tasks to run.
    /// Default: `2`.
    pub desired_count: u32,
    /// Autoscaling minimum.
    /// Default: `2`.
    pub min_capacity: u32,
    /// Autoscaling maximum.
    /// Default: `6`.
    pub max_capacity: u32,
    /// Target average CPU utilisation, percent.
    /// Default: `70`.
    pub cpu_target_percent: u32,
    /// Target average memory utilisation, percent.
    /// Default: `80`.
    pub memory_target_percent: u32,
    /// A certificate for HTTPS: HTTP then redirects to HTTPS (TLS 1.2+).
    /// Default: `None` (HTTP only; the checkov HTTPS finding is skipped with that reason).
    pub certificate: Option<CertificateRef>,
    /// The HTTPS listener's security policy.
    /// Default: `ELBSecurityPolicy-TLS13-1-2-2021-06` (TLS 1.2 and 1.3).
    pub ssl_policy: String,
    /// Retention of the container log group, in days.
    /// Default: `30`.
    pub log_retention_days: u32,
    /// A read-only root filesystem for the container.
    /// Default: `true`.
    pub readonly_root_filesystem: bool,
    /// Deletion protection on the load balancer (turn it off before deleting the stack).
    /// Default: `true`.
    pub load_balancer_deletion_protection: bool,
}

impl Default for ServiceProps {
    fn default() -> Self {
        ServiceProps {
            image: Val::from(""),
            ecr_repository_arn: None,
            container_name: "app".into(),
            command: Vec::new(),
            container_port: 80,
            target_group_port: None,
            environment: Vec::new(),
            secrets: Vec::new(),
            cpu: 256,
            memory_mib: 512,
            health_check_path: String::new(),
            healthy_http_codes: "200".into(),
            health_check_grace_period_seconds: 60,
            desired_count: 2,
            min_capacity: 2,
            max_capacity: 6,
            cpu_target_percent: 70,
            memory_target_percent: 80,
            certificate: None,
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
            log_retention_days: 30,
            readonly_root_filesystem: true,
            load_balancer_deletion_protection: true,
        }
    }
}

/// What a one-off task shares with its service.
#[derive(Clone, Debug)]
struct TaskSpec {
    props: ServiceProps,
    cluster: Val<String>,
    subnets: Vec<Val<String>>,
    log_group: Handle<logs::LogGroup>,
    execution_role: Handle<iam::Role>,
    task_role: Handle<iam::Role>,
}

/// A Fargate service behind a public Application Load Balancer.
#[derive(Clone, Debug)]
pub struct LoadBalancedFargateService {
    /// The load balancer's security group (`<id>LoadBalancerSecurityGroup`): the listener
    /// ports from anywhere, egress only to the service's port.
    pub load_balancer_security_group: Handle<ec2::SecurityGroup>,
    /// The tasks' security group (`<id>ServiceSecurityGroup`): the container port from the
    /// load balancer only; egress HTTPS plus whatever `allow_from` adds.
    pub service_security_group: Handle<ec2::SecurityGroup>,
    /// The load balancer (`<id>LoadBalancer`).
    pub load_balancer: Handle<elb::LoadBalancer>,
    /// The target group (`<id>TargetGroup`).
    pub target_group: Handle<elb::TargetGroup>,
    /// The HTTP listener (`<id>HttpListener`): forwards, or redirects to HTTPS.
    pub http_listener: Handle<elb::Listener>,
    /// The HTTPS listener (`<id>HttpsListener`), with a certificate.
    pub https_listener: Option<Handle<elb::Listener>>,
    /// The container log group (`<id>LogGroup`).
    pub log_group: Handle<logs::LogGroup>,
    /// The execution role (`<id>ExecutionRole`).
    pub execution_role: Handle<iam::Role>,
    /// The task role (`<id>TaskRole`).
    pub task_role: Handle<iam::Role>,
    /// The task definition (`<id>TaskDefinition`).
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The service (`<id>Service`).
    pub service: Handle<ecs::Service>,
    /// The scalable target (`<id>ScalableTarget`).
    pub scalable_target: Handle<aas::ScalableTarget>,
    /// CPU target tracking (`<id>CpuScaling`).
    pub cpu_scaling: Handle<aas::ScalingPolicy>,
    /// Memory target tracking (`<id>MemoryScaling`).
    pub memory_scaling: Handle<aas::ScalingPolicy>,
    /// The container port.
    pub container_port: u16,
    name: String,
    spec: TaskSpec,
}

impl LoadBalancedFargateService {
    /// Creates the load balancer, the service and their wiring in `network`, on `cluster`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        network: &Network,
        cluster: &Cluster,
        props: ServiceProps,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        check_service_props(&mut s, &props, network);
        let port = props.container_port;
        let https = props.certificate.is_some();

        // Security groups. The ALB's egress names the service's group inline; the service's
        // ingress from the ALB is a separate resource, so the two never form a cycle.
        let service_sg = s.add(
            "ServiceSecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(network.vpc_id.clone()),
                security_group_egress: Some(vec![{
                    let mut e = ec2::security_group::Egress::new("tcp");
                    e.cidr_ip = Some("0.0.0.0/0".into());
                    e.from_port = Some(443.into());
                    e.to_port = Some(443.into());
                    e.description = Some(
                        "HTTPS out: image pulls, Secrets Manager, CloudWatch Logs (through NAT)"
                            .into(),
                    );
                    e
                }]),
                ..ec2::SecurityGroup::new(format!(
                    "{name} tasks: port {port} from the load balancer only"
                ))
            },
        );
        let mut lb_ingress = vec![listener_ingress(
            80,
            if https {
                "HTTP from the internet (redirected to HTTPS): a public load balancer's listener port"
            } else {
                "HTTP from the internet: a public load balancer's listener port"
            },
        )];
        if https {
            lb_ingress.push(listener_ingress(
                443,
                "HTTPS from the internet: a public load balancer's listener port",
            ));
        }
        let lb_sg = s.add(
            "LoadBalancerSecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(network.vpc_id.clone()),
                // The only rules open to 0.0.0.0/0 in the patterns: a public load balancer's
                // listener ports.
                security_group_ingress: Some(lb_ingress),
                security_group_egress: Some(vec![{
                    let mut e = ec2::security_group::Egress::new("tcp");
                    e.destination_security_group_id = Some(service_sg.attr_group_id());
                    e.from_port = Some(i64::from(port).into());
                    e.to_port = Some(i64::from(port).into());
                    e.description = Some(format!("To {name} tasks on port {port} only").into());
                    e
                }]),
                ..ec2::SecurityGroup::new(format!(
                    "{name} load balancer: listener ports from the internet"
                ))
            },
        );
        s.skip_checkov(
            lb_sg,
            "CKV_AWS_260",
            "A public load balancer must accept HTTP on port 80 from anywhere (it redirects to HTTPS when a certificate is given)",
        );
        {
            let lb_peer = NamedGroup {
                id: lb_sg.attr_group_id(),
                name: "LoadBalancer".into(),
            };
            allow_tcp_from(
                &mut s,
                "Service",
                service_sg.attr_group_id(),
                port,
                &lb_peer,
            );
        }

        // Load balancer, target group, listeners.
        let load_balancer = s.add(
            "LoadBalancer",
            elb::LoadBalancer {
                type_: Some(elb::load_balancer::Type::Application.into()),
                scheme: Some(elb::load_balancer::Scheme::InternetFacing.into()),
                subnets: Some(network.public_subnet_ids.clone().into()),
                security_groups: Some(vec![lb_sg.attr_group_id()].into()),
                load_balancer_attributes: Some(vec![
                    KeyValue::new("routing.http.drop_invalid_header_fields.enabled", "true"),
                    KeyValue::new(
                        "deletion_protection.enabled",
                        props.load_balancer_deletion_protection.to_string(),
                    ),
                ]),
                ..Default::default()
            },
        );
        for h in network.internet_ready() {
            s.depends_on(load_balancer, h);
        }
        s.skip_checkov(
            load_balancer,
            "CKV_AWS_91",
            "Access logs need an S3 bucket with a bucket policy for the regional ELB account that nothing offline can verify; enable them with a bucket you manage",
        );
        let target_group = s.add(
            "TargetGroup",
            elb::TargetGroup {
                port: Some(i64::from(port).into()),
                protocol: Some(elb::target_group::Protocol::Http.into()),
                target_type: Some(elb::target_group::TargetType::Ip.into()),
                vpc_id: Some(network.vpc_id.clone()),
                health_check_enabled: Some(true.into()),
                // Empty is reported once, as MISSING_HEALTH_CHECK_PATH.
                health_check_path: (!props.health_check_path.is_empty())
                    .then(|| props.health_check_path.clone().into()),
                health_check_protocol: Some(elb::target_group::HealthCheckProtocol::Http.into()),
                health_check_interval_seconds: Some(15.into()),
                health_check_timeout_seconds: Some(5.into()),
                healthy_threshold_count: Some(2.into()),
                unhealthy_threshold_count: Some(3.into()),
                matcher: Some(elb::target_group::Matcher {
                    http_code: Some(props.healthy_http_codes.clone().into()),
                    ..Default::default()
                }),
                target_group_attributes: Some(vec![KeyValue::new(
                    "deregistration_delay.timeout_seconds",
                    "30",
                )]),
                ..Default::default()
            },
        );
        let forward = || {
            let mut a = elb::listener::Action::new(elb::listener::Type::Forward);
            a.target_group_arn = Some(target_group.reference());
            a
        };
        let http_action = if https {
            let mut a = elb::listener::Action::new(elb::listener::Type::Redirect);
            let mut r = elb::listener::RedirectConfig::new(elb::listener::StatusCode::Http301);
            r.protocol = Some("HTTPS".into());
            r.port = Some("443".into());
            a.redirect_config = Some(r);
            a
        } else {
            forward()
        };
        let http_listener = s.add(
            "HttpListener",
            elb::Listener {
                port: Some(80.into()),
                protocol: Some(elb::listener::Protocol::Http.into()),
                ..elb::Listener::new(vec![http_action], load_balancer.reference())
            },
        );
        let https_listener = props.certificate.as_ref().map(|cert| {
            s.add(
                "HttpsListener",
                elb::Listener {
                    port: Some(443.into()),
                    protocol: Some(elb::listener::Protocol::Https.into()),
                    ssl_policy: Some(props.ssl_policy.clone().into()),
                    certificates: Some(vec![elb::listener::Certificate {
                        certificate_arn: Some(cert.arn.clone()),
                    }]),
                    ..elb::Listener::new(vec![forward()], load_balancer.reference())
                },
            )
        });
        if !https {
            s.skip_checkov(
                http_listener,
                "CKV_AWS_2",
                "No certificate ARN was given, so the listener serves HTTP; pass a certificate (--certificate-arn) to redirect HTTP to HTTPS",
            );
            s.skip_checkov(
                http_listener,
                "CKV_AWS_103",
                "No certificate ARN was given, so there is no TLS listener to set a policy on; with a certificate the HTTPS listener uses TLS 1.2+",
            );
        }

        // Logs and roles.
        let log_group = s.add(
            "LogGroup",
            logs::LogGroup {
                retention_in_days: Some(i64::from(props.log_retention_days).into()),
                ..Default::default()
            },
        );
        s.skip_checkov(
            log_group,
            "CKV_AWS_158",
            "Encrypted at rest by CloudWatch Logs with an AWS-owned key; a customer-managed key needs a key policy for logs.<region>.amazonaws.com that nothing offline can verify",
        );
        s.skip_checkov(
            log_group,
            "CKV_AWS_338",
            "Application logs are kept 30 days by design (cost); set log_retention_days to 365 or more to keep them a year",
        );
        let execution_role = s.add(
            "ExecutionRole",
            iam::Role {
                description: Some(
                    format!("{name}: pulls the image, writes its logs, reads its secrets").into(),
                ),
                policies: Some(vec![iam::role::Policy::new(
                    execution_policy(&props, log_group),
                    "least-privilege-execution",
                )]),
                ..iam::Role::new(ecs_tasks_trust())
            },
        );
        let task_role = s.add(
            "TaskRole",
            iam::Role {
                description: Some(
                    format!("{name}: the application's own permissions (none by default)").into(),
                ),
                ..iam::Role::new(ecs_tasks_trust())
            },
        );

        let spec = TaskSpec {
            props: props.clone(),
            cluster: cluster.name(),
            subnets: network.private_subnet_ids.clone(),
            log_group,
            execution_role,
            task_role,
        };
        let task_definition = s.add(
            "TaskDefinition",
            task_definition(&spec, &props.command, &props.container_name, true),
        );

        let svc = ecs::Service {
            cluster: Some(cluster.name()),
            launch_type: Some(ecs::service::LaunchType::Fargate.into()),
            platform_version: Some("LATEST".into()),
            task_definition: Some(task_definition.reference()),
            desired_count: Some(i64::from(props.desired_count).into()),
            health_check_grace_period_seconds: Some(
                i64::from(props.health_check_grace_period_seconds).into(),
            ),
            enable_ecs_managed_tags: Some(true.into()),
            deployment_configuration: Some(ecs::service::DeploymentConfiguration {
                deployment_circuit_breaker: Some(ecs::service::DeploymentCircuitBreaker::new(
                    true, true,
                )),
                maximum_percent: Some(200.into()),
                minimum_healthy_percent: Some(100.into()),
                ..Default::default()
            }),
            load_balancers: Some(vec![ecs::service::LoadBalancer {
                container_name: Some(props.container_name.clone().into()),
                container_port: Some(i64::from(port).into()),
                target_group_arn: Some(target_group.reference()),
                ..Default::default()
            }]),
            network_configuration: Some(ecs::service::NetworkConfiguration {
                awsvpc_configuration: Some(ecs::service::AwsVpcConfiguration {
                    assign_public_ip: Some(ecs::service::AssignPublicIp::Disabled.into()),
                    security_groups: Some(vec![service_sg.attr_group_id()].into()),
                    subnets: Some(network.private_subnet_ids.clone().into()),
                }),
            }),
            ..Default::default()
        };
        let service = s.add("Service", svc);
        // The target group must belong to a load balancer (through the forwarding listener)
        // before the service registers targets; tasks need the NAT routes to pull the image.
        s.depends_on(service, https_listener.unwrap_or(http_listener));
        for h in network.egress_ready() {
            s.depends_on(service, h);
        }

        // Autoscaling on CPU and memory.
        let scalable_target = s.add(
            "ScalableTarget",
            aas::ScalableTarget::new(
                i64::from(props.max_capacity),
                i64::from(props.min_capacity),
                sub!("service/", cluster.name(), "/", service.attr_name()),
                aas::scalable_target::ScalableDimension::EcsServiceDesiredCount,
                aas::scalable_target::ServiceNamespace::Ecs,
            ),
        );
        let tracking = |policy_name: String, metric, target: u32| {
            let mut p = aas::ScalingPolicy::new(
                policy_name,
                aas::scaling_policy::PolicyType::TargetTrackingScaling,
            );
            p.scaling_target_id = Some(scalable_target.reference());
            let mut cfg = aas::scaling_policy::TargetTrackingScalingPolicyConfiguration::new(
                f64::from(target),
            );
            cfg.predefined_metric_specification = Some(
                aas::scaling_policy::PredefinedMetricSpecification::new(metric),
            );
            cfg.scale_in_cooldown = Some(60.into());
            cfg.scale_out_cooldown = Some(60.into());
            p.target_tracking_scaling_policy_configuration = Some(cfg);
            p
        };
        use aas::scaling_policy::PredefinedMetricSpecificationType as M;
        let cpu_policy = tracking(
            format!("{name}-cpu"),
            M::EcsServiceAverageCpuUtilization,
            props.cpu_target_percent,
        );
        let cpu_scaling = s.add("CpuScaling", cpu_policy);
        let mem_policy = tracking(
            format!("{name}-memory"),
            M::EcsServiceAverageMemoryUtilization,
            props.memory_target_percent,
        );
        let memory_scaling = s.add("MemoryScaling", mem_policy);

        LoadBalancedFargateService {
            load_balancer_security_group: lb_sg,
            service_security_group: service_sg,
            load_balancer,
            target_group,
            http_listener,
            https_listener,
            log_group,
            execution_role,
            task_role,
            task_definition,
            service,
            scalable_target,
            cpu_scaling,
            memory_scaling,
            container_port: port,
            name,
            spec,
        }
    }

    /// The service's URL: `https://<alb dns>` with a certificate, else `http://<alb dns>`.
    pub fn url(&self) -> Val<String> {
        let scheme = if self.https_listener.is_some() {
            "https://"
        } else {
            "http://"
        };
        sub!(scheme, self.load_balancer.attr_dns_name())
    }
}

impl Connectable for LoadBalancedFargateService {
    fn security_group_id(&self) -> Val<String> {
        self.service_security_group.attr_group_id()
    }
    fn connection_name(&self) -> &str {
        &self.name
    }
    fn restricts_egress(&self) -> bool {
        true
    }
}

/// A separate task definition that runs a service's image with its own command, once, on
/// demand (`aws ecs run-task`): database migrations and seeding, never a sidecar in every task.
/// It shares the service's image, environment, secrets, roles, log group, subnets and
/// security group (so every `allow_from` of the service covers it).
///
/// Logical IDs (pattern id `UpdateDb`): `UpdateDbTaskDefinition`, and the output
/// `UpdateDbRunTaskCommand`.
#[derive(Clone, Debug)]
pub struct OneOffTask {
    /// The task definition (`<id>TaskDefinition`).
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The exact `aws ecs run-task` command line.
    pub run_task_command: Val<String>,
}

impl OneOffTask {
    /// Creates the task definition and an output `<id>RunTaskCommand` with the command line
    /// that runs it once.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        service: &LoadBalancedFargateService,
        command: Vec<String>,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        if command.is_empty() || command.iter().any(String::is_empty) {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some("Properties.ContainerDefinitions[0].Command"),
                "a one-off task needs a command (its whole point is to run something else)",
                "give the command, e.g. [\"updatedb\", \"-s\"]",
            );
        }
        let spec = &service.spec;
        let task_definition = s.add(
            "TaskDefinition",
            task_definition(spec, &command, &spec.props.container_name, false),
        );
        let mut parts: Vec<SubPart> = vec![
            "aws ecs run-task --region ".into(),
            pseudo::region().into(),
            " --cluster ".into(),
            spec.cluster.clone().into(),
            " --task-definition ".into(),
            task_definition.reference().into(),
            " --launch-type FARGATE --count 1 --network-configuration \"awsvpcConfiguration={subnets=[".into(),
        ];
        for (i, subnet) in spec.subnets.iter().enumerate() {
            if i > 0 {
                parts.push(",".into());
            }
            parts.push(subnet.clone().into());
        }
        parts.push("],securityGroups=[".into());
        parts.push(service.security_group_id().into());
        parts.push("],assignPublicIp=DISABLED}\"".into());
        let run_task_command = stackforge::fns::sub(parts);
        s.output(
            "RunTaskCommand",
            Output::new(run_task_command.clone())
                .description(format!("Runs {name} ({}) once", command.join(" "))),
        );
        OneOffTask {
            task_definition,
            run_task_command,
        }
    }
}

/// A security group by ID with a name, for rules between the pattern's own groups.
struct NamedGroup {
    id: Val<String>,
    name: String,
}

impl Connectable for NamedGroup {
    fn security_group_id(&self) -> Val<String> {
        self.id.clone()
    }
    fn connection_name(&self) -> &str {
        &self.name
    }
}

fn listener_ingress(port: i64, description: &str) -> ec2::security_group::Ingress {
    let mut i = ec2::security_group::Ingress::new("tcp");
    i.cidr_ip = Some("0.0.0.0/0".into());
    i.from_port = Some(port.into());
    i.to_port = Some(port.into());
    i.description = Some(description.into());
    i
}

fn ecs_tasks_trust() -> Val<stackforge::Json> {
    json_val(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "__ACCOUNT__"}}
        }]
    }))
    .replace_marker("__ACCOUNT__", pseudo::account_id())
    .into()
}

/// Pull (ECR only), own logs, exactly the secrets used.
fn execution_policy(
    props: &ServiceProps,
    log_group: Handle<logs::LogGroup>,
) -> Val<stackforge::Json> {
    let mut statements = vec![json!({
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "__LOG_GROUP__"
    })];
    let mut doc_markers: Vec<(&str, Expr)> =
        vec![("__LOG_GROUP__", log_group.attr_arn().into_expr())];
    let mut secret_resources: Vec<Expr> = Vec::new();
    for (_, secret) in &props.secrets {
        let e = secret.iam_resource.clone().into_expr();
        if !secret_resources.contains(&e) {
            secret_resources.push(e);
        }
    }
    if !secret_resources.is_empty() {
        statements.push(json!({
            "Sid": "ReadSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "__SECRETS__"
        }));
        doc_markers.push(("__SECRETS__", Expr::List(secret_resources)));
    }
    if let Some(repo) = &props.ecr_repository_arn {
        statements.push(json!({
            "Sid": "PullImage",
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": "__REPO__"
        }));
        statements.push(json!({
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*"
        }));
        doc_markers.push(("__REPO__", repo.clone().into_expr()));
    }
    let mut doc = json_val(json!({"Version": "2012-10-17", "Statement": statements}));
    for (m, e) in doc_markers {
        doc = doc.replace_expr(m, e);
    }
    doc.into()
}

fn task_definition(
    spec: &TaskSpec,
    command: &[String],
    container_name: &str,
    with_port: bool,
) -> ecs::TaskDefinition {
    let p = &spec.props;
    let mut c = ecs::task_definition::ContainerDefinition::new(p.image.clone(), container_name);
    c.essential = Some(true.into());
    if !command.is_empty() {
        c.command = Some(command.to_vec().into());
    }
    if with_port {
        c.port_mappings = Some(vec![ecs::task_definition::PortMapping {
            container_port: Some(i64::from(p.container_port).into()),
            protocol: Some(ecs::task_definition::Protocol::Tcp.into()),
            ..Default::default()
        }]);
    }
    if !p.environment.is_empty() {
        c.environment = Some(
            p.environment
                .iter()
                .map(|(k, v)| ecs::task_definition::KeyValuePair {
                    name: Some(k.clone().into()),
                    value: Some(v.clone()),
                })
                .collect(),
        );
    }
    if !p.secrets.is_empty() {
        c.secrets = Some(
            p.secrets
                .iter()
                .map(|(k, v)| ecs::task_definition::Secret::new(k.clone(), v.value_from.clone()))
                .collect(),
        );
    }
    let mut log = ecs::task_definition::LogConfiguration::new("awslogs");
    log.options = Some(
        [
            ("awslogs-group".to_owned(), spec.log_group.reference()),
            ("awslogs-region".to_owned(), pseudo::region()),
            (
                "awslogs-stream-prefix".to_owned(),
                Val::from(if with_port { "service" } else { "one-off" }),
            ),
        ]
        .into_iter()
        .collect(),
    );
    c.log_configuration = Some(log);
    c.readonly_root_filesystem = Some(p.readonly_root_filesystem.into());
    c.privileged = Some(false.into());
    ecs::TaskDefinition {
        cpu: Some(p.cpu.to_string().into()),
        memory: Some(p.memory_mib.to_string().into()),
        network_mode: Some(ecs::task_definition::NetworkMode::Awsvpc.into()),
        requires_compatibilities: Some(
            vec![ecs::task_definition::RequiresCompatibilities::Fargate].into(),
        ),
        execution_role_arn: Some(spec.execution_role.attr_arn()),
        task_role_arn: Some(spec.task_role.attr_arn()),
        container_definitions: Some(vec![c]),
        ..Default::default()
    }
}

/// Names whose literal value is certainly a secret.
const SECRET_NAME_SUFFIXES: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "SECRET_KEY",
];

fn mentions_secret_resolve(e: &Expr) -> bool {
    const NEEDLES: &[&str] = &["{{resolve:secretsmanager:", "{{resolve:ssm-secure:"];
    let hit = |s: &str| NEEDLES.iter().any(|n| s.contains(n));
    match e {
        Expr::Str(s) => hit(s),
        Expr::Json(serde_json::Value::String(s)) => hit(s),
        Expr::Sub(parts) => parts.iter().any(|p| match p {
            SubPart::Lit(s) => hit(s),
            SubPart::Expr(e) => mentions_secret_resolve(e),
        }),
        Expr::List(items) => items.iter().any(mentions_secret_resolve),
        Expr::Join(_, e) | Expr::Base64(e) => mentions_secret_resolve(e),
        Expr::Select(a, b) | Expr::If(_, a, b) => {
            mentions_secret_resolve(a) || mentions_secret_resolve(b)
        }
        _ => false,
    }
}

fn check_service_props(s: &mut Scope<'_>, p: &ServiceProps, network: &Network) {
    if let Err(why) = check_fargate_size(p.cpu, p.memory_mib) {
        s.error(
            codes::INVALID_FARGATE_SIZE,
            "TaskDefinition",
            Some("Properties.Memory"),
            why,
            "pick a valid pair, e.g. 256 CPU / 512 MiB or 512 / 1024",
        );
    }
    let path = p.health_check_path.as_str();
    if path.is_empty() {
        s.error(
            codes::MISSING_HEALTH_CHECK_PATH,
            "TargetGroup",
            Some("Properties.HealthCheckPath"),
            "the health-check path is required",
            "set health_check_path to an endpoint that fails when the app is broken, e.g. /healthcheck/",
        );
    } else if !path.starts_with('/') || path.len() > 1024 || path.contains(char::is_whitespace) {
        s.error(
            codes::MISSING_HEALTH_CHECK_PATH,
            "TargetGroup",
            Some("Properties.HealthCheckPath"),
            format!("`{path}` is not a URL path"),
            "start it with /, e.g. /healthcheck/",
        );
    }
    if p.container_port == 0 {
        s.error(
            codes::PORT_MISMATCH,
            "TaskDefinition",
            Some("Properties.ContainerDefinitions[0].PortMappings[0].ContainerPort"),
            "the container port is 0",
            "set container_port to the port the app listens on",
        );
    }
    if let Some(tg) = p.target_group_port {
        if tg != p.container_port {
            s.error(
                codes::PORT_MISMATCH,
                "TargetGroup",
                Some("Properties.Port"),
                format!(
                    "the target group port {tg} differs from the container port {}; the load balancer would send traffic where nothing listens",
                    p.container_port
                ),
                "drop target_group_port (it defaults to container_port) or make them equal",
            );
        }
    }
    if p.image.as_literal().is_some_and(|i| i.trim().is_empty()) {
        s.error(
            codes::INVALID_CONTAINER,
            "TaskDefinition",
            Some("Properties.ContainerDefinitions[0].Image"),
            "no container image",
            "set image, e.g. servian/techchallengeapp:latest",
        );
    }
    let name_ok = !p.container_name.is_empty()
        && p.container_name.len() <= 255
        && p.container_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        s.error(
            codes::INVALID_CONTAINER,
            "TaskDefinition",
            Some("Properties.ContainerDefinitions[0].Name"),
            format!("`{}` is not a container name", p.container_name),
            "use letters, digits, - and _",
        );
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, (k, v)) in p.environment.iter().enumerate() {
        let at = format!("Properties.ContainerDefinitions[0].Environment[{i}]");
        if !seen.insert(k.as_str()) || k.is_empty() {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some(&at),
                format!("environment variable `{k}` is empty or defined twice"),
                "define each variable once",
            );
        }
        let upper = k.to_ascii_uppercase();
        let secret_name = SECRET_NAME_SUFFIXES.iter().any(|sfx| upper.ends_with(sfx));
        let literal_secret = secret_name && v.as_literal().is_some_and(|l| !l.is_empty());
        if mentions_secret_resolve(v.expr()) || literal_secret {
            s.error(
                codes::SECRET_IN_ENVIRONMENT,
                "TaskDefinition",
                Some(&at),
                format!(
                    "`{k}` passes a secret as a plain environment value: it would be readable in the task definition"
                ),
                "move it to `secrets` (e.g. db.password() or SecretRef::field), which becomes ECS secrets/valueFrom",
            );
        }
    }
    for (i, (k, _)) in p.secrets.iter().enumerate() {
        if !seen.insert(k.as_str()) || k.is_empty() {
            s.error(
                codes::INVALID_CONTAINER,
                "TaskDefinition",
                Some(&format!("Properties.ContainerDefinitions[0].Secrets[{i}]")),
                format!("`{k}` is empty or also defined as another variable or secret"),
                "define each variable once",
            );
        }
    }
    if p.min_capacity > p.max_capacity || p.max_capacity == 0 {
        s.error(
            codes::INVALID_CAPACITY,
            "ScalableTarget",
            Some("Properties.MaxCapacity"),
            format!(
                "min_capacity {} is above max_capacity {} (or the maximum is 0)",
                p.min_capacity, p.max_capacity
            ),
            "make min_capacity <= max_capacity, and max_capacity at least 1",
        );
    }
    if p.desired_count > p.max_capacity || p.desired_count < p.min_capacity {
        s.error(
            codes::INVALID_CAPACITY,
            "Service",
            Some("Properties.DesiredCount"),
            format!(
                "desired_count {} is outside the autoscaling range {}..={}; scaling would immediately override it",
                p.desired_count, p.min_capacity, p.max_capacity
            ),
            "raise max_capacity or lower desired_count",
        );
    }
    for (what, v) in [
        ("cpu_target_percent", p.cpu_target_percent),
        ("memory_target_percent", p.memory_target_percent),
    ] {
        if !(1..=100).contains(&v) {
            s.error(
                codes::INVALID_SCALING_TARGET,
                "ScalableTarget",
                None,
                format!("{what} is {v}; it must be 1 to 100"),
                "use e.g. 70 for CPU and 80 for memory",
            );
        }
    }
    if !LOG_RETENTION_DAYS.contains(&p.log_retention_days) {
        s.error(
            codes::INVALID_CONTAINER,
            "LogGroup",
            Some("Properties.RetentionInDays"),
            format!(
                "{} days is not a CloudWatch Logs retention value",
                p.log_retention_days
            ),
            "use one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, …",
        );
    }
    if network.public_subnet_ids.len() < 2 {
        s.error(
            codes::INVALID_NETWORK,
            "LoadBalancer",
            Some("Properties.Subnets"),
            format!(
                "an Application Load Balancer needs subnets in at least two AZs; the network has {} public subnet(s)",
                network.public_subnet_ids.len()
            ),
            "use a network with two or more AZs",
        );
    }
    if network.private_subnet_ids.is_empty() {
        s.error(
            codes::INVALID_NETWORK,
            "Service",
            Some("Properties.NetworkConfiguration"),
            "the network has no private subnets for the tasks",
            "use a network with private subnets",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fargate_table() {
        assert!(check_fargate_size(256, 512).is_ok());
        assert!(check_fargate_size(256, 2048).is_ok());
        assert!(check_fargate_size(256, 3072).is_err());
        assert!(check_fargate_size(512, 512).is_err());
        assert!(check_fargate_size(1024, 8192).is_ok());
        assert!(check_fargate_size(4096, 30720).is_ok());
        assert!(check_fargate_size(8192, 20480).is_ok());
        assert!(check_fargate_size(8192, 18432).is_err());
        assert!(check_fargate_size(16384, 122880).is_ok());
        assert!(check_fargate_size(300, 512).is_err());
    }

    #[test]
    fn resolve_references_are_detected() {
        let v: Val<String> = stackforge::dynamic::secrets_manager("my-secret", Some("password"));
        assert!(mentions_secret_resolve(v.expr()));
        let plain: Val<String> = "hello".into();
        assert!(!mentions_secret_resolve(plain.expr()));
    }
}
