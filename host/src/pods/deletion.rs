//! Deleting pods: a graceful API deletion is passed to the plugin
//! (DeletePod), and the API object is removed (grace 0, UID precondition)
//! as soon as the plugin reports every container terminated or no longer
//! holds the pod, or when the grace period has run out, whichever is first
//! (for a running plugin: the grace period counted from DeletePod, plus a
//! margin for its last kill to be reported; the deletion timestamp is
//! rounded to the second and would cut a plugin's grace period short);
//! its terminal status is written first, as the kubelet does. Pods with
//! nothing running (never created, or finished) are removed at once, also
//! while the plugin restarts. A pod gone from the API
//! (force delete) is deleted in the plugin.
//!
//! The final status is the last one the plugin reported: a status pushed
//! while DeletePod was out (a plugin that stops the containers and forgets
//! the pod at once) is read after the call, and a pod the plugin no longer
//! holds gets a moment for that push to arrive. A DeletePod that fails is
//! reported (`FailedKillPod` Warning event, as the kubelet names it, at most
//! once a minute per message) and asked again after a back-off that doubles
//! per failure up to 5 minutes (see `policy::delete_retry_delay`), whatever
//! else queues the pod meanwhile.
//!
//! Once the host's DELETE is accepted nothing more is written or deleted
//! for that UID (the events of its own status write and DELETE reach the
//! cache before the deletion does), and when the object is gone the plugin
//! instance that accepted DeletePod is not asked again.

use std::time::Duration;

use tokio::time::Instant;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use kube::api::{DeleteParams, Preconditions};
use tracing::{debug, info, warn};
use vk_proto::v1::Capability;

use super::context::{Context, PluginInstance, bare_pod, for_plugin, pod_ref};
use super::error::SyncError;
use super::key::{PodKey, uid_of};
use super::policy::{self, Reaction};
use super::queue::Outcome;
use super::report::report_failure;
use super::tracked::Tracked;
use super::{phase, status};

/// How often a deletion in progress is checked on (push events also wake
/// it, so this only matters for plugins that do not push).
const POLL: Duration = Duration::from_millis(500);
/// How long after its grace period a running plugin has to report the
/// containers it killed.
const KILL_REPORT_MARGIN: Duration = Duration::from_secs(2);
/// How long after DeletePod a pod the plugin no longer holds waits for the
/// plugin's last status on its status stream (pushed before the plugin
/// forgot the pod, it may trail DeletePod's reply a little).
const LAST_STATUS_SETTLE: Duration = Duration::from_secs(2);
/// The kubelet's event reason for containers it failed to stop.
pub const FAILED_KILL_POD: &str = "FailedKillPod";

/// What came of asking the plugin to stop a pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// DeletePod was accepted.
    Sent,
    /// The plugin does not hold the pod (NOT_FOUND): nothing runs.
    NotHeld,
    /// DeletePod failed now or before: ask again after this long.
    Later(Duration),
}

/// DeletePod of `pod` to `current`, unless an earlier failure's back-off
/// still runs. A failure is logged, reported (`FailedKillPod`, at most once
/// a minute per message) and backs off; UNIMPLEMENTED is returned as the
/// error (the caller fails or forgets the pod).
pub async fn ask_to_stop(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    current: &PluginInstance,
) -> Result<Stop, SyncError> {
    let uid = uid_of(pod);
    let now = Instant::now();
    if let Some(wait) = ctx.tracking.get(key, uid).and_then(|t| t.delete_wait(now)) {
        return Ok(Stop::Later(wait));
    }
    let generation = current.generation;
    let error = match current.client.delete_pod(pod).await {
        Ok(()) => {
            ctx.tracking
                .update(key, uid, |t| t.deleting(generation, now));
            return Ok(Stop::Sent);
        }
        Err(error) => error,
    };
    match policy::react(&error) {
        Reaction::Done => {
            ctx.tracking
                .update(key, uid, |t| t.deleting(generation, now));
            Ok(Stop::NotHeld)
        }
        Reaction::Unimplemented => Err(error.into()),
        _ => {
            let wait = ctx
                .tracking
                .update(key, uid, |t| t.delete_failed(Instant::now()));
            warn!(pod = %key, %uid, %error, retry_in = ?wait, "DeletePod failed; asking again after the back-off");
            report_failure(ctx, key, pod, FAILED_KILL_POD, &error.to_string());
            Ok(Stop::Later(wait))
        }
    }
}

