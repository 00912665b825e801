//! The pods the plugin holds, on disk: `<root_dir>/pods/<uid>/pod.json`
//! (0600 in 0700 directories), and beside it `resources.json`, the
//! resources allocated to its containers and applied to their instances
//! (in-place resize), and `probes.json`, its containers' published
//! readiness and startup results. After a restart the plugin reports these pods
//! (GetPods) and adopts their containers from the runtime by label.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Pod;

use crate::paths;
use crate::probes::ProbeCheckpoint;
use crate::resize::ResourceState;

/// A pod file that cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("writing {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a pod: {source}")]
    Decode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

const POD_FILE: &str = "pod.json";
const RESOURCES_FILE: &str = "resources.json";
const PROBES_FILE: &str = "probes.json";

/// Creates `dir` and its missing parents with mode 0700.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Writes `pod` to `<root_dir>/pods/<uid>/pod.json`, atomically (a
/// temporary file renamed over the old one).
pub fn save(root_dir: &Path, uid: &str, pod: &Pod) -> Result<(), StoreError> {
    write_json(root_dir, uid, POD_FILE, pod)
}

/// Writes the pod's allocated and applied resources to
/// `<root_dir>/pods/<uid>/resources.json` (the kubelet's allocation
/// checkpoint), atomically.
pub fn save_resources(root_dir: &Path, uid: &str, state: &ResourceState) -> Result<(), StoreError> {
    write_json(root_dir, uid, RESOURCES_FILE, state)
}

/// The pod's resources as last saved; empty when none were.
pub fn load_resources(root_dir: &Path, uid: &str) -> Result<ResourceState, StoreError> {
    read_json(root_dir, uid, RESOURCES_FILE)
}

/// Writes the pod's published readiness and startup results to
/// `<root_dir>/pods/<uid>/probes.json`, atomically; nothing when the pod's
/// directory is gone (the pod was forgotten meanwhile).
pub fn save_probes(
    root_dir: &Path,
    uid: &str,
    checkpoint: &ProbeCheckpoint,
) -> Result<(), StoreError> {
    if !paths::pod_dir(root_dir, uid).is_dir() {
        return Ok(());
    }
    write_json(root_dir, uid, PROBES_FILE, checkpoint)
}

/// The pod's probe results as last saved; empty when none were.
pub fn load_probes(root_dir: &Path, uid: &str) -> Result<ProbeCheckpoint, StoreError> {
    read_json(root_dir, uid, PROBES_FILE)
}

fn read_json<T: serde::de::DeserializeOwned + Default>(
    root_dir: &Path,
    uid: &str,
    name: &str,
) -> Result<T, StoreError> {
    let path = paths::pod_dir(root_dir, uid).join(name);
    match std::fs::read(&path) {
        Ok(text) => {
            serde_json::from_slice(&text).map_err(|source| StoreError::Decode { path, source })
        }
        Err(source) if source.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(source) => Err(StoreError::Read { path, source }),
    }
}

fn write_json(
    root_dir: &Path,
    uid: &str,
    name: &str,
    value: &impl serde::Serialize,
) -> Result<(), StoreError> {
    let dir = paths::pod_dir(root_dir, uid);
    let path = dir.join(name);
    let write = || -> std::io::Result<()> {
        private_dir(&dir)?;
        let temporary = dir.join(format!(".{name}.tmp"));
        let json = serde_json::to_vec(value).map_err(std::io::Error::other)?;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
    };
    write().map_err(|source| StoreError::Write {
        path: path.clone(),
        source,
    })
}

/// Every stored pod; a file that cannot be read is reported and skipped.
pub fn load_all(root_dir: &Path) -> (Vec<Pod>, Vec<StoreError>) {
    let mut pods = Vec::new();
    let mut errors = Vec::new();
    let Ok(entries) = std::fs::read_dir(root_dir.join("pods")) else {
        return (pods, errors);
    };
    for entry in entries.flatten() {
        let path = entry.path().join(POD_FILE);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => {
                errors.push(StoreError::Read { path, source });
                continue;
            }
        };
        match serde_json::from_slice(&text) {
            Ok(pod) => pods.push(pod),
            Err(source) => errors.push(StoreError::Decode { path, source }),
        }
    }
    (pods, errors)
}

/// Removes the pod's state directory (pod file, emptyDir volumes,
/// termination-message files).
pub fn remove(root_dir: &Path, uid: &str) -> std::io::Result<()> {
    // A tmpfs left mounted would keep the directory (EBUSY).
    crate::volumes::memory::unmount_all(&paths::pod_dir(root_dir, uid));
    match std::fs::remove_dir_all(paths::pod_dir(root_dir, uid)) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::test_pods::pod_from_json;

    #[test]
    fn saved_pods_load_back_privately() {
        let root = tempfile::tempdir().expect("temp dir");
        let pod = pod_from_json(serde_json::json!({
            "metadata": {"name": "p", "namespace": "n", "uid": "u-1"},
            "spec": {"containers": [{"name": "app", "image": "busybox"}]}
        }));
        save(root.path(), "u-1", &pod).expect("save");
        save(root.path(), "u-1", &pod).expect("save again");
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        let dir = paths::pod_dir(root.path(), "u-1");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&root.path().join("pods")), 0o700);
        assert_eq!(mode(&dir.join(POD_FILE)), 0o600);
        let (pods, errors) = load_all(root.path());
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(pods, vec![pod]);
        std::fs::create_dir(root.path().join("pods/bad")).expect("mkdir");
        std::fs::write(root.path().join("pods/bad/pod.json"), "{").expect("write");
        let (pods, errors) = load_all(root.path());
        assert_eq!((pods.len(), errors.len()), (1, 1));
        assert_eq!(
            load_resources(root.path(), "u-1").expect("none yet"),
            ResourceState::default()
        );
        let mut state = ResourceState::default();
        state.allocated.insert("app".into(), Default::default());
        save_resources(root.path(), "u-1", &state).expect("save resources");
        assert_eq!(load_resources(root.path(), "u-1").expect("load"), state);
        let (pods, _) = load_all(root.path());
        assert_eq!(pods.len(), 1, "resources.json is no pod");
        remove(root.path(), "u-1").expect("remove");
        remove(root.path(), "u-1").expect("remove twice");
        assert!(!dir.exists());
    }
}
