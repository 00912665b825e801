//! Stopping: a deleted pod's termination (its containers, then its
//! sandboxes, cgroup, logs and state) and the ordered stop of a pod's
//! running containers that termination, a dead sandbox and a finished pod
//! share: the regular containers in parallel, then the sidecars in reverse
//! order, within the grace period.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_cri::v1::{PodSandboxState, RemovePodSandboxRequest, StopPodSandboxRequest};
use k8s_openapi::api::core::v1::Pod;

use super::{Inner, store};
use crate::labels::{ContainerAnnotations, PodIdentity};
use crate::paths;
use crate::restart::stop_order;
use crate::snapshot::PodSnapshot;

impl Inner {
    /// Stops a deleted pod: the running regular containers in parallel,
    /// then the sidecars last first ([`Self::stop_containers`]), each with
    /// its preStop hook and then `StopContainer` with the rest of the grace
    /// period, reports the stopped status, then removes the sandboxes, the
    /// pod's state and forgets it.
    pub(super) async fn terminate(
        self: Arc<Self>,
        uid: String,
        grace_seconds: i64,
        lock: Arc<tokio::sync::Mutex<()>>,
    ) {
        let _serialized = lock.lock_owned().await;
        // Liveness and startup probes end with the deletion.
        self.sync_probes(&uid);
        let started = std::time::Instant::now();
        let snapshot = loop {
            match self.fetch_pod(&uid).await {
                Ok(snapshot) => break snapshot,
                Err(error) => {
                    tracing::warn!(%uid, error = %error, "cannot list the pod to stop it; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        let pod = self
            .pods()
            .get(&uid)
            .map(|e| e.pod.clone())
            .unwrap_or_default();
        self.stop_containers(&uid, &pod, &snapshot, grace_seconds)
            .await;
        match self.fetch_pod(&uid).await {
            Ok(stopped) => self.set_status(&uid, &stopped),
            Err(error) => tracing::warn!(%uid, error = %error, "relisting the stopped pod failed"),
        }
        let mut runtime = self.runtime.runtime.clone();
        for sandbox in &snapshot.sandboxes {
            let id = sandbox.id.clone();
            if sandbox.state == PodSandboxState::SandboxReady as i32
                && let Err(status) = runtime
                    .stop_pod_sandbox(StopPodSandboxRequest {
                        pod_sandbox_id: id.clone(),
                    })
                    .await
            {
                tracing::warn!(sandbox = %id, error = %status.message(), "StopPodSandbox failed");
            }
            if let Err(status) = runtime
                .remove_pod_sandbox(RemovePodSandboxRequest {
                    pod_sandbox_id: id.clone(),
                })
                .await
            {
                tracing::warn!(sandbox = %id, error = %status.message(), "RemovePodSandbox failed");
            }
        }
        self.remove_pod_cgroup(&uid);
        // The kubelet's container GC removes a deleted pod's logs too.
        if !pod.metadata.name.as_deref().unwrap_or_default().is_empty() {
            let logs = paths::pod_log_dir(&self.config.pod_logs_dir, &PodIdentity::of(&pod));
            match tokio::fs::remove_dir_all(&logs).await {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(%uid, path = %logs.display(), %error, "cannot remove the pod's log directory");
                }
                _ => {}
            }
        }
        if let Err(error) = store::remove(&self.config.root_dir, &uid) {
            tracing::warn!(%uid, %error, "cannot remove the pod's state directory");
        }
        self.pods().remove(&uid);
        self.probes.forget_pod(&uid);
        self.backoffs.forget_pod(&uid);
        tracing::info!(%uid, elapsed = ?started.elapsed(), "pod stopped and removed");
    }

    /// Stops the running containers of a pod within `grace_seconds` from
    /// now, in [`stop_order`]: the regular containers in parallel, then
    /// the sidecars one at a time, last first, each killed (`Killing`
    /// event, preStop hook, `StopContainer`) with what is left of the grace
    /// period in whole seconds, rounded up (at least 2 s after its hook;
    /// none when the grace period is 0). A container the spec no longer has
    /// is stopped with the first group, with the hooks its annotations
    /// recorded.
    pub(super) async fn stop_containers(
        &self,
        uid: &str,
        pod: &Pod,
        snapshot: &PodSnapshot,
        grace_seconds: i64,
    ) {
        let deadline =
            std::time::Instant::now() + Duration::from_secs(grace_seconds.max(0).unsigned_abs());
        let pod_ip = self.pod_ip(uid);
        for group in stop_order(Some(pod), snapshot) {
            // Whole seconds left, rounded up: the first group gets all of it.
            let left_ms = deadline
                .saturating_duration_since(std::time::Instant::now())
                .as_millis();
            let left = i64::try_from(left_ms.div_ceil(1000)).unwrap_or(grace_seconds);
            let grace = if grace_seconds == 0 { 0 } else { left.max(2) };
            let kills = group.iter().filter_map(|id| {
                let instance = snapshot.containers.iter().find(|c| &c.id == id)?;
                let name = crate::snapshot::container_name(instance).unwrap_or_default();
                // The spec's hooks; the annotations' when the spec no longer
                // has the container (`restoreSpecsFromContainerLabels`).
                let container = pod
                    .spec
                    .iter()
                    .flat_map(|s| {
                        s.containers
                            .iter()
                            .chain(s.init_containers.iter().flatten())
                    })
                    .find(|c| c.name == name)
                    .cloned()
                    .unwrap_or_else(|| {
                        ContainerAnnotations::parse(&instance.annotations).restored_container(name)
                    });
                let pod_ip = pod_ip.clone();
                Some(async move {
                    let why = format!("Stopping container {}", container.name);
                    self.kill_container(pod, id, &container, grace, pod_ip.as_deref(), &why)
                        .await;
                })
            });
            futures::future::join_all(kills).await;
        }
    }

    /// Removes the pod's cgroup (`<cgroup_root>/pod<uid>`) in every
    /// hierarchy; runc removes the containers' own, not their parent.
    fn remove_pod_cgroup(&self, uid: &str) {
        let relative = format!("{}/pod{uid}", self.config.cgroup_root.trim_matches('/'));
        let mut roots = vec![PathBuf::from("/sys/fs/cgroup")];
        if let Ok(entries) = std::fs::read_dir("/sys/fs/cgroup") {
            roots.extend(entries.flatten().map(|e| e.path()));
        }
        for root in roots {
            let path = root.join(&relative);
            if path.is_dir() {
                let _ = std::fs::remove_dir(&path);
            }
        }
    }
}
