//! The CRI plugin's configuration file (TOML, `vk-host --plugin-config`):
//! every key, its default, and validation into values the plugin uses
//! directly. plugins/cri/README.md documents the same keys for people.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use serde::Deserialize;
pub use vk_plugin_sdk::config::ConfigError;
use vk_plugin_sdk::config::PluginConfig;
use vk_plugin_sdk::names::is_label_value;

use crate::log_rotation::RotationPolicy;

/// The whole configuration. Every key has a default, so an empty file (or
/// none) is a valid configuration for containerd at its standard socket.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// containerd's CRI socket: a path, or `unix://` followed by a path.
    pub runtime_endpoint: String,
    /// Where container logs go, as the kubelet's `--pod-logs-dir`:
    /// `<pod_logs_dir>/<namespace>_<name>_<uid>/<container>/<restart>.log`.
    pub pod_logs_dir: PathBuf,
    /// The plugin's own state: `<root_dir>/pods/<uid>/` holds each pod's
    /// volumes (emptyDir) and termination-message files.
    pub root_dir: PathBuf,
    /// Value of the `cri.vk-host.io/managed-by` label on everything the
    /// plugin creates; the plugin lists and adopts only what carries it.
    /// Two plugins sharing one containerd need different values.
    pub instance_name: String,
    /// Pods get the cgroup parent `<cgroup_root>/pod<uid>` (cgroupfs driver).
    pub cgroup_root: String,
    /// How often the runtime is relisted (the kubelet's PLEG relists every
    /// second; containerd 1.6 has no event stream).
    pub relist_interval_ms: u64,
    /// CrashLoopBackOff: the first restart delay, doubled per restart up to
    /// `crash_loop_backoff_max_ms` (the kubelet: 10 s and 300 s). Lower
    /// them in tests.
    pub crash_loop_backoff_base_ms: u64,
    pub crash_loop_backoff_max_ms: u64,
    /// The node's addresses: every pod's `hostIP(s)` and the `podIP(s)` of
    /// hostNetwork pods. Empty: those fields stay unset.
    pub node_ips: Vec<IpAddr>,
    /// The node's resolver configuration, used for `dnsPolicy: Default` and
    /// appended to cluster search domains (the kubelet's `--resolv-conf`).
    /// Empty: no host DNS configuration.
    pub resolv_conf: PathBuf,
    /// The cluster DNS service addresses (the kubelet's `--cluster-dns`).
    /// Empty: `ClusterFirst` pods fall back to `Default`, as the kubelet does.
    pub cluster_dns: Vec<IpAddr>,
    /// The cluster's DNS domain (the kubelet's `--cluster-domain`).
    pub cluster_domain: String,
    /// How often the files of `secret`, `configMap`, `projected` and
    /// `downwardAPI` volumes are re-fetched from the host and swapped when
    /// changed (the kubelet resyncs about every minute). Tokens are renewed
    /// at 80 % of their lifetime, checked at the same interval.
    pub volume_refresh_interval_ms: u64,
    /// A running container's log file is rotated once it reaches this size
    /// (a Kubernetes quantity, the kubelet's `containerLogMaxSize`); a
    /// negative value turns rotation off, as for the kubelet.
    pub container_log_max_size: String,
    /// Log files kept per container instance, the one being written
    /// included (the kubelet's `containerLogMaxFiles`, at least 2).
    pub container_log_max_files: usize,
    /// How often log sizes are checked (the kubelet's
    /// `containerLogMonitorInterval`, 10 s).
    pub container_log_monitor_interval_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            runtime_endpoint: "/run/containerd/containerd.sock".into(),
            pod_logs_dir: "/var/log/pods".into(),
            root_dir: "/var/lib/vk-cri".into(),
            instance_name: "vk-cri-plugin".into(),
            cgroup_root: "/vk-cri".into(),
            relist_interval_ms: 1000,
            crash_loop_backoff_base_ms: 10_000,
            crash_loop_backoff_max_ms: 300_000,
            node_ips: Vec::new(),
            resolv_conf: "/etc/resolv.conf".into(),
            cluster_dns: Vec::new(),
            cluster_domain: "cluster.local".into(),
            volume_refresh_interval_ms: 60_000,
            container_log_max_size: "10Mi".into(),
            container_log_max_files: 5,
            container_log_monitor_interval_ms: 10_000,
        }
    }
}

impl PluginConfig for Config {
    const WHAT: &'static str = "CRI plugin";

