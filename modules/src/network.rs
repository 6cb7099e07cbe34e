//! [`Network`]: a VPC with public and private subnets over N availability zones, an internet
//! gateway, NAT gateways and routes, plus optional VPC flow logs. No Lambda-backed custom
//! resources, no `Fn::Cidr`: every subnet CIDR is computed and checked in Rust and emitted as
//! a literal, so overlaps and out-of-VPC subnets are synth errors ([`codes::INVALID_CIDR`]).
//!
//! [`crate::refs::ExistingVpc`] is a VPC and subnets that already exist, by ID; patterns take
//! either through [`VpcRef`].
//!
//! Logical IDs (pattern id `Net`): `NetVpc`, `NetInternetGateway`, `NetGatewayAttachment`,
//! `NetPublicSubnet1`, `NetPublicRouteTable`, `NetPublicRoute`, `NetPublicSubnet1RouteTableAssociation`,
//! `NetNatEip1`, `NetNatGateway1`, `NetPrivateSubnet1`, `NetPrivateRouteTable1`,
//! `NetPrivateRoute1`, `NetPrivateSubnet1RouteTableAssociation`, `NetFlowLogGroup`,
//! `NetFlowLogRole`, `NetFlowLog` (numbers count AZs from 1).

use std::fmt;
use std::str::FromStr;

use serde_json::json;
use stackforge::cfn::{ec2, iam, logs};
use stackforge::{fns, pseudo, sub, Handle, Raw, Scope, Tag, Val};

use crate::codes;
use crate::refs::VpcRef;

/// An IPv4 network in CIDR notation (`10.0.0.0/16`), with its host bits zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ipv4Cidr {
    addr: u32,
    prefix: u8,
}

impl Ipv4Cidr {
    /// A network from an address and a prefix length; `None` unless the host bits are zero
    /// and `prefix <= 32`.
    pub fn new(addr: u32, prefix: u8) -> Option<Self> {
        if prefix > 32 || addr & !mask(prefix) != 0 {
            return None;
        }
        Some(Ipv4Cidr { addr, prefix })
    }
    /// The first address.
    pub fn addr(self) -> u32 {
        self.addr
    }
    /// The prefix length.
    pub fn prefix(self) -> u8 {
        self.prefix
    }
    /// The number of addresses.
    pub fn size(self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }
    /// The last address.
    pub fn last(self) -> u32 {
        self.addr | !mask(self.prefix)
    }
    /// True if `other` lies entirely inside this network.
    pub fn contains(self, other: Ipv4Cidr) -> bool {
        other.prefix >= self.prefix && other.addr & mask(self.prefix) == self.addr
    }
    /// True if the two networks share an address.
    pub fn overlaps(self, other: Ipv4Cidr) -> bool {
        self.addr <= other.last() && other.addr <= self.last()
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.addr.to_be_bytes();
        write!(f, "{a}.{b}.{c}.{d}/{}", self.prefix)
    }
}

/// Why a text is not an IPv4 network (`Ipv4Cidr::from_str`); its code is
/// [`codes::INVALID_CIDR`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CidrError {
    /// No `/`.
    #[error("`{input}` is not in CIDR notation (a.b.c.d/n)")]
    Notation {
        /// The text given.
        input: String,
    },
    /// The address part does not have four octets.
    #[error("`{input}`: `{address}` is not an IPv4 address")]
    Address {
        /// The text given.
        input: String,
        /// The part before the `/`.
        address: String,
    },
    /// An octet that is not a number from 0 to 255.
    #[error("`{input}`: `{octet}` is not an octet (0-255)")]
    Octet {
        /// The text given.
        input: String,
        /// The octet.
        octet: String,
    },
    /// A prefix length that is not 0 to 32.
    #[error("`{input}`: `/{prefix}` is not a prefix length (0-32)")]
    Prefix {
        /// The text given.
        input: String,
        /// The part after the `/`.
        prefix: String,
    },
    /// Host bits set: the text names an address, not a network.
    #[error("`{input}` has host bits set; the network is `{network}`")]
    HostBits {
        /// The text given.
        input: String,
        /// The network that was probably meant.
        network: Ipv4Cidr,
    },
}

