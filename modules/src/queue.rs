//! [`Queue`]: an SQS queue, encrypted, TLS-only, with an optional dead-letter queue, checked
//! retention and visibility timeout, FIFO as an option, and least-privilege grants.
//!
//! Logical IDs (for id `Orders`): `OrdersQueue` (`AWS::SQS::Queue`), `OrdersPolicy`
//! (`AWS::SQS::QueuePolicy`); with [`QueueProps::dead_letter`], the dead-letter queue is its
//! own [`Queue`] with id `DeadLetter` under the pattern: `OrdersDeadLetterQueue`,
//! `OrdersDeadLetterPolicy`.
//!
//! Secure by default: SQS-managed server-side encryption (SSE-SQS), or a customer key
//! ([`QueueProps::kms_key`]); a queue policy that denies every request without TLS; topics may
//! deliver only when named in [`QueueProps::allowed_topics`] (`aws:SourceArn`).
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::queue::{DeadLetter, Queue, QueueProps};
//!
//! let app = App::new();
//! let mut s = app.stack("work");
//! let q = Queue::new(&mut s, "Orders", QueueProps {
//!     dead_letter: Some(DeadLetter::default()),
//!     ..Default::default()
//! });
//! let t = &app.synth().unwrap().stacks[0].template;
//! let redrive = &t["Resources"]["OrdersQueue"]["Properties"]["RedrivePolicy"];
//! assert_eq!(redrive["deadLetterTargetArn"]["Fn::GetAtt"][0], "OrdersDeadLetterQueue");
//! # let _ = q;
//! ```

use stackforge::cfn::sqs;
use stackforge::policy::{PolicyDocument, Principal, Statement};
use stackforge::{Grant, Handle, Policy, Scope, Val};

use crate::codes;
use crate::grants;
use crate::key::{check_non_literal, set_removal_policy, whole, KmsKey};
use crate::refs::Grantee;

/// SQS's retention bounds, in seconds (1 minute to 14 days).
pub const RETENTION_SECONDS: std::ops::RangeInclusive<i64> = 60..=1_209_600;
/// SQS's visibility timeout bounds, in seconds (up to 12 hours).
pub const VISIBILITY_TIMEOUT_SECONDS: std::ops::RangeInclusive<i64> = 0..=43_200;

/// A dead-letter queue: where a message goes after `max_receive_count` failed receives.
#[derive(Clone, Debug, PartialEq)]
pub struct DeadLetter {
    /// Receives before a message moves to the dead-letter queue (1–1000).
    /// Default: `5`.
    pub max_receive_count: Val<i64>,
    /// How long the dead-letter queue keeps messages, in seconds (60–1,209,600; at least the
    /// source queue's retention, because a standard queue keeps the original enqueue time).
    /// Default: `1209600` (14 days, the maximum).
    pub retention_period_seconds: Val<i64>,
}

impl Default for DeadLetter {
    fn default() -> Self {
        DeadLetter {
            max_receive_count: 5.into(),
            retention_period_seconds: 1_209_600.into(),
        }
    }
}

/// Options of [`Queue`].
#[derive(Clone, Debug, PartialEq)]
pub struct QueueProps {
    /// The queue name (letters, digits, `-` and `_`, at most 80 characters with `.fifo`). With
    /// [`QueueProps::fifo`], a literal name gets `.fifo` appended when it lacks it.
    /// Default: none (CloudFormation generates one, with `.fifo` for a FIFO queue).
    pub queue_name: Option<Val<String>>,
    /// A FIFO queue (exactly-once processing, ordered per message group).
    /// Default: `false`.
    pub fifo: bool,
    /// A customer key. Grants then add the key statement automatically.
    /// Default: none (SQS-managed encryption, SSE-SQS).
    pub kms_key: Option<KmsKey>,
    /// How long messages are kept, in seconds (60–1,209,600: a literal is checked by the
    /// schema rules, `SF102`; a parameter by `SFM017`).
    /// Default: `345600` (4 days, SQS's default).
    pub retention_period_seconds: Val<i64>,
    /// How long a received message stays invisible to other consumers, in seconds
    /// (0–43,200, checked like the retention). Set it above the consumer's processing time.
    /// Default: `30`.
    pub visibility_timeout_seconds: Val<i64>,
    /// A dead-letter queue, created with the queue.
    /// Default: none.
    pub dead_letter: Option<DeadLetter>,
    /// SNS topics (ARNs) that may deliver to the queue; `Topic::subscribe_queue` requires the
    /// topic here.
    /// Default: none.
    pub allowed_topics: Vec<Val<String>>,
    /// `DeletionPolicy` and `UpdateReplacePolicy` (`RetainExceptOnCreate` keeps a replaced
    /// resource: `UpdateReplacePolicy: Retain`; `Snapshot` is an error, `SFM022`).
    /// Default: [`Policy::Delete`] (messages are transient: at most 14 days).
    pub removal_policy: Policy,
}