    fn validate(&self) -> Result<(), String> {
        if self.runtime_socket().as_os_str().is_empty() {
            return Err("runtime_endpoint must name containerd's socket, e.g. \
                 \"/run/containerd/containerd.sock\""
                .into());
        }
        for (key, path) in [
            ("runtime_endpoint", self.runtime_socket()),
            ("pod_logs_dir", self.pod_logs_dir.as_path()),
            ("root_dir", self.root_dir.as_path()),
        ] {
            if !path.is_absolute() {
                return Err(format!("{key} = {path:?} must be an absolute path"));
            }
        }
        if !self.resolv_conf.as_os_str().is_empty() && !self.resolv_conf.is_absolute() {
            return Err(format!(
                "resolv_conf = {:?} must be an absolute path (or \"\" for none)",
                self.resolv_conf
            ));
        }
        if !is_label_value(&self.instance_name) || self.instance_name.is_empty() {
            return Err(format!(
                "instance_name = {:?} must be a Kubernetes label value: 1-63 letters, digits, \
                 '-', '_' or '.', starting and ending with a letter or digit",
                self.instance_name
            ));
        }
        if !self.cgroup_root.starts_with('/') {
            return Err(format!(
                "cgroup_root = {:?} must start with '/' (a cgroupfs path such as \"/vk-cri\")",
                self.cgroup_root
            ));
        }
        if self.relist_interval_ms < 100 {
            return Err(format!(
                "relist_interval_ms = {} is too short; use at least 100 (the kubelet uses 1000)",
                self.relist_interval_ms
            ));
        }
        if self.volume_refresh_interval_ms < 100 {
            return Err(format!(
                "volume_refresh_interval_ms = {} is too short; use at least 100 (the kubelet \
                 resyncs about every 60000)",
                self.volume_refresh_interval_ms
            ));
        }
        self.container_log_max_bytes()?;
        if self.container_log_max_files < 2 {
            return Err(format!(
                "container_log_max_files = {} must be at least 2 (the file being written and \
                 one rotated file), as the kubelet requires",
                self.container_log_max_files
            ));
        }
        if self.container_log_monitor_interval_ms < 100 {
            return Err(format!(
                "container_log_monitor_interval_ms = {} is too short; use at least 100 (the \
                 kubelet uses 10000)",
                self.container_log_monitor_interval_ms
            ));
        }
        if self.crash_loop_backoff_base_ms == 0 {
            return Err("crash_loop_backoff_base_ms must be at least 1".into());
        }
        if self.crash_loop_backoff_max_ms < self.crash_loop_backoff_base_ms {
            return Err(format!(
                "crash_loop_backoff_max_ms = {} must not be below crash_loop_backoff_base_ms = {}",
                self.crash_loop_backoff_max_ms, self.crash_loop_backoff_base_ms
            ));
        }
        if self.cluster_domain.is_empty()
            || self
                .cluster_domain
                .split('.')
                .any(|label| label.is_empty() || !is_label_value(label))
        {
            return Err(format!(
                "cluster_domain = {:?} must be a DNS name such as \"cluster.local\"",
                self.cluster_domain
            ));
        }
        Ok(())
    }
}

impl Config {
    /// The socket path of `runtime_endpoint`, without a `unix://` scheme.
    pub fn runtime_socket(&self) -> &Path {
        Path::new(
            self.runtime_endpoint
                .strip_prefix("unix://")
                .unwrap_or(&self.runtime_endpoint),
        )
    }

    pub fn relist_interval(&self) -> Duration {
        Duration::from_millis(self.relist_interval_ms)
    }

    pub fn volume_refresh_interval(&self) -> Duration {
        Duration::from_millis(self.volume_refresh_interval_ms)
    }

    /// `container_log_max_size` in bytes; `None` when rotation is off.
    fn container_log_max_bytes(&self) -> Result<Option<u64>, String> {
        let text = &self.container_log_max_size;
        let bytes = crate::quantity::value(&Quantity(text.clone())).map_err(|_| {
            format!(
                "container_log_max_size = {text:?} is not a size; use a quantity such as \
                 \"10Mi\" (or a negative one such as \"-1\" to turn rotation off)"
            )
        })?;
        match bytes {
            0 => Err(format!(
                "container_log_max_size = {text:?} must be more than 0 (or negative to turn \
                 rotation off)"
            )),
            ..0 => Ok(None),
            _ => Ok(Some(bytes.unsigned_abs())),
        }
    }

    /// The log rotation policy; `None` when rotation is off.
    pub fn log_rotation(&self) -> Option<RotationPolicy> {
        let max_size = self.container_log_max_bytes().ok().flatten()?;
        Some(RotationPolicy {
            max_size,
            max_files: self.container_log_max_files,
        })
    }

    pub fn container_log_monitor_interval(&self) -> Duration {
        Duration::from_millis(self.container_log_monitor_interval_ms)
    }

    pub fn crash_loop_backoff_base(&self) -> Duration {
        Duration::from_millis(self.crash_loop_backoff_base_ms)
    }

