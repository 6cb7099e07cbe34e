//! [`RedisCache`]: an ElastiCache (Redis OSS) replication group in private subnets.
//!
//! Secure by default: encryption in transit and at rest, an auth token generated into
//! Secrets Manager (never in the template), Multi-AZ with automatic failover when there is
//! more than one node, and a security group with no ingress until
//! [`RedisCache::allow_from`] opens the Redis port to one peer security group.

use stackforge::cfn::{ec2, elasticache, secretsmanager};
use stackforge::{dynamic, sub, Handle, Policy, Scope, Val};

use crate::connections::{allow_tcp_from, Connectable};
use crate::existing::SecretRef;
use crate::refs::VpcRef;

pub use crate::codes::{INVALID_CACHE_SIZE, INVALID_NODE_TYPE};

/// Characters an ElastiCache auth token must not contain (besides being printable ASCII):
/// space, `"`, `/` and `@`. The generated secret excludes them.
pub const AUTH_TOKEN_EXCLUDED: &str = " \"/@";
/// The auth token's length: ElastiCache accepts 16 to 128 characters.
pub const AUTH_TOKEN_LENGTH: u32 = 64;

/// Options of [`RedisCache`].
#[derive(Clone, Debug, PartialEq)]
pub struct RedisCacheProps {
    /// The node type (`cache.<family>.<size>`, e.g. `cache.t4g.micro`, `cache.r7g.large`).
    /// Default: `cache.t4g.micro`.
    pub node_type: Val<String>,
    /// Nodes in the replication group (1 primary + replicas, 1 to 6). With more than one,
    /// Multi-AZ and automatic failover are on.
    /// Default: `2`.
    pub num_nodes: u32,
    /// The Redis OSS engine version.
    /// Default: `7.1`.
    pub engine_version: String,
    /// The port.
    /// Default: `6379`.
    pub port: u16,
    /// Days of automatic snapshots (0 turns them off).
    /// Default: `7`.
    pub snapshot_retention_days: Val<i64>,
    /// A customer-managed KMS key (ARN) for encryption at rest and of the auth-token secret.
    /// Default: none (AWS-managed keys).
    pub kms_key_arn: Option<Val<String>>,
}

impl Default for RedisCacheProps {
    fn default() -> Self {
        RedisCacheProps {
            node_type: "cache.t4g.micro".into(),
            num_nodes: 2,
            engine_version: "7.1".into(),
            port: 6379,
            snapshot_retention_days: 7.into(),
            kms_key_arn: None,
        }
    }
}

/// Node families ElastiCache offers for Redis OSS, with their sizes.
const FAMILIES: &[(&str, &[&str])] = &[
    ("t2", &["micro", "small", "medium"]),
    ("t3", &["micro", "small", "medium"]),
    ("t4g", &["micro", "small", "medium"]),
    ("m4", &["large", "xlarge", "2xlarge", "4xlarge", "10xlarge"]),
    (
        "m5",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge",
        ],
    ),
    (
        "m6g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "m7g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "r4",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge",
        ],
    ),
    (
        "r5",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge",
        ],
    ),
    (
        "r6g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "r6gd",
        &[
            "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "r7g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "c7gn",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
];

/// Why a node type is refused ([`check_node_type`]); its code is [`INVALID_NODE_TYPE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NodeTypeError {
    /// Not `cache.<family>.<size>`.
    #[error("`{node_type}` is not of the form `cache.<family>.<size>`")]
    Form {
        /// The node type given.
        node_type: String,
    },
    /// A family ElastiCache does not have.
    #[error(
        "`{node_type}`: `{family}` is not an ElastiCache node family ({})",
        families()
    )]
    Family {
        /// The node type given.
        node_type: String,
        /// Its family.
        family: String,
    },
    /// A size the family does not come in.
    #[error("`{node_type}`: `{family}` comes in {}", sizes.join(", "))]
    Size {
        /// The node type given.
        node_type: String,
        /// Its family.
        family: String,
        /// The sizes the family comes in.
        sizes: &'static [&'static str],
    },
}

impl NodeTypeError {
    /// The code: [`INVALID_NODE_TYPE`].
    pub fn code(&self) -> stackforge::Code {
        INVALID_NODE_TYPE
    }
}