impl Default for QueueProps {
    fn default() -> Self {
        QueueProps {
            queue_name: None,
            fifo: false,
            kms_key: None,
            retention_period_seconds: 345_600.into(),
            visibility_timeout_seconds: 30.into(),
            dead_letter: None,
            allowed_topics: Vec::new(),
            removal_policy: Policy::Delete,
        }
    }
}

/// An SQS queue with a TLS-only policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Queue {
    /// The `AWS::SQS::Queue` (id `<id>Queue`).
    pub queue: Handle<sqs::Queue>,
    /// The `AWS::SQS::QueuePolicy` (id `<id>Policy`).
    pub policy: Handle<sqs::QueuePolicy>,
    /// The dead-letter queue (id `<id>DeadLetter…`), with [`QueueProps::dead_letter`].
    pub dead_letter: Option<Box<Queue>>,
    /// The pattern's full path.
    pub name: String,
    /// The customer key, if any.
    pub kms_key: Option<KmsKey>,
    /// Whether it is a FIFO queue.
    pub fifo: bool,
    /// The topics its policy lets deliver.
    pub allowed_topics: Vec<Val<String>>,
    /// The statements of its policy, shared by every clone of this value, so a statement
    /// added later ([`Queue::allow_service_send`]) keeps the earlier ones.
    policy_statements: SharedStatements,
}

/// A queue policy's statements, shared between clones of a [`Queue`].
#[derive(Clone, Debug)]
struct SharedStatements(std::sync::Arc<std::sync::Mutex<Vec<Statement>>>);

impl SharedStatements {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Statement>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl PartialEq for SharedStatements {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || *self.lock() == *other.lock()
    }
}

impl Queue {
    /// Creates the queue, its policy and its dead-letter queue under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: QueueProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        check(&mut s, &props);

        let dead_letter = props.dead_letter.as_ref().map(|d| {
            Box::new(Queue::new(
                &mut s,
                "DeadLetter",
                QueueProps {
                    queue_name: None,
                    fifo: props.fifo,
                    kms_key: props.kms_key.clone(),
                    retention_period_seconds: d.retention_period_seconds.clone(),
                    visibility_timeout_seconds: props.visibility_timeout_seconds.clone(),
                    dead_letter: None,
                    allowed_topics: Vec::new(),
                    removal_policy: props.removal_policy,
                },
            ))
        });
        if let Some(d) = &props.dead_letter {
            check_dead_letter(&mut s, &props, d);
        }
        let redrive_policy =
            dead_letter
                .as_ref()
                .zip(props.dead_letter.as_ref())
                .map(|(dlq, d)| {
                    stackforge::json!({
                        "deadLetterTargetArn": (&dlq.arn()),
                        "maxReceiveCount": (&d.max_receive_count),
                    })
                });

        let queue = s.add(
            "Queue",
            sqs::Queue {
                queue_name: queue_name(&props),
                fifo_queue: props.fifo.then(|| true.into()),
                kms_master_key_id: props.kms_key.as_ref().map(KmsKey::arn),
                sqs_managed_sse_enabled: props.kms_key.is_none().then(|| true.into()),
                message_retention_period: Some(props.retention_period_seconds.clone()),
                visibility_timeout: Some(props.visibility_timeout_seconds.clone()),
                redrive_policy,
                ..Default::default()
            },
        );
        set_removal_policy(&mut s, queue, "Queue", props.removal_policy);
        if props.kms_key.is_none() {
            s.skip_checkov(
                queue,
                "CKV_AWS_27",
                "Encrypted at rest with SQS-managed keys (SqsManagedSseEnabled), which this checkov check does not recognise (it looks for KmsMasterKeyId only); set QueueProps::kms_key for a customer key",
            );
        }

