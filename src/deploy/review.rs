//! Review before apply: the typed resource changes (from a change set, or predicted from the
//! local diff), what widens permissions, what destroys data, and whether the options want a
//! person to approve.

use aws_sdk_cloudformation::types::{ChangeAction, ChangeSetStatus, ExecutionStatus};
use serde_json::Value as Json;

use super::analysis::{self, Grant};
use super::error::DeployError;
use super::event::{Event, Replacement, ResourceChange, Review};
use super::options::Approval;
use super::Engine;
use crate::diff::{self, SettingChange};

/// A change set as DescribeChangeSet reports it (all pages).
#[derive(Debug, Default)]
pub(crate) struct ChangeSetState {
    pub(crate) status: Option<ChangeSetStatus>,
    pub(crate) reason: Option<String>,
    pub(crate) execution: Option<ExecutionStatus>,
    pub(crate) changes: Vec<ResourceChange>,
}

/// A change from a change set. Without a `Replacement` answer (moto sends none), a changed
/// createOnly property in the local diff predicts one.
pub(crate) fn from_change_set(
    rc: &aws_sdk_cloudformation::types::ResourceChange,
    local: &diff::TemplateDiff,
) -> ResourceChange {
    use aws_sdk_cloudformation::types::Replacement as R;
    let logical_id = rc.logical_resource_id().unwrap_or_default().to_owned();
    let resource_type = rc.resource_type().unwrap_or_default().to_owned();
    let predicted = local
        .resources
        .iter()
        .any(|c| c.logical_id == logical_id && !c.replacement.is_empty());
    let replacement = match rc.replacement() {
        Some(R::True) => Replacement::Always,
        Some(R::Conditional) => Replacement::Conditional,
        _ if predicted => Replacement::Predicted,
        _ => Replacement::Never,
    };
    ResourceChange {
        action: rc.action().cloned().unwrap_or(ChangeAction::Modify),
        stateful: diff::is_stateful(&resource_type),
        logical_id,
        resource_type,
        physical_id: rc.physical_resource_id().map(str::to_owned),
        replacement,
        scope: rc.scope().to_vec(),
    }
}

/// The changes the local diff predicts (direct deploys, which have no change set).
pub(crate) fn from_local(local: &diff::TemplateDiff) -> Vec<ResourceChange> {
    local
        .resources
        .iter()
        .map(|c| ResourceChange {
            action: match c.action {
                diff::Action::Add => ChangeAction::Add,
                diff::Action::Remove => ChangeAction::Remove,
                diff::Action::Modify => ChangeAction::Modify,
            },
            logical_id: c.logical_id.clone(),
            resource_type: c.type_name.clone(),
            physical_id: None,
            replacement: if c.replacement.is_empty() {
                Replacement::Never
            } else {
                Replacement::Predicted
            },
            scope: Vec::new(),
            stateful: c.stateful,
        })
        .collect()
}

/// What makes a change risky: new grants, and data-destroying changes (`logical (type)`).
pub fn assess(changes: &[ResourceChange], old: &Json, new: &Json) -> (Vec<Grant>, Vec<String>) {
    let broadening = analysis::broadening(old, new);
    let destructive = changes
        .iter()
        .filter(|c| c.destroys_data())
        .map(|c| format!("{} ({})", c.logical_id, c.resource_type))
        .collect();
    (broadening, destructive)
}

/// Why the change needs approval under `approval`, if it does.
pub fn approval_reason(
    approval: Approval,
    broadening: &[Grant],
    destructive: &[String],
    any_change: bool,
) -> Option<String> {
    let mut why = Vec::new();
    if !broadening.is_empty() {
        why.push(format!(
            "{} new IAM statement(s) or security-group rule(s)",
            broadening.len()
        ));
    }
    if !destructive.is_empty() {
        why.push(format!(
            "stateful resource(s) replaced or deleted: {}",
            destructive.join(", ")
        ));
    }
    let risky = (!why.is_empty()).then(|| format!("the change needs approval: {}", why.join("; ")));
    match approval {
        Approval::Never => None,
        Approval::Broadening => risky,
        Approval::AnyChange if any_change => Some(risky.unwrap_or_else(|| {
            "the change needs approval (--require-approval any-change)".to_owned()
        })),
        Approval::AnyChange => None,
    }
}

