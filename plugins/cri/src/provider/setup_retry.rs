//! The pod-level set-up steps that come before any container starts —
//! volumes, then the sandbox — retried with back-off after a failure. Each
//! failed attempt sends the kubelet's Warning event (`FailedMount`,
//! `FailedCreatePodSandBox`) and leaves the containers to start waiting in
//! `ContainerCreating`; unlike the kubelet (whose reason cache holds only
//! container start results, so the message stays empty) the error is also
//! the waiting message, for `kubectl get pod -o yaml`.
//!
//! Timing follows the kubelet: volume set-up backs off exponentially from
//! 500 ms to 2 min 2 s after each failure (its volume operation executor);
//! a failed sandbox is tried again 10 s later (its pod worker's back-off
//! period). The delay counts from when the attempt failed, however long it
//! took.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use vk_plugin_sdk::PodEvent;

use super::sandbox::ReadySandbox;
use super::sync::SyncFailure;
use super::{Inner, now};
use crate::paths;
use crate::snapshot::PodSnapshot;
use crate::status::SyncError;

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

    /// The first delay after a failure, and the largest.
    fn delays(self) -> (Duration, Duration) {
        match self {
            Self::Volumes => (Duration::from_millis(500), Duration::from_secs(122)),
            Self::Sandbox => (Duration::from_secs(10), Duration::from_secs(10)),
        }
    }
}

/// The last failure of a step: when, and how long to wait after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SetupFailure {
    at: Timestamp,
    delay: Duration,
}

impl SetupFailure {
    /// The failure after `previous` (if any) at `at`: the first delay, or
    /// the previous one doubled up to the step's largest.
    fn after(previous: Option<Self>, step: SetupStep, at: Timestamp) -> Self {
        let (first, largest) = step.delays();
        let delay = previous.map_or(first, |p| p.delay.saturating_mul(2).min(largest));
        Self { at, delay }
    }

    /// Whether the step may be tried again at `now`.
    fn over(&self, now: Timestamp) -> bool {
        now >= self.at && now.duration_since(self.at).unsigned_abs() >= self.delay
    }
}

impl Inner {
    /// Sets up the pod for `waiting`, the containers about to start: as
    /// the kubelet (WaitForAttachAndMount), volumes before the sandbox;
    /// until both are set up (`None`) the containers wait in
    /// ContainerCreating.
    pub(super) async fn set_up_pod(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
        waiting: &[&str],
    ) -> Result<Option<ReadySandbox>, SyncFailure> {
        if !self.may_try(uid, SetupStep::Volumes) {
            return Ok(None);
        }
        let pod_dir = paths::pod_dir(&self.config.root_dir, uid);
        if let Err(error) = self.volumes.set_up(uid, pod, &pod_dir).await {
            self.setup_failed(uid, SetupStep::Volumes, error.to_string(), waiting);
            return Ok(None);
        }
        self.setup_succeeded(uid, SetupStep::Volumes);
        let creating = snapshot
            .newest_sandbox()
            .filter(|_| snapshot.sandbox_ready())
            .is_none();
        if creating && !self.may_try(uid, SetupStep::Sandbox) {
            return Ok(None);
        }
        let sandbox = match self.ensure_sandbox(pod, snapshot).await {
            Ok(sandbox) => sandbox,
            Err(failure) if creating => {
                let message = format!("Failed to create pod sandbox: {}", failure.kubelet_text());
                self.setup_failed(uid, SetupStep::Sandbox, message, waiting);
                return Ok(None);
            }
            Err(failure) => return Err(failure),
        };
        self.setup_succeeded(uid, SetupStep::Sandbox);
        Ok(Some(sandbox))
    }

    /// Whether `step` of pod `uid` may be tried now: always, unless its
    /// last attempt failed less than its delay ago.
    pub(super) fn may_try(&self, uid: &str, step: SetupStep) -> bool {
        let now = now();
        self.pods()
            .get(uid)
            .and_then(|e| e.setup_failures.get(&step))
            .is_none_or(|failure| failure.over(now))
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
            let previous = entry.setup_failures.get(&step).copied();
            entry
                .setup_failures
                .insert(step, SetupFailure::after(previous, step, now()));
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

    /// `step` of pod `uid` succeeded: its next failure starts the back-off
    /// over.
    pub(super) fn setup_succeeded(&self, uid: &str, step: SetupStep) {
        if let Some(entry) = self.pods().get_mut(uid) {
            entry.setup_failures.remove(&step);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_second(1_000).expect("time") + Duration::from_millis(ms as u64)
    }

    #[test]
    fn volume_retries_double_from_half_a_second_to_two_minutes() {
        let mut failure = SetupFailure::after(None, SetupStep::Volumes, at(0));
        assert!(!failure.over(at(499)) && failure.over(at(500)));
        let mut delays = vec![failure.delay];
        for round in 1..12 {
            failure = SetupFailure::after(Some(failure), SetupStep::Volumes, at(round * 1000));
            delays.push(failure.delay);
        }
        assert_eq!(delays[1], Duration::from_secs(1));
        assert_eq!(delays[8], Duration::from_secs(122), "capped: {delays:?}");
        assert_eq!(delays[11], Duration::from_secs(122));
        // Counted from the failure, however long the attempt took.
        assert!(!failure.over(at(11_000 + 121_000)));
        assert!(failure.over(at(11_000 + 122_000)));
    }

    #[test]
    fn a_sandbox_is_retried_every_ten_seconds() {
        let first = SetupFailure::after(None, SetupStep::Sandbox, at(0));
        let second = SetupFailure::after(Some(first), SetupStep::Sandbox, at(40_000));
        assert_eq!(
            (first.delay, second.delay),
            (Duration::from_secs(10), Duration::from_secs(10))
        );
        assert!(!second.over(at(49_999)) && second.over(at(50_000)));
    }
}