        let arn = queue.attr_arn();
        let mut statements = vec![Statement::deny()
            .sid("DenyInsecureTransport")
            .principal(Principal::Any)
            .action("sqs:*")
            .resource(arn.clone())
            .condition("Bool", "aws:SecureTransport", false)];
        for topic in &props.allowed_topics {
            statements.push(
                Statement::allow()
                    .principal(Principal::service("sns.amazonaws.com"))
                    .actions(grants::SQS_SNS_DELIVERY.iter().copied())
                    .resource(arn.clone())
                    .condition("ArnEquals", "aws:SourceArn", topic),
            );
        }
        let policy = s.add(
            "Policy",
            sqs::QueuePolicy::new(
                PolicyDocument::new(statements.clone()),
                vec![queue.reference()],
            ),
        );
        Queue {
            policy_statements: SharedStatements(std::sync::Arc::new(std::sync::Mutex::new(
                statements,
            ))),
            queue,
            policy,
            dead_letter,
            name,
            kms_key: props.kms_key.clone(),
            fifo: props.fifo,
            allowed_topics: props.allowed_topics.clone(),
        }
    }

    /// The queue URL (`Ref`).
    pub fn queue_url(&self) -> Val<String> {
        self.queue.reference()
    }

    /// The queue ARN (`Fn::GetAtt Arn`).
    pub fn arn(&self) -> Val<String> {
        self.queue.attr_arn()
    }

    /// The queue name (`Fn::GetAtt QueueName`), e.g. the `QueueName` dimension of its metrics.
    pub fn queue_name(&self) -> Val<String> {
        self.queue.attr_queue_name()
    }

    /// Lets `grantee` move this queue's dead-letter messages back to it (SQS
    /// `StartMessageMoveTask`, a "re-drive"): [`grants::SQS_REDRIVE_SOURCE`] on the
    /// dead-letter queue and [`grants::SQS_REDRIVE_DESTINATION`] on this queue, plus the
    /// customer key's use through SQS when there is one. A queue without a dead-letter queue
    /// has nothing to re-drive: an error ([`codes::INVALID_QUEUE`]) and no grant.
    pub fn grant_redrive(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Option<Grant> {
        let Some(dlq) = self.dead_letter.as_deref() else {
            scope.error(
                codes::INVALID_QUEUE,
                "",
                None,
                format!("queue `{}` has no dead-letter queue to re-drive", self.name),
                "create it with QueueProps { dead_letter: Some(DeadLetter::default()), .. }",
            );
            return None;
        };
        let mut st = vec![
            grants::allow_unnamed(grants::SQS_REDRIVE_SOURCE, vec![dlq.arn()]),
            grants::allow_unnamed(grants::SQS_REDRIVE_DESTINATION, vec![self.arn()]),
        ];
        if let Some(k) = &self.kms_key {
            st.push(grants::key_via_service(
                &k.arn(),
                "sqs",
                grants::KMS_VIA_SERVICE_WRITE,
            ));
        }
        Some(grants::grant(scope, grantee, st, None))
    }

    /// Lets an AWS service (`events.amazonaws.com`) send to the queue from one source only
    /// (`aws:SourceArn`): a statement added to the queue's own policy (SQS has one policy per
    /// queue, so a second `AWS::SQS::QueuePolicy` would replace this one). The policy is
    /// rewritten with [`Scope::merge`] in the queue's stack.
    pub fn allow_service_send(
        &self,
        scope: &mut Scope<'_>,
        service: &str,
        source_arn: Val<String>,
    ) {
        let statement = Statement::allow()
            .principal(Principal::service(service))
            .actions(grants::SQS_SNS_DELIVERY.iter().copied())
            .resource(self.arn())
            .condition("ArnEquals", "aws:SourceArn", source_arn);
        let doc = {
            let mut st = self.policy_statements.lock();
            if !st.contains(&statement) {
                st.push(statement);
            }
            PolicyDocument::new(st.clone())
        };
        let mut home = scope.home_of(self.policy.id());
        home.merge(
            self.policy,
            sqs::QueuePolicy::new(doc, vec![self.queue.reference()]),
        );
    }

    fn grant_with_key(
        &self,
        scope: &mut Scope<'_>,
        grantee: &dyn Grantee,
        actions: &[&str],
        key_actions: &[&str],
    ) -> Grant {
        let mut st = vec![grants::allow_unnamed(actions, vec![self.arn()])];
        if let Some(k) = &self.kms_key {
            st.push(grants::key_via_service(&k.arn(), "sqs", key_actions));
        }
        grants::grant(scope, grantee, st, None)
    }

    /// Lets `grantee` send messages ([`grants::SQS_SEND`]); with a customer key, a data key
    /// and `kms:Decrypt` through SQS.
    pub fn grant_send(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        self.grant_with_key(
            scope,
            grantee,
            grants::SQS_SEND,
            grants::KMS_VIA_SERVICE_WRITE,
        )
    }

    /// Lets `grantee` receive and delete messages ([`grants::SQS_CONSUME`]); with a customer
    /// key, `kms:Decrypt` through SQS.
    pub fn grant_consume(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        self.grant_with_key(
            scope,
            grantee,
            grants::SQS_CONSUME,
            grants::KMS_VIA_SERVICE_READ,
        )
    }
}

