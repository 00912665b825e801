//! The labels and annotations put on every sandbox and container, and
//! reading them back. The runtime is the plugin's only memory (as for the
//! kubelet): after a restart, pods are found by label and containers are
//! stopped correctly from their annotations alone, without the pod spec.
//!
//! Keys under `io.kubernetes.` are the kubelet's own (`kuberuntime/labels.go`)
//! so tools such as `crictl` show our pods as they show a kubelet's.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Container, ContainerPort, LifecycleHandler, Pod};
use serde::Serialize;

/// The pod's name (label on sandboxes and containers).
pub const POD_NAME: &str = "io.kubernetes.pod.name";
/// The pod's namespace (label on sandboxes and containers).
pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// The pod's UID (label on sandboxes and containers).
pub const POD_UID: &str = "io.kubernetes.pod.uid";
/// The container's name in the pod spec (label on containers).
pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
/// Ours: which plugin instance created the object (its `instance_name`).
/// Everything is listed with this selector, so containers made by a kubelet
/// or another plugin on the same containerd are never touched.
pub const MANAGED_BY: &str = "cri.vk-host.io/managed-by";

/// Hash of the container spec without its environment (annotation).
pub const CONTAINER_HASH: &str = "io.kubernetes.container.hash";
/// The instance's restart count, which is also its CRI attempt (annotation).
pub const CONTAINER_RESTART_COUNT: &str = "io.kubernetes.container.restartCount";
pub const TERMINATION_MESSAGE_PATH: &str = "io.kubernetes.container.terminationMessagePath";
pub const TERMINATION_MESSAGE_POLICY: &str = "io.kubernetes.container.terminationMessagePolicy";
/// `metadata.deletionGracePeriodSeconds` when the container was created.
pub const POD_DELETION_GRACE_PERIOD: &str = "io.kubernetes.pod.deletionGracePeriod";
/// `spec.terminationGracePeriodSeconds`.
pub const POD_TERMINATION_GRACE_PERIOD: &str = "io.kubernetes.pod.terminationGracePeriod";
/// `lifecycle.preStop` as JSON, to run it when stopping without the spec.
pub const CONTAINER_PRE_STOP_HANDLER: &str = "io.kubernetes.container.preStopHandler";
/// `ports` as JSON (what the kubelet records; shown by `crictl inspect`).
pub const CONTAINER_PORTS: &str = "io.kubernetes.container.ports";
/// Ours: "init", "regular" or "ephemeral", so the role of a
/// container is known without the spec.
pub const CONTAINER_ROLE: &str = "cri.vk-host.io/container-role";
/// The image the container's spec named when this instance was created: a
/// different one now (`kubectl set image`) makes the plugin restart it.
pub const CONTAINER_SPEC_IMAGE: &str = "cri.vk-host.io/spec-image";

/// Who a pod is, as read from its labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PodIdentity {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl PodIdentity {
    pub fn of(pod: &Pod) -> Self {
        let meta = &pod.metadata;
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
        }
    }

    /// The pod named by `labels`; `None` unless all three labels are there.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Self> {
        Some(Self {
            namespace: labels.get(POD_NAMESPACE)?.clone(),
            name: labels.get(POD_NAME)?.clone(),
            uid: labels.get(POD_UID)?.clone(),
        })
    }

    /// The kubelet's way of naming a pod in messages: `name_namespace(uid)`.
    pub fn display(&self) -> String {
        format!("{}_{}({})", self.name, self.namespace, self.uid)
    }
}

/// Whether a container runs as an init container or a regular one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerRole {
    Init,
    Regular,
    /// An ephemeral container (`kubectl debug`): started once, never
    /// restarted.
    Ephemeral,
}

impl ContainerRole {
    fn as_str(self) -> &'static str {
        match self {
            Self::Init => "init",
            Self::Regular => "regular",
            Self::Ephemeral => "ephemeral",
        }
    }
}

