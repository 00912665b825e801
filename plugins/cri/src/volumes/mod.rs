//! The volumes whose files the plugin writes from the host's data:
//! `secret`, `configMap`, `projected` (service-account token, configMap,
//! secret and downwardAPI sources: the `kube-api-access-*` volume) and
//! `downwardAPI`. Their files come only from the host callbacks (through
//! the SDK's [`volume_files`]) and are written with the AtomicWriter
//! ([`atomic`]) under `<pod_dir>/volumes/kubernetes.io~<plugin>/<name>`.
//! [`VolumeManager::set_up`] writes them before a pod's first container;
//! [`VolumeManager::refresh`] re-fetches them and swaps changed content, and
//! renews tokens at 80 % of their lifetime (the kubelet's token manager).
//! `set_up` also mounts the tmpfs of `emptyDir` volumes with `medium:
//! Memory` and, as the kubelet backs them with memory, of `secret`,
//! `projected` and `downwardAPI` volumes ([`memory`]), so their data never
//! reaches the disk; it creates `emptyDir` directories; and it applies the
//! pod's `fsGroup` to every volume it makes or writes ([`ownership`]).

pub mod atomic;
pub mod memory;
pub mod ownership;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use k8s_openapi::api::core::v1::{Pod, ProjectedVolumeSource, Volume, VolumeProjection};
use vk_plugin_sdk::{HostClient, VolumeFile, volume_files};

use crate::paths;
use crate::runtime_config::mounts::written_volume_plugin;

/// A volume that cannot be set up yet; the pod's containers wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MountVolume.SetUp failed for volume \"{volume}\" : {message}")]
pub struct SetUpError {
    pub volume: String,
    pub message: String,
}

/// A cached token of one volume: its files and when to renew it.
#[derive(Debug, Clone)]
struct TokenCache {
    files: Vec<VolumeFile>,
    renew_at_unix_seconds: i64,
}

/// Writes and refreshes the host-data volumes of every pod.
#[derive(Debug, Default)]
pub struct VolumeManager {
    host: Option<HostClient>,
    /// Tokens by pod uid and volume name (a token is renewed only when due,
    /// not at every refresh).
    tokens: Mutex<HashMap<String, HashMap<String, TokenCache>>>,
}

fn now_unix_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// When a token fetched at `now` expiring at `expires` is renewed: at 80 %
/// of its lifetime, or after 24 h (`requiresRefresh` in the kubelet).
pub fn renew_at(now: i64, expires: i64) -> i64 {
    let lifetime = (expires - now).max(0);
    now + (lifetime * 8 / 10).min(24 * 3600)
}

/// `volume` with its `serviceAccountToken` sources taken out, and the
/// paths those sources write; `None` when it has none.
fn without_tokens(volume: &Volume) -> Option<(Volume, Vec<String>)> {
    let projected = volume.projected.as_ref()?;
    let sources = projected.sources.as_deref().unwrap_or_default();
    let token_paths: Vec<String> = sources
        .iter()
        .filter_map(|s| s.service_account_token.as_ref().map(|t| t.path.clone()))
        .collect();
    if token_paths.is_empty() {
        return None;
    }
    let rest: Vec<VolumeProjection> = sources
        .iter()
        .filter(|s| s.service_account_token.is_none())
        .cloned()
        .collect();
    let stripped = Volume {
        projected: Some(ProjectedVolumeSource {
            sources: Some(rest),
            ..projected.clone()
        }),
        ..volume.clone()
    };
    Some((stripped, token_paths))
}

/// A `downwardAPI` volume as the equivalent projected volume, which the
/// SDK helper builds (the item type is the same).
fn as_projected(volume: &Volume) -> Volume {
    let Some(downward) = &volume.downward_api else {
        return volume.clone();
    };
    Volume {
        name: volume.name.clone(),
        projected: Some(ProjectedVolumeSource {
            default_mode: downward.default_mode,
            sources: Some(vec![VolumeProjection {
                downward_api: Some(k8s_openapi::api::core::v1::DownwardAPIProjection {
                    items: downward.items.clone(),
                }),
                ..VolumeProjection::default()
            }]),
        }),
        ..Volume::default()
    }
}

