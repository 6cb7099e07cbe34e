//! [`Bucket`]: an S3 bucket that is private, owner-enforced, encrypted, versioned, TLS-only,
//! with lifecycle rules, least-privilege grants, and an option to receive load balancer
//! access logs.
//!
//! Logical IDs (for id `Uploads`): `UploadsBucket` (`AWS::S3::Bucket`), `UploadsPolicy`
//! (`AWS::S3::BucketPolicy`); with [`BucketProps::alb_access_logs`] and no region given, the
//! mapping `UploadsElbAccounts` and the condition `UploadsInElbAccountRegion`.
//!
//! Secure by default:
//! - all four public-access blocks on, object ownership `BucketOwnerEnforced` (ACLs off);
//! - encryption: SSE-S3, or SSE-KMS with a bucket key when [`BucketProps::kms_key`] is set;
//! - a bucket policy that denies every `s3:*` request without TLS (`aws:SecureTransport` is
//!   the JSON boolean `false`);
//! - versioning on; noncurrent versions expire after 90 days and incomplete multipart uploads
//!   are aborted after 7 days;
//! - `Retain`: the data outlives the stack.
//!
//! Grants ([`Bucket::grant_read`], [`Bucket::grant_write`], [`Bucket::grant_read_write`],
//! [`Bucket::grant_put`]) give any [`Grantee`] exactly the object actions of
//! [`crate::grants`] on this bucket, plus, with a customer key, the key statement (through S3
//! only: `kms:ViaService`).
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::bucket::{Bucket, BucketProps};
//!
//! let app = App::new();
//! let mut s = app.stack("data");
//! let uploads = Bucket::new(&mut s, "Uploads", BucketProps::default());
//! let t = &app.synth().unwrap().stacks[0].template;
//! let deny = &t["Resources"]["UploadsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
//! assert_eq!(deny["Condition"]["Bool"]["aws:SecureTransport"], false);
//! # let _ = uploads;
//! ```
//!
//! **As an access-log target.** ALB access logs accept SSE-S3 only, so a bucket with
//! [`BucketProps::alb_access_logs`] and a KMS key is an error (`SFM014`). The policy lets the
//! regional Elastic Load Balancing account (regions from before August 2022) or the
//! `logdelivery.elasticloadbalancing.amazonaws.com` service (newer regions) put objects under
//! `<prefix>/AWSLogs/<account>/`. Give the load balancer [`Bucket::alb_log_attributes`] and
//! make it wait for [`Bucket::policy`] (`scope.depends_on(load_balancer, bucket.policy)`):
//! ELB checks the policy when the attribute is set.

use stackforge::cfn::s3::{self, bucket};
use stackforge::policy::{PolicyDocument, Principal, Statement};
use stackforge::resource::KeyValue;
use stackforge::{
    fns, pseudo, sub, Condition, Expr, Grant, Handle, Json, Policy, Scope, Suppression, Val,
};

use crate::codes;
use crate::grants;
use crate::key::{set_removal_policy, whole, KmsKey};
use crate::refs::Grantee;

