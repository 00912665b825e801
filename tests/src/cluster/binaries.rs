//! Where the control-plane binaries of each supported Kubernetes version live:
//! reads `controlplane/versions.env` (the one place the versions are stated),
//! honours `VK_K8S_VERSION` as `controlplane/common.sh` does, and computes the
//! same cache path, so a missing or stale build fails with the fix.

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

/// The environment variable that selects the Kubernetes version, for the
/// harness and every `controlplane/*.sh` script alike.
pub const VERSION_ENV: &str = "VK_K8S_VERSION";

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

/// What `controlplane/versions.env` states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    /// `K8S_VERSION`: the default Kubernetes version.
    pub default: String,
    /// `K8S_SUPPORTED_VERSIONS`, oldest first.
    pub supported: Vec<String>,
    /// `ETCD_VERSION`, shared by every Kubernetes version.
    pub etcd: String,
}

impl Versions {
    /// Reads and checks `controlplane/versions.env`.
    pub fn read() -> Result<Self, ClusterError> {
        let path = controlplane_dir().join("versions.env");
        let text = std::fs::read_to_string(&path).map_err(|source| ClusterError::Io {
            what: format!("reading {}", path.display()),
            source,
        })?;
        Self::parse(&text, &path)
    }

    fn parse(text: &str, path: &Path) -> Result<Self, ClusterError> {
        let vars = parse_env(text);
        let get = |key: &str| {
            vars.get(key)
                .filter(|value| !value.is_empty())
                .cloned()
                .ok_or_else(|| ClusterError::Versions {
                    path: path.to_path_buf(),
                    key: key.to_string(),
                })
        };
        let versions = Self {
            default: get("K8S_VERSION")?,
            supported: get("K8S_SUPPORTED_VERSIONS")?
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect(),
            etcd: get("ETCD_VERSION")?,
        };
        if !versions.supported.contains(&versions.default) {
            return Err(ClusterError::Versions {
                path: path.to_path_buf(),
                key: format!(
                    "K8S_VERSION={} among K8S_SUPPORTED_VERSIONS",
                    versions.default
                ),
            });
        }
        Ok(versions)
    }

    /// The supported version `wanted` names: a full version (`v1.35.4`) or a
    /// minor (`v1.35`), the leading `v` optional.
    pub fn resolve(&self, wanted: &str) -> Result<String, ClusterError> {
        let wanted_v = format!("v{}", wanted.trim().trim_start_matches('v'));
        self.supported
            .iter()
            .find(|v| **v == wanted_v || minor_of(v) == wanted_v)
            .cloned()
            .ok_or_else(|| ClusterError::UnsupportedVersion {
                wanted: wanted.to_string(),
                supported: self.supported.join(", "),
            })
    }

    /// The version `VK_K8S_VERSION` selects, or the default when it is unset
    /// or empty.
    pub fn selected(&self) -> Result<String, ClusterError> {
        match std::env::var(VERSION_ENV) {
            Ok(wanted) if !wanted.trim().is_empty() => self.resolve(&wanted),
            _ => Ok(self.default.clone()),
        }
    }
}

/// `v1.35` of `v1.35.4`.
fn minor_of(version: &str) -> &str {
    version.rsplit_once('.').map_or(version, |(minor, _)| minor)
}

/// The binaries of one Kubernetes version and the directory holding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The Kubernetes version, e.g. `v1.36.3`.
    pub k8s_version: String,
    /// Its k8s.io staging modules' version, e.g. `v0.36.3`.
    pub staging_version: String,
    /// `ETCD_VERSION`, e.g. `v3.6.16`.
    pub etcd_version: String,
    /// `${VK_CACHE_DIR:-$HOME/.cache/vk-host}/controlplane/<k8s>-etcd<etcd>/bin`.
    pub bin_dir: PathBuf,
}

impl Binaries {
    /// The binaries of the version `VK_K8S_VERSION` selects (the default of
    /// `controlplane/versions.env` when unset); an unsupported value is an
    /// error naming the supported ones.
    pub fn locate() -> Result<Self, ClusterError> {
        let versions = Versions::read()?;
        let selected = versions.selected()?;
        Self::of(&versions, &selected)
    }

