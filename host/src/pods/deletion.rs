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

use std::time::Duration;

use tokio::time::Instant;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use kube::api::{DeleteParams, Preconditions};
use tracing::{debug, info, warn};

use super::context::{Context, bare_pod, for_plugin, pod_ref};
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

/// The API object of `key`/`uid` is gone: DeletePod in the plugin (NOT_FOUND
/// counts as done), then forget the pod.
pub async fn release(
    ctx: &Context,
    key: &PodKey,
    uid: &str,
    tracked: &Tracked,
) -> Result<(), SyncError> {
    // An empty UID would make DeletePod act by name alone: never.
    if !tracked.is_lost() && !uid.is_empty() {
        let current = ctx.current().ok_or(SyncError::PluginUnavailable)?;
        let pod = tracked
            .last_seen()
            .map(for_plugin)
            .unwrap_or_else(|| bare_pod(key, uid));
        match current.client.delete_pod(&pod).await {
            Ok(()) => info!(pod = %key, %uid, "deleted in the plugin (gone from the API)"),
            Err(error) => match policy::react(&error) {
                Reaction::Done => {}
                Reaction::Unimplemented => {
                    warn!(pod = %key, %uid, %error, "the plugin cannot delete pods; forgetting this one");
                }
                _ => return Err(error.into()),
            },
        }
        // A new pod of this name may meet the old one for a while.
        ctx.tracking.released(key);
    }
    ctx.tracking.forget(key, uid);
    Ok(())
}

/// A pod with a deletion timestamp that is not terminal.
pub async fn graceful(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
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
    // When DeletePod was first sent: now, if this pass sends it.
    let delete_sent_at = tracked.delete_sent_at().unwrap_or_else(Instant::now);
    if !tracked.delete_sent_to(current.generation) {
        match current.client.delete_pod(&for_plugin(pod)).await {
            Ok(()) => {
                info!(pod = %key, %uid, "DeletePod sent");
                let generation = current.generation;
                ctx.tracking
                    .update(key, uid, |t| t.deleting(generation, delete_sent_at));
            }
            Err(error) if policy::react(&error) == Reaction::Done => {
                // The plugin does not hold it: nothing runs.
                finish(ctx, key, pod, last, "not in the plugin").await?;
                return Ok(Outcome::Done);
            }
            Err(error) if policy::react(&error) == Reaction::Unimplemented => {
                // sync fails the pod; a failed pod is removed at once.
                return Err(error.into());
            }
            Err(error) => {
                report_failure(ctx, key, pod, "ProviderDeleteFailed", &error.to_string());
                if remaining.is_zero() {
                    finish(ctx, key, pod, last, "grace period over").await?;
                    return Ok(Outcome::Done);
                }
                return Err(error.into());
            }
        }
    }
    // The freshest status there is (not recorded: see `Tracked::record_status`
    // for the rules; it only decides this deletion).
    let (finished, latest) = match current.client.get_pod(pod_ref(key, uid)).await {
        Ok(held) => {
            let done = held
                .status
                .as_ref()
                .is_some_and(|status| phase::all_terminated(&held, status));
            // A terminal status recorded before stays (see `record_status`).
            let finished_before = last.filter(|s| phase::is_terminal(Some(s))).cloned();
            (
                done,
                finished_before.or(held.status).or_else(|| last.cloned()),
            )
        }
        Err(error) if policy::react(&error) == Reaction::NotHeld => (true, last.cloned()),
        Err(error) => {
            debug!(pod = %key, error = %error, "checking on a deletion");
            (false, last.cloned())
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
    if let Some(current) = ctx.current()
        && !tracked.is_lost()
        && !tracked.delete_sent_to(current.generation)
    {
        match current.client.delete_pod(&for_plugin(pod)).await {
            Ok(()) => {
                let generation = current.generation;
                let now = Instant::now();
                ctx.tracking
                    .update(key, uid, |t| t.deleting(generation, now));
            }
            // Retried when the API object is gone (release).
            Err(error) => debug!(pod = %key, error = %error, "DeletePod of a finished pod"),
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
