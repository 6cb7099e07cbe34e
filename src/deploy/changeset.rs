//! Applying a stack through a change set: create it, wait for it, review it, execute it, or
//! delete it (and the empty stack a CREATE change set leaves) when there is nothing to do or
//! the change is not approved.

use aws_sdk_cloudformation::types::{ChangeSetStatus, ChangeSetType, ExecutionStatus, StackStatus};

use super::apply::{with_request, Plan};
use super::classify::no_changes_reason;
use super::error::DeployError;
use super::event::{Event, Operation, StackReport};
use super::monitor::Watch;
use super::{status, Engine};

impl Engine<'_> {
    pub(crate) async fn apply_change_set(
        &mut self,
        plan: Plan<'_>,
    ) -> Result<StackReport, DeployError> {
        let name = plan.name().to_owned();
        let creating = plan.creating();
        let c = self.clients.cfn.clone();
        let cs_name = format!(
            "stackforge-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        // Always explicit: an omitted type means CREATE on some endpoints.
        let kind = if creating {
            ChangeSetType::Create
        } else {
            ChangeSetType::Update
        };
        let r = &plan.request;
        let created = self
            .call("CreateChangeSet", || {
                with_request!(c.create_change_set(), r)
                    .change_set_name(&cs_name)
                    .change_set_type(kind.clone())
                    .send()
            })
            .await?;
        self.emit(Event::ChangeSetCreated {
            stack: name.clone(),
            name: cs_name.clone(),
            kind,
        });
        let cs_id = created.id().unwrap_or(&cs_name).to_owned();
        let stack_id = created.stack_id().unwrap_or(&name).to_owned();
        let state = loop {
            let state = self
                .describe_change_set(&cs_id, &stack_id, &plan.local)
                .await?;
            match state.status {
                Some(ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress) => {
                    if plan.started.elapsed() >= self.options.timeout {
                        return Err(DeployError::Timeout {
                            stack: name,
                            status: "change set CREATE_IN_PROGRESS".to_owned(),
                            waited: plan.started.elapsed(),
                        });
                    }
                    tokio::time::sleep(self.options.poll_interval).await;
                }
                _ => break state,
            }
        };
        if state.status == Some(ChangeSetStatus::Failed) {
            let reason = state.reason.unwrap_or_default();
            self.discard(&cs_id, &stack_id, creating, &name).await?;
            if no_changes_reason(&reason) {
                return self.unchanged(&plan).await;
            }
            return Err(DeployError::ChangeSetFailed {
                stack: name,
                reason,
            });
        }
        if state.changes.is_empty() {
            // Empty, whatever its execution status: nothing to execute.
            self.discard(&cs_id, &stack_id, creating, &name).await?;
            return self.unchanged(&plan).await;
        }
        if let Some(x) = state.execution.filter(|x| *x != ExecutionStatus::Available) {
            self.discard(&cs_id, &stack_id, false, &name).await?;
            return Err(DeployError::ChangeSetFailed {
                stack: name,
                reason: format!(
                    "the change set cannot be executed (ExecutionStatus {})",
                    x.as_str()
                ),
            });
        }
        let why = self.review(
            &name,
            state.changes,
            plan.setting_changes.clone(),
            &plan.old,
            &plan.stack.template,
        );
        if let Some(why) = why {
            if let Err(e) = self.approve(&name, &format!("Deploy these changes to `{name}`?"), &why)
            {
                self.discard(&cs_id, &stack_id, creating, &name).await?;
                return Err(e);
            }
        }
        if !creating {
            // A new stack policy protects this very update.
            self.apply_settings(&name, plan.deployed.as_ref(), &plan.desired)
                .await?;
        }
        let mut w = Watch::new(&name, &stack_id);
        w.started = plan.started;
        self.poll_events(&mut w, false).await?;
        self.call("ExecuteChangeSet", || {
            c.execute_change_set()
                .change_set_name(&cs_id)
                .stack_name(&stack_id)
                .send()
        })
        .await?;
        self.emit(Event::Started {
            stack: name.clone(),
            operation: Operation::ExecuteChangeSet,
        });
        self.finish(&plan, &mut w).await
    }

    /// Deletes a change set that will not run, and the empty REVIEW_IN_PROGRESS stack a
    /// CREATE change set leaves behind.
    async fn discard(
        &mut self,
        cs_id: &str,
        stack_id: &str,
        creating: bool,
        name: &str,
    ) -> Result<(), DeployError> {
        let c = self.clients.cfn.clone();
        self.call("DeleteChangeSet", || {
            c.delete_change_set()
                .change_set_name(cs_id)
                .stack_name(stack_id)
                .send()
        })
        .await?;
        if !creating {
            return Ok(());
        }
        if let Some(st) = self.describe(name).await? {
            if status::of(Some(&st)) == Some(StackStatus::ReviewInProgress) {
                self.call("DeleteStack", || c.delete_stack().stack_name(name).send())
                    .await?;
                self.note(
                    Some(name),
                    format!("{name}: removed the empty REVIEW_IN_PROGRESS stack"),
                );
            }
        }
        Ok(())
    }
}