impl VolumeManager {
    pub fn new(host: Option<HostClient>) -> Self {
        Self {
            host,
            tokens: Mutex::default(),
        }
    }

    fn tokens(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<String, TokenCache>>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes every host-data volume of `pod` not written yet (a plugin
    /// restart keeps what is on disk) and mounts memory-backed emptyDirs.
    /// The first one that cannot be set up is the error.
    pub async fn set_up(&self, uid: &str, pod: &Pod, pod_dir: &Path) -> Result<(), SetUpError> {
        let fs_group = ownership::fs_group(pod);
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let fail = |message: String| SetUpError {
                volume: volume.name.clone(),
                message,
            };
            if volume.empty_dir.is_some() {
                let dir = paths::empty_dir(pod_dir, &volume.name);
                let made = match memory::tmpfs_size(volume) {
                    Some(size) => {
                        let fresh = !memory::is_mount_point(&dir);
                        memory::mount_tmpfs(&dir, "0777", &size.map_err(&fail)?)
                            .await
                            .map_err(&fail)?;
                        fresh
                    }
                    None => make_empty_dir(&dir).map_err(&fail)?,
                };
                // Applied once, when made: later files inherit the group
                // through the set-group-ID directory.
                if made && let Some(group) = fs_group {
                    ownership::apply(&dir, group, false)
                        .map_err(|e| fail(format!("applying fsGroup {group}: {e}")))?;
                }
                continue;
            }
            let Some(plugin) = written_volume_plugin(volume) else {
                continue;
            };
            let dir = paths::volume_dir(pod_dir, plugin, &volume.name);
            if atomic::is_written(&dir) {
                continue;
            }
            if plugin != "configmap" {
                // Secret-bearing volumes live in memory (mode 1777, as the
                // kubelet's memory-backed wrapper leaves its tmpfs).
                memory::mount_tmpfs(&dir, "1777", "").await.map_err(&fail)?;
            }
            self.write_volume(uid, pod, volume, &dir).await?;
            tracing::info!(volume = %volume.name, "volume set up");
        }
        Ok(())
    }

    /// Re-fetches every written host-data volume of `pod` and swaps in
    /// content that changed. A failure keeps the old files (as the kubelet
    /// does) and is logged.
    pub async fn refresh(&self, uid: &str, pod: &Pod, pod_dir: &Path) {
        for volume in pod.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
            let Some(plugin) = written_volume_plugin(volume) else {
                continue;
            };
            let dir = paths::volume_dir(pod_dir, plugin, &volume.name);
            if !atomic::is_written(&dir) {
                continue;
            }
            match self.write_volume(uid, pod, volume, &dir).await {
                Ok(true) => tracing::info!(volume = %volume.name, "volume content updated"),
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(volume = %volume.name, error = %error, "volume refresh failed; the old content stays")
                }
            }
        }
    }

    /// Forgets the cached tokens of pods not in `held`.
    pub fn retain(&self, held: &[String]) {
        self.tokens().retain(|uid, _| held.contains(uid));
    }

    /// Builds and writes one volume; true when its content changed.
    async fn write_volume(
        &self,
        uid: &str,
        pod: &Pod,
        volume: &Volume,
        dir: &Path,
    ) -> Result<bool, SetUpError> {
        let fail = |message: String| SetUpError {
            volume: volume.name.clone(),
            message,
        };
        let host = self.host.as_ref().ok_or_else(|| {
            fail("vk-cri-plugin has no connection to the host's callbacks".into())
        })?;
        let volume = as_projected(volume);
        let now = now_unix_seconds();
        let cached = self
            .tokens()
            .get(uid)
            .and_then(|v| v.get(&volume.name))
            .filter(|t| now < t.renew_at_unix_seconds)
            .cloned();
        let build = match (&cached, without_tokens(&volume)) {
            (Some(cache), Some((stripped, _))) => volume_files(host, pod, &stripped)
                .await
                .map(|built| built.map(|(files, _)| (files, Some(cache.clone())))),
            (_, token_paths) => volume_files(host, pod, &volume).await.map(|built| {
                built.map(|(files, versions)| {
                    let cache = token_paths.zip(versions.token_expires_unix_seconds).map(
                        |((_, paths), expires)| TokenCache {
                            files: files
                                .iter()
                                .filter(|f| paths.contains(&f.path))
                                .cloned()
                                .collect(),
                            renew_at_unix_seconds: renew_at(now, expires),
                        },
                    );
                    (files, cache)
                })
            }),
        };
        let (mut files, cache) = match build {
            Ok(Some(built)) => built,
            Ok(None) => return Ok(false),
            Err(status) => return Err(fail(status.message().to_owned())),
        };
        if let Some(cache) = cache {
            if cached.is_some() {
                files.extend(cache.files.iter().cloned());
            }
            self.tokens()
                .entry(uid.to_owned())
                .or_default()
                .insert(volume.name.clone(), cache);
        }
        let changed = atomic::write(dir, &files).map_err(|e| fail(format!("{e:#}")))?;
        if changed && let Some(group) = ownership::fs_group(pod) {
            ownership::apply(dir, group, true)
                .map_err(|e| fail(format!("applying fsGroup {group}: {e}")))?;
        }
        Ok(changed)
    }
}

