//! Volumes and container mounts (`makeMounts`): where each pod volume lives
//! on the node, and the CRI mounts of a container's `volumeMounts`, with
//! `subPath`/`subPathExpr`, read-only and mount propagation.
//!
//! Supported volume kinds: `emptyDir` (a directory in the pod's state
//! directory; with `medium: Memory` a tmpfs mounted there by
//! [`crate::volumes::memory`]), `hostPath` (the path
//! as given; its `type` is not yet checked), and the kinds whose files the
//! plugin writes from the host's data (`secret`, `configMap`, `projected`,
//! `downwardAPI`: see [`crate::volumes`]), which are always mounted
//! read-only as the kubelet mounts them. Every other kind is refused by
//! name, never silently skipped.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use k8s_cri::v1::{Mount, MountPropagation};
use k8s_openapi::api::core::v1::{Container, Pod, Volume};

use super::expansion::expand;
use crate::paths;

/// A volume or mount that cannot be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MountError {
    #[error("volume {volume:?} is a {kind} volume, which vk-cri-plugin does not support yet")]
    UnsupportedVolume { volume: String, kind: String },
    #[error("container {container:?} mounts volume {volume:?}, which the pod does not define")]
    UnknownVolume { container: String, volume: String },
    #[error(
        "container {container:?} mounts volume {volume:?} with subPath {sub_path:?}, which must be \
         a relative path without '..'"
    )]
    BadSubPath {
        container: String,
        volume: String,
        sub_path: String,
    },
}

/// The node directory or file of every volume of `pod`, whose state
/// directory is `pod_dir`.
pub fn volume_host_paths(
    pod: &Pod,
    pod_dir: &Path,
) -> Result<BTreeMap<String, PathBuf>, MountError> {
    let volumes = pod.spec.as_ref().and_then(|s| s.volumes.as_ref());
    volumes
        .into_iter()
        .flatten()
        .map(|volume| Ok((volume.name.clone(), volume_host_path(volume, pod_dir)?)))
        .collect()
}

fn volume_host_path(volume: &Volume, pod_dir: &Path) -> Result<PathBuf, MountError> {
    if volume.empty_dir.is_some() {
        return Ok(paths::empty_dir(pod_dir, &volume.name));
    }
    if let Some(host_path) = &volume.host_path {
        return Ok(PathBuf::from(&host_path.path));
    }
    if let Some(plugin) = written_volume_plugin(volume) {
        return Ok(paths::volume_dir(pod_dir, plugin, &volume.name));
    }
    Err(MountError::UnsupportedVolume {
        volume: volume.name.clone(),
        kind: volume_kind(volume),
    })
}

/// The kubelet volume plugin of a volume whose files the plugin writes
/// (`secret`, `configmap`, `projected`, `downward-api`), else `None`.
pub fn written_volume_plugin(volume: &Volume) -> Option<&'static str> {
    if volume.secret.is_some() {
        Some("secret")
    } else if volume.config_map.is_some() {
        Some("configmap")
    } else if volume.projected.is_some() {
        Some("projected")
    } else if volume.downward_api.is_some() {
        Some("downward-api")
    } else {
        None
    }
}

