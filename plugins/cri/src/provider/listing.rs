//! Reading the runtime: the sandboxes and containers carrying the
//! managed-by label, grouped by pod into [`PodSnapshot`]s, as the kubelet's
//! PLEG relists. An exited container's status is final: it is read once,
//! with its termination message, and kept while the runtime has the
//! container.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use k8s_cri::v1::{
    ContainerFilter, ContainerState, ContainerStatusRequest, ListContainersRequest,
    ListPodSandboxRequest, PodSandboxFilter, PodSandboxStatusRequest,
};

use super::Inner;
use super::sync::{SyncFailure, runtime_error};
use crate::labels;
use crate::snapshot::{PodSnapshot, state};

impl Inner {
    /// Recomputes every held pod's status from the runtime (at start).
    pub(super) async fn refresh_all_statuses(&self) {
        match self
            .fetch(labels::managed_selector(&self.config.instance_name))
            .await
        {
            Ok(mut snapshots) => {
                let uids: Vec<String> = self.pods().keys().cloned().collect();
                for uid in uids {
                    let snapshot = snapshots.remove(&uid).unwrap_or_default();
                    self.set_status(&uid, &snapshot);
                }
            }
            Err(error) => {
                self.relist.runtime_ok.store(false, Ordering::Relaxed);
                tracing::warn!(error = %error, "first relist failed");
            }
        }
    }

    /// The sandboxes and containers matching `selector`, by pod UID.
    pub(super) async fn fetch(
        &self,
        selector: HashMap<String, String>,
    ) -> Result<HashMap<String, PodSnapshot>, SyncFailure> {
        let mut runtime = self.runtime.runtime.clone();
        let sandboxes = runtime
            .list_pod_sandbox(ListPodSandboxRequest {
                filter: Some(PodSandboxFilter {
                    label_selector: selector.clone(),
                    ..PodSandboxFilter::default()
                }),
            })
            .await
            .map_err(runtime_error("ListPodSandbox"))?
            .into_inner()
            .items;
        let containers = runtime
            .list_containers(ListContainersRequest {
                filter: Some(ContainerFilter {
                    label_selector: selector,
                    ..ContainerFilter::default()
                }),
            })
            .await
            .map_err(runtime_error("ListContainers"))?
            .into_inner()
            .containers;
        let mut snapshots: HashMap<String, PodSnapshot> = HashMap::new();
        for sandbox in sandboxes {
            let Some(uid) = sandbox.labels.get(labels::POD_UID).cloned() else {
                continue;
            };
            let status = match runtime
                .pod_sandbox_status(PodSandboxStatusRequest {
                    pod_sandbox_id: sandbox.id.clone(),
                    verbose: false,
                })
                .await
            {
                Ok(reply) => reply.into_inner().status,
                // Removed between the list and the status call.
                Err(status) if status.code() == tonic::Code::NotFound => None,
                Err(status) => return Err(runtime_error("PodSandboxStatus")(status)),
            };
            if let Some(status) = status {
                snapshots.entry(uid).or_default().sandboxes.push(status);
            }
        }
        let mut seen = Vec::with_capacity(containers.len());
        for container in containers {
            let Some(uid) = container.labels.get(labels::POD_UID).cloned() else {
                continue;
            };
            seen.push(container.id.clone());
            let cached = self
                .relist
                .exited
                .lock()
                .ok()
                .and_then(|c| c.get(&container.id).cloned());
            let status = match cached {
                Some(status) => status,
                None => match runtime
                    .container_status(ContainerStatusRequest {
                        container_id: container.id.clone(),
                        verbose: false,
                    })
                    .await
                {
                    Ok(reply) => match reply.into_inner().status {
                        Some(status) if state(&status) == ContainerState::ContainerExited => {
                            // Final: its termination message is read once
                            // (file, or log fallback) and cached with it.
                            let status = with_termination_message(status).await;
                            if let Ok(mut cache) = self.relist.exited.lock() {
                                cache.insert(status.id.clone(), status.clone());
                            }
                            status
                        }
                        Some(status) => status,
                        None => continue,
                    },
                    Err(status) if status.code() == tonic::Code::NotFound => continue,
                    Err(status) => return Err(runtime_error("ContainerStatus")(status)),
                },
            };
            snapshots.entry(uid).or_default().containers.push(status);
        }
        if let Ok(mut cache) = self.relist.exited.lock() {
            cache.retain(|id, _| seen.contains(id));
        }
        Ok(snapshots)
    }

    /// The runtime's view of one pod.
    pub(super) async fn fetch_pod(&self, uid: &str) -> Result<PodSnapshot, SyncFailure> {
        let mut snapshots = self
            .fetch(labels::pod_selector(&self.config.instance_name, uid))
            .await?;
        Ok(snapshots.remove(uid).unwrap_or_default())
    }
}

/// `status` with its termination message added (file reads, off the
/// async threads).
async fn with_termination_message(
    status: k8s_cri::v1::ContainerStatus,
) -> k8s_cri::v1::ContainerStatus {
    let fallback = status.clone();
    tokio::task::spawn_blocking(move || {
        let mut status = status;
        crate::termination::add_termination_message(&mut status);
        status
    })
    .await
    .unwrap_or(fallback)
}
