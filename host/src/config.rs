//! Command-line flags (each with a `VK_*` environment twin), the optional
//! `--config` file that sets them too, and their validation into a
//! [`Config`], before anything is started.

mod file;
mod print;

pub use file::{Invocation, LoadError, load};

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};

use k8s_openapi::api::core::v1::Taint;
use vk_proto::names;

use crate::apiserver::KubeOptions;
use crate::kubelet_api::ApiOptions;
use crate::kubelet_api::tls::{self, ServingCertSource, ServingNames};
use crate::node::{NodeOptions, TaintChoice};
use crate::plugin_process::{
    HealthPolicy, PluginEnv, PluginSpec, PluginUser, SupervisorConfig, default_runtime_dir,
    reserved_env_name,
};
use crate::pods::PodOptions;

/// A Virtual Kubelet whose provider is a plugin process speaking gRPC.
#[derive(Debug, Parser)]
#[command(name = "vk-host", version, about, long_about = None)]
pub struct Cli {
    /// A TOML file setting any of these flags, keyed by the flag's long name
    /// (`node-name = "edge-1"`, `node-label = ["a=b"]`); a flag or its VK_*
    /// variable overrides the file.
    #[arg(long, env = "VK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Print the effective configuration (as a --config file, each value's
    /// source in a comment, plugin-env values redacted) and exit.
    #[arg(long, env = "VK_PRINT_CONFIG")]
    pub print_config: bool,

    /// The provider plugin executable to launch and supervise.
    #[arg(long, env = "VK_PLUGIN", value_name = "PATH")]
    pub plugin: PathBuf,

    /// Configuration file handed to the plugin (as VK_PLUGIN_CONFIG).
    #[arg(long, env = "VK_PLUGIN_CONFIG", value_name = "FILE")]
    pub plugin_config: Option<PathBuf>,