/// The volume source's field name (`configMap`, `secret`, ...), from JSON
/// so that every kind the API knows is named correctly.
fn volume_kind(volume: &Volume) -> String {
    serde_json::to_value(volume)
        .ok()
        .and_then(|value| {
            value
                .as_object()?
                .keys()
                .find(|key| key.as_str() != "name")
                .cloned()
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The CRI mounts of `container`'s `volumeMounts`, given each volume's host
/// path. `subPathExpr` is expanded against the container's (resolved)
/// environment. Volumes of `pod` whose files the plugin writes are mounted
/// read-only whatever the mount says (the kubelet's `mustMountRO`).
pub fn container_mounts(
    pod: &Pod,
    container: &Container,
    volumes: &BTreeMap<String, PathBuf>,
) -> Result<Vec<Mount>, MountError> {
    let written: Vec<&str> = pod
        .spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten())
        .filter(|v| written_volume_plugin(v).is_some())
        .map(|v| v.name.as_str())
        .collect();
    let env: BTreeMap<&str, &str> = container
        .env
        .iter()
        .flatten()
        .map(|e| (e.name.as_str(), e.value.as_deref().unwrap_or_default()))
        .collect();
    container
        .volume_mounts
        .iter()
        .flatten()
        .map(|mount| {
            let volume_path =
                volumes
                    .get(&mount.name)
                    .ok_or_else(|| MountError::UnknownVolume {
                        container: container.name.clone(),
                        volume: mount.name.clone(),
                    })?;
            let sub_path = match (&mount.sub_path, &mount.sub_path_expr) {
                (Some(sub), _) if !sub.is_empty() => sub.clone(),
                (_, Some(expr)) if !expr.is_empty() => {
                    expand(expr, |name| env.get(name).map(|v| (*v).to_owned()))
                }
                _ => String::new(),
            };
            let host_path = if sub_path.is_empty() {
                volume_path.clone()
            } else {
                if !is_safe_sub_path(&sub_path) {
                    return Err(MountError::BadSubPath {
                        container: container.name.clone(),
                        volume: mount.name.clone(),
                        sub_path,
                    });
                }
                volume_path.join(&sub_path)
            };
            let read_only =
                mount.read_only.unwrap_or(false) || written.contains(&mount.name.as_str());
            Ok(Mount {
                container_path: mount.mount_path.clone(),
                host_path: host_path.display().to_string(),
                readonly: read_only,
                recursive_read_only: read_only
                    && mount.recursive_read_only.as_deref() == Some("Enabled"),
                propagation: propagation(mount.mount_propagation.as_deref()) as i32,
                ..Mount::default()
            })
        })
        .collect()
}

/// The bind mount of a container instance's termination-message file.
pub fn termination_message_mount(container: &Container, host_file: &Path) -> Mount {
    Mount {
        container_path: container
            .termination_message_path
            .clone()
            .unwrap_or_else(|| "/dev/termination-log".into()),
        host_path: host_file.display().to_string(),
        ..Mount::default()
    }
}

fn propagation(mode: Option<&str>) -> MountPropagation {
    match mode {
        Some("HostToContainer") => MountPropagation::PropagationHostToContainer,
        Some("Bidirectional") => MountPropagation::PropagationBidirectional,
        _ => MountPropagation::PropagationPrivate,
    }
}

/// Relative, and never leaving the volume.
fn is_safe_sub_path(sub_path: &str) -> bool {
    let path = Path::new(sub_path);
    !path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    fn pod() -> Pod {
        pod_from_json(json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u-1"},
            "spec": {
                "volumes": [
                    {"name": "cache", "emptyDir": {}},
                    {"name": "host", "hostPath": {"path": "/srv/data", "type": "Directory"}}
                ],
                "containers": [{
                    "name": "app",
                    "env": [{"name": "POD_NAME", "value": "p"}],
                    "volumeMounts": [
                        {"name": "cache", "mountPath": "/cache"},
                        {"name": "host", "mountPath": "/data", "readOnly": true, "recursiveReadOnly": "Enabled"},
                        {"name": "host", "mountPath": "/logs", "subPathExpr": "logs/$(POD_NAME)", "mountPropagation": "HostToContainer"},
                        {"name": "cache", "mountPath": "/tmp/x", "subPath": "x"}
                    ]
                }]
            }
        }))
    }

    #[test]
    fn volumes_and_mounts() {
        let pod = pod();
        let volumes = volume_host_paths(&pod, Path::new("/state/pods/u-1")).expect("volumes");
        assert_eq!(
            volumes["cache"],
            Path::new("/state/pods/u-1/volumes/kubernetes.io~empty-dir/cache")
        );
        assert_eq!(volumes["host"], Path::new("/srv/data"));
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        let mounts = container_mounts(&pod, container, &volumes).expect("mounts");
        let summary: Vec<(&str, &str, bool, bool, i32)> = mounts
            .iter()
            .map(|m| {
                (
                    m.container_path.as_str(),
                    m.host_path.as_str(),
                    m.readonly,
                    m.recursive_read_only,
                    m.propagation,
                )
            })
            .collect();
        let private = MountPropagation::PropagationPrivate as i32;
        assert_eq!(
            summary,
            vec![
                (
                    "/cache",
                    "/state/pods/u-1/volumes/kubernetes.io~empty-dir/cache",
                    false,
                    false,
                    private
                ),
                ("/data", "/srv/data", true, true, private),
                (
                    "/logs",
                    "/srv/data/logs/p",
                    false,
                    false,
                    MountPropagation::PropagationHostToContainer as i32
                ),
                (
                    "/tmp/x",
                    "/state/pods/u-1/volumes/kubernetes.io~empty-dir/cache/x",
                    false,
                    false,
                    private
                ),
            ]
        );
    }

    #[test]
    fn unsupported_volumes_are_named() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "volumes": [{"name": "claim", "persistentVolumeClaim": {"claimName": "c"}}],
            "containers": [{"name": "app"}]
        }}));
        let error = volume_host_paths(&pod, Path::new("/s")).expect_err("claim");
        assert_eq!(
            error.to_string(),
            "volume \"claim\" is a persistentVolumeClaim volume, which vk-cri-plugin does not support yet"
        );
    }

    #[test]
    fn written_volumes_have_kubelet_directories_and_mount_read_only() {
        let pod = pod_from_json(json!({"metadata": {"name": "p", "uid": "u"}, "spec": {
            "volumes": [
                {"name": "kube-api-access-x", "projected": {"sources": []}},
                {"name": "s", "secret": {"secretName": "s"}},
                {"name": "c", "configMap": {"name": "c"}},
                {"name": "d", "downwardAPI": {"items": []}}
            ],
            "containers": [{"name": "app", "volumeMounts": [
                {"name": "kube-api-access-x", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"},
                {"name": "c", "mountPath": "/etc/app.conf", "subPath": "app.conf", "readOnly": false}
            ]}]
        }}));
        let volumes = volume_host_paths(&pod, Path::new("/s")).expect("volumes");
        for (name, dir) in [
            ("kube-api-access-x", "kubernetes.io~projected"),
            ("s", "kubernetes.io~secret"),
            ("c", "kubernetes.io~configmap"),
            ("d", "kubernetes.io~downward-api"),
        ] {
            assert_eq!(volumes[name], Path::new("/s/volumes").join(dir).join(name));
        }
        let container = &pod.spec.as_ref().expect("spec").containers[0];
        let mounts = container_mounts(&pod, container, &volumes).expect("mounts");
        assert!(mounts.iter().all(|m| m.readonly), "{mounts:?}");
        assert_eq!(
            mounts[1].host_path,
            "/s/volumes/kubernetes.io~configmap/c/app.conf"
        );
    }

    #[test]
    fn bad_mounts() {
        let volumes = BTreeMap::from([("v".to_owned(), PathBuf::from("/v"))]);
        let container = |mount: serde_json::Value| -> Container {
            serde_json::from_value(json!({"name": "c", "volumeMounts": [mount]}))
                .expect("container")
        };
        let pod = Pod::default();
        let unknown = container_mounts(
            &pod,
            &container(json!({"name": "w", "mountPath": "/w"})),
            &volumes,
        );
        assert!(matches!(unknown, Err(MountError::UnknownVolume { .. })));
        for sub_path in ["../etc", "/etc", "a/../../b"] {
            let outcome = container_mounts(
                &pod,
                &container(json!({"name": "v", "mountPath": "/w", "subPath": sub_path})),
                &volumes,
            );
            assert!(
                matches!(outcome, Err(MountError::BadSubPath { .. })),
                "{sub_path}"
            );
        }
    }

    #[test]
    fn termination_message_file() {
        let container: Container = serde_json::from_value(json!({"name": "c"})).expect("container");
        let mount = termination_message_mount(&container, Path::new("/s/containers/c/0a1b2c3d"));
        assert_eq!(mount.container_path, "/dev/termination-log");
        assert_eq!(mount.host_path, "/s/containers/c/0a1b2c3d");
        assert!(!mount.readonly);
    }
}
