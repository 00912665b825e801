//! What a pod's spec references, the facts the callback rules are decided
//! on: the Secrets and ConfigMaps named anywhere a kubelet would read them
//! (found by the one walk of `crate::pod_references`), the service account
//! its tokens are for and the audiences it projects them to.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::PodSpec;

use crate::pod_references::{self, Reference};

/// The service account a pod runs as ("default" when the spec names none,
/// as the API server's admission defaults it).
pub fn service_account(spec: &PodSpec) -> &str {
    spec.service_account_name
        .as_deref()
        .filter(|name| !name.is_empty())
        .unwrap_or("default")
}

/// Every Secret the pod names: `env` (`secretKeyRef`), `envFrom`, volumes
/// (`secret`, `projected` sources, the volume plugins' secret references)
/// and `imagePullSecrets`, for init, regular and ephemeral containers.
pub fn secrets(spec: &PodSpec) -> BTreeSet<&str> {
    let mut names: BTreeSet<&str> = pod_references::all(spec)
        .filter_map(Reference::secret)
        .collect();
    names.remove("");
    names
}

/// Every ConfigMap the pod names: `env` (`configMapKeyRef`), `envFrom` and
/// volumes (`configMap`, `projected` sources).
pub fn config_maps(spec: &PodSpec) -> BTreeSet<&str> {
    let mut names: BTreeSet<&str> = pod_references::all(spec)
        .filter_map(Reference::config_map)
        .collect();
    names.remove("");
    names
}

/// The audiences of the pod's `serviceAccountToken` projections, "" for
/// one that names none (the API server's default audience). Empty when the
/// pod projects no token (e.g. `automountServiceAccountToken: false`).
pub fn token_audiences(spec: &PodSpec) -> BTreeSet<&str> {
    pod_references::volumes(spec)
        .flat_map(pod_references::projected_sources)
        .filter_map(|source| source.service_account_token.as_ref())
        .map(|token| token.audience.as_deref().unwrap_or(""))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(value: serde_json::Value) -> PodSpec {
        serde_json::from_value(value).expect("a pod spec")
    }

    #[test]
    fn every_place_a_kubelet_reads_counts() {
        let spec = spec(serde_json::json!({
            "containers": [{"name": "a",
                "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s-env", "key": "k"}}},
                        {"name": "Y", "valueFrom": {"configMapKeyRef": {"name": "c-env", "key": "k"}}}],
                "envFrom": [{"secretRef": {"name": "s-from"}}, {"configMapRef": {"name": "c-from"}}]}],
            "initContainers": [{"name": "i",
                "env": [{"name": "Z", "valueFrom": {"secretKeyRef": {"name": "s-init", "key": "k"}}}]}],
            "ephemeralContainers": [{"name": "e",
                "envFrom": [{"configMapRef": {"name": "c-ephemeral"}}]}],
            "volumes": [
                {"name": "v1", "secret": {"secretName": "s-vol"}},
                {"name": "v2", "configMap": {"name": "c-vol"}},
                {"name": "v3", "projected": {"sources": [
                    {"secret": {"name": "s-proj"}},
                    {"configMap": {"name": "c-proj"}},
                    {"serviceAccountToken": {"path": "token"}},
                    {"serviceAccountToken": {"path": "t2", "audience": "vault"}}]}}],
            "imagePullSecrets": [{"name": "s-pull"}],
        }));
        assert_eq!(
            secrets(&spec).into_iter().collect::<Vec<_>>(),
            ["s-env", "s-from", "s-init", "s-proj", "s-pull", "s-vol"]
        );
        assert_eq!(
            config_maps(&spec).into_iter().collect::<Vec<_>>(),
            ["c-env", "c-ephemeral", "c-from", "c-proj", "c-vol"]
        );
        assert_eq!(service_account(&spec), "default");
        assert_eq!(
            token_audiences(&spec).into_iter().collect::<Vec<_>>(),
            ["", "vault"]
        );
    }

    #[test]
    fn volume_plugin_secrets_count_as_the_node_authorizer_counts_them() {
        let spec = spec(serde_json::json!({
            "containers": [{"name": "a"}],
            "volumes": [
                {"name": "csi", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "s-csi"}}},
                {"name": "azure", "azureFile": {"secretName": "s-azure", "shareName": "x"}},
                {"name": "ceph", "cephfs": {"monitors": ["m"], "secretRef": {"name": "s-cephfs"}}},
                {"name": "rbd", "rbd": {"monitors": ["m"], "image": "i", "secretRef": {"name": "s-rbd"}}},
                {"name": "iscsi", "iscsi": {"targetPortal": "t", "iqn": "q", "lun": 0,
                                            "secretRef": {"name": "s-iscsi"}}},
                {"name": "flex", "flexVolume": {"driver": "d", "secretRef": {"name": "s-flex"}}},
                {"name": "cinder", "cinder": {"volumeID": "v", "secretRef": {"name": "s-cinder"}}},
                {"name": "scaleio", "scaleIO": {"gateway": "g", "system": "s",
                                                "secretRef": {"name": "s-scaleio"}}},
                {"name": "storageos", "storageos": {"secretRef": {"name": "s-storageos"}}},
                {"name": "csi-no-secret", "csi": {"driver": "d"}},
            ],
        }));
        assert_eq!(
            secrets(&spec).into_iter().collect::<Vec<_>>(),
            [
                "s-azure",
                "s-cephfs",
                "s-cinder",
                "s-csi",
                "s-flex",
                "s-iscsi",
                "s-rbd",
                "s-scaleio",
                "s-storageos"
            ]
        );
        assert!(config_maps(&spec).is_empty());
    }

    #[test]
    fn a_pod_without_references_references_nothing() {
        let spec = spec(serde_json::json!({
            "containers": [{"name": "a", "env": [{"name": "A", "value": "1"}]}],
            "serviceAccountName": "builder",
        }));
        assert!(secrets(&spec).is_empty());
        assert!(config_maps(&spec).is_empty());
        assert!(token_audiences(&spec).is_empty());
        assert_eq!(service_account(&spec), "builder");
    }
}
