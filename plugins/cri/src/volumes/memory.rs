//! Memory-backed volumes: a tmpfs mounted on the volume's directory before
//! the pod's sandbox runs, for emptyDir volumes with `medium: Memory` (size
//! `sizeLimit` when given, else tmpfs's default of half the node's memory)
//! and for secret, projected and downwardAPI volumes; every one is
//! unmounted before the pod's state directory is removed. Uses the node's
//! `mount`/`umount`.

use std::os::unix::fs::MetadataExt as _;
use std::path::Path;

use k8s_openapi::api::core::v1::Volume;

/// `Some(size option)` for a memory-backed emptyDir (`""` without a
/// `sizeLimit`), else `None`.
pub fn tmpfs_size(volume: &Volume) -> Option<Result<String, String>> {
    let empty_dir = volume.empty_dir.as_ref()?;
    if empty_dir.medium.as_deref() != Some("Memory") {
        return None;
    }
    Some(match &empty_dir.size_limit {
        None => Ok(String::new()),
        Some(limit) => crate::quantity::value(limit)
            .map(|bytes| format!(",size={bytes}"))
            .map_err(|e| format!("sizeLimit {:?}: {e}", limit.0)),
    })
}

/// Whether `path` is a mount point (its device differs from its parent's).
pub fn is_mount_point(path: &Path) -> bool {
    let (Ok(own), Some(Ok(parent))) = (
        std::fs::symlink_metadata(path),
        path.parent().map(std::fs::symlink_metadata),
    ) else {
        return false;
    };
    own.is_dir() && own.dev() != parent.dev()
}

/// Mounts a tmpfs with root directory `mode` (octal, e.g. `0777` as the
/// kubelet's emptyDir) and `size_option` (`,size=N` or empty) on `dir`,
/// creating it, unless one is mounted there already.
pub async fn mount_tmpfs(dir: &Path, mode: &str, size_option: &str) -> Result<(), String> {
    if is_mount_point(dir) {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let output = tokio::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o"])
        .arg(format!("mode={mode}{size_option}"))
        .arg("tmpfs")
        .arg(dir)
        .output()
        .await
        .map_err(|e| format!("running mount: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "mount -t tmpfs on {} failed ({}): {}",
            dir.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Unmounts every tmpfs volume under `pod_dir` (before it is removed).
pub fn unmount_all(pod_dir: &Path) {
    let Ok(plugins) = std::fs::read_dir(pod_dir.join("volumes")) else {
        return;
    };
    let volumes = plugins
        .flatten()
        .filter_map(|plugin| std::fs::read_dir(plugin.path()).ok())
        .flat_map(|volumes| volumes.flatten());
    for entry in volumes {
        let path = entry.path();
        if !is_mount_point(&path) {
            continue;
        }
        match std::process::Command::new("umount").arg(&path).output() {
            Ok(output) if output.status.success() => {}
            Ok(output) => tracing::warn!(
                path = %path.display(),
                error = %String::from_utf8_lossy(&output.stderr).trim(),
                "cannot unmount a memory-backed volume"
            ),
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "cannot run umount")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_pods::pod_from_json;
    use serde_json::json;

    #[test]
    fn memory_empty_dirs_and_their_size() {
        let pod = pod_from_json(json!({"metadata": {"name": "p"}, "spec": {
            "volumes": [
                {"name": "a", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
                {"name": "b", "emptyDir": {"medium": "Memory"}},
                {"name": "c", "emptyDir": {}},
                {"name": "d", "configMap": {"name": "d"}}
            ],
            "containers": [{"name": "app"}]
        }}));
        let sizes: Vec<Option<Result<String, String>>> = pod
            .spec
            .iter()
            .flat_map(|s| s.volumes.iter().flatten())
            .map(tmpfs_size)
            .collect();
        assert_eq!(
            sizes,
            vec![
                Some(Ok(",size=67108864".into())),
                Some(Ok(String::new())),
                None,
                None
            ]
        );
    }

    #[test]
    fn a_plain_directory_is_not_a_mount_point() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dir = temp.path().join("d");
        std::fs::create_dir(&dir).expect("mkdir");
        assert!(!is_mount_point(&dir));
        assert!(!is_mount_point(&temp.path().join("missing")));
        assert!(is_mount_point(Path::new("/proc")));
    }
}
