//! Reference traits: "any VPC", "any cluster", "any grantee". Patterns take these, so a VPC,
//! cluster or role created by this app, created by a pattern in another stack, or imported by
//! ID, name or ARN all work alike. (`Connectable`, "anything with a security group", is in
//! [`crate::connections`].)
//!
//! Implementations: [`VpcRef`] by [`crate::network::Network`] and [`ExistingVpc`];
//! [`ClusterRef`] by [`crate::fargate::Cluster`] and [`ExistingCluster`]; [`Grantee`] by
//! `Handle<iam::Role>`, [`ExistingRole`] and every pattern that runs code with a role (a
//! Fargate service, an EC2 instance's role).

use stackforge::cfn::{ecs, iam};
use stackforge::{pseudo, sub, GrantRole, Handle, Raw, Scope, Val};

use crate::codes;

/// A VPC with public and private subnets, wherever it comes from.
pub trait VpcRef {
    /// The VPC's ID.
    fn vpc_id(&self) -> Val<String>;
    /// Public subnet IDs, one per AZ.
    fn public_subnet_ids(&self) -> Vec<Val<String>>;
    /// Private subnet IDs, one per AZ.
    fn private_subnet_ids(&self) -> Vec<Val<String>>;
    /// Resources a public resource (a load balancer) must wait for: the internet gateway's
    /// attachment and the public route. Empty for an existing VPC.
    /// Default: none.
    fn internet_dependencies(&self) -> Vec<Handle<Raw>> {
        Vec::new()
    }
    /// Resources a private resource that needs outbound traffic (tasks pulling images) must
    /// wait for: the NAT routes. Empty for an existing VPC.
    /// Default: none.
    fn egress_dependencies(&self) -> Vec<Handle<Raw>> {
        Vec::new()
    }
}

/// Subnet or VPC IDs of an existing network, checked when they are literals. Reported under
/// `ExistingVpc` (nothing is created; the ID names the import) at `property`.
fn check_id(scope: &Scope<'_>, id: &Val<String>, prefix: &str, property: &str) {
    let Some(lit) = id.as_literal() else {
        return;
    };
    let ok = lit.strip_prefix(prefix).is_some_and(|h| {
        (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_hexdigit())
    });
    if !ok {
        scope.error(
            codes::INVALID_IMPORT,
            "ExistingVpc",
            Some(property),
            format!("`{lit}` is not a {}ID", prefix.replace('-', " ")),
            format!("use {prefix} followed by 8 or 17 hex digits"),
        );
    }
}

/// A VPC and subnets that already exist, by ID (literals, parameters such as
/// `Parameter::aws("AWS::EC2::VPC::Id")`, or imports). Literal IDs are checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingVpc {
    /// The VPC's ID.
    pub vpc_id: Val<String>,
    /// Public subnet IDs.
    pub public_subnet_ids: Vec<Val<String>>,
    /// Private subnet IDs.
    pub private_subnet_ids: Vec<Val<String>>,
}

impl ExistingVpc {
    /// A VPC by ID with its public and private subnets.
    pub fn new(
        scope: &Scope<'_>,
        vpc_id: impl Into<Val<String>>,
        public_subnet_ids: Vec<Val<String>>,
        private_subnet_ids: Vec<Val<String>>,
    ) -> Self {
        let vpc_id = vpc_id.into();
        check_id(scope, &vpc_id, "vpc-", "VpcId");
        for (i, id) in public_subnet_ids.iter().enumerate() {
            check_id(scope, id, "subnet-", &format!("PublicSubnetIds[{i}]"));
        }
        for (i, id) in private_subnet_ids.iter().enumerate() {
            check_id(scope, id, "subnet-", &format!("PrivateSubnetIds[{i}]"));
        }
        ExistingVpc {
            vpc_id,
            public_subnet_ids,
            private_subnet_ids,
        }
    }
}

impl VpcRef for ExistingVpc {
    fn vpc_id(&self) -> Val<String> {
        self.vpc_id.clone()
    }
    fn public_subnet_ids(&self) -> Vec<Val<String>> {
        self.public_subnet_ids.clone()
    }
    fn private_subnet_ids(&self) -> Vec<Val<String>> {
        self.private_subnet_ids.clone()
    }
}

/// An ECS cluster, wherever it comes from.
pub trait ClusterRef {
    /// The cluster's name.
    fn cluster_name(&self) -> Val<String>;
    /// The cluster's ARN.
    fn cluster_arn(&self) -> Val<String>;
}

