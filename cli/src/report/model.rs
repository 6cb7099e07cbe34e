//! The report's view model: what the templates of an assembly build, typed and ready to
//! render. Everything here is derived from the templates and the manifest; nothing is
//! guessed from names.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use super::cfn::{boolean, int, list, show, Assembly, Key, Res};

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The page title.
    pub title: String,
    /// Stacks and resources counted.
    pub resource_count: usize,
    /// Everything reachable from the internet (listed first in the page).
    pub exposed: Vec<Exposure>,
    /// VPCs with their zones and subnets.
    pub vpcs: Vec<VpcView>,
    /// What runs: load balancers, services, databases, caches, instances, functions, NAT
    /// gateways, endpoints; regional services too (tables, buckets, queues).
    pub workloads: Vec<Workload>,
    /// Listener → target group → service → database.
    pub edges: Vec<Edge>,
    /// Every security-group rule, source → destination → port.
    pub rules: Vec<Rule>,
    /// IAM roles and what they may do.
    pub roles: Vec<RoleView>,
    /// Secrets and who reads them.
    pub secrets: Vec<SecretView>,
    /// What costs money, counted.
    pub costs: Vec<CostLine>,
    /// The stacks in deploy order.
    pub stacks: Vec<StackView>,
    /// Skipped and suppressed checks with their reasons.
    pub checks: Vec<CheckView>,
    /// With `--against`: what the change adds, removes, replaces and modifies.
    pub changes: Option<Vec<ChangeView>>,
}

/// One port reachable from the internet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Exposure {
    /// The resource (load balancer, instance, …).
    pub resource: String,
    /// Its kind, for people.
    pub kind: String,
    /// `tcp`, `udp`, `all`.
    pub protocol: String,
    /// The first port (0 with `all`).
    pub from_port: i64,
    /// The last port.
    pub to_port: i64,
    /// `80`, `1024-65535`, `all`.
    pub ports: String,
    /// Where from: `0.0.0.0/0`, `::/0`, a prefix list.
    pub peer: String,
    /// The rule's description.
    pub description: String,
}

/// A VPC.
#[derive(Debug, Clone, Serialize)]
pub struct VpcView {
    /// The VPC's name.
    pub name: String,
    /// Its CIDR.
    pub cidr: String,
    /// Whether an internet gateway is attached.
    pub internet_gateway: bool,
    /// Its availability zones, in order.
    pub azs: Vec<AzView>,
}

/// An availability zone of a VPC.
#[derive(Debug, Clone, Serialize)]
pub struct AzView {
    /// `AZ 1` for `Fn::Select [0, Fn::GetAZs]`, or the literal zone.
    pub name: String,
    /// Its subnets, public first, then by CIDR.
    pub subnets: Vec<SubnetView>,
}

/// A subnet.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetView {
    /// The subnet's name.
    pub name: String,
    /// Its CIDR.
    pub cidr: String,
    /// Routed to an internet gateway.
    pub public: bool,
    /// What runs in it (workload names).
    pub workloads: Vec<String>,
    /// Change mark with `--against`.
    pub change: Option<&'static str>,
}

/// Something that runs or stores: a box in the picture.
#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    /// The resource's name.
    pub name: String,
    /// `load-balancer`, `service`, `database`, `cache`, `instance`, `function`, `nat`,
    /// `endpoint`, `group`, `table`, `bucket`, `queue`, `topic`, `api`, `repository`.
    pub kind: &'static str,
    /// One line: `2 tasks`, `db.t4g.micro, Multi-AZ`, …
    pub detail: String,
    /// The subnets it is placed in (names).
    pub subnets: Vec<String>,
    /// Internet-facing (a public load balancer, a public IP in a public subnet).
    pub public: bool,
    /// Change mark with `--against`.
    pub change: Option<&'static str>,
    #[serde(skip)]
    key: Option<Key>,
    #[serde(skip)]
    groups: Vec<Key>,
}

/// A step of a request's path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Edge {
    /// From.
    pub from: String,
    /// To.
    pub to: String,
    /// How: `HTTP 80`, `forward to port 3000`, `tcp 5432`.
    pub label: String,
}

/// One security-group rule, as traffic from a source to a destination.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Rule {
    /// From the internet (0.0.0.0/0, ::/0, a prefix list) into something.
    pub open: bool,
    /// Source: a CIDR, a prefix list, or what uses the source group.
    pub source: String,
    /// Destination.
    pub destination: String,
    /// `tcp 80`, `all`.
    pub ports: String,
    /// The rule's description.
    pub description: String,
    /// Where it is written: `ingress of G`, `egress of G`.
    pub written_as: String,
}

/// One IAM role.
#[derive(Debug, Clone, Serialize)]
pub struct RoleView {
    /// The role's name.
    pub name: String,
    /// Who may assume it.
    pub trusted_by: Vec<String>,
    /// Resources that use it (task definitions, instance profiles, functions).
    pub used_by: Vec<String>,
    /// Its statements (inline policies and policies attached in the templates).
    pub statements: Vec<StatementView>,
    /// AWS managed policies attached by ARN (their contents are not expanded).
    pub managed: Vec<String>,
    /// Whether any action or resource has a wildcard.
    pub wildcard: bool,
}

/// One policy statement.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    /// `Allow` or `Deny`.
    pub effect: String,
    /// The policy it comes from.
    pub policy: String,
    /// Actions, wildcards flagged.
    pub actions: Vec<Item>,
    /// Resources, wildcards flagged.
    pub resources: Vec<Item>,
    /// Whether it has a condition.
    pub condition: bool,
}

/// A text with a wildcard flag.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// The text.
    pub text: String,
    /// Contains `*`.
    pub wildcard: bool,
}

/// One secret.
#[derive(Debug, Clone, Serialize)]
pub struct SecretView {
    /// The secret's name.
    pub name: String,
    /// Where it is stored and with which key.
    pub stored: String,
    /// Who reads it and how.
    pub readers: Vec<String>,
    /// Change mark with `--against`.
    pub change: Option<&'static str>,
}

