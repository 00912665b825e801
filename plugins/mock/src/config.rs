//! The mock plugin's configuration file (TOML, `vk-host --plugin-config`):
//! every key, its default, and validation into values the provider uses
//! directly. plugins/mock/README.md documents the same keys for people.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
pub use vk_plugin_sdk::config::ConfigError;
use vk_plugin_sdk::config::PluginConfig;
use vk_plugin_sdk::proto::Capability;
use vk_plugin_sdk::quantity::is_quantity;

/// Default pod annotation that makes CreatePod fail with UNAVAILABLE.
pub const FAIL_CREATE_ANNOTATION: &str = "mock.vk-host.io/fail-create";
/// Default pod annotation that makes DeletePod fail with UNAVAILABLE.
pub const FAIL_DELETE_ANNOTATION: &str = "mock.vk-host.io/fail-delete";
/// Default pod annotation whose integer value is the exit code of the pod's
/// containers, which then terminate right after they start.
pub const EXIT_CODE_ANNOTATION: &str = "mock.vk-host.io/exit-code";

/// The whole configuration. Every field has a default, so an empty file (or
/// none) is a valid configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Time between CreatePod and the containers running.
    pub start_delay_ms: u64,
    /// Time between DeletePod (containers terminated, status pushed) and the
    /// pod disappearing (GetPod → NOT_FOUND).
    pub delete_delay_ms: u64,
    /// One synthetic log line per this many milliseconds of container age.
    pub log_interval_ms: u64,
    /// When set (>= 1), one line per this many microseconds instead: about
    /// 35 MB/s of log at 1, for tests of high-volume log streaming.
    pub log_interval_us: Option<u64>,
    /// Declare CAPABILITY_POD_STATUS_STREAM and push every status change.
    pub status_push: bool,
    /// Status updates and Events kept at most while the host is not reading
    /// (reconnecting, or slow); beyond it the oldest are dropped (statuses
    /// are resynced with GetPods, Events are lost).
    pub status_buffer: usize,
    /// Answer WatchPodStatus with no response headers until its first
    /// message, as grpc-go and grpcio servers do (tests of the host).
    pub status_headers_with_first_message: bool,
    /// The pods' `status.hostIP` and the node's InternalIP address.
    pub host_ip: Ipv4Addr,
    /// Set the pods' `status.hostIP`/`hostIPs`; false leaves them empty, as
    /// a plugin that does not know the node's address (vk-host fills them).
    pub report_host_ip: bool,
    /// Pod IPs are handed out in order from this IPv4 CIDR.
    pub pod_cidr: String,
    /// While this file exists the readiness probe answers "not ready".
    pub not_ready_file: Option<PathBuf>,
    /// When set, the plugin keeps a JSON listing of the pods it holds in this
    /// file (rewritten within 100 ms of a change): how tests outside the
    /// process see what the plugin holds.
    pub pods_file: Option<PathBuf>,
    /// Build every secret/configMap/projected volume of a pod at CreatePod
    /// through the host callbacks (a failure fails the create with
    /// FAILED_PRECONDITION) and list the files in `pods_file`.
    pub fetch_volumes: bool,
    /// Optional capabilities not to declare, e.g. `["exec", "attach"]`.
    pub disabled_capabilities: Vec<CapabilityName>,
    pub node: NodeConfig,
    pub annotations: AnnotationConfig,
    pub usage: UsageConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            start_delay_ms: 0,
            delete_delay_ms: 0,
            log_interval_ms: 1000,
            log_interval_us: None,
            status_push: true,
            status_buffer: 4096,
            status_headers_with_first_message: false,
            host_ip: Ipv4Addr::new(10, 0, 0, 1),
            report_host_ip: true,
            pod_cidr: "10.244.0.0/16".into(),
            not_ready_file: None,
            pods_file: None,
            fetch_volumes: false,
            disabled_capabilities: Vec::new(),
            node: NodeConfig::default(),
            annotations: AnnotationConfig::default(),
            usage: UsageConfig::default(),
        }
    }
}

/// `[node]`: what the plugin reports for the Node.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    pub cpu: String,
    pub memory: String,
    pub pods: String,
    /// More capacity entries, e.g. `{ "nvidia.com/gpu" = "8" }`.
    pub extra_capacity: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<TaintConfig>,
    pub conditions: Vec<ConditionConfig>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            cpu: "100".into(),
            memory: "512Gi".into(),
            pods: "1000".into(),
            extra_capacity: BTreeMap::new(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            conditions: Vec::new(),
        }
    }
}

/// `[[node.taints]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaintConfig {
    pub key: String,
    #[serde(default)]
    pub value: String,
    pub effect: String,
}

/// `[[node.conditions]]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionConfig {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

/// `[annotations]`: the pod annotations that inject faults and outcomes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnnotationConfig {
    pub fail_create: String,
    pub fail_delete: String,
    pub exit_code: String,
}

impl Default for AnnotationConfig {
    fn default() -> Self {
        Self {
            fail_create: FAIL_CREATE_ANNOTATION.into(),
            fail_delete: FAIL_DELETE_ANNOTATION.into(),
            exit_code: EXIT_CODE_ANNOTATION.into(),
        }
    }
}