fn families() -> String {
    FAMILIES
        .iter()
        .map(|(f, _)| *f)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks an ElastiCache node type (`cache.t4g.micro`); the error says what is wrong.
pub fn check_node_type(node_type: &str) -> Result<(), NodeTypeError> {
    let mut parts = node_type.split('.');
    let (Some("cache"), Some(family), Some(size), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(NodeTypeError::Form {
            node_type: node_type.to_owned(),
        });
    };
    let Some((_, sizes)) = FAMILIES.iter().find(|(f, _)| *f == family) else {
        return Err(NodeTypeError::Family {
            node_type: node_type.to_owned(),
            family: family.to_owned(),
        });
    };
    if !sizes.contains(&size) {
        return Err(NodeTypeError::Size {
            node_type: node_type.to_owned(),
            family: family.to_owned(),
            sizes,
        });
    }
    Ok(())
}

/// An ElastiCache Redis OSS replication group with its subnet group, security group and
/// auth-token secret.
#[derive(Clone, Debug)]
pub struct RedisCache {
    /// The auth token (`<id>AuthToken`), generated without the characters ElastiCache rejects.
    pub auth_token: Handle<secretsmanager::Secret>,
    /// The security group (`<id>SecurityGroup`); no ingress until [`RedisCache::allow_from`].
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The subnet group (`<id>Subnets`) over the given private subnets.
    pub subnet_group: Handle<elasticache::SubnetGroup>,
    /// The replication group (`<id>ReplicationGroup`).
    pub replication_group: Handle<elasticache::ReplicationGroup>,
    /// The port.
    pub port: u16,
    /// The pattern's full path, used in the logical IDs of `allow_from` rules.
    pub name: String,
}

impl RedisCache {
    /// Creates the cache in the network's private subnets (two or more AZs for Multi-AZ).
    pub fn new(scope: &mut Scope<'_>, id: &str, net: &dyn VpcRef, props: RedisCacheProps) -> Self {
        let vpc_id = net.vpc_id();
        let private_subnets = net.private_subnet_ids();
        let mut s = scope.child(id);
        s.check_values(
            INVALID_NODE_TYPE,
            "ReplicationGroup",
            Some("Properties.CacheNodeType"),
            &[props.node_type.expr()],
            |v| check_node_type(v[0].as_str().unwrap_or_default()),
        );
        if !(1..=6).contains(&props.num_nodes) {
            s.error(
                INVALID_CACHE_SIZE,
                "ReplicationGroup",
                Some("Properties.NumCacheClusters"),
                format!("num_nodes is {}; it must be 1 to 6", props.num_nodes),
                "use 2 or more for Multi-AZ with automatic failover",
            );
        }
        if props.port == 0 {
            s.error(
                INVALID_CACHE_SIZE,
                "ReplicationGroup",
                Some("Properties.Port"),
                "the port is 0",
                "use 6379",
            );
        }
        if props.num_nodes > 1 && private_subnets.len() < 2 {
            s.error(
                INVALID_CACHE_SIZE,
                "Subnets",
                Some("Properties.SubnetIds"),
                format!(
                    "{} nodes need subnets in at least two AZs for Multi-AZ; got {}",
                    props.num_nodes,
                    private_subnets.len()
                ),
                "pass the private subnets of two or more AZs, or use num_nodes: 1",
            );
        }
        let multi_az = props.num_nodes > 1;

        let mut secret = secretsmanager::Secret {
            description: Some(sub!(
                "Redis AUTH token of ",
                scope_path(&s, "ReplicationGroup")
            )),
            generate_secret_string: Some(secretsmanager::secret::GenerateSecretString {
                password_length: Some(i64::from(AUTH_TOKEN_LENGTH).into()),
                exclude_characters: Some(AUTH_TOKEN_EXCLUDED.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        secret.kms_key_id = props.kms_key_arn.clone();
        let auth_token = s.add("AuthToken", secret);
        if props.kms_key_arn.is_none() {
            s.skip_checkov(
                auth_token,
                "CKV_AWS_149",
                "encrypted with the AWS-managed key aws/secretsmanager by default; set RedisCacheProps::kms_key_arn for a customer-managed key",
            );
        }

        let sg = s.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(vpc_id),
                security_group_egress: Some(vec![no_egress()]),
                ..ec2::SecurityGroup::new(sub!(
                    "Redis ",
                    scope_path(&s, "ReplicationGroup"),
                    ": ingress only from allowed security groups"
                ))
            },
        );

        let subnet_group = s.add(
            "Subnets",
            elasticache::SubnetGroup::new(
                sub!("Private subnets of ", scope_path(&s, "ReplicationGroup")),
                private_subnets,
            ),
        );

        let mut group =
            elasticache::ReplicationGroup::new(sub!("Redis ", scope_path(&s, "ReplicationGroup")));
        group.engine = Some("redis".into());
        group.engine_version = Some(props.engine_version.clone().into());
        group.cache_node_type = Some(props.node_type.clone());
        group.num_cache_clusters = Some(i64::from(props.num_nodes.clamp(1, 6)).into());
        group.multi_az_enabled = Some(multi_az.into());
        group.automatic_failover_enabled = Some(multi_az.into());
        group.port = Some(i64::from(props.port).into());
        group.cache_subnet_group_name = Some(subnet_group.reference());
        group.security_group_ids = Some(vec![sg.attr_group_id()].into());
        group.transit_encryption_enabled = Some(true.into());
        group.at_rest_encryption_enabled = Some(true.into());
        group.kms_key_id = props.kms_key_arn.clone();
        group.auth_token = Some(dynamic::secrets_manager(auth_token.reference(), None));
        group.snapshot_retention_limit = Some(props.snapshot_retention_days.clone());
        group.auto_minor_version_upgrade = Some(true.into());
        let replication_group = s.add("ReplicationGroup", group);
        s.set_policies(replication_group, Policy::Snapshot);
        // The secure settings: an override that changes one without a reason is a warning.
        s.protect(
            replication_group,
            &["TransitEncryptionEnabled"],
            "encryption in transit",
        );
        s.protect(
            replication_group,
            &["AtRestEncryptionEnabled"],
            "encryption at rest",
        );
        s.protect(replication_group, &["AuthToken"], "the auth token");
        s.protect(sg, &["SecurityGroupIngress"], "open ingress");
        RedisCache {
            auth_token,
            security_group: sg,
            subnet_group,
            replication_group,
            port: props.port,
            name: scope.logical_id_for(id),
        }
    }

    /// The primary endpoint's address (for `REDIS_HOST`).
    pub fn endpoint_address(&self) -> Val<String> {
        self.replication_group.attr_primary_end_point_address()
    }

    /// The primary endpoint's port (a string, as CloudFormation returns it).
    pub fn endpoint_port(&self) -> Val<String> {
        self.replication_group.attr_primary_end_point_port()
    }

    /// The auth token's secret ARN, for an ECS `secrets` entry (`valueFrom`).
    pub fn auth_token_arn(&self) -> Val<String> {
        self.auth_token.reference()
    }

    /// The auth token as a secret for an ECS container (`secrets`/`valueFrom`), never a
    /// plain environment value.
    pub fn auth_token_secret(&self) -> SecretRef {
        SecretRef::from_arn(self.auth_token.reference())
    }

    /// Opens the Redis port to one peer (a service, a task, an imported security group)
    /// and nothing else: one `AWS::EC2::SecurityGroupIngress` (`<id>IngressFrom<peer>`),
    /// added in `scope`, so a peer in another stack keeps the references pointing one way.
    pub fn allow_from(
        &self,
        scope: &mut Scope<'_>,
        peer: &dyn Connectable,
    ) -> Handle<ec2::SecurityGroupIngress> {
        allow_tcp_from(
            scope,
            &self.name,
            self.security_group.attr_group_id(),
            self.port,
            peer,
        )
    }
}

/// The logical-ID path of a child, for descriptions.
fn scope_path(s: &Scope<'_>, id: &str) -> String {
    s.logical_id_for(id)
}

/// The egress rule that allows nothing (a cache never opens connections): a black-holed
/// ICMP rule to 255.255.255.255/32, as the CDK does for `allowAllOutbound: false`.
fn no_egress() -> ec2::security_group::Egress {
    let mut e = ec2::security_group::Egress::new("icmp");
    e.cidr_ip = Some("255.255.255.255/32".into());
    e.from_port = Some(252.into());
    e.to_port = Some(86.into());
    e.description = Some("Disallow all traffic".into());
    e
}
