//! `GetContainerEnv`: one container's environment as of now, resolved by
//! the code that resolves a pod's before CreatePod (`pods::env::resolve`),
//! so a plugin restarting a container gets what the kubelet would give it.
//! The pure parts: narrowing the pod to the one container's references
//! (another container's missing key is not this one's error, and is not
//! read) and picking the container from the resolved pod.

use k8s_openapi::api::core::v1::{Container, Pod, PodIP};
use tonic::Status;

use crate::pods::env::{self, EnvError, MasterService};

/// Why the environment could not be given.
#[derive(Debug, thiserror::Error)]
pub enum ContainerEnvError {
    #[error("pod {pod} has no container {container}")]
    NoContainer { pod: String, container: String },
    /// The kubelet's CreateContainerConfigError message.
    #[error("{0}")]
    Config(String),
    #[error("reading the objects the environment of container {container} references failed")]
    Api {
        container: String,
        #[source]
        source: kube::Error,
    },
}

impl ContainerEnvError {
    /// The status the plugin receives: NOT_FOUND, FAILED_PRECONDITION with
    /// the kubelet's message alone (shown as the waiting message), or
    /// UNAVAILABLE.
    pub fn to_status(&self) -> Status {
        match self {
            Self::NoContainer { .. } => Status::not_found(self.to_string()),
            Self::Config(message) => Status::failed_precondition(message.clone()),
            Self::Api { source, .. } => Status::unavailable(format!("{self}: {source}")),
        }
    }

    /// A short word for the audit line (never a value).
    pub fn outcome(&self) -> &'static str {
        match self {
            Self::NoContainer { .. } => "no such container",
            Self::Config(_) => "CreateContainerConfigError",
            Self::Api { .. } => "API server error",
        }
    }
}

/// Resolves container `name` of `pod` (bound to `node`) now; `pod_ips`,
/// when given, are what `status.podIP(s)` resolve to.
pub async fn resolve(
    client: &kube::Client,
    node: &str,
    master: &MasterService,
    pod: &Pod,
    name: &str,
    pod_ips: &[String],
) -> Result<Container, ContainerEnvError> {
    let no_container = || ContainerEnvError::NoContainer {
        pod: format!(
            "{}/{}",
            pod.metadata.namespace.as_deref().unwrap_or_default(),
            pod.metadata.name.as_deref().unwrap_or_default()
        ),
        container: name.to_owned(),
    };
    let narrowed = narrowed(pod, name, pod_ips).ok_or_else(no_container)?;
    let resolved = env::resolve(client, node, master, &narrowed)
        .await
        .map_err(|error| match error {
            EnvError::Config(error) => ContainerEnvError::Config(error.message),
            EnvError::Api(source) => ContainerEnvError::Api {
                container: name.to_owned(),
                source,
            },
        })?;
    pick(&resolved.pod, name).ok_or_else(no_container)
}

/// `pod` with the env of every container but `name` removed (so only its
/// references are read and can fail), and `pod_ips`, when given, as its
/// status IPs. `None` when the pod has no container `name`.
pub fn narrowed(pod: &Pod, name: &str, pod_ips: &[String]) -> Option<Pod> {
    let mut pod = pod.clone();
    pod.metadata.managed_fields = None;
    let spec = pod.spec.as_mut()?;
    let mut found = false;
    for container in spec
        .init_containers
        .iter_mut()
        .flatten()
        .chain(spec.containers.iter_mut())
    {
        if container.name == name {
            found = true;
        } else {
            container.env = None;
            container.env_from = None;
        }
    }
    for container in spec.ephemeral_containers.iter_mut().flatten() {
        if container.name == name {
            found = true;
        } else {
            container.env = None;
            container.env_from = None;
        }
    }
    if !found {
        return None;
    }
    if let Some(primary) = pod_ips.first() {
        let status = pod.status.get_or_insert_default();
        status.pod_ip = Some(primary.clone());
        status.pod_ips = Some(pod_ips.iter().map(|ip| PodIP { ip: ip.clone() }).collect());
    }
    Some(pod)
}

