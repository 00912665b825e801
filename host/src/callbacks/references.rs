//! What a pod's spec references, the facts the callback rules are decided
//! on: the Secrets and ConfigMaps named anywhere a kubelet would read them,
//! and the service account its tokens are for.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{EnvFromSource, EnvVar, PodSpec, Volume};

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
    let mut names = BTreeSet::new();
    for (env, env_from) in environments(spec) {
        for var in env {
            if let Some(name) = var
                .value_from
                .as_ref()
                .and_then(|from| from.secret_key_ref.as_ref())
                .map(|r| r.name.as_str())
            {
                names.insert(name);
            }
        }
        for source in env_from {
            if let Some(r) = &source.secret_ref {
                names.insert(r.name.as_str());
            }
        }
    }
    for volume in volumes(spec) {
        if let Some(name) = volume
            .secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref())
        {
            names.insert(name);
        }
        for source in projected_sources(volume) {
            if let Some(r) = &source.secret {
                names.insert(r.name.as_str());
            }
        }
        names.extend(volume_plugin_secrets(volume));
    }
    for pull in spec.image_pull_secrets.iter().flatten() {
        names.insert(pull.name.as_str());
    }
    names.remove("");
    names
}

/// The Secrets named by a pod's inline volume-plugin sources, as the Node
/// authorizer's graph counts them (`VisitPodSecretNames`): CSI
/// `nodePublishSecretRef`, `azureFile.secretName` and the `secretRef` of
/// cephfs, rbd, iscsi, flexVolume, cinder, scaleIO and storageos. Inline,
/// these are local references: the pod's own namespace, never another.
/// Secrets named by a PersistentVolume behind a claim (`csi.*SecretRef`,
/// which may name other namespaces) are not counted: the host does not read
/// PVCs or PVs, so a plugin cannot read those Secrets through it.
fn volume_plugin_secrets(volume: &Volume) -> impl Iterator<Item = &str> {
    let refs = [
        volume
            .csi
            .as_ref()
            .and_then(|v| v.node_publish_secret_ref.as_ref()),
        volume.cephfs.as_ref().and_then(|v| v.secret_ref.as_ref()),
        volume.rbd.as_ref().and_then(|v| v.secret_ref.as_ref()),
        volume.iscsi.as_ref().and_then(|v| v.secret_ref.as_ref()),
        volume
            .flex_volume
            .as_ref()
            .and_then(|v| v.secret_ref.as_ref()),
        volume.cinder.as_ref().and_then(|v| v.secret_ref.as_ref()),
        volume.scale_io.as_ref().map(|v| &v.secret_ref),
        volume
            .storageos
            .as_ref()
            .and_then(|v| v.secret_ref.as_ref()),
    ];
    refs.into_iter()
        .flatten()
        .map(|r| r.name.as_str())
        .chain(volume.azure_file.as_ref().map(|v| v.secret_name.as_str()))
}

/// Every ConfigMap the pod names: `env` (`configMapKeyRef`), `envFrom` and
/// volumes (`configMap`, `projected` sources).
pub fn config_maps(spec: &PodSpec) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for (env, env_from) in environments(spec) {
        for var in env {
            if let Some(name) = var
                .value_from
                .as_ref()
                .and_then(|from| from.config_map_key_ref.as_ref())
                .map(|r| r.name.as_str())
            {
                names.insert(name);
            }
        }
        for source in env_from {
            if let Some(r) = &source.config_map_ref {
                names.insert(r.name.as_str());
            }
        }
    }
    for volume in volumes(spec) {
        if let Some(map) = &volume.config_map {
            names.insert(map.name.as_str());
        }
        for source in projected_sources(volume) {
            if let Some(r) = &source.config_map {
                names.insert(r.name.as_str());
            }
        }
    }
    names.remove("");
    names
}

/// The audiences of the pod's `serviceAccountToken` projections, "" for
/// one that names none (the API server's default audience). Empty when the
/// pod projects no token (e.g. `automountServiceAccountToken: false`).
pub fn token_audiences(spec: &PodSpec) -> BTreeSet<&str> {
    volumes(spec)
        .flat_map(projected_sources)
        .filter_map(|source| source.service_account_token.as_ref())
        .map(|token| token.audience.as_deref().unwrap_or(""))
        .collect()
}

type Environment<'a> = (&'a [EnvVar], &'a [EnvFromSource]);

/// `env` and `envFrom` of every container of every kind.
fn environments(spec: &PodSpec) -> impl Iterator<Item = Environment<'_>> {
    let regular = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .map(|c| {
            (
                c.env.as_deref().unwrap_or(&[]),
                c.env_from.as_deref().unwrap_or(&[]),
            )
        });
    let ephemeral = spec.ephemeral_containers.iter().flatten().map(|c| {
        (
            c.env.as_deref().unwrap_or(&[]),
            c.env_from.as_deref().unwrap_or(&[]),
        )
    });
    regular.chain(ephemeral)
}

fn volumes(spec: &PodSpec) -> impl Iterator<Item = &Volume> {
    spec.volumes.iter().flatten()
}

fn projected_sources(
    volume: &Volume,
) -> impl Iterator<Item = &k8s_openapi::api::core::v1::VolumeProjection> {
    volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
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