impl CidrError {
    /// The code: [`codes::INVALID_CIDR`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_CIDR
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;
    /// Parses `a.b.c.d/n`; the error says what is wrong (including non-zero host bits, with
    /// the network that was probably meant).
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let input = || s.to_owned();
        let (ip, prefix) = s
            .split_once('/')
            .ok_or_else(|| CidrError::Notation { input: input() })?;
        let octets: Vec<&str> = ip.split('.').collect();
        if octets.len() != 4 {
            return Err(CidrError::Address {
                input: input(),
                address: ip.to_owned(),
            });
        }
        let mut addr = 0u32;
        for o in octets {
            let ok = !o.is_empty() && o.len() <= 3 && o.chars().all(|c| c.is_ascii_digit());
            let n: u32 =
                o.parse()
                    .ok()
                    .filter(|n| ok && *n <= 255)
                    .ok_or_else(|| CidrError::Octet {
                        input: input(),
                        octet: o.to_owned(),
                    })?;
            addr = (addr << 8) | n;
        }
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p: &u8| *p <= 32 && !prefix.starts_with('+'))
            .ok_or_else(|| CidrError::Prefix {
                input: input(),
                prefix: prefix.to_owned(),
            })?;
        Ipv4Cidr::new(addr, prefix).ok_or_else(|| {
            let net = Ipv4Cidr {
                addr: addr & mask(prefix),
                prefix,
            };
            CidrError::HostBits {
                input: input(),
                network: net,
            }
        })
    }
}

/// Why subnets cannot be carved out of a VPC ([`allocate`]); its code is
/// [`codes::INVALID_CIDR`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllocateError {
    /// A prefix shorter than the VPC's (or over 32).
    #[error("a /{prefix} subnet cannot be carved out of the /{} VPC {within}", within.prefix())]
    Prefix {
        /// The subnet prefix length asked for.
        prefix: u8,
        /// The VPC.
        within: Ipv4Cidr,
    },
    /// The subnets do not fit.
    #[error("the VPC {within} has no room for subnet {subnet} of {count} (/{prefix}); use a larger VPC or smaller subnets")]
    NoRoom {
        /// The VPC.
        within: Ipv4Cidr,
        /// The first subnet that does not fit, from 1.
        subnet: usize,
        /// How many subnets were asked for.
        count: usize,
        /// Its prefix length.
        prefix: u8,
    },
}

impl AllocateError {
    /// The code: [`codes::INVALID_CIDR`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_CIDR
    }
}

/// Allocates one block per prefix length, in order, from the start of `within`: each block is
/// aligned to its own size and follows the previous one. Errors when the blocks do not fit or
/// a prefix is shorter than the VPC's.
pub fn allocate(within: Ipv4Cidr, prefixes: &[u8]) -> Result<Vec<Ipv4Cidr>, AllocateError> {
    allocate_around(within, prefixes, &[])
}

/// [`allocate`], skipping the blocks that overlap `taken` (subnets given explicitly), so
/// computed subnets never collide with explicit ones. With nothing taken, the layout is
/// exactly [`allocate`]'s.
pub fn allocate_around(
    within: Ipv4Cidr,
    prefixes: &[u8],
    taken: &[Ipv4Cidr],
) -> Result<Vec<Ipv4Cidr>, AllocateError> {
    let mut cursor = u64::from(within.addr());
    let end = u64::from(within.last()) + 1;
    let mut out: Vec<Ipv4Cidr> = Vec::with_capacity(prefixes.len());
    for &p in prefixes {
        if p < within.prefix() || p > 32 {
            return Err(AllocateError::Prefix { prefix: p, within });
        }
        let size = 1u64 << (32 - u32::from(p));
        cursor = cursor.div_ceil(size) * size;
        loop {
            if cursor + size > end {
                return Err(AllocateError::NoRoom {
                    within,
                    subnet: out.len() + 1,
                    count: prefixes.len(),
                    prefix: p,
                });
            }
            // cursor < end <= 2^32, so it fits.
            let addr = u32::try_from(cursor).unwrap_or(u32::MAX);
            match Ipv4Cidr::new(addr, p) {
                Some(c) if taken.iter().any(|t| t.overlaps(c)) => cursor += size,
                Some(c) => {
                    out.push(c);
                    break;
                }
                None => cursor += size,
            }
        }
        cursor += size;
    }
    Ok(out)
}

/// The ranges a VPC may use: the private networks of RFC 1918 (10.0.0.0/8, 172.16.0.0/12,
/// 192.168.0.0/16) and the shared address space of RFC 6598 (100.64.0.0/10), which AWS
/// allows. Anything else (publicly routable, multicast such as 224.0.0.0/4, loopback,
/// link-local) would shadow addresses of the internet or cannot be routed at all.
pub const VPC_RANGES: &[(u32, u8)] = &[
    (0x0a00_0000, 8),
    (0xac10_0000, 12),
    (0xc0a8_0000, 16),
    (0x6440_0000, 10),
];

