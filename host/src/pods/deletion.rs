//! Deleting pods: a graceful API deletion is passed to the plugin
//! (DeletePod), and the API object is removed (grace 0, UID precondition)
//! as soon as the plugin reports every container terminated or no longer
//! holds the pod, or when the grace period has run out, whichever is first.
//! Pods with nothing running are removed at once. A pod gone from the API
//! (force delete) is deleted in the plugin.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{DeleteParams, Preconditions};
use tonic::Code;
use tracing::{debug, info, warn};

use super::context::{Context, bare_pod, for_plugin, pod_ref};
use super::key::{PodKey, uid_of};
use super::phase;
use super::queue::Outcome;
use super::sync::{SyncError, report_failure};
use super::tracking::Tracked;
use crate::plugins::Retry;

/// How often a deletion in progress is checked on (push events also wake
/// it, so this only matters for plugins that do not push).
const POLL: Duration = Duration::from_millis(500);

/// The API object of `key`/`uid` is gone: DeletePod in the plugin (NOT_FOUND
/// counts as done), then forget the pod.
pub async fn release(
    ctx: &Context,
    key: &PodKey,
    uid: &str,
    tracked: &Tracked,
) -> Result<(), SyncError> {
    if !tracked.lost {
        let current = ctx.current().ok_or(SyncError::PluginUnavailable)?;
        let pod = tracked
            .last_pod
            .as_deref()
            .map(for_plugin)
            .unwrap_or_else(|| bare_pod(key, uid));
        match current.client.delete_pod(&pod).await {
            Ok(()) => info!(pod = %key, %uid, "deleted in the plugin (gone from the API)"),
            Err(error) if error.retry() == Retry::Done => {}
            Err(error) => return Err(error.into()),
        }
    }
    ctx.tracking.forget(key, uid);
    Ok(())
}

/// A pod with a deletion timestamp that is not terminal.
pub async fn graceful(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    let remaining = remaining_grace(pod);
    if tracked.lost {
        remove(ctx, key, pod, "the plugin lost it").await?;
        return Ok(Outcome::Done);
    }
    let Some(current) = ctx.current() else {
        if remaining.is_zero() {
            remove(ctx, key, pod, "grace period over").await?;
            return Ok(Outcome::Done);
        }
        // The next instance's reconciliation queues it again; until then,
        // keep an eye on the grace period.
        return Ok(Outcome::After(remaining.min(Duration::from_secs(1))));
    };
    if tracked.delete_sent != Some(current.generation) {
        match current.client.delete_pod(&for_plugin(pod)).await {
            Ok(()) => {
                info!(pod = %key, %uid, "DeletePod sent");
                let generation = current.generation;
                ctx.tracking
                    .update(key, uid, |t| t.delete_sent = Some(generation));
            }
            Err(error) if error.retry() == Retry::Done => {
                // The plugin does not hold it: nothing runs.
                remove(ctx, key, pod, "not in the plugin").await?;
                return Ok(Outcome::Done);
            }
            Err(error) => {
                report_failure(ctx, key, pod, "ProviderDeleteFailed", &error.to_string());
                if remaining.is_zero() {
                    remove(ctx, key, pod, "grace period over").await?;
                    return Ok(Outcome::Done);
                }
                return Err(error.into());
            }
        }
    }
    let finished = match current.client.get_pod(pod_ref(key, uid)).await {
        Ok(held) => held
            .status
            .as_ref()
            .is_some_and(|status| phase::all_terminated(&held, status)),
        Err(error) if error.code() == Some(Code::NotFound) => true,
        Err(error) => {
            debug!(pod = %key, error = %error, "checking on a deletion");
            false
        }
    };
    if finished {
        remove(ctx, key, pod, "the plugin reports it terminated").await?;
        Ok(Outcome::Done)
    } else if remaining.is_zero() {
        warn!(pod = %key, %uid, "grace period over before the plugin finished; removing");
        remove(ctx, key, pod, "grace period over").await?;
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::After(remaining.min(POLL)))
    }
}

/// A terminal pod being deleted: nothing runs, so it goes at once (after
/// telling the plugin, which may still hold its remains).
pub async fn remove_finished(ctx: &Context, key: &PodKey, pod: &Pod) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let tracked = ctx.tracking.get(key, uid).unwrap_or_default();
    if let Some(current) = ctx.current()
        && !tracked.lost
        && tracked.delete_sent != Some(current.generation)
    {
        match current.client.delete_pod(&for_plugin(pod)).await {
            Ok(()) => {
                let generation = current.generation;
                ctx.tracking
                    .update(key, uid, |t| t.delete_sent = Some(generation));
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

/// Time left until the pod's deletion timestamp (zero once it has passed).
fn remaining_grace(pod: &Pod) -> Duration {
    let Some(deadline) = &pod.metadata.deletion_timestamp else {
        return Duration::ZERO;
    };
    let now = k8s_openapi::jiff::Timestamp::now();
    let left = deadline.0.duration_since(now);
    Duration::try_from(left).unwrap_or(Duration::ZERO)
}