/// Container `name` of a resolved pod, as a core/v1 Container (an
/// ephemeral container's common fields).
pub fn pick(pod: &Pod, name: &str) -> Option<Container> {
    let spec = pod.spec.as_ref()?;
    if let Some(container) = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .find(|c| c.name == name)
    {
        return Some(container.clone());
    }
    let ephemeral = spec
        .ephemeral_containers
        .iter()
        .flatten()
        .find(|c| c.name == name)?;
    // EphemeralContainerCommon is a subset of Container, field for field.
    serde_json::to_value(ephemeral).ok().and_then(|mut json| {
        if let Some(map) = json.as_object_mut() {
            map.remove("targetContainerName");
        }
        serde_json::from_value(json).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns", "uid": "u1",
                         "managedFields": [{"manager": "kubectl"}]},
            "spec": {
                "nodeName": "n1",
                "initContainers": [{"name": "init", "image": "busybox",
                    "env": [{"name": "I", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k"}}}]}],
                "containers": [
                    {"name": "main", "image": "busybox", "args": ["$(URL)"],
                     "env": [{"name": "URL", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "url"}}}]},
                    {"name": "side", "image": "busybox",
                     "envFrom": [{"secretRef": {"name": "db"}}]},
                ],
                "ephemeralContainers": [{"name": "debug", "image": "busybox",
                    "targetContainerName": "main",
                    "env": [{"name": "D", "value": "1"}]}],
            },
            "status": {"phase": "Running", "podIP": "10.0.0.1", "podIPs": [{"ip": "10.0.0.1"}]},
        }))
        .expect("pod")
    }

    fn has_env(pod: &Pod, name: &str) -> bool {
        let spec = pod.spec.as_ref().expect("spec");
        let regular = spec
            .init_containers
            .iter()
            .flatten()
            .chain(&spec.containers)
            .find(|c| c.name == name)
            .map(|c| c.env.is_some() || c.env_from.is_some());
        regular.unwrap_or_else(|| {
            spec.ephemeral_containers
                .iter()
                .flatten()
                .any(|c| c.name == name && c.env.is_some())
        })
    }

    #[test]
    fn only_the_asked_containers_env_is_kept() {
        let pod = pod();
        for name in ["init", "main", "side", "debug"] {
            let narrowed = narrowed(&pod, name, &[]).expect(name);
            for other in ["init", "main", "side", "debug"] {
                assert_eq!(has_env(&narrowed, other), other == name, "{name}: {other}");
            }
            assert_eq!(narrowed.metadata.managed_fields, None);
            assert_eq!(
                narrowed.status.as_ref().and_then(|s| s.pod_ip.as_deref()),
                Some("10.0.0.1"),
                "the API status's IP without pod_ips"
            );
        }
        assert!(narrowed(&pod, "nope", &[]).is_none(), "NOT_FOUND");
        let mut bare = pod.clone();
        bare.spec = None;
        assert!(narrowed(&bare, "main", &[]).is_none());
    }

    #[test]
    fn the_plugins_pod_ips_replace_the_api_status() {
        let ips = vec!["10.88.0.7".to_owned(), "fd00::7".to_owned()];
        let narrowed = narrowed(&pod(), "main", &ips).expect("main");
        let status = narrowed.status.expect("status");
        assert_eq!(status.pod_ip.as_deref(), Some("10.88.0.7"));
        let listed: Vec<String> = status
            .pod_ips
            .into_iter()
            .flatten()
            .map(|ip| ip.ip)
            .collect();
        assert_eq!(listed, ips);
        let mut without_status = pod();
        without_status.status = None;
        let narrowed = super::narrowed(&without_status, "main", &ips).expect("main");
        assert_eq!(
            narrowed.status.and_then(|s| s.pod_ip).as_deref(),
            Some("10.88.0.7")
        );
    }

    #[test]
    fn every_kind_of_container_is_picked_as_a_container() {
        let pod = pod();
        assert_eq!(pick(&pod, "init").map(|c| c.name), Some("init".into()));
        let main = pick(&pod, "main").expect("main");
        assert_eq!(main.args, Some(vec!["$(URL)".to_owned()]));
        let debug = pick(&pod, "debug").expect("an ephemeral container");
        assert_eq!(debug.image.as_deref(), Some("busybox"));
        assert_eq!(debug.env.map(|e| e.len()), Some(1));
        assert_eq!(pick(&pod, "nope"), None);
    }

    #[test]
    fn statuses_follow_the_retry_table() {
        let missing = ContainerEnvError::NoContainer {
            pod: "ns/p".into(),
            container: "x".into(),
        };
        assert_eq!(missing.to_status().code(), tonic::Code::NotFound);
        assert_eq!(missing.to_status().message(), "pod ns/p has no container x");
        let config = ContainerEnvError::Config("couldn't find key url in ConfigMap ns/app".into());
        let status = config.to_status();
        assert_eq!(status.code(), tonic::Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            "couldn't find key url in ConfigMap ns/app",
            "the kubelet's message alone"
        );
    }
}
