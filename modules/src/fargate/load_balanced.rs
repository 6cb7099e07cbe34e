//! [`LoadBalancedFargateService`]: a web container on Fargate behind a public Application Load
//! Balancer.
//!
//! Logical IDs (pattern id `Web`): `WebLoadBalancerSecurityGroup`, `WebServiceSecurityGroup`,
//! `WebServiceIngressFromLoadBalancer`, `WebLoadBalancer`, `WebTargetGroup`,
//! `WebHttpListener`, `WebHttpsListener`, `WebLogGroup`, `WebExecutionRole`,
//! `WebExecutionRoleDefaultPolicy`, `WebTaskRole`, `WebTaskDefinition`, `WebService`,
//! `WebScalableTarget`, `WebCpuScaling`, `WebMemoryScaling` (and `WebTaskRoleDefaultPolicy`
//! once something is granted to the service); with the default [`AccessLogs::OwnBucket`],
//! `WebAccessLogsBucket`, `WebAccessLogsPolicy`, the mapping `WebAccessLogsElbAccounts` and
//! the condition `WebAccessLogsInElbAccountRegion`.

use stackforge::cfn::{applicationautoscaling as aas, ec2, ecs, elasticloadbalancingv2 as elb};
use stackforge::{resource::KeyValue, sub, GrantRole, Handle, Scope, Suppression, Val};

use super::base::{
    fargate_service, task_security_group, Capacity, ContainerSpec, FargateTaskDefinition,
    ServiceScaling, ServiceSpec, TaskDefinitionProps,
};
use crate::bucket::{AlbAccessLogs, Bucket, BucketProps, Lifecycle};
use crate::codes;
use crate::connections::{ingress_within, Connectable};
use crate::existing::{CertificateRef, ContainerSecret};
use crate::refs::{ClusterRef, Grantee, VpcRef};

/// HTTPS listener policies that allow only TLS 1.2 and later.
pub const TLS12_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

/// The load balancer's own access-log bucket (`<scope>AccessLogs…`).
fn own_log_bucket(s: &mut Scope<'_>, expiration_days: i64, region: Option<String>) -> Bucket {
    Bucket::new(
        s,
        "AccessLogs",
        BucketProps {
            alb_access_logs: Some(AlbAccessLogs {
                prefix: String::new(),
                region,
            }),
            lifecycle: Lifecycle {
                expiration_days: Some(expiration_days.into()),
                ..Lifecycle::default()
            },
            object_lock: true,
            ..BucketProps::default()
        },
    )
}