/// The Elastic Load Balancing account of each region that existed before August 2022, the
/// principal an ALB access-log bucket policy names there. Every other region uses the
/// `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
///
/// Sources: "Enable access logs for your Application Load Balancer", section "Attach a policy
/// to your S3 bucket", <https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html>
/// (23 regions, including the two GovCloud regions), and its China edition on
/// <https://docs.amazonaws.cn/en_us/elasticloadbalancing/latest/application/enable-access-logging.html>
/// (`cn-north-1`, `cn-northwest-1`; the AWS CDK's region facts carry the same two IDs).
/// Asia Pacific (Jakarta) is not in the AWS list, so it gets the service principal.
pub const ELB_ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-northeast-1", "582318560864"),
    ("ap-northeast-2", "600734575887"),
    ("ap-northeast-3", "383597477331"),
    ("ap-south-1", "718504428378"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ca-central-1", "985666609251"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
    ("eu-central-1", "054676820928"),
    ("eu-north-1", "897822967062"),
    ("eu-south-1", "635631232127"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-west-3", "009996457667"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-gov-east-1", "190560391635"),
    ("us-gov-west-1", "048591011584"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
];

/// The service principal that delivers ALB access logs in regions from August 2022 on.
pub const ELB_LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

/// Lifecycle rules of a [`Bucket`]. Each is a value (a parameter may fill it); `None` leaves
/// the rule out.
#[derive(Clone, Debug, PartialEq)]
pub struct Lifecycle {
    /// Days after which a version that is no longer current expires (versioned buckets only).
    /// Default: `Some(90)`.
    pub noncurrent_version_expiration_days: Option<Val<i64>>,
    /// Days after which an incomplete multipart upload is aborted (its parts cost storage).
    /// Default: `Some(7)`.
    pub abort_incomplete_multipart_upload_days: Option<Val<i64>>,
    /// Days after which current objects expire (e.g. access logs).
    /// Default: `None` (objects are kept).
    pub expiration_days: Option<Val<i64>>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            noncurrent_version_expiration_days: Some(90.into()),
            abort_incomplete_multipart_upload_days: Some(7.into()),
            expiration_days: None,
        }
    }
}

/// Makes a bucket the target of Application Load Balancer access logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlbAccessLogs {
    /// The key prefix the load balancer writes under (no leading or trailing `/`, and not
    /// containing `AWSLogs`, which ELB adds itself).
    /// Default: empty (logs land under `AWSLogs/<account>/`).
    pub prefix: String,
    /// The region of the bucket and load balancer, when known: the policy then names that
    /// region's ELB account (or the log-delivery service) as a literal.
    /// Default: `None`: the policy chooses at deploy with a mapping of the regional accounts
    /// and a condition on `AWS::Region`.
    pub region: Option<String>,
}

/// Sends this bucket's S3 server access logs to another bucket (which must allow
/// `logging.s3.amazonaws.com` to write).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerAccessLogs {
    /// The name of the bucket that receives the logs.
    /// Default: none; required.
    pub destination_bucket_name: Val<String>,
    /// The key prefix of the log objects.
    /// Default: none; required (`""` for none).
    pub prefix: Val<String>,
}

/// Options of [`Bucket`].
#[derive(Clone, Debug, PartialEq)]
pub struct BucketProps {
    /// The bucket name (3–63 lower-case letters, digits, `.` and `-`).
    /// Default: none (CloudFormation generates one, so a replacement never collides).
    pub bucket_name: Option<Val<String>>,
    /// A customer key for SSE-KMS (with an S3 bucket key, which cuts KMS requests). Grants then
    /// add the key statement automatically.
    /// Default: none (SSE-S3, keys managed by S3).
    pub kms_key: Option<KmsKey>,
    /// Keep every version of every object (undo for overwrites and deletes).
    /// Default: `true`.
    pub versioned: bool,
    /// Lifecycle rules.
    /// Default: [`Lifecycle::default`] (noncurrent versions expire after 90 days, incomplete
    /// multipart uploads are aborted after 7).
    pub lifecycle: Lifecycle,
    /// Receive Application Load Balancer access logs (SSE-S3 only: `SFM014` with a KMS key).
    /// Default: none.
    pub alb_access_logs: Option<AlbAccessLogs>,
    /// Send S3 server access logs to another bucket.
    /// Default: none (CloudTrail data events are the alternative for object-level auditing).
    pub server_access_logs: Option<ServerAccessLogs>,
    /// `DeletionPolicy` and `UpdateReplacePolicy` (`RetainExceptOnCreate` keeps a replaced
    /// resource: `UpdateReplacePolicy: Retain`; `Snapshot` is an error, `SFM022`).
    /// Default: [`Policy::Retain`] (the data outlives the stack).
    pub removal_policy: Policy,
    /// S3 Object Lock enabled on the bucket (`ObjectLockEnabled: true`, versioning required),
    /// with no default retention: objects can then be locked per object (retention or legal
    /// hold), and the bucket can never be made unlockable again. Default retention is left
    /// out on purpose: a put with retention needs a checksum header that not every AWS log
    /// delivery sends. Object Lock can be enabled on an existing bucket, but never disabled.
    /// Default: `false` (`true` for a load balancer's own access-log bucket).
    pub object_lock: bool,
}

