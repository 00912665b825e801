//! Kubernetes Events about the plugin's pods, as the kubelet records them
//! (`pkg/kubelet/events`): sent on the status stream, written by the host.

use vk_plugin_sdk::{PodEvent, PodKey, PodStatusUpdate};

use crate::status::SyncError;

use super::Inner;

impl Inner {
    /// Reports `event` about pod `uid` (dropped when the pod is gone; kept
    /// for the host while its status stream reconnects).
    pub(super) fn report(&self, uid: &str, event: PodEvent) {
        let Some(pod) = self.pods().get(uid).map(|entry| PodKey::of(&entry.pod)) else {
            return;
        };
        tracing::debug!(%pod, reason = %event.reason, message = %event.message, "event");
        self.host
            .feed
            .send(PodStatusUpdate::events(pod, vec![event]));
    }
}

/// The events of a container that starts waiting for `error` (reported
/// once per change of reason or message, not at every relist), as the
/// kubelet's: `BackOff` for a crash loop or a pull back-off, and `Failed`
/// with `Error: ...` for a failed pull or start.
pub(super) fn waiting(container: &str, pod: &str, error: &SyncError) -> Vec<PodEvent> {
    let failed = |what: &str| PodEvent::warning("Failed", format!("Error: {what}"));
    let events = match error.reason.as_str() {
        "CrashLoopBackOff" => vec![PodEvent::warning(
            "BackOff",
            format!("Back-off restarting failed container {container} in pod {pod}"),
        )],
        "ImagePullBackOff" => vec![
            PodEvent::normal("BackOff", error.message.clone()),
            failed(&error.reason),
        ],
        "ErrImagePull" => vec![failed(&error.reason)],
        "ErrImageNeverPull" => vec![
            PodEvent::warning("ErrImageNeverPull", error.message.clone()),
            failed(&error.reason),
        ],
        "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError" => {
            vec![failed(&error.message)]
        }
        _ => Vec::new(),
    };
    events.into_iter().map(|e| e.about(container)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(reason: &str, message: &str) -> SyncError {
        SyncError {
            reason: reason.into(),
            message: message.into(),
        }
    }

    #[test]
    fn waiting_reasons_become_the_kubelets_events() {
        let back_off = waiting(
            "main",
            "p_ns(u)",
            &error("CrashLoopBackOff", "back-off 10s"),
        );
        assert_eq!(
            back_off,
            [PodEvent::warning(
                "BackOff",
                "Back-off restarting failed container main in pod p_ns(u)"
            )
            .about("main")]
        );
        let pull = waiting(
            "main",
            "p",
            &error("ImagePullBackOff", "Back-off pulling image \"x\""),
        );
        let reasons: Vec<(&str, &str)> = pull
            .iter()
            .map(|e| (e.reason.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("BackOff", "Back-off pulling image \"x\""),
                ("Failed", "Error: ImagePullBackOff")
            ]
        );
        assert!(waiting("main", "p", &error("ContainerCreating", "volume")).is_empty());
    }
}