/// The label selector of everything this plugin instance made.
pub fn managed_selector(instance: &str) -> HashMap<String, String> {
    HashMap::from([(MANAGED_BY.to_owned(), instance.to_owned())])
}

/// The label selector of one pod's sandboxes and containers.
pub fn pod_selector(instance: &str, uid: &str) -> HashMap<String, String> {
    let mut selector = managed_selector(instance);
    selector.insert(POD_UID.to_owned(), uid.to_owned());
    selector
}

/// Sandbox labels: the pod's own labels plus the pod identity and ours
/// (`newPodLabels`). Ours win over a pod label of the same key.
pub fn sandbox_labels(pod: &Pod, instance: &str) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = pod
        .metadata
        .labels
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    labels.extend(identity_labels(&PodIdentity::of(pod), instance));
    labels
}

/// Sandbox annotations: the pod's annotations (`newPodAnnotations`).
pub fn sandbox_annotations(pod: &Pod) -> HashMap<String, String> {
    pod.metadata
        .annotations
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Container labels (`newContainerLabels`). Containers do not inherit the
/// sandbox's labels in containerd, so each carries the pod identity.
pub fn container_labels(
    pod: &Pod,
    container: &Container,
    instance: &str,
) -> HashMap<String, String> {
    let mut labels = identity_labels(&PodIdentity::of(pod), instance);
    labels.insert(CONTAINER_NAME.to_owned(), container.name.clone());
    labels
}

/// Container annotations (`newContainerAnnotations`) plus the role.
pub fn container_annotations(
    pod: &Pod,
    container: &Container,
    role: ContainerRole,
    restart_count: u32,
) -> HashMap<String, String> {
    let mut annotations = HashMap::from([
        (CONTAINER_HASH.to_owned(), container_hash(container)),
        (
            CONTAINER_RESTART_COUNT.to_owned(),
            restart_count.to_string(),
        ),
        (
            TERMINATION_MESSAGE_PATH.to_owned(),
            container
                .termination_message_path
                .clone()
                .unwrap_or_else(|| "/dev/termination-log".into()),
        ),
        (
            TERMINATION_MESSAGE_POLICY.to_owned(),
            container
                .termination_message_policy
                .clone()
                .unwrap_or_else(|| "File".into()),
        ),
        (CONTAINER_ROLE.to_owned(), role.as_str().to_owned()),
        (
            CONTAINER_SPEC_IMAGE.to_owned(),
            container.image.clone().unwrap_or_default(),
        ),
    ]);
    if let Some(seconds) = pod.metadata.deletion_grace_period_seconds {
        annotations.insert(POD_DELETION_GRACE_PERIOD.to_owned(), seconds.to_string());
    }
    if let Some(seconds) = pod
        .spec
        .as_ref()
        .and_then(|s| s.termination_grace_period_seconds)
    {
        annotations.insert(POD_TERMINATION_GRACE_PERIOD.to_owned(), seconds.to_string());
    }
    if let Some(pre_stop) = container
        .lifecycle
        .as_ref()
        .and_then(|l| l.pre_stop.as_ref())
        && let Some(json) = to_json(pre_stop)
    {
        annotations.insert(CONTAINER_PRE_STOP_HANDLER.to_owned(), json);
    }
    if let Some(ports) = container.ports.as_ref().filter(|p| !p.is_empty())
        && let Some(json) = to_json(ports)
    {
        annotations.insert(CONTAINER_PORTS.to_owned(), json);
    }
    annotations
}

/// What a container's annotations say, for stopping it and reporting its
/// status without the pod spec. Missing or unreadable values are `None`
/// (a container made by an older plugin version still gets stopped).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContainerAnnotations {
    pub restart_count: Option<u32>,
    pub hash: Option<String>,
    pub termination_message_path: Option<String>,
    pub termination_message_policy: Option<String>,
    pub deletion_grace_period_seconds: Option<i64>,
    pub termination_grace_period_seconds: Option<i64>,
    pub pre_stop: Option<LifecycleHandler>,
    /// For a preStop httpGet hook's named port.
    pub ports: Option<Vec<ContainerPort>>,
    pub role: Option<ContainerRole>,
    /// The spec's image at creation (absent on containers of older plugin
    /// versions).
    pub spec_image: Option<String>,
}

