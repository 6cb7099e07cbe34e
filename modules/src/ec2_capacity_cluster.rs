//! [`Ec2CapacityCluster`]: EC2 capacity for an ECS cluster that works by construction.
//!
//! An Auto Scaling group in private subnets runs the ECS-optimized Amazon Linux 2023 AMI
//! (from its public SSM parameter, so the ECS agent is installed and current), with user data
//! that joins the cluster (`ECS_CLUSTER=<name>` in `/etc/ecs/ecs.config`), an instance
//! profile with the ECS and SSM managed policies, IMDSv2, and an encrypted root volume. A
//! capacity provider with managed scaling sizes the group from the tasks' needs, and is the
//! cluster's default strategy.
//!
//! Seed 001's author could not get the ECS agent running: a plain AMI without the agent, or
//! an instance that never learns its cluster's name, registers nothing. Both are fixed here,
//! and a test checks the user data and the AMI parameter.

use stackforge::cfn::{autoscaling, ec2, ecs};
use stackforge::{dynamic, fns, sub, Handle, Scope, Val};

use crate::ec2_instance::{secure_launch_data, InstanceRole};
use crate::fargate::base::as_u64;

/// The group's sizes or the target capacity are inconsistent: [`crate::codes::INVALID_CAPACITY`]
/// (`SFM007`; this pattern used `SFM110` before the codes were unified).
pub use crate::codes::INVALID_CAPACITY;

/// The public SSM parameter of the current ECS-optimized Amazon Linux 2023 AMI (x86_64).
pub const ECS_OPTIMIZED_AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/// The user data that makes an instance join `cluster_name`:
/// `#!/bin/bash\necho ECS_CLUSTER=<cluster> >> /etc/ecs/ecs.config`, base64-encoded.
pub fn join_cluster_user_data(cluster_name: Val<String>) -> Val<String> {
    fns::base64(sub!(
        "#!/bin/bash\necho ECS_CLUSTER=",
        cluster_name,
        " >> /etc/ecs/ecs.config\n"
    ))
}

/// Options of [`Ec2CapacityCluster`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2CapacityClusterProps {
    /// The instance type.
    /// Default: `t3.small`.
    pub instance_type: Val<String>,
    /// The group's minimum size.
    /// Default: `1`.
    pub min_size: Val<i64>,
    /// The group's maximum size.
    /// Default: `3`.
    pub max_size: Val<i64>,
    /// Managed scaling's target utilisation of the group, in percent (1–100).
    /// Default: `100` (no idle instances).
    pub target_capacity_percent: Val<i64>,
    /// Root volume size in GiB (the ECS AMI needs at least 30).
    /// Default: `30`.
    pub root_volume_gib: Val<i64>,
}

impl Default for Ec2CapacityClusterProps {
    fn default() -> Self {
        Ec2CapacityClusterProps {
            instance_type: "t3.small".into(),
            min_size: 1.into(),
            max_size: 3.into(),
            target_capacity_percent: 100.into(),
            root_volume_gib: 30.into(),
        }
    }
}

/// EC2 capacity for an ECS cluster: launch template, Auto Scaling group, capacity provider.
#[derive(Clone, Debug)]
pub struct Ec2CapacityCluster {
    /// The instances' security group (`<id>SecurityGroup`): no ingress; tasks in `awsvpc`
    /// mode have their own security groups.
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The instance role and profile (`<id>InstanceRole…`): ECS agent + SSM.
    pub role: InstanceRole,
    /// The launch template (`<id>LaunchTemplate`).
    pub launch_template: Handle<ec2::LaunchTemplate>,
    /// The Auto Scaling group (`<id>Group`) in the private subnets.
    pub auto_scaling_group: Handle<autoscaling::AutoScalingGroup>,
    /// The capacity provider (`<id>CapacityProvider`) with managed scaling.
    pub capacity_provider: Handle<ecs::CapacityProvider>,
    /// Makes the provider the cluster's default (`<id>Associations`).
    pub associations: Handle<ecs::ClusterCapacityProviderAssociations>,
}

