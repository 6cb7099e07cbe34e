//! Containers on ECS: [`Cluster`], [`LoadBalancedFargateService`] (a web service behind a
//! public Application Load Balancer), [`QueueProcessingFargateService`] (a worker that
//! consumes a queue and scales on its depth), [`OneOffTask`] (a command run once), and the
//! shared building blocks in [`base`] for your own services.
//!
//! Secure by default:
//! - Tasks run in private subnets without public IPs; only the load balancer faces the
//!   internet, on its listener ports.
//! - The container port is given once and drives the port mapping, the target group, the
//!   load balancer's container port and the security-group rules, so they cannot disagree.
//! - Secrets are [`crate::existing::ContainerSecret`]s: ECS `secrets`/`valueFrom`, never plain
//!   environment values; a secret-looking environment value is an error
//!   ([`crate::codes::SECRET_IN_ENVIRONMENT`]).
//! - The execution role may pull the image (ECR only when the image is in ECR), write its own
//!   log group and read exactly the secrets the containers use, through a separate
//!   `AWS::IAM::Policy`. The task role has only what grants add.
//! - Deployment circuit breaker with rollback, a health-check grace period, target-tracking
//!   autoscaling on CPU and memory.

pub mod base;
mod load_balanced;
mod one_off;
mod queue_processing;

pub use base::{
    check_fargate_size, Capacity, ContainerHealthCheck, ContainerSpec, FargateSizeError,
    FargateTaskDefinition, ScalingStep, ServiceScaling, StartCondition, StepScaling,
    TaskDefinitionProps, FARGATE_SIZES,
};
pub use load_balanced::{LoadBalancedFargateService, ServiceProps, TLS12_POLICIES};
pub use one_off::OneOffTask;
pub use queue_processing::{QueueProcessingFargateService, QueueProcessingServiceProps};

use stackforge::cfn::ecs;
use stackforge::{Handle, Scope, Val};

use crate::refs::ClusterRef;

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

impl ClusterRef for Cluster {
    fn cluster_name(&self) -> Val<String> {
        self.cluster.reference()
    }
    fn cluster_arn(&self) -> Val<String> {
        self.cluster.attr_arn()
    }
}
