//! Restarts for a changed spec ([`crate::image_change`]): a running
//! container whose image the spec no longer names is stopped (preStop,
//! then the pod's grace period) with the kubelet's `Killing` event; the
//! sync then starts it again with the new image.

use k8s_openapi::api::core::v1::Pod;

use super::{Inner, restart_grace_seconds};
use crate::image_change::running_changed;
use crate::snapshot::PodSnapshot;

impl Inner {
    /// Stops every container of `pod` running an outdated image; the
    /// names of those stopped (to be started again in the same sync).
    pub(super) async fn stop_changed(&self, pod: &Pod, snapshot: &PodSnapshot) -> Vec<String> {
        let changed = running_changed(pod, snapshot);
        if changed.is_empty() {
            return Vec::new();
        }
        let uid = pod.metadata.uid.as_deref().unwrap_or_default();
        let pod_ip = self.pod_ip(uid);
        let grace = restart_grace_seconds(pod);
        let mut stopped = Vec::new();
        for (container, id) in changed {
            tracing::info!(container = %container.name, %id, "container definition changed; restarting it");
            let why = format!(
                "Container {} definition changed, will be restarted",
                container.name
            );
            self.kill_container(pod, &id, container, grace, pod_ip.as_deref(), &why)
                .await;
            stopped.push(container.name.clone());
        }
        stopped
    }
}
