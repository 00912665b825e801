//! The pod-level set-up steps that come before any container starts —
//! volumes, then the sandbox — retried with back-off after a failure, each
//! failure shown as the kubelet shows it: the containers wait in
//! `ContainerCreating` with the error as message, and a Warning event
//! (`FailedMount`, `FailedCreatePodSandBox`) is sent per failed attempt.
//!
//! Timing follows the kubelet: volume set-up backs off exponentially from
//! 500 ms to 2 min 2 s (its volume operation executor); a failed sandbox is
//! tried again after 10 s (its pod worker's back-off period). The first
//! retry after the first failure waits only for the next relist.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use vk_plugin_sdk::PodEvent;

use super::{Inner, now};
use crate::backoff::{CrashLoopBackoff, StartDecision};
use crate::status::SyncError;

/// The kubelet's first and largest volume set-up retry delays.
const VOLUME_RETRY_BASE: Duration = Duration::from_millis(500);
const VOLUME_RETRY_MAX: Duration = Duration::from_secs(122);
/// The kubelet's pod worker retries a failed sync after this long.
const SANDBOX_RETRY: Duration = Duration::from_secs(10);

/// A set-up step of a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum SetupStep {
    /// The volumes (`MountVolume.SetUp`).
    Volumes,
    /// `RunPodSandbox` and what it needs first (config, log directory).
    Sandbox,
}

impl SetupStep {
    fn event_reason(self) -> &'static str {
        match self {
            Self::Volumes => "FailedMount",
            Self::Sandbox => "FailedCreatePodSandBox",
        }
    }

    fn key(self, uid: &str) -> String {
        match self {
            Self::Volumes => format!("{uid}_volumes"),
            Self::Sandbox => format!("{uid}_sandbox"),
        }
    }
}

/// The retry delays of both steps, per pod.
#[derive(Debug)]
pub(super) struct SetupBackoff {
    volumes: CrashLoopBackoff,
    sandbox: CrashLoopBackoff,
}

impl Default for SetupBackoff {
    fn default() -> Self {
        Self {
            volumes: CrashLoopBackoff::new(VOLUME_RETRY_BASE, VOLUME_RETRY_MAX),
            sandbox: CrashLoopBackoff::new(SANDBOX_RETRY, SANDBOX_RETRY),
        }
    }
}

impl SetupBackoff {
    fn of(&mut self, step: SetupStep) -> &mut CrashLoopBackoff {
        match step {
            SetupStep::Volumes => &mut self.volumes,
            SetupStep::Sandbox => &mut self.sandbox,
        }
    }

    pub(super) fn forget_pod(&mut self, uid: &str) {
        self.volumes.forget_pod(uid);
        self.sandbox.forget_pod(uid);
    }

    pub(super) fn forget_stale(&mut self, now: Timestamp) {
        self.volumes.forget_stale(now);
        self.sandbox.forget_stale(now);
    }
}

/// The text of a gRPC error as the kubelet prints one (grpc-go's
/// `rpc error: code = Unknown desc = ...`).
pub(super) fn grpc_error_text(status: &tonic::Status) -> String {
    let code = match status.code() {
        tonic::Code::Ok => "OK".to_owned(),
        tonic::Code::Cancelled => "Canceled".to_owned(),
        other => format!("{other:?}"),
    };
    format!("rpc error: code = {code} desc = {}", status.message())
}

impl Inner {
    /// Whether `step` of pod `uid` may be tried now: always, unless it
    /// failed last time and its delay has not passed.
    pub(super) fn may_try(&self, uid: &str, step: SetupStep) -> bool {
        let Some(failed_at) = self
            .pods()
            .get(uid)
            .and_then(|e| e.setup_failures.get(&step).copied())
        else {
            return true;
        };
        let now = now();
        self.setup_backoff
            .lock()
            .map(|mut b| b.of(step).try_start(&step.key(uid), failed_at, now))
            .map_or(true, |decision| decision == StartDecision::Start)
    }

