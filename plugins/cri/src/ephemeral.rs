//! Ephemeral containers (`kubectl debug`): added to a running pod through
//! the API's `ephemeralcontainers` subresource, they reach the plugin as
//! an UpdatePod. As the kubelet, each is started once, when it has no
//! instance yet, and never restarted; with `targetContainerName` it joins
//! the process namespace of that container's running instance (the
//! kubelet's `getTargetID`). They have no probes, ports or lifecycle hooks
//! (the API refuses them), take no part in the pod's phase or readiness,
//! and are stopped with the regular containers.

use k8s_openapi::api::core::v1::{Container, EphemeralContainer, Pod};

use crate::snapshot::PodSnapshot;

/// The ephemeral container as a [`Container`] (the API's
/// `EphemeralContainerCommon` holds the same fields), so that the spec
/// builders apply to it unchanged.
pub fn as_container(ephemeral: &EphemeralContainer) -> Container {
    Container {
        name: ephemeral.name.clone(),
        image: ephemeral.image.clone(),
        image_pull_policy: ephemeral.image_pull_policy.clone(),
        command: ephemeral.command.clone(),
        args: ephemeral.args.clone(),
        working_dir: ephemeral.working_dir.clone(),
        env: ephemeral.env.clone(),
        env_from: ephemeral.env_from.clone(),
        resources: ephemeral.resources.clone(),
        volume_mounts: ephemeral.volume_mounts.clone(),
        volume_devices: ephemeral.volume_devices.clone(),
        security_context: ephemeral.security_context.clone(),
        stdin: ephemeral.stdin,
        stdin_once: ephemeral.stdin_once,
        tty: ephemeral.tty,
        termination_message_path: ephemeral.termination_message_path.clone(),
        termination_message_policy: ephemeral.termination_message_policy.clone(),
        ..Container::default()
    }
}

/// The pod's ephemeral containers, in spec order.
pub fn ephemeral_containers(pod: &Pod) -> impl Iterator<Item = &EphemeralContainer> {
    pod.spec
        .iter()
        .flat_map(|s| s.ephemeral_containers.iter().flatten())
}

/// Whether the pod's container `name` — regular, init or ephemeral — has a
/// terminal (`tty`); `None` when the pod has no such container.
pub fn container_tty(pod: &Pod, name: &str) -> Option<bool> {
    let spec = pod.spec.as_ref()?;
    let tty = |tty: Option<bool>| tty.unwrap_or(false);
    spec.containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .find(|c| c.name == name)
        .map(|c| tty(c.tty))
        .or_else(|| {
            ephemeral_containers(pod)
                .find(|e| e.name == name)
                .map(|e| tty(e.tty))
        })
}

/// The ephemeral containers to start now: those never started, unless the
/// pod is being deleted.
pub fn to_start(pod: &Pod, snapshot: &PodSnapshot) -> Vec<Container> {
    if pod.metadata.deletion_timestamp.is_some() {
        return Vec::new();
    }
    ephemeral_containers(pod)
        .filter(|e| snapshot.newest(&e.name).is_none())
        .map(as_container)
        .collect()
}

/// The container whose process namespace the ephemeral container `name`
/// joins, if it names one.
pub fn target_of<'a>(pod: &'a Pod, name: &str) -> Option<&'a str> {
    ephemeral_containers(pod)
        .find(|e| e.name == name)
        .and_then(|e| e.target_container_name.as_deref())
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::snapshot::fixtures;

    fn pod(deleting: bool) -> Pod {
        let mut pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u"},
            "spec": {
                "containers": [{"name": "main", "image": "busybox"}],
                "ephemeralContainers": [
                    {"name": "debugger", "image": "busybox", "targetContainerName": "main",
                     "command": ["sh"], "stdin": true, "tty": true},
                    {"name": "plain", "image": "busybox"},
                ],
            },
        }))
        .expect("pod");
        if deleting {
            pod.metadata.deletion_timestamp =
                Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                    k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
                ));
        }
        pod
    }

    #[test]
    fn each_starts_once_and_never_while_deleting() {
        let pod = pod(false);
        let none = PodSnapshot::default();
        let names = |list: Vec<Container>| list.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(to_start(&pod, &none)), ["debugger", "plain"]);
        let exited = PodSnapshot {
            containers: vec![fixtures::exited("debugger", 0, 0)],
            ..PodSnapshot::default()
        };
        assert_eq!(names(to_start(&pod, &exited)), ["plain"]);
        assert!(to_start(&self::pod(true), &none).is_empty());
    }

    #[test]
    fn the_container_keeps_what_the_runtime_needs() {
        let pod = pod(false);
        let debugger = as_container(ephemeral_containers(&pod).next().expect("one"));
        assert_eq!(debugger.name, "debugger");
        assert_eq!(debugger.command.as_deref(), Some(&["sh".to_owned()][..]));
        assert_eq!((debugger.stdin, debugger.tty), (Some(true), Some(true)));
        assert_eq!(target_of(&pod, "debugger"), Some("main"));
        assert_eq!(target_of(&pod, "plain"), None);
        assert_eq!(container_tty(&pod, "debugger"), Some(true));
        assert_eq!(container_tty(&pod, "main"), Some(false));
        assert_eq!(container_tty(&pod, "nobody"), None);
    }
}
