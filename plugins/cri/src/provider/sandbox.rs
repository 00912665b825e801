//! Replacing a dead sandbox ([`crate::sandbox_change`]): the pod's running
//! containers are stopped (preStop, the pod's grace period; regular ones
//! together, then sidecars last first), the dead
//! sandboxes stopped (their network released), and for a re-creation the
//! exited init container instances removed so the init sequence runs again;
//! the sync then runs a new sandbox, as the kubelet does after
//! `SandboxChanged`.

use k8s_cri::v1::{ContainerState, PodSandboxState, RemoveContainerRequest, StopPodSandboxRequest};
use k8s_openapi::api::core::v1::Pod;
use vk_plugin_sdk::PodEvent;

use super::sync::SyncFailure;
use super::{Inner, restart_grace_seconds};
use crate::labels::{ContainerAnnotations, ContainerRole};
use crate::sandbox_change::{SandboxChange, sandbox_change};
use crate::snapshot::{PodSnapshot, state};

impl Inner {
    /// Acts on a dead sandbox of `pod` and says what it found: after
    /// `Recreate` the caller reads the runtime again and starts over in a
    /// new sandbox; after `KillPod` or `Finished` nothing may start.
    pub(super) async fn replace_dead_sandbox(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
    ) -> Result<SandboxChange, SyncFailure> {
        let change = sandbox_change(pod, snapshot, &self.probes.results());
        if matches!(change, SandboxChange::None | SandboxChange::Finished) {
            return Ok(change);
        }
        tracing::info!(?change, "the pod's sandbox is not ready");
        if change == SandboxChange::Recreate {
            self.report(
                uid,
                PodEvent::normal(
                    "SandboxChanged",
                    "Pod sandbox changed, it will be killed and re-created.",
                ),
            );
        }
        let grace = restart_grace_seconds(pod);
        // As killPodWithSyncResult: regular containers at once, then the
        // sidecars last first.
        self.stop_containers(uid, pod, snapshot, grace).await;
        let mut runtime = self.runtime.runtime.clone();
        for sandbox in &snapshot.sandboxes {
            if sandbox.state == PodSandboxState::SandboxReady as i32 {
                continue;
            }
            if let Err(status) = runtime
                .stop_pod_sandbox(StopPodSandboxRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                })
                .await
            {
                tracing::warn!(sandbox = %sandbox.id, error = %status.message(), "StopPodSandbox of a dead sandbox failed");
            }
        }
        if change == SandboxChange::Recreate {
            // Read again: an init container killed just now is exited too.
            let fresh = self.fetch_pod(uid).await?;
            for instance in &fresh.containers {
                let is_init = ContainerAnnotations::parse(&instance.annotations).role
                    == Some(ContainerRole::Init);
                if is_init && state(instance) != ContainerState::ContainerRunning {
                    let _ = runtime
                        .remove_container(RemoveContainerRequest {
                            container_id: instance.id.clone(),
                        })
                        .await;
                }
            }
        }
        Ok(change)
    }
}
