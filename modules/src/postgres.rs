//! [`PostgresDatabase`]: RDS for PostgreSQL, secure by default.
//!
//! - Multi-AZ, storage encryption, 7-day backups, deletion protection, Snapshot deletion and
//!   update-replace policies, not publicly accessible, IAM authentication on, enhanced
//!   monitoring and log exports on, minor versions upgraded automatically.
//! - A current engine (default [`DEFAULT_ENGINE_VERSION`]); unknown or deprecated versions are
//!   an error ([`codes::UNKNOWN_ENGINE_VERSION`]).
//! - A parameter group whose `rds.force_ssl` is explicit ([`ForceSsl`]): on by default; off
//!   only with a written reason, which goes into the parameter group's description.
//! - The master credentials are an `AWS::SecretsManager::Secret` with `GenerateSecretString`
//!   (a username/password JSON without punctuation, safe in URLs and space-separated DSNs),
//!   attached with a `SecretTargetAttachment`; the instance reads them through dynamic
//!   references, so no password is ever in the template. Not `ManageMasterUserPassword`: its
//!   generated password cannot exclude punctuation.
//! - A security group with no ingress until [`PostgresDatabase::allow_from`].
//!
//! Logical IDs (pattern id `Db`): `DbSecret`, `DbSecretAttachment`, `DbSecurityGroup`,
//! `DbSubnetGroup`, `DbParameterGroup`, `DbMonitoringRole`, `DbInstance`.

use serde_json::json;
use stackforge::cfn::{ec2, iam, rds, secretsmanager};
use stackforge::{dynamic, pseudo, sub, Grant, Handle, Policy, Scope, Val};

use crate::codes;
use crate::connections::{allow_tcp_from, Connectable};
use crate::existing::{ContainerSecret, SecretRef};
use crate::fargate::base::as_u64;
use crate::network::json_val;
use crate::refs::{Grantee, VpcRef};

/// The default engine version: PostgreSQL 17, a minor version cfn-lint (1.58.0, W3691) does
/// not list as deprecated.
pub const DEFAULT_ENGINE_VERSION: &str = "17.9";

/// The engine versions this pattern accepts: PostgreSQL 16 and 17 minor versions that RDS
/// offers and that are not deprecated (cfn-lint 1.58.0 data, schema date 2026-10-20).
/// PostgreSQL 14 leaves standard support in February 2027 and is not offered.
pub const SUPPORTED_ENGINE_VERSIONS: &[&str] = &[
    "16.9", "16.10", "16.11", "16.12", "16.13", "16.14", "16.15", "17.5", "17.6", "17.7", "17.8",
    "17.9", "17.10", "17.11",
];

/// Why an engine version is refused ([`engine_family`]); its code is
/// [`codes::UNKNOWN_ENGINE_VERSION`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EngineVersionError {
    /// Only a major version (`17`).
    #[error("`{version}` names only the major version; RDS treats a bare major version as deprecated (cfn-lint W3691)")]
    MajorOnly {
        /// The version given.
        version: String,
    },
    /// A supported major version, but not a current minor version.
    #[error("PostgreSQL `{version}` is not a current, non-deprecated RDS minor version")]
    NotCurrent {
        /// The version given.
        version: String,
    },
    /// A major version the pattern does not support.
    #[error("PostgreSQL `{version}` is not supported: use 16 or 17 (14 and older leave standard support; 15 and later need an explicit rds.force_ssl)")]
    Unsupported {
        /// The version given.
        version: String,
    },
}

impl EngineVersionError {
    /// The code: [`codes::UNKNOWN_ENGINE_VERSION`].
    pub fn code(&self) -> stackforge::Code {
        codes::UNKNOWN_ENGINE_VERSION
    }
}

/// The parameter-group family of a supported engine version (`postgres17`), or why the version
/// is refused.
pub fn engine_family(version: &str) -> Result<String, EngineVersionError> {
    if SUPPORTED_ENGINE_VERSIONS.contains(&version) {
        let major = version.split('.').next().unwrap_or(version);
        return Ok(format!("postgres{major}"));
    }
    let major = version.split('.').next().unwrap_or("");
    let version = version.to_owned();
    Err(match major {
        "16" | "17" if !version.contains('.') => EngineVersionError::MajorOnly { version },
        "16" | "17" => EngineVersionError::NotCurrent { version },
        _ => EngineVersionError::Unsupported { version },
    })
}

