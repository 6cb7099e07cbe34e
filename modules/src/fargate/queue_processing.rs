//! [`QueueProcessingFargateService`]: a worker on Fargate that consumes an SQS [`Queue`], with
//! no load balancer, scaling in steps on the queue's depth plus CPU target tracking.
//!
//! Built on [`super::base`] like [`super::LoadBalancedFargateService`]: the same task
//! definition (log group, execution and task roles, containers and sidecars), the same ECS
//! service, the same scaling target. What it adds: the queue's consume grant on the task role,
//! the queue's URL and name in the main container's environment, and step scaling on
//! `ApproximateNumberOfMessagesVisible` (two policies and two alarms, as the CDK's
//! `QueueProcessingFargateService` does).
//!
//! Logical IDs (pattern id `Worker`): `WorkerServiceSecurityGroup`, `WorkerLogGroup`,
//! `WorkerExecutionRole`, `WorkerExecutionRoleDefaultPolicy`, `WorkerTaskRole`,
//! `WorkerTaskRoleDefaultPolicy` (the consume grant), `WorkerTaskDefinition`,
//! `WorkerService`, `WorkerScalableTarget`, `WorkerCpuScaling`,
//! `WorkerQueueDepthScaleOutPolicy`, `WorkerQueueDepthScaleOutAlarm`,
//! `WorkerQueueDepthScaleInPolicy`, `WorkerQueueDepthScaleInAlarm`.

use stackforge::cfn::{applicationautoscaling as aas, ec2, ecs, iam, logs};
use stackforge::{GrantRole, Handle, Scope, Val};

use super::base::{
    fargate_service, task_security_group, Capacity, ContainerSpec, FargateTaskDefinition,
    ScalingStep, ServiceScaling, ServiceSpec, StepScaling, TaskDefinitionProps,
};
use crate::codes;
use crate::connections::Connectable;
use crate::existing::ContainerSecret;
use crate::metrics::{ecs as ecs_metrics, Metric};
use crate::queue::Queue;
use crate::refs::{ClusterRef, Grantee, VpcRef};

/// Options of [`QueueProcessingFargateService`].
#[derive(Clone, Debug, PartialEq)]
pub struct QueueProcessingServiceProps {
    /// The container image. Default: empty, which is an error.
    pub image: Val<String>,
    /// The ECR repository (ARN) the image comes from. Default: `None` (a public registry).
    pub ecr_repository_arn: Option<Val<String>>,
    /// The main container's name. Default: `worker`.
    pub container_name: String,
    /// The command (the image's `CMD` when empty). Default: empty.
    pub command: Vec<String>,
    /// Plain environment variables; `QUEUE_URL` and `QUEUE_NAME` are added. Secrets here are
    /// an error (`SFM004`). Default: empty.
    pub environment: Vec<(String, Val<String>)>,
    /// Secrets from Secrets Manager (ECS `secrets`/`valueFrom`). Default: empty.
    pub secrets: Vec<(String, ContainerSecret)>,
    /// More containers in the task (sidecars). Default: none.
    pub sidecars: Vec<ContainerSpec>,
    /// Task CPU units, checked with the memory. Default: `256`.
    pub cpu: Val<i64>,
    /// Task memory in MiB. Default: `512`.
    pub memory_mib: Val<i64>,
    /// Tasks to run at deploy, within min..=max. Default: `1`.
    pub desired_count: Val<i64>,
    /// Autoscaling minimum. Default: `1`.
    pub min_capacity: Val<i64>,
    /// Autoscaling maximum. Default: `5`.
    pub max_capacity: Val<i64>,
    /// Steps on the queue depth. Default: the CDK's: `<= 0` removes one task, `>= 100` adds
    /// one, `>= 500` adds five.
    pub scaling_steps: Vec<ScalingStep>,
    /// Target average CPU utilisation, percent. Default: `50`.
    pub cpu_target_percent: Val<i64>,
    /// Retention of the log group, in days. Default: `30`.
    pub log_retention_days: Val<i64>,
    /// A read-only root filesystem for the main container. Default: `true`.
    pub readonly_root_filesystem: bool,
    /// Fargate, or an EC2 capacity provider. Default: [`Capacity::Fargate`].
    pub capacity: Capacity,
}

impl Default for QueueProcessingServiceProps {
    fn default() -> Self {
        QueueProcessingServiceProps {
            image: Val::from(""),
            ecr_repository_arn: None,
            container_name: "worker".into(),
            command: Vec::new(),
            environment: Vec::new(),
            secrets: Vec::new(),
            sidecars: Vec::new(),
            cpu: 256.into(),
            memory_mib: 512.into(),
            desired_count: 1.into(),
            min_capacity: 1.into(),
            max_capacity: 5.into(),
            scaling_steps: vec![
                ScalingStep::at_or_below(0.0, -1),
                ScalingStep::at_or_above(100.0, 1),
                ScalingStep::at_or_above(500.0, 5),
            ],
            cpu_target_percent: 50.into(),
            log_retention_days: 30.into(),
            readonly_root_filesystem: true,
            capacity: Capacity::Fargate,
        }
    }
}

