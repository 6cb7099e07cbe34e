//! Stacks a deploy cannot update as they are: a failed first create, a change set never
//! executed, a rollback that failed. Each is fixed (after confirmation where data or a
//! deliberate state is at stake) or refused with what to do.

use aws_sdk_cloudformation::types::{Stack, StackStatus};

use super::error::DeployError;
use super::event::{Event, Operation, Question};
use super::monitor::Watch;
use super::status::{self, Recovery};
use super::Engine;

impl Engine<'_> {
    /// Asks (or takes `yes`); refuses when nobody can be asked.
    pub(crate) fn approve(
        &mut self,
        stack: &str,
        text: &str,
        why: &str,
    ) -> Result<(), DeployError> {
        if self.options.yes {
            return Ok(());
        }
        let q = Question {
            stack: stack.to_owned(),
            text: text.to_owned(),
            reason: why.to_owned(),
        };
        match self.observer.confirm(&q) {
            Some(true) => Ok(()),
            Some(false) => Err(DeployError::ApprovalRefused {
                stack: stack.to_owned(),
                reason: format!("{why}; not approved"),
            }),
            None => Err(DeployError::ApprovalRefused {
                stack: stack.to_owned(),
                reason: format!(
                    "{why}, and there is no terminal to ask on; review the changes above, then pass --yes (or --require-approval never)"
                ),
            }),
        }
    }

    /// Brings a stack into a state deploy can work from. Returns the stack as it is
    /// afterwards (`None`: it does not exist, create it).
    pub(crate) async fn recover(
        &mut self,
        name: &str,
        s: Option<Stack>,
    ) -> Result<Option<Stack>, DeployError> {
        let Some(st) = s else { return Ok(None) };
        let Some(current) = status::of(Some(&st)) else {
            return Ok(Some(st));
        };
        let status = current.as_str().to_owned();
        match status::recovery(&current) {
            Recovery::Ready => Ok(Some(st)),
            Recovery::Gone => Ok(None),
            Recovery::DeleteAndRecreate | Recovery::DeleteEmpty => {
                if current == StackStatus::ReviewInProgress {
                    self.note(Some(name), format!("{name}: REVIEW_IN_PROGRESS: a change set for a new stack was never executed; deleting the empty stack first"));
                } else {
                    self.note(Some(name), format!("{name}: {status}: its first create failed, and a stack in this state can only be deleted"));
                    self.approve(
                        name,
                        &format!("Delete the failed stack `{name}` and create it again?"),
                        &format!("`{name}` is {status} and must be deleted before it can be created again"),
                    )?;
                }
                let id = st.stack_id().unwrap_or(name).to_owned();
                self.delete_stack(name, name).await?;
                let mut w = Watch::new(name, &id);
                self.poll_events(&mut w, false).await?;
                let after = self.wait(&mut w).await?;
                match status::of(after.as_ref()) {
                    None | Some(StackStatus::DeleteComplete) => {
                        self.note(Some(name), format!("{name}: deleted the {status} stack"));
                        Ok(None)
                    }
                    _ => Err(self.failure(name, after.as_ref(), &w.log)),
                }
            }
            Recovery::ContinueRollback => {
                self.note(Some(name), format!("{name}: UPDATE_ROLLBACK_FAILED: the last update could not roll back; ContinueUpdateRollback retries the rollback"));
                self.approve(
                    name,
                    &format!("Continue the rollback of `{name}` (ContinueUpdateRollback)?"),
                    &format!("`{name}` is UPDATE_ROLLBACK_FAILED; run ContinueUpdateRollback first"),
                )?;
                let c = self.clients.cfn.clone();
                let role = self.options.role_arn.clone();
                let mut w = Watch::new(name, name);
                self.poll_events(&mut w, false).await?;
                self.call("ContinueUpdateRollback", || {
                    c.continue_update_rollback()
                        .stack_name(name)
                        .set_role_arn(role.clone())
                        .send()
                })
                .await?;
                self.emit(Event::Started {
                    stack: name.to_owned(),
                    operation: Operation::ContinueUpdateRollback,
                });
                let after = self.wait(&mut w).await?;
                if status::of(after.as_ref()) == Some(StackStatus::UpdateRollbackComplete) {
                    self.note(Some(name), format!("{name}: rollback completed; deploying"));
                    Ok(after)
                } else {
                    Err(self.failure(name, after.as_ref(), &w.log))
                }
            }
            Recovery::Busy => Err(DeployError::Stuck {
                stack: name.to_owned(),
                status,
                help: "another operation is running; wait for it to finish (or cancel it in the console) and deploy again".to_owned(),
            }),
            Recovery::DeleteFailed => Err(DeployError::Stuck {
                stack: name.to_owned(),
                status,
                help: "a delete failed; fix what blocked it (see the stack events) and run destroy again".to_owned(),
            }),
        }
    }

    /// DeleteStack (with the service role).
    pub(crate) async fn delete_stack(
        &mut self,
        name: &str,
        stack_ref: &str,
    ) -> Result<(), DeployError> {
        let c = self.clients.cfn.clone();
        let role = self.options.role_arn.clone();
        self.call("DeleteStack", || {
            c.delete_stack()
                .stack_name(stack_ref)
                .set_role_arn(role.clone())
                .send()
        })
        .await?;
        self.emit(Event::Started {
            stack: name.to_owned(),
            operation: Operation::DeleteStack,
        });
        Ok(())
    }
}
