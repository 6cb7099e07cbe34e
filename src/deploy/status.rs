//! Typed stack statuses (the SDK's [`StackStatus`]): what is finished, what failed, and
//! what a deploy must do first.

use aws_sdk_cloudformation::types::{Stack, StackStatus};

/// The status of a described stack.
pub fn of(stack: Option<&Stack>) -> Option<StackStatus> {
    stack.and_then(|s| s.stack_status()).cloned()
}

/// The status as text: `NOT_FOUND` when there is no stack.
pub fn name(status: Option<&StackStatus>) -> String {
    status.map_or_else(|| "NOT_FOUND".to_owned(), |s| s.as_str().to_owned())
}

/// An operation is running: wait.
pub fn in_progress(s: &StackStatus) -> bool {
    match s {
        StackStatus::CreateInProgress
        | StackStatus::DeleteInProgress
        | StackStatus::ImportInProgress
        | StackStatus::ImportRollbackInProgress
        | StackStatus::ReviewInProgress
        | StackStatus::RollbackInProgress
        | StackStatus::UpdateCompleteCleanupInProgress
        | StackStatus::UpdateInProgress
        | StackStatus::UpdateRollbackCompleteCleanupInProgress
        | StackStatus::UpdateRollbackInProgress => true,
        // A status newer than this SDK: go by its name.
        other => other.as_str().ends_with("_IN_PROGRESS"),
    }
}

/// The create, update or import that was started succeeded.
pub fn succeeded(s: &StackStatus) -> bool {
    matches!(
        s,
        StackStatus::CreateComplete | StackStatus::UpdateComplete | StackStatus::ImportComplete
    )
}

/// The stack exists in a state other stacks can depend on (its last operation may have
/// rolled back, but its resources are in place).
pub fn usable(s: &StackStatus) -> bool {
    succeeded(s)
        || matches!(
            s,
            StackStatus::UpdateRollbackComplete | StackStatus::ImportRollbackComplete
        )
}

/// What a deploy must do with a stack before it can create or update it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing: deploy.
    Ready,
    /// The first create failed (ROLLBACK_COMPLETE, ROLLBACK_FAILED): delete it after
    /// confirmation, then create it again.
    DeleteAndRecreate,
    /// A CREATE change set was never executed (REVIEW_IN_PROGRESS): delete the empty stack.
    DeleteEmpty,
    /// An update could not roll back (UPDATE_ROLLBACK_FAILED): ContinueUpdateRollback after
    /// confirmation.
    ContinueRollback,
    /// Another operation is running: wait for it.
    Busy,
    /// A delete failed: fix what blocked it, then destroy again.
    DeleteFailed,
    /// The stack is gone (DELETE_COMPLETE): create it.
    Gone,
}

/// What to do with a stack in status `s` before deploying.
pub fn recovery(s: &StackStatus) -> Recovery {
    match s {
        StackStatus::RollbackComplete | StackStatus::RollbackFailed => Recovery::DeleteAndRecreate,
        StackStatus::ReviewInProgress => Recovery::DeleteEmpty,
        StackStatus::UpdateRollbackFailed => Recovery::ContinueRollback,
        StackStatus::DeleteFailed => Recovery::DeleteFailed,
        StackStatus::DeleteComplete => Recovery::Gone,
        s if in_progress(s) => Recovery::Busy,
        _ => Recovery::Ready,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_one_recovery() {
        let cases = [
            (StackStatus::CreateComplete, Recovery::Ready),
            (StackStatus::UpdateRollbackComplete, Recovery::Ready),
            (StackStatus::RollbackComplete, Recovery::DeleteAndRecreate),
            (StackStatus::RollbackFailed, Recovery::DeleteAndRecreate),
            (StackStatus::ReviewInProgress, Recovery::DeleteEmpty),
            (
                StackStatus::UpdateRollbackFailed,
                Recovery::ContinueRollback,
            ),
            (StackStatus::UpdateInProgress, Recovery::Busy),
            (StackStatus::DeleteFailed, Recovery::DeleteFailed),
            (StackStatus::DeleteComplete, Recovery::Gone),
            (
                StackStatus::from("SOMETHING_NEW_IN_PROGRESS"),
                Recovery::Busy,
            ),
        ];
        for (s, r) in cases {
            assert_eq!(recovery(&s), r, "{s:?}");
        }
    }

    #[test]
    fn success_and_usability() {
        assert!(succeeded(&StackStatus::UpdateComplete));
        assert!(!succeeded(&StackStatus::UpdateRollbackComplete));
        assert!(usable(&StackStatus::UpdateRollbackComplete));
        assert!(!usable(&StackStatus::RollbackComplete));
        assert!(in_progress(&StackStatus::UpdateCompleteCleanupInProgress));
        assert!(!in_progress(&StackStatus::DeleteComplete));
        assert_eq!(name(None), "NOT_FOUND");
    }
}