impl Default for BucketProps {
    fn default() -> Self {
        BucketProps {
            bucket_name: None,
            kms_key: None,
            versioned: true,
            lifecycle: Lifecycle::default(),
            alb_access_logs: None,
            server_access_logs: None,
            removal_policy: Policy::Retain,
            object_lock: false,
        }
    }
}

/// An S3 bucket with a TLS-only policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// The `AWS::S3::Bucket` (id `<id>Bucket`).
    pub bucket: Handle<s3::Bucket>,
    /// The `AWS::S3::BucketPolicy` (id `<id>Policy`). A load balancer that logs into the
    /// bucket must `DependsOn` it.
    pub policy: Handle<s3::BucketPolicy>,
    /// The pattern's full path.
    pub name: String,
    /// The customer key, if any.
    pub kms_key: Option<KmsKey>,
    /// The access-log options, when the bucket is a load balancer log target.
    pub alb_access_logs: Option<AlbAccessLogs>,
}

impl Bucket {
    /// Creates the bucket and its policy under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: BucketProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        check(&mut s, &props);

        let by_default = match &props.kms_key {
            Some(k) => bucket::ServerSideEncryptionByDefault {
                kms_master_key_id: Some(k.arn()),
                ..bucket::ServerSideEncryptionByDefault::new(bucket::SseAlgorithm::AwsKms)
            },
            None => bucket::ServerSideEncryptionByDefault::new(bucket::SseAlgorithm::Aes256),
        };
        let encryption = bucket::BucketEncryption::new(vec![bucket::ServerSideEncryptionRule {
            server_side_encryption_by_default: Some(by_default),
            bucket_key_enabled: props.kms_key.as_ref().map(|_| true.into()),
            ..Default::default()
        }]);
        let b = s3::Bucket {
            bucket_name: props.bucket_name.clone(),
            // The canned ACL every bucket has anyway (ACLs are disabled by
            // `BucketOwnerEnforced`), stated so that ACL rules such as the AWS Guard Rules
            // Registry's S3_BUCKET_NO_PUBLIC_RW_ACL see it.
            access_control: Some(bucket::AccessControl::Private.into()),
            object_lock_enabled: props.object_lock.then(|| true.into()),
            bucket_encryption: Some(encryption),
            public_access_block_configuration: Some(bucket::PublicAccessBlockConfiguration {
                block_public_acls: Some(true.into()),
                block_public_policy: Some(true.into()),
                ignore_public_acls: Some(true.into()),
                restrict_public_buckets: Some(true.into()),
            }),
            ownership_controls: Some(bucket::OwnershipControls::new(vec![
                bucket::OwnershipControlsRule {
                    object_ownership: Some(bucket::ObjectOwnership::BucketOwnerEnforced.into()),
                },
            ])),
            versioning_configuration: props
                .versioned
                .then(|| bucket::VersioningConfiguration::new(bucket::VersioningStatus::Enabled)),
            lifecycle_configuration: lifecycle(&props),
            logging_configuration: props.server_access_logs.as_ref().map(|l| {
                bucket::LoggingConfiguration {
                    destination_bucket_name: Some(l.destination_bucket_name.clone()),
                    log_file_prefix: Some(l.prefix.clone()),
                    ..Default::default()
                }
            }),
            ..Default::default()
        };
        let bucket = s.add("Bucket", b);
        set_removal_policy(&mut s, bucket, "Bucket", props.removal_policy);
        s.suppress(
            bucket,
            Suppression::because("AccessControl is the default Private ACL, stated for ACL rules (S3_BUCKET_NO_PUBLIC_RW_ACL); access is governed by the bucket policy, and ObjectOwnership BucketOwnerEnforced disables ACLs")
                .cfn_lint("W3045"),
        );
        if props.server_access_logs.is_none() {
            s.suppress(
                bucket,
                Suppression::because("S3 server access logs need a second bucket to receive them; set BucketProps::server_access_logs to name one (object-level auditing can also come from CloudTrail data events)")
                    .checkov("CKV_AWS_18")
                    .guard("S3_BUCKET_LOGGING_ENABLED"),
            );
        }

