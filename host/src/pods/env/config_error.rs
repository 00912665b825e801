//! What the API shows for a pod whose environment cannot be built, as the
//! kubelet shows it: `Pending`, the container waiting with reason
//! `CreateContainerConfigError` and the message, the others waiting.

use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateWaiting, ContainerStatus, Pod, PodStatus,
};

/// The kubelet's waiting reason for a container it cannot configure.
pub const CREATE_CONTAINER_CONFIG_ERROR: &str = "CreateContainerConfigError";

/// The status of `pod` while container `failing` cannot be configured.
pub fn status(pod: &Pod, failing: &str, message: &str) -> PodStatus {
    let mut status = pod.status.clone().unwrap_or_default();
    status.phase = Some("Pending".into());
    status.reason = None;
    status.message = None;
    let Some(spec) = pod.spec.as_ref() else {
        return status;
    };
    let init_failing = spec
        .init_containers
        .iter()
        .flatten()
        .any(|c| c.name == failing);
    let waiting = |container: &Container, otherwise: &str| {
        let (reason, message) = if container.name == failing {
            (CREATE_CONTAINER_CONFIG_ERROR, Some(message.to_owned()))
        } else {
            (otherwise, None)
        };
        ContainerStatus {
            name: container.name.clone(),
            image: container.image.clone().unwrap_or_default(),
            state: Some(ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some(reason.into()),
                    message,
                }),
                ..ContainerState::default()
            }),
            ..ContainerStatus::default()
        }
    };
    let main_reason = if init_failing {
        "PodInitializing"
    } else {
        "ContainerCreating"
    };
    status.container_statuses = Some(
        spec.containers
            .iter()
            .map(|c| waiting(c, main_reason))
            .collect(),
    );
    status.init_container_statuses = init_failing.then(|| {
        spec.init_containers
            .iter()
            .flatten()
            .map(|c| waiting(c, "PodInitializing"))
            .collect()
    });
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_failing_container_carries_the_reason() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [{"name": "a", "image": "busybox"}, {"name": "b", "image": "nginx"}]},
            "status": {"phase": "Pending", "reason": "ProviderFailed", "message": "old"},
        }))
        .expect("pod");
        let status = status(&pod, "b", "configmap \"x\" not found");
        assert_eq!(status.phase.as_deref(), Some("Pending"));
        assert_eq!(status.reason, None);
        let containers = status.container_statuses.expect("statuses");
        let waiting = |i: usize| {
            containers[i]
                .state
                .clone()
                .and_then(|s| s.waiting)
                .expect("waiting")
        };
        assert_eq!(waiting(0).reason.as_deref(), Some("ContainerCreating"));
        assert_eq!(
            waiting(1).reason.as_deref(),
            Some(CREATE_CONTAINER_CONFIG_ERROR)
        );
        assert_eq!(
            waiting(1).message.as_deref(),
            Some("configmap \"x\" not found")
        );
        assert_eq!(containers[1].image, "nginx");
        assert!(!containers[1].ready);
    }
}
