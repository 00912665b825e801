//! What vk-host tells a plugin at launch (socket paths, protocol versions,
//! the per-launch secret), read from the environment and the secret file.

use std::path::{Path, PathBuf};

use vk_proto::env;

/// Why the launch environment is unusable.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The magic cookie is missing: someone ran the plugin by hand.
    #[error(
        "this program is a vk-host plugin and is started by vk-host, not by hand: \
         run `vk-host --plugin {0}` (or `vk-plugin-conformance {0}` to test it)"
    )]
    NotLaunchedByHost(String),
    #[error("launch environment variable {0} is not set; is vk-host older than this plugin?")]
    Missing(&'static str),
    #[error("launch environment variable {name} has an invalid value {value:?}: {why}")]
    Invalid {
        name: &'static str,
        value: String,
        why: String,
    },
    #[error("reading the per-launch secret from {path}")]
    Secret {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The launch contract, as read by [`Launch::from_env`].
#[derive(Clone)]
pub struct Launch {
    /// Where to bind the plugin's gRPC server.
    pub plugin_socket: PathBuf,
    /// Where the host serves `HostCallbacks`.
    pub host_socket: PathBuf,
    /// Protocol majors the host speaks.
    pub protocol_versions: Vec<u32>,
    /// The plugin's configuration file (`vk-host --plugin-config`), if any.
    pub config_path: Option<PathBuf>,
    /// Whether stdin is the pipe the host holds, so that its end-of-file
    /// means the host is gone (true when launched by vk-host; tests that
    /// serve in-process turn it off).
    pub stdin_is_host_pipe: bool,
    secret: String,
}

impl std::fmt::Debug for Launch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launch")
            .field("plugin_socket", &self.plugin_socket)
            .field("host_socket", &self.host_socket)
            .field("protocol_versions", &self.protocol_versions)
            .field("config_path", &self.config_path)
            .field("stdin_is_host_pipe", &self.stdin_is_host_pipe)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl Launch {
    /// Reads the launch environment set by vk-host.
    pub fn from_env() -> Result<Self, LaunchError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the launch contract through `lookup` (the environment, in
    /// [`Launch::from_env`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, LaunchError> {
        if lookup(env::MAGIC_COOKIE).as_deref() != Some(vk_proto::MAGIC_COOKIE) {
            let me = std::env::args().next().unwrap_or_else(|| "PLUGIN".into());
            return Err(LaunchError::NotLaunchedByHost(me));
        }
        let required = |name: &'static str| lookup(name).ok_or(LaunchError::Missing(name));
        let plugin_socket = PathBuf::from(required(env::PLUGIN_SOCKET)?);
        let host_socket = PathBuf::from(required(env::HOST_SOCKET)?);
        let versions_text = required(env::PROTOCOL_VERSIONS)?;
        let protocol_versions =
            parse_versions(&versions_text).map_err(|why| LaunchError::Invalid {
                name: env::PROTOCOL_VERSIONS,
                value: versions_text.clone(),
                why,
            })?;
        let secret_path = PathBuf::from(required(env::SECRET_FILE)?);
        let secret = read_secret(&secret_path)?;
        let config_path = lookup(env::CONFIG)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Ok(Self {
            plugin_socket,
            host_socket,
            protocol_versions,
            config_path,
            stdin_is_host_pipe: true,
            secret,
        })
    }

    /// The per-launch secret, sent as `authorization: Bearer <secret>`.
    /// Never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

fn parse_versions(text: &str) -> Result<Vec<u32>, String> {
    let versions = text
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<u32>()
                .map_err(|e| format!("{part:?} is not a protocol major: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if versions.is_empty() {
        return Err("no protocol versions".into());
    }
    Ok(versions)
}

fn read_secret(path: &Path) -> Result<String, LaunchError> {
    let text = std::fs::read_to_string(path).map_err(|source| LaunchError::Secret {
        path: path.to_owned(),
        source,
    })?;
    let secret = text.trim().to_owned();
    if secret.is_empty() {
        return Err(LaunchError::Secret {
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, "the file is empty"),
        });
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup_in(map: HashMap<&'static str, String>) -> impl Fn(&str) -> Option<String> {
        move |name| map.get(name).cloned()
    }

    #[test]
    fn a_plugin_started_by_hand_is_told_how_to_run_it() {
        let error = Launch::from_lookup(lookup_in(HashMap::new())).expect_err("no cookie");
        assert!(matches!(error, LaunchError::NotLaunchedByHost(_)));
        assert!(error.to_string().contains("vk-host --plugin"));
    }

    #[test]
    fn reads_the_whole_contract() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "abc123\n").expect("write secret");
        let launch = Launch::from_lookup(lookup_in(HashMap::from([
            (env::MAGIC_COOKIE, vk_proto::MAGIC_COOKIE.to_owned()),
            (env::PLUGIN_SOCKET, "/run/p/plugin.sock".to_owned()),
            (env::HOST_SOCKET, "/run/p/host.sock".to_owned()),
            (env::PROTOCOL_VERSIONS, "1, 2".to_owned()),
            (env::SECRET_FILE, secret.display().to_string()),
        ])))
        .expect("valid launch");
        assert_eq!(launch.protocol_versions, vec![1, 2]);
        assert_eq!(launch.secret(), "abc123");
        assert_eq!(launch.config_path, None);
        assert!(!format!("{launch:?}").contains("abc123"));
    }

    #[test]
    fn bad_versions_name_the_variable() {
        let error = parse_versions("1,x").expect_err("x is not a number");
        assert!(error.contains("\"x\""));
    }
}