    /// The binaries of a supported version (`v1.35.4`, or its minor `v1.35`),
    /// whatever `VK_K8S_VERSION` says: e.g. the kubectl of another minor,
    /// `Binaries::for_version("v1.35")?.path("kubectl")`.
    pub fn for_version(wanted: &str) -> Result<Self, ClusterError> {
        let versions = Versions::read()?;
        let version = versions.resolve(wanted)?;
        Self::of(&versions, &version)
    }

    /// The supported Kubernetes versions, oldest first.
    pub fn supported_versions() -> Result<Vec<String>, ClusterError> {
        Ok(Versions::read()?.supported)
    }

    fn of(versions: &Versions, k8s_version: &str) -> Result<Self, ClusterError> {
        let cache = match std::env::var_os("VK_CACHE_DIR") {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => {
                let home = std::env::var_os("HOME").ok_or(ClusterError::NoHome)?;
                PathBuf::from(home).join(".cache").join("vk-host")
            }
        };
        let bin_dir = cache
            .join("controlplane")
            .join(format!("{k8s_version}-etcd{}", versions.etcd))
            .join("bin");
        Ok(Self {
            k8s_version: k8s_version.to_string(),
            // The staging modules of k8s.io/kubernetes v1.X.Y are v0.X.Y.
            staging_version: format!("v0.{}", k8s_version.trim_start_matches("v1.")),
            etcd_version: versions.etcd.clone(),
            bin_dir,
        })
    }

    /// The minor version, e.g. `v1.35` for `v1.35.4`.
    pub fn minor(&self) -> &str {
        minor_of(&self.k8s_version)
    }

    /// The stamp `build.sh` writes once every binary is built.
    pub fn expected_stamp(&self) -> String {
        format!(
            "k8s={} staging={} etcd={}",
            self.k8s_version, self.staging_version, self.etcd_version
        )
    }

    /// Checks that every binary exists and the stamp matches the versions.
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
                script: controlplane_dir().join("ensure.sh"),
                version: self.k8s_version.clone(),
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

    const SAMPLE: &str = "# c\nK8S_SUPPORTED_VERSIONS=v1.35.4,v1.36.3,v1.37.2\n\nK8S_VERSION = v1.37.2\nETCD_VERSION=v3.6.16\nbad line\n";

    #[test]
    fn parses_versions_env() {
        let vars = parse_env(SAMPLE);
        assert_eq!(vars.get("K8S_VERSION").map(String::as_str), Some("v1.37.2"));
        assert_eq!(
            vars.get("ETCD_VERSION").map(String::as_str),
            Some("v3.6.16")
        );
        assert_eq!(vars.len(), 3);
    }

    #[test]
    fn resolves_full_and_minor_versions_and_names_the_supported_ones() {
        let versions = Versions::parse(SAMPLE, Path::new("versions.env")).expect("valid sample");
        assert_eq!(versions.default, "v1.37.2");
        assert_eq!(versions.resolve("v1.35.4").expect("full"), "v1.35.4");
        assert_eq!(versions.resolve("1.36").expect("minor"), "v1.36.3");
        let error = versions
            .resolve("v1.34.1")
            .expect_err("unsupported")
            .to_string();
        assert!(
            error.contains("v1.34.1") && error.contains("v1.35.4, v1.36.3, v1.37.2"),
            "{error}"
        );
        assert!(versions.resolve("v1.3").is_err());
    }

    #[test]
    fn a_default_outside_the_supported_list_is_refused() {
        let text = "K8S_SUPPORTED_VERSIONS=v1.35.4\nK8S_VERSION=v1.37.2\nETCD_VERSION=v3.6.16\n";
        let error = Versions::parse(text, Path::new("versions.env")).expect_err("inconsistent");
        assert!(error.to_string().contains("K8S_VERSION=v1.37.2"), "{error}");
    }

    #[test]
    fn the_repository_versions_file_is_complete() {
        let versions =
            Versions::read().expect("controlplane/versions.env is readable and complete");
        assert!(versions.supported.len() >= 3, "{versions:?}");
        for version in &versions.supported {
            let binaries = Binaries::for_version(version).expect("a supported version");
            assert_eq!(&binaries.k8s_version, version);
            assert!(binaries.staging_version.starts_with("v0."));
            assert!(binaries.bin_dir.ends_with("bin"));
        }
    }
}