/// Options of [`LoadBalancedFargateService`].
///
/// Values (`Val<…>`) may be literals, parameters, `Fn::If` of a condition or imports; the
/// ones a check needs (size, counts, thresholds, retention, TLS policy) must be literals or
/// enumerable (parameters with `AllowedValues`, conditions over them).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceProps {
    /// The container image (`servian/techchallengeapp:latest`, an ECR URI, …), also a
    /// reference such as `repo.image("v1")` of a `ContainerRepository` in this or another stack.
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
    /// More containers in the task (sidecars: a log router, a proxy, an agent), each with its
    /// own image, ports, environment, secrets, health check and start order.
    /// Default: none.
    pub sidecars: Vec<ContainerSpec>,
    /// Task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384), checked with the memory.
    /// Default: `256`.
    pub cpu: Val<i64>,
    /// Task memory in MiB, valid for the CPU.
    /// Default: `512`.
    pub memory_mib: Val<i64>,
    /// The target group's health-check path, e.g. `/healthcheck/`. Required: the default `/`
    /// of many frameworks answers 200 even when the app is broken.
    /// Default: empty, which is an error ([`codes::MISSING_HEALTH_CHECK_PATH`]).
    pub health_check_path: String,
    /// HTTP codes a healthy target answers.
    /// Default: `200`.
    pub healthy_http_codes: String,
    /// Seconds ECS ignores failing health checks after a task starts.
    /// Default: `60`.
    pub health_check_grace_period_seconds: Val<i64>,
    /// Tasks to run.
    /// Default: `2`.
    pub desired_count: Val<i64>,
    /// Autoscaling minimum.
    /// Default: `2`.
    pub min_capacity: Val<i64>,
    /// Autoscaling maximum.
    /// Default: `6`.
    pub max_capacity: Val<i64>,
    /// Target average CPU utilisation, percent.
    /// Default: `70`.
    pub cpu_target_percent: Val<i64>,
    /// Target average memory utilisation, percent.
    /// Default: `80`.
    pub memory_target_percent: Val<i64>,
    /// A certificate for HTTPS: HTTP then redirects to HTTPS (TLS 1.2+).
    /// Default: `None` (HTTP only; the checkov HTTPS finding is skipped with that reason).
    pub certificate: Option<CertificateRef>,
    /// The HTTPS listener's security policy, one of [`TLS12_POLICIES`].
    /// Default: `ELBSecurityPolicy-TLS13-1-2-2021-06` (TLS 1.2 and 1.3).
    pub ssl_policy: Val<String>,
    /// Retention of the container log group, in days.
    /// Default: `30`.
    pub log_retention_days: Val<i64>,
    /// A read-only root filesystem for the container.
    /// Default: `true`.
    pub readonly_root_filesystem: bool,
    /// Deletion protection on the load balancer (turn it off before deleting the stack).
    /// Default: `true`.
    pub load_balancer_deletion_protection: bool,
    /// Fargate, or an EC2 capacity provider.
    /// Default: [`Capacity::Fargate`].
    pub capacity: Capacity,
    /// Where the load balancer writes its access logs.
    /// Default: [`AccessLogs::OwnBucket`].
    pub access_logs: AccessLogs,
    /// A customer key for the container log group (a [`crate::key::Key`] must name
    /// [`crate::key::KeyService::Logs`]).
    /// Default: `None` (an AWS-owned key; the checkov and guard findings are skipped).
    pub log_kms_key: Option<crate::key::KmsKey>,
}

/// The load balancer's access logs.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub enum AccessLogs {
    /// A [`Bucket`] of its own (`<id>AccessLogsBucket`, `<id>AccessLogsPolicy`, and, with no
    /// region, the mapping `<id>AccessLogsElbAccounts` and condition
    /// `<id>AccessLogsInElbAccountRegion`): SSE-S3 (ALB access logs accept no KMS key),
    /// private, TLS-only, versioned, objects expire after `expiration_days`, and the load
    /// balancer waits for its policy. Costs S3 storage (a few MB a day for a small service).
    #[default]
    OwnBucket,
    /// Like [`AccessLogs::OwnBucket`], with the objects' expiry and the region (`None`: the
    /// ELB principal is chosen at deploy, by region).
    OwnBucketWith {
        /// Days before an access-log object expires.
        expiration_days: i64,
        /// The region, when known at synth.
        region: Option<String>,
    },
    /// A bucket you made with [`BucketProps::alb_access_logs`] (`SFM014` if it has a KMS key).
    Bucket(Bucket),
    /// No access logs, with the reason (written next to the checkov and guard suppressions).
    Off {
        /// Why the load balancer keeps no access logs.
        reason: String,
    },
}

/// Days the own access-log bucket keeps an object (one year, a common audit requirement).
pub const ACCESS_LOG_EXPIRATION_DAYS: i64 = 365;

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
            sidecars: Vec::new(),
            cpu: 256.into(),
            memory_mib: 512.into(),
            health_check_path: String::new(),
            healthy_http_codes: "200".into(),
            health_check_grace_period_seconds: 60.into(),
            desired_count: 2.into(),
            min_capacity: 2.into(),
            max_capacity: 6.into(),
            cpu_target_percent: 70.into(),
            memory_target_percent: 80.into(),
            certificate: None,
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
            log_retention_days: 30.into(),
            readonly_root_filesystem: true,
            load_balancer_deletion_protection: true,
            capacity: Capacity::Fargate,
            access_logs: AccessLogs::default(),
            log_kms_key: None,
        }
    }
}

