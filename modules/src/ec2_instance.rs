//! EC2 instances done safely, and a fleet of them from one table: [`Ec2Instance`],
//! [`InstanceRole`], [`Ec2Fleet`].
//!
//! - The AMI comes from the OS's public SSM parameter ([`OS_IMAGES`]), resolved by
//!   CloudFormation at deploy time (`{{resolve:ssm:…}}` in `ImageId`), never a hard-coded id.
//! - IMDSv2 is required (a launch template's `MetadataOptions`), the root volume is encrypted
//!   gp3, and the instance profile grants SSM Session Manager instead of a key pair.
//! - No SSH or RDP from anywhere by default; an admin CIDR can be allowed, but `0.0.0.0/0`
//!   (or `::/0`) is an error (`SFM108`) unless [`Ec2FleetProps::allow_world_admin`] is set.

use stackforge::cfn::{ec2, iam};
use stackforge::{dynamic, sub, Handle, Json, Scope, Val};

use crate::refs::Grantee;

/// A CIDR is not an IPv4 or IPv6 network: [`crate::codes::INVALID_CIDR`] (`SFM005`; this
/// pattern used `SFM109` before the codes were unified). Port 0 is
/// [`crate::codes::PORT_MISMATCH`].
pub use crate::codes::INVALID_CIDR;
pub use crate::codes::{UNKNOWN_OS, WORLD_OPEN_ADMIN};

/// One operating system whose AMI is published as a public SSM parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OsImage {
    /// The name fleet tables use, e.g. `"ubuntu-24.04"`.
    pub name: &'static str,
    /// The public SSM parameter holding the current x86_64 AMI id.
    pub ssm_parameter: &'static str,
    /// The AMI's root device, so the encrypted volume replaces the root (a wrong name would
    /// attach a second volume instead).
    pub root_device: &'static str,
    /// Windows (RDP, 3389) rather than Linux (SSH, 22).
    pub windows: bool,
}

impl OsImage {
    /// The remote-administration port: 3389 (RDP) on Windows, 22 (SSH) elsewhere.
    pub fn admin_port(&self) -> u16 {
        if self.windows {
            3389
        } else {
            22
        }
    }

    /// `{{resolve:ssm:<parameter>}}` for `ImageId`.
    pub fn image_id(&self) -> Val<String> {
        dynamic::ssm(self.ssm_parameter)
    }
}

/// Every OS the helpers know; adding one is one line. Red Hat and others publish no public
/// SSM parameter, so they are absent rather than pinned to one region's AMI id.
#[rustfmt::skip]
pub const OS_IMAGES: &[OsImage] = &[
    OsImage { name: "amazon-linux-2023", ssm_parameter: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", root_device: "/dev/xvda", windows: false },
    OsImage { name: "ubuntu-24.04", ssm_parameter: "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", root_device: "/dev/sda1", windows: false },
    OsImage { name: "debian-12", ssm_parameter: "/aws/service/debian/release/12/latest/amd64", root_device: "/dev/xvda", windows: false },
    OsImage { name: "suse-sles-15", ssm_parameter: "/aws/service/suse/sles/15-sp7/x86_64/latest", root_device: "/dev/sda1", windows: false },
    OsImage { name: "windows-server-2022", ssm_parameter: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base", root_device: "/dev/sda1", windows: true },
];

/// Looks an OS up by name in [`OS_IMAGES`].
pub fn os_image(name: &str) -> Option<&'static OsImage> {
    OS_IMAGES.iter().find(|o| o.name == name)
}

/// Why a CIDR is refused ([`check_cidr`]); its code is [`INVALID_CIDR`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminCidrError {
    /// No `/n`.
    #[error("`{cidr}` has no prefix length (`/n`)")]
    NoPrefix {
        /// The CIDR given.
        cidr: String,
    },
    /// The prefix length is not a number.
    #[error("`{cidr}`: `{prefix}` is not a prefix length")]
    Prefix {
        /// The CIDR given.
        cidr: String,
        /// The part after the `/`.
        prefix: String,
    },
    /// An IPv4 prefix over /32.
    #[error("`{cidr}`: an IPv4 prefix is at most /32")]
    Ipv4Prefix {
        /// The CIDR given.
        cidr: String,
    },
    /// An IPv6 prefix over /128.
    #[error("`{cidr}`: an IPv6 prefix is at most /128")]
    Ipv6Prefix {
        /// The CIDR given.
        cidr: String,
    },
    /// The address is neither IPv4 nor IPv6.
    #[error("`{cidr}`: `{address}` is not an IP address")]
    Address {
        /// The CIDR given.
        cidr: String,
        /// The part before the `/`.
        address: String,
    },
}