/// One cost driver, counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CostLine {
    /// What.
    pub item: String,
    /// How many.
    pub count: i64,
    /// Details (classes, sizes).
    pub detail: String,
}

/// One stack.
#[derive(Debug, Clone, Serialize)]
pub struct StackView {
    /// 1-based deploy order.
    pub order: usize,
    /// The stack's name.
    pub name: String,
    /// Its environment.
    pub environment: String,
    /// Stacks it deploys after.
    pub depends_on: Vec<String>,
    /// Resources.
    pub resources: usize,
    /// Outputs: name, description, export name.
    pub outputs: Vec<OutputView>,
    /// Exports it imports, with the stack that makes each.
    pub imports: Vec<String>,
}

/// One output.
#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    /// The output's name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its export name, if exported.
    pub export: String,
}

/// A skipped or suppressed check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CheckView {
    /// The resource.
    pub resource: String,
    /// `checkov`, `cfn-lint`, `cfn-guard`.
    pub tool: String,
    /// The check's ID.
    pub id: String,
    /// The reason written next to it.
    pub reason: String,
}

/// One changed resource (`--against`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ChangeView {
    /// `added`, `removed`, `replaced`, `modified`.
    pub action: &'static str,
    /// The resource.
    pub resource: String,
    /// Its type.
    pub type_name: String,
    /// The properties that force a replacement, or that changed.
    pub detail: String,
}

/// What `--against` found, per resource (stack name, logical ID).
pub type Changes = BTreeMap<(String, String), &'static str>;

const IGW: &str = "AWS::EC2::InternetGateway";

/// Builds the report of the stacks (in deploy order). `changes` marks resources.
pub fn build(a: &Assembly<'_>, changes: Option<(&Changes, Vec<ChangeView>)>) -> Report {
    let mark = |k: &Key| -> Option<&'static str> {
        let (c, _) = changes.as_ref()?;
        c.get(&(a.stacks[k.stack].name().to_owned(), k.id.clone()))
            .copied()
    };
    let public_subnets = public_subnets(a);
    let mut workloads = workloads(a, &public_subnets);
    for w in &mut workloads {
        w.change = w.key.as_ref().and_then(mark);
    }
    let vpcs = vpcs(a, &public_subnets, &workloads, &mark);
    let group_users = group_users(&workloads);
    let rules = rules(a, &group_users);
    let exposed = exposed(a, &workloads);
    let edges = edges(a, &group_users);
    let roles = roles(a);
    let secrets = secrets(a, &mark);
    let costs = costs(a);
    let stacks = stacks(a);
    let checks = checks(a);
    let title = format!(
        "stackforge report: {}",
        a.stacks
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Report {
        title,
        resource_count: a.resources.len(),
        exposed,
        vpcs,
        workloads,
        edges,
        rules,
        roles,
        secrets,
        costs,
        stacks,
        checks,
        changes: changes.map(|(_, v)| v),
    }
}

/// Subnets whose route table sends traffic to an internet gateway.
fn public_subnets(a: &Assembly<'_>) -> BTreeSet<Key> {
    let mut igw_tables = BTreeSet::new();
    for r in a.of_type("AWS::EC2::Route") {
        let gw = r.prop("GatewayId");
        let to_igw = match a.target(r.stack, gw) {
            Some(k) => a.get(&k).is_some_and(|g| g.ty == IGW),
            None => gw.as_str().is_some_and(|s| s.starts_with("igw-")),
        };
        if to_igw {
            if let Some(t) = a.target(r.stack, r.prop("RouteTableId")) {
                igw_tables.insert(t);
            }
        }
    }
    a.of_type("AWS::EC2::SubnetRouteTableAssociation")
        .filter(|r| {
            a.target(r.stack, r.prop("RouteTableId"))
                .is_some_and(|t| igw_tables.contains(&t))
        })
        .filter_map(|r| a.target(r.stack, r.prop("SubnetId")))
        .collect()
}

fn subnet_ids(a: &Assembly<'_>, r: &Res<'_>, v: &Json) -> Vec<Key> {
    a.targets(r.stack, v)
        .into_iter()
        .filter(|k| a.get(k).is_some_and(|s| s.ty == "AWS::EC2::Subnet"))
        .collect()
}

/// The subnets of a subnet group (`DBSubnetGroupName`, `CacheSubnetGroupName`).
fn group_subnets(a: &Assembly<'_>, r: &Res<'_>, group: &Json) -> Vec<Key> {
    match a.target(r.stack, group).and_then(|k| a.get(&k)) {
        Some(g) => subnet_ids(a, g, g.prop("SubnetIds")),
        None => Vec::new(),
    }
}

fn groups(a: &Assembly<'_>, r: &Res<'_>, v: &Json) -> Vec<Key> {
    a.targets(r.stack, v)
        .into_iter()
        .filter(|k| a.get(k).is_some_and(|s| s.ty == "AWS::EC2::SecurityGroup"))
        .collect()
}

fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Everything that runs or stores, with where it runs and which groups it uses.
fn workloads(a: &Assembly<'_>, public: &BTreeSet<Key>) -> Vec<Workload> {
    let mut out = Vec::new();
    for r in a.resources.values() {
        let p = |n: &str| r.prop(n);
        let mut w = Workload {
            name: a.name(&r.key()),
            kind: "",
            detail: String::new(),
            subnets: Vec::new(),
            public: false,
            change: None,
            key: Some(r.key()),
            groups: Vec::new(),
        };
        let mut subnets = Vec::new();
        match r.ty {
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                w.kind = "load-balancer";
                let internal = p("Scheme").as_str() == Some("internal");
                w.public = !internal;
                let ty = match p("Type").as_str().unwrap_or("application") {
                    "application" => "ALB",
                    "network" => "NLB",
                    "gateway" => "GWLB",
                    _ => "load balancer",
                };
                w.detail = format!(
                    "{}, {}",
                    ty,
                    if internal {
                        "internal"
                    } else {
                        "internet-facing"
                    }
                );
                subnets = subnet_ids(a, r, p("Subnets"));
                for m in list(p("SubnetMappings")) {
                    subnets.extend(subnet_ids(a, r, m.get("SubnetId").unwrap_or(&Json::Null)));
                }
                w.groups = groups(a, r, p("SecurityGroups"));
            }
            "AWS::ECS::Service" => {
                w.kind = "service";
                let n = int(p("DesiredCount")).unwrap_or(1);
                let launch = p("LaunchType").as_str().unwrap_or("ECS");
                w.detail = format!("{}, {}", launch, plural(n, "task", "tasks"));
                let cfg = p("NetworkConfiguration")
                    .get("AwsvpcConfiguration")
                    .unwrap_or(&Json::Null);
                subnets = subnet_ids(a, r, cfg.get("Subnets").unwrap_or(&Json::Null));
                w.groups = groups(a, r, cfg.get("SecurityGroups").unwrap_or(&Json::Null));
                let public_ip = cfg.get("AssignPublicIp").and_then(Json::as_str) == Some("ENABLED");
                w.public = public_ip && subnets.iter().any(|s| public.contains(s));
            }
            "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => {
                if r.ty == "AWS::RDS::DBInstance" && !p("DBClusterIdentifier").is_null() {
                    continue;
                }
                w.kind = "database";
                let engine = show(p("Engine"));
                let class = show(p("DBInstanceClass"));
                let class = if class.is_empty() {
                    show(p("DBClusterInstanceClass"))
                } else {
                    class
                };
                let multi = boolean(p("MultiAZ")) == Some(true);
                w.detail = [
                    engine,
                    class,
                    if multi {
                        "Multi-AZ".into()
                    } else {
                        String::new()
                    },
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
                subnets = group_subnets(a, r, p("DBSubnetGroupName"));
                w.groups = groups(a, r, p("VPCSecurityGroups"));
                w.groups.extend(groups(a, r, p("VpcSecurityGroupIds")));
                w.public = boolean(p("PubliclyAccessible")) == Some(true)
                    && subnets.iter().any(|s| public.contains(s));
            }
            "AWS::ElastiCache::ReplicationGroup" | "AWS::ElastiCache::CacheCluster" => {
                w.kind = "cache";
                let nodes = int(p("NumCacheClusters"))
                    .or(int(p("NumCacheNodes")))
                    .unwrap_or(1);
                w.detail = format!(
                    "{} {}, {}",
                    show(p("Engine")),
                    show(p("CacheNodeType")),
                    plural(nodes, "node", "nodes")
                );
                subnets = group_subnets(a, r, p("CacheSubnetGroupName"));
                w.groups = groups(a, r, p("SecurityGroupIds"));
                w.groups.extend(groups(a, r, p("VpcSecurityGroupIds")));
            }
            "AWS::EC2::Instance" => {
                w.kind = "instance";
                let mut public_ip = false;
                subnets = subnet_ids(a, r, p("SubnetId"));
                w.groups = groups(a, r, p("SecurityGroupIds"));
                for ni in list(p("NetworkInterfaces")) {
                    let get = |k: &str| ni.get(k).unwrap_or(&Json::Null);
                    subnets.extend(subnet_ids(a, r, get("SubnetId")));
                    w.groups.extend(groups(a, r, get("GroupSet")));
                    public_ip |= boolean(get("AssociatePublicIpAddress")) == Some(true);
                }
                public_ip |= subnets.iter().any(|s| {
                    a.get(s)
                        .is_some_and(|s| boolean(s.prop("MapPublicIpOnLaunch")) == Some(true))
                });
                w.public = public_ip && subnets.iter().any(|s| public.contains(s));
                w.detail = format!(
                    "{}{}",
                    show(p("InstanceType")),
                    if public_ip { ", public IP" } else { "" }
                );
            }
            "AWS::AutoScaling::AutoScalingGroup" => {
                w.kind = "group";
                w.detail = format!("Auto Scaling {}-{}", show(p("MinSize")), show(p("MaxSize")));
                subnets = subnet_ids(a, r, p("VPCZoneIdentifier"));
            }
            "AWS::Lambda::Function" => {
                w.kind = "function";
                w.detail = show(p("Runtime"));
                let vpc = p("VpcConfig");
                subnets = subnet_ids(a, r, vpc.get("SubnetIds").unwrap_or(&Json::Null));
                w.groups = groups(a, r, vpc.get("SecurityGroupIds").unwrap_or(&Json::Null));
            }
            "AWS::EC2::NatGateway" => {
                w.kind = "nat";
                w.detail = "NAT gateway".into();
                subnets = subnet_ids(a, r, p("SubnetId"));
            }
            "AWS::EC2::VPCEndpoint" => {
                w.kind = "endpoint";
                let svc = show(p("ServiceName"));
                let svc = svc.rsplit('.').next().unwrap_or(&svc).to_owned();
                w.detail = format!(
                    "{} endpoint ({})",
                    svc,
                    show(p("VpcEndpointType")).to_lowercase()
                );
                subnets = subnet_ids(a, r, p("SubnetIds"));
                w.groups = groups(a, r, p("SecurityGroupIds"));
            }
            "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => {
                w.kind = "table";
                w.detail = format!("DynamoDB, {}", show(p("BillingMode")).to_lowercase());
            }
            "AWS::S3::Bucket" => {
                w.kind = "bucket";
                w.detail = "S3 bucket".into();
            }
            "AWS::SQS::Queue" => {
                w.kind = "queue";
                w.detail = "SQS queue".into();
            }
            "AWS::SNS::Topic" => {
                w.kind = "topic";
                w.detail = "SNS topic".into();
            }
            "AWS::ApiGatewayV2::Api" | "AWS::ApiGateway::RestApi" => {
                w.kind = "api";
                w.detail = format!("{} API", show(p("ProtocolType")));
            }
            "AWS::ECR::Repository" => {
                w.kind = "repository";
                w.detail = "ECR repository".into();
            }
            _ => continue,
        }
        subnets.sort();
        subnets.dedup();
        w.subnets = subnets.iter().map(|k| a.name(k)).collect();
        w.groups.sort();
        w.groups.dedup();
        out.push(w);
    }
    out
}