        let arn = bucket.attr_arn();
        let tls_only = Statement::deny()
            .sid("DenyInsecureTransport")
            .principal(Principal::Any)
            .action("s3:*")
            .resources([arn.clone(), sub!(arn.clone(), "/*")])
            .condition("Bool", "aws:SecureTransport", false);
        let document: Val<Json> = match &props.alb_access_logs {
            None => PolicyDocument::new([tls_only]).into(),
            Some(logs) => match elb_log_statement(&mut s, &arn, logs) {
                ElbStatement::Literal(st) => PolicyDocument::new([tls_only, st]).into(),
                // An `Fn::If` between two typed statements: PolicyDocument holds statements
                // only, so this one document is assembled with `json!`.
                ElbStatement::ByRegion(e) => stackforge::json!({
                    "Version": "2012-10-17",
                    "Statement": [tls_only, e],
                }),
            },
        };
        let policy = s.add(
            "Policy",
            s3::BucketPolicy::new(bucket.reference(), document),
        );
        Bucket {
            bucket,
            policy,
            name,
            kms_key: props.kms_key.clone(),
            alb_access_logs: props.alb_access_logs.clone(),
        }
    }

    /// The bucket name (`Ref`).
    pub fn bucket_name(&self) -> Val<String> {
        self.bucket.reference()
    }

    /// The bucket ARN (`Fn::GetAtt Arn`).
    pub fn arn(&self) -> Val<String> {
        self.bucket.attr_arn()
    }

    /// The ARN of the objects whose keys match `pattern` (`<arn>/<pattern>`, e.g. `uploads/*`).
    pub fn object_arn(&self, pattern: &str) -> Val<String> {
        sub!(self.arn(), format!("/{pattern}"))
    }

    /// The load balancer attributes that send its access logs here
    /// (`access_logs.s3.enabled`, `.bucket`, `.prefix`). Empty unless the bucket was made with
    /// [`BucketProps::alb_access_logs`]. The load balancer must also `DependsOn`
    /// [`Bucket::policy`].
    pub fn alb_log_attributes(&self) -> Vec<KeyValue> {
        let Some(logs) = &self.alb_access_logs else {
            return Vec::new();
        };
        let mut out = vec![
            KeyValue::new("access_logs.s3.enabled", "true"),
            KeyValue::new("access_logs.s3.bucket", self.bucket_name()),
        ];
        if !logs.prefix.is_empty() {
            out.push(KeyValue::new("access_logs.s3.prefix", logs.prefix.clone()));
        }
        out
    }

    /// The customer key's ARN, if the bucket has one.
    fn key_arn(&self) -> Option<Val<String>> {
        self.kms_key.as_ref().map(KmsKey::arn)
    }

    fn grant_with_key(
        &self,
        scope: &mut Scope<'_>,
        grantee: &dyn Grantee,
        mut statements: Vec<Statement>,
        key_actions: &[&str],
    ) -> Grant {
        if let Some(k) = self.key_arn() {
            statements.push(grants::key_via_service(&k, "s3", key_actions));
        }
        grants::grant(scope, grantee, statements, None)
    }

    /// Lets `grantee` read objects ([`grants::S3_READ_OBJECTS`] on `<bucket>/*`) and list the
    /// bucket ([`grants::S3_LIST`] on the bucket); with a customer key, `kms:Decrypt` through
    /// S3.
    pub fn grant_read(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = vec![
            grants::allow_unnamed(grants::S3_READ_OBJECTS, vec![self.object_arn("*")]),
            grants::allow_unnamed(grants::S3_LIST, vec![self.arn()]),
        ];
        self.grant_with_key(scope, grantee, st, grants::KMS_VIA_SERVICE_READ)
    }

    /// Lets `grantee` write and delete objects ([`grants::S3_WRITE_OBJECTS`] on
    /// `<bucket>/*`); with a customer key, a data key and `kms:Decrypt` through S3.
    pub fn grant_write(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = vec![grants::allow_unnamed(
            grants::S3_WRITE_OBJECTS,
            vec![self.object_arn("*")],
        )];
        self.grant_with_key(scope, grantee, st, grants::KMS_VIA_SERVICE_WRITE)
    }

    /// Lets `grantee` read, write and delete objects and list the bucket.
    pub fn grant_read_write(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let actions: Vec<&str> = grants::S3_READ_OBJECTS
            .iter()
            .chain(grants::S3_WRITE_OBJECTS)
            .copied()
            .collect();
        let st = vec![
            grants::allow_unnamed(&actions, vec![self.object_arn("*")]),
            grants::allow_unnamed(grants::S3_LIST, vec![self.arn()]),
        ];
        self.grant_with_key(scope, grantee, st, grants::KMS_VIA_SERVICE_WRITE)
    }

    /// Lets `grantee` put objects under the key prefix `prefix` only
    /// ([`grants::S3_PUT_OBJECTS`] on `<bucket>/<prefix>*`), e.g. `uploads/`. A prefix with an
    /// IAM wildcard (`*`, `?`) or a leading `/` is an error (`SFM015`).
    pub fn grant_put(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee, prefix: &str) -> Grant {
        if prefix.contains(['*', '?']) || prefix.starts_with('/') {
            scope.home_of(self.bucket.id()).error(
                codes::INVALID_BUCKET,
                &format!("{}Bucket", self.name),
                Some("grant_put.prefix"),
                format!("`{prefix}` is not a key prefix: it has a wildcard or a leading `/`"),
                "pass the literal start of the keys, e.g. `uploads/`",
            );
        }
        let st = vec![grants::allow_unnamed(
            grants::S3_PUT_OBJECTS,
            vec![self.object_arn(&format!("{prefix}*"))],
        )];
        self.grant_with_key(scope, grantee, st, grants::KMS_VIA_SERVICE_WRITE)
    }
}