impl ServiceProps {
    /// The task definition options these props describe.
    pub fn task_definition_props(&self) -> TaskDefinitionProps {
        let main = ContainerSpec {
            name: self.container_name.clone(),
            image: self.image.clone(),
            ecr_repository_arn: self.ecr_repository_arn.clone(),
            command: self.command.clone(),
            ports: vec![self.container_port],
            environment: self.environment.clone(),
            secrets: self.secrets.clone(),
            readonly_root_filesystem: self.readonly_root_filesystem,
            ..ContainerSpec::default()
        };
        let mut containers = vec![main];
        containers.extend(self.sidecars.iter().cloned());
        TaskDefinitionProps {
            cpu: self.cpu.clone(),
            memory_mib: self.memory_mib.clone(),
            containers,
            log_retention_days: self.log_retention_days.clone(),
            log_stream_prefix: "service".into(),
            on_ec2: matches!(self.capacity, Capacity::Provider(_)),
            log_kms_key: self.log_kms_key.clone(),
        }
    }
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
    /// The task definition with its log group and roles.
    pub task: FargateTaskDefinition,
    /// The container log group (`<id>LogGroup`), also `task.log_group`.
    pub log_group: Handle<stackforge::cfn::logs::LogGroup>,
    /// The execution role (`<id>ExecutionRole`), also `task.execution_role`.
    pub execution_role: Handle<stackforge::cfn::iam::Role>,
    /// The task role (`<id>TaskRole`), also `task.task_role`.
    pub task_role: Handle<stackforge::cfn::iam::Role>,
    /// The task definition (`<id>TaskDefinition`), also `task.task_definition`.
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The service (`<id>Service`).
    pub service: Handle<ecs::Service>,
    /// Autoscaling (`<id>ScalableTarget`).
    pub scaling: ServiceScaling,
    /// The scalable target (`<id>ScalableTarget`), also `scaling.scalable_target`.
    pub scalable_target: Handle<aas::ScalableTarget>,
    /// CPU target tracking (`<id>CpuScaling`).
    pub cpu_scaling: Handle<aas::ScalingPolicy>,
    /// Memory target tracking (`<id>MemoryScaling`).
    pub memory_scaling: Handle<aas::ScalingPolicy>,
    /// The container port.
    pub container_port: u16,
    /// The cluster's name.
    pub cluster_name: Val<String>,
    /// The private subnets the tasks run in.
    pub subnet_ids: Vec<Val<String>>,
    /// The pattern's full path (its logical-ID prefix).
    pub name: String,
}

impl LoadBalancedFargateService {
    /// Creates the load balancer, the service and their wiring in `network`, on `cluster`.
    /// Both may live in another stack of the app (or already exist).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        network: &dyn VpcRef,
        cluster: &dyn ClusterRef,
        props: ServiceProps,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        check_service_props(&mut s, &props, network);
        let port = props.container_port;
        let https = props.certificate.is_some();