/// A VPC CIDR outside the private ranges ([`check_vpc_range`]); its code is
/// [`codes::INVALID_CIDR`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the VPC CIDR {cidr} is {range}, not a private network (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10)")]
#[non_exhaustive]
pub struct VpcRangeError {
    /// The CIDR given.
    pub cidr: Ipv4Cidr,
    /// The range it is in instead (`a multicast range`, `publicly routable addresses`, …).
    pub range: &'static str,
}

impl VpcRangeError {
    /// The code: [`codes::INVALID_CIDR`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_CIDR
    }
}

/// Checks that a VPC CIDR lies inside one of [`VPC_RANGES`].
pub fn check_vpc_range(c: Ipv4Cidr) -> Result<(), VpcRangeError> {
    let inside = VPC_RANGES
        .iter()
        .filter_map(|(a, p)| Ipv4Cidr::new(*a, *p))
        .any(|r| r.contains(c));
    if inside {
        return Ok(());
    }
    let what = match c.addr() >> 24 {
        224..=239 => "a multicast range",
        240..=255 => "a reserved range",
        127 => "the loopback range",
        0 => "the \"this network\" range",
        _ if (c.addr() >> 16) == 0xa9fe => "the link-local range",
        _ => "publicly routable addresses",
    };
    Err(VpcRangeError {
        cidr: c,
        range: what,
    })
}

/// Every problem with a set of named subnet CIDRs inside a VPC: a subnet outside the VPC, two
/// subnets that overlap, and subnet sizes AWS refuses (/16 to /28).
pub fn check_subnets(vpc: Ipv4Cidr, subnets: &[(String, Ipv4Cidr)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, c) in subnets {
        if !vpc.contains(*c) {
            problems.push(format!("subnet {name} ({c}) is outside the VPC {vpc}"));
        }
        if !(16..=28).contains(&c.prefix()) {
            problems.push(format!("subnet {name} ({c}): AWS subnets are /16 to /28"));
        }
    }
    for (i, (a, ca)) in subnets.iter().enumerate() {
        for (b, cb) in &subnets[i + 1..] {
            if ca.overlaps(*cb) {
                problems.push(format!("subnets {a} ({ca}) and {b} ({cb}) overlap"));
            }
        }
    }
    problems
}

/// Options of [`Network`].
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkProps {
    /// The VPC's IPv4 CIDR (a /16 to /28 network inside a private range, [`VPC_RANGES`]:
    /// RFC 1918 or 100.64.0.0/10).
    /// Default: `10.0.0.0/16`.
    pub cidr: String,
    /// Availability zones, picked in order from `Fn::GetAZs` (1 to 6).
    /// Default: `2`.
    pub az_count: u32,
    /// Prefix length of each public subnet (ALB and NAT gateways live there).
    /// Default: `24` (256 addresses).
    pub public_subnet_prefix: u8,
    /// Prefix length of each private subnet (tasks and databases live there).
    /// Default: `20` (4,096 addresses).
    pub private_subnet_prefix: u8,
    /// Explicit public subnet CIDRs, one per AZ, instead of the computed ones. They are checked
    /// against the VPC and each other.
    /// Default: `None` (computed from `public_subnet_prefix`).
    pub public_subnet_cidrs: Option<Vec<String>>,
    /// Explicit private subnet CIDRs, one per AZ, instead of the computed ones.
    /// Default: `None` (computed from `private_subnet_prefix`).
    pub private_subnet_cidrs: Option<Vec<String>>,
    /// One NAT gateway for all AZs instead of one per AZ: cheaper, but an AZ outage cuts
    /// outbound traffic of the other AZs.
    /// Default: `false` (one NAT gateway per AZ).
    pub single_nat: bool,
    /// VPC flow logs (all traffic) to a CloudWatch log group.
    /// Default: `true`.
    pub flow_logs: bool,
    /// Retention of the flow-log group, in days (a CloudWatch Logs retention value).
    /// Default: `365` (a year of network audit trail).
    pub flow_log_retention_days: Val<i64>,
}