/// The API object of `key`/`uid` is gone: DeletePod in the plugin (NOT_FOUND
/// counts as done), then forget the pod. `Some(wait)`: DeletePod failed (now
/// or before); come back after `wait`.
pub async fn release(
    ctx: &Context,
    key: &PodKey,
    uid: &str,
    tracked: &Tracked,
) -> Result<Option<Duration>, SyncError> {
    // An empty UID would make DeletePod act by name alone: never.
    if !tracked.is_lost() && !uid.is_empty() {
        let current = ctx.current().ok_or(SyncError::PluginUnavailable)?;
        if tracked.stopped_and_removed(current.generation) {
            // This instance accepted DeletePod before the host removed the
            // object: asking again tells it nothing.
            ctx.tracking.released(key);
            ctx.tracking.forget(key, uid);
            return Ok(None);
        }
        let pod = tracked
            .last_seen()
            .filter(|pod| uid_of(pod) == uid)
            .map(for_plugin)
            .unwrap_or_else(|| bare_pod(key, uid));
        match ask_to_stop(ctx, key, &pod, &current).await {
            Ok(Stop::Sent) => info!(pod = %key, %uid, "deleted in the plugin (gone from the API)"),
            Ok(Stop::NotHeld) => {}
            Ok(Stop::Later(wait)) => return Ok(Some(wait)),
            Err(SyncError::Plugin(error)) if policy::react(&error) == Reaction::Unimplemented => {
                warn!(pod = %key, %uid, %error, "the plugin cannot delete pods; forgetting this one");
            }
            Err(error) => return Err(error),
        }
        // A new pod of this name may meet the old one for a while.
        ctx.tracking.released(key);
    }
    ctx.tracking.forget(key, uid);
    Ok(None)
}

/// A pod with a deletion timestamp that is not terminal.
pub async fn graceful(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    if tracked.is_removed_from_api() {
        // Done; the cache has not seen it gone yet.
        return Ok(Outcome::Done);
    }
    let remaining = remaining_grace(pod);
    // The plugin's last recorded status (none if it never held the pod).
    let last = tracked.status();
    if tracked.is_lost() {
        finish(ctx, key, pod, last, "the plugin lost it").await?;
        return Ok(Outcome::Done);
    }
    let never_ran = !tracked.was_in_plugin() && !phase::was_started(pod.status.as_ref());
    let Some(current) = ctx.current() else {
        if never_ran {
            // Nothing runs that a grace period could be for.
            finish(ctx, key, pod, last, "never created in the plugin").await?;
            return Ok(Outcome::Done);
        }
        if remaining.is_zero() {
            finish(ctx, key, pod, last, "grace period over").await?;
            return Ok(Outcome::Done);
        }
        // The next instance's reconciliation queues it again; until then,
        // keep an eye on the grace period.
        return Ok(Outcome::After(remaining.min(Duration::from_secs(1))));
    };
    if !tracked.delete_sent_to(current.generation) {
        match ask_to_stop(ctx, key, &for_plugin(pod), &current).await? {
            Stop::Sent => info!(pod = %key, %uid, "DeletePod sent"),
            Stop::NotHeld => {
                // The plugin does not hold it: nothing runs.
                finish(ctx, key, pod, last, "not in the plugin").await?;
                return Ok(Outcome::Done);
            }
            Stop::Later(wait) => {
                if remaining.is_zero() {
                    finish(ctx, key, pod, last, "grace period over").await?;
                    return Ok(Outcome::Done);
                }
                return Ok(Outcome::After(wait.min(remaining)));
            }
        }
    }
    // When DeletePod was first sent (now, if this pass sent it).
    let delete_sent_at = ctx
        .tracking
        .get(key, uid)
        .and_then(|t| t.delete_sent_at())
        .unwrap_or_else(Instant::now);
    // The freshest status there is: GetPod's reply is not recorded (see
    // `Tracked::record_status` for the rules; it only decides this
    // deletion); what the plugin pushed while the calls were out is.
    let held = current.client.get_pod(pod_ref(key, uid)).await;
    let recorded = ctx.tracking.get(key, uid).and_then(|t| t.status().cloned());
    let (finished, latest) = match held {
        Ok(held) => {
            let done = held
                .status
                .as_ref()
                .is_some_and(|status| phase::all_terminated(&held, status));
            (done, phase::latest_of(recorded, held.status))
        }
        Err(error) if policy::react(&error) == Reaction::NotHeld => {
            let reported_end = recorded
                .as_ref()
                .is_some_and(|status| phase::all_terminated(pod, status));
            let settle =
                (delete_sent_at + LAST_STATUS_SETTLE).saturating_duration_since(Instant::now());
            if !reported_end
                && !settle.is_zero()
                && current.client.identity().has(Capability::PodStatusStream)
            {
                // Its last status may still be on the way; its arrival
                // queues the pod again.
                return Ok(Outcome::After(settle.min(POLL)));
            }
            (true, recorded)
        }
        Err(error) => {
            debug!(pod = %key, error = %error, "checking on a deletion");
            (false, recorded)
        }
    };
    let latest = latest.as_ref();
    let remaining = remaining.max(plugin_grace_left(pod, delete_sent_at));
    if finished {
        finish(ctx, key, pod, latest, "the plugin reports it terminated").await?;
        Ok(Outcome::Done)
    } else if remaining.is_zero() {
        warn!(pod = %key, %uid, "grace period over before the plugin finished; removing");
        finish(ctx, key, pod, latest, "grace period over").await?;
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::After(remaining.min(POLL)))
    }
}