/// The name as CloudFormation gets it: a literal FIFO name gets its `.fifo`.
fn queue_name(p: &QueueProps) -> Option<Val<String>> {
    let name = p.queue_name.clone()?;
    match name.as_literal() {
        Some(lit) if p.fifo && !lit.ends_with(".fifo") => Some(format!("{lit}.fifo").into()),
        _ => Some(name),
    }
}

fn check(s: &mut Scope<'_>, p: &QueueProps) {
    // Literals are checked by the generated SQS schema rules (SF102, same bounds).
    check_non_literal(
        s,
        codes::INVALID_QUEUE,
        "Queue",
        "Properties.MessageRetentionPeriod",
        &p.retention_period_seconds,
        |v| in_range(&v[0], &RETENTION_SECONDS, "a retention of"),
    );
    check_non_literal(
        s,
        codes::INVALID_QUEUE,
        "Queue",
        "Properties.VisibilityTimeout",
        &p.visibility_timeout_seconds,
        |v| {
            in_range(
                &v[0],
                &VISIBILITY_TIMEOUT_SECONDS,
                "a visibility timeout of",
            )
        },
    );
    if let Some(name) = queue_name(p) {
        let fifo = p.fifo;
        s.check_values(
            codes::INVALID_QUEUE,
            "Queue",
            Some("Properties.QueueName"),
            &[name.expr()],
            |v| {
                let n = v[0].as_str().unwrap_or_default();
                let base = n.strip_suffix(".fifo");
                if fifo && base.is_none() {
                    return Err(format!("`{n}` is a FIFO queue name without `.fifo`"));
                }
                if !fifo && base.is_some() {
                    return Err(format!(
                        "`{n}` ends with `.fifo` but the queue is not FIFO (set QueueProps::fifo)"
                    ));
                }
                let base = base.unwrap_or(n);
                let ok = !base.is_empty()
                    && n.len() <= 80
                    && base
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if ok {
                    Ok(())
                } else {
                    Err(format!(
                        "`{n}` is not a queue name (letters, digits, - and _, at most 80 characters)"
                    ))
                }
            },
        );
    }
}

fn check_dead_letter(s: &mut Scope<'_>, p: &QueueProps, d: &DeadLetter) {
    s.check_values(
        codes::INVALID_MAX_RECEIVE_COUNT,
        "Queue",
        Some("Properties.RedrivePolicy.maxReceiveCount"),
        &[d.max_receive_count.expr()],
        |v| match whole(&v[0]) {
            Some(n) if (1..=1000).contains(&n) => Ok(()),
            _ => Err(format!("maxReceiveCount {} is outside 1..=1000", v[0])),
        },
    );
    s.check_values(
        codes::INVALID_QUEUE,
        "DeadLetterQueue",
        Some("Properties.MessageRetentionPeriod"),
        &[
            p.retention_period_seconds.expr(),
            d.retention_period_seconds.expr(),
        ],
        |v| match (whole(&v[0]), whole(&v[1])) {
            (Some(src), Some(dlq)) if dlq < src => Err(format!(
                "the dead-letter queue keeps messages {dlq} s, less than its source's {src} s: a standard queue keeps a message's original enqueue time, so it would expire early"
            )),
            _ => Ok(()),
        },
    );
}

fn in_range(
    v: &serde_json::Value,
    range: &std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<(), String> {
    match whole(v) {
        Some(n) if range.contains(&n) => Ok(()),
        _ => Err(format!(
            "{what} {v} s is outside {}..={}",
            range.start(),
            range.end()
        )),
    }
}
