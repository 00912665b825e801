//! In-place resize ([`crate::resize`]) on the runtime: each sync admits the
//! spec's resources against the node's allocatable and the other pods'
//! allocations, then brings every running container to its allocation with
//! `UpdateContainerResources` (the resources computed as at creation), or
//! kills it, to be started again in the same sync, when a changed
//! resource's `resizePolicy` is `RestartContainer`. The allocation, and
//! what the runtime accepted (a fallback for runtimes whose
//! `ContainerStatus` reports no resources; containerd 1.6.20 reports
//! them), are kept in the pod's `resources.json`.

use k8s_cri::v1::UpdateContainerResourcesRequest;
use k8s_openapi::api::core::v1::{Container, Pod};

use super::{Inner, restart_grace_seconds, store};
use crate::cri::grpc_error_text;
use crate::resize::{
    Admission, Allocatable, Change, ContainerResize, Requests, ResourceState, admit,
    container_resizes, pod_requests, resizable,
};
use crate::runtime_config::resources::linux_resources;
use crate::snapshot::PodSnapshot;

impl Inner {
    /// The node's allocatable CPU and memory: its capacity (no
    /// reservations), as `node_info` reports it.
    pub(super) fn allocatable(&self) -> Allocatable {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Allocatable {
            milli_cpu: i64::try_from(cpus).unwrap_or(1).saturating_mul(1000),
            memory_bytes: if self.node.memory_bytes > 0 {
                self.node.memory_bytes
            } else {
                i64::MAX
            },
        }
    }

    /// The requests allocated to the other live pods.
    fn allocated_elsewhere(&self, uid: &str) -> Requests {
        self.pods()
            .iter()
            .filter(|(other, entry)| {
                *other != uid
                    && !entry.deleting
                    && !entry
                        .status
                        .phase
                        .as_deref()
                        .is_some_and(crate::status::is_terminal)
            })
            .map(|(_, entry)| pod_requests(&entry.pod, &entry.resources.allocated))
            .fold(Requests::default(), |a, b| a + b)
    }

    fn save_resources(&self, uid: &str, state: &ResourceState) {
        if let Err(error) = store::save_resources(&self.config.root_dir, uid, state) {
            tracing::warn!(%uid, error = %error, "cannot store the pod's resources");
        }
    }

    /// Admits a resize of `pod` and applies the allocation to its running
    /// containers; the names of those killed to be started again with it.
    pub(super) async fn resize(&self, uid: &str, pod: &Pod, snapshot: &PodSnapshot) -> Vec<String> {
        let Some(resizes) = self.admit_resize(uid, pod, snapshot) else {
            return Vec::new();
        };
        if resizes.is_empty() {
            self.set_resize_error(uid, None);
            return Vec::new();
        }
        let pod_ip = self.pod_ip(uid);
        let grace = restart_grace_seconds(pod);
        let mut restarted = Vec::new();
        let mut applied = Vec::new();
        let mut errors = Vec::new();
        for resize in resizes {
            let Some(spec) = resizable(pod).find(|c| c.name == resize.name) else {
                continue;
            };
            let mut container = spec.clone();
            container.resources = Some(resize.resources.clone());
            match resize.change {
                Change::Restart => {
                    tracing::info!(container = %resize.name, id = %resize.id, "resize requires a restart");
                    let why = format!("Container {} resize requires restart", resize.name);
                    self.kill_container(
                        pod,
                        &resize.id,
                        &container,
                        grace,
                        pod_ip.as_deref(),
                        &why,
                    )
                    .await;
                    restarted.push(resize.name);
                }
                Change::Update => match self.update_resources(pod, &container, &resize).await {
                    Ok(()) => applied.push((resize.id, resize.resources)),
                    Err(error) => errors.push(error),
                },
            }
        }
        if !applied.is_empty() {
            let state = {
                let mut pods = self.pods();
                let Some(entry) = pods.get_mut(uid) else {
                    return restarted;
                };
                entry.resources.actuated.extend(applied);
                entry.resources.clone()
            };
            self.save_resources(uid, &state);
        }
        self.set_resize_error(uid, (!errors.is_empty()).then(|| errors.join("; ")));
        restarted
    }

    /// Admits the spec's resources (kept when they changed) and forgets
    /// instances the runtime no longer has; the running containers to bring
    /// to their allocation, `None` when the pod is gone.
    fn admit_resize(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
    ) -> Option<Vec<ContainerResize>> {
        let others = self.allocated_elsewhere(uid);
        let node = self.allocatable();
        let mut pods = self.pods();
        let state = &mut pods.get_mut(uid)?.resources;
        let mut changed = false;
        match admit(pod, &state.allocated, node, others) {
            Admission::Unchanged => state.pending = None,
            Admission::Allocate(allocated) => {
                if !state.allocated.is_empty() {
                    tracing::info!("pod resize admitted");
                }
                state.allocated = allocated;
                state.pending = None;
                changed = true;
            }
            Admission::Pending(pending) => {
                if state.pending.as_ref() != Some(&pending) {
                    tracing::info!(reason = pending.reason, message = %pending.message, "pod resize not admitted");
                }
                state.pending = Some(pending);
            }
        }
        // Instances the runtime no longer has are forgotten.
        let known = state.actuated.len();
        state
            .actuated
            .retain(|id, _| snapshot.containers.iter().any(|c| &c.id == id));
        changed |= state.actuated.len() != known;
        let resizes = container_resizes(pod, snapshot, state);
        if changed {
            let state = state.clone();
            drop(pods);
            self.save_resources(uid, &state);
        }
        Some(resizes)
    }

    /// `UpdateContainerResources` of the running instance to `container`'s
    /// resources (its allocation); what failed, for the resize condition.
    async fn update_resources(
        &self,
        pod: &Pod,
        container: &Container,
        resize: &ContainerResize,
    ) -> Result<(), String> {
        let linux = linux_resources(pod, container, self.node.memory_bytes)
            .map_err(|error| format!("container {}: {error}", resize.name))?;
        let outcome = self
            .runtime
            .runtime
            .clone()
            .update_container_resources(UpdateContainerResourcesRequest {
                container_id: resize.id.clone(),
                linux: Some(linux.clone()),
                ..UpdateContainerResourcesRequest::default()
            })
            .await;
        match outcome {
            Ok(_) => {
                tracing::info!(
                    container = %resize.name,
                    id = %resize.id,
                    cpu_shares = linux.cpu_shares,
                    cpu_quota = linux.cpu_quota,
                    memory_limit = linux.memory_limit_in_bytes,
                    "container resources updated"
                );
                Ok(())
            }
            Err(status) => {
                tracing::warn!(container = %resize.name, error = %status.message(), "UpdateContainerResources failed");
                Err(format!(
                    "updating the resources of container {}: {}",
                    resize.name,
                    grpc_error_text(&status)
                ))
            }
        }
    }

    fn set_resize_error(&self, uid: &str, error: Option<String>) {
        if let Some(entry) = self.pods().get_mut(uid) {
            entry.resources.error = error;
        }
    }

    /// Records that instance `id` of `uid` was created with `container`'s
    /// resources (its allocation).
    pub(super) fn record_created(
        &self,
        uid: &str,
        id: &str,
        container: &k8s_openapi::api::core::v1::Container,
    ) {
        let state = {
            let mut pods = self.pods();
            let Some(entry) = pods.get_mut(uid) else {
                return;
            };
            entry.resources.actuated.insert(
                id.to_owned(),
                container.resources.clone().unwrap_or_default(),
            );
            entry.resources.clone()
        };
        self.save_resources(uid, &state);
    }
}