/// Why an instance class is refused ([`check_instance_class`]); its code is
/// [`codes::INVALID_DATABASE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InstanceClassError {
    /// A family RDS does not offer for PostgreSQL.
    #[error("`{class}`: `{family}` is not an instance family RDS offers for PostgreSQL")]
    Family {
        /// The class given.
        class: String,
        /// Its family.
        family: String,
    },
    /// Not `db.<family>.<size>`.
    #[error("`{class}` is not an RDS instance class (db.<family>.<size>, e.g. db.t4g.micro)")]
    Form {
        /// The class given.
        class: String,
    },
}

impl InstanceClassError {
    /// The code: [`codes::INVALID_DATABASE`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_DATABASE
    }
}

/// The `rds.force_ssl` setting, explicit on purpose.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ForceSsl {
    /// `rds.force_ssl = 1`: clients must use TLS (the RDS default from PostgreSQL 15).
    #[default]
    On,
    /// `rds.force_ssl = 0`, with the reason (written into the parameter group's description).
    Off {
        /// Why the clients cannot use TLS.
        reason: String,
    },
}

/// Options of [`PostgresDatabase`].
#[derive(Clone, Debug, PartialEq)]
pub struct PostgresProps {
    /// The database created in the instance (`DBName`).
    /// Default: `app`.
    pub database_name: String,
    /// The master user's name, stored in the generated secret.
    /// Default: `postgres`.
    pub master_username: String,
    /// The engine version, one of [`SUPPORTED_ENGINE_VERSIONS`].
    /// Default: [`DEFAULT_ENGINE_VERSION`] (`17.9`).
    pub engine_version: String,
    /// The instance class (`db.<family>.<size>`, a family RDS offers for PostgreSQL).
    /// Default: `db.t4g.micro`.
    pub instance_class: Val<String>,
    /// Allocated storage in GiB (gp3, 20 to 65,536).
    /// Default: `20`.
    pub allocated_storage_gib: Val<i64>,
    /// Storage autoscaling ceiling in GiB (0 turns it off), above `allocated_storage_gib`.
    /// Default: `100`.
    pub max_allocated_storage_gib: Val<i64>,
    /// A standby in a second AZ.
    /// Default: `true`.
    pub multi_az: Val<bool>,
    /// Days of automated backups (1 to 35).
    /// Default: `7`.
    pub backup_retention_days: Val<i64>,
    /// Deletion protection (turn it off before deleting the stack).
    /// Default: `true`.
    pub deletion_protection: bool,
    /// `rds.force_ssl`.
    /// Default: [`ForceSsl::On`].
    pub force_ssl: ForceSsl,
    /// The port.
    /// Default: `5432`.
    pub port: u16,
    /// Enhanced monitoring interval in seconds (0, 1, 5, 10, 15, 30 or 60; 0 turns it off).
    /// Default: `60`.
    pub monitoring_interval_seconds: u32,
    /// A customer-managed KMS key (ARN) for the storage and the secret.
    /// Default: `None` (the AWS-managed keys `aws/rds` and `aws/secretsmanager`).
    pub kms_key_arn: Option<Val<String>>,
}

impl Default for PostgresProps {
    fn default() -> Self {
        PostgresProps {
            database_name: "app".into(),
            master_username: "postgres".into(),
            engine_version: DEFAULT_ENGINE_VERSION.into(),
            instance_class: "db.t4g.micro".into(),
            allocated_storage_gib: 20.into(),
            max_allocated_storage_gib: 100.into(),
            multi_az: true.into(),
            backup_retention_days: 7.into(),
            deletion_protection: true,
            force_ssl: ForceSsl::On,
            port: 5432,
            monitoring_interval_seconds: 60,
            kms_key_arn: None,
        }
    }
}