impl Default for NetworkProps {
    fn default() -> Self {
        NetworkProps {
            cidr: "10.0.0.0/16".into(),
            az_count: 2,
            public_subnet_prefix: 24,
            private_subnet_prefix: 20,
            public_subnet_cidrs: None,
            private_subnet_cidrs: None,
            single_nat: false,
            flow_logs: true,
            flow_log_retention_days: 365.into(),
        }
    }
}

/// The retention values CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// A VPC with public and private subnets. For a VPC that already exists, use
/// [`crate::refs::ExistingVpc`]; patterns take either through [`VpcRef`].
#[derive(Clone, Debug)]
pub struct Network {
    /// The VPC's ID.
    pub vpc_id: Val<String>,
    /// The VPC's CIDR.
    pub cidr: Ipv4Cidr,
    /// The VPC (`<id>Vpc`).
    pub vpc: Handle<ec2::Vpc>,
    /// Public subnet IDs, one per AZ.
    pub public_subnet_ids: Vec<Val<String>>,
    /// Private subnet IDs, one per AZ.
    pub private_subnet_ids: Vec<Val<String>>,
    /// The public subnets (`<id>PublicSubnet<n>`).
    pub public_subnets: Vec<Handle<ec2::Subnet>>,
    /// The private subnets (`<id>PrivateSubnet<n>`).
    pub private_subnets: Vec<Handle<ec2::Subnet>>,
    /// The computed (or given) CIDRs of the public subnets.
    pub public_cidrs: Vec<Ipv4Cidr>,
    /// The computed (or given) CIDRs of the private subnets.
    pub private_cidrs: Vec<Ipv4Cidr>,
    /// The internet gateway (`<id>InternetGateway`).
    pub internet_gateway: Handle<ec2::InternetGateway>,
    /// Its attachment to the VPC (`<id>GatewayAttachment`).
    pub gateway_attachment: Handle<ec2::VpcGatewayAttachment>,
    /// NAT gateways (`<id>NatGateway<n>`): one per AZ, or one with `single_nat`.
    pub nat_gateways: Vec<Handle<ec2::NatGateway>>,
    /// The public route table (`<id>PublicRouteTable`).
    pub public_route_table: Handle<ec2::RouteTable>,
    /// The private route tables (`<id>PrivateRouteTable<n>`), one per AZ.
    pub private_route_tables: Vec<Handle<ec2::RouteTable>>,
    /// The public default route (`<id>PublicRoute`).
    pub public_route: Handle<ec2::Route>,
    /// The private default routes through NAT (`<id>PrivateRoute<n>`).
    pub private_routes: Vec<Handle<ec2::Route>>,
    /// The flow log (`<id>FlowLog`), with its group and role; `None` without flow logs.
    pub flow_log: Option<Handle<ec2::FlowLog>>,
    /// The flow log's log group (`<id>FlowLogGroup`).
    pub flow_log_group: Option<Handle<logs::LogGroup>>,
    /// The flow log's delivery role (`<id>FlowLogRole`).
    pub flow_log_role: Option<Handle<iam::Role>>,
}

impl VpcRef for Network {
    fn vpc_id(&self) -> Val<String> {
        self.vpc_id.clone()
    }
    fn public_subnet_ids(&self) -> Vec<Val<String>> {
        self.public_subnet_ids.clone()
    }
    fn private_subnet_ids(&self) -> Vec<Val<String>> {
        self.private_subnet_ids.clone()
    }
    fn internet_dependencies(&self) -> Vec<Handle<Raw>> {
        vec![self.gateway_attachment.erase(), self.public_route.erase()]
    }
    fn egress_dependencies(&self) -> Vec<Handle<Raw>> {
        self.private_routes.iter().map(|h| h.erase()).collect()
    }
}

impl Network {
    /// Creates the VPC, subnets, gateways and routes under `scope.child(id)`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: NetworkProps) -> Self {
        let mut s = scope.child(id);
        let plan = plan(&mut s, &props);
        let az_count = plan.public.len();

