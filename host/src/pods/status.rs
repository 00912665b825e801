//! Writing status to the API: the plugin's latest status as recorded (from
//! its push stream, see `pushed`; GetPods resyncs; GetPod; or polling
//! GetPodStatus here, for plugins that do not push) is written to the pod's
//! status subresource with a strategic merge patch (field manager
//! `vk-host`, UID in the patch), only when it would change what the API
//! has; so are the host's own statuses (lost, deleted, failed to create).
//! Terminal phases are never overwritten, in the API nor in what the host
//! recorded; a status the API refuses as invalid (422) is reported once
//! (`FailedToUpdateStatus`) and not sent again. A status without
//! `hostIP`/`hostIPs` gets the node's (see [`phase::with_node_host_ips`]).

use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Patch, PatchParams};
use tracing::{debug, warn};
use vk_proto::v1::Capability;

use super::context::{Context, PluginInstance, pod_ref};
use super::error::SyncError;
use super::key::{PodKey, uid_of};
use super::patch;
use super::phase;
use super::policy::{self, PatchFailure};
use super::queue::Outcome;
use crate::apiserver::Severity;

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
    current: &PluginInstance,
) -> Result<Outcome, SyncError> {
    let uid = uid_of(pod);
    let mut outcome = Outcome::Done;
    if !current.client.identity().has(Capability::PodStatusStream) {
        let starting = ctx
            .tracking
            .get(key, uid)
            .and_then(|t| t.status().cloned())
            .is_none_or(|s| matches!(s.phase.as_deref(), None | Some("Pending")));
        if starting {
            // A status recorded while the call was out is newer than its reply.
            let asked = tokio::time::Instant::now();
            let status = current.client.get_pod_status(pod_ref(key, uid)).await?;
            let pending = matches!(status.phase.as_deref(), None | Some("Pending"));
            ctx.tracking
                .update(key, uid, |t| t.record_status(status, asked));
            if pending {
                outcome = Outcome::After(START_POLL);
            }
        }
    }
    let Some(status) = ctx.tracking.get(key, uid).and_then(|t| t.status().cloned()) else {
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
    current: &PluginInstance,
) -> Result<(), SyncError> {
    let uid = uid_of(pod);
    let first = ctx.tracking.update(key, uid, |t| t.lost());
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

/// Writes a deleted pod's terminal status (see [`phase::deleted`]) before
/// its API object is removed.
pub async fn write_deleted(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    plugin: Option<&PodStatus>,
    message: &str,
) -> Result<(), SyncError> {
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    write(ctx, key, pod, &phase::deleted(pod, plugin, message, now)).await
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
pub async fn write(
    ctx: &Context,
    key: &PodKey,
    pod: &Pod,
    status: &PodStatus,
) -> Result<(), SyncError> {
    if phase::is_terminal(pod.status.as_ref()) {
        return Ok(());
    }
    let uid = uid_of(pod);
    let status = phase::with_node_host_ips(status, &ctx.node_host_ips.borrow());
    let status_patch = patch::status_patch(&status);
    if !patch::changes(pod.status.as_ref(), &status_patch) {
        return Ok(());
    }
    // Not written already (the cache has not seen the result yet) nor
    // refused as invalid before (wait for the next status).
    let version = pod.metadata.resource_version.clone();
    let to_write = ctx
        .tracking
        .get(key, uid)
        .is_none_or(|t| t.should_write(&status_patch, version.as_deref()));
    if !to_write {
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
                .update(key, uid, |t| t.status_written(status_patch, version));
            Ok(())
        }
        Err(kube::Error::Api(s)) => match policy::patch_failure(s.code) {
            // Gone, or replaced by another pod of that name.
            PatchFailure::Gone => Ok(()),
            PatchFailure::Invalid => {
                warn!(pod = %key, error = %s.message, "the API refused the plugin's status as invalid; waiting for the next one");
                ctx.tracking
                    .update(key, uid, |t| t.status_refused(status_patch));
                ctx.events.pod(
                    pod,
                    Severity::Warning,
                    "FailedToUpdateStatus",
                    format!(
                        "the pod's status from the plugin was refused by the API: {}",
                        s.message
                    ),
                );
                Ok(())
            }
            PatchFailure::Retry => Err(SyncError::Api {
                key: key.clone(),
                what: "writing the status",
                source: kube::Error::Api(s),
            }),
        },
        Err(source) => Err(SyncError::Api {
            key: key.clone(),
            what: "writing the status",
            source,
        }),
    }
}
