//! What one resolution reads from the cluster, decided before it is
//! fetched: [`needed`] names, from the pod alone, each Secret and ConfigMap
//! the pod's env references (the walk is `crate::pod_references`) and
//! whether it needs the Node's addresses or allocatable; [`fetch`] reads
//! them (one GET by name, as the kubelet's per-pod maps do; no cache, no
//! watch).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod, Secret};
use kube::Api;

use crate::pod_references::{self, Reference};

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

/// What the env of a pod reads from the cluster.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Needed {
    /// Secrets named by `secretKeyRef` or `envFrom.secretRef`, in the pod's
    /// namespace.
    pub secrets: BTreeSet<String>,
    /// ConfigMaps named by `configMapKeyRef` or `envFrom.configMapRef`.
    pub config_maps: BTreeSet<String>,
    /// Some env entry reads `status.hostIP(s)` (the Node's InternalIPs until
    /// the pod has its own) or a `resourceFieldRef` (the Node's allocatable
    /// stands in for a missing limit).
    pub node: bool,
}

/// What the env of every container of `pod` reads. Pure.
pub fn needed(pod: &Pod) -> Needed {
    let mut needed = Needed::default();
    let Some(spec) = pod.spec.as_ref() else {
        return needed;
    };
    for reference in pod_references::in_environments(spec) {
        match reference {
            Reference::Secret(name) => needed.secrets.insert(name.to_owned()),
            Reference::ConfigMap(name) => needed.config_maps.insert(name.to_owned()),
        };
    }
    needed.node = pod_references::environments(spec)
        .flat_map(|(env, _)| env)
        .filter_map(|var| var.value_from.as_ref())
        .any(|from| {
            let host_ip = from
                .field_ref
                .as_ref()
                .is_some_and(|f| f.field_path.starts_with("status.hostIP"));
            host_ip || from.resource_field_ref.is_some()
        });
    needed
}

/// Reads what [`needed`] named, Secrets and ConfigMaps from `namespace`, the
/// Node `node`.
pub async fn fetch(
    client: &kube::Client,
    node: &str,
    namespace: &str,
    needed: &Needed,
) -> Result<Sources, kube::Error> {
    let mut sources = Sources::default();
    let secret_api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for name in &needed.secrets {
        let data = secret_api.get_opt(name).await?.map(|secret| {
            secret
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(key, value)| (key, String::from_utf8_lossy(&value.0).into_owned()))
                .collect()
        });
        sources.secrets.insert(name.clone(), data);
    }
    let config_map_api: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    for name in &needed.config_maps {
        let data = config_map_api
            .get_opt(name)
            .await?
            .map(|map| map.data.unwrap_or_default());
        sources.config_maps.insert(name.clone(), data);
    }
    if needed.node
        && let Some(node) = Api::<Node>::all(client.clone()).get_opt(node).await?
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(spec: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": spec,
        }))
        .expect("a pod")
    }

    #[test]
    fn the_env_needs_what_it_references_and_the_node_when_it_reads_it() {
        let names = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>();
        let with_refs = pod(serde_json::json!({
            "initContainers": [{"name": "i",
                "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s-init", "key": "k"}}}]}],
            "containers": [{"name": "c",
                "env": [{"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c-env", "key": "k"}}},
                        {"name": "C", "value": "plain"}],
                "envFrom": [{"secretRef": {"name": "s-from"}}, {"configMapRef": {"name": "c-from"}}]}],
            "ephemeralContainers": [{"name": "e",
                "envFrom": [{"secretRef": {"name": "s-ephemeral"}}]}],
            "volumes": [{"name": "v", "secret": {"secretName": "s-volume"}}],
            "imagePullSecrets": [{"name": "s-pull"}],
        }));
        let needed = needed(&with_refs);
        assert_eq!(names(&needed.secrets), ["s-ephemeral", "s-from", "s-init"]);
        assert_eq!(names(&needed.config_maps), ["c-env", "c-from"]);
        assert!(!needed.node, "nothing reads the Node");

        for (value_from, reads_node) in [
            (
                serde_json::json!({"fieldRef": {"fieldPath": "status.hostIP"}}),
                true,
            ),
            (
                serde_json::json!({"fieldRef": {"fieldPath": "status.hostIPs"}}),
                true,
            ),
            (
                serde_json::json!({"resourceFieldRef": {"resource": "limits.cpu"}}),
                true,
            ),
            (
                serde_json::json!({"fieldRef": {"fieldPath": "status.podIP"}}),
                false,
            ),
            (
                serde_json::json!({"fieldRef": {"fieldPath": "metadata.name"}}),
                false,
            ),
        ] {
            let pod = pod(serde_json::json!({"containers": [{"name": "c",
                "env": [{"name": "X", "valueFrom": value_from.clone()}]}]}));
            assert_eq!(super::needed(&pod).node, reads_node, "{value_from}");
        }
        let no_spec = Pod::default();
        assert_eq!(super::needed(&no_spec), Needed::default());
    }
}