        let vpc = s.add(
            "Vpc",
            ec2::Vpc {
                cidr_block: Some(plan.vpc.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                tags: Some(vec![name_tag("vpc")]),
                ..Default::default()
            },
        );
        let vpc_id = vpc.reference();
        let igw = s.add(
            "InternetGateway",
            ec2::InternetGateway {
                tags: Some(vec![name_tag("igw")]),
            },
        );
        let attachment = s.add(
            "GatewayAttachment",
            ec2::VpcGatewayAttachment {
                internet_gateway_id: Some(igw.reference()),
                ..ec2::VpcGatewayAttachment::new(vpc_id.clone())
            },
        );

        // Public subnets share one route table with a default route to the internet gateway.
        let public_rt = s.add(
            "PublicRouteTable",
            ec2::RouteTable {
                tags: Some(vec![name_tag("public")]),
                ..ec2::RouteTable::new(vpc_id.clone())
            },
        );
        let public_route = s.add(
            "PublicRoute",
            ec2::Route {
                destination_cidr_block: Some("0.0.0.0/0".into()),
                gateway_id: Some(igw.reference()),
                ..ec2::Route::new(public_rt.reference())
            },
        );
        // The route needs the gateway attached; the reference to the gateway alone does not
        // order it after the attachment.
        s.depends_on(public_route, attachment);

        let mut public_subnets = Vec::new();
        for (i, cidr) in plan.public.iter().enumerate() {
            let n = i + 1;
            let subnet = s.add(
                &format!("PublicSubnet{n}"),
                ec2::Subnet {
                    cidr_block: Some(cidr.to_string().into()),
                    availability_zone: Some(az(i)),
                    // Nothing in a public subnet needs an automatic public IP: the NAT gateways
                    // have Elastic IPs and the load balancer gets its own.
                    map_public_ip_on_launch: Some(false.into()),
                    tags: Some(vec![name_tag(&format!("public-{n}"))]),
                    ..ec2::Subnet::new(vpc_id.clone())
                },
            );
            s.protect(subnet, &["MapPublicIpOnLaunch"], "automatic public IPs");
            s.add(
                &format!("PublicSubnet{n}RouteTableAssociation"),
                ec2::SubnetRouteTableAssociation::new(public_rt.reference(), subnet.reference()),
            );
            public_subnets.push(subnet);
        }

        let nat_count = if props.single_nat {
            1.min(az_count)
        } else {
            az_count
        };
        let mut nat_gateways = Vec::new();
        for (i, public) in public_subnets.iter().take(nat_count).enumerate() {
            let n = i + 1;
            let eip = s.add(
                &format!("NatEip{n}"),
                ec2::Eip {
                    domain: Some("vpc".into()),
                    tags: Some(vec![name_tag(&format!("nat-{n}"))]),
                    ..Default::default()
                },
            );
            s.depends_on(eip, attachment);
            let nat = s.add(
                &format!("NatGateway{n}"),
                ec2::NatGateway {
                    allocation_id: Some(eip.attr_allocation_id()),
                    subnet_id: Some(public.reference()),
                    tags: Some(vec![name_tag(&format!("nat-{n}"))]),
                    ..Default::default()
                },
            );
            nat_gateways.push(nat);
        }

        let mut private_subnets = Vec::new();
        let mut private_route_tables = Vec::new();
        let mut private_routes = Vec::new();
        for (i, cidr) in plan.private.iter().enumerate() {
            let n = i + 1;
            let subnet = s.add(
                &format!("PrivateSubnet{n}"),
                ec2::Subnet {
                    cidr_block: Some(cidr.to_string().into()),
                    availability_zone: Some(az(i)),
                    map_public_ip_on_launch: Some(false.into()),
                    tags: Some(vec![name_tag(&format!("private-{n}"))]),
                    ..ec2::Subnet::new(vpc_id.clone())
                },
            );
            s.protect(subnet, &["MapPublicIpOnLaunch"], "automatic public IPs");
            let rt = s.add(
                &format!("PrivateRouteTable{n}"),
                ec2::RouteTable {
                    tags: Some(vec![name_tag(&format!("private-{n}"))]),
                    ..ec2::RouteTable::new(vpc_id.clone())
                },
            );
            s.add(
                &format!("PrivateSubnet{n}RouteTableAssociation"),
                ec2::SubnetRouteTableAssociation::new(rt.reference(), subnet.reference()),
            );
            if let Some(nat) = nat_gateways.get(if props.single_nat { 0 } else { i }) {
                let route = s.add(
                    &format!("PrivateRoute{n}"),
                    ec2::Route {
                        destination_cidr_block: Some("0.0.0.0/0".into()),
                        nat_gateway_id: Some(nat.reference()),
                        ..ec2::Route::new(rt.reference())
                    },
                );
                private_routes.push(route);
            }
            private_subnets.push(subnet);
            private_route_tables.push(rt);
        }

        let (flow_log, flow_log_group, flow_log_role) = if props.flow_logs {
            let (f, g, r) = flow_logs(&mut s, vpc, props.flow_log_retention_days.clone());
            (Some(f), Some(g), Some(r))
        } else {
            (None, None, None)
        };

        Network {
            vpc_id,
            cidr: plan.vpc,
            vpc,
            public_subnet_ids: public_subnets.iter().map(|h| h.reference()).collect(),
            private_subnet_ids: private_subnets.iter().map(|h| h.reference()).collect(),
            public_subnets,
            private_subnets,
            public_cidrs: plan.public,
            private_cidrs: plan.private,
            internet_gateway: igw,
            gateway_attachment: attachment,
            nat_gateways,
            public_route_table: public_rt,
            private_route_tables,
            public_route,
            private_routes,
            flow_log,
            flow_log_group,
            flow_log_role,
        }
    }
}

