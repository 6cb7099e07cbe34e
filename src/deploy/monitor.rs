//! Watching a stack operation: new stack events (each once, oldest first), the stack's
//! status until it leaves every `*_IN_PROGRESS` state, the timeout, and Ctrl-C.

use std::collections::HashSet;
use std::time::Instant;

use aws_sdk_cloudformation::types::{Stack, StackEvent, StackStatus};

use super::classify::ErrorKind;
use super::error::DeployError;
use super::event::{Event, Operation, Question};
use super::{status, Engine};

/// The events of one operation already seen, and the first failure among them.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    seen: HashSet<String>,
    first_failure: Option<String>,
}

impl EventLog {
    /// Takes one page of events (newest first, as CloudFormation returns them). Returns the
    /// events not seen before, oldest first, and whether an already-seen event was reached
    /// (so older pages need not be read).
    pub(crate) fn absorb(&mut self, page: &[StackEvent]) -> (Vec<StackEvent>, bool) {
        let mut fresh = Vec::new();
        let mut reached_seen = false;
        for e in page {
            let Some(id) = e.event_id() else { continue };
            if self.seen.contains(id) {
                reached_seen = true;
                break;
            }
            fresh.push(e.clone());
        }
        fresh.reverse();
        fresh.retain(|e| {
            e.event_id()
                .is_some_and(|id| self.seen.insert(id.to_owned()))
        });
        for e in &fresh {
            let failed = e
                .resource_status()
                .is_some_and(|s| s.as_str().ends_with("_FAILED"));
            let reason = e.resource_status_reason().unwrap_or("");
            if failed
                && self.first_failure.is_none()
                && !super::classify::cancelled_reason(reason)
                && e.resource_type() != Some("AWS::CloudFormation::Stack")
            {
                self.first_failure = Some(format!(
                    "{} ({}): {reason}",
                    e.logical_resource_id().unwrap_or(""),
                    e.resource_type().unwrap_or("")
                ));
            }
        }
        (fresh, reached_seen)
    }

    /// The first failed resource and its reason.
    pub(crate) fn first_failure(&self) -> Option<&str> {
        self.first_failure.as_deref()
    }
}

/// One stack operation being watched.
pub(crate) struct Watch<'a> {
    /// The stack name (for events and errors).
    pub(crate) stack: &'a str,
    /// The stack id or name to ask about (an id survives a delete).
    pub(crate) stack_ref: &'a str,
    /// When the operation started.
    pub(crate) started: Instant,
    /// The events seen so far.
    pub(crate) log: EventLog,
}

impl<'a> Watch<'a> {
    pub(crate) fn new(stack: &'a str, stack_ref: &'a str) -> Self {
        Watch {
            stack,
            stack_ref,
            started: Instant::now(),
            log: EventLog::default(),
        }
    }
}