/// The ELB statement: typed when the region is known, an `Fn::If` otherwise.
enum ElbStatement {
    Literal(Statement),
    ByRegion(Expr),
}

/// The statement that lets Elastic Load Balancing put access logs: a literal principal when
/// the region is known, otherwise an `Fn::If` on a condition over the regions of
/// [`ELB_ACCOUNTS`].
fn elb_log_statement(s: &mut Scope<'_>, arn: &Val<String>, logs: &AlbAccessLogs) -> ElbStatement {
    let prefix = if logs.prefix.is_empty() {
        String::new()
    } else {
        format!("{}/", logs.prefix)
    };
    let resource = sub!(
        arn.clone(),
        format!("/{prefix}AWSLogs/"),
        pseudo::account_id(),
        "/*"
    );
    let statement = |principal: Principal| {
        Statement::allow()
            .sid("AllowElbAccessLogs")
            .principal(principal)
            .action("s3:PutObject")
            .resource(resource.clone())
    };
    let service = || statement(Principal::service(ELB_LOG_DELIVERY_SERVICE));
    if let Some(region) = &logs.region {
        return ElbStatement::Literal(match ELB_ACCOUNTS.iter().find(|(r, _)| r == region) {
            Some((_, account)) => statement(Principal::account(*account)),
            None => service(),
        });
    }
    let table: serde_json::Map<String, Json> = ELB_ACCOUNTS
        .iter()
        .map(|(r, a)| ((*r).to_owned(), serde_json::json!({ "Account": a })))
        .collect();
    let mapping = s.mapping("ElbAccounts", Json::Object(table));
    let condition = legacy_region_condition(s);
    let account: Val<String> = fns::find_in_map(&mapping, pseudo::region(), "Account");
    ElbStatement::ByRegion(
        fns::if_::<Json>(
            &condition,
            Val::from_expr(statement(Principal::account(account)).into_expr()),
            Val::from_expr(service().into_expr()),
        )
        .into_expr(),
    )
}

/// `<id>InElbAccountRegion`: true in the regions of [`ELB_ACCOUNTS`] (`Fn::Or` takes 2–10
/// conditions, so the regions are grouped by ten).
fn legacy_region_condition(s: &mut Scope<'_>) -> Condition {
    let groups: Vec<stackforge::value::CondExpr> = ELB_ACCOUNTS
        .chunks(10)
        .map(|chunk| {
            fns::or(
                chunk
                    .iter()
                    .map(|(r, _)| fns::equals::<String>(pseudo::region(), *r)),
            )
        })
        .collect();
    s.condition("InElbAccountRegion", fns::or(groups))
}

