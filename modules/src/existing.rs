//! Resources that already exist, referenced by name, ARN or ID: secrets, certificates,
//! security groups and VPCs. Nothing is created; each gives the values patterns need.
//!
//! A secret imported by *name* gets the `-??????` suffix wildcard in IAM: Secrets Manager
//! appends six random characters to every secret's ARN, so a policy on
//! `arn:…:secret:name` alone would never match.

use stackforge::{pseudo, sub, Grant, Scope, Val};

use crate::codes;
use crate::connections::Connectable;
use crate::refs::{ExistingVpc, Grantee};

/// A secret in Secrets Manager: one created by this app or one that already exists.
///
/// [`SecretRef::field`] and [`SecretRef::whole`] make a [`ContainerSecret`] for an ECS task,
/// which always becomes `secrets`/`valueFrom`, never a plain environment value.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretRef {
    /// The ARN (full, or partial for a secret imported by name) used in `valueFrom`.
    pub arn: Val<String>,
    /// The resource to grant `secretsmanager:GetSecretValue` on (the ARN, or the partial ARN
    /// with `-??????` for a secret imported by name).
    pub iam_resource: Val<String>,
}

impl SecretRef {
    /// A secret by full ARN.
    pub fn from_arn(arn: impl Into<Val<String>>) -> Self {
        let arn = arn.into();
        SecretRef {
            iam_resource: arn.clone(),
            arn,
        }
    }

    /// A secret by name in this stack's account and region. `valueFrom` uses the partial ARN;
    /// IAM uses the partial ARN with the `-??????` suffix wildcard.
    pub fn from_name(scope: &mut Scope<'_>, name: &str) -> Self {
        let ok = !name.is_empty()
            && name.len() <= 512
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
        if !ok {
            scope.error(
                codes::INVALID_IMPORT,
                "ExistingSecret",
                Some("SecretName"),
                format!("`{name}` is not a Secrets Manager secret name"),
                "names use letters, digits and /_+=.@- (at most 512 characters)",
            );
        }
        let partial = sub!(
            "arn:",
            pseudo::partition(),
            ":secretsmanager:",
            pseudo::region(),
            ":",
            pseudo::account_id(),
            ":secret:",
            name.to_owned()
        );
        let iam = sub!(
            "arn:",
            pseudo::partition(),
            ":secretsmanager:",
            pseudo::region(),
            ":",
            pseudo::account_id(),
            ":secret:",
            format!("{name}-??????")
        );
        SecretRef {
            arn: partial,
            iam_resource: iam,
        }
    }

    /// One JSON field of the secret (`password`), as `<arn>:<field>::`.
    pub fn field(&self, json_key: &str) -> ContainerSecret {
        ContainerSecret {
            value_from: sub!(self.arn.clone(), format!(":{json_key}::")),
            iam_resource: self.iam_resource.clone(),
        }
    }

    /// Lets `grantee` read the secret's value ([`crate::grants::SECRET_READ`]).
    pub fn grant_read(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        crate::grants::grant(
            scope,
            grantee,
            vec![crate::grants::allow(
                "ReadSecret",
                crate::grants::SECRET_READ,
                vec![self.iam_resource.clone()],
            )],
            None,
        )
    }

    /// The whole secret string.
    pub fn whole(&self) -> ContainerSecret {
        ContainerSecret {
            value_from: self.arn.clone(),
            iam_resource: self.iam_resource.clone(),
        }
    }
}

/// A value an ECS container reads from Secrets Manager at start: its `valueFrom` and the IAM
/// resource the execution role may read. Only [`SecretRef`] makes one, so a secret cannot be
/// put where a plain environment value goes.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerSecret {
    /// The ECS `valueFrom` (`<arn>[:<json-key>::]`).
    pub value_from: Val<String>,
    /// The resource in the execution role's `secretsmanager:GetSecretValue` statement.
    pub iam_resource: Val<String>,
}

/// An ACM certificate by ARN (for the HTTPS listener).
#[derive(Clone, Debug, PartialEq)]
pub struct CertificateRef {
    /// The certificate's ARN.
    pub arn: Val<String>,
}

impl CertificateRef {
    /// A certificate by ARN; a literal ARN is checked (`arn:<partition>:acm:…:certificate/…`).
    pub fn from_arn(scope: &mut Scope<'_>, arn: impl Into<Val<String>>) -> Self {
        let arn = arn.into();
        if let Some(lit) = arn.as_literal() {
            let ok = lit.starts_with("arn:")
                && lit.split(':').nth(2) == Some("acm")
                && lit.contains(":certificate/");
            if !ok {
                scope.error(
                    codes::INVALID_IMPORT,
                    "Certificate",
                    Some("CertificateArn"),
                    format!("`{lit}` is not an ACM certificate ARN"),
                    "use arn:aws:acm:<region>:<account>:certificate/<id>",
                );
            }
        }
        CertificateRef { arn }
    }
}

/// A security group that already exists, by ID.
#[derive(Clone, Debug, PartialEq)]
pub struct ExistingSecurityGroup {
    /// The group's ID.
    pub id: Val<String>,
    /// The name used in rule IDs and descriptions.
    pub name: String,
}

impl ExistingSecurityGroup {
    /// A security group by ID (`sg-…`); a literal ID is checked. `name` (letters and digits)
    /// names it in the logical IDs of rules that reference it.
    pub fn from_id(scope: &mut Scope<'_>, name: &str, id: impl Into<Val<String>>) -> Self {
        let id = id.into();
        if let Some(lit) = id.as_literal() {
            let ok = lit.strip_prefix("sg-").is_some_and(|h| {
                (h.len() == 8 || h.len() == 17) && h.chars().all(|c| c.is_ascii_hexdigit())
            });
            if !ok {
                let clean: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
                scope.error(
                    codes::INVALID_IMPORT,
                    if clean.is_empty() {
                        "ExistingSecurityGroup"
                    } else {
                        &clean
                    },
                    Some("GroupId"),
                    format!("`{lit}` is not a security group ID"),
                    "use sg- followed by 8 or 17 hex digits",
                );
            }
        }
        ExistingSecurityGroup {
            id,
            name: name.to_owned(),
        }
    }
}

impl Connectable for ExistingSecurityGroup {
    fn security_group_id(&self) -> Val<String> {
        self.id.clone()
    }
    fn connection_name(&self) -> &str {
        &self.name
    }
}

/// A VPC and its subnets that already exist, by literal ID (`vpc-…`, `subnet-…`, checked).
/// For IDs from parameters or imports, use [`ExistingVpc::new`].
pub fn existing_vpc(
    scope: &mut Scope<'_>,
    vpc_id: &str,
    public_subnet_ids: &[&str],
    private_subnet_ids: &[&str],
) -> ExistingVpc {
    ExistingVpc::new(
        scope,
        vpc_id,
        public_subnet_ids.iter().map(|s| Val::from(*s)).collect(),
        private_subnet_ids.iter().map(|s| Val::from(*s)).collect(),
    )
}