/// Writes the deleted pod's terminal status (from the plugin's `latest`,
/// see [`phase::deleted`]), then removes the API object: as the kubelet
/// does, so a pod held by a finalizer does not stay `Running`.
async fn finish(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    latest: Option<&PodStatus>,
    why: &str,
) -> Result<(), SyncError> {
    let message = format!("deleted ({why})");
    status::write_deleted(ctx, key, pod, latest, &message).await?;
    remove(ctx, key, pod, why).await
}

/// A terminal pod being deleted: nothing runs, so it goes at once (after
/// telling the plugin, which may still hold its remains).
pub async fn remove_finished(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    if tracked.is_removed_from_api() {
        return Ok(());
    }
    if let Some(current) = ctx.current()
        && !tracked.is_lost()
        && !tracked.delete_sent_to(current.generation)
    {
        // A failure is reported and retried when the API object is gone
        // (release).
        if let Err(error) = ask_to_stop(ctx, key, &for_plugin(pod), &current).await {
            debug!(pod = %key, error = %error, "DeletePod of a finished pod");
        }
    }
    remove(ctx, key, pod, "finished").await
}

/// Deletes the API object now: grace 0, only if it still has this UID.
async fn remove(ctx: &Context, key: &PodKey, pod: &Pod, why: &str) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: Some(uid.to_owned()),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match ctx.pods(key).delete(&key.name, &params).await {
        Ok(_) => {
            info!(pod = %key, %uid, why, "removed from the API");
            ctx.tracking.update(key, uid, |t| t.removed_from_api());
            Ok(())
        }
        // Gone already, or replaced by another pod of that name.
        Err(kube::Error::Api(status)) if status.is_not_found() || status.is_conflict() => Ok(()),
        Err(source) => Err(SyncError::Api {
            key: key.clone(),
            what: "deleting from the API",
            source,
        }),
    }
}

/// Time left of the grace period a running plugin was given with DeletePod
/// at `sent`, plus the margin to report its last kill.
fn plugin_grace_left(pod: &Pod, sent: Instant) -> Duration {
    let grace = pod
        .metadata
        .deletion_grace_period_seconds
        .and_then(|seconds| u64::try_from(seconds).ok())
        .map_or(Duration::ZERO, Duration::from_secs);
    (sent + grace + KILL_REPORT_MARGIN).saturating_duration_since(Instant::now())
}

/// Time left until the pod's deletion timestamp (zero once it has passed).
fn remaining_grace(pod: &Pod) -> Duration {
    let Some(deadline) = &pod.metadata.deletion_timestamp else {
        return Duration::ZERO;
    };
    let now = k8s_openapi::jiff::Timestamp::now();
    let left = deadline.0.duration_since(now);
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}