struct Plan {
    vpc: Ipv4Cidr,
    public: Vec<Ipv4Cidr>,
    private: Vec<Ipv4Cidr>,
}

/// Resolves and checks the CIDRs; every problem becomes a diagnostic and a usable fallback
/// keeps building going.
fn plan(s: &mut Scope<'_>, props: &NetworkProps) -> Plan {
    let fallback_vpc = Ipv4Cidr {
        addr: 0x0a00_0000,
        prefix: 16,
    };
    let vpc = match props.cidr.parse::<Ipv4Cidr>() {
        Ok(c) if !(16..=28).contains(&c.prefix()) => {
            s.error(
                codes::INVALID_CIDR,
                "Vpc",
                Some("Properties.CidrBlock"),
                format!("the VPC CIDR {c} is not a /16 to /28 network"),
                "use e.g. 10.0.0.0/16",
            );
            fallback_vpc
        }
        Ok(c) => match check_vpc_range(c) {
            Ok(()) => c,
            Err(why) => {
                s.error(
                    codes::INVALID_CIDR,
                    "Vpc",
                    Some("Properties.CidrBlock"),
                    why.to_string(),
                    "use a private network such as 10.0.0.0/16",
                );
                fallback_vpc
            }
        },
        Err(why) => {
            s.error(
                codes::INVALID_CIDR,
                "Vpc",
                Some("Properties.CidrBlock"),
                why.to_string(),
                "use e.g. 10.0.0.0/16",
            );
            fallback_vpc
        }
    };
    let mut azs = props.az_count as usize;
    if !(1..=6).contains(&props.az_count) {
        s.error(
            codes::INVALID_NETWORK,
            "Vpc",
            None,
            format!("az_count is {}; it must be 1 to 6", props.az_count),
            "use 2 or 3 availability zones",
        );
        azs = azs.clamp(1, 6);
    }
    let explicit = |s: &mut Scope<'_>, kind: &str, list: &[String]| -> Vec<Ipv4Cidr> {
        if list.len() != azs {
            s.error(
                codes::INVALID_NETWORK,
                &format!("{kind}Subnet1"),
                Some("Properties.CidrBlock"),
                format!(
                    "{} {} subnet CIDR(s) given for {azs} availability zone(s)",
                    list.len(),
                    kind.to_lowercase()
                ),
                "give exactly one CIDR per availability zone",
            );
        }
        let mut out = Vec::new();
        for (i, c) in list.iter().enumerate() {
            match c.parse::<Ipv4Cidr>() {
                Ok(c) => out.push(c),
                Err(why) => s.error(
                    codes::INVALID_CIDR,
                    &format!("{kind}Subnet{}", i + 1),
                    Some("Properties.CidrBlock"),
                    why.to_string(),
                    "use a network inside the VPC, e.g. 10.0.0.0/24",
                ),
            }
        }
        out
    };
    // Explicit CIDRs first, so the computed ones go around them.
    let explicit_public = props
        .public_subnet_cidrs
        .as_ref()
        .map(|list| explicit(s, "Public", list));
    let explicit_private = props
        .private_subnet_cidrs
        .as_ref()
        .map(|list| explicit(s, "Private", list));
    let taken: Vec<Ipv4Cidr> = explicit_public
        .iter()
        .chain(explicit_private.iter())
        .flatten()
        .copied()
        .collect();
    // Computed CIDRs: public blocks first, then private, each aligned to its size.
    let mut prefixes = Vec::new();
    if props.public_subnet_cidrs.is_none() {
        prefixes.extend(std::iter::repeat_n(props.public_subnet_prefix, azs));
    }
    if props.private_subnet_cidrs.is_none() {
        prefixes.extend(std::iter::repeat_n(props.private_subnet_prefix, azs));
    }
    let mut computed = match allocate_around(vpc, &prefixes, &taken) {
        Ok(c) => c,
        Err(why) => {
            s.error(
                codes::INVALID_CIDR,
                "Vpc",
                Some("Properties.CidrBlock"),
                why.to_string(),
                "use a larger VPC (e.g. /16) or longer subnet prefixes",
            );
            Vec::new()
        }
    }
    .into_iter();
    let public = match explicit_public {
        Some(list) => list,
        None => computed.by_ref().take(azs).collect(),
    };
    let private = match explicit_private {
        Some(list) => list,
        None => computed.by_ref().take(azs).collect(),
    };
    let named: Vec<(String, Ipv4Cidr)> = public
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("PublicSubnet{}", i + 1), *c))
        .chain(
            private
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("PrivateSubnet{}", i + 1), *c)),
        )
        .collect();
    for problem in check_subnets(vpc, &named) {
        let at = named
            .iter()
            .find(|(n, _)| problem.contains(n.as_str()))
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| "Vpc".into());
        s.error(
            codes::INVALID_CIDR,
            &at,
            Some("Properties.CidrBlock"),
            problem,
            "give every subnet its own range inside the VPC CIDR",
        );
    }
    Plan {
        vpc,
        public,
        private,
    }
}

