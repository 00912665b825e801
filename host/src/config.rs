//! Command-line flags (each with a `VK_*` environment twin) and their
//! validation into a [`Config`], before anything is started.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};

use crate::plugins::{
    BackoffPolicy, HealthPolicy, PluginSpec, SupervisorConfig, default_runtime_dir,
};

/// A Virtual Kubelet whose provider is a plugin process speaking gRPC.
#[derive(Debug, Parser)]
#[command(name = "vk-host", version, about, long_about = None)]
pub struct Cli {
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
}

/// Validated configuration of a vk-host run.
#[derive(Debug, Clone)]
pub struct Config {
    pub node_name: String,
    pub supervisor: SupervisorConfig,
    pub log_format: LogFormat,
}

impl Cli {
    /// Checks every flag; nothing is started or bound yet.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        check_plugin(&self.plugin)?;
        let plugin_config = match self.plugin_config {
            Some(path) => {
                std::fs::File::open(&path).map_err(|source| ConfigError::PluginConfig {
                    path: path.clone(),
                    source,
                })?;
                Some(absolute(&path))
            }
            None => None,
        };
        let node_name = match self.node_name {
            Some(name) => name,
            None => hostname()?,
        };
        check_node_name(&node_name)?;
        for (flag, value) in [
            ("plugin-handshake-timeout", self.plugin_handshake_timeout),
            ("plugin-probe-interval", self.plugin_probe_interval),
            ("plugin-max-backoff", self.plugin_max_backoff),
        ] {
            if value.is_zero() {
                return Err(ConfigError::ZeroDuration { flag });
            }
        }
        let spec = PluginSpec {
            path: absolute(&self.plugin),
            args: self.plugin_args,
            config: plugin_config,
            runtime_dir: self.runtime_dir.unwrap_or_else(default_runtime_dir),
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
        supervisor.backoff = BackoffPolicy {
            max: self.plugin_max_backoff,
            ..BackoffPolicy::default()
        };
        supervisor.stop_grace = self.plugin_stop_grace;
        Ok(Config {
            node_name,
            supervisor,
            log_format: self.log_format,
        })
    }
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

/// A node name must be a DNS subdomain (RFC 1123): lowercase alphanumerics,
/// '-' and '.', starting and ending alphanumeric, at most 253 characters.
fn check_node_name(name: &str) -> Result<(), ConfigError> {
    let why = if name.is_empty() {
        Some("must not be empty")
    } else if name.len() > 253 {
        Some("must be at most 253 characters")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        Some("may contain only lowercase letters, digits, '-' and '.'")
    } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        Some("must start and end with a letter or digit")
    } else {
        None
    };
    match why {
        Some(why) => Err(ConfigError::NodeName {
            name: name.to_owned(),
            why: why.to_owned(),
        }),
        None => Ok(()),
    }
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
}