impl ContainerAnnotations {
    pub fn parse(annotations: &HashMap<String, String>) -> Self {
        let get = |key: &str| annotations.get(key).cloned();
        let number = |key: &str| annotations.get(key).and_then(|v| v.parse().ok());
        Self {
            restart_count: number(CONTAINER_RESTART_COUNT).and_then(|n: i64| n.try_into().ok()),
            hash: get(CONTAINER_HASH),
            termination_message_path: get(TERMINATION_MESSAGE_PATH),
            termination_message_policy: get(TERMINATION_MESSAGE_POLICY),
            deletion_grace_period_seconds: number(POD_DELETION_GRACE_PERIOD),
            termination_grace_period_seconds: number(POD_TERMINATION_GRACE_PERIOD),
            pre_stop: annotations
                .get(CONTAINER_PRE_STOP_HANDLER)
                .and_then(|json| serde_json::from_str(json).ok()),
            ports: annotations
                .get(CONTAINER_PORTS)
                .and_then(|json| serde_json::from_str(json).ok()),
            role: match annotations.get(CONTAINER_ROLE).map(String::as_str) {
                Some("init") => Some(ContainerRole::Init),
                Some("regular") => Some(ContainerRole::Regular),
                Some("ephemeral") => Some(ContainerRole::Ephemeral),
                _ => None,
            },
            spec_image: get(CONTAINER_SPEC_IMAGE),
        }
    }
}

impl ContainerAnnotations {
    /// As much of the spec of container `name` as stopping it needs
    /// (`restoreSpecsFromContainerLabels`): its ports, termination-message
    /// path and preStop hook.
    pub fn restored_container(&self, name: &str) -> Container {
        Container {
            name: name.to_owned(),
            ports: self.ports.clone(),
            termination_message_path: self.termination_message_path.clone(),
            lifecycle: self.pre_stop.clone().map(|pre_stop| {
                k8s_openapi::api::core::v1::Lifecycle {
                    pre_stop: Some(pre_stop),
                    ..Default::default()
                }
            }),
            ..Container::default()
        }
    }
}