/// An RDS PostgreSQL instance with its secret, security group, subnet group, parameter group
/// and monitoring role.
#[derive(Clone, Debug)]
pub struct PostgresDatabase {
    /// The generated master secret (`<id>Secret`): `{"username": …, "password": …}`, plus the
    /// connection fields the attachment adds (`host`, `port`, `engine`, …).
    pub secret: Handle<secretsmanager::Secret>,
    /// The secret's attachment to the instance (`<id>SecretAttachment`).
    pub secret_attachment: Handle<secretsmanager::SecretTargetAttachment>,
    /// The security group (`<id>SecurityGroup`); no ingress until [`PostgresDatabase::allow_from`].
    pub security_group: Handle<ec2::SecurityGroup>,
    /// The subnet group over the private subnets (`<id>SubnetGroup`).
    pub subnet_group: Handle<rds::DbSubnetGroup>,
    /// The parameter group with the explicit `rds.force_ssl` (`<id>ParameterGroup`).
    pub parameter_group: Handle<rds::DbParameterGroup>,
    /// The enhanced-monitoring role (`<id>MonitoringRole`), when monitoring is on.
    pub monitoring_role: Option<Handle<iam::Role>>,
    /// The instance (`<id>Instance`).
    pub instance: Handle<rds::DbInstance>,
    /// The port.
    pub port: u16,
    /// The database name.
    pub database_name: String,
    name: String,
}