/// Which workloads use each security group.
fn group_users(ws: &[Workload]) -> BTreeMap<Key, Vec<&Workload>> {
    let mut m: BTreeMap<Key, Vec<&Workload>> = BTreeMap::new();
    for w in ws {
        for g in &w.groups {
            m.entry(g.clone()).or_default().push(w);
        }
    }
    m
}

fn az_name(v: &Json) -> String {
    if let Some(sel) = v.get("Fn::Select").and_then(Json::as_array) {
        if let (Some(i), Some(from)) = (sel.first().and_then(int), sel.get(1)) {
            if from.get("Fn::GetAZs").is_some() {
                return format!("AZ {}", i + 1);
            }
        }
    }
    match show(v) {
        s if s.is_empty() => "AZ ?".into(),
        s => s,
    }
}

fn vpcs(
    a: &Assembly<'_>,
    public: &BTreeSet<Key>,
    ws: &[Workload],
    mark: &dyn Fn(&Key) -> Option<&'static str>,
) -> Vec<VpcView> {
    let mut in_subnet: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for w in ws {
        for s in &w.subnets {
            in_subnet.entry(s.clone()).or_default().push(w.name.clone());
        }
    }
    let attached: BTreeSet<Key> = a
        .of_type("AWS::EC2::VPCGatewayAttachment")
        .filter(|r| !r.prop("InternetGatewayId").is_null())
        .filter_map(|r| a.target(r.stack, r.prop("VpcId")))
        .collect();
    a.of_type("AWS::EC2::VPC")
        .map(|v| {
            let vk = v.key();
            let mut azs: BTreeMap<String, Vec<SubnetView>> = BTreeMap::new();
            for s in a.of_type("AWS::EC2::Subnet") {
                if a.target(s.stack, s.prop("VpcId")).as_ref() != Some(&vk) {
                    continue;
                }
                let name = a.name(&s.key());
                azs.entry(az_name(s.prop("AvailabilityZone")))
                    .or_default()
                    .push(SubnetView {
                        workloads: in_subnet.get(&name).cloned().unwrap_or_default(),
                        name,
                        cidr: show(s.prop("CidrBlock")),
                        public: public.contains(&s.key()),
                        change: mark(&s.key()),
                    });
            }
            let azs = azs
                .into_iter()
                .map(|(name, mut subnets)| {
                    subnets.sort_by(|x, y| {
                        (!x.public, cidr_key(&x.cidr), &x.name).cmp(&(
                            !y.public,
                            cidr_key(&y.cidr),
                            &y.name,
                        ))
                    });
                    AzView { name, subnets }
                })
                .collect();
            VpcView {
                name: a.name(&vk),
                cidr: show(v.prop("CidrBlock")),
                internet_gateway: attached.contains(&vk),
                azs,
            }
        })
        .collect()
}

/// Sorts CIDRs by address, not as text (`10.0.16.0/20` after `10.0.2.0/24`).
fn cidr_key(c: &str) -> (Vec<u32>, String) {
    let addr = c.split('/').next().unwrap_or("");
    let parts = addr
        .split('.')
        .map(|p| p.parse().unwrap_or(u32::MAX))
        .collect();
    (parts, c.to_owned())
}

/// One rule as read from a template, before naming its ends.
struct RawRule {
    ingress: bool,
    group: Key,
    peer: Peer,
    protocol: String,
    from: i64,
    to: i64,
    description: String,
}

enum Peer {
    Cidr(String),
    PrefixList(String),
    Group(Key),
    Unknown(String),
}

impl Peer {
    fn open(&self) -> bool {
        match self {
            Peer::Cidr(c) => c == "0.0.0.0/0" || c == "::/0",
            Peer::PrefixList(_) => true,
            _ => false,
        }
    }
}

fn raw_rule(a: &Assembly<'_>, stack: usize, group: Key, ingress: bool, r: &Json) -> RawRule {
    let get = |k: &str| r.get(k).unwrap_or(&Json::Null);
    let (cidr, cidr6, pl, sg) = if ingress {
        (
            "CidrIp",
            "CidrIpv6",
            "SourcePrefixListId",
            "SourceSecurityGroupId",
        )
    } else {
        (
            "CidrIp",
            "CidrIpv6",
            "DestinationPrefixListId",
            "DestinationSecurityGroupId",
        )
    };
    let peer = if !get(cidr).is_null() {
        Peer::Cidr(show(get(cidr)))
    } else if !get(cidr6).is_null() {
        Peer::Cidr(show(get(cidr6)))
    } else if !get(pl).is_null() {
        Peer::PrefixList(show(get(pl)))
    } else if let Some(k) = a.target(stack, get(sg)) {
        Peer::Group(k)
    } else {
        Peer::Unknown(show(get(sg)))
    };
    let protocol = match show(get("IpProtocol")).as_str() {
        "-1" | "" => "all".to_owned(),
        "6" => "tcp".to_owned(),
        "17" => "udp".to_owned(),
        p => p.to_lowercase(),
    };
    RawRule {
        ingress,
        group,
        peer,
        from: int(get("FromPort")).unwrap_or(-1),
        to: int(get("ToPort")).unwrap_or(-1),
        protocol,
        description: show(get("Description")),
    }
}

/// Every rule of every security group: inline and standalone.
fn raw_rules(a: &Assembly<'_>) -> Vec<RawRule> {
    let mut out = Vec::new();
    for g in a.of_type("AWS::EC2::SecurityGroup") {
        for r in list(g.prop("SecurityGroupIngress")) {
            out.push(raw_rule(a, g.stack, g.key(), true, r));
        }
        for r in list(g.prop("SecurityGroupEgress")) {
            out.push(raw_rule(a, g.stack, g.key(), false, r));
        }
    }
    for (ty, ingress) in [
        ("AWS::EC2::SecurityGroupIngress", true),
        ("AWS::EC2::SecurityGroupEgress", false),
    ] {
        for r in a.of_type(ty) {
            if let Some(g) = a.target(r.stack, r.prop("GroupId")) {
                out.push(raw_rule(a, r.stack, g, ingress, r.props));
            }
        }
    }
    out
}

