//! What the pod controller does after a failed call, in one place: a plugin
//! call's error (read through the protocol's retry table in
//! `plugin_process::retry`) and a status patch the API refused. Pure functions,
//! unit-tested; `sync`, `deletion` and `status` only act on the answers.

use std::time::Duration;

use tokio::time::Instant;
use tonic::Code;

use super::queue::Outcome;
use crate::backoff::Backoff;
use crate::plugin_process::{CallError, Retry};

/// How long after the host released a name (DeletePod of the pod that had
/// it) ALREADY_EXISTS from CreatePod of a new pod of that name is taken for
/// the plugin still tearing the old one down, and retried without a report.
pub const NAME_RELEASE_GRACE: Duration = Duration::from_secs(60);

/// The back-off of a DeletePod that fails: 2 s, doubling per failure in a
/// row, at most 5 minutes (the kubelet's longest back-off). A plugin that
/// cannot stop a pod is asked at that pace, not at every resync.
const DELETE_RETRY: Backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(300));

/// How long to wait before asking DeletePod again after `failures` failures
/// in a row.
pub fn delete_retry_delay(failures: u32) -> Duration {
    DELETE_RETRY.delay(failures)
}

/// The pod controller's reaction to a failed plugin call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reaction {
    /// The call's purpose is met (NOT_FOUND from DeletePod).
    Done,
    /// The plugin does not hold the pod (NOT_FOUND from any other rpc).
    NotHeld,
    /// The plugin can never do this for this pod (INVALID_ARGUMENT from
    /// CreatePod or UpdatePod): CreatePod fails the pod, an UpdatePod's
    /// change is not applied. Not retried.
    Rejected,
    /// A required rpc the plugin does not implement (UNIMPLEMENTED): the pod
    /// fails with that reason. Not retried, as the protocol says.
    Unimplemented,
    /// CreatePod found the name held under another UID.
    NameTaken,
    /// Retry with backoff.
    Retry,
    /// Retry at the longest backoff: only a person fixes it (credentials,
    /// permissions).
    RetrySlowly,
}

impl Reaction {
    /// When to come back to the pod, for the reactions that retry.
    pub fn outcome(self) -> Outcome {
        match self {
            Self::RetrySlowly => Outcome::RetrySlowly,
            Self::Done | Self::Rejected | Self::Unimplemented => Outcome::Done,
            Self::NotHeld | Self::NameTaken | Self::Retry => Outcome::Retry,
        }
    }
}

/// The reaction to `error` from a plugin call about one pod.
///
/// The retry table calls NOT_FOUND and ALREADY_EXISTS permanent; for pods
/// they mostly mean a race with a deletion, which the callers settle (create
/// or mark lost; wait for the old pod to go), so neither stops the pod's
/// work. INVALID_ARGUMENT is final only where the protocol says so
/// (CreatePod, UpdatePod); elsewhere it is retried.
pub fn react(error: &CallError) -> Reaction {
    let rpc = match error {
        CallError::Status { rpc, .. } => *rpc,
        CallError::Unsupported { .. } => return Reaction::Unimplemented,
        CallError::InvalidReply { .. } => return Reaction::Retry,
    };
    let mutates = matches!(rpc, "CreatePod" | "UpdatePod");
    match (error.retry(), error.code()) {
        (Retry::Done, _) => Reaction::Done,
        (Retry::Absent, _) => Reaction::Unimplemented,
        (_, Some(Code::NotFound)) => Reaction::NotHeld,
        (_, Some(Code::AlreadyExists)) if rpc == "CreatePod" => Reaction::NameTaken,
        (_, Some(Code::InvalidArgument)) if mutates => Reaction::Rejected,
        (_, Some(Code::PermissionDenied | Code::Unauthenticated)) => Reaction::RetrySlowly,
        _ => Reaction::Retry,
    }
}