    /// Records a failed attempt of `step`: each of `containers` waits in
    /// `ContainerCreating` with `message`, and the Warning event is sent.
    pub(super) fn setup_failed(
        &self,
        uid: &str,
        step: SetupStep,
        message: String,
        containers: &[&str],
    ) {
        tracing::warn!(step = ?step, error = %message, "pod set-up failed; retrying after a back-off");
        {
            let mut pods = self.pods();
            let Some(entry) = pods.get_mut(uid) else {
                return;
            };
            entry.setup_failures.insert(step, now());
            for name in containers {
                entry.sync_errors.insert(
                    (*name).to_owned(),
                    SyncError {
                        reason: "ContainerCreating".into(),
                        message: message.clone(),
                    },
                );
            }
        }
        self.report(uid, PodEvent::warning(step.event_reason(), message));
    }

    /// `step` of pod `uid` succeeded: the next failure starts the back-off
    /// over.
    pub(super) fn setup_succeeded(&self, uid: &str, step: SetupStep) {
        if let Some(entry) = self.pods().get_mut(uid)
            && entry.setup_failures.remove(&step).is_some()
            && let Ok(mut backoff) = self.setup_backoff.lock()
        {
            backoff.of(step).forget_pod(uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_errors_read_as_the_kubelet_prints_them() {
        assert_eq!(
            grpc_error_text(&tonic::Status::unknown("failed to create containerd task")),
            "rpc error: code = Unknown desc = failed to create containerd task"
        );
        assert_eq!(
            grpc_error_text(&tonic::Status::invalid_argument("bad")),
            "rpc error: code = InvalidArgument desc = bad"
        );
        assert_eq!(
            grpc_error_text(&tonic::Status::cancelled("gone")),
            "rpc error: code = Canceled desc = gone"
        );
    }

    #[test]
    fn volume_retries_back_off_and_a_sandbox_retries_every_ten_seconds() {
        let mut backoff = SetupBackoff::default();
        let t0 = Timestamp::from_second(1_000).expect("time");
        let at = |ms: i64| t0 + Duration::from_millis(ms as u64);
        let volumes = SetupStep::Volumes.key("u");
        // The first retry after a failure is at once; then 0.5 s, 1 s, ...
        assert_eq!(
            backoff.of(SetupStep::Volumes).try_start(&volumes, t0, t0),
            StartDecision::Start
        );
        let failed = at(100);
        assert!(matches!(
            backoff
                .of(SetupStep::Volumes)
                .try_start(&volumes, failed, at(400)),
            StartDecision::BackOff { .. }
        ));
        assert_eq!(
            backoff
                .of(SetupStep::Volumes)
                .try_start(&volumes, failed, at(700)),
            StartDecision::Start
        );
        let failed = at(800);
        assert!(matches!(
            backoff.of(SetupStep::Volumes).try_start(&volumes, failed, at(1_700)),
            StartDecision::BackOff { delay } if delay == Duration::from_secs(1)
        ));
        let sandbox = SetupStep::Sandbox.key("u");
        assert_eq!(
            backoff.of(SetupStep::Sandbox).try_start(&sandbox, t0, t0),
            StartDecision::Start
        );
        for round in 1..4_i64 {
            let failed = at(round * 10_000);
            assert!(matches!(
                backoff.of(SetupStep::Sandbox).try_start(&sandbox, failed, at(round * 10_000 + 9_000)),
                StartDecision::BackOff { delay } if delay == SANDBOX_RETRY
            ));
            assert_eq!(
                backoff.of(SetupStep::Sandbox).try_start(
                    &sandbox,
                    failed,
                    at(round * 10_000 + 10_001)
                ),
                StartDecision::Start
            );
        }
        backoff.forget_pod("u");
        assert!(backoff.volumes.is_empty() && backoff.sandbox.is_empty());
    }
}