impl AdminCidrError {
    /// The code: [`INVALID_CIDR`].
    pub fn code(&self) -> stackforge::Code {
        INVALID_CIDR
    }
}

/// Checks an IPv4 (`a.b.c.d/n`) or IPv6 (`x::/n`) CIDR.
pub fn check_cidr(cidr: &str) -> Result<(), AdminCidrError> {
    let owned = || cidr.to_owned();
    let Some((addr, len)) = cidr.split_once('/') else {
        return Err(AdminCidrError::NoPrefix { cidr: owned() });
    };
    let len: u8 = len.parse().map_err(|_| AdminCidrError::Prefix {
        cidr: owned(),
        prefix: len.to_owned(),
    })?;
    if addr.parse::<std::net::Ipv4Addr>().is_ok() {
        if len > 32 {
            return Err(AdminCidrError::Ipv4Prefix { cidr: owned() });
        }
        return Ok(());
    }
    if addr.parse::<std::net::Ipv6Addr>().is_ok() {
        if len > 128 {
            return Err(AdminCidrError::Ipv6Prefix { cidr: owned() });
        }
        return Ok(());
    }
    Err(AdminCidrError::Address {
        cidr: owned(),
        address: addr.to_owned(),
    })
}

/// True for a CIDR that covers the whole Internet (prefix length 0).
pub fn is_world(cidr: &str) -> bool {
    cidr.trim().ends_with("/0")
}

/// An instance role with SSM Session Manager (`AmazonSSMManagedInstanceCore`), and its
/// instance profile. No key pair is ever needed.
#[derive(Clone, Copy, Debug)]
pub struct InstanceRole {
    /// The role (`<id>Role`), assumable by EC2 only.
    pub role: Handle<iam::Role>,
    /// The instance profile (`<id>Profile`).
    pub profile: Handle<iam::InstanceProfile>,
}

impl Grantee for InstanceRole {
    fn grant_role(&self) -> stackforge::GrantRole {
        self.role.grant_role()
    }
}

impl InstanceRole {
    /// Creates the role with SSM Session Manager plus `extra_managed_policies` (names of
    /// AWS-managed policies, e.g. `service-role/AmazonEC2ContainerServiceforEC2Role`).
    pub fn new(scope: &mut Scope<'_>, id: &str, extra_managed_policies: &[&str]) -> Self {
        let mut s = scope.child(id);
        let trust: Json = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        });
        let mut role = iam::Role::new(trust);
        let managed: Vec<Val<String>> = std::iter::once("AmazonSSMManagedInstanceCore")
            .chain(extra_managed_policies.iter().copied())
            .map(|p| {
                sub!(
                    "arn:",
                    stackforge::pseudo::partition(),
                    ":iam::aws:policy/",
                    p
                )
            })
            .collect();
        role.managed_policy_arns = Some(managed.into());
        role.description = Some("EC2 instances: SSM Session Manager instead of key pairs".into());
        let role = s.add("Role", role);
        let profile = s.add("Profile", iam::InstanceProfile::new(vec![role.reference()]));
        InstanceRole { role, profile }
    }
}

