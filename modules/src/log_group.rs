//! [`LogGroup`]: a CloudWatch Logs group with a checked retention, an optional customer key,
//! a `Retain` policy, and a least-privilege write grant.
//!
//! Logical ID (for id `Audit`): `AuditLogGroup` (`AWS::Logs::LogGroup`).
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::log_group::{LogGroup, LogGroupProps};
//!
//! let app = App::new();
//! let mut s = app.stack("ops");
//! let g = LogGroup::new(&mut s, "Audit", LogGroupProps::default());
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(t["Resources"]["AuditLogGroup"]["Properties"]["RetentionInDays"], 365);
//! # let _ = g;
//! ```

use stackforge::cfn::logs;
use stackforge::{Grant, Handle, Policy, Scope, Val};

use crate::codes;
use crate::grants;
use crate::key::{set_removal_policy, whole, KeyService, KmsKey};
use crate::refs::Grantee;

/// The retention values CloudWatch Logs accepts, in days (the `RetentionInDays` enum of the
/// `AWS::Logs::LogGroup` schema).
pub const RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Options of [`LogGroup`].
#[derive(Clone, Debug, PartialEq)]
pub struct LogGroupProps {
    /// The log group name (letters, digits and `._-/#`).
    /// Default: none (CloudFormation generates one).
    pub log_group_name: Option<Val<String>>,
    /// How long events are kept, in days: one of [`RETENTION_DAYS`] (`SFM020` otherwise).
    /// Default: `365` (a year, what audits usually ask for).
    pub retention_days: Val<i64>,
    /// A customer key. A [`crate::key::Key`] must name [`KeyService::Logs`] (`SFM019`):
    /// CloudWatch Logs uses the key itself, so writers need no KMS permission.
    /// Default: none (encrypted by CloudWatch Logs with an AWS-owned key).
    pub kms_key: Option<KmsKey>,
    /// `DeletionPolicy` and `UpdateReplacePolicy` (`RetainExceptOnCreate` keeps a replaced
    /// resource: `UpdateReplacePolicy: Retain`; `Snapshot` is an error, `SFM022`).
    /// Default: [`Policy::Retain`] (logs are evidence; they outlive the stack).
    pub removal_policy: Policy,
}

impl Default for LogGroupProps {
    fn default() -> Self {
        LogGroupProps {
            log_group_name: None,
            retention_days: 365.into(),
            kms_key: None,
            removal_policy: Policy::Retain,
        }
    }
}

/// A CloudWatch Logs group.
#[derive(Clone, Debug, PartialEq)]
pub struct LogGroup {
    /// The `AWS::Logs::LogGroup` (id `<id>LogGroup`).
    pub log_group: Handle<logs::LogGroup>,
    /// The pattern's full path.
    pub name: String,
    /// The customer key, if any.
    pub kms_key: Option<KmsKey>,
}

impl LogGroup {
    /// Creates the log group under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: LogGroupProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        s.check_values(
            codes::INVALID_LOG_RETENTION,
            "LogGroup",
            Some("Properties.RetentionInDays"),
            &[props.retention_days.expr()],
            |v| match whole(&v[0]) {
                Some(d) if RETENTION_DAYS.contains(&d) => Ok(()),
                _ => Err(format!(
                    "{} days is not a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, …, 3653)",
                    v[0]
                )),
            },
        );
        if let Some(k) = &props.kms_key {
            k.require(
                &s,
                KeyService::Logs,
                "LogGroup",
                "Properties.KmsKeyId",
                "CloudWatch Logs cannot use it and creating the log group fails",
            );
        }
        let log_group = s.add(
            "LogGroup",
            logs::LogGroup {
                log_group_name: props.log_group_name.clone(),
                retention_in_days: Some(props.retention_days.clone()),
                kms_key_id: props.kms_key.as_ref().map(KmsKey::arn),
                ..Default::default()
            },
        );
        set_removal_policy(&mut s, log_group, "LogGroup", props.removal_policy);
        if props.kms_key.is_none() {
            s.skip_checkov(
                log_group,
                "CKV_AWS_158",
                "Encrypted at rest by CloudWatch Logs with an AWS-owned key; a customer key costs 1 USD a month, so it is an option: LogGroupProps::kms_key with a Key that names KeyService::Logs",
            );
        }
        LogGroup {
            log_group,
            name,
            kms_key: props.kms_key.clone(),
        }
    }

    /// The log group name (`Ref`).
    pub fn log_group_name(&self) -> Val<String> {
        self.log_group.reference()
    }

    /// The log group ARN (`Fn::GetAtt Arn`, ending in `:*`, which covers its streams).
    pub fn arn(&self) -> Val<String> {
        self.log_group.attr_arn()
    }

    /// Lets `grantee` create streams in the group and put events into them
    /// ([`grants::LOGS_WRITE`] on the group's ARN, which ends in `:*`). No KMS statement:
    /// CloudWatch Logs encrypts with its own service principal, named in the key's policy.
    pub fn grant_write(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = grants::allow_unnamed(grants::LOGS_WRITE, vec![self.arn()]);
        grants::grant(scope, grantee, vec![st], None)
    }
}
