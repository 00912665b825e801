//! The one walk over a pod spec for the Secrets and ConfigMaps it names:
//! in the `env` and `envFrom` of every container (init, regular,
//! ephemeral), in volumes and in `imagePullSecrets`. The callback rules
//! (`callbacks::references`) count all of them; env resolution
//! (`pods::env`) reads those of the environments. Pure.

use k8s_openapi::api::core::v1::{EnvFromSource, EnvVar, PodSpec, Volume, VolumeProjection};

/// An object a pod spec names, in the pod's own namespace. The name is as
/// written (empty when the spec leaves it so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference<'a> {
    Secret(&'a str),
    ConfigMap(&'a str),
}

impl<'a> Reference<'a> {
    /// The Secret's name, for a Secret.
    pub fn secret(self) -> Option<&'a str> {
        match self {
            Self::Secret(name) => Some(name),
            Self::ConfigMap(_) => None,
        }
    }

    /// The ConfigMap's name, for a ConfigMap.
    pub fn config_map(self) -> Option<&'a str> {
        match self {
            Self::ConfigMap(name) => Some(name),
            Self::Secret(_) => None,
        }
    }
}

/// `env` and `envFrom` of one container.
pub type Environment<'a> = (&'a [EnvVar], &'a [EnvFromSource]);

/// Every reference of the spec: [`in_environments`], then volumes (`secret`,
/// `configMap`, `projected` sources, the volume plugins' secret references),
/// then `imagePullSecrets`.
pub fn all(spec: &PodSpec) -> impl Iterator<Item = Reference<'_>> {
    let volumes = volumes(spec).flat_map(in_volume);
    let pull_secrets = spec
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|pull| Reference::Secret(pull.name.as_str()));
    in_environments(spec).chain(volumes).chain(pull_secrets)
}

/// The references of every container's `env` (`secretKeyRef`,
/// `configMapKeyRef`) and `envFrom` (`secretRef`, `configMapRef`).
pub fn in_environments(spec: &PodSpec) -> impl Iterator<Item = Reference<'_>> {
    environments(spec).flat_map(|(env, env_from)| {
        let vars = env
            .iter()
            .filter_map(|var| var.value_from.as_ref())
            .flat_map(|from| {
                let secret = from
                    .secret_key_ref
                    .as_ref()
                    .map(|r| Reference::Secret(&r.name));
                let map = from
                    .config_map_key_ref
                    .as_ref()
                    .map(|r| Reference::ConfigMap(&r.name));
                secret.into_iter().chain(map)
            });
        let sources = env_from.iter().flat_map(|source| {
            let secret = source
                .secret_ref
                .as_ref()
                .map(|r| Reference::Secret(&r.name));
            let map = source
                .config_map_ref
                .as_ref()
                .map(|r| Reference::ConfigMap(&r.name));
            secret.into_iter().chain(map)
        });
        vars.chain(sources)
    })
}

/// `env` and `envFrom` of every container of every kind: init, regular,
/// ephemeral.
pub fn environments(spec: &PodSpec) -> impl Iterator<Item = Environment<'_>> {
    let regular = spec
        .init_containers
        .iter()
        .flatten()
        .chain(&spec.containers)
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

/// The pod's volumes.
pub fn volumes(spec: &PodSpec) -> impl Iterator<Item = &Volume> {
    spec.volumes.iter().flatten()
}

/// The sources of a `projected` volume (none for another kind).
pub fn projected_sources(volume: &Volume) -> impl Iterator<Item = &VolumeProjection> {
    volume
        .projected
        .iter()
        .flat_map(|p| p.sources.iter().flatten())
}

fn in_volume(volume: &Volume) -> impl Iterator<Item = Reference<'_>> {
    let secret = volume
        .secret
        .as_ref()
        .and_then(|s| s.secret_name.as_deref())
        .map(Reference::Secret);
    let map = volume
        .config_map
        .as_ref()
        .map(|m| Reference::ConfigMap(m.name.as_str()));
    let projected = projected_sources(volume).flat_map(|source| {
        let secret = source.secret.as_ref().map(|r| Reference::Secret(&r.name));
        let map = source
            .config_map
            .as_ref()
            .map(|r| Reference::ConfigMap(&r.name));
        secret.into_iter().chain(map)
    });
    secret
        .into_iter()
        .chain(map)
        .chain(projected)
        .chain(volume_plugin_secrets(volume).map(Reference::Secret))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_once_per_place_and_the_environments_apart() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({
            "initContainers": [{"name": "i",
                "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "s-init", "key": "k"}}}]}],
            "containers": [{"name": "c",
                "env": [{"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c-env", "key": "k"}}},
                        {"name": "C", "value": "plain"},
                        {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                "envFrom": [{"secretRef": {"name": "s-from"}}, {"configMapRef": {"name": "c-from"}}]}],
            "ephemeralContainers": [{"name": "e",
                "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "s-ephemeral", "key": "k"}}}]}],
            "volumes": [
                {"name": "v1", "secret": {"secretName": "s-vol"}},
                {"name": "v2", "configMap": {"name": "c-vol"}},
                {"name": "v3", "projected": {"sources": [
                    {"secret": {"name": "s-proj"}},
                    {"configMap": {"name": "c-proj"}},
                    {"serviceAccountToken": {"path": "token"}}]}},
                {"name": "v4", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "s-csi"}}}],
            "imagePullSecrets": [{"name": "s-pull"}],
        }))
        .expect("a pod spec");
        use Reference::{ConfigMap, Secret};
        let in_env = [
            Secret("s-init"),
            ConfigMap("c-env"),
            Secret("s-from"),
            ConfigMap("c-from"),
            Secret("s-ephemeral"),
        ];
        assert_eq!(in_environments(&spec).collect::<Vec<_>>(), in_env);
        let elsewhere = [
            Secret("s-vol"),
            ConfigMap("c-vol"),
            Secret("s-proj"),
            ConfigMap("c-proj"),
            Secret("s-csi"),
            Secret("s-pull"),
        ];
        let expected: Vec<_> = in_env.into_iter().chain(elsewhere).collect();
        assert_eq!(all(&spec).collect::<Vec<_>>(), expected);
        assert_eq!(environments(&spec).count(), 3, "init, regular, ephemeral");
        assert_eq!(Secret("s").secret(), Some("s"));
        assert_eq!(Secret("s").config_map(), None);
        assert_eq!(ConfigMap("c").config_map(), Some("c"));
        assert_eq!(all(&PodSpec::default()).count(), 0);
    }
}