        // Security groups. The ALB's egress names the service's group inline; the service's
        // ingress from the ALB is a separate resource, so the two never form a cycle.
        let service_sg = task_security_group(
            &mut s,
            "ServiceSecurityGroup",
            network,
            format!("{name} tasks: port {port} from the load balancer only"),
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
                vpc_id: Some(network.vpc_id()),
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
        s.suppress(
            lb_sg,
            Suppression::because("A public load balancer must accept HTTP on port 80 from anywhere (it redirects to HTTPS when a certificate is given)")
                .checkov("CKV_AWS_260")
                .guard("EC2_SECURITY_GROUP_INGRESS_OPEN_TO_WORLD_RULE")
                .guard("SECURITY_GROUP_INGRESS_CIDR_NON_32_RULE"),
        );
        ingress_within(
            &mut s,
            "ServiceIngressFromLoadBalancer",
            service_sg.attr_group_id(),
            lb_sg.attr_group_id(),
            port,
            format!("{name}Service: TCP {port} from LoadBalancer only"),
        );

        // Access logs: a bucket of its own by default.
        let log_bucket = match &props.access_logs {
            AccessLogs::OwnBucket => Some(own_log_bucket(&mut s, ACCESS_LOG_EXPIRATION_DAYS, None)),
            AccessLogs::OwnBucketWith {
                expiration_days,
                region,
            } => Some(own_log_bucket(&mut s, *expiration_days, region.clone())),
            AccessLogs::Bucket(b) => {
                if b.alb_log_attributes().is_empty() {
                    s.error(
                        codes::INVALID_BUCKET,
                        "LoadBalancer",
                        Some("access_logs"),
                        format!(
                            "bucket `{}` was not made to receive load balancer access logs",
                            b.name
                        ),
                        "make it with BucketProps::alb_access_logs, or use AccessLogs::OwnBucket",
                    );
                }
                Some(b.clone())
            }
            AccessLogs::Off { .. } => None,
        };
        let mut lb_attributes = vec![
            KeyValue::new("routing.http.drop_invalid_header_fields.enabled", "true"),
            KeyValue::new(
                "deletion_protection.enabled",
                props.load_balancer_deletion_protection.to_string(),
            ),
        ];
        if let Some(b) = &log_bucket {
            lb_attributes.extend(b.alb_log_attributes());
        }

        // Load balancer, target group, listeners.
        let load_balancer = s.add(
            "LoadBalancer",
            elb::LoadBalancer {
                type_: Some(elb::load_balancer::Type::Application.into()),
                scheme: Some(elb::load_balancer::Scheme::InternetFacing.into()),
                subnets: Some(network.public_subnet_ids().into()),
                security_groups: Some(vec![lb_sg.attr_group_id()].into()),
                load_balancer_attributes: Some(lb_attributes),
                ..Default::default()
            },
        );
        for h in network.internet_dependencies() {
            s.depends_on(load_balancer, h);
        }
        if props.load_balancer_deletion_protection {
            s.protect(
                load_balancer,
                &["LoadBalancerAttributes"],
                "deletion protection and invalid-header dropping",
            );
        }
        match (&log_bucket, &props.access_logs) {
            // ELB checks the bucket policy when the attribute is set.
            (Some(b), _) => s.depends_on(load_balancer, b.policy),
            (None, AccessLogs::Off { reason }) => s.suppress(
                load_balancer,
                Suppression::because(format!("Access logs are off: {reason}"))
                    .checkov("CKV_AWS_91")
                    .guard("ELBV2_ACCESS_LOGGING_RULE"),
            ),
            (None, _) => {}
        }
        let target_group = s.add(
            "TargetGroup",
            elb::TargetGroup {
                port: Some(i64::from(port).into()),
                protocol: Some(elb::target_group::Protocol::Http.into()),
                target_type: Some(elb::target_group::TargetType::Ip.into()),
                vpc_id: Some(network.vpc_id()),
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
            let l = s.add(
                "HttpsListener",
                elb::Listener {
                    port: Some(443.into()),
                    protocol: Some(elb::listener::Protocol::Https.into()),
                    ssl_policy: Some(props.ssl_policy.clone()),
                    certificates: Some(vec![elb::listener::Certificate {
                        certificate_arn: Some(cert.arn.clone()),
                    }]),
                    ..elb::Listener::new(vec![forward()], load_balancer.reference())
                },
            );
            s.protect(l, &["SslPolicy"], "the TLS policy (TLS 1.2 or later)");
            l
        });
        if https {
            s.suppress(
                http_listener,
                Suppression::because("Port 80 only redirects to HTTPS (301); a public load balancer keeps it so that http:// links still work, and the redirect carries no content")
                    .guard("ELBV2_LISTENER_PROTOCOL_RULE")
                    .guard("ELBV2_LISTENER_SSL_POLICY_RULE"),
            );
        } else {
            s.suppress(
                http_listener,
                Suppression::because("No certificate was given, so the listener serves HTTP and there is no TLS listener to set a policy on; pass a certificate (--certificate-arn) to redirect HTTP to HTTPS with TLS 1.2+")
                    .checkov("CKV_AWS_2")
                    .checkov("CKV_AWS_103")
                    .guard("ELBV2_LISTENER_PROTOCOL_RULE")
                    .guard("ELBV2_LISTENER_SSL_POLICY_RULE"),
            );
        }

        let task = FargateTaskDefinition::new(&mut s, props.task_definition_props());
        let service = fargate_service(
            &mut s,
            &task,
            ServiceSpec {
                cluster,
                vpc: network,
                security_group: service_sg,
                desired_count: props.desired_count.clone(),
                health_check_grace_period_seconds: Some(
                    props.health_check_grace_period_seconds.clone(),
                ),
                load_balancers: vec![ecs::service::LoadBalancer {
                    container_name: Some(props.container_name.clone().into()),
                    container_port: Some(i64::from(port).into()),
                    target_group_arn: Some(target_group.reference()),
                    ..Default::default()
                }],
                capacity: props.capacity.clone(),
            },
        );
        // The target group must belong to a load balancer (through the forwarding listener)
        // before the service registers targets.
        s.depends_on(service, https_listener.unwrap_or(http_listener));

        let scaling = ServiceScaling::new(
            &mut s,
            cluster,
            service,
            props.min_capacity.clone(),
            props.max_capacity.clone(),
            &props.desired_count,
        );
        use aas::scaling_policy::PredefinedMetricSpecificationType as M;
        let cpu_scaling = scaling.track(
            &mut s,
            "CpuScaling",
            M::EcsServiceAverageCpuUtilization,
            props.cpu_target_percent.clone(),
        );
        let memory_scaling = scaling.track(
            &mut s,
            "MemoryScaling",
            M::EcsServiceAverageMemoryUtilization,
            props.memory_target_percent.clone(),
        );

        LoadBalancedFargateService {
            load_balancer_security_group: lb_sg,
            service_security_group: service_sg,
            load_balancer,
            target_group,
            http_listener,
            https_listener,
            log_group: task.log_group,
            execution_role: task.execution_role,
            task_role: task.task_role,
            task_definition: task.task_definition,
            task,
            service,
            scalable_target: scaling.scalable_target,
            scaling,
            cpu_scaling,
            memory_scaling,
            container_port: port,
            cluster_name: cluster.cluster_name(),
            subnet_ids: network.private_subnet_ids(),
            name,
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

impl Grantee for LoadBalancedFargateService {
    fn grant_role(&self) -> GrantRole {
        self.task_role.grant_role()
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

fn check_service_props(s: &mut Scope<'_>, p: &ServiceProps, network: &dyn VpcRef) {
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
    if p.certificate.is_some() {
        s.check_values(
            codes::WEAK_TLS_POLICY,
            "HttpsListener",
            Some("Properties.SslPolicy"),
            &[p.ssl_policy.expr()],
            |v| match v[0].as_str() {
                Some(policy) if TLS12_POLICIES.contains(&policy) => Ok(()),
                _ => Err(format!(
                    "{} is not a TLS 1.2+ listener policy this pattern knows",
                    v[0]
                )),
            },
        );
    }
    s.check_values(
        codes::INVALID_CAPACITY,
        "Service",
        Some("Properties.HealthCheckGracePeriodSeconds"),
        &[p.health_check_grace_period_seconds.expr()],
        |v| match super::base::as_u64(&v[0]) {
            Some(n) if n <= 2_147_483_647 => Ok(()),
            _ => Err(format!("{} is not a number of seconds", v[0])),
        },
    );
    let public = network.public_subnet_ids().len();
    if public < 2 {
        s.error(
            codes::INVALID_NETWORK,
            "LoadBalancer",
            Some("Properties.Subnets"),
            format!(
                "an Application Load Balancer needs subnets in at least two AZs; the network has {public} public subnet(s)"
            ),
            "use a network with two or more AZs",
        );
    }
    if network.private_subnet_ids().is_empty() {
        s.error(
            codes::INVALID_NETWORK,
            "Service",
            Some("Properties.NetworkConfiguration"),
            "the network has no private subnets for the tasks",
            "use a network with private subnets",
        );
    }
}
