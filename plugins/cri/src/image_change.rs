//! Containers whose spec changed under them, the kubelet's
//! `containerChanged` for what a running pod lets users change: the image
//! (`kubectl set image`). The kubelet compares a hash of the whole
//! container spec; here the host rewrites `env`, `command` and `args` as it
//! resolves them (for instance once the pod's IP is known), so only the
//! image the spec named at creation (an annotation) is compared. A changed
//! container is killed and started again with the new spec whatever the
//! restart policy, as the kubelet does.

use k8s_cri::v1::{ContainerState, ContainerStatus};
use k8s_openapi::api::core::v1::{Container, Pod};

use crate::labels::ContainerAnnotations;
use crate::probes::ProbeResults;
use crate::restart::{PodActions, pod_actions};
use crate::snapshot::{PodSnapshot, state};

/// [`pod_actions`], plus the containers of `restarting` (just stopped for a
/// new image or a resize, in this sync) started again whatever the restart
/// policy. A
/// container that exited on its own before the image changed is not: a
/// finished pod stays finished, as with the kubelet, which restarts only
/// running containers for a spec change.
pub fn actions(
    pod: &Pod,
    snapshot: &PodSnapshot,
    probes: &ProbeResults,
    restarting: &[String],
) -> PodActions {
    let mut actions = pod_actions(pod, snapshot, probes);
    if pod.metadata.deletion_timestamp.is_some() {
        return actions;
    }
    // Stopped by this sync (new image, or a resize needing a restart), so
    // exited now.
    let restarts: Vec<String> = regular(pod)
        .filter(|c| {
            restarting.contains(&c.name)
                && snapshot
                    .newest(&c.name)
                    .is_some_and(|n| state(n) == ContainerState::ContainerExited)
        })
        .map(|c| c.name.clone())
        .collect();
    if !restarts.is_empty() {
        actions.kill_pod = false;
        for name in restarts {
            if !actions.start.contains(&name) {
                actions.start.push(name);
            }
        }
    }
    actions
}

/// Whether `instance` was created for another image than `container` names.
/// Instances without the annotation (older plugin versions) never are.
pub fn image_changed(container: &Container, instance: &ContainerStatus) -> bool {
    ContainerAnnotations::parse(&instance.annotations)
        .spec_image
        .is_some_and(|image| Some(&image) != container.image.as_ref())
}

/// The regular containers of `pod` running an instance of another image
/// than the spec names, with the running instance's id.
pub fn running_changed<'a>(pod: &'a Pod, snapshot: &PodSnapshot) -> Vec<(&'a Container, String)> {
    regular(pod)
        .filter_map(|container| {
            let newest = snapshot.newest(&container.name)?;
            (state(newest) == ContainerState::ContainerRunning && image_changed(container, newest))
                .then(|| (container, newest.id.clone()))
        })
        .collect()
}

/// The regular containers of `pod` whose newest instance exited and was of
/// another image: they start again with the new one, whatever the restart
/// policy. None once the pod is being deleted.
pub fn exited_changed(pod: &Pod, snapshot: &PodSnapshot) -> Vec<String> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    regular(pod)
        .filter(|container| {
            snapshot.newest(&container.name).is_some_and(|newest| {
                state(newest) == ContainerState::ContainerExited && image_changed(container, newest)
            })
        })
        .map(|container| container.name.clone())
        .collect()
}

fn regular(pod: &Pod) -> impl Iterator<Item = &Container> {
    pod.spec.iter().flat_map(|spec| spec.containers.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::CONTAINER_SPEC_IMAGE;
    use crate::test_pods::pod_from_json;
    use k8s_cri::v1::ContainerMetadata;
    use serde_json::json;
    use std::collections::HashMap;

    fn instance(id: &str, state: ContainerState, image: Option<&str>) -> ContainerStatus {
        ContainerStatus {
            id: id.into(),
            metadata: Some(ContainerMetadata {
                name: "main".into(),
                attempt: 0,
            }),
            state: state as i32,
            annotations: image
                .map(|image| HashMap::from([(CONTAINER_SPEC_IMAGE.to_owned(), image.to_owned())]))
                .unwrap_or_default(),
            ..ContainerStatus::default()
        }
    }

    fn snapshot(containers: Vec<ContainerStatus>) -> PodSnapshot {
        PodSnapshot {
            containers,
            ..PodSnapshot::default()
        }
    }

    #[test]
    fn a_new_image_restarts_the_container_whatever_the_policy() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "busybox:2"}]
        }}));
        let running = snapshot(vec![instance(
            "a",
            ContainerState::ContainerRunning,
            Some("busybox:1"),
        )]);
        let changed = running_changed(&pod, &running);
        assert_eq!(changed.len(), 1);
        assert_eq!(changed[0].1, "a");

        let same = snapshot(vec![instance(
            "a",
            ContainerState::ContainerRunning,
            Some("busybox:2"),
        )]);
        assert!(running_changed(&pod, &same).is_empty());
        let older_plugin = snapshot(vec![instance("a", ContainerState::ContainerRunning, None)]);
        assert!(running_changed(&pod, &older_plugin).is_empty());

        let exited = snapshot(vec![instance(
            "a",
            ContainerState::ContainerExited,
            Some("busybox:1"),
        )]);
        assert_eq!(exited_changed(&pod, &exited), ["main"]);
        let probes = ProbeResults::default();
        let next = actions(&pod, &exited, &probes, &["main".to_owned()]);
        assert!(!next.kill_pod, "stopped for the new image: started again");
        assert_eq!(next.start, ["main"]);
        let finished = actions(&pod, &exited, &probes, &[]);
        assert!(
            finished.kill_pod && finished.start.is_empty(),
            "exited on its own before the change: the Never pod stays finished"
        );
        let mut deleting = pod.clone();
        deleting.metadata.deletion_timestamp =
            Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
            ));
        assert!(exited_changed(&deleting, &exited).is_empty());
    }
}