/// A stable hash of the container spec, environment excluded: the host
/// resolves the environment and may send it again with new values (the pod
/// IP, a rotated Secret), which must not look like a spec change (the
/// kubelet hashes the unresolved spec, so env changes never restart a
/// container there either). 64-bit FNV-1a of the spec's JSON, in hex.
pub fn container_hash(container: &Container) -> String {
    let mut spec = container.clone();
    spec.env = None;
    let bytes = serde_json::to_vec(&spec).unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn identity_labels(pod: &PodIdentity, instance: &str) -> HashMap<String, String> {
    HashMap::from([
        (POD_NAME.to_owned(), pod.name.clone()),
        (POD_NAMESPACE.to_owned(), pod.namespace.clone()),
        (POD_UID.to_owned(), pod.uid.clone()),
        (MANAGED_BY.to_owned(), instance.to_owned()),
    ])
}

fn to_json(value: &impl Serialize) -> Option<String> {
    serde_json::to_string(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;

    fn pod() -> Pod {
        pod_from_json(serde_json::json!({
            "metadata": {
                "name": "web", "namespace": "shop", "uid": "u-1",
                "labels": {"app": "web", "io.kubernetes.pod.name": "spoofed"},
                "annotations": {"note": "kept"},
                "deletionGracePeriodSeconds": 5
            },
            "spec": {
                "terminationGracePeriodSeconds": 30,
                "containers": [{
                    "name": "app", "image": "busybox:1",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "lifecycle": {"preStop": {"exec": {"command": ["sh", "-c", "sleep 1"]}}},
                    "env": [{"name": "A", "value": "1"}]
                }]
            }
        }))
    }

    #[test]
    fn sandbox_labels_are_the_pods_plus_identity_which_wins() {
        let labels = sandbox_labels(&pod(), "node-a");
        assert_eq!(labels.len(), 5);
        assert_eq!(labels["app"], "web");
        assert_eq!(labels[POD_NAME], "web");
        assert_eq!(labels[POD_NAMESPACE], "shop");
        assert_eq!(labels[POD_UID], "u-1");
        assert_eq!(labels[MANAGED_BY], "node-a");
        assert_eq!(sandbox_annotations(&pod())["note"], "kept");
        assert_eq!(
            PodIdentity::from_labels(&labels),
            Some(PodIdentity::of(&pod()))
        );
    }

    #[test]
    fn container_labels_do_not_carry_pod_labels() {
        let pod = pod();
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        let labels = container_labels(&pod, container, "node-a");
        assert_eq!(labels.len(), 5);
        assert_eq!(labels[CONTAINER_NAME], "app");
        assert!(!labels.contains_key("app"));
    }

    #[test]
    fn container_annotations_round_trip() {
        let pod = pod();
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        let annotations = container_annotations(&pod, container, ContainerRole::Regular, 3);
        assert_eq!(annotations[CONTAINER_RESTART_COUNT], "3");
        assert_eq!(
            annotations[TERMINATION_MESSAGE_PATH],
            "/dev/termination-log"
        );
        assert_eq!(annotations[TERMINATION_MESSAGE_POLICY], "File");
        assert_eq!(
            annotations[CONTAINER_PORTS],
            r#"[{"containerPort":80,"protocol":"TCP"}]"#
        );
        let parsed = ContainerAnnotations::parse(&annotations);
        assert_eq!(parsed.restart_count, Some(3));
        assert_eq!(parsed.deletion_grace_period_seconds, Some(5));
        assert_eq!(parsed.termination_grace_period_seconds, Some(30));
        assert_eq!(parsed.role, Some(ContainerRole::Regular));
        assert_eq!(
            parsed.ports.as_deref().map(|p| p[0].container_port),
            Some(80)
        );
        let pre_stop = parsed.pre_stop.expect("preStop handler");
        assert_eq!(
            pre_stop.exec.and_then(|e| e.command),
            Some(vec!["sh".into(), "-c".into(), "sleep 1".into()])
        );
        assert_eq!(
            parsed.hash.as_deref(),
            Some(container_hash(container).as_str())
        );
    }

    #[test]
    fn unreadable_annotations_are_absent_not_errors() {
        let parsed = ContainerAnnotations::parse(&HashMap::from([
            (CONTAINER_RESTART_COUNT.to_owned(), "-1".to_owned()),
            (
                CONTAINER_PRE_STOP_HANDLER.to_owned(),
                "{not json".to_owned(),
            ),
        ]));
        assert_eq!(parsed, ContainerAnnotations::default());
    }

    #[test]
    fn the_hash_ignores_env_but_not_the_image() {
        let pod = pod();
        let container = pod.spec.as_ref().expect("spec").containers[0].clone();
        let mut other_env = container.clone();
        other_env.env = None;
        assert_eq!(container_hash(&container), container_hash(&other_env));
        let mut other_image = container.clone();
        other_image.image = Some("busybox:2".into());
        assert_ne!(container_hash(&container), container_hash(&other_image));
        assert_eq!(container_hash(&container).len(), 16);
    }

    #[test]
    fn selectors() {
        assert_eq!(managed_selector("a").len(), 1);
        let selector = pod_selector("a", "u-1");
        assert_eq!(selector[POD_UID], "u-1");
        assert_eq!(selector[MANAGED_BY], "a");
    }
}