impl PostgresDatabase {
    /// Creates the database in the network's private subnets.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        network: &dyn VpcRef,
        props: PostgresProps,
    ) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        let family = match engine_family(&props.engine_version) {
            Ok(f) => f,
            Err(why) => {
                s.error(
                    codes::UNKNOWN_ENGINE_VERSION,
                    "Instance",
                    Some("Properties.EngineVersion"),
                    why.to_string(),
                    format!(
                        "use one of {} (default {DEFAULT_ENGINE_VERSION})",
                        SUPPORTED_ENGINE_VERSIONS.join(", ")
                    ),
                );
                "postgres17".to_owned()
            }
        };
        check_props(&mut s, &props, network);

        let secret = s.add(
            "Secret",
            secretsmanager::Secret {
                description: Some(sub!(
                    "Master credentials of ",
                    pseudo::stack_name(),
                    format!("/{name}Instance")
                )),
                generate_secret_string: Some(secretsmanager::secret::GenerateSecretString {
                    secret_string_template: Some(
                        json!({"username": props.master_username})
                            .to_string()
                            .into(),
                    ),
                    generate_string_key: Some("password".into()),
                    password_length: Some(32.into()),
                    // Letters and digits only: safe in URLs and in a space-separated DSN
                    // (`password=… host=…`), and none of the characters RDS refuses (/ @ " ').
                    exclude_punctuation: Some(true.into()),
                    include_space: Some(false.into()),
                    ..Default::default()
                }),
                kms_key_id: props.kms_key_arn.clone(),
                ..Default::default()
            },
        );
        s.skip_checkov(
            secret,
            "CKV2_AWS_57",
            "Rotation needs a Lambda-backed rotation function, which the patterns avoid; rotate by re-creating the secret or add AWS::SecretsManager::RotationSchedule with a hosted rotation Lambda",
        );
        if props.kms_key_arn.is_none() {
            s.skip_checkov(
                secret,
                "CKV_AWS_149",
                "Encrypted with the AWS-managed key aws/secretsmanager; a customer-managed key needs a key policy plus kms:Decrypt for every reader that nothing offline verifies (set kms_key_arn to use one)",
            );
        }

        let sg = s.add(
            "SecurityGroup",
            ec2::SecurityGroup {
                vpc_id: Some(network.vpc_id()),
                security_group_egress: Some(vec![no_egress()]),
                ..ec2::SecurityGroup::new(sub!(
                    "PostgreSQL ",
                    pseudo::stack_name(),
                    format!("/{name}: no ingress until allow_from")
                ))
            },
        );

        let subnet_group = s.add(
            "SubnetGroup",
            rds::DbSubnetGroup::new(
                sub!(
                    "Private subnets of ",
                    pseudo::stack_name(),
                    format!("/{name}")
                ),
                network.private_subnet_ids(),
            ),
        );

        let (force_ssl, pg_description) = match &props.force_ssl {
            ForceSsl::On => ("1", "rds.force_ssl=1: clients must use TLS".to_owned()),
            ForceSsl::Off { reason } => ("0", format!("rds.force_ssl=0: {reason}")),
        };
        let parameter_group = s.add(
            "ParameterGroup",
            rds::DbParameterGroup {
                parameters: Some(json!({ "rds.force_ssl": force_ssl }).into()),
                ..rds::DbParameterGroup::new(truncate(&pg_description, 255), family)
            },
        );

        let monitoring_role = (props.monitoring_interval_seconds > 0).then(|| {
            s.add(
                "MonitoringRole",
                iam::Role {
                    description: Some("RDS enhanced monitoring".into()),
                    managed_policy_arns: Some(
                        vec![sub!(
                            "arn:",
                            pseudo::partition(),
                            ":iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
                        )]
                        .into(),
                    ),
                    ..iam::Role::new(
                        json_val(json!({
                            "Version": "2012-10-17",
                            "Statement": [{
                                "Effect": "Allow",
                                "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"StringEquals": {"aws:SourceAccount": "__ACCOUNT__"}}
                            }]
                        }))
                        .replace_marker("__ACCOUNT__", pseudo::account_id()),
                    )
                },
            )
        });

        let instance = s.add(
            "Instance",
            rds::DbInstance {
                engine: Some("postgres".into()),
                engine_version: Some(props.engine_version.clone().into()),
                db_instance_class: Some(props.instance_class.clone()),
                db_name: Some(props.database_name.clone().into()),
                master_username: Some(dynamic::secrets_manager(
                    secret.reference(),
                    Some("username"),
                )),
                master_user_password: Some(dynamic::secrets_manager(
                    secret.reference(),
                    Some("password"),
                )),
                port: Some(props.port.to_string().into()),
                allocated_storage: Some(props.allocated_storage_gib.to_text()),
                max_allocated_storage: (props.max_allocated_storage_gib.as_literal() != Some(0))
                    .then(|| props.max_allocated_storage_gib.clone()),
                storage_type: Some("gp3".into()),
                storage_encrypted: Some(true.into()),
                kms_key_id: props.kms_key_arn.clone(),
                multi_az: Some(props.multi_az.clone()),
                publicly_accessible: Some(false.into()),
                db_subnet_group_name: Some(subnet_group.reference()),
                vpc_security_groups: Some(vec![sg.attr_group_id()].into()),
                db_parameter_group_name: Some(parameter_group.reference()),
                backup_retention_period: Some(props.backup_retention_days.clone()),
                deletion_protection: Some(props.deletion_protection.into()),
                delete_automated_backups: Some(false.into()),
                copy_tags_to_snapshot: Some(true.into()),
                auto_minor_version_upgrade: Some(true.into()),
                enable_iam_database_authentication: Some(true.into()),
                enable_cloudwatch_logs_exports: Some(vec!["postgresql", "upgrade"].into()),
                monitoring_interval: Some(i64::from(props.monitoring_interval_seconds).into()),
                monitoring_role_arn: monitoring_role.map(|r| r.attr_arn()),
                ..Default::default()
            },
        );
        s.set_policies(instance, Policy::Snapshot);
        // The secure settings: an override that changes one without a reason is a warning.
        s.protect(instance, &["PubliclyAccessible"], "public access");
        s.protect(instance, &["StorageEncrypted"], "storage encryption");
        if props.deletion_protection {
            s.protect(instance, &["DeletionProtection"], "deletion protection");
        }
        s.protect(sg, &["SecurityGroupIngress"], "open ingress");
        if props.force_ssl == ForceSsl::On {
            s.protect(
                parameter_group,
                &["Parameters", "rds.force_ssl"],
                "TLS enforcement (rds.force_ssl)",
            );
        }
        if let ForceSsl::Off { reason } = &props.force_ssl {
            s.skip_checkov(
                instance,
                "CKV2_AWS_69",
                &format!("rds.force_ssl is off on purpose: {reason}"),
            );
        }

        let secret_attachment = s.add(
            "SecretAttachment",
            secretsmanager::SecretTargetAttachment::new(
                secret.reference(),
                instance.reference(),
                "AWS::RDS::DBInstance",
            ),
        );

        PostgresDatabase {
            secret,
            secret_attachment,
            security_group: sg,
            subnet_group,
            parameter_group,
            monitoring_role,
            instance,
            port: props.port,
            database_name: props.database_name,
            name,
        }
    }

    /// The endpoint address (`Endpoint.Address`), e.g. for `DB_HOST`.
    pub fn endpoint_address(&self) -> Val<String> {
        self.instance.attr_endpoint_address()
    }

    /// The endpoint port (`Endpoint.Port`, a string as CloudFormation returns it).
    pub fn endpoint_port(&self) -> Val<String> {
        self.instance.attr_endpoint_port()
    }

    /// The secret's ARN (what `Ref` of the secret returns).
    pub fn secret_arn(&self) -> Val<String> {
        self.secret.reference()
    }

    /// The secret as a [`SecretRef`].
    pub fn secret_ref(&self) -> SecretRef {
        SecretRef::from_arn(self.secret_arn())
    }

    /// One field of the secret for an ECS container: `username`, `password`, or after the
    /// attachment `host`, `port`, `dbname`, `engine`.
    pub fn secret_field(&self, json_key: &str) -> ContainerSecret {
        self.secret_ref().field(json_key)
    }

    /// Lets `grantee` read the master secret (for an app that connects with it at run time
    /// instead of through ECS `secrets`).
    pub fn grant_read_secret(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        self.secret_ref().grant_read(scope, grantee)
    }

    /// The master user's name, from the secret.
    pub fn username(&self) -> ContainerSecret {
        self.secret_field("username")
    }

    /// The master password, from the secret.
    pub fn password(&self) -> ContainerSecret {
        self.secret_field("password")
    }

    /// Opens exactly the database port from exactly `peer`'s security group (and, when the
    /// peer restricts its egress, the matching egress rule). Logical ID
    /// `<id>IngressFrom<peer>`, added in `scope`.
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