/// `Fn::Select [i, Fn::GetAZs ""]`.
fn az(i: usize) -> Val<String> {
    fns::select(u32::try_from(i).unwrap_or(0), fns::get_azs())
}

fn name_tag(suffix: &str) -> Tag {
    Tag::new("Name", sub!(pseudo::stack_name(), "-", suffix.to_owned()))
}

fn flow_logs(
    s: &mut Scope<'_>,
    vpc: Handle<ec2::Vpc>,
    retention_days: Val<i64>,
) -> (
    Handle<ec2::FlowLog>,
    Handle<logs::LogGroup>,
    Handle<iam::Role>,
) {
    s.check_values(
        codes::INVALID_NETWORK,
        "FlowLogGroup",
        Some("Properties.RetentionInDays"),
        &[retention_days.expr()],
        |v| match crate::fargate::base::as_u64(&v[0]) {
            Some(d) if LOG_RETENTION_DAYS.iter().any(|r| u64::from(*r) == d) => Ok(()),
            _ => Err(format!(
                "{} days is not a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, …)",
                v[0]
            )),
        },
    );
    let group = s.add(
        "FlowLogGroup",
        logs::LogGroup {
            retention_in_days: Some(retention_days),
            ..Default::default()
        },
    );
    s.skip_checkov(
        group,
        "CKV_AWS_158",
        "Flow logs are encrypted at rest by CloudWatch Logs with an AWS-owned key; a customer-managed key needs a key policy for logs.<region>.amazonaws.com that nothing offline can verify",
    );
    let role = s.add(
        "FlowLogRole",
        iam::Role {
            description: Some("Delivers the VPC flow logs to their log group".into()),
            policies: Some(vec![iam::role::Policy::new(
                json_val(json!({
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                            "Resource": "__GROUP_ARN__"
                        },
                        {
                            "Effect": "Allow",
                            "Action": "logs:DescribeLogGroups",
                            "Resource": "__ALL_GROUPS__"
                        }
                    ]
                }))
                .replace_marker("__GROUP_ARN__", group.attr_arn())
                .replace_marker(
                    "__ALL_GROUPS__",
                    sub!(
                        "arn:",
                        pseudo::partition(),
                        ":logs:",
                        pseudo::region(),
                        ":",
                        pseudo::account_id(),
                        ":log-group:*"
                    ),
                ),
                "flow-log-delivery",
            )]),
            ..iam::Role::new(json_val(json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "__ACCOUNT__"}}
                }]
            }))
            .replace_marker("__ACCOUNT__", pseudo::account_id()))
        },
    );
    let flow_log = s.add(
        "FlowLog",
        ec2::FlowLog {
            deliver_logs_permission_arn: Some(role.attr_arn()),
            log_destination_type: Some(ec2::flow_log::LogDestinationType::CloudWatchLogs.into()),
            log_group_name: Some(group.reference()),
            traffic_type: Some(ec2::flow_log::TrafficType::All.into()),
            ..ec2::FlowLog::new(vpc.reference(), ec2::flow_log::ResourceType::Vpc)
        },
    );
    (flow_log, group, role)
}