/// Creates an emptyDir's directory (mode 0777, as the kubelet's); true
/// when it did not exist.
fn make_empty_dir(dir: &Path) -> Result<bool, String> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    if dir.is_dir() {
        return Ok(false);
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o777)
        .create(dir)
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)))
        .map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    #[test]
    fn tokens_are_renewed_at_eighty_percent_or_a_day() {
        assert_eq!(renew_at(1000, 1000 + 3600), 1000 + 2880);
        assert_eq!(renew_at(0, 10 * 24 * 3600), 24 * 3600);
        assert_eq!(renew_at(1000, 900), 1000);
    }

    #[test]
    fn token_sources_are_split_off() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "volumes": [{"name": "kube-api-access-x", "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}
            ]}}],
            "containers": [{"name": "app"}]
        }}));
        let volume = &pod
            .spec
            .as_ref()
            .expect("spec")
            .volumes
            .as_ref()
            .expect("volumes")[0];
        let (stripped, paths) = without_tokens(volume).expect("has a token");
        assert_eq!(paths, vec!["token".to_owned()]);
        let projected = stripped.projected.expect("projected");
        assert_eq!(projected.default_mode, Some(420));
        let sources = projected.sources.expect("sources");
        assert_eq!(sources.len(), 2);
        assert!(sources.iter().all(|s| s.service_account_token.is_none()));
        let plain = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "volumes": [{"name": "c", "configMap": {"name": "c"}}],
            "containers": [{"name": "app"}]
        }}));
        let volume = &plain
            .spec
            .as_ref()
            .expect("spec")
            .volumes
            .as_ref()
            .expect("volumes")[0];
        assert!(without_tokens(volume).is_none());
    }

    #[test]
    fn downward_api_volumes_become_projected() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "volumes": [{"name": "info", "downwardAPI": {"defaultMode": 384, "items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}
            ]}}],
            "containers": [{"name": "app"}]
        }}));
        let volume = &pod
            .spec
            .as_ref()
            .expect("spec")
            .volumes
            .as_ref()
            .expect("volumes")[0];
        let projected = as_projected(volume).projected.expect("projected");
        assert_eq!(projected.default_mode, Some(384));
        let sources = projected.sources.expect("sources");
        let items = sources[0]
            .downward_api
            .as_ref()
            .and_then(|d| d.items.as_ref())
            .expect("items");
        assert_eq!(items[0].path, "labels");
    }
}