    /// An argument passed to the plugin; repeat for several.
    #[arg(
        long = "plugin-arg",
        env = "VK_PLUGIN_ARGS",
        value_name = "ARG",
        value_delimiter = ' '
    )]
    pub plugin_args: Vec<String>,

    /// An environment variable for the plugin, which otherwise sees only
    /// PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, RUST_LOG, RUST_BACKTRACE,
    /// SSL_CERT_FILE, SSL_CERT_DIR and the launch variables: NAME passes
    /// vk-host's own value (vk-host refuses to start if it has none),
    /// NAME=VALUE sets one. Repeat for several; VK_PLUGIN_ENV takes a
    /// comma-separated list, and ',' separates entries here too, so pass a
    /// value containing ',' by NAME. VK_PLUGIN_*, VK_HOST_*, KUBECONFIG,
    /// VK_KUBECONFIG and KUBERNETES_* are refused.
    #[arg(
        long = "plugin-env",
        env = "VK_PLUGIN_ENV",
        value_name = "NAME[=VALUE]",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub plugin_env: Vec<String>,

    /// Run the plugin as this user (and group; default the user's primary
    /// group) instead of vk-host's own, so it cannot read the host's
    /// credentials. vk-host must run as root.
    #[arg(long, env = "VK_PLUGIN_USER", value_name = "USER[:GROUP]")]
    pub plugin_user: Option<String>,

    /// Name of the Kubernetes Node to register [default: this host's name].
    #[arg(long, env = "VK_NODE_NAME", value_name = "NAME")]
    pub node_name: Option<String>,

    /// Where private per-plugin directories (sockets, secret) are made
    /// [default: $XDG_RUNTIME_DIR/vk-host, /run/vk-host as root, else /tmp/vk-host-UID].
    #[arg(long, env = "VK_RUNTIME_DIR", value_name = "DIR")]
    pub runtime_dir: Option<PathBuf>,

    /// How long a plugin has to bind its socket and answer the handshake.
    #[arg(long, env = "VK_PLUGIN_HANDSHAKE_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub plugin_handshake_timeout: Duration,

    /// Interval of the plugin health probe.
    #[arg(long, env = "VK_PLUGIN_PROBE_INTERVAL", default_value = "5s", value_parser = humantime::parse_duration)]
    pub plugin_probe_interval: Duration,

    /// Largest delay between plugin restarts (exponential backoff from 1s).
    #[arg(long, env = "VK_PLUGIN_MAX_BACKOFF", default_value = "60s", value_parser = humantime::parse_duration)]
    pub plugin_max_backoff: Duration,

    /// How long a stopping plugin gets to exit after its shutdown request,
    /// and again after SIGTERM, before SIGKILL.
    #[arg(long, env = "VK_PLUGIN_STOP_GRACE", default_value = "5s", value_parser = humantime::parse_duration)]
    pub plugin_stop_grace: Duration,

    /// Kubeconfig of the host's identity [default: KUBECONFIG, in-cluster, ~/.kube/config].
    #[arg(long, env = "VK_KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Sustained Kubernetes API requests per second (client-side pacing).
    #[arg(long, env = "VK_KUBE_API_QPS", default_value_t = 100.0)]
    pub kube_api_qps: f32,

    /// Kubernetes API requests allowed in a burst above --kube-api-qps.
    #[arg(long, env = "VK_KUBE_API_BURST", default_value_t = 200)]
    pub kube_api_burst: u32,

    /// Sustained Event writes per second, paced apart from the other
    /// requests so events never delay pod status (the kubelet's --event-qps).
    #[arg(long, env = "VK_EVENT_QPS", default_value_t = 50.0)]
    pub event_qps: f32,

    /// Event writes allowed in a burst above --event-qps (the kubelet's
    /// --event-burst).
    #[arg(long, env = "VK_EVENT_BURST", default_value_t = 100)]
    pub event_burst: u32,

    /// Pods worked on at once; work on one pod is always serialized.
    #[arg(long, env = "VK_POD_SYNC_WORKERS", default_value_t = 32)]
    pub pod_sync_workers: usize,

    /// How often every pod's status is read back from the plugin (a safety
    /// net for push-capable plugins, the only source for the others).
    #[arg(long, env = "VK_POD_STATUS_RESYNC", default_value = "10s", value_parser = humantime::parse_duration)]
    pub pod_status_resync: Duration,

    /// Longest lifetime of a service-account token a plugin gets through the
    /// host callbacks (a longer request is cut to it; at least 10m, the API
    /// server's minimum).
    #[arg(long, env = "VK_MAX_TOKEN_EXPIRATION", default_value = "1h", value_parser = humantime::parse_duration)]
    pub max_token_expiration: Duration,

    /// A label for the Node, KEY=VALUE; repeat for several.
    #[arg(
        long = "node-label",
        env = "VK_NODE_LABELS",
        value_name = "KEY=VALUE",
        value_delimiter = ','
    )]
    pub node_labels: Vec<String>,

    /// The Node's taint, KEY[=VALUE]:EFFECT [default: virtual-kubelet.io/provider=<plugin name>:NoSchedule].
    #[arg(
        long,
        env = "VK_NODE_TAINT",
        value_name = "TAINT",
        conflicts_with = "disable_taint"
    )]
    pub node_taint: Option<String>,

    /// Register the Node without a taint (pods need no toleration).
    #[arg(long, env = "VK_DISABLE_TAINT")]
    pub disable_taint: bool,

    /// The Node's InternalIP when the plugin reports no address.
    #[arg(long, env = "VK_NODE_IP", value_name = "IP")]
    pub node_ip: Option<std::net::IpAddr>,

    /// Port of the kubelet API, advertised in the Node's daemonEndpoints.
    #[arg(long, env = "VK_KUBELET_PORT", default_value_t = 10250)]
    pub kubelet_port: u16,

    /// Address the kubelet API listens on.
    #[arg(
        long,
        env = "VK_KUBELET_ADDRESS",
        value_name = "IP",
        default_value = "0.0.0.0"
    )]
    pub kubelet_address: std::net::IpAddr,

    /// The kubelet API's serving certificate (PEM, leaf first) [default: one
    /// generated at start: signed by --tls-ca-cert-file, else self-signed].
    #[arg(
        long,
        env = "VK_TLS_CERT_FILE",
        value_name = "FILE",
        requires = "tls_private_key_file",
        conflicts_with = "tls_ca_cert_file"
    )]
    pub tls_cert_file: Option<PathBuf>,

    /// The private key of --tls-cert-file (PEM).
    #[arg(
        long,
        env = "VK_TLS_PRIVATE_KEY_FILE",
        value_name = "FILE",
        requires = "tls_cert_file"
    )]
    pub tls_private_key_file: Option<PathBuf>,

    /// A CA certificate (PEM) that signs a serving certificate generated at
    /// start for the node's name, hostname and addresses; give the API server
    /// this CA as --kubelet-certificate-authority.
    #[arg(
        long,
        env = "VK_TLS_CA_CERT_FILE",
        value_name = "FILE",
        requires = "tls_ca_key_file"
    )]
    pub tls_ca_cert_file: Option<PathBuf>,

    /// The private key (PKCS#8 PEM) of --tls-ca-cert-file.
    #[arg(
        long,
        env = "VK_TLS_CA_KEY_FILE",
        value_name = "FILE",
        requires = "tls_ca_cert_file"
    )]
    pub tls_ca_key_file: Option<PathBuf>,

    /// Another name or IP for the generated serving certificate (e.g. an
    /// address the plugin reports as the node's); repeat for several.
    #[arg(
        long = "tls-san",
        env = "VK_TLS_SANS",
        value_name = "NAME|IP",
        value_delimiter = ','
    )]
    pub tls_sans: Vec<String>,

    /// CA bundle (PEM) that verifies kubelet-API client certificates (user =
    /// CN, groups = O); the API server's --kubelet-client-certificate must be
    /// signed by it. Without it only bearer tokens (TokenReview) authenticate.
    #[arg(long, env = "VK_CLIENT_CA_FILE", value_name = "FILE")]
    pub client_ca_file: Option<PathBuf>,

    /// DEVELOPMENT ONLY: serve the kubelet API to anyone, without
    /// authentication or authorization (logs a warning at start).
    #[arg(long, env = "VK_KUBELET_API_INSECURE_ANONYMOUS")]
    pub kubelet_api_insecure_anonymous: bool,

    /// Also serve /metrics and /healthz over plain HTTP on this address
    /// (e.g. 127.0.0.1:10255) [default: off]. No TLS and no authentication:
    /// bind it to localhost or protect it with a network policy. The
    /// kubelet API's /metrics (authorized as nodes/metrics) is always served.
    #[arg(long, env = "VK_METRICS_BIND_ADDRESS", value_name = "ADDR:PORT")]
    pub metrics_bind_address: Option<std::net::SocketAddr>,

    /// Log format.
    #[arg(long, env = "VK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How vk-host writes its log (filtered by RUST_LOG, default info).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A flag value that cannot work, named with the fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("--plugin {0}: no such file")]
    PluginMissing(PathBuf),
    #[error("--plugin {path}: not an executable file ({why})")]
    PluginNotExecutable { path: PathBuf, why: String },
    /// Names the variable only: its value may be a credential.
    #[error("--plugin-env {name:?}: {why}")]
    PluginEnv { name: String, why: String },
    #[error("--plugin-config {path}: cannot be read ({source})")]
    PluginConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("--node-name {name:?}: {why}")]
    NodeName { name: String, why: String },
    #[error("cannot tell this host's name for --node-name; pass --node-name ({0})")]
    Hostname(std::io::Error),
    #[error("--{flag} must be more than zero")]
    ZeroDuration { flag: &'static str },
    #[error("--{flag} must be more than zero")]
    Zero { flag: &'static str },
    #[error("--max-token-expiration {0:?} is below 10m, the shortest token the API server issues")]
    TokenExpirationTooShort(Duration),
    #[error("--kubeconfig {0}: no such file")]
    KubeconfigMissing(PathBuf),
    #[error("--node-label {given:?}: {why}")]
    NodeLabel { given: String, why: String },
    #[error("--node-taint {given:?}: {why}")]
    NodeTaint { given: String, why: String },
    #[error("--{first} and --{second} go together: give both")]
    TlsPair {
        first: &'static str,
        second: &'static str,
    },
    #[error(
        "--tls-cert-file and --tls-ca-cert-file exclude each other: give a certificate or a CA to sign one"
    )]
    TlsSourceConflict,
    #[error("--tls-san {given:?}: not an IP address or a DNS name")]
    TlsSan { given: String },
    #[error("--metrics-bind-address {0}: give a port other than 0")]
    MetricsPortZero(std::net::SocketAddr),
    #[error(transparent)]
    PluginUser(#[from] crate::plugin_process::UserError),
    #[error(transparent)]
    Tls(#[from] crate::kubelet_api::tls::TlsError),
}

/// Validated configuration of a vk-host run.
#[derive(Debug, Clone)]
pub struct Config {
    pub node_name: String,
    pub supervisor: SupervisorConfig,
    pub kube: KubeOptions,
    /// The same API server, paced for Event writes.
    pub events: KubeOptions,
    pub node: NodeOptions,
    pub pods: PodOptions,
    pub kubelet_api: ApiOptions,
    pub log_format: LogFormat,
    /// The cap on service-account tokens handed to the plugin.
    pub max_token_expiration: Duration,
    /// `--metrics-bind-address`: the plain `/metrics` listener, if any.
    pub metrics_bind_address: Option<std::net::SocketAddr>,
}

impl Cli {
    /// Checks every flag; nothing is started or bound yet.
    pub fn into_config(mut self) -> Result<Config, ConfigError> {
        check_plugin(&self.plugin)?;
        let plugin_env = parse_plugin_env(&self.plugin_env, |name| std::env::var_os(name))?;
        let plugin_user = self
            .plugin_user
            .as_deref()
            .map(|given| PluginUser::resolve(given, nix::unistd::geteuid().as_raw()))
            .transpose()?;
        let plugin_config = match self.plugin_config.take() {
            Some(path) => {
                std::fs::File::open(&path).map_err(|source| ConfigError::PluginConfig {
                    path: path.clone(),
                    source,
                })?;
                Some(absolute(&path))
            }
            None => None,
        };
        let node_name = match self.node_name.take() {
            Some(name) => name,
            None => hostname()?,
        };
        check_node_name(&node_name)?;
        for (flag, value) in [
            ("plugin-handshake-timeout", self.plugin_handshake_timeout),
            ("plugin-probe-interval", self.plugin_probe_interval),
            ("plugin-max-backoff", self.plugin_max_backoff),
            ("pod-status-resync", self.pod_status_resync),
        ] {
            if value.is_zero() {
                return Err(ConfigError::ZeroDuration { flag });
            }
        }
        if self.max_token_expiration < Duration::from_secs(600) {
            return Err(ConfigError::TokenExpirationTooShort(
                self.max_token_expiration,
            ));
        }
        for (flag, qps) in [
            ("kube-api-qps", self.kube_api_qps),
            ("event-qps", self.event_qps),
        ] {
            if qps.is_nan() || qps <= 0.0 {
                return Err(ConfigError::Zero { flag });
            }
        }
        for (flag, value) in [
            ("kube-api-burst", self.kube_api_burst as usize),
            ("event-burst", self.event_burst as usize),
            ("pod-sync-workers", self.pod_sync_workers),
        ] {
            if value == 0 {
                return Err(ConfigError::Zero { flag });
            }
        }
        if let Some(address) = self.metrics_bind_address
            && address.port() == 0
        {
            return Err(ConfigError::MetricsPortZero(address));
        }
        if let Some(path) = &self.kubeconfig
            && !path.is_file()
        {
            return Err(ConfigError::KubeconfigMissing(path.clone()));
        }
        let labels = self
            .node_labels
            .iter()
            .map(|given| parse_label(given))
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let taint = match (&self.node_taint, self.disable_taint) {
            (_, true) => TaintChoice::None,
            (Some(given), false) => TaintChoice::Custom(parse_taint(given)?),
            (None, false) => TaintChoice::Provider,
        };
        let kubelet_api = self.kubelet_api_options(&node_name)?;
        let spec = PluginSpec {
            path: absolute(&self.plugin),
            args: self.plugin_args,
            config: plugin_config,
            runtime_dir: self.runtime_dir.unwrap_or_else(default_runtime_dir),
            env: plugin_env,
        };
        let mut supervisor = SupervisorConfig::new(spec, node_name.clone());
        supervisor.deadlines.handshake = self.plugin_handshake_timeout;
        supervisor.health = HealthPolicy {
            interval: self.plugin_probe_interval,
            timeout: self
                .plugin_probe_interval
                .min(HealthPolicy::default().timeout),
            ..HealthPolicy::default()
        };
        supervisor.backoff.delays.cap = self.plugin_max_backoff;
        supervisor.stop_grace = self.plugin_stop_grace;
        supervisor.plugin_user = plugin_user;
        Ok(Config {
            kubelet_api,
            kube: KubeOptions {
                kubeconfig: self.kubeconfig.as_deref().map(absolute),
                qps: self.kube_api_qps,
                burst: self.kube_api_burst,
                pacing: "main",
            },
            events: KubeOptions {
                kubeconfig: self.kubeconfig.as_deref().map(absolute),
                qps: self.event_qps,
                burst: self.event_burst,
                pacing: "events",
            },
            node: NodeOptions {
                name: node_name.clone(),
                labels,
                taint,
                internal_ip: self.node_ip,
                kubelet_port: self.kubelet_port,
            },
            pods: PodOptions {
                node_name: node_name.clone(),
                workers: self.pod_sync_workers,
                status_resync: self.pod_status_resync,
            },
            node_name,
            supervisor,
            log_format: self.log_format,
            max_token_expiration: self.max_token_expiration,
            metrics_bind_address: self.metrics_bind_address,
        })
    }
}

impl Cli {
    /// Loads (or generates) the kubelet API's certificates now, so a bad
    /// file fails the start with one line naming its flag.
    fn kubelet_api_options(&self, node_name: &str) -> Result<ApiOptions, ConfigError> {
        // clap checks these pairs on flags, not on values from --config.
        self.check_tls_pairs()?;
        let source = match (
            &self.tls_cert_file,
            &self.tls_private_key_file,
            &self.tls_ca_cert_file,
            &self.tls_ca_key_file,
        ) {
            (Some(cert), Some(key), _, _) => ServingCertSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            },
            (_, _, Some(ca_cert), Some(ca_key)) => ServingCertSource::SignedBy {
                ca_cert: ca_cert.clone(),
                ca_key: ca_key.clone(),
            },
            _ => ServingCertSource::SelfSigned,
        };
        let mut names = ServingNames {
            node_name: node_name.to_owned(),
            dns_names: vec![node_name.to_owned(), "localhost".into()],
            ips: vec![
                std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::Ipv6Addr::LOCALHOST.into(),
            ],
        };
        if let Ok(host) = hostname()
            && check_node_name(&host).is_ok()
        {
            names.dns_names.push(host);
        }
        names.ips.extend(self.node_ip);
        names.ips.extend(crate::node::host_facts::primary_ip());
        if !self.kubelet_address.is_unspecified() {
            names.ips.push(self.kubelet_address);
        }
        for given in &self.tls_sans {
            match given.parse::<std::net::IpAddr>() {
                Ok(ip) => names.ips.push(ip),
                Err(_) if check_node_name(given).is_ok() => names.dns_names.push(given.clone()),
                Err(_) => {
                    return Err(ConfigError::TlsSan {
                        given: given.clone(),
                    });
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        names.dns_names.retain(|name| seen.insert(name.clone()));
        let mut seen_ips = std::collections::BTreeSet::new();
        names.ips.retain(|ip| seen_ips.insert(*ip));
        let client_roots = self
            .client_ca_file
            .as_deref()
            .map(tls::client_roots)
            .transpose()?;
        let cert = tls::serving_cert(&source, &names)?;
        let tls_description = cert.description.clone();
        Ok(ApiOptions {
            listen: std::net::SocketAddr::new(self.kubelet_address, self.kubelet_port),
            client_certificates: client_roots.is_some(),
            tls: tls::server_config(cert, client_roots)?,
            tls_description,
            insecure_anonymous: self.kubelet_api_insecure_anonymous,
        })
    }
}

impl Cli {
    fn check_tls_pairs(&self) -> Result<(), ConfigError> {
        for (first, a, second, b) in [
            (
                "tls-cert-file",
                self.tls_cert_file.is_some(),
                "tls-private-key-file",
                self.tls_private_key_file.is_some(),
            ),
            (
                "tls-ca-cert-file",
                self.tls_ca_cert_file.is_some(),
                "tls-ca-key-file",
                self.tls_ca_key_file.is_some(),
            ),
        ] {
            if a != b {
                return Err(ConfigError::TlsPair { first, second });
            }
        }
        if self.tls_cert_file.is_some() && self.tls_ca_cert_file.is_some() {
            return Err(ConfigError::TlsSourceConflict);
        }
        Ok(())
    }
}

/// `--plugin-env` entries: `NAME=VALUE` sets a variable, `NAME` passes the
/// value `host_env` has for it (refused when it has none: the operator asked
/// for it, and a plugin that starts without it fails later and less clearly).
/// `vk-plugin-conformance --plugin-env` takes the same entries.
pub fn parse_plugin_env(
    given: &[String],
    host_env: impl Fn(&str) -> Option<OsString>,
) -> Result<PluginEnv, ConfigError> {
    let mut env = PluginEnv::default();
    let mut seen = std::collections::BTreeSet::new();
    for entry in given {
        // Split at the first '=', so a name never holds one ("=VALUE" has
        // an empty name) and a value may.
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (entry.as_str(), None),
        };
        let fail = |why: &str| ConfigError::PluginEnv {
            name: name.to_owned(),
            why: why.to_owned(),
        };
        if name.is_empty() {
            return Err(fail("a variable needs a name: give NAME or NAME=VALUE"));
        }
        // Neither can come from argv or the environment, but a name or value
        // with NUL would fail the plugin's spawn on every restart instead.
        if name.contains('\0') {
            return Err(fail("a name cannot contain NUL"));
        }
        if let Some(why) = reserved_env_name(name) {
            return Err(fail(why));
        }
        if !seen.insert(name) {
            return Err(fail("given more than once"));
        }
        let value = match value {
            Some(value) => OsString::from(value),
            None => host_env(name).ok_or_else(|| {
                fail(&format!(
                    "vk-host has no {name} in its environment to pass on; set it, or give {name}=VALUE"
                ))
            })?,
        };
        if value.as_encoded_bytes().contains(&0) {
            return Err(fail("the value contains NUL"));
        }
        env.push(name.to_owned(), value);
    }
    Ok(env)
}

/// `KEY=VALUE` with a qualified-name key (optional DNS prefix, `/`, name of
/// at most 63 characters) and a label value of at most 63 characters.
fn parse_label(given: &str) -> Result<(String, String), ConfigError> {
    let fail = |why: &str| ConfigError::NodeLabel {
        given: given.to_owned(),
        why: why.to_owned(),
    };
    let (key, value) = given
        .split_once('=')
        .ok_or_else(|| fail("expected KEY=VALUE"))?;
    names::check_qualified_name(key).map_err(|why| fail(&format!("key {why}")))?;
    names::check_label_value(value).map_err(|why| fail(&format!("value {why}")))?;
    Ok((key.to_owned(), value.to_owned()))
}

/// `KEY[=VALUE]:EFFECT`, effect one of NoSchedule, PreferNoSchedule, NoExecute.
fn parse_taint(given: &str) -> Result<Taint, ConfigError> {
    let fail = |why: &str| ConfigError::NodeTaint {
        given: given.to_owned(),
        why: why.to_owned(),
    };
    let (key_value, effect) = given
        .rsplit_once(':')
        .ok_or_else(|| fail("expected KEY[=VALUE]:EFFECT"))?;
    if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&effect) {
        return Err(fail(
            "effect must be NoSchedule, PreferNoSchedule or NoExecute",
        ));
    }
    let (key, value) = match key_value.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (key_value, None),
    };
    names::check_qualified_name(key).map_err(|why| fail(&format!("key {why}")))?;
    if let Some(value) = value {
        names::check_label_value(value).map_err(|why| fail(&format!("value {why}")))?;
    }
    Ok(Taint {
        key: key.to_owned(),
        value: value.map(str::to_owned),
        effect: effect.to_owned(),
        time_added: None,
    })
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn check_plugin(path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::PermissionsExt as _;
    let metadata =
        std::fs::metadata(path).map_err(|_| ConfigError::PluginMissing(path.to_owned()))?;
    if !metadata.is_file() {
        return Err(ConfigError::PluginNotExecutable {
            path: path.to_owned(),
            why: "not a regular file".into(),
        });
    }
    if metadata.permissions().mode() & 0o111 == 0 {
        return Err(ConfigError::PluginNotExecutable {
            path: path.to_owned(),
            why: "no execute permission; try chmod +x".into(),
        });
    }
    Ok(())
}

fn hostname() -> Result<String, ConfigError> {
    let name = nix::unistd::gethostname()
        .map_err(|e| ConfigError::Hostname(e.into()))?
        .to_string_lossy()
        .to_lowercase();
    Ok(name)
}

/// A node name must be a DNS-1123 subdomain: lowercase alphanumerics, '-'
/// and '.', each '.'-separated part starting and ending alphanumeric, at
/// most 253 characters.
fn check_node_name(name: &str) -> Result<(), ConfigError> {
    names::check_dns1123_subdomain(name).map_err(|why| ConfigError::NodeName {
        name: name.to_owned(),
        why: why.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_follow_dns_subdomain_rules() {
        for good in ["vk", "vk-1", "node.example.com"] {
            assert!(check_node_name(good).is_ok(), "{good}");
        }
        for bad in ["", "VK", "-vk", "vk-", "vk_1", &"a".repeat(254)] {
            let error = check_node_name(bad).expect_err(bad);
            assert!(error.to_string().starts_with("--node-name"), "{error}");
        }
    }

    #[test]
    fn labels_and_taints_are_parsed_or_refused_with_the_reason() {
        assert_eq!(
            parse_label("example.com/pool=edge").expect("label"),
            ("example.com/pool".into(), "edge".into())
        );
        assert!(parse_label("tier=").is_ok());
        for bad in ["noequals", "=v", "Bad Key=v", "k=bad value", "/k=v"] {
            let error = parse_label(bad).expect_err(bad);
            assert!(error.to_string().starts_with("--node-label"), "{error}");
        }
        let taint = parse_taint("example.com/edge=true:NoExecute").expect("taint");
        assert_eq!(
            (
                taint.key.as_str(),
                taint.value.as_deref(),
                taint.effect.as_str()
            ),
            ("example.com/edge", Some("true"), "NoExecute")
        );
        assert_eq!(
            parse_taint("dedicated:NoSchedule").expect("taint").value,
            None
        );
        let error = parse_taint("k=v:Sometimes").expect_err("effect");
        assert_eq!(
            error.to_string(),
            "--node-taint \"k=v:Sometimes\": effect must be NoSchedule, PreferNoSchedule or NoExecute"
        );
        assert!(parse_taint("no-effect").is_err());
    }

    #[test]
    fn plugin_env_entries_are_set_or_passed_through() {
        let host = |name: &str| match name {
            "NOMAD_ADDR" => Some(OsString::from("http://nomad:4646")),
            "EMPTY" => Some(OsString::new()),
            _ => None,
        };
        let given = [
            "AWS_REGION=eu-west-1",
            "NOMAD_ADDR",
            "EMPTY",
            "SET_EMPTY=",
            "EQUALS=a=b",
            // Allowlisted names may be given the plugin's own value.
            "HOME=/var/lib/plugin",
            "RUST_LOG=debug",
        ]
        .map(str::to_owned);
        let env = parse_plugin_env(&given, host).expect("valid entries");
        let got: Vec<(&str, &str)> = env
            .iter()
            .map(|(name, value)| (name, value.to_str().expect("utf-8")))
            .collect();
        assert_eq!(
            got,
            [
                ("AWS_REGION", "eu-west-1"),
                ("NOMAD_ADDR", "http://nomad:4646"),
                ("EMPTY", ""),
                ("SET_EMPTY", ""),
                ("EQUALS", "a=b"),
                ("HOME", "/var/lib/plugin"),
                ("RUST_LOG", "debug"),
            ]
        );
        assert!(!format!("{env:?}").contains("eu-west-1"), "{env:?}");
    }

    #[test]
    fn plugin_env_refusals_name_the_flag_and_the_variable_never_the_value() {
        let host = |name: &str| (name == "PRESENT").then(|| OsString::from("s3cr3t"));
        let reserved_launch =
            "reserved for the launch variables vk-host sets (VK_PLUGIN_*, VK_HOST_*)";
        let reserved_credentials =
            "reserved: the host's cluster credentials are never given to a plugin";
        for (given, expected) in [
            (
                &["=s3cr3t"][..],
                "--plugin-env \"\": a variable needs a name: give NAME or NAME=VALUE",
            ),
            (
                &[""],
                "--plugin-env \"\": a variable needs a name: give NAME or NAME=VALUE",
            ),
            (
                &["A\0B=s3cr3t"],
                "--plugin-env \"A\\0B\": a name cannot contain NUL",
            ),
            (
                &["A=s3\0cr3t"],
                "--plugin-env \"A\": the value contains NUL",
            ),
            (&["VK_PLUGIN_SOCKET=s3cr3t"], reserved_launch),
            (&["VK_PLUGIN_NAME_HINT=s3cr3t"], reserved_launch),
            (&["VK_PLUGIN_CONFIG"], reserved_launch),
            (&["VK_HOST_SOCKET=s3cr3t"], reserved_launch),
            (&["KUBECONFIG=s3cr3t"], reserved_credentials),
            (&["VK_KUBECONFIG"], reserved_credentials),
            (
                &["KUBERNETES_SERVICE_HOST=s3cr3t"],
                "reserved: KUBERNETES_* would point the plugin at the cluster as the host; it reaches cluster data only through the host callbacks",
            ),
            (
                &["MISSING"],
                "--plugin-env \"MISSING\": vk-host has no MISSING in its environment to pass on; set it, or give MISSING=VALUE",
            ),
            (
                &["A=s3cr3t", "A"],
                "--plugin-env \"A\": given more than once",
            ),
            (
                &["PRESENT", "PRESENT=s3cr3t"],
                "--plugin-env \"PRESENT\": given more than once",
            ),
        ] {
            let given: Vec<String> = given.iter().map(|s| (*s).to_owned()).collect();
            let error = parse_plugin_env(&given, host)
                .expect_err(&format!("{given:?} is refused"))
                .to_string();
            assert!(error.starts_with("--plugin-env \""), "{error}");
            assert!(error.ends_with(expected), "{given:?}: {error}");
            assert!(!error.contains("s3cr3t"), "a value in {error}");
            assert_eq!(error.lines().count(), 1, "{error}");
        }
    }

    #[test]
    fn plugin_env_reaches_the_plugin_spec_and_commas_separate_entries() {
        // The same delimiter splits VK_PLUGIN_ENV (clap applies it to both).
        let cli = Cli::parse_from([
            "vk-host",
            "--plugin",
            "/bin/true",
            "--node-name",
            "vk",
            "--plugin-env",
            "A=1,B=2",
            "--plugin-env",
            "C=3",
        ]);
        let config = cli.into_config().expect("valid");
        let names: Vec<&str> = config.supervisor.spec.env.names().collect();
        assert_eq!(names, ["A", "B", "C"]);
        let cli = Cli::parse_from([
            "vk-host",
            "--plugin",
            "/bin/true",
            "--node-name",
            "vk",
            "--plugin-env",
            "OK=1,VK_PLUGIN_SOCKET=/tmp/x",
        ]);
        let error = cli.into_config().expect_err("reserved").to_string();
        assert!(
            error.starts_with("--plugin-env \"VK_PLUGIN_SOCKET\": reserved"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_plugin_is_named() {
        let cli = Cli::parse_from([
            "vk-host",
            "--plugin",
            "/nonexistent/plugin",
            "--node-name",
            "vk",
        ]);
        let error = cli.into_config().expect_err("missing plugin");
        assert_eq!(
            error.to_string(),
            "--plugin /nonexistent/plugin: no such file"
        );
    }

    #[test]
    fn event_pacing_must_be_positive() {
        for (flag, value) in [("--event-qps", "0"), ("--event-burst", "0")] {
            let cli = Cli::parse_from([
                "vk-host",
                "--plugin",
                "/bin/true",
                "--node-name",
                "vk",
                flag,
                value,
            ]);
            let error = cli.into_config().expect_err(flag);
            assert_eq!(error.to_string(), format!("{flag} must be more than zero"));
        }
        let cli = Cli::parse_from(["vk-host", "--plugin", "/bin/true", "--node-name", "vk"]);
        let config = cli.into_config().expect("defaults");
        assert_eq!((config.events.qps, config.events.burst), (50.0, 100));
    }

    #[test]
    fn the_metrics_listener_is_off_by_default_and_needs_a_port() {
        let base = ["vk-host", "--plugin", "/bin/true", "--node-name", "vk"];
        let config = Cli::parse_from(base).into_config().expect("defaults");
        assert_eq!(config.metrics_bind_address, None);
        let with = |address: &str| {
            let mut args = base.to_vec();
            args.extend(["--metrics-bind-address", address]);
            Cli::try_parse_from(args)
        };
        let config = with("[::1]:10255")
            .expect("an IPv6 address")
            .into_config()
            .expect("valid");
        assert_eq!(
            config.metrics_bind_address,
            Some("[::1]:10255".parse().expect("address"))
        );
        let error = with("127.0.0.1:0")
            .expect("parsed")
            .into_config()
            .expect_err("port 0");
        assert_eq!(
            error.to_string(),
            "--metrics-bind-address 127.0.0.1:0: give a port other than 0"
        );
        for bad in ["localhost:10255", "127.0.0.1", ":10255"] {
            let error = with(bad).expect_err(bad);
            assert!(
                error.to_string().contains("--metrics-bind-address"),
                "{bad}: {error}"
            );
        }
    }
}