impl Engine<'_> {
    /// Emits the review of a stack's changes; returns why approval is needed, if it is.
    pub(crate) fn review(
        &mut self,
        stack: &str,
        changes: Vec<ResourceChange>,
        settings: Vec<SettingChange>,
        old: &Json,
        new: &Json,
    ) -> Option<String> {
        let (broadening, destructive) = assess(&changes, old, new);
        let any = !changes.is_empty() || !settings.is_empty();
        let approval = approval_reason(self.options.approval, &broadening, &destructive, any);
        self.emit(Event::Review(Review {
            stack: stack.to_owned(),
            changes,
            broadening,
            settings,
            approval: approval.clone(),
        }));
        approval
    }

    /// DescribeChangeSet, every page.
    pub(crate) async fn describe_change_set(
        &mut self,
        cs_id: &str,
        stack_id: &str,
        local: &diff::TemplateDiff,
    ) -> Result<ChangeSetState, DeployError> {
        let c = self.clients.cfn.clone();
        let mut token: Option<String> = None;
        let mut state = ChangeSetState::default();
        loop {
            let t = token.clone();
            let r = self
                .call("DescribeChangeSet", || {
                    c.describe_change_set()
                        .change_set_name(cs_id)
                        .stack_name(stack_id)
                        .set_next_token(t.clone())
                        .send()
                })
                .await?;
            state.changes.extend(
                r.changes()
                    .iter()
                    .filter_map(|ch| ch.resource_change())
                    .map(|rc| from_change_set(rc, local)),
            );
            state.status = r.status().cloned();
            state.reason = r.status_reason().map(str::to_owned);
            state.execution = r.execution_status().cloned();
            let pending = matches!(
                r.status(),
                Some(ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress)
            );
            match r.next_token() {
                Some(t) if !pending => token = Some(t.to_owned()),
                _ => return Ok(state),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(action: ChangeAction, ty: &str, replacement: Replacement) -> ResourceChange {
        ResourceChange {
            action,
            logical_id: "R".into(),
            resource_type: ty.into(),
            physical_id: None,
            replacement,
            scope: Vec::new(),
            stateful: diff::is_stateful(ty),
        }
    }

    #[test]
    fn replacing_or_removing_stateful_resources_is_destructive() {
        let t = json!({});
        for (c, destructive) in [
            (
                change(
                    ChangeAction::Modify,
                    "AWS::RDS::DBInstance",
                    Replacement::Always,
                ),
                true,
            ),
            (
                change(
                    ChangeAction::Modify,
                    "AWS::RDS::DBInstance",
                    Replacement::Predicted,
                ),
                true,
            ),
            (
                change(ChangeAction::Remove, "AWS::S3::Bucket", Replacement::Never),
                true,
            ),
            (
                change(
                    ChangeAction::Modify,
                    "AWS::RDS::DBInstance",
                    Replacement::Never,
                ),
                false,
            ),
            (
                change(ChangeAction::Remove, "AWS::SNS::Topic", Replacement::Never),
                false,
            ),
        ] {
            let (_, d) = assess(std::slice::from_ref(&c), &t, &t);
            assert_eq!(!d.is_empty(), destructive, "{c:?}");
        }
    }

    #[test]
    fn approval_follows_the_option() {
        let grant = Grant {
            logical_id: "Sg".into(),
            kind: "security-group ingress",
            json: "{}".into(),
        };
        let b = [grant];
        assert!(approval_reason(Approval::Never, &b, &[], true).is_none());
        let why = approval_reason(
            Approval::Broadening,
            &b,
            &["Db (AWS::RDS::DBInstance)".into()],
            true,
        )
        .expect("needs approval");
        assert!(
            why.contains("1 new IAM statement(s)") && why.contains("Db"),
            "{why}"
        );
        assert!(approval_reason(Approval::Broadening, &[], &[], true).is_none());
        assert!(approval_reason(Approval::AnyChange, &[], &[], true).is_some());
        assert!(approval_reason(Approval::AnyChange, &[], &[], false).is_none());
    }

    #[test]
    fn local_changes_predict_replacement_from_create_only_properties() {
        let t = |name: &str| json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}}}});
        let d = diff::diff_templates(&t("a"), &t("b"));
        let c = from_local(&d);
        assert_eq!(c[0].replacement, Replacement::Predicted);
        assert_eq!(c[0].action, ChangeAction::Modify);
    }
}
