//! Which changes of a pod a plugin must hear about through UpdatePod: the
//! parts of the spec and metadata upstream virtual-kubelet compares
//! (containers, init and ephemeral containers, activeDeadlineSeconds,
//! tolerations, labels, annotations). Status, resourceVersion and managed
//! fields do not count, nor do `env`, `envFrom`, `command` and `args`:
//! the API never changes them on an existing pod, and the plugin holds
//! them resolved (pods/env), so its copy differs from the API's by design.
//! A late pod IP for env is handled apart (`Tracked::awaits_pod_ip`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, EphemeralContainer, Pod, PodSpec};

/// True when `now` differs from `sent` (the pod last sent to the plugin) in
/// a way the plugin must be told about.
pub fn needs_update(sent: &Pod, now: &Pod) -> bool {
    relevant(sent) != relevant(now)
}

/// The compared parts, normalized: missing and empty maps and lists are the
/// same.
#[derive(Debug, PartialEq)]
struct Relevant {
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    containers: Vec<Container>,
    init_containers: Vec<Container>,
    ephemeral_containers: Vec<EphemeralContainer>,
    active_deadline_seconds: Option<i64>,
    tolerations: Vec<k8s_openapi::api::core::v1::Toleration>,
}

fn relevant(pod: &Pod) -> Relevant {
    let empty = PodSpec::default();
    let spec = pod.spec.as_ref().unwrap_or(&empty);
    Relevant {
        labels: pod.metadata.labels.clone().unwrap_or_default(),
        annotations: pod.metadata.annotations.clone().unwrap_or_default(),
        containers: spec.containers.iter().map(without_resolved).collect(),
        init_containers: spec
            .init_containers
            .iter()
            .flatten()
            .map(without_resolved)
            .collect(),
        ephemeral_containers: spec
            .ephemeral_containers
            .iter()
            .flatten()
            .map(|c| EphemeralContainer {
                env: None,
                env_from: None,
                command: None,
                args: None,
                ..c.clone()
            })
            .collect(),
        active_deadline_seconds: spec.active_deadline_seconds,
        tolerations: spec.tolerations.clone().unwrap_or_default(),
    }
}

/// The container without the parts that reach the plugin resolved.
fn without_resolved(container: &Container) -> Container {
    Container {
        env: None,
        env_from: None,
        command: None,
        args: None,
        ..container.clone()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::{EnvVar, PodStatus};

    use super::*;

    fn pod() -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u", "resourceVersion": "1",
                         "labels": {"app": "a"}},
            "spec": {"containers": [{"name": "main", "image": "busybox",
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]},
        }))
        .expect("a pod")
    }

    #[test]
    fn labels_annotations_and_containers_count() {
        let sent = pod();
        let mut now = pod();
        now.metadata.labels = Some([("app".to_string(), "b".to_string())].into());
        assert!(needs_update(&sent, &now));
        let mut now = pod();
        now.metadata.annotations = Some([("k".to_string(), "v".to_string())].into());
        assert!(needs_update(&sent, &now));
        let mut now = pod();
        if let Some(spec) = &mut now.spec {
            spec.containers[0].image = Some("busybox:2".into());
        }
        assert!(needs_update(&sent, &now));
        let mut now = pod();
        if let Some(spec) = &mut now.spec {
            spec.active_deadline_seconds = Some(30);
        }
        assert!(needs_update(&sent, &now));
    }

    #[test]
    fn status_version_and_env_do_not() {
        let sent = pod();
        let mut now = pod();
        now.metadata.resource_version = Some("2".into());
        now.status = Some(PodStatus {
            phase: Some("Running".into()),
            ..Default::default()
        });
        if let Some(spec) = &mut now.spec {
            spec.containers[0].env = Some(vec![
                EnvVar {
                    name: "B".into(),
                    value: Some("2".into()),
                    ..Default::default()
                },
                EnvVar {
                    name: "A".into(),
                    value: Some("1".into()),
                    ..Default::default()
                },
            ]);
        }
        assert!(!needs_update(&sent, &now));
        let mut empty = pod();
        empty.metadata.annotations = Some(BTreeMap::new());
        assert!(!needs_update(&sent, &empty));
    }
}