/// The launch-template data every instance shares: IMDSv2 required, an encrypted gp3 root
/// volume on `root_device`, the instance profile, detailed monitoring.
pub fn secure_launch_data(
    root_device: &str,
    root_volume_gib: Val<i64>,
    profile: &InstanceRole,
    hop_limit: u8,
) -> ec2::launch_template::LaunchTemplateData {
    use ec2::launch_template as lt;
    lt::LaunchTemplateData {
        metadata_options: Some(lt::MetadataOptions {
            http_tokens: Some(lt::HttpTokens::Required.into()),
            http_endpoint: Some(lt::HttpEndpoint::Enabled.into()),
            http_put_response_hop_limit: Some(i64::from(hop_limit).into()),
            ..Default::default()
        }),
        block_device_mappings: Some(vec![lt::BlockDeviceMapping {
            device_name: Some(root_device.into()),
            ebs: Some(lt::Ebs {
                encrypted: Some(true.into()),
                volume_type: Some(lt::VolumeType::Gp3.into()),
                volume_size: Some(root_volume_gib),
                delete_on_termination: Some(true.into()),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        iam_instance_profile: Some(lt::IamInstanceProfile {
            arn: Some(profile.profile.attr_arn()),
            ..Default::default()
        }),
        monitoring: Some(lt::Monitoring {
            enabled: Some(true.into()),
        }),
        ..Default::default()
    }
}

/// Options of one [`Ec2Instance`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2InstanceProps {
    /// The OS, by its name in [`OS_IMAGES`].
    /// Default: `amazon-linux-2023`.
    pub os: String,
    /// The instance type.
    /// Default: `t3.micro`.
    pub instance_type: Val<String>,
    /// Give the instance a public IP (and so a public DNS name); the subnet must be public.
    /// Default: `false`.
    pub public_ip: bool,
    /// The root volume's size in GiB (Windows needs 30).
    /// Default: `30`.
    pub root_volume_gib: Val<i64>,
}

impl Default for Ec2InstanceProps {
    fn default() -> Self {
        Ec2InstanceProps {
            os: "amazon-linux-2023".into(),
            instance_type: "t3.micro".into(),
            public_ip: false,
            root_volume_gib: 30.into(),
        }
    }
}

/// One instance and its launch template.
#[derive(Clone, Debug)]
pub struct Ec2Instance {
    /// The OS (from [`OS_IMAGES`]); `None` if the name was unknown (an error was reported).
    pub os: Option<&'static OsImage>,
    /// The launch template (`<id>LaunchTemplate`): IMDSv2, encrypted root volume, profile.
    pub launch_template: Handle<ec2::LaunchTemplate>,
    /// The instance (`<id>Instance`).
    pub instance: Handle<ec2::Instance>,
}

impl Ec2Instance {
    /// Creates an instance in `subnet_id` with `security_groups` and the role's profile.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        subnet_id: Val<String>,
        security_groups: Vec<Val<String>>,
        role: &InstanceRole,
        props: Ec2InstanceProps,
    ) -> Self {
        let mut s = scope.child(id);
        let os = os_image(&props.os);
        if os.is_none() {
            s.error(
                UNKNOWN_OS,
                "Instance",
                Some("Properties.ImageId"),
                format!("no public SSM AMI parameter is known for OS `{}`", props.os),
                format!(
                    "use one of: {} (or add a line to OS_IMAGES)",
                    OS_IMAGES
                        .iter()
                        .map(|o| o.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        let image = os.unwrap_or(&OS_IMAGES[0]);
        let launch_template = s.add(
            "LaunchTemplate",
            ec2::LaunchTemplate::new(secure_launch_data(
                image.root_device,
                props.root_volume_gib.clone(),
                role,
                1,
            )),
        );
        let mut nic = ec2::instance::NetworkInterface::new("0");
        nic.subnet_id = Some(subnet_id);
        nic.group_set = Some(security_groups.into());
        nic.associate_public_ip_address = Some(props.public_ip.into());
        nic.delete_on_termination = Some(true.into());
        let instance = ec2::Instance {
            image_id: Some(image.image_id()),
            instance_type: Some(props.instance_type.clone()),
            launch_template: Some(ec2::instance::LaunchTemplateSpecification {
                launch_template_id: Some(launch_template.attr_launch_template_id()),
                version: Some(launch_template.attr_latest_version_number()),
                ..Default::default()
            }),
            network_interfaces: Some(vec![nic]),
            ebs_optimized: Some(true.into()),
            monitoring: Some(true.into()),
            tags: Some(vec![stackforge::Tag::new(
                "Name",
                sub!(stackforge::pseudo::stack_name(), "-", id),
            )]),
            ..Default::default()
        };
        let instance = s.add("Instance", instance);
        if props.public_ip {
            s.skip_checkov(
                instance,
                "CKV_AWS_88",
                "public_ip was requested: the instance serves the web directly and needs a public DNS name; SSH/RDP stay closed unless admin_cidr is set",
            );
        }
        Ec2Instance {
            os,
            launch_template,
            instance,
        }
    }

    /// The public DNS name (empty unless the instance has a public IP in a VPC with DNS
    /// hostnames enabled).
    pub fn public_dns_name(&self) -> Val<String> {
        self.instance.attr_public_dns_name()
    }
}

/// One row of a fleet table: an id and an OS name.
#[derive(Clone, Debug, PartialEq)]
pub struct FleetMember {
    /// The instance's id in the stack (letters and digits).
    pub id: String,
    /// The OS, by its name in [`OS_IMAGES`].
    pub os: String,
    /// The instance type.
    pub instance_type: Val<String>,
}

impl FleetMember {
    /// A row: `FleetMember::new("Web1", "ubuntu-24.04", "t3.micro")`.
    pub fn new(id: &str, os: &str, instance_type: &str) -> Self {
        FleetMember {
            id: id.into(),
            os: os.into(),
            instance_type: instance_type.into(),
        }
    }
}

/// Options of [`Ec2Fleet`].
#[derive(Clone, Debug, PartialEq)]
pub struct Ec2FleetProps {
    /// The instances, one row each.
    /// Default: none.
    pub members: Vec<FleetMember>,
    /// TCP ports open to the world (IPv4).
    /// Default: `[80, 443]`.
    pub public_ports: Vec<u16>,
    /// A CIDR allowed to reach SSH (Linux) and RDP (Windows) ports. Prefer Session Manager.
    /// Default: none (no SSH or RDP ingress at all).
    pub admin_cidr: Option<String>,
    /// Allow `admin_cidr` to be `0.0.0.0/0` or `::/0`.
    /// Default: `false` (a world-open admin CIDR is an error, `SFM108`).
    pub allow_world_admin: bool,
    /// Public IPs (and public DNS names); the subnet must be public.
    /// Default: `true`.
    pub public_ip: bool,
    /// Root volume size in GiB.
    /// Default: `30`.
    pub root_volume_gib: Val<i64>,
}

impl Default for Ec2FleetProps {
    fn default() -> Self {
        Ec2FleetProps {
            members: Vec::new(),
            public_ports: vec![80, 443],
            admin_cidr: None,
            allow_world_admin: false,
            public_ip: true,
            root_volume_gib: 30.into(),
        }
    }
}

/// Instances of different OSes sharing one role, one security group and one subnet.
#[derive(Clone, Debug)]
pub struct Ec2Fleet {
    /// The shared SSM role and instance profile (`<id>InstanceRole…`).
    pub role: InstanceRole,
    /// The shared security group (`<id>SecurityGroup`).
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The instances, in table order, each under `<id><member id>`.
    pub instances: Vec<(String, Ec2Instance)>,
}

impl Ec2Fleet {
    /// Creates the fleet in `subnet_id` of `vpc_id`.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        vpc_id: Val<String>,
        subnet_id: Val<String>,
        props: Ec2FleetProps,
    ) -> Self {
        let mut s = scope.child(id);
        let mut ingress = Vec::new();
        for p in &props.public_ports {
            if *p == 0 {
                s.error(
                    crate::codes::PORT_MISMATCH,
                    "SecurityGroup",
                    Some("Properties.SecurityGroupIngress"),
                    "port 0 in public_ports",
                    "list real TCP ports, e.g. 80 and 443",
                );
                continue;
            }
            if matches!(p, 22 | 3389) && !props.allow_world_admin {
                s.error(
                    WORLD_OPEN_ADMIN,
                    "SecurityGroup",
                    Some("Properties.SecurityGroupIngress"),
                    format!("public_ports opens {p} (SSH/RDP) to the world"),
                    "use Session Manager, or set admin_cidr to your network; set allow_world_admin only if you must",
                );
            }
            let mut r = ec2::security_group::Ingress::new("tcp");
            r.cidr_ip = Some("0.0.0.0/0".into());
            r.from_port = Some(i64::from(*p).into());
            r.to_port = Some(i64::from(*p).into());
            r.description = Some(format!("TCP {p} from anywhere").into());
            ingress.push(r);
        }
        if let Some(cidr) = &props.admin_cidr {
            if let Err(why) = check_cidr(cidr) {
                s.error(
                    INVALID_CIDR,
                    "SecurityGroup",
                    Some("Properties.SecurityGroupIngress"),
                    why.to_string(),
                    "use a network such as 203.0.113.0/24",
                );
            } else if is_world(cidr) && !props.allow_world_admin {
                s.error(
                    WORLD_OPEN_ADMIN,
                    "SecurityGroup",
                    Some("Properties.SecurityGroupIngress"),
                    format!("admin_cidr `{cidr}` opens SSH/RDP to the whole Internet"),
                    "use Session Manager (the instances have it), or your own network's CIDR; set allow_world_admin: true only if you accept the risk",
                );
            }
            let mut ports: Vec<u16> = props
                .members
                .iter()
                .filter_map(|m| os_image(&m.os))
                .map(OsImage::admin_port)
                .collect();
            ports.sort_unstable();
            ports.dedup();
            for p in ports {
                let mut r = ec2::security_group::Ingress::new("tcp");
                if cidr.contains(':') {
                    r.cidr_ipv6 = Some(cidr.clone().into());
                } else {
                    r.cidr_ip = Some(cidr.clone().into());
                }
                r.from_port = Some(i64::from(p).into());
                r.to_port = Some(i64::from(p).into());
                r.description = Some(
                    format!(
                        "{} from the admin network",
                        if p == 22 { "SSH" } else { "RDP" }
                    )
                    .into(),
                );
                ingress.push(r);
            }
        }
        let mut egress = ec2::security_group::Egress::new("-1");
        egress.cidr_ip = Some("0.0.0.0/0".into());
        egress.description = Some("Updates, SSM Session Manager and package mirrors".into());
        let security_group = s.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(vpc_id),
                security_group_ingress: Some(ingress),
                security_group_egress: Some(vec![egress]),
                ..ec2::SecurityGroup::new("Fleet: public web ports; no SSH/RDP from the world")
            },
        );
        let world_admin = props.allow_world_admin
            && (props.admin_cidr.as_deref().is_some_and(is_world)
                || props.public_ports.iter().any(|p| matches!(p, 22 | 3389)));
        if world_admin {
            for (check, what) in [("CKV_AWS_24", "SSH"), ("CKV_AWS_25", "RDP")] {
                s.skip_checkov(
                    security_group,
                    check,
                    &format!("{what} from the world was allowed explicitly (allow_world_admin); the default is no {what} ingress, with SSM Session Manager instead"),
                );
            }
        }
        if props.public_ports.contains(&80) {
            s.skip_checkov(
                security_group,
                "CKV_AWS_260",
                "HTTP (80) is open to the world on purpose (public_ports): the fleet serves the web; SSH/RDP are never in public_ports without allow_world_admin",
            );
        }
        let role = InstanceRole::new(&mut s, "InstanceRole", &[]);
        let mut instances = Vec::new();
        for m in &props.members {
            let inst = Ec2Instance::new(
                &mut s,
                &m.id,
                subnet_id.clone(),
                vec![security_group.attr_group_id()],
                &role,
                Ec2InstanceProps {
                    os: m.os.clone(),
                    instance_type: m.instance_type.clone(),
                    public_ip: props.public_ip,
                    root_volume_gib: props.root_volume_gib.clone(),
                },
            );
            instances.push((m.id.clone(), inst));
        }
        Ec2Fleet {
            role,
            security_group,
            instances,
        }
    }
}