impl ClusterRef for Handle<ecs::Cluster> {
    fn cluster_name(&self) -> Val<String> {
        self.reference()
    }
    fn cluster_arn(&self) -> Val<String> {
        self.attr_arn()
    }
}

/// An ECS cluster that already exists, by name.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingCluster {
    /// The cluster's name.
    pub name: Val<String>,
}

impl ExistingCluster {
    /// A cluster by name (letters, digits, hyphens and underscores, at most 255).
    pub fn from_name(scope: &Scope<'_>, name: impl Into<Val<String>>) -> Self {
        let name = name.into();
        if let Some(lit) = name.as_literal() {
            let ok = !lit.is_empty()
                && lit.len() <= 255
                && lit
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                scope.error(
                    codes::INVALID_IMPORT,
                    "ExistingCluster",
                    Some("ClusterName"),
                    format!("`{lit}` is not an ECS cluster name"),
                    "use letters, digits, hyphens and underscores (at most 255)",
                );
            }
        }
        ExistingCluster { name }
    }
}

impl ClusterRef for ExistingCluster {
    fn cluster_name(&self) -> Val<String> {
        self.name.clone()
    }
    fn cluster_arn(&self) -> Val<String> {
        sub!(
            "arn:",
            pseudo::partition(),
            ":ecs:",
            pseudo::region(),
            ":",
            pseudo::account_id(),
            ":cluster/",
            self.name.clone()
        )
    }
}

/// Anything that has an IAM role and can be granted permissions: a role of this app, an
/// existing role, a Fargate service (its task role), a function, an instance. Grants become
/// statements in one `AWS::IAM::Policy` per grantee per stack, in the grantee's stack.
pub trait Grantee {
    /// The role that receives the statements.
    fn grant_role(&self) -> GrantRole;
}

impl Grantee for Handle<iam::Role> {
    fn grant_role(&self) -> GrantRole {
        GrantRole {
            name: self.reference(),
            label: String::new(),
        }
    }
}

impl<G: Grantee + ?Sized> Grantee for &G {
    fn grant_role(&self) -> GrantRole {
        (**self).grant_role()
    }
}

/// A role that already exists, by name. Grants to it are added in the granting scope's stack,
/// as `<label>DefaultPolicy`.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingRole {
    /// The role's name.
    pub name: Val<String>,
    /// Its label in logical IDs (letters and digits).
    pub label: String,
}

impl ExistingRole {
    /// A role by name; `label` names its grant policy (`<label>DefaultPolicy`).
    pub fn from_name(scope: &Scope<'_>, label: &str, name: impl Into<Val<String>>) -> Self {
        let name = name.into();
        if let Some(lit) = name.as_literal() {
            let ok = !lit.is_empty()
                && lit.len() <= 64
                && lit
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !ok {
                scope.error(
                    codes::INVALID_IMPORT,
                    &role_id(label),
                    Some("RoleName"),
                    format!("`{lit}` is not an IAM role name"),
                    "use the role's name (not its ARN): letters, digits and +=,.@_- (at most 64)",
                );
            }
        }
        ExistingRole {
            name,
            label: label.to_owned(),
        }
    }

    /// A role by ARN (`arn:<partition>:iam::<account>:role/[path/]<name>`); the name is the
    /// part after the last `/`.
    pub fn from_arn(scope: &Scope<'_>, label: &str, arn: &str) -> Self {
        let name = arn
            .strip_prefix("arn:")
            .filter(|_| arn.split(':').nth(2) == Some("iam"))
            .and_then(|_| arn.split(':').nth(5))
            .and_then(|r| r.strip_prefix("role/"))
            .and_then(|r| r.rsplit('/').next())
            .filter(|n| !n.is_empty());
        match name {
            Some(n) => ExistingRole::from_name(scope, label, n),
            None => {
                scope.error(
                    codes::INVALID_IMPORT,
                    &role_id(label),
                    Some("RoleArn"),
                    format!("`{arn}` is not an IAM role ARN"),
                    "use arn:aws:iam::<account>:role/<name>",
                );
                ExistingRole {
                    name: Val::from("invalid"),
                    label: label.to_owned(),
                }
            }
        }
    }
}

impl Grantee for ExistingRole {
    fn grant_role(&self) -> GrantRole {
        GrantRole {
            name: self.name.clone(),
            label: self.label.clone(),
        }
    }
}

/// The ID an imported role's errors are reported under: its label, or `ExistingRole`.
fn role_id(label: &str) -> String {
    let clean: String = label.chars().filter(char::is_ascii_alphanumeric).collect();
    if clean.is_empty() {
        "ExistingRole".to_owned()
    } else {
        clean
    }
}
