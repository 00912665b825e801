//! `spec.activeDeadlineSeconds`, enforced as the kubelet does: once a pod
//! has been active (from its `status.startTime`) longer than its deadline,
//! the host writes it `Failed` with reason `DeadlineExceeded` and the
//! kubelet's message, keeps the API object, and asks the plugin to stop it
//! (DeletePod, backed off and reported like every DeletePod; asked again
//! after a plugin restart).

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use tracing::info;

use super::context::{Context, for_plugin};
use super::deletion::{self, Stop};
use super::error::SyncError;
use super::key::{PodKey, uid_of};
use super::queue::Outcome;
use super::{phase, status};
use crate::apiserver::Severity;

/// The kubelet's status reason for a pod past its active deadline.
pub const REASON: &str = "DeadlineExceeded";
/// The kubelet's status message for it, word for word.
pub const MESSAGE: &str = "Pod was active on the node longer than the specified deadline";

/// Where a pod stands against its active deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// No deadline, or not started yet (no start time).
    None,
    /// It passes after this long.
    In(Duration),
    /// It has passed.
    Passed,
}

/// Where `pod` stands at `now` against `spec.activeDeadlineSeconds`, counted
/// from its start time (the API's, else the one the plugin reported in
/// `plugin`), as the kubelet counts it.
pub fn check(pod: &Pod, plugin: Option<&PodStatus>, now: Timestamp) -> Deadline {
    let Some(seconds) = pod.spec.as_ref().and_then(|s| s.active_deadline_seconds) else {
        return Deadline::None;
    };
    let start = pod
        .status
        .as_ref()
        .and_then(|s| s.start_time.as_ref())
        .or_else(|| plugin.and_then(|s| s.start_time.as_ref()));
    let Some(start) = start else {
        return Deadline::None;
    };
    // The API allows only positive values; anything else is no time at all.
    let deadline = Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    let active = Duration::try_from(now.duration_since(start.0)).unwrap_or(Duration::ZERO);
    match deadline.checked_sub(active) {
        Some(left) if !left.is_zero() => Deadline::In(left),
        _ => Deadline::Passed,
    }
}

/// Whether the API's pod failed by its active deadline (the host wrote
/// that status): its containers are to be stopped.
pub fn failed_by_deadline(pod: &Pod) -> bool {
    pod.status.as_ref().is_some_and(|s| {
        s.phase.as_deref() == Some("Failed") && s.reason.as_deref() == Some(REASON)
    })
}

/// A pod past its deadline: asks the plugin to stop it, then writes
/// `Failed`/`DeadlineExceeded` over the plugin's latest status (its
/// containers as the plugin last reported them), with a Normal event as the
/// kubelet records. The status is written even when the plugin cannot be
/// asked now (restarting, or DeletePod failing): [`stop`] asks again.
pub async fn enforce(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    info!(pod = %key, %uid, "active deadline exceeded; failing the pod and stopping it");
    let outcome = stop(ctx, key, pod).await?;
    // Re-read: the status the plugin reported while DeletePod was out is
    // its latest word on the containers.
    let latest = ctx
        .tracking
        .get(key, uid)
        .and_then(|t| t.status().cloned())
        .or_else(|| pod.status.clone());
    let now = Time(Timestamp::now());
    let failed = phase::failed_by_host(latest.as_ref(), REASON, MESSAGE, now);
    status::write(ctx, key, pod, &failed).await?;
    ctx.events
        .pod(pod, Severity::Normal, REASON, MESSAGE.to_owned());
    Ok(outcome)
}

/// Asks the plugin to stop a pod that failed by its deadline, once per
/// plugin instance (a failed DeletePod is reported and asked again after a
/// back-off; a plugin that is restarting is asked when its successor
/// reconciles, which queues every pod).
pub async fn stop(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    let Some(current) = ctx.current() else {
        return Ok(Outcome::Done);
    };
    if tracked.is_lost() || tracked.delete_sent_to(current.generation) {
        return Ok(Outcome::Done);
    }
    match deletion::ask_to_stop(ctx, key, &for_plugin(pod), &current).await? {
        Stop::Sent => {
            info!(pod = %key, %uid, "DeletePod sent (active deadline exceeded)");
            Ok(Outcome::Done)
        }
        Stop::NotHeld => Ok(Outcome::Done),
        Stop::Later(wait) => Ok(Outcome::After(wait)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(deadline: Option<i64>, start: Option<&str>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u"},
            "spec": {"containers": [{"name": "main", "image": "x"}],
                     "activeDeadlineSeconds": deadline},
            "status": {"phase": "Running", "startTime": start},
        }))
        .expect("a pod")
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("a timestamp")
    }

    #[test]
    fn the_deadline_counts_from_the_start_time() {
        let now = at("2026-01-01T00:01:00Z");
        // Deadline (s), start time; where the pod stands at `now`.
        let cases = [
            (None, Some("2026-01-01T00:00:00Z"), Deadline::None),
            (Some(30), None, Deadline::None),
            (Some(30), Some("2026-01-01T00:00:00Z"), Deadline::Passed),
            (Some(60), Some("2026-01-01T00:00:00Z"), Deadline::Passed),
            (
                Some(90),
                Some("2026-01-01T00:00:00Z"),
                Deadline::In(Duration::from_secs(30)),
            ),
            // A start time in the future (clock skew) is no time active.
            (
                Some(5),
                Some("2026-01-01T00:02:00Z"),
                Deadline::In(Duration::from_secs(5)),
            ),
        ];
        for (deadline, start, expected) in cases {
            assert_eq!(
                check(&pod(deadline, start), None, now),
                expected,
                "{deadline:?} {start:?}"
            );
        }
        // Not written to the API yet: the plugin's start time counts.
        let plugin: PodStatus =
            serde_json::from_value(serde_json::json!({"startTime": "2026-01-01T00:00:00Z"}))
                .expect("a status");
        assert_eq!(
            check(&pod(Some(30), None), Some(&plugin), now),
            Deadline::Passed
        );
    }

    #[test]
    fn only_the_deadline_status_asks_for_a_stop() {
        let mut p = pod(Some(1), None);
        assert!(!failed_by_deadline(&p));
        let now = Time(Timestamp::UNIX_EPOCH);
        p.status = Some(phase::failed_by_host(
            p.status.as_ref(),
            REASON,
            MESSAGE,
            now,
        ));
        assert!(failed_by_deadline(&p));
        p.status.as_mut().expect("status").reason = Some("ProviderLost".into());
        assert!(!failed_by_deadline(&p));
    }
}