impl Ec2CapacityCluster {
    /// Adds EC2 capacity to the cluster named `cluster_name` (its `Ref`), in `vpc_id`'s
    /// `private_subnets`. The cluster must not list capacity providers itself.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        cluster_name: Val<String>,
        vpc_id: Val<String>,
        private_subnets: Vec<Val<String>>,
        props: Ec2CapacityClusterProps,
    ) -> Self {
        let mut s = scope.child(id);
        s.check_values(
            INVALID_CAPACITY,
            "Group",
            Some("Properties.MaxSize"),
            &[props.min_size.expr(), props.max_size.expr()],
            |v| match (as_u64(&v[0]), as_u64(&v[1])) {
                (Some(lo), Some(hi)) if lo <= hi && hi > 0 => Ok(()),
                _ => Err(format!(
                    "min_size {} and max_size {}: need 0 < max_size and min_size <= max_size",
                    v[0], v[1]
                )),
            },
        );
        s.check_values(
            INVALID_CAPACITY,
            "CapacityProvider",
            Some("Properties.AutoScalingGroupProvider.ManagedScaling.TargetCapacity"),
            &[props.target_capacity_percent.expr()],
            |v| match as_u64(&v[0]) {
                Some(p) if (1..=100).contains(&p) => Ok(()),
                _ => Err(format!(
                    "target_capacity_percent is {}; it must be 1 to 100",
                    v[0]
                )),
            },
        );
        let mut egress = ec2::security_group::Egress::new("-1");
        egress.cidr_ip = Some("0.0.0.0/0".into());
        egress.description = Some("ECS agent, image pulls and SSM through the NAT gateway".into());
        let security_group = s.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(vpc_id),
                security_group_egress: Some(vec![egress]),
                ..ec2::SecurityGroup::new("ECS container instances: no ingress")
            },
        );
        let role = InstanceRole::new(
            &mut s,
            "InstanceRole",
            &["service-role/AmazonEC2ContainerServiceforEC2Role"],
        );
        let mut data = secure_launch_data("/dev/xvda", props.root_volume_gib.clone(), &role, 2);
        data.image_id = Some(dynamic::ssm(ECS_OPTIMIZED_AMI_PARAMETER));
        data.instance_type = Some(props.instance_type.clone());
        data.security_group_ids = Some(vec![security_group.attr_group_id()].into());
        data.user_data = Some(join_cluster_user_data(cluster_name.clone()));
        let launch_template = s.add("LaunchTemplate", ec2::LaunchTemplate::new(data));

        let mut group =
            autoscaling::AutoScalingGroup::new(props.max_size.to_text(), props.min_size.to_text());
        group.launch_template = Some(
            autoscaling::auto_scaling_group::LaunchTemplateSpecification {
                launch_template_id: Some(launch_template.attr_launch_template_id()),
                ..autoscaling::auto_scaling_group::LaunchTemplateSpecification::new(
                    launch_template.attr_latest_version_number(),
                )
            },
        );
        group.vpc_zone_identifier = Some(private_subnets.into());
        group.new_instances_protected_from_scale_in = Some(false.into());
        group.tags = Some(vec![autoscaling::auto_scaling_group::TagProperty::new(
            "Name",
            true,
            sub!(
                stackforge::pseudo::stack_name(),
                "-",
                s.logical_id_for("Group")
            ),
        )]);
        let auto_scaling_group = s.add("Group", group);

        let mut provider =
            ecs::capacity_provider::AutoScalingGroupProvider::new(auto_scaling_group.reference());
        provider.managed_scaling = Some(ecs::capacity_provider::ManagedScaling {
            status: Some(ecs::capacity_provider::Status::Enabled.into()),
            target_capacity: Some(props.target_capacity_percent.clone()),
            ..Default::default()
        });
        // Termination protection needs scale-in protection on every instance; managed
        // draining moves tasks off an instance before it goes.
        provider.managed_termination_protection =
            Some(ecs::capacity_provider::ManagedTerminationProtection::Disabled.into());
        provider.managed_draining = Some(ecs::capacity_provider::ManagedDraining::Enabled.into());
        let capacity_provider = s.add(
            "CapacityProvider",
            ecs::CapacityProvider {
                auto_scaling_group_provider: Some(provider),
                ..Default::default()
            },
        );
        let mut strategy =
            ecs::cluster_capacity_provider_associations::CapacityProviderStrategy::new(
                capacity_provider.reference(),
            );
        strategy.weight = Some(1.into());
        let mut assoc = ecs::ClusterCapacityProviderAssociations::new(cluster_name, vec![strategy]);
        assoc.capacity_providers = Some(vec![capacity_provider.reference()].into());
        let associations = s.add("Associations", assoc);
        Ec2CapacityCluster {
            security_group,
            role,
            launch_template,
            auto_scaling_group,
            capacity_provider,
            associations,
        }
    }

    /// The capacity provider's name, for a service's capacity provider strategy.
    pub fn capacity_provider_name(&self) -> Val<String> {
        self.capacity_provider.reference()
    }
}
