//! [`Topic`]: an SNS topic encrypted with a customer key that CloudWatch alarms may use, a
//! TLS-only topic policy that lets this account's alarms publish, optional email, SQS and
//! Lambda subscriptions, and a least-privilege publish grant.
//!
//! CloudWatch cannot publish to a topic encrypted with the AWS-managed key `aws/sns` (its key
//! policy does not let `cloudwatch.amazonaws.com` use it, and it cannot be changed), and the
//! alarm fails quietly. So the topic always uses a customer key: by default it creates one
//! whose policy names CloudWatch ([`crate::key::KeyService::CloudWatch`]); a [`Key`] passed in
//! [`TopicProps::kms_key`] must name it too (`SFM019`).
//!
//! Logical IDs (for id `Alarms`): `AlarmsTopic` (`AWS::SNS::Topic`), `AlarmsPolicy`
//! (`AWS::SNS::TopicPolicy`), `AlarmsKey` (`AWS::KMS::Key`, unless a key is given);
//! subscriptions are named from both ends: `Alarms<label>Subscription`
//! ([`Topic::subscribe_email`], [`Topic::subscribe_lambda`] with its `Alarms<label>Permission`),
//! `Alarms<queue path>Subscription` ([`Topic::subscribe_queue`]).
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::topic::{Topic, TopicProps};
//!
//! let app = App::new();
//! let mut s = app.stack("ops");
//! let alarms = Topic::new(&mut s, "Alarms", TopicProps::default());
//! alarms.subscribe_email(&mut s, "Oncall", "oncall@example.com");
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(
//!     t["Resources"]["AlarmsTopic"]["Properties"]["KmsMasterKeyId"],
//!     serde_json::json!({"Fn::GetAtt": ["AlarmsKey", "Arn"]})
//! );
//! ```

use stackforge::cfn::sns;
use stackforge::policy::{PolicyDocument, Principal, Statement};
use stackforge::{pseudo, sub, Grant, Handle, Policy, Raw, Scope, Val};

use crate::codes;
use crate::grants;
use crate::key::{Key, KeyProps, KeyService, KmsKey};
use crate::queue::Queue;
use crate::refs::Grantee;

/// Options of [`Topic`].
#[derive(Clone, Debug, PartialEq)]
pub struct TopicProps {
    /// The topic name.
    /// Default: none (CloudFormation generates one).
    pub topic_name: Option<Val<String>>,
    /// The display name (the sender name of email and SMS deliveries).
    /// Default: none.
    pub display_name: Option<Val<String>>,
    /// The customer key. A [`Key`] must name [`KeyService::CloudWatch`] when
    /// [`TopicProps::allow_cloudwatch_alarms`] is on (`SFM019`); a key given by ARN is taken
    /// on trust.
    /// Default: none: the topic creates `<id>Key`, whose policy names CloudWatch. It is deleted
    /// with the topic after KMS's 30-day window (a topic stores no messages, so no data
    /// depends on the key once the topic is gone).
    pub kms_key: Option<KmsKey>,
    /// Let this account's CloudWatch alarms publish (`cloudwatch.amazonaws.com`, limited by
    /// `aws:SourceAccount` and an `aws:SourceArn` of this account's and region's alarms).
    /// Default: `true`.
    pub allow_cloudwatch_alarms: bool,
}

impl Default for TopicProps {
    fn default() -> Self {
        TopicProps {
            topic_name: None,
            display_name: None,
            kms_key: None,
            allow_cloudwatch_alarms: true,
        }
    }
}

/// An SNS topic with a customer key and a TLS-only policy.
#[derive(Clone, Debug, PartialEq)]
pub struct Topic {
    /// The `AWS::SNS::Topic` (id `<id>Topic`).
    pub topic: Handle<sns::Topic>,
    /// The `AWS::SNS::TopicPolicy` (id `<id>Policy`).
    pub policy: Handle<sns::TopicPolicy>,
    /// The key the topic created (id `<id>Key`), when none was given.
    pub key: Option<Key>,
    /// The key that encrypts the topic (created or given).
    pub kms_key: KmsKey,
    /// The pattern's full path.
    pub name: String,
}

impl Topic {
    /// Creates the topic, its key (unless given) and its policy under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: TopicProps) -> Self {
        let name = scope.logical_id_for(id);
        let (key, kms_key) = match &props.kms_key {
            Some(k) => (None, k.clone()),
            None => {
                let services = if props.allow_cloudwatch_alarms {
                    vec![KeyService::CloudWatch]
                } else {
                    Vec::new()
                };
                let k = Key::new(
                    scope,
                    id,
                    KeyProps {
                        description: Some(format!("{name}: encrypts the SNS topic").into()),
                        services,
                        removal_policy: Policy::Delete,
                        ..Default::default()
                    },
                );
                (Some(k.clone()), KmsKey::Pattern(k))
            }
        };
        let mut s = scope.child(id);
        if props.allow_cloudwatch_alarms {
            kms_key.require(
                &s,
                KeyService::CloudWatch,
                "Topic",
                "Properties.KmsMasterKeyId",
                "CloudWatch alarms cannot publish to the topic",
            );
        }
        let topic = s.add(
            "Topic",
            sns::Topic {
                topic_name: props.topic_name.clone(),
                display_name: props.display_name.clone(),
                kms_master_key_id: Some(kms_key.arn()),
                ..Default::default()
            },
        );
        let arn = topic.reference();
        let mut statements = vec![Statement::deny()
            .sid("DenyInsecureTransport")
            .principal(Principal::Any)
            .action("sns:Publish")
            .resource(arn.clone())
            .condition("Bool", "aws:SecureTransport", false)];
        if props.allow_cloudwatch_alarms {
            statements.push(
                Statement::allow()
                    .sid("CloudWatchAlarms")
                    .principal(Principal::service("cloudwatch.amazonaws.com"))
                    .actions(grants::SNS_ALARM_PUBLISH.iter().copied())
                    .resource(arn.clone())
                    .condition("StringEquals", "aws:SourceAccount", pseudo::account_id())
                    .condition(
                        "ArnLike",
                        "aws:SourceArn",
                        sub!(
                            "arn:",
                            pseudo::partition(),
                            ":cloudwatch:",
                            pseudo::region(),
                            ":",
                            pseudo::account_id(),
                            ":alarm:*"
                        ),
                    ),
            );
        }
        let policy = s.add(
            "Policy",
            sns::TopicPolicy::new(PolicyDocument::new(statements), vec![arn]),
        );
        Topic {
            topic,
            policy,
            key,
            kms_key,
            name,
        }
    }

    /// The topic ARN (`Ref`).
    pub fn arn(&self) -> Val<String> {
        self.topic.reference()
    }

    /// The topic name (`Fn::GetAtt TopicName`).
    pub fn topic_name(&self) -> Val<String> {
        self.topic.attr_topic_name()
    }

    /// Lets `grantee` publish ([`grants::SNS_PUBLISH`]), plus a data key and `kms:Decrypt` on
    /// the topic's key, through SNS only.
    pub fn grant_publish(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = vec![
            grants::allow_unnamed(grants::SNS_PUBLISH, vec![self.arn()]),
            grants::key_via_service(&self.kms_key.arn(), "sns", grants::KMS_VIA_SERVICE_WRITE),
        ];
        grants::grant(scope, grantee, st, None)
    }

    /// Subscribes an email address (`<topic><label>Subscription`, in `scope`'s stack). The
    /// recipient must confirm. A literal address without `@` is an error (`SFM021`).
    pub fn subscribe_email(
        &self,
        scope: &mut Scope<'_>,
        label: &str,
        address: impl Into<Val<String>>,
    ) -> Handle<sns::Subscription> {
        let address = address.into();
        let id = format!("{}{label}Subscription", self.name);
        let mut root = scope.root();
        if let Some(a) = address.as_literal() {
            let ok = a
                .split_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'));
            if !ok {
                root.error(
                    codes::INVALID_SUBSCRIPTION,
                    &id,
                    Some("Properties.Endpoint"),
                    format!("`{a}` is not an email address"),
                    "give the address that receives the notifications, e.g. oncall@example.com",
                );
            }
        }
        root.add(
            &id,
            sns::Subscription {
                endpoint: Some(address),
                ..sns::Subscription::new("email", self.arn())
            },
        )
    }

    /// Subscribes a queue (`<topic><queue path>Subscription`). The subscription goes into the
    /// queue's stack, whatever `scope` is: that stack already imports the topic's ARN for its
    /// policy, so a topic and a queue in two stacks never make a stack cycle.
    ///
    /// The queue's policy must let the topic deliver: create it with this topic's ARN in
    /// `QueueProps::allowed_topics` (`SFM021` otherwise). A FIFO queue cannot subscribe to this
    /// standard topic (`SFM021`), and a queue encrypted with a [`Key`] needs
    /// [`KeyService::Sns`] in that key's policy (`SFM019`).
    pub fn subscribe_queue(
        &self,
        scope: &mut Scope<'_>,
        queue: &Queue,
        raw_message_delivery: bool,
    ) -> Handle<sns::Subscription> {
        let id = format!("{}{}Subscription", self.name, queue.name);
        let mut root = scope.home_of(queue.queue.id());
        let allowed = [self.arn(), self.topic.attr_topic_arn()]
            .iter()
            .any(|a| queue.allowed_topics.contains(a));
        if !allowed {
            root.error(
                codes::INVALID_SUBSCRIPTION,
                &id,
                Some("Properties.Endpoint"),
                format!(
                    "the policy of queue `{}` does not let topic `{}` send to it, so SNS could not deliver",
                    queue.name, self.name
                ),
                "create the queue with QueueProps { allowed_topics: vec![topic.arn()], .. }",
            );
        }
        if queue.fifo {
            root.error(
                codes::INVALID_SUBSCRIPTION,
                &id,
                Some("Properties.Endpoint"),
                format!(
                    "queue `{}` is FIFO; a standard topic cannot deliver to it",
                    queue.name
                ),
                "subscribe a standard queue",
            );
        }
        if let Some(k) = &queue.kms_key {
            k.require(
                &root,
                KeyService::Sns,
                &id,
                "Properties.Endpoint",
                "SNS cannot encrypt messages into the queue",
            );
        }
        root.add(
            &id,
            sns::Subscription {
                endpoint: Some(queue.arn()),
                raw_message_delivery: raw_message_delivery.then(|| true.into()),
                ..sns::Subscription::new("sqs", self.arn())
            },
        )
    }

    /// Subscribes a Lambda function by ARN (`<topic><label>Subscription`) and lets SNS invoke
    /// it from this topic only (`<topic><label>Permission`, `AWS::Lambda::Permission` with the
    /// topic as `SourceArn`), both in `scope`'s stack.
    ///
    /// The permission is a [`Raw`] resource: the `lambda` service is not among the generated
    /// services this crate turns on.
    pub fn subscribe_lambda(
        &self,
        scope: &mut Scope<'_>,
        label: &str,
        function_arn: impl Into<Val<String>>,
    ) -> Handle<sns::Subscription> {
        let function_arn = function_arn.into();
        let mut root = scope.root();
        root.add_raw(
            &format!("{}{label}Permission", self.name),
            Raw::new("AWS::Lambda::Permission")
                .prop("Action", "lambda:InvokeFunction")
                .prop("FunctionName", function_arn.clone())
                .prop("Principal", "sns.amazonaws.com")
                .prop("SourceArn", self.arn()),
        );
        root.add(
            &format!("{}{label}Subscription", self.name),
            sns::Subscription {
                endpoint: Some(function_arn),
                ..sns::Subscription::new("lambda", self.arn())
            },
        )
    }
}