fn lifecycle(p: &BucketProps) -> Option<bucket::LifecycleConfiguration> {
    let l = &p.lifecycle;
    let noncurrent = l
        .noncurrent_version_expiration_days
        .as_ref()
        .filter(|_| p.versioned);
    if noncurrent.is_none()
        && l.abort_incomplete_multipart_upload_days.is_none()
        && l.expiration_days.is_none()
    {
        return None;
    }
    let rule = bucket::Rule {
        id: Some("Default".into()),
        abort_incomplete_multipart_upload: l
            .abort_incomplete_multipart_upload_days
            .clone()
            .map(bucket::AbortIncompleteMultipartUpload::new),
        noncurrent_version_expiration: noncurrent
            .cloned()
            .map(bucket::NoncurrentVersionExpiration::new),
        expiration_in_days: l.expiration_days.clone(),
        ..bucket::Rule::new(bucket::RuleStatus::Enabled)
    };
    Some(bucket::LifecycleConfiguration::new(vec![rule]))
}

fn check(s: &mut Scope<'_>, p: &BucketProps) {
    if p.object_lock && !p.versioned {
        s.error(
            codes::INVALID_BUCKET,
            "Bucket",
            Some("Properties.ObjectLockEnabled"),
            "S3 Object Lock needs versioning, and the bucket is not versioned",
            "keep BucketProps::versioned true, or turn object_lock off",
        );
    }
    if let (Some(_), Some(_)) = (&p.alb_access_logs, &p.kms_key) {
        s.error(
            codes::LOG_TARGET_KMS_KEY,
            "Bucket",
            Some("Properties.BucketEncryption"),
            "a bucket that receives load balancer access logs must use SSE-S3: ALB access logs do not support KMS keys",
            "drop BucketProps::kms_key for the log bucket (it stays encrypted with SSE-S3), or use another bucket for KMS-encrypted data",
        );
    }
    let days = [
        (
            &p.lifecycle.noncurrent_version_expiration_days,
            "NoncurrentVersionExpiration.NoncurrentDays",
        ),
        (
            &p.lifecycle.abort_incomplete_multipart_upload_days,
            "AbortIncompleteMultipartUpload.DaysAfterInitiation",
        ),
        (&p.lifecycle.expiration_days, "ExpirationInDays"),
    ];
    for (value, field) in days {
        let Some(v) = value else { continue };
        s.check_values(
            codes::INVALID_BUCKET,
            "Bucket",
            Some(&format!(
                "Properties.LifecycleConfiguration.Rules[0].{field}"
            )),
            &[v.expr()],
            |v| match whole(&v[0]) {
                Some(d) if d >= 1 => Ok(()),
                _ => Err(format!("{} is not a number of days (1 or more)", v[0])),
            },
        );
    }
    if let Some(logs) = &p.alb_access_logs {
        let pf = &logs.prefix;
        let bad_char = pf
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || "!-_.*'()/".contains(c)));
        if pf.starts_with('/') || pf.ends_with('/') || pf.contains("AWSLogs") || bad_char {
            s.error(
                codes::INVALID_BUCKET,
                "Policy",
                Some("alb_access_logs.prefix"),
                format!("`{pf}` is not an access-log prefix: no leading or trailing `/`, no `AWSLogs` (ELB adds it), only letters, digits and !-_.*'()/"),
                "use a prefix such as `alb/web`",
            );
        }
        if let Some(region) = &logs.region {
            let ok = region.split('-').count() >= 3
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !region.split('-').any(str::is_empty);
            if !ok {
                s.error(
                    codes::INVALID_BUCKET,
                    "Policy",
                    Some("alb_access_logs.region"),
                    format!("`{region}` is not a region code"),
                    "use a code such as eu-west-1, or leave it out to choose at deploy",
                );
            }
        }
    }
}
