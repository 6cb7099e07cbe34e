//! [`Key`]: a customer-managed KMS key with rotation on, a key policy that names the AWS
//! services that use it, a deletion window and a `Retain` policy; and [`KmsKey`], the way
//! the other resource patterns take a customer key.
//!
//! Logical IDs (for id `Data`): `DataKey` (`AWS::KMS::Key`), `DataAlias` (`AWS::KMS::Alias`,
//! only with [`KeyProps::alias`]).
//!
//! **The key policy.** The account root gets `kms:*`: that is what lets IAM policies (and so
//! the grants of [`Key::grant_encrypt`], [`Key::grant_decrypt`] and of the resource patterns)
//! decide who uses the key, and it keeps the key manageable. Then one statement per
//! [`KeyService`]: the services that call KMS *themselves*, as service principals, each
//! narrowed the way AWS documents it (an encryption-context or `aws:SourceAccount` condition).
//! Services that call KMS with the caller's credentials (S3, SQS, SNS publishers, Secrets
//! Manager readers) need no key-policy statement: the caller's grant carries the permission,
//! and the resource patterns' grants narrow it with `kms:ViaService`.
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::key::{Key, KeyProps, KeyService};
//!
//! let app = App::new();
//! let mut s = app.stack("data");
//! let key = Key::new(&mut s, "Logs", KeyProps {
//!     services: vec![KeyService::Logs],
//!     ..Default::default()
//! });
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(t["Resources"]["LogsKey"]["Properties"]["EnableKeyRotation"], true);
//! assert_eq!(t["Resources"]["LogsKey"]["DeletionPolicy"], "Retain");
//! # let _ = key;
//! ```

use serde_json::Value as Json;
use stackforge::cfn::kms;
use stackforge::policy::{Principal, Statement};
use stackforge::{fns, pseudo, sub, Expr, Grant, Handle, Policy, Scope, Val};

use crate::codes;
use crate::grants;
use crate::refs::Grantee;

/// An AWS service that calls KMS with this key as a service principal, named in the key policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum KeyService {
    /// CloudWatch Logs, for log groups encrypted with the key: `logs.<region>.<url suffix>`,
    /// limited to this account's and region's log groups by the
    /// `kms:EncryptionContext:aws:logs:arn` condition AWS documents.
    Logs,
    /// CloudWatch alarms that publish to an SNS topic encrypted with the key:
    /// `cloudwatch.amazonaws.com`, `kms:Decrypt` and `kms:GenerateDataKey*`. (The AWS-managed
    /// key `aws/sns` does not allow this, so an alarm topic needs a customer key.) AWS documents
    /// no source condition for this statement; the topic policy limits publishing to this
    /// account's alarms.
    CloudWatch,
    /// SNS delivering to SQS queues encrypted with the key: `sns.amazonaws.com`, from topics of
    /// this account only (`aws:SourceAccount`).
    Sns,
    /// EventBridge delivering to queues or topics encrypted with the key:
    /// `events.amazonaws.com`, from rules of this account only (`aws:SourceAccount`).
    Events,
}

impl KeyService {
    /// Every service, in the order the key policy lists them.
    pub const ALL: [KeyService; 4] = [
        KeyService::Logs,
        KeyService::CloudWatch,
        KeyService::Sns,
        KeyService::Events,
    ];

    /// The statement this service gets in the key policy.
    fn statement(self) -> Expr {
        let account = pseudo::account_id();
        match self {
            KeyService::Logs => {
                // The logs principal is regional (a Sub), and `Principal::Service` takes a
                // literal only, so the Principal is set on the rendered statement.
                let st = Statement::allow()
                    .sid("CloudWatchLogs")
                    .actions(grants::KMS_LOGS.iter().copied())
                    .resource("*")
                    .condition(
                        "ArnLike",
                        "kms:EncryptionContext:aws:logs:arn",
                        sub!(
                            "arn:",
                            pseudo::partition(),
                            ":logs:",
                            pseudo::region(),
                            ":",
                            pseudo::account_id(),
                            ":log-group:*"
                        ),
                    );
                with_service_principal(
                    st.into_expr(),
                    sub!("logs.", pseudo::region(), ".", pseudo::url_suffix()),
                )
            }
            KeyService::CloudWatch => Statement::allow()
                .sid("CloudWatchAlarms")
                .principal(Principal::service("cloudwatch.amazonaws.com"))
                .actions(grants::KMS_SERVICE_PRINCIPAL.iter().copied())
                .resource("*")
                .into_expr(),
            KeyService::Sns => Statement::allow()
                .sid("SnsDelivery")
                .principal(Principal::service("sns.amazonaws.com"))
                .actions(grants::KMS_SERVICE_PRINCIPAL.iter().copied())
                .resource("*")
                .condition("StringEquals", "aws:SourceAccount", account)
                .into_expr(),
            KeyService::Events => Statement::allow()
                .sid("EventBridgeDelivery")
                .principal(Principal::service("events.amazonaws.com"))
                .actions(grants::KMS_SERVICE_PRINCIPAL.iter().copied())
                .resource("*")
                .condition("StringEquals", "aws:SourceAccount", account)
                .into_expr(),
        }
    }
}