impl Connectable for PostgresDatabase {
    fn security_group_id(&self) -> Val<String> {
        self.security_group.attr_group_id()
    }
    fn connection_name(&self) -> &str {
        &self.name
    }
}

fn check_props(s: &mut Scope<'_>, p: &PostgresProps, network: &dyn VpcRef) {
    let name_ok = p.database_name.len() <= 63
        && p.database_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && p.database_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !name_ok {
        s.error(
            codes::INVALID_DATABASE,
            "Instance",
            Some("Properties.DBName"),
            format!("`{}` is not a PostgreSQL database name", p.database_name),
            "start with a letter; use letters, digits and _ (at most 63)",
        );
    }
    let user_ok = (1..=63).contains(&p.master_username.len())
        && p.master_username
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
        && p.master_username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && p.master_username != "rdsadmin";
    if !user_ok {
        s.error(
            codes::INVALID_DATABASE,
            "Secret",
            Some("Properties.GenerateSecretString.SecretStringTemplate"),
            format!("`{}` is not a valid master user name", p.master_username),
            "start with a letter; use letters, digits and _ (not rdsadmin)",
        );
    }
    s.check_values(
        codes::INVALID_DATABASE,
        "Instance",
        Some("Properties.AllocatedStorage"),
        &[p.allocated_storage_gib.expr(), p.max_allocated_storage_gib.expr()],
        |v| {
            let (size, max) = (as_u64(&v[0]), as_u64(&v[1]));
            match (size, max) {
                (Some(size), _) if !(20..=65_536).contains(&size) => {
                    Err(format!("{size} GiB: gp3 storage is 20 to 65,536 GiB"))
                }
                (Some(size), Some(max)) if max != 0 && max <= size => Err(format!(
                    "max_allocated_storage_gib {max} must exceed allocated_storage_gib {size} (or be 0 to turn storage autoscaling off)"
                )),
                (Some(_), Some(max)) if max > 65_536 => {
                    Err(format!("max_allocated_storage_gib {max} is above 65,536 GiB"))
                }
                (Some(_), Some(_)) => Ok(()),
                _ => Err(format!("{} / {} are not whole numbers of GiB", v[0], v[1])),
            }
        },
    );
    s.check_values(
        codes::INVALID_DATABASE,
        "Instance",
        Some("Properties.BackupRetentionPeriod"),
        &[p.backup_retention_days.expr()],
        |v| match as_u64(&v[0]) {
            Some(d) if (1..=35).contains(&d) => Ok(()),
            _ => Err(format!("{} backup days: RDS keeps 1 to 35", v[0])),
        },
    );
    s.check_values(
        codes::INVALID_DATABASE,
        "Instance",
        Some("Properties.DBInstanceClass"),
        &[p.instance_class.expr()],
        |v| check_instance_class(v[0].as_str().unwrap_or_default()),
    );
    if ![0, 1, 5, 10, 15, 30, 60].contains(&p.monitoring_interval_seconds) {
        s.error(
            codes::INVALID_DATABASE,
            "Instance",
            Some("Properties.MonitoringInterval"),
            format!(
                "{} s is not a monitoring interval",
                p.monitoring_interval_seconds
            ),
            "use 0, 1, 5, 10, 15, 30 or 60",
        );
    }
    if p.port == 0 {
        s.error(
            codes::INVALID_DATABASE,
            "Instance",
            Some("Properties.Port"),
            "the port is 0",
            "use 5432",
        );
    }
    if let ForceSsl::Off { reason } = &p.force_ssl {
        if reason.trim().is_empty() {
            s.error(
                codes::INVALID_DATABASE,
                "ParameterGroup",
                Some("Properties.Parameters"),
                "rds.force_ssl is off without a reason",
                "say why the clients cannot use TLS",
            );
        }
    }
    let private = network.private_subnet_ids().len();
    if private < 2 {
        s.error(
            codes::INVALID_NETWORK,
            "SubnetGroup",
            Some("Properties.SubnetIds"),
            format!(
                "a DB subnet group needs subnets in at least two AZs; the network has {private} private subnet(s)"
            ),
            "use a network with two or more AZs",
        );
    }
}