fn ports(protocol: &str, from: i64, to: i64) -> String {
    match protocol {
        "all" => "all".into(),
        "icmp" | "icmpv6" => protocol.into(),
        _ if from == to => format!("{protocol} {from}"),
        _ if from <= 0 && to >= 65535 => format!("{protocol} all ports"),
        _ => format!("{protocol} {from}-{to}"),
    }
}

/// What a group stands for: the workloads that use it, or its own name.
fn group_label(a: &Assembly<'_>, users: &BTreeMap<Key, Vec<&Workload>>, g: &Key) -> String {
    match users.get(g) {
        Some(ws) if !ws.is_empty() => ws
            .iter()
            .map(|w| w.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => format!("{} (security group)", a.name(g)),
    }
}

fn rules(a: &Assembly<'_>, users: &BTreeMap<Key, Vec<&Workload>>) -> Vec<Rule> {
    let mut out: Vec<Rule> = raw_rules(a)
        .into_iter()
        .map(|r| {
            let peer = match &r.peer {
                Peer::Cidr(c) if c == "0.0.0.0/0" || c == "::/0" => format!("{c} (internet)"),
                Peer::Cidr(c) => c.clone(),
                Peer::PrefixList(p) => format!("prefix list {p}"),
                Peer::Group(g) => group_label(a, users, g),
                Peer::Unknown(s) => format!("security group {s}"),
            };
            let me = group_label(a, users, &r.group);
            let (source, destination) = if r.ingress { (peer, me) } else { (me, peer) };
            Rule {
                open: r.ingress && r.peer.open(),
                source,
                destination,
                ports: ports(&r.protocol, r.from, r.to),
                description: r.description,
                written_as: format!(
                    "{} of {}",
                    if r.ingress { "ingress" } else { "egress" },
                    a.name(&r.group)
                ),
            }
        })
        .collect();
    out.sort_by(|x, y| {
        (!x.open, &x.source, &x.destination, &x.ports).cmp(&(
            !y.open,
            &y.source,
            &y.destination,
            &y.ports,
        ))
    });
    out.dedup();
    out
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "load-balancer" => "load balancer",
        "service" => "ECS service",
        "database" => "database",
        "instance" => "EC2 instance",
        _ => "resource",
    }
}

fn exposed(a: &Assembly<'_>, ws: &[Workload]) -> Vec<Exposure> {
    let mut out = BTreeSet::new();
    let rules = raw_rules(a);
    for w in ws.iter().filter(|w| w.public) {
        // A public network load balancer without security groups takes its listeners'
        // traffic from anywhere.
        if w.kind == "load-balancer" && w.groups.is_empty() {
            if let Some(k) = &w.key {
                for l in a.of_type("AWS::ElasticLoadBalancingV2::Listener") {
                    if a.target(l.stack, l.prop("LoadBalancerArn")).as_ref() == Some(k) {
                        let port = int(l.prop("Port")).unwrap_or(-1);
                        out.insert(Exposure {
                            resource: w.name.clone(),
                            kind: kind_label(w.kind).into(),
                            protocol: show(l.prop("Protocol")).to_lowercase(),
                            from_port: port,
                            to_port: port,
                            ports: port.to_string(),
                            peer: "anywhere (no security group)".into(),
                            description: format!("listener {}", a.name(&l.key())),
                        });
                    }
                }
            }
        }
        for r in rules
            .iter()
            .filter(|r| r.ingress && r.peer.open() && w.groups.contains(&r.group))
        {
            let peer = match &r.peer {
                Peer::Cidr(c) => c.clone(),
                Peer::PrefixList(p) => format!("prefix list {p}"),
                _ => String::new(),
            };
            let ports = match r.protocol.as_str() {
                "all" => "all".into(),
                _ if r.from == r.to => r.from.to_string(),
                _ => format!("{}-{}", r.from, r.to),
            };
            out.insert(Exposure {
                resource: w.name.clone(),
                kind: kind_label(w.kind).into(),
                protocol: r.protocol.clone(),
                from_port: r.from,
                to_port: r.to,
                ports,
                peer,
                description: r.description.clone(),
            });
        }
    }
    // An API Gateway API answers on its default endpoint (HTTPS, 443) from anywhere unless
    // that endpoint is disabled.
    for api in a
        .of_type("AWS::ApiGatewayV2::Api")
        .chain(a.of_type("AWS::ApiGateway::RestApi"))
    {
        if boolean(api.prop("DisableExecuteApiEndpoint")) == Some(true) {
            continue;
        }
        let private = list(
            api.prop("EndpointConfiguration")
                .get("Types")
                .unwrap_or(&Json::Null),
        )
        .iter()
        .any(|t| t.as_str() == Some("PRIVATE"));
        if private {
            continue;
        }
        out.insert(Exposure {
            resource: a.name(&api.key()),
            kind: "API Gateway API".into(),
            protocol: "tcp".into(),
            from_port: 443,
            to_port: 443,
            ports: "443".into(),
            peer: "anywhere (execute-api endpoint)".into(),
            description: "API Gateway's default endpoint, HTTPS".into(),
        });
    }
    out.into_iter().collect()
}

