//! Where a pod's files live on the node: its log directory (the kubelet's
//! layout, which `kubectl logs` tooling and log shippers expect) and its
//! state directory under the plugin's `root_dir`.

use std::path::{Path, PathBuf};

use crate::labels::PodIdentity;

/// The sandbox's `log_directory`: `<pod_logs_dir>/<ns>_<name>_<uid>`
/// (`BuildPodLogsDirectory`).
pub fn pod_log_dir(pod_logs_dir: &Path, pod: &PodIdentity) -> PathBuf {
    pod_logs_dir.join(format!("{}_{}_{}", pod.namespace, pod.name, pod.uid))
}

/// A container instance's `log_path`, relative to the pod's log directory:
/// `<container>/<restart_count>.log` (`buildContainerLogsPath`). containerd
/// appends to an existing file, so a restart count is never reused.
pub fn container_log_path(container: &str, restart_count: u32) -> String {
    format!("{container}/{restart_count}.log")
}

/// The pod's own state directory: `<root_dir>/pods/<uid>`.
pub fn pod_dir(root_dir: &Path, uid: &str) -> PathBuf {
    root_dir.join("pods").join(uid)
}

/// Where `Localhost` seccomp profiles are looked up: `<root_dir>/seccomp`
/// (the kubelet's is `<root-dir>/seccomp`).
pub fn seccomp_dir(root_dir: &Path) -> PathBuf {
    root_dir.join("seccomp")
}

/// An emptyDir volume's directory, named as the kubelet names it:
/// `<pod_dir>/volumes/kubernetes.io~empty-dir/<volume>`.
pub fn empty_dir(pod_dir: &Path, volume: &str) -> PathBuf {
    volume_dir(pod_dir, "empty-dir", volume)
}

/// A volume's directory for the kubelet volume plugin `plugin` (`secret`,
/// `configmap`, `projected`, `downward-api`, ...):
/// `<pod_dir>/volumes/kubernetes.io~<plugin>/<volume>`.
pub fn volume_dir(pod_dir: &Path, plugin: &str, volume: &str) -> PathBuf {
    pod_dir
        .join("volumes")
        .join(format!("kubernetes.io~{plugin}"))
        .join(volume)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_layout() {
        let pod = PodIdentity {
            namespace: "shop".into(),
            name: "web".into(),
            uid: "u-1".into(),
        };
        assert_eq!(
            pod_log_dir(Path::new("/var/log/pods"), &pod),
            Path::new("/var/log/pods/shop_web_u-1")
        );
        assert_eq!(container_log_path("app", 2), "app/2.log");
        let dir = pod_dir(Path::new("/var/lib/vk-cri"), "u-1");
        assert_eq!(dir, Path::new("/var/lib/vk-cri/pods/u-1"));
        assert_eq!(
            seccomp_dir(Path::new("/var/lib/vk-cri")),
            Path::new("/var/lib/vk-cri/seccomp")
        );
        assert_eq!(
            empty_dir(&dir, "cache"),
            Path::new("/var/lib/vk-cri/pods/u-1/volumes/kubernetes.io~empty-dir/cache")
        );
        assert_eq!(
            volume_dir(&dir, "configmap", "conf"),
            Path::new("/var/lib/vk-cri/pods/u-1/volumes/kubernetes.io~configmap/conf")
        );
    }
}