impl Engine<'_> {
    /// Reads new events; emits them when `emit` (a baseline before an operation does not).
    pub(crate) async fn poll_events(
        &mut self,
        w: &mut Watch<'_>,
        emit: bool,
    ) -> Result<(), DeployError> {
        let c = self.clients.cfn.clone();
        let mut token: Option<String> = None;
        let mut fresh_all: Vec<StackEvent> = Vec::new();
        loop {
            let t = token.clone();
            let r = match self
                .call("DescribeStackEvents", || {
                    c.describe_stack_events()
                        .stack_name(w.stack_ref)
                        .set_next_token(t.clone())
                        .send()
                })
                .await
            {
                Ok(r) => r,
                Err(e) if e.kind == ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            let (mut fresh, reached_seen) = w.log.absorb(r.stack_events());
            // Older pages come later; the newest are already in `fresh_all`.
            fresh.append(&mut fresh_all);
            fresh_all = fresh;
            // A baseline needs only the newest page: everything after it is new.
            match r.next_token() {
                Some(t) if emit && !reached_seen && !r.stack_events().is_empty() => {
                    token = Some(t.to_owned())
                }
                _ => break,
            }
        }
        if emit {
            for e in fresh_all {
                self.emit(Event::Resource {
                    stack: w.stack.to_owned(),
                    logical_id: e.logical_resource_id().unwrap_or_default().to_owned(),
                    resource_type: e.resource_type().unwrap_or_default().to_owned(),
                    status: e
                        .resource_status()
                        .cloned()
                        .unwrap_or_else(|| "UNKNOWN".into()),
                    reason: e.resource_status_reason().map(str::to_owned),
                    elapsed: w.started.elapsed(),
                });
            }
        }
        Ok(())
    }

    /// Waits until the stack leaves every `*_IN_PROGRESS` state; returns it (`None` once it
    /// is gone).
    pub(crate) async fn wait(&mut self, w: &mut Watch<'_>) -> Result<Option<Stack>, DeployError> {
        loop {
            self.poll_events(w, true).await?;
            let s = self.describe(w.stack_ref).await?;
            let st = status::of(s.as_ref());
            self.emit(Event::Progress {
                stack: w.stack.to_owned(),
                status: st.clone(),
                elapsed: w.started.elapsed(),
            });
            let Some(st) = st.filter(status::in_progress) else {
                return Ok(s);
            };
            if w.started.elapsed() >= self.options.timeout {
                return Err(DeployError::Timeout {
                    stack: w.stack.to_owned(),
                    status: st.as_str().to_owned(),
                    waited: w.started.elapsed(),
                });
            }
            self.sleep_or_interrupt(w.stack, &st).await?;
        }
    }

    async fn sleep_or_interrupt(
        &mut self,
        stack: &str,
        st: &StackStatus,
    ) -> Result<(), DeployError> {
        let interval = self.options.poll_interval;
        if !self.options.handle_ctrl_c {
            tokio::time::sleep(interval).await;
            return Ok(());
        }
        let interrupted = tokio::select! {
            _ = tokio::time::sleep(interval) => false,
            r = tokio::signal::ctrl_c() => r.is_ok(),
        };
        if !interrupted {
            return Ok(());
        }
        if *st != StackStatus::UpdateInProgress {
            return Err(DeployError::Stuck {
                stack: stack.to_owned(),
                status: st.as_str().to_owned(),
                help: "interrupted; CloudFormation keeps going without us (only updates can be cancelled)".to_owned(),
            });
        }
        let q = Question {
            stack: stack.to_owned(),
            text: format!("Cancel the update of `{stack}` (CancelUpdateStack)? It rolls back to the previous template."),
            reason: "interrupted".to_owned(),
        };
        if self.observer.confirm(&q) == Some(true) {
            let c = self.clients.cfn.clone();
            self.call("CancelUpdateStack", || {
                c.cancel_update_stack().stack_name(stack).send()
            })
            .await?;
            self.emit(Event::Started {
                stack: stack.to_owned(),
                operation: Operation::CancelUpdateStack,
            });
        }
        Ok(())
    }

    /// The error for a stack that ended badly, after a [`Event::Failed`].
    pub(crate) fn failure(
        &mut self,
        stack: &str,
        s: Option<&Stack>,
        log: &EventLog,
    ) -> DeployError {
        let first_failure = log
            .first_failure()
            .map(str::to_owned)
            .or_else(|| s.and_then(|s| s.stack_status_reason()).map(str::to_owned));
        let st = status::name(status::of(s).as_ref());
        self.emit(Event::Failed {
            stack: stack.to_owned(),
            status: st.clone(),
            first_failure: first_failure.clone(),
        });
        DeployError::Failed {
            stack: stack.to_owned(),
            status: st,
            first_failure,
        }
    }

    /// DescribeStacks for one stack; `None` when it does not exist.
    pub(crate) async fn describe(&mut self, stack: &str) -> Result<Option<Stack>, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("DescribeStacks", || {
                c.describe_stacks().stack_name(stack).send()
            })
            .await
        {
            Ok(r) => Ok(r.stacks().first().cloned()),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::ResourceStatus;

    fn ev(id: &str, logical: &str, ty: &str, status: ResourceStatus, reason: &str) -> StackEvent {
        StackEvent::builder()
            .event_id(id)
            .logical_resource_id(logical)
            .resource_type(ty)
            .resource_status(status)
            .resource_status_reason(reason)
            .build()
    }

    #[test]
    fn events_are_new_once_oldest_first_and_the_first_real_failure_is_kept() {
        let mut log = EventLog::default();
        let page1 = [
            ev(
                "2",
                "Q",
                "AWS::SQS::Queue",
                ResourceStatus::CreateInProgress,
                "",
            ),
            ev(
                "1",
                "s",
                "AWS::CloudFormation::Stack",
                ResourceStatus::CreateInProgress,
                "",
            ),
        ];
        let (fresh, reached) = log.absorb(&page1);
        assert_eq!(
            fresh
                .iter()
                .filter_map(|e| e.event_id())
                .collect::<Vec<_>>(),
            ["1", "2"]
        );
        assert!(!reached);
        let page2 = [
            ev(
                "5",
                "s",
                "AWS::CloudFormation::Stack",
                ResourceStatus::CreateFailed,
                "stack failed",
            ),
            ev(
                "4",
                "T",
                "AWS::SNS::Topic",
                ResourceStatus::CreateFailed,
                "Resource creation cancelled",
            ),
            ev(
                "3",
                "Q",
                "AWS::SQS::Queue",
                ResourceStatus::CreateFailed,
                "bad name",
            ),
            page1[0].clone(),
        ];
        let (fresh, reached) = log.absorb(&page2);
        assert_eq!(
            fresh
                .iter()
                .filter_map(|e| e.event_id())
                .collect::<Vec<_>>(),
            ["3", "4", "5"]
        );
        assert!(reached);
        assert_eq!(log.first_failure(), Some("Q (AWS::SQS::Queue): bad name"));
        assert!(log.absorb(&page2).0.is_empty());
    }
}