fn edges(a: &Assembly<'_>, users: &BTreeMap<Key, Vec<&Workload>>) -> Vec<Edge> {
    // In the order of a request: load balancer → listener → target group → service → store.
    let mut out = Vec::new();
    let mut add_listener = |l: &Res<'_>, tg_list: Vec<Key>| {
        let lb = a
            .target(l.stack, l.prop("LoadBalancerArn"))
            .map(|k| a.name(&k))
            .unwrap_or_else(|| show(l.prop("LoadBalancerArn")));
        let label = format!("{} {}", show(l.prop("Protocol")), show(l.prop("Port")));
        push(
            &mut out,
            Edge {
                from: lb,
                to: a.name(&l.key()),
                label,
            },
        );
        for tg in tg_list {
            push(
                &mut out,
                Edge {
                    from: a.name(&l.key()),
                    to: a.name(&tg),
                    label: "forward".into(),
                },
            );
        }
    };
    for l in a.of_type("AWS::ElasticLoadBalancingV2::Listener") {
        let mut tgs = Vec::new();
        for act in list(l.prop("DefaultActions")) {
            tgs.extend(a.target(l.stack, act.get("TargetGroupArn").unwrap_or(&Json::Null)));
            if let Some(fc) = act.get("ForwardConfig") {
                for t in list(fc.get("TargetGroups").unwrap_or(&Json::Null)) {
                    tgs.extend(a.target(l.stack, t.get("TargetGroupArn").unwrap_or(&Json::Null)));
                }
            }
        }
        add_listener(l, tgs);
    }
    for rule in a.of_type("AWS::ElasticLoadBalancingV2::ListenerRule") {
        let Some(l) = a.target(rule.stack, rule.prop("ListenerArn")) else {
            continue;
        };
        for act in list(rule.prop("Actions")) {
            if let Some(tg) = a.target(rule.stack, act.get("TargetGroupArn").unwrap_or(&Json::Null))
            {
                push(
                    &mut out,
                    Edge {
                        from: a.name(&l),
                        to: a.name(&tg),
                        label: format!("rule {}", a.name(&rule.key())),
                    },
                );
            }
        }
    }
    for s in a.of_type("AWS::ECS::Service") {
        for lb in list(s.prop("LoadBalancers")) {
            if let Some(tg) = a.target(s.stack, lb.get("TargetGroupArn").unwrap_or(&Json::Null)) {
                push(
                    &mut out,
                    Edge {
                        from: a.name(&tg),
                        to: a.name(&s.key()),
                        label: format!(
                            "port {}",
                            show(lb.get("ContainerPort").unwrap_or(&Json::Null))
                        ),
                    },
                );
            }
        }
    }
    // Compute → data stores, as the security groups allow it (ingress on the store's group
    // from the compute's group).
    for r in raw_rules(a).iter().filter(|r| r.ingress) {
        let Peer::Group(src) = &r.peer else { continue };
        let (Some(from), Some(to)) = (users.get(src), users.get(&r.group)) else {
            continue;
        };
        for f in from
            .iter()
            .filter(|w| matches!(w.kind, "service" | "function" | "instance" | "group"))
        {
            for t in to.iter().filter(|w| matches!(w.kind, "database" | "cache")) {
                push(
                    &mut out,
                    Edge {
                        from: f.name.clone(),
                        to: t.name.clone(),
                        label: ports(&r.protocol, r.from, r.to),
                    },
                );
            }
        }
    }
    out
}

fn push(out: &mut Vec<Edge>, e: Edge) {
    if !out.contains(&e) {
        out.push(e);
    }
}

fn items(v: &Json) -> Vec<Item> {
    list(v)
        .into_iter()
        .map(|x| {
            let text = show(x);
            Item {
                wildcard: text.contains('*'),
                text,
            }
        })
        .collect()
}

fn statements(doc: &Json, policy: &str) -> Vec<StatementView> {
    list(doc.get("Statement").unwrap_or(&Json::Null))
        .into_iter()
        .map(|s| {
            let get = |k: &str| s.get(k).unwrap_or(&Json::Null);
            let mut actions = items(get("Action"));
            for mut i in items(get("NotAction")) {
                i.text = format!("everything except {}", i.text);
                i.wildcard = true;
                actions.push(i);
            }
            let mut resources = items(get("Resource"));
            for mut i in items(get("NotResource")) {
                i.text = format!("everything except {}", i.text);
                i.wildcard = true;
                resources.push(i);
            }
            StatementView {
                effect: show(get("Effect")),
                policy: policy.to_owned(),
                actions,
                resources,
                condition: !get("Condition").is_null(),
            }
        })
        .collect()
}

fn roles(a: &Assembly<'_>) -> Vec<RoleView> {
    let policy_types = [
        "AWS::IAM::Policy",
        "AWS::IAM::ManagedPolicy",
        "AWS::IAM::RolePolicy",
    ];
    a.of_type("AWS::IAM::Role")
        .map(|role| {
            let rk = role.key();
            let mut trusted_by = Vec::new();
            for s in list(
                role.prop("AssumeRolePolicyDocument")
                    .get("Statement")
                    .unwrap_or(&Json::Null),
            ) {
                let pr = s.get("Principal").unwrap_or(&Json::Null);
                match pr {
                    Json::Object(o) => {
                        for v in o.values() {
                            trusted_by.extend(list(v).into_iter().map(show));
                        }
                    }
                    other => trusted_by.push(show(other)),
                }
            }
            let mut sts = Vec::new();
            for p in list(role.prop("Policies")) {
                let name = show(p.get("PolicyName").unwrap_or(&Json::Null));
                sts.extend(statements(
                    p.get("PolicyDocument").unwrap_or(&Json::Null),
                    &format!("inline {name}"),
                ));
            }
            let mut managed: Vec<String> = list(role.prop("ManagedPolicyArns"))
                .into_iter()
                .filter_map(|m| {
                    // A managed policy of the templates is expanded below; an AWS one is named.
                    match a.target(role.stack, m) {
                        Some(_) => None,
                        None => Some(show(m).rsplit('/').next().unwrap_or("").to_owned()),
                    }
                })
                .collect();
            let mut used_by = Vec::new();
            for r in a.resources.values() {
                if r.key() == rk {
                    continue;
                }
                let refs_role = a.refs(r.stack, r.props).contains(&rk);
                if !refs_role {
                    continue;
                }
                if policy_types.contains(&r.ty) {
                    let attached = ["Roles", "RoleName"]
                        .iter()
                        .any(|f| a.targets(r.stack, r.prop(f)).contains(&rk))
                        || list(role.prop("ManagedPolicyArns"))
                            .into_iter()
                            .any(|m| a.target(role.stack, m) == Some(r.key()));
                    if attached {
                        sts.extend(statements(r.prop("PolicyDocument"), &a.name(&r.key())));
                        continue;
                    }
                }
                used_by.push(a.name(&r.key()));
            }
            // Managed policies of the templates attached through the role's own list.
            for m in list(role.prop("ManagedPolicyArns")) {
                if let Some(k) = a.target(role.stack, m) {
                    if let Some(p) = a.get(&k) {
                        if !a.refs(p.stack, p.props).contains(&rk) {
                            sts.extend(statements(p.prop("PolicyDocument"), &a.name(&k)));
                        }
                    }
                }
            }
            managed.sort();
            trusted_by.sort();
            trusted_by.dedup();
            let wildcard = sts
                .iter()
                .any(|s| s.actions.iter().chain(&s.resources).any(|i| i.wildcard));
            RoleView {
                name: a.name(&rk),
                trusted_by,
                used_by,
                statements: sts,
                managed,
                wildcard,
            }
        })
        .collect()
}