/// Adds `"Principal": {"Service": <value>}` to a rendered statement, for a service principal
/// that is not a literal.
fn with_service_principal(mut statement: Expr, service: Val<String>) -> Expr {
    if let Expr::Map(m) = &mut statement {
        m.insert(
            "Principal".to_owned(),
            stackforge::json!({ "Service": (&service) }).into_expr(),
        );
    }
    statement
}

/// Options of [`Key`].
#[derive(Clone, Debug, PartialEq)]
pub struct KeyProps {
    /// The key's description.
    /// Default: `<path>: customer-managed key` (e.g. `Data: customer-managed key`).
    pub description: Option<Val<String>>,
    /// The AWS services that use the key as service principals; each gets its documented
    /// statement in the key policy.
    /// Default: none (only IAM policies of this account, through the root statement).
    pub services: Vec<KeyService>,
    /// An alias (`alias/<name>`: letters, digits, `/_-`; not `alias/aws/…`).
    /// Default: none.
    pub alias: Option<Val<String>>,
    /// Days KMS waits before it deletes the key once the stack no longer holds it (7–30: a
    /// literal is checked by the schema rules, `SF102`; a parameter by `SFM016`). Only matters
    /// with [`KeyProps::removal_policy`] `Delete`.
    /// Default: `30`.
    pub pending_window_days: Val<i64>,
    /// Days between automatic rotations of the key material (90–2560, checked like
    /// [`KeyProps::pending_window_days`]). Rotation is always on.
    /// Default: `365`.
    pub rotation_period_days: Val<i64>,
    /// `DeletionPolicy` and `UpdateReplacePolicy`: deleting a key destroys every piece of data
    /// encrypted with it, so the key outlives the stack. `RetainExceptOnCreate` also deletes
    /// it when the stack's first creation rolls back (`UpdateReplacePolicy` stays `Retain`);
    /// `Delete` schedules deletion after [`KeyProps::pending_window_days`]. `Snapshot` is an
    /// error (`SFM022`).
    /// Default: [`Policy::Retain`].
    pub removal_policy: Policy,
}

impl Default for KeyProps {
    fn default() -> Self {
        KeyProps {
            description: None,
            services: Vec::new(),
            alias: None,
            pending_window_days: 30.into(),
            rotation_period_days: 365.into(),
            removal_policy: Policy::Retain,
        }
    }
}

/// A customer-managed KMS key.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The `AWS::KMS::Key` (id `<id>Key`).
    pub key: Handle<kms::Key>,
    /// The `AWS::KMS::Alias` (id `<id>Alias`), with [`KeyProps::alias`].
    pub alias: Option<Handle<kms::Alias>>,
    /// The services the key policy names.
    pub services: Vec<KeyService>,
    /// The pattern's full path.
    pub name: String,
}

impl Key {
    /// Creates the key (and its alias) under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: KeyProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        check(&mut s, &props);
        let mut services = props.services.clone();
        services.sort_unstable();
        services.dedup();