impl QueueProcessingServiceProps {
    /// The task definition options these props describe, with the queue's URL and name.
    pub fn task_definition_props(&self, queue: &Queue) -> TaskDefinitionProps {
        let mut environment = vec![
            ("QUEUE_URL".to_owned(), queue.queue_url()),
            ("QUEUE_NAME".to_owned(), queue.queue_name()),
        ];
        environment.extend(self.environment.iter().cloned());
        let main = ContainerSpec {
            name: self.container_name.clone(),
            image: self.image.clone(),
            ecr_repository_arn: self.ecr_repository_arn.clone(),
            command: self.command.clone(),
            environment,
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
            log_stream_prefix: "worker".into(),
            on_ec2: matches!(self.capacity, Capacity::Provider(_)),
            log_kms_key: None,
        }
    }
}

/// A Fargate service that consumes a queue.
#[derive(Clone, Debug)]
pub struct QueueProcessingFargateService {
    /// The tasks' security group (`<id>ServiceSecurityGroup`): no ingress, HTTPS out.
    pub service_security_group: Handle<ec2::SecurityGroup>,
    /// The task definition with its log group and roles.
    pub task: FargateTaskDefinition,
    /// The container log group (`<id>LogGroup`), also `task.log_group`.
    pub log_group: Handle<logs::LogGroup>,
    /// The execution role (`<id>ExecutionRole`).
    pub execution_role: Handle<iam::Role>,
    /// The task role (`<id>TaskRole`), which may consume the queue.
    pub task_role: Handle<iam::Role>,
    /// The task definition (`<id>TaskDefinition`).
    pub task_definition: Handle<ecs::TaskDefinition>,
    /// The service (`<id>Service`).
    pub service: Handle<ecs::Service>,
    /// Autoscaling (`<id>ScalableTarget`).
    pub scaling: ServiceScaling,
    /// CPU target tracking (`<id>CpuScaling`).
    pub cpu_scaling: Handle<aas::ScalingPolicy>,
    /// Step scaling on the queue depth (`<id>QueueDepth…`).
    pub queue_depth_scaling: StepScaling,
    /// The queue it consumes.
    pub queue: Queue,
    /// The cluster's name.
    pub cluster_name: Val<String>,
    /// The private subnets the tasks run in.
    pub subnet_ids: Vec<Val<String>>,
    /// The pattern's full path.
    pub name: String,
}

impl QueueProcessingFargateService {
    /// Creates the worker in `network`'s private subnets, on `cluster`, consuming `queue`
    /// (each may live in another stack of the app, or already exist).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        network: &dyn VpcRef,
        cluster: &dyn ClusterRef,
        queue: &Queue,
        props: QueueProcessingServiceProps,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        if network.private_subnet_ids().is_empty() {
            s.error(
                codes::INVALID_NETWORK,
                "Service",
                Some("Properties.NetworkConfiguration"),
                "the network has no private subnets for the tasks",
                "use a network with private subnets",
            );
        }
        let service_sg = task_security_group(
            &mut s,
            "ServiceSecurityGroup",
            network,
            format!("{name} tasks: no ingress (a queue worker)"),
        );
        let task = FargateTaskDefinition::new(&mut s, props.task_definition_props(queue));
        // The grant goes into the task role's policy before the service starts
        // (fargate_service waits for the task role's grants).
        queue.grant_consume(&mut s, &task);
        let service = fargate_service(
            &mut s,
            &task,
            ServiceSpec {
                cluster,
                vpc: network,
                security_group: service_sg,
                desired_count: props.desired_count.clone(),
                health_check_grace_period_seconds: None,
                load_balancers: Vec::new(),
                capacity: props.capacity.clone(),
            },
        );
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
        let queue_depth_scaling = scaling.step(
            &mut s,
            "QueueDepth",
            &queue.metric_depth(),
            &props.scaling_steps,
        );
        QueueProcessingFargateService {
            service_security_group: service_sg,
            log_group: task.log_group,
            execution_role: task.execution_role,
            task_role: task.task_role,
            task_definition: task.task_definition,
            task,
            service,
            scaling,
            cpu_scaling,
            queue_depth_scaling,
            queue: queue.clone(),
            cluster_name: cluster.cluster_name(),
            subnet_ids: network.private_subnet_ids(),
            name,
        }
    }

    /// Average CPU utilisation of the workers (`AWS/ECS`, `ClusterName`, `ServiceName`).
    pub fn metric_cpu(&self) -> Metric {
        ecs_metrics::cpu(self.cluster_name.clone(), self.service.attr_name())
    }

    /// Average memory utilisation of the workers.
    pub fn metric_memory(&self) -> Metric {
        ecs_metrics::memory(self.cluster_name.clone(), self.service.attr_name())
    }
}

impl Connectable for QueueProcessingFargateService {
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

impl Grantee for QueueProcessingFargateService {
    fn grant_role(&self) -> GrantRole {
        self.task_role.grant_role()
    }
}