/// A JSON policy document with string markers that are replaced by values (references).
pub(crate) struct JsonDoc(serde_json::Value, Vec<(String, stackforge::Expr)>);

pub(crate) fn json_val(v: serde_json::Value) -> JsonDoc {
    JsonDoc(v, Vec::new())
}

impl JsonDoc {
    /// Replaces every string equal to `marker` with `value`.
    pub(crate) fn replace_marker(self, marker: &str, value: Val<String>) -> Self {
        self.replace_expr(marker, value.into_expr())
    }
    /// Replaces every string equal to `marker` with an expression (e.g. a list).
    pub(crate) fn replace_expr(mut self, marker: &str, value: stackforge::Expr) -> Self {
        self.1.push((marker.to_owned(), value));
        self
    }
}

impl From<JsonDoc> for Val<stackforge::Json> {
    fn from(d: JsonDoc) -> Self {
        Val::from_expr(to_expr(d.0, &d.1))
    }
}

fn to_expr(v: serde_json::Value, markers: &[(String, stackforge::Expr)]) -> stackforge::Expr {
    use stackforge::Expr;
    match v {
        serde_json::Value::String(s) => markers
            .iter()
            .find(|(m, _)| *m == s)
            .map(|(_, e)| e.clone())
            .unwrap_or(Expr::Str(s)),
        serde_json::Value::Array(a) => {
            Expr::List(a.into_iter().map(|x| to_expr(x, markers)).collect())
        }
        serde_json::Value::Object(o) => Expr::Map(
            o.into_iter()
                .map(|(k, x)| (k, to_expr(x, markers)))
                .collect(),
        ),
        other => Expr::Json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    #[test]
    fn parses_and_prints() {
        assert_eq!(c("10.0.0.0/16").to_string(), "10.0.0.0/16");
        assert_eq!(c("10.0.0.0/16").size(), 65536);
        let e = "10.0.0.1/16".parse::<Ipv4Cidr>().unwrap_err();
        assert_eq!(
            e,
            CidrError::HostBits {
                input: "10.0.0.1/16".into(),
                network: c("10.0.0.0/16")
            }
        );
        assert_eq!(e.code().as_str(), "SFM005");
        assert_eq!(
            e.to_string(),
            "`10.0.0.1/16` has host bits set; the network is `10.0.0.0/16`"
        );
        assert!("10.0.0/16".parse::<Ipv4Cidr>().is_err());
        assert!("10.0.0.256/32".parse::<Ipv4Cidr>().is_err());
        assert!("10.0.0.0/33".parse::<Ipv4Cidr>().is_err());
        assert!("10.0.0.0".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn containment_and_overlap() {
        assert!(c("10.0.0.0/16").contains(c("10.0.255.0/24")));
        assert!(!c("10.0.0.0/16").contains(c("10.1.0.0/24")));
        assert!(!c("10.0.0.0/16").contains(c("10.0.0.0/8")));
        assert!(c("10.0.0.0/20").overlaps(c("10.0.15.0/24")));
        assert!(!c("10.0.0.0/20").overlaps(c("10.0.16.0/24")));
    }

    #[test]
    fn default_layout_is_two_public_24s_and_two_private_20s() {
        let got = allocate(c("10.0.0.0/16"), &[24, 24, 20, 20]).unwrap();
        let got: Vec<String> = got.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            ["10.0.0.0/24", "10.0.1.0/24", "10.0.16.0/20", "10.0.32.0/20"]
        );
    }

    #[test]
    fn allocation_that_does_not_fit_is_an_error() {
        assert!(allocate(c("10.0.0.0/24"), &[25, 25, 25]).is_err());
        assert!(allocate(c("10.0.0.0/24"), &[16]).is_err());
        assert_eq!(allocate(c("10.0.0.0/24"), &[25, 25]).unwrap().len(), 2);
    }

    #[test]
    fn overlapping_and_outside_subnets_are_reported() {
        let vpc = c("10.0.0.0/16");
        let p = check_subnets(
            vpc,
            &[
                ("A".into(), c("10.0.0.0/24")),
                ("B".into(), c("10.0.0.128/25")),
                ("C".into(), c("10.1.0.0/24")),
            ],
        );
        assert!(p.iter().any(|x| x.contains("A") && x.contains("overlap")));
        assert!(p.iter().any(|x| x.contains("C") && x.contains("outside")));
        assert_eq!(p.len(), 2);
    }
}
