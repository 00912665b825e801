//! Where the pinned control-plane binaries live: reads `controlplane/versions.env`
//! (the one place the versions are stated) and computes the same cache path as
//! `controlplane/common.sh`, so a missing or stale build fails with the fix.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ClusterError;

/// The executables `controlplane/build.sh` produces.
pub const TOOLS: [&str; 5] = [
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubectl",
    "etcd",
];

/// The repository root (this crate lives in `<repo>/tests`).
pub fn repo_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// `<repo>/controlplane`: the scripts and manifests.
pub fn controlplane_dir() -> PathBuf {
    repo_dir().join("controlplane")
}

/// The pinned versions and the directory holding their binaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// `K8S_VERSION`, e.g. `v1.36.3`.
    pub k8s_version: String,
    /// `K8S_STAGING_VERSION`, e.g. `v0.36.3`.
    pub staging_version: String,
    /// `ETCD_VERSION`, e.g. `v3.6.16`.
    pub etcd_version: String,
    /// `${VK_CACHE_DIR:-$HOME/.cache/vk-host}/controlplane/<k8s>-etcd<etcd>/bin`.
    pub bin_dir: PathBuf,
}

impl Binaries {
    /// Reads `controlplane/versions.env` and locates the cache directory.
    pub fn locate() -> Result<Self, ClusterError> {
        let path = controlplane_dir().join("versions.env");
        let text = std::fs::read_to_string(&path).map_err(|source| ClusterError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        let vars = parse_env(&text);
        let get = |key: &str| {
            vars.get(key)
                .cloned()
                .ok_or_else(|| ClusterError::Versions {
                    path: path.clone(),
                    key: key.to_string(),
                })
        };
        let k8s_version = get("K8S_VERSION")?;
        let staging_version = get("K8S_STAGING_VERSION")?;
        let etcd_version = get("ETCD_VERSION")?;
        let cache = match std::env::var_os("VK_CACHE_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let home = std::env::var_os("HOME").ok_or(ClusterError::NoHome)?;
                PathBuf::from(home).join(".cache").join("vk-host")
            }
        };
        let bin_dir = cache
            .join("controlplane")
            .join(format!("{k8s_version}-etcd{etcd_version}"))
            .join("bin");
        Ok(Self {
            k8s_version,
            staging_version,
            etcd_version,
            bin_dir,
        })
    }

    /// The stamp `build.sh` writes once every binary is built.
    pub fn expected_stamp(&self) -> String {
        format!(
            "k8s={} staging={} etcd={}",
            self.k8s_version, self.staging_version, self.etcd_version
        )
    }

    /// Checks that every binary exists and the stamp matches the pinned versions.
    pub fn check(&self) -> Result<(), ClusterError> {
        let stamp_path = self.bin_dir.join(".stamp");
        let stamp = std::fs::read_to_string(&stamp_path).unwrap_or_default();
        let missing: Vec<&str> = TOOLS
            .iter()
            .copied()
            .filter(|tool| !self.bin_dir.join(tool).is_file())
            .collect();
        if stamp.trim() != self.expected_stamp() || !missing.is_empty() {
            return Err(ClusterError::BinariesMissing {
                versions: self.expected_stamp(),
                bin_dir: self.bin_dir.clone(),
                script: controlplane_dir().join("build.sh"),
            });
        }
        Ok(())
    }

    /// The path of one of [`TOOLS`].
    pub fn path(&self, tool: &str) -> PathBuf {
        self.bin_dir.join(tool)
    }
}

/// Parses `KEY=VALUE` lines; `#` comments and blank lines are ignored.
pub(crate) fn parse_env(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_env() {
        let vars = parse_env("# c\nK8S_VERSION=v1.36.3\n\nETCD_VERSION = v3.6.16\nbad line\n");
        assert_eq!(vars.get("K8S_VERSION").map(String::as_str), Some("v1.36.3"));
        assert_eq!(
            vars.get("ETCD_VERSION").map(String::as_str),
            Some("v3.6.16")
        );
        assert_eq!(vars.len(), 2);
    }

    #[test]
    fn the_repository_versions_file_is_complete() {
        let binaries =
            Binaries::locate().expect("controlplane/versions.env is readable and complete");
        assert!(binaries.k8s_version.starts_with("v1."));
        assert!(binaries.bin_dir.ends_with("bin"));
    }
}
