//! What the engine tells its caller: a typed stream of [`Event`]s and yes/no [`Question`]s,
//! both through one [`Observer`]. The CLI turns events into plain lines, a progress spinner
//! or NDJSON; a library user can record them ([`Recorder`]) or forward them anywhere.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudformation::types::{
    ChangeAction, ChangeSetType, ResourceAttribute, ResourceStatus, StackStatus,
};

use super::analysis::Grant;
use crate::diff::{Setting, SettingChange, TemplateDiff};

/// Who is calling: STS GetCallerIdentity and the clients' region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Account id.
    pub account: String,
    /// Caller ARN.
    pub arn: String,
    /// Region of the clients.
    pub region: String,
}

/// What happened to one stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Created.
    Created,
    /// Updated.
    Updated,
    /// Nothing to change.
    NoChanges,
    /// Deleted.
    Deleted,
    /// Did not exist (destroy).
    Absent,
}

impl Outcome {
    /// A short name, for JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::NoChanges => "no-changes",
            Outcome::Deleted => "deleted",
            Outcome::Absent => "absent",
        }
    }
}

/// One stack's result.
#[derive(Clone, Debug, PartialEq)]
pub struct StackReport {
    /// Stack name.
    pub stack: String,
    /// What happened.
    pub outcome: Outcome,
    /// The final status (`None`: the stack does not exist).
    pub status: Option<StackStatus>,
    /// Outputs after the deploy.
    pub outputs: BTreeMap<String, String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// Whether a change replaces the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replacement {
    /// Updated in place (or added, or removed).
    Never,
    /// CloudFormation decides while it runs (it depends on a value only known then).
    Conditional,
    /// Replaced: a new physical resource, the old one deleted.
    Always,
    /// No answer from CloudFormation, but a changed createOnly property replaces it.
    Predicted,
}

impl Replacement {
    /// A short name, for output.
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::Never => "never",
            Replacement::Conditional => "conditional",
            Replacement::Always => "always",
            Replacement::Predicted => "predicted",
        }
    }
}

/// One resource change of a review (from a change set, or from the local diff).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceChange {
    /// Add, Modify, Remove, Import or Dynamic.
    pub action: ChangeAction,
    /// Logical ID.
    pub logical_id: String,
    /// Type name.
    pub resource_type: String,
    /// Physical id of an existing resource.
    pub physical_id: Option<String>,
    /// Whether it is replaced.
    pub replacement: Replacement,
    /// What changes: Properties, Tags, Metadata, … (empty when unknown).
    pub scope: Vec<ResourceAttribute>,
    /// The type holds data ([`crate::diff::is_stateful`]).
    pub stateful: bool,
}

impl ResourceChange {
    /// True if the resource is replaced (for sure, maybe, or predicted).
    pub fn replaces(&self) -> bool {
        !matches!(self.replacement, Replacement::Never)
    }
    /// True if data may be lost: a stateful resource removed or replaced.
    pub fn destroys_data(&self) -> bool {
        self.stateful && (self.action == ChangeAction::Remove || self.replaces())
    }
}

/// A stack's changes before they are applied, and whether they need approval.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    /// The stack.
    pub stack: String,
    /// The resource changes.
    pub changes: Vec<ResourceChange>,
    /// New IAM statements and security-group rules.
    pub broadening: Vec<Grant>,
    /// Stack settings that change.
    pub settings: Vec<SettingChange>,
    /// Why approval is needed under the options (`None`: it is not).
    pub approval: Option<String>,
}

/// An API operation that starts or moves a stack operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// ExecuteChangeSet.
    ExecuteChangeSet,
    /// CreateStack.
    CreateStack,
    /// UpdateStack.
    UpdateStack,
    /// DeleteStack.
    DeleteStack,
    /// ContinueUpdateRollback.
    ContinueUpdateRollback,
    /// CancelUpdateStack.
    CancelUpdateStack,
}