        let key = s.add(
            "Key",
            kms::Key {
                description: Some(
                    props
                        .description
                        .clone()
                        .unwrap_or_else(|| format!("{name}: customer-managed key").into()),
                ),
                enable_key_rotation: Some(true.into()),
                rotation_period_in_days: Some(props.rotation_period_days.clone()),
                pending_window_in_days: Some(props.pending_window_days.clone()),
                key_policy: Some(key_policy(&services)),
                ..Default::default()
            },
        );
        set_removal_policy(&mut s, key, "Key", props.removal_policy);
        let alias = props.alias.as_ref().map(|a| {
            let h = s.add("Alias", kms::Alias::new(a.clone(), key.reference()));
            s.set_policies(h, Policy::Delete);
            h
        });
        Key {
            key,
            alias,
            services,
            name,
        }
    }

    /// The key's ARN (`Fn::GetAtt Arn`): what IAM statements and `KmsMasterKeyId`-style
    /// properties take.
    pub fn arn(&self) -> Val<String> {
        self.key.attr_arn()
    }

    /// The key ID (`Ref`).
    pub fn key_id(&self) -> Val<String> {
        self.key.reference()
    }

    /// True if the key policy names `service`.
    pub fn allows(&self, service: KeyService) -> bool {
        self.services.contains(&service)
    }

    /// Lets `grantee` encrypt with the key ([`grants::KMS_ENCRYPT`]).
    pub fn grant_encrypt(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        self.grant(scope, grantee, grants::KMS_ENCRYPT)
    }

    /// Lets `grantee` decrypt with the key ([`grants::KMS_DECRYPT`]).
    pub fn grant_decrypt(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        self.grant(scope, grantee, grants::KMS_DECRYPT)
    }

    /// Lets `grantee` encrypt and decrypt with the key.
    pub fn grant_encrypt_decrypt(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let actions: Vec<&str> = grants::KMS_DECRYPT
            .iter()
            .chain(grants::KMS_ENCRYPT)
            .copied()
            .collect();
        self.grant(scope, grantee, &actions)
    }

    fn grant(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee, actions: &[&str]) -> Grant {
        let st = grants::allow_unnamed(actions, vec![self.arn()]);
        grants::grant(scope, grantee, vec![st], None)
    }
}

/// The key policy: the account root (IAM decides), then one statement per service.
fn key_policy(services: &[KeyService]) -> Val<stackforge::Json> {
    let root = Statement::allow()
        .sid("AccountIamPolicies")
        .principal(Principal::account(pseudo::account_id()))
        .action("kms:*")
        .resource("*")
        .into_expr();
    let mut statements = vec![root];
    statements.extend(services.iter().map(|s| s.statement()));
    stackforge::json!({ "Version": "2012-10-17", "Statement": statements })
}

fn check(s: &mut Scope<'_>, p: &KeyProps) {
    check_non_literal(
        s,
        codes::INVALID_KEY,
        "Key",
        "Properties.PendingWindowInDays",
        &p.pending_window_days,
        |v| match whole(&v[0]) {
            Some(d) if (7..=30).contains(&d) => Ok(()),
            _ => Err(format!(
                "a deletion window of {} days is outside 7..=30",
                v[0]
            )),
        },
    );
    check_non_literal(
        s,
        codes::INVALID_KEY,
        "Key",
        "Properties.RotationPeriodInDays",
        &p.rotation_period_days,
        |v| match whole(&v[0]) {
            Some(d) if (90..=2560).contains(&d) => Ok(()),
            _ => Err(format!(
                "a rotation period of {} days is outside 90..=2560",
                v[0]
            )),
        },
    );
    if let Some(alias) = &p.alias {
        // The schema's pattern checks a literal's shape (SF103); the reserved `alias/aws/`
        // prefix it lets through, and a parameter's values, are checked here.
        let literal = alias.is_literal();
        s.check_values(
            codes::INVALID_KEY,
            "Alias",
            Some("Properties.AliasName"),
            &[alias.expr()],
            move |v| {
                let a = v[0].as_str().unwrap_or_default();
                let rest = a.strip_prefix("alias/").unwrap_or_default();
                if a.starts_with("alias/aws/") {
                    Err(format!("`{a}`: the prefix alias/aws/ is reserved for AWS-managed keys"))
                } else if !literal
                    && (rest.is_empty()
                        || a.len() > 256
                        || !rest
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || ":/_-".contains(c)))
                {
                    Err(format!(
                        "`{a}` is not `alias/<name>` (letters, digits, :/_-; at most 256 characters)"
                    ))
                } else {
                    Ok(())
                }
            },
        );
    }
}