    pub fn crash_loop_backoff_max(&self) -> Duration {
        Duration::from_millis(self.crash_loop_backoff_max_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        vk_plugin_sdk::config::from_toml(text, Path::new("/etc/cri.toml"))
    }

    fn error_of(text: &str) -> String {
        parse(text).expect_err(text).to_string()
    }

    #[test]
    fn an_empty_file_is_the_kubelet_like_defaults() {
        let config = parse("").expect("empty config");
        assert_eq!(config, Config::default());
        assert_eq!(
            config.runtime_socket(),
            Path::new("/run/containerd/containerd.sock")
        );
        assert_eq!(config.relist_interval(), Duration::from_secs(1));
        assert_eq!(config.crash_loop_backoff_base(), Duration::from_secs(10));
        assert_eq!(config.crash_loop_backoff_max(), Duration::from_secs(300));
        assert_eq!(config.volume_refresh_interval(), Duration::from_secs(60));
        assert_eq!(config.pod_logs_dir, Path::new("/var/log/pods"));
        assert_eq!(
            config.log_rotation(),
            Some(RotationPolicy {
                max_size: 10 << 20,
                max_files: 5
            })
        );
        assert_eq!(
            config.container_log_monitor_interval(),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn every_key_parses() {
        let config = parse(
            r#"
            runtime_endpoint = "unix:///tmp/run/containerd.sock"
            pod_logs_dir = "/tmp/run/pods"
            root_dir = "/tmp/run/state"
            instance_name = "node-a"
            cgroup_root = "/test"
            relist_interval_ms = 200
            crash_loop_backoff_base_ms = 1000
            crash_loop_backoff_max_ms = 4000
            node_ips = ["192.168.1.2", "fd00::2"]
            resolv_conf = ""
            cluster_dns = ["10.96.0.10"]
            cluster_domain = "example.test"
            volume_refresh_interval_ms = 2000
            container_log_max_size = "64Ki"
            container_log_max_files = 3
            container_log_monitor_interval_ms = 500
            "#,
        )
        .expect("full config");
        assert_eq!(
            config.runtime_socket(),
            Path::new("/tmp/run/containerd.sock")
        );
        assert_eq!(config.crash_loop_backoff_max(), Duration::from_secs(4));
        assert_eq!(config.node_ips.len(), 2);
        assert_eq!(config.resolv_conf, Path::new(""));
        assert_eq!(config.volume_refresh_interval(), Duration::from_secs(2));
        assert_eq!(
            config.log_rotation(),
            Some(RotationPolicy {
                max_size: 65536,
                max_files: 3
            })
        );
        assert_eq!(
            config.container_log_monitor_interval(),
            Duration::from_millis(500)
        );
        let off = parse("container_log_max_size = \"-1\"").expect("rotation off");
        assert_eq!(off.log_rotation(), None);
    }

    #[test]
    fn an_unknown_key_names_file_line_and_key() {
        let text = error_of("relist_interval_ms = 500\nrelist_intervall_ms = 5\n");
        assert!(
            text.starts_with(
                "CRI plugin configuration /etc/cri.toml: line 2, column 1 (relist_intervall_ms): "
            ),
            "{text}"
        );
        assert!(
            text.contains("unknown field `relist_intervall_ms`"),
            "{text}"
        );
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("runtime_endpoint = \"containerd.sock\"", "runtime_endpoint"),
            ("runtime_endpoint = \"unix://\"", "runtime_endpoint"),
            ("pod_logs_dir = \"logs\"", "pod_logs_dir"),
            ("root_dir = \"state\"", "root_dir"),
            ("resolv_conf = \"resolv.conf\"", "resolv_conf"),
            ("instance_name = \"\"", "instance_name"),
            ("instance_name = \"no spaces\"", "instance_name"),
            ("cgroup_root = \"vk\"", "cgroup_root"),
            ("relist_interval_ms = 10", "relist_interval_ms"),
            (
                "volume_refresh_interval_ms = 5",
                "volume_refresh_interval_ms",
            ),
            (
                "crash_loop_backoff_base_ms = 0",
                "crash_loop_backoff_base_ms",
            ),
            (
                "crash_loop_backoff_base_ms = 5000\ncrash_loop_backoff_max_ms = 1000",
                "crash_loop_backoff_max_ms",
            ),
            ("cluster_domain = \"a..b\"", "cluster_domain"),
            (
                "container_log_max_size = \"10 Mi\"",
                "container_log_max_size",
            ),
            ("container_log_max_size = \"0\"", "container_log_max_size"),
            ("container_log_max_size = 1024", "container_log_max_size"),
            ("container_log_max_files = 1", "container_log_max_files"),
            (
                "container_log_monitor_interval_ms = 10",
                "container_log_monitor_interval_ms",
            ),
            ("node_ips = [\"not-an-ip\"]", "node_ips"),
            ("relist_interval_ms = \"1s\"", "line 1"),
        ] {
            let error = error_of(text);
            assert!(error.contains(key), "{text}: {error}");
            assert!(!error.contains('\n'), "{text}: {error}");
        }
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let error = vk_plugin_sdk::config::load::<Config>(Path::new("/nonexistent/cri.toml"))
            .expect_err("missing");
        assert!(error.to_string().contains("/nonexistent/cri.toml"));
        assert!(vk_plugin_sdk::config::load_optional::<Config>(None).is_ok());
    }
}