impl Operation {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::ExecuteChangeSet => "ExecuteChangeSet",
            Operation::CreateStack => "CreateStack",
            Operation::UpdateStack => "UpdateStack",
            Operation::DeleteStack => "DeleteStack",
            Operation::ContinueUpdateRollback => "ContinueUpdateRollback",
            Operation::CancelUpdateStack => "CancelUpdateStack",
        }
    }
}

/// Something the engine did or saw.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The caller, first in every command.
    Identity(Identity),
    /// Information worth a line.
    Note {
        /// The stack it is about.
        stack: Option<String>,
        /// The text.
        message: String,
    },
    /// A throttled call, retried after a wait.
    Throttled {
        /// The operation.
        operation: &'static str,
        /// The error code.
        code: Option<String>,
        /// The wait before the next attempt.
        retry_in: Duration,
    },
    /// A template over the inline limit was uploaded.
    TemplateUploaded {
        /// The stack.
        stack: String,
        /// The URL CloudFormation reads it from.
        url: String,
        /// Its size.
        bytes: usize,
    },
    /// An asset is in the staging bucket.
    AssetPublished {
        /// The asset id.
        id: String,
        /// The bucket.
        bucket: String,
        /// The key.
        key: String,
        /// It was there already (same key: same content).
        skipped: bool,
    },
    /// A change set was created.
    ChangeSetCreated {
        /// The stack.
        stack: String,
        /// Its name.
        name: String,
        /// CREATE or UPDATE.
        kind: ChangeSetType,
    },
    /// The changes of a stack, before approval.
    Review(Review),
    /// An online diff of one stack.
    Diff {
        /// The stack.
        stack: String,
        /// The stack is deployed.
        existed: bool,
        /// Template and settings changes.
        diff: TemplateDiff,
        /// New IAM statements and security-group rules.
        broadening: Vec<Grant>,
    },
    /// A stack operation started.
    Started {
        /// The stack.
        stack: String,
        /// The operation.
        operation: Operation,
    },
    /// A stack event (resource or stack status change).
    Resource {
        /// The stack.
        stack: String,
        /// Logical ID.
        logical_id: String,
        /// Type.
        resource_type: String,
        /// Status.
        status: ResourceStatus,
        /// Reason, if any.
        reason: Option<String>,
        /// Time since the operation started.
        elapsed: Duration,
    },
    /// The stack's status at a poll.
    Progress {
        /// The stack.
        stack: String,
        /// Its status (`None`: gone).
        status: Option<StackStatus>,
        /// Time since the operation started.
        elapsed: Duration,
    },
    /// A stack setting was applied.
    SettingApplied {
        /// The stack.
        stack: String,
        /// Which setting.
        setting: Setting,
    },
    /// A resource a delete leaves behind.
    Retained {
        /// The stack.
        stack: String,
        /// Logical ID.
        logical_id: String,
        /// Type.
        resource_type: String,
        /// `Retain`, `RetainExceptOnCreate` or `Snapshot`.
        policy: String,
    },
    /// The stack failed; the error follows.
    Failed {
        /// The stack.
        stack: String,
        /// The final status.
        status: String,
        /// The first failed resource and its reason.
        first_failure: Option<String>,
    },
    /// A stack is done.
    Finished(StackReport),
}

/// A yes/no question for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// The stack.
    pub stack: String,
    /// The question.
    pub text: String,
    /// Why it is asked.
    pub reason: String,
}

/// Receives the engine's events and answers its questions.
pub trait Observer {
    /// One event, in order.
    fn event(&mut self, event: &Event);
    /// Asks; `None` when there is nobody to ask (no terminal), which refuses unless the
    /// options say `yes`.
    fn confirm(&mut self, question: &Question) -> Option<bool> {
        let _ = question;
        None
    }
}

/// Keeps every event; answers every question with `answer`.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The events so far.
    pub events: Vec<Event>,
    /// The questions asked.
    pub questions: Vec<Question>,
    /// The answer to every question (`None`: nobody to ask).
    pub answer: Option<bool>,
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn confirm(&mut self, question: &Question) -> Option<bool> {
        self.questions.push(question.clone());
        self.answer
    }
}
