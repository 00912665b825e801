//! Status back to the API: the plugin's latest status (from its push stream,
//! GetPods resyncs, GetPod, or polling GetPodStatus for plugins that do not
//! push) is written to the pod's status subresource with a strategic merge
//! patch (field manager `vk-host`, UID in the patch), only when it would
//! change what the API has. Terminal phases are never overwritten.

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use tracing::{debug, warn};
use vk_proto::v1::{Capability, PodStatusEvent};

use super::context::{Context, Current, pod_ref};
use super::key::{PodKey, uid_of};
use super::patch;
use super::phase;
use super::queue::Outcome;
use super::sync::SyncError;
use crate::kube::Severity;

/// The field manager of every write.
pub const FIELD_MANAGER: &str = "vk-host";
/// How often a pod that is still starting is polled in a plugin that does
/// not push its status.
const START_POLL: Duration = Duration::from_secs(1);

/// Writes the plugin's latest status for a pod the plugin holds.
pub async fn write_plugin_status(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    current: &Current,
) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let mut outcome = Outcome::Done;
    if !current.client.identity().has(Capability::PodStatusStream) {
        let starting = ctx
            .tracking
            .get(key, uid)
            .and_then(|t| t.status)
            .is_none_or(|s| matches!(s.phase.as_deref(), None | Some("Pending")));
        if starting {
            let status = current.client.get_pod_status(pod_ref(key, uid)).await?;
            let pending = matches!(status.phase.as_deref(), None | Some("Pending"));
            ctx.tracking.update(key, uid, |t| {
                t.status = Some(status);
                t.status_at = Some(tokio::time::Instant::now());
            });
            if pending {
                outcome = Outcome::After(START_POLL);
            }
        }
    }
    let Some(status) = ctx.tracking.get(key, uid).and_then(|t| t.status) else {
        return Ok(outcome);
    };
    write(ctx, key, pod, &status).await?;
    Ok(outcome)
}

/// Writes `Failed`/`ProviderLost` for a pod the plugin lost, with a Warning
/// event the first time.
pub async fn write_lost(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    current: &Current,
) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let first = ctx.tracking.update(key, uid, |t| {
        let first = !t.lost;
        t.lost = true;
        t.held = None;
        first
    });
    let message = format!(
        "plugin {} no longer has this pod (uid {uid}), which it ran before (lost in a plugin restart or by its backend); it is not re-created",
        current.plugin()
    );
    if first {
        warn!(pod = %key, %uid, "the plugin lost the pod; marking it Failed");
        ctx.events.pod(
            pod,
            Severity::Warning,
            phase::PROVIDER_LOST,
            message.clone(),
        );
    }
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    write(ctx, key, pod, &phase::lost(pod, &message, now)).await
}

/// Writes the host's status for a pod the plugin could not create.
pub async fn write_failed(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    permanent: bool,
    message: &str,
) -> Result<(), SyncError> {
    // Keep what a plugin reported before (a retried create of a pod it had).
    let mut status = pod.status.clone().unwrap_or_default();
    let failed = phase::provider_failed(permanent, message);
    status.phase = failed.phase;
    status.reason = failed.reason;
    status.message = failed.message;
    write(ctx, key, pod, &status).await
}

/// Patches the pod's status to `status` if that changes anything.
async fn write(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    status: &PodStatus,
) -> Result<(), SyncError> {
    if phase::is_terminal(pod.status.as_ref()) {
        return Ok(());
    }
    let uid = uid_of(pod);
    let status_patch = patch::status_patch(status);
    if !patch::changes(pod.status.as_ref(), &status_patch) {
        return Ok(());
    }
    // Written already, and the cache has not seen the result yet.
    let version = pod.metadata.resource_version.clone();
    let repeat = ctx
        .tracking
        .get(key, uid)
        .and_then(|t| t.written)
        .is_some_and(|(written, at)| written == status_patch && at == version);
    if repeat {
        return Ok(());
    }
    let body = serde_json::json!({
        "metadata": {"uid": uid},
        "status": status_patch,
    });
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    match ctx
        .pods(key)
        .patch_status(&key.name, &params, &Patch::Strategic(body))
        .await
    {
        Ok(_) => {
            debug!(pod = %key, phase = ?status.phase, "status written");
            ctx.tracking
                .update(key, uid, |t| t.written = Some((status_patch, version)));
            Ok(())
        }
        // Gone, or replaced by another pod of that name.
        Err(kube::Error::Api(s)) if s.is_not_found() || s.is_conflict() => Ok(()),
        Err(source) => Err(SyncError::Api {
            key: key.clone(),
            what: "writing the status",
            source,
        }),
    }
}

/// Records one pushed status event and queues the pod.
pub fn on_push(ctx: &Context, event: PodStatusEvent) {
    let Some(reference) = event.pod else { return };
    let key = PodKey::new(reference.namespace, reference.name);
    let status: PodStatus = match serde_json::from_slice(&event.status) {
        Ok(status) => status,
        Err(error) => {
            warn!(pod = %key, %error, "the plugin pushed a status that is not a PodStatus; ignored");
            return;
        }
    };
    let uid = reference.uid;
    let now = tokio::time::Instant::now();
    let known = ctx
        .tracking
        .update_existing(&key, &uid, |t| {
            t.status = Some(status.clone());
            t.status_at = Some(now);
        })
        .is_some();
    if !known {
        if !ctx.store.has_uid(&key, &uid) {
            // Not a pod of ours (or not yet listed): the resync sorts it out.
            return;
        }
        ctx.tracking.update(&key, &uid, |t| {
            t.status = Some(status);
            t.status_at = Some(now);
        });
    }
    ctx.queue.add(key);
}