fn secrets(a: &Assembly<'_>, mark: &dyn Fn(&Key) -> Option<&'static str>) -> Vec<SecretView> {
    a.of_type("AWS::SecretsManager::Secret")
        .map(|s| {
            let sk = s.key();
            let key = s.prop("KmsKeyId");
            let stored = if key.is_null() {
                "Secrets Manager, AWS-managed key aws/secretsmanager".to_owned()
            } else {
                format!("Secrets Manager, KMS key {}", show(key))
            };
            let mut readers = Vec::new();
            for r in a.resources.values() {
                if r.key() == sk || !a.refs(r.stack, r.props).contains(&sk) {
                    continue;
                }
                let name = a.name(&r.key());
                match r.ty {
                    "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                        let roles: Vec<String> = a
                            .targets(r.stack, r.prop("Roles"))
                            .iter()
                            .map(|k| a.name(k))
                            .collect();
                        let actions: BTreeSet<String> = list(
                            r.prop("PolicyDocument")
                                .get("Statement")
                                .unwrap_or(&Json::Null),
                        )
                        .into_iter()
                        .filter(|st| {
                            a.refs(r.stack, st.get("Resource").unwrap_or(&Json::Null))
                                .contains(&sk)
                        })
                        .flat_map(|st| {
                            list(st.get("Action").unwrap_or(&Json::Null))
                                .into_iter()
                                .map(show)
                        })
                        .collect();
                        readers.push(format!(
                            "role {} may {} ({})",
                            roles.join(", "),
                            actions.into_iter().collect::<Vec<_>>().join(", "),
                            name
                        ));
                    }
                    "AWS::ECS::TaskDefinition" => {
                        let mut vars = Vec::new();
                        for c in list(r.prop("ContainerDefinitions")) {
                            for sec in list(c.get("Secrets").unwrap_or(&Json::Null)) {
                                if a.refs(r.stack, sec).contains(&sk) {
                                    vars.push(show(sec.get("Name").unwrap_or(&Json::Null)));
                                }
                            }
                        }
                        if vars.is_empty() {
                            readers.push(format!("{name} (a reference)"));
                        } else {
                            readers
                                .push(format!("{name}: container environment {}", vars.join(", ")));
                        }
                    }
                    "AWS::SecretsManager::SecretTargetAttachment" => {
                        let t = a
                            .target(r.stack, r.prop("TargetId"))
                            .map(|k| a.name(&k))
                            .unwrap_or_default();
                        readers.push(format!("attached to {t} (rotation target)"));
                    }
                    _ => {
                        let dynamic = r.props.to_string().contains("{{resolve:secretsmanager:");
                        readers.push(format!(
                            "{name} ({})",
                            if dynamic {
                                "dynamic reference at deploy"
                            } else {
                                "a reference"
                            }
                        ));
                    }
                }
            }
            SecretView {
                name: a.name(&sk),
                stored,
                readers,
                change: mark(&sk),
            }
        })
        .collect()
}