/// Sets `DeletionPolicy` and `UpdateReplacePolicy` on a resource without snapshots:
/// `Snapshot` is an error (`SFM022`) and sets nothing; `RetainExceptOnCreate`, which exists
/// for `DeletionPolicy` only, keeps the replaced resource (`UpdateReplacePolicy: Retain`).
pub(crate) fn set_removal_policy<R>(s: &mut Scope<'_>, h: Handle<R>, id: &str, p: Policy) {
    match p {
        Policy::Snapshot => s.error(
            codes::UNSUPPORTED_REMOVAL_POLICY,
            id,
            Some("DeletionPolicy"),
            "this resource type has no snapshots",
            "use Policy::Retain, RetainExceptOnCreate or Delete",
        ),
        Policy::RetainExceptOnCreate => {
            s.set_deletion_policy(h, p);
            s.set_update_replace_policy(h, Policy::Retain);
        }
        _ => s.set_policies(h, p),
    }
}

/// [`Scope::check_values`] for a value whose literal the generated schema check already
/// covers with the same bounds (`SF102`, same logical ID and property): a literal is left to
/// it, so one mistake gives one diagnostic; a parameter, `Fn::If` or mapping lookup, which the
/// schema check cannot see, is checked here (an error, or a template rule for the parameter
/// values that fail).
pub(crate) fn check_non_literal<E: std::fmt::Display>(
    s: &mut Scope<'_>,
    code: stackforge::Code,
    id: &str,
    property: &str,
    value: &Val<i64>,
    check: impl Fn(&[Json]) -> Result<(), E>,
) {
    if !value.is_literal() {
        s.check_values(code, id, Some(property), &[value.expr()], check);
    }
}

/// A JSON scalar as a whole number (CloudFormation writes many numbers as strings).
pub(crate) fn whole(v: &Json) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A customer key for a resource pattern: a [`Key`] of this app, whose policy the pattern
/// checks for the services it needs (`SFM019`), or any key by ARN, whose policy you vouch
/// for.
#[derive(Clone, Debug, PartialEq)]
pub enum KmsKey {
    /// A key made by the [`Key`] pattern.
    Pattern(Key),
    /// Any key, by its key ARN (not an alias ARN: IAM statements need the key ARN).
    Arn(Val<String>),
}

impl KmsKey {
    /// The key ARN.
    pub fn arn(&self) -> Val<String> {
        match self {
            KmsKey::Pattern(k) => k.arn(),
            KmsKey::Arn(a) => a.clone(),
        }
    }

    /// Reports `SFM019` at `id`/`property` when this is a [`Key`] whose policy does not name
    /// `service`. A key given by ARN is not checked.
    pub(crate) fn require(
        &self,
        s: &Scope<'_>,
        service: KeyService,
        id: &str,
        property: &str,
        why: &str,
    ) {
        if let KmsKey::Pattern(k) = self {
            if !k.allows(service) {
                s.error(
                    codes::KEY_MISSING_SERVICE,
                    id,
                    Some(property),
                    format!(
                        "key `{}` does not name {service:?} in its key policy, so {why}",
                        k.name
                    ),
                    format!("add KeyService::{service:?} to the key's KeyProps::services"),
                );
            }
        }
    }
}

impl From<&Key> for KmsKey {
    fn from(k: &Key) -> Self {
        KmsKey::Pattern(k.clone())
    }
}

impl From<Key> for KmsKey {
    fn from(k: Key) -> Self {
        KmsKey::Pattern(k)
    }
}

impl From<Val<String>> for KmsKey {
    fn from(arn: Val<String>) -> Self {
        KmsKey::Arn(arn)
    }
}

impl From<&str> for KmsKey {
    fn from(arn: &str) -> Self {
        KmsKey::Arn(arn.into())
    }
}

/// `<service>.<region of the key>.<url suffix>`: the `kms:ViaService` value for a key ARN,
/// with the region taken from the ARN itself (at synth for a literal ARN, with
/// `Fn::Select`/`Fn::Split` otherwise), so a grant in a stack of another region is still right.
pub(crate) fn via_service(service: &str, key_arn: &Val<String>) -> Val<String> {
    let literal_region = key_arn
        .as_literal()
        .and_then(|a| a.split(':').nth(3))
        .filter(|r| !r.is_empty());
    match literal_region {
        Some(region) => sub!(format!("{service}.{region}."), pseudo::url_suffix()),
        None => sub!(
            format!("{service}."),
            fns::select(3, fns::split(":", key_arn.clone())),
            ".",
            pseudo::url_suffix()
        ),
    }
}