/// Whether ALREADY_EXISTS from CreatePod is retried quietly: the host
/// released that name (DeletePod) less than [`NAME_RELEASE_GRACE`] ago, so
/// the plugin is most likely still removing the old pod.
pub fn quiet_name_retry(released_at: Option<Instant>, now: Instant) -> bool {
    released_at.is_some_and(|at| now.saturating_duration_since(at) < NAME_RELEASE_GRACE)
}

/// What to do after the API refused a status patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchFailure {
    /// The pod is gone or has another UID now: nothing to write.
    Gone,
    /// The API will never take this status (422 Unprocessable Entity):
    /// report it once and wait for the next status.
    Invalid,
    /// Retry with backoff.
    Retry,
}

/// The reaction to an API error with HTTP `code` on a status patch.
pub fn patch_failure(code: u16) -> PatchFailure {
    match code {
        404 | 409 => PatchFailure::Gone,
        422 => PatchFailure::Invalid,
        _ => PatchFailure::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(rpc: &'static str, code: Code) -> CallError {
        CallError::Status {
            plugin: "mock".into(),
            rpc,
            status: tonic::Status::new(code, "x"),
        }
    }

    #[test]
    fn plugin_errors() {
        use Reaction::*;
        let cases = [
            ("DeletePod", Code::NotFound, Done),
            ("GetPod", Code::NotFound, NotHeld),
            ("UpdatePod", Code::NotFound, NotHeld),
            ("CreatePod", Code::AlreadyExists, NameTaken),
            ("CreatePod", Code::InvalidArgument, Rejected),
            ("UpdatePod", Code::InvalidArgument, Rejected),
            ("DeletePod", Code::InvalidArgument, Retry),
            ("CreatePod", Code::Unimplemented, Unimplemented),
            ("GetPod", Code::Unimplemented, Unimplemented),
            ("DeletePod", Code::Unimplemented, Unimplemented),
            ("CreatePod", Code::PermissionDenied, RetrySlowly),
            ("GetPod", Code::Unauthenticated, RetrySlowly),
            ("CreatePod", Code::Unavailable, Retry),
            ("CreatePod", Code::FailedPrecondition, Retry),
            ("GetPodStatus", Code::DeadlineExceeded, Retry),
        ];
        for (rpc, code, expected) in cases {
            assert_eq!(react(&failed(rpc, code)), expected, "{rpc} {code:?}");
        }
        let invalid = CallError::InvalidReply {
            plugin: "mock".into(),
            rpc: "GetPod",
            why: "x".into(),
        };
        assert_eq!(react(&invalid), Retry);
    }

    #[test]
    fn what_is_retried_and_how() {
        assert_eq!(Reaction::Retry.outcome(), Outcome::Retry);
        assert_eq!(Reaction::NameTaken.outcome(), Outcome::Retry);
        assert_eq!(Reaction::RetrySlowly.outcome(), Outcome::RetrySlowly);
        assert_eq!(Reaction::Unimplemented.outcome(), Outcome::Done);
        assert_eq!(Reaction::Rejected.outcome(), Outcome::Done);
    }

    #[test]
    fn a_name_released_lately_is_waited_for_quietly() {
        let now = Instant::now() + Duration::from_secs(3600);
        assert!(!quiet_name_retry(None, now));
        assert!(quiet_name_retry(Some(now - Duration::from_secs(5)), now));
        assert!(!quiet_name_retry(
            Some(now - NAME_RELEASE_GRACE - Duration::from_secs(1)),
            now
        ));
    }

    #[test]
    fn status_patch_failures() {
        assert_eq!(patch_failure(404), PatchFailure::Gone);
        assert_eq!(patch_failure(409), PatchFailure::Gone);
        assert_eq!(patch_failure(422), PatchFailure::Invalid);
        assert_eq!(patch_failure(500), PatchFailure::Retry);
        assert_eq!(patch_failure(429), PatchFailure::Retry);
    }
}