fn costs(a: &Assembly<'_>) -> Vec<CostLine> {
    let mut out = Vec::new();
    let count = |ty: &str| a.of_type(ty).count() as i64;
    let mut push = |item: &str, count: i64, detail: String| {
        if count > 0 {
            out.push(CostLine {
                item: item.to_owned(),
                count,
                detail,
            });
        }
    };
    let by = |ty: &str, f: &dyn Fn(&Res<'_>) -> Option<(String, i64)>| -> (i64, String) {
        let mut m: BTreeMap<String, i64> = BTreeMap::new();
        for r in a.of_type(ty) {
            if let Some((k, n)) = f(r) {
                *m.entry(k).or_default() += n;
            }
        }
        let total = m.values().sum();
        let detail = m
            .iter()
            .map(|(k, n)| format!("{n} × {k}"))
            .collect::<Vec<_>>()
            .join(", ");
        (total, detail)
    };
    push("NAT gateways", count("AWS::EC2::NatGateway"), String::new());
    let (n, d) = by("AWS::ElasticLoadBalancingV2::LoadBalancer", &|r| {
        let t = show(r.prop("Type"));
        Some((
            if t.is_empty() {
                "application".to_owned()
            } else {
                t
            },
            1,
        ))
    });
    push("Load balancers", n, d);
    let (n, d) = by("AWS::EC2::Instance", &|r| {
        Some((show(r.prop("InstanceType")), 1))
    });
    push("EC2 instances", n, d);
    let (n, d) = by("AWS::ECS::Service", &|r| {
        let task = a
            .target(r.stack, r.prop("TaskDefinition"))
            .and_then(|k| a.get(&k).copied());
        let size = task
            .map(|t| {
                format!(
                    "{} CPU units / {} MiB",
                    show(t.prop("Cpu")),
                    show(t.prop("Memory"))
                )
            })
            .unwrap_or_else(|| "task size unknown".into());
        Some((size, int(r.prop("DesiredCount")).unwrap_or(1)))
    });
    push("ECS tasks (desired)", n, d);
    let (n, d) = by("AWS::RDS::DBInstance", &|r| {
        Some((show(r.prop("DBInstanceClass")), 1))
    });
    push("Database instances", n, d);
    let multi = a
        .of_type("AWS::RDS::DBInstance")
        .filter(|r| boolean(r.prop("MultiAZ")) == Some(true))
        .count() as i64;
    push(
        "Multi-AZ databases (standby doubles the instance)",
        multi,
        String::new(),
    );
    let storage: i64 = a
        .of_type("AWS::RDS::DBInstance")
        .filter_map(|r| int(r.prop("AllocatedStorage")))
        .sum();
    push("Provisioned database storage (GiB)", storage, String::new());
    let mut ebs = 0;
    for lt in a.of_type("AWS::EC2::LaunchTemplate") {
        for m in list(
            lt.prop("LaunchTemplateData")
                .get("BlockDeviceMappings")
                .unwrap_or(&Json::Null),
        ) {
            ebs += m
                .get("Ebs")
                .and_then(|e| e.get("VolumeSize"))
                .and_then(int)
                .unwrap_or(0);
        }
    }
    for v in a.of_type("AWS::EC2::Volume") {
        ebs += int(v.prop("Size")).unwrap_or(0);
    }
    push(
        "Provisioned EBS storage in templates (GiB)",
        ebs,
        String::new(),
    );
    let (n, d) = by("AWS::ElastiCache::ReplicationGroup", &|r| {
        Some((
            show(r.prop("CacheNodeType")),
            int(r.prop("NumCacheClusters")).unwrap_or(1),
        ))
    });
    push("Cache nodes", n, d);
    let interface = a
        .of_type("AWS::EC2::VPCEndpoint")
        .filter(|r| show(r.prop("VpcEndpointType")) == "Interface")
        .count() as i64;
    push("Interface VPC endpoints", interface, String::new());
    let (n, d) = by("AWS::Logs::LogGroup", &|r| {
        Some((
            match int(r.prop("RetentionInDays")) {
                Some(d) => format!("{d} days"),
                None => "never expire".into(),
            },
            1,
        ))
    });
    push("Log groups (by retention)", n, d);
    out
}

fn stacks(a: &Assembly<'_>) -> Vec<StackView> {
    a.stacks
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let outputs = s
                .template
                .get("Outputs")
                .and_then(Json::as_object)
                .map(|o| {
                    o.iter()
                        .map(|(name, v)| OutputView {
                            name: name.clone(),
                            description: show(v.get("Description").unwrap_or(&Json::Null)),
                            export: v
                                .get("Export")
                                .and_then(|e| e.get("Name"))
                                .map(show)
                                .unwrap_or_default(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut imports = BTreeSet::new();
            let mut todo = vec![&s.template];
            while let Some(v) = todo.pop() {
                match v {
                    Json::Array(x) => todo.extend(x.iter()),
                    Json::Object(o) => {
                        if let Some(n) = o.get("Fn::ImportValue") {
                            let name = show(n);
                            let from = a
                                .export(&name)
                                .map(|(p, _)| format!(" (from {})", a.stacks[p].name()))
                                .unwrap_or_default();
                            imports.insert(format!("{name}{from}"));
                        } else {
                            todo.extend(o.values());
                        }
                    }
                    _ => {}
                }
            }
            StackView {
                order: i + 1,
                name: s.name().to_owned(),
                environment: s.entry.environment.clone().unwrap_or_default(),
                depends_on: s.entry.dependencies.clone(),
                resources: s.entry.resources,
                outputs,
                imports: imports.into_iter().collect(),
            }
        })
        .collect()
}

fn checks(a: &Assembly<'_>) -> Vec<CheckView> {
    let mut out = Vec::new();
    for r in a.resources.values() {
        let resource = a.name(&r.key());
        let m = r.meta;
        for s in list(m.pointer("/checkov/skip").unwrap_or(&Json::Null)) {
            out.push(CheckView {
                resource: resource.clone(),
                tool: "checkov".into(),
                id: show(s.get("id").unwrap_or(&Json::Null)),
                reason: show(s.get("comment").unwrap_or(&Json::Null)),
            });
        }
        // `Scope::suppress` writes one decision for every tool under
        // `Metadata.stackforge.suppressions` (`{reason, guard: [...], checkov: [...],
        // cfn-lint: [...]}`); `suppress_cfn_lint` writes `stackforge:suppressions` by rule.
        let suppressed = |tool: &str, id: &str| -> Option<String> {
            list(m.pointer("/stackforge/suppressions").unwrap_or(&Json::Null))
                .iter()
                .find(|s| {
                    list(s.get(tool).unwrap_or(&Json::Null))
                        .iter()
                        .any(|x| show(x) == id)
                })
                .and_then(|s| s.get("reason"))
                .map(show)
        };
        for id in list(
            m.pointer("/cfn-lint/config/ignore_checks")
                .unwrap_or(&Json::Null),
        ) {
            let id = show(id);
            let reason = m
                .get("stackforge:suppressions")
                .and_then(|x| x.get(&id))
                .map(show)
                .or_else(|| suppressed("cfn-lint", &id))
                .unwrap_or_else(|| "no reason written".into());
            out.push(CheckView {
                resource: resource.clone(),
                tool: "cfn-lint".into(),
                id,
                reason,
            });
        }
        for s in list(m.pointer("/guard/SuppressedRules").unwrap_or(&Json::Null)) {
            out.push(CheckView {
                resource: resource.clone(),
                tool: "cfn-guard".into(),
                id: show(s),
                reason: suppressed("guard", &show(s)).unwrap_or_else(|| "no reason written".into()),
            });
        }
    }
    out.sort();
    out
}
