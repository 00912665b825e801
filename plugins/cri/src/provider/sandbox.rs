//! The pod's sandbox: one is run when the pod has none ready
//! ([`ReadySandbox`], what its containers are created in), and a dead one
//! is replaced ([`crate::dead_sandbox`]): the pod's running containers
//! are stopped (preStop, the pod's grace period; regular ones together,
//! then sidecars last first), the dead sandboxes stopped (their network
//! released), and for a re-creation the exited init container instances
//! removed so the init sequence runs again; the sync then runs a new
//! sandbox, as the kubelet does after `SandboxChanged`.

use std::os::unix::fs::DirBuilderExt as _;
use std::path::PathBuf;

use k8s_cri::v1::{
    ContainerState, PodSandboxConfig, PodSandboxState, PodSandboxStatusRequest,
    RemoveContainerRequest, RunPodSandboxRequest, StopPodSandboxRequest,
};
use k8s_openapi::api::core::v1::Pod;
use vk_plugin_sdk::PodEvent;

use super::sync::{SyncFailure, runtime_error};
use super::{Inner, restart_grace_seconds};
use crate::dead_sandbox::{SandboxChange, sandbox_change};
use crate::labels::{ContainerAnnotations, ContainerRole};
use crate::runtime_config::{SandboxContext, sandbox_config};
use crate::snapshot::{PodSnapshot, state};

/// The pod's ready sandbox, which its containers are created in.
#[derive(Debug)]
pub(super) struct ReadySandbox {
    pub(super) id: String,
    pub(super) config: PodSandboxConfig,
    /// The pod's IPs (the node's for hostNetwork).
    pub(super) ips: Vec<String>,
    /// Run by this sync.
    pub(super) created: bool,
}

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

    /// The pod's ready sandbox, run now when there is none.
    pub(super) async fn ensure_sandbox(
        &self,
        pod: &Pod,
        snapshot: &PodSnapshot,
    ) -> Result<ReadySandbox, SyncFailure> {
        let context = SandboxContext {
            instance_name: &self.config.instance_name,
            pod_logs_dir: &self.config.pod_logs_dir,
            cgroup_root: &self.config.cgroup_root,
            dns: &self.node.dns,
        };
        let host_network = pod
            .spec
            .as_ref()
            .and_then(|s| s.host_network)
            .unwrap_or(false);
        let ips_of = |status: &k8s_cri::v1::PodSandboxStatus| -> Vec<String> {
            if host_network {
                return self.node.ips.iter().map(ToString::to_string).collect();
            }
            status
                .network
                .iter()
                .flat_map(|n| {
                    std::iter::once(n.ip.clone())
                        .chain(n.additional_ips.iter().map(|i| i.ip.clone()))
                })
                .filter(|ip| !ip.is_empty())
                .collect()
        };
        if let Some(sandbox) = snapshot
            .newest_sandbox()
            .filter(|_| snapshot.sandbox_ready())
        {
            let attempt = sandbox.metadata.as_ref().map_or(0, |m| m.attempt);
            let config = sandbox_config(pod, attempt, &context)?;
            return Ok(ReadySandbox {
                id: sandbox.id.clone(),
                config,
                ips: ips_of(sandbox),
                created: false,
            });
        }
        let attempt = snapshot
            .newest_sandbox()
            .map_or(0, |s| s.metadata.as_ref().map_or(0, |m| m.attempt) + 1);
        let config = sandbox_config(pod, attempt, &context)?;
        let log_dir = PathBuf::from(&config.log_directory);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&log_dir)
            .map_err(|source| SyncFailure::Io {
                what: format!("creating the pod log directory {}", log_dir.display()),
                source,
            })?;
        let mut runtime = self.runtime.runtime.clone();
        let id = runtime
            .run_pod_sandbox(RunPodSandboxRequest {
                config: Some(config.clone()),
                runtime_handler: String::new(),
            })
            .await
            .map_err(runtime_error("RunPodSandbox"))?
            .into_inner()
            .pod_sandbox_id;
        tracing::info!(sandbox = %id, attempt, "sandbox running");
        let status = runtime
            .pod_sandbox_status(PodSandboxStatusRequest {
                pod_sandbox_id: id.clone(),
                verbose: false,
            })
            .await
            .map_err(runtime_error("PodSandboxStatus"))?
            .into_inner()
            .status
            .unwrap_or_default();
        Ok(ReadySandbox {
            ips: ips_of(&status),
            id,
            config,
            created: true,
        })
    }
}