/// Instance-class families RDS offers for PostgreSQL (`db.<family>.<size>`).
pub const POSTGRES_INSTANCE_FAMILIES: &[&str] = &[
    "t3", "t4g", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m6idn", "m6in", "m7g", "m7gd", "m7i",
    "m8g", "m8gd", "r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r6idn", "r6in", "r7g",
    "r7gd", "r7i", "r8g", "r8gd", "x2g", "x2iedn", "x2idn", "x2iezn", "z1d",
];

/// Sizes of an instance class (`micro` … `48xlarge`, `metal`).
fn size_ok(size: &str) -> bool {
    matches!(
        size,
        "micro" | "small" | "medium" | "large" | "xlarge" | "metal"
    ) || size
        .strip_suffix("xlarge")
        .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit()))
        || size
            .strip_prefix("metal-")
            .is_some_and(|n| n.ends_with("xl"))
}

/// Checks an RDS for PostgreSQL instance class: `db.<family>.<size>` with a known family.
pub fn check_instance_class(class: &str) -> Result<(), InstanceClassError> {
    let mut parts = class.split('.');
    let (db, family, size, rest) = (parts.next(), parts.next(), parts.next(), parts.next());
    match (db, family, size, rest) {
        (Some("db"), Some(f), Some(sz), None)
            if POSTGRES_INSTANCE_FAMILIES.contains(&f) && size_ok(sz) =>
        {
            Ok(())
        }
        (Some("db"), Some(f), Some(_), None) if !POSTGRES_INSTANCE_FAMILIES.contains(&f) => {
            Err(InstanceClassError::Family {
                class: class.to_owned(),
                family: f.to_owned(),
            })
        }
        _ => Err(InstanceClassError::Form {
            class: class.to_owned(),
        }),
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The egress rule that allows nothing (a database never opens connections): ICMP type 252
/// code 86 to 255.255.255.255/32, which matches no traffic, as the CDK does for
/// `allowAllOutbound: false`.
pub(crate) fn no_egress() -> ec2::security_group::Egress {
    let mut e = ec2::security_group::Egress::new("icmp");
    e.cidr_ip = Some("255.255.255.255/32".into());
    e.from_port = Some(252.into());
    e.to_port = Some(86.into());
    e.description = Some("No outbound traffic (matches nothing)".into());
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_engine_is_supported_17() {
        assert_eq!(engine_family(DEFAULT_ENGINE_VERSION).unwrap(), "postgres17");
        assert_eq!(engine_family("16.13").unwrap(), "postgres16");
    }

    #[test]
    fn old_bare_and_unknown_versions_are_refused() {
        for v in ["14.12", "17", "16.4", "17.4", "13.20", "banana", ""] {
            assert!(engine_family(v).is_err(), "{v} should be refused");
        }
    }
}
