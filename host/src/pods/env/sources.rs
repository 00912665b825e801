//! What one resolution reads from the cluster, fetched before anything is
//! decided: each Secret and ConfigMap the pod's env names (one GET by name,
//! as the kubelet's per-pod maps do; no cache, no watch), and the Node when
//! an env needs its addresses or allocatable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{
    ConfigMap, Container, EnvFromSource, EnvVar, EphemeralContainer, Node, Pod, Secret,
};
use kube::Api;

/// The data of one object; `None` when it does not exist.
pub type ObjectData = Option<BTreeMap<String, String>>;

/// Everything the env of one pod can read.
#[derive(Default)]
pub struct Sources {
    pub secrets: HashMap<String, ObjectData>,
    pub config_maps: HashMap<String, ObjectData>,
    /// The Node's InternalIP addresses (for `status.hostIP`).
    pub node_ips: Vec<String>,
    /// The Node's allocatable, when the Node was read.
    pub allocatable:
        Option<BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>,
    /// The master service variables (`KUBERNETES_SERVICE_HOST`, ...), in
    /// order; filled by the caller from [`super::MasterService`].
    pub master_service: Vec<(String, String)>,
}

impl std::fmt::Debug for Sources {
    // Keys and names only: values may be secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("config_maps", &self.config_maps.keys().collect::<Vec<_>>())
            .field("node_ips", &self.node_ips)
            .finish_non_exhaustive()
    }
}

/// The environments of every container of `pod`: (`env`, `envFrom`).
pub fn environments(pod: &Pod) -> Vec<(&[EnvVar], &[EnvFromSource])> {
    let Some(spec) = pod.spec.as_ref() else {
        return Vec::new();
    };
    spec.init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
        .map(of_container)
        .chain(spec.ephemeral_containers.iter().flatten().map(of_ephemeral))
        .collect()
}

fn of_container(c: &Container) -> (&[EnvVar], &[EnvFromSource]) {
    (
        c.env.as_deref().unwrap_or(&[]),
        c.env_from.as_deref().unwrap_or(&[]),
    )
}

fn of_ephemeral(c: &EphemeralContainer) -> (&[EnvVar], &[EnvFromSource]) {
    (
        c.env.as_deref().unwrap_or(&[]),
        c.env_from.as_deref().unwrap_or(&[]),
    )
}

/// Fetches what the env of `pod` needs.
pub async fn fetch(client: &kube::Client, node: &str, pod: &Pod) -> Result<Sources, kube::Error> {
    let namespace = pod.metadata.namespace.as_deref().unwrap_or_default();
    let mut secrets = BTreeSet::new();
    let mut config_maps = BTreeSet::new();
    let mut needs_node = false;
    for (env, env_from) in environments(pod) {
        for source in env_from {
            if let Some(r) = &source.secret_ref {
                secrets.insert(r.name.clone());
            }
            if let Some(r) = &source.config_map_ref {
                config_maps.insert(r.name.clone());
            }
        }
        for var in env {
            let Some(from) = &var.value_from else {
                continue;
            };
            if let Some(r) = &from.secret_key_ref {
                secrets.insert(r.name.clone());
            }
            if let Some(r) = &from.config_map_key_ref {
                config_maps.insert(r.name.clone());
            }
            let host_ip = from
                .field_ref
                .as_ref()
                .is_some_and(|f| f.field_path.starts_with("status.hostIP"));
            needs_node |= host_ip || from.resource_field_ref.is_some();
        }
    }
    let mut sources = Sources::default();
    let secret_api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for name in secrets {
        let data = secret_api.get_opt(&name).await?.map(|secret| {
            secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (key, String::from_utf8_lossy(&value.0).into_owned()))
                .collect()
        });
        sources.secrets.insert(name, data);
    }
    let config_map_api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    for name in config_maps {
        let data = config_map_api
            .get_opt(&name)
            .await?
            .map(|map| map.data.unwrap_or_default());
        sources.config_maps.insert(name, data);
    }
    if needs_node && let Some(node) = Api::<Node>::all(client.clone()).get_opt(node).await? {
        let status = node.status.unwrap_or_default();
        sources.node_ips = status
            .addresses
            .iter()
            .flatten()
            .filter(|a| a.type_ == "InternalIP")
            .map(|a| a.address.clone())
            .collect();
        sources.allocatable = status.allocatable;
    }
    Ok(sources)
}