/// `[usage]`: the synthetic resource usage of every running container.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UsageConfig {
    /// CPU use of one container, in billionths of a core.
    pub container_nano_cores: u64,
    /// Memory working set of one container, in bytes.
    pub container_memory_bytes: u64,
}

impl Default for UsageConfig {
    fn default() -> Self {
        Self {
            container_nano_cores: 1_000_000,
            container_memory_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Names of the optional capabilities that `disabled_capabilities` accepts.
/// The status stream is switched with `status_push`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapabilityName {
    ContainerLogs,
    Exec,
    Attach,
    PortForward,
    StatsSummary,
    MetricsResource,
    NodeInfo,
    PluginMetrics,
}

impl CapabilityName {
    fn capability(self) -> Capability {
        match self {
            Self::ContainerLogs => Capability::ContainerLogs,
            Self::Exec => Capability::Exec,
            Self::Attach => Capability::Attach,
            Self::PortForward => Capability::PortForward,
            Self::StatsSummary => Capability::StatsSummary,
            Self::MetricsResource => Capability::MetricsResource,
            Self::NodeInfo => Capability::NodeInfo,
            Self::PluginMetrics => Capability::PluginMetrics,
        }
    }
}

/// An IPv4 network pods take their addresses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodCidr {
    network: u32,
    /// Usable addresses: the network's size minus network, first and
    /// broadcast addresses.
    usable: u32,
}

impl PodCidr {
    fn parse(text: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("pod_cidr {text:?} is not an IPv4 CIDR like \"10.244.0.0/16\": {why}")
        };
        let (address, prefix) = text.split_once('/').ok_or_else(|| bad("no /prefix"))?;
        let address: Ipv4Addr = address.parse().map_err(|_| bad("bad address"))?;
        let prefix: u32 = prefix.parse().map_err(|_| bad("bad prefix length"))?;
        if !(8..=29).contains(&prefix) {
            return Err(bad("the prefix length must be between 8 and 29"));
        }
        let size = 1u32 << (32 - prefix);
        let network = u32::from(address) & !(size - 1);
        Ok(Self {
            network,
            usable: size - 3,
        })
    }

    /// The `n`th pod address: network + 2 + n, wrapping around when the
    /// network is exhausted (the mock does not track which addresses are free).
    pub fn address(&self, n: u64) -> Ipv4Addr {
        let offset = (n % u64::from(self.usable)) as u32;
        Ipv4Addr::from(self.network + 2 + offset)
    }
}

impl PluginConfig for Config {
    const WHAT: &'static str = "mock plugin";

    fn validate(&self) -> Result<(), String> {
        if self.log_interval_ms == 0 {
            return Err("log_interval_ms must be at least 1".into());
        }
        if self.log_interval_us == Some(0) {
            return Err("log_interval_us must be at least 1".into());
        }
        if self.status_buffer == 0 {
            return Err("status_buffer must be at least 1".into());
        }
        PodCidr::parse(&self.pod_cidr)?;
        let node = &self.node;
        for (name, value) in [
            ("cpu", &node.cpu),
            ("memory", &node.memory),
            ("pods", &node.pods),
        ]
        .into_iter()
        .chain(node.extra_capacity.iter().map(|(k, v)| (k.as_str(), v)))
        {
            if !is_quantity(value) {
                return Err(format!(
                    "node capacity {name} = {value:?} is not a Kubernetes quantity (e.g. \"16\", \"500m\", \"64Gi\")"
                ));
            }
        }
        for taint in &node.taints {
            if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&taint.effect.as_str()) {
                return Err(format!(
                    "node taint {:?} has effect {:?}; use NoSchedule, PreferNoSchedule or NoExecute",
                    taint.key, taint.effect
                ));
            }
        }
        for condition in &node.conditions {
            if !["True", "False", "Unknown"].contains(&condition.status.as_str()) {
                return Err(format!(
                    "node condition {:?} has status {:?}; use True, False or Unknown",
                    condition.type_, condition.status
                ));
            }
        }
        let annotations = &self.annotations;
        for (name, value) in [
            ("fail_create", &annotations.fail_create),
            ("fail_delete", &annotations.fail_delete),
            ("exit_code", &annotations.exit_code),
        ] {
            if value.is_empty() {
                return Err(format!("annotations.{name} must not be empty"));
            }
        }
        Ok(())
    }
}

impl Config {
    pub fn start_delay(&self) -> Duration {
        Duration::from_millis(self.start_delay_ms)
    }

    pub fn delete_delay(&self) -> Duration {
        Duration::from_millis(self.delete_delay_ms)
    }

    pub fn log_interval(&self) -> Duration {
        match self.log_interval_us {
            Some(us) => Duration::from_micros(us.max(1)),
            None => Duration::from_millis(self.log_interval_ms.max(1)),
        }
    }

    /// The validated pod network.
    pub fn pod_cidr(&self) -> PodCidr {
        // Validated in `from_toml`; a hand-built bad value falls back to the default.
        PodCidr::parse(&self.pod_cidr).unwrap_or(PodCidr {
            network: u32::from(Ipv4Addr::new(10, 244, 0, 0)),
            usable: (1 << 16) - 3,
        })
    }

    /// The optional capabilities to declare in the handshake.
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut all = vec![
            Capability::ContainerLogs,
            Capability::Exec,
            Capability::Attach,
            Capability::PortForward,
            Capability::StatsSummary,
            Capability::MetricsResource,
            Capability::NodeInfo,
            Capability::PluginMetrics,
        ];
        all.retain(|c| {
            !self
                .disabled_capabilities
                .iter()
                .any(|d| d.capability() == *c)
        });
        if self.status_push {
            all.insert(0, Capability::PodStatusStream);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        vk_plugin_sdk::config::from_toml(text, Path::new("/etc/mock.toml"))
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let config = parse("").expect("empty config");
        assert_eq!(config, Config::default());
        assert_eq!(config.node.cpu, "100");
        assert_eq!(config.node.memory, "512Gi");
        assert_eq!(config.node.pods, "1000");
        assert!(config.status_push);
        assert_eq!(config.capabilities().len(), 9);
    }

    #[test]
    fn every_key_parses() {
        let config = parse(
            r#"
            start_delay_ms = 250
            delete_delay_ms = 100
            log_interval_ms = 10
            status_push = false
            status_buffer = 16
            host_ip = "192.168.1.2"
            report_host_ip = false
            pod_cidr = "172.16.0.0/24"
            not_ready_file = "/tmp/not-ready"
            pods_file = "/tmp/mock-pods.json"
            fetch_volumes = true
            disabled_capabilities = ["exec", "port_forward"]

            [node]
            cpu = "8"
            memory = "32Gi"
            pods = "110"
            extra_capacity = { "nvidia.com/gpu" = "2" }
            labels = { zone = "a" }
            taints = [{ key = "mock", effect = "NoSchedule" }]
            conditions = [{ type = "DiskPressure", status = "False", reason = "Fine" }]

            [annotations]
            fail_create = "a/create"
            fail_delete = "a/delete"
            exit_code = "a/exit"

            [usage]
            container_nano_cores = 5
            container_memory_bytes = 7
            "#,
        )
        .expect("full config");
        assert_eq!(config.start_delay(), Duration::from_millis(250));
        assert_eq!(config.pod_cidr().address(0), Ipv4Addr::new(172, 16, 0, 2));
        assert_eq!(config.pod_cidr().address(253), Ipv4Addr::new(172, 16, 0, 2));
        assert_eq!(config.node.taints[0].value, "");
        assert_eq!(config.node.conditions[0].type_, "DiskPressure");
        let capabilities = config.capabilities();
        assert!(!capabilities.contains(&Capability::PodStatusStream));
        assert!(!capabilities.contains(&Capability::Exec));
        assert!(capabilities.contains(&Capability::Attach));
    }

    #[test]
    fn an_unknown_key_is_one_line_naming_file_line_and_key() {
        let error = parse("start_delay_ms = 1\nstart_dealy_ms = 5\n").expect_err("typo");
        let text = error.to_string();
        assert!(
            text.starts_with(
                "mock plugin configuration /etc/mock.toml: line 2, column 1 (start_dealy_ms): "
            ),
            "{text}"
        );
        assert!(text.contains("unknown field `start_dealy_ms`"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn wrong_types_and_values_are_explained() {
        let error = parse("start_delay_ms = \"soon\"")
            .expect_err("string")
            .to_string();
        assert!(error.contains("line 1"), "{error}");
        let error = parse("[node]\nmemory = \"lots\"")
            .expect_err("quantity")
            .to_string();
        assert!(
            error.contains("memory = \"lots\" is not a Kubernetes quantity"),
            "{error}"
        );
        let error = parse("pod_cidr = \"10.0.0.0\"")
            .expect_err("cidr")
            .to_string();
        assert!(error.contains("pod_cidr"), "{error}");
        let error = parse("log_interval_ms = 0").expect_err("zero").to_string();
        assert!(error.contains("log_interval_ms"), "{error}");
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let error = vk_plugin_sdk::config::load::<Config>(Path::new("/nonexistent/mock.toml"))
            .expect_err("missing");
        assert!(error.to_string().contains("/nonexistent/mock.toml"));
        assert!(vk_plugin_sdk::config::load_optional::<Config>(None).is_ok());
    }

    #[test]
    fn quantities() {
        for good in ["1", "100", "0.5", "500m", "512Gi", "1e3", "64M", "+1"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["", "Gi", "1.2.3", "12 Gi", "5x", "1e"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn pod_addresses_skip_network_and_first_address() {
        let cidr = PodCidr::parse("10.244.0.0/16").expect("cidr");
        assert_eq!(cidr.address(0), Ipv4Addr::new(10, 244, 0, 2));
        assert_eq!(cidr.address(254), Ipv4Addr::new(10, 244, 1, 0));
        assert_eq!(cidr.address(65533), Ipv4Addr::new(10, 244, 0, 2));
    }
}
